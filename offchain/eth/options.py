"""The command-line options every chain command shares: where the chain is (--rpc,
--deployments) and who signs (--key-env, --keystore, --dev-account).

Keys come from an environment variable, a keystore file, or a local dev account; never
from the command line, where they would end up in shell history and `ps`.
"""

from __future__ import annotations

import argparse
import os
import re
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

INDEX_ENV = "OFFCHAIN_INDEX"
MAX_DEV_ACCOUNT = 2**31 - 1  # the last non-hardened BIP-32 index of the dev mnemonic's path
# What a hex key looks like (with or without 0x): refused as a variable *name*.
_KEY_LIKE = re.compile(r"(0x)?[0-9a-fA-F]{32,}")


def add_connection_args(parser: argparse.ArgumentParser) -> None:
    """--rpc or --network, and --deployments, shared by every command that talks to a chain."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--rpc", default=None, help="JSON-RPC URL (default: $OFFCHAIN_RPC or http://127.0.0.1:8545)")
    where.add_argument("--network", default=None, metavar="NAME", help="a named network (offchain networks lists them)")
    parser.add_argument(
        "--deployments",
        default=None,
        help="deployments folder (default: $OFFCHAIN_DEPLOYMENTS_DIR or the project's deployments/)",
    )


def add_index_arg(parser: argparse.ArgumentParser) -> None:
    """--index, for the commands that read the contracts' event history."""
    parser.add_argument(
        "--index",
        default=os.environ.get(INDEX_ENV) or None,
        help=f"event index kept by `offchain index`: a SQLite file or a postgresql:// URL "
        f"(default: ${INDEX_ENV}; none: read the node)",
    )


def rpc_from_args(args: argparse.Namespace) -> str | None:
    """The URL --rpc or --network names; None: the default ($OFFCHAIN_RPC or the local chain)."""
    from offchain.eth.networks import resolve

    name = getattr(args, "network", None)
    return resolve(name) if name else getattr(args, "rpc", None)


def dev_account_index(text: str) -> int:
    """argparse type of --dev-account: an index the dev mnemonic can derive."""
    try:
        index = int(text)
    except ValueError:
        index = -1
    if not 0 <= index <= MAX_DEV_ACCOUNT:
        raise argparse.ArgumentTypeError(f"expected an account index from 0 to {MAX_DEV_ACCOUNT}, got {text!r}")
    return index


def add_key_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--key-env",
        default=KEY_ENV,
        metavar="NAME",
        help=f"name of the environment variable holding the hex key (default {KEY_ENV})",
    )
    group.add_argument("--keystore", type=Path, help=f"JSON keystore (password: ${PASSWORD_ENV} or prompt)")
    group.add_argument(
        "--dev-account",
        type=dev_account_index,
        metavar="INDEX",
        help="index of a local dev chain account (chain 1337/31337)",
    )


def account_from_args(args: argparse.Namespace, chain_id: int) -> LocalAccount | None:
    """The account the arguments name; None means the node's first unlocked account."""
    if getattr(args, "keystore", None):
        return load_keystore(args.keystore)
    if getattr(args, "dev_account", None) is not None:
        if chain_id not in LOCAL_CHAIN_IDS:
            raise InvalidInputError(f"--dev-account works on a local chain (ids {LOCAL_CHAIN_IDS}), not {chain_id}")
        return account_from_key(dev_private_key(args.dev_account))
    return account_from_env(getattr(args, "key_env", None) or KEY_ENV)


def account_from_env(name: str) -> LocalAccount | None:
    """The account whose key variable `name` holds. Only the default variable may be unset
    (then the node's unlocked account signs); a name the user chose must be set."""
    if _KEY_LIKE.fullmatch(name.strip()):
        raise InvalidInputError(
            "--key-env takes the name of an environment variable, not the key itself "
            "(a key on the command line ends up in the shell history: clear it there)"
        )
    key = os.environ.get(name)
    if key:
        return account_from_key(key)
    if name != KEY_ENV:
        raise InvalidInputError(f"--key-env: the environment variable {name} is not set")
    return None
