"""A folder of artifacts named by their SHA-256, written atomically."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from offchain.artifacts.errors import ArtifactNotFoundError, HashMismatchError, InvalidURIError

CHUNK = 1 << 20
MAX_ARTIFACT_BYTES = 4 << 30  # 4 GiB: what a server stores and a client fetches, at most
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def validate_sha256(digest: str) -> None:
    """Raise InvalidURIError unless `digest` is 64 lower-case hex digits."""
    if not HEX64.match(digest):
        raise InvalidURIError(f"not a SHA-256 hex digest: {digest!r}")


def normalize_sha256(text: str) -> str:
    """Accept `sha256:HEX`, `0xHEX` or `HEX` in any case; return lower-case HEX."""
    digest = text.removeprefix("sha256:").removeprefix("0x").lower()
    validate_sha256(digest)
    return digest


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class ArtifactStore:
    """Artifacts in `root/<sha256>`; a file only ever appears complete and verified."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, digest: str) -> Path:
        validate_sha256(digest)
        return self.root / digest

    def has(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def get(self, digest: str) -> Path:
        """The path of a stored artifact; raises ArtifactNotFoundError."""
        path = self.path(digest)
        if not path.is_file():
            raise ArtifactNotFoundError(f"sha256:{digest} is not in the store {self.root}")
        return path

    def put_bytes(self, data: bytes) -> str:
        return self.put_stream([data])

    def put_file(self, path: Path) -> str:
        with open(path, "rb") as handle:
            return self.put_stream(iter(lambda: handle.read(CHUNK), b""))

    def put_reader(
        self, reader: IO[bytes] | io.BufferedIOBase, expected: str | None = None, limit: int | None = None
    ) -> str:
        """Store what `reader` yields (at most `limit` bytes), checked against `expected`."""

        def chunks() -> Iterable[bytes]:
            remaining = limit
            while True:
                size = CHUNK if remaining is None else min(CHUNK, remaining)
                if size == 0:
                    return
                chunk = reader.read(size)
                if not chunk:
                    return
                if remaining is not None:
                    remaining -= len(chunk)
                yield chunk

        return self.put_stream(chunks(), expected)

    def put_stream(self, chunks: Iterable[bytes], expected: str | None = None) -> str:
        """Write chunks to a temporary file, hash them, then rename into place.

        With `expected`, a mismatch raises HashMismatchError and nothing is stored.
        """
        digest = hashlib.sha256()
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            actual = digest.hexdigest()
            if expected is not None and actual != expected:
                raise HashMismatchError("upload", expected, actual)
            os.replace(tmp_name, self.root / actual)  # atomic: readers never see half a file
            return actual
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
