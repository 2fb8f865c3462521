"""Signing keys: from a hex string, a keystore file, or the local dev chain's mnemonic.

The command-line side (which of these a role uses) is offchain.eth.options.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from offchain.eth.errors import InvalidInputError

KEY_ENV = "OFFCHAIN_PRIVATE_KEY"
PASSWORD_ENV = "OFFCHAIN_KEYSTORE_PASSWORD"
LOCAL_CHAIN_IDS = (1337, 31337)  # brownie's and anvil's default ids: dev keys are allowed there
# anvil's well-known development mnemonic: these accounts are public test keys.
DEV_MNEMONIC = "test test test test test test test test test test test junk"


def account_from_key(key: str) -> LocalAccount:
    try:
        return Account.from_key(key.strip())
    except (ValueError, TypeError):
        raise InvalidInputError("the private key is malformed (expected 32 bytes of hex)") from None


def load_keystore(path: Path, password: str | None = None) -> LocalAccount:
    """An account from a web3/brownie JSON keystore file."""
    if not path.is_file():  # before the prompt: a typo must not cost a password
        raise InvalidInputError(f"no keystore file at {path} (create one with `offchain accounts new`)")
    if password is None:
        password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = ask_secret(f"password for {path}: ", PASSWORD_ENV)
    try:
        return account_from_key(Account.decrypt(path.read_text(), password).hex())
    except ValueError as exc:
        if "MAC mismatch" in str(exc):  # eth-keyfile's word for a key derived from the wrong password
            raise InvalidInputError(f"wrong password for keystore {path}") from None
        raise InvalidInputError(f"cannot open keystore {path}: {exc}") from None
    except OSError as exc:
        raise InvalidInputError(f"cannot open keystore {path}: {exc}") from None


def ask_secret(prompt: str, env: str) -> str:
    """Ask on the terminal, unechoed; without one (a daemon, a pipe) name the variable instead."""
    if not sys.stdin.isatty():
        raise InvalidInputError(f"no terminal to ask on: set ${env}")
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise InvalidInputError(f"nothing typed: set ${env} or type it") from None


def dev_private_key(index: int) -> str:
    """The private key of anvil's dev account `index` (public test keys, never for value)."""
    Account.enable_unaudited_hdwallet_features()
    return str(Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key.hex())
