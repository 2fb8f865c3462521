"""Where a role's signing key comes from: an environment variable, a keystore file, or a
local dev account. Never the command line, where it would end up in shell history and `ps`.
"""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from offchain.eth.errors import InvalidInputError

KEY_ENV = "OFFCHAIN_PRIVATE_KEY"
PASSWORD_ENV = "OFFCHAIN_KEYSTORE_PASSWORD"
LOCAL_CHAIN_IDS = (1337, 31337)


def add_key_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--key-env", default=KEY_ENV, help=f"variable holding the hex key (default {KEY_ENV})")
    group.add_argument("--keystore", type=Path, help=f"JSON keystore (password: ${PASSWORD_ENV} or prompt)")
    group.add_argument("--dev-account", type=int, help="index of a local dev chain account (chain 1337/31337)")


def account_from_key(key: str) -> LocalAccount:
    try:
        return Account.from_key(key.strip())
    except (ValueError, TypeError):
        raise InvalidInputError("the private key is malformed (expected 32 bytes of hex)") from None


def load_keystore(path: Path, password: str | None = None) -> LocalAccount:
    """An account from a web3/brownie JSON keystore file."""
    if password is None:
        password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = getpass.getpass(f"password for {path}: ")
    try:
        return account_from_key(Account.decrypt(path.read_text(), password).hex())
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"cannot open keystore {path}: {exc}") from None


def account_from_args(args: argparse.Namespace, chain_id: int) -> LocalAccount | None:
    """The account the arguments name; None means the node's first unlocked account."""
    if getattr(args, "keystore", None):
        return load_keystore(args.keystore)
    if getattr(args, "dev_account", None) is not None:
        if chain_id not in LOCAL_CHAIN_IDS:
            raise InvalidInputError(f"--dev-account works on a local chain (ids {LOCAL_CHAIN_IDS}), not {chain_id}")
        from offchain.eth.localchain import dev_private_key

        return account_from_key(dev_private_key(args.dev_account))
    key = os.environ.get(getattr(args, "key_env", KEY_ENV) or KEY_ENV)
    return account_from_key(key) if key else None
