"""The command-line options every chain command shares: where the chain is (--rpc,
--deployments) and who signs (--key-env, --keystore, --dev-account).

Keys come from an environment variable, a keystore file, or a local dev account; never
from the command line, where they would end up in shell history and `ps`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from eth_account.signers.local import LocalAccount

from offchain.eth.errors import InvalidInputError
from offchain.eth.keys import (
    KEY_ENV,
    LOCAL_CHAIN_IDS,
    PASSWORD_ENV,
    account_from_key,
    dev_private_key,
    load_keystore,
)


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    """--rpc and --deployments, shared by every command that talks to a chain."""
    parser.add_argument("--rpc", default=None, help="JSON-RPC URL (default: $OFFCHAIN_RPC or http://127.0.0.1:8545)")
    parser.add_argument("--deployments", default=None, help="deployments folder (default: ./deployments)")


def add_key_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--key-env", default=KEY_ENV, help=f"variable holding the hex key (default {KEY_ENV})")
    group.add_argument("--keystore", type=Path, help=f"JSON keystore (password: ${PASSWORD_ENV} or prompt)")
    group.add_argument("--dev-account", type=int, help="index of a local dev chain account (chain 1337/31337)")


def account_from_args(args: argparse.Namespace, chain_id: int) -> LocalAccount | None:
    """The account the arguments name; None means the node's first unlocked account."""
    if getattr(args, "keystore", None):
        return load_keystore(args.keystore)
    if getattr(args, "dev_account", None) is not None:
        if chain_id not in LOCAL_CHAIN_IDS:
            raise InvalidInputError(f"--dev-account works on a local chain (ids {LOCAL_CHAIN_IDS}), not {chain_id}")
        return account_from_key(dev_private_key(args.dev_account))
    key = os.environ.get(getattr(args, "key_env", KEY_ENV) or KEY_ENV)
    return account_from_key(key) if key else None
