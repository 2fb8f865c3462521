"""The data directory's signing key: one hex private key in a 0600 file, never on a command line."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from offchain.ledger.errors import StoreError

KEY_FILE = "key.hex"
KEY_MODE = 0o600


def key_path(datadir: str | Path) -> Path:
    return Path(datadir) / KEY_FILE


def create_key(datadir: str | Path) -> bytes:
    """Create the key file if missing (atomically, mode 0600) and return the key."""
    path = key_path(datadir)
    if path.exists():
        return load_key(datadir)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    # Written whole under a name of this process, then linked into place: a racing init sees
    # either no key or a complete one (never the empty file an O_EXCL create shows at first).
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, KEY_MODE)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key.hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)  # atomic, and fails if another init linked its key first
    except FileExistsError:
        return load_key(datadir)
    finally:
        tmp.unlink(missing_ok=True)
    return key


def load_key(datadir: str | Path) -> bytes:
    """Read the key file. Raises StoreError if it is missing or malformed."""
    path = key_path(datadir)
    try:
        key = bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        raise StoreError(f"no key in {path.parent}; run `offchain ledger init` first") from None
    except ValueError:
        raise StoreError(f"{path} does not hold a hex private key") from None
    if len(key) != 32:
        raise StoreError(f"{path} does not hold a 32-byte private key")
    return key
