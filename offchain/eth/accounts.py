"""Keystore files: the encrypted key a role signs with (`--keystore worker.json`).

The format is web3's JSON keystore (version 3, scrypt), the same file `geth account new`,
brownie's `accounts.save` and ape write, so a key moves between tools unchanged. Files are
written atomically with mode 0600; a keystore is never overwritten.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from offchain.eth.errors import InvalidInputError
from offchain.eth.keys import PASSWORD_ENV, ask_secret
from offchain.eth.values import parse_address

MAX_LISTED = 1000  # keystores listed from one folder
MAX_KEYSTORE_BYTES = 64 * 1024  # a keystore is about 500 bytes; anything larger is not one


def new_password(path: Path) -> str:
    """The password for a new keystore: $OFFCHAIN_KEYSTORE_PASSWORD, else asked twice."""
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        password = ask_secret(f"new password for {path}: ", PASSWORD_ENV)
        again = ask_secret("repeat it: ", PASSWORD_ENV)
        if password != again:
            raise InvalidInputError("the two passwords differ")
    if not password:
        raise InvalidInputError("refusing an empty keystore password")
    return password


def write_keystore(account: LocalAccount, path: Path, password: str) -> Path:
    """Encrypt `account`'s key into a new keystore file at `path` (never overwrites)."""
    if path.exists():
        raise InvalidInputError(f"{path} exists: a keystore is never overwritten")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = Account.encrypt(account.key, password)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.link(tmp, path)  # fails if `path` appeared meanwhile: no overwrite, ever
    tmp.unlink()
    return path


def create_account() -> LocalAccount:
    """A fresh key from the operating system's randomness."""
    return Account.create()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class KeystoreEntry:
    path: Path
    address: str


def keystore_address(path: Path) -> str | None:
    """The address a keystore file names (without decrypting it), or None if it is not one."""
    try:
        if path.stat().st_size > MAX_KEYSTORE_BYTES:
            return None
        data: Any = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "crypto" not in data and "Crypto" not in data:
        return None
    address = data.get("address")
    if not isinstance(address, str):
        return None
    try:
        return parse_address(address if address.startswith("0x") else "0x" + address)
    except InvalidInputError:
        return None


def list_keystores(folder: Path) -> Iterator[KeystoreEntry]:
    """Keystore files in `folder` (not recursive), by name, at most MAX_LISTED."""
    if not folder.is_dir():
        raise InvalidInputError(f"no folder at {folder}")
    listed = 0
    for path in sorted(folder.glob("*.json")):
        address = keystore_address(path)
        if address is None:
            continue
        yield KeystoreEntry(path, address)
        listed += 1
        if listed >= MAX_LISTED:
            return
