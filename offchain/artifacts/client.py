"""Fetch artifacts by URI and verify their SHA-256 before anything uses them.

URIs: a local path (or file://), an http(s) URL, or `sha256:<hex>` resolved through the
configured sources (store folders and artifact-server URLs, in order).

A source is hostile until its bytes hash right, so every download is bounded: at most
`FetchLimits.max_bytes` (a declared Content-Length over it is refused before the body), and
once the grace is over, no slower on average than `min_bytes_per_s`: a watchdog closes the
connection the moment it falls behind, wherever http.client is waiting (headers, chunk framing,
trailers), and each read waits for at most HTTP_TIMEOUT_S. A redirect stays on http(s). A source
past a bound raises ArtifactRefusedError, and what it sent is deleted.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlparse

from offchain.artifacts.errors import (
    ArtifactError,
    ArtifactNotFoundError,
    ArtifactRefusedError,
    ArtifactUnreachableError,
    HashMismatchError,
    InvalidURIError,
)
from offchain.artifacts.store import CHUNK, MAX_ARTIFACT_BYTES, ArtifactStore, normalize_sha256, sha256_file
from offchain.artifacts.watchdog import Watchdog, watched_opener

HTTP_TIMEOUT_S = 30


class FetchLimits(NamedTuple):
    """How much, and how slowly, a source may send one artifact."""

    max_bytes: int = MAX_ARTIFACT_BYTES
    # 256 KiB/s is a 2 Mbit/s uplink: a 4 GiB artifact within 4.5 hours, a spec within the grace.
    min_bytes_per_s: float = 256 * 1024
    grace_s: float = 30.0


DEFAULT_LIMITS = FetchLimits()


def fetch(
    uri: str,
    expected_sha256: str,
    cache: ArtifactStore,
    sources: Sequence[str] = (),
    limits: FetchLimits = DEFAULT_LIMITS,
) -> Path:
    """The verified local path of the artifact `uri`, whose content must hash to `expected_sha256`.

    The result lives in `cache` (named by its hash); a cached copy is used without a fetch.
    Raises HashMismatchError, ArtifactNotFoundError (ArtifactRefusedError past `limits`) or
    InvalidURIError.
    """
    expected = normalize_sha256(expected_sha256)
    named = named_sha256(uri)
    if named is not None and named != expected:  # before the cache: never answer B for A
        raise HashMismatchError(uri, expected, named)
    if cache.has(expected):
        return cache.get(expected)
    if uri.startswith("sha256:"):
        return _fetch_from_sources(expected, cache, sources, limits)
    parsed = urlparse(uri)
    if parsed.scheme in ("http", "https"):
        return _fetch_url(uri, expected, cache, limits)
    if parsed.scheme in ("", "file"):
        return _fetch_path(Path(parsed.path if parsed.scheme else uri), expected, cache, limits)
    raise InvalidURIError(f"unsupported URI {uri!r}: use a path, an http(s) URL or sha256:<hex>")


def _fetch_path(path: Path, expected: str, cache: ArtifactStore, limits: FetchLimits) -> Path:
    _require_local(path, limits)
    actual = sha256_file(path)
    if actual != expected:
        raise HashMismatchError(str(path), expected, actual)
    return cache.get(cache.put_file(path))


def _require_local(path: Path, limits: FetchLimits) -> None:
    if not path.is_file():
        raise ArtifactNotFoundError(f"no file at {path}")
    if (size := path.stat().st_size) > limits.max_bytes:
        raise ArtifactRefusedError(f"{path} is {size} bytes: more than the {limits.max_bytes} this fetch accepts")


def _fetch_url(url: str, expected: str, cache: ArtifactStore, limits: FetchLimits) -> Path:
    digest = _store_url(url, cache, limits)
    if digest != expected:
        cache.get(digest).unlink()  # never keep bytes that are not what was asked for
        raise HashMismatchError(url, expected, digest)
    return cache.get(digest)


def _store_url(url: str, cache: ArtifactStore, limits: FetchLimits) -> str:
    """Store what `url` serves, within `limits`; its SHA-256."""
    with Watchdog(url, limits.grace_s, limits.min_bytes_per_s) as watchdog, _reading(url, watchdog) as response:
        declared = response.getheader("Content-Length")
        if declared is not None and declared.isdigit() and int(declared) > limits.max_bytes:
            raise ArtifactRefusedError(f"{url} declares {declared} bytes: more than the {limits.max_bytes} accepted")
        return cache.put_stream(_bounded(url, response, limits, watchdog))


def _bounded(url: str, response: Any, limits: FetchLimits, watchdog: Watchdog) -> Iterator[bytes]:
    """The body's chunks, as they arrive (read1: a read never waits for a whole chunk)."""
    while chunk := response.read1(CHUNK):
        watchdog.received += len(chunk)
        if watchdog.received > limits.max_bytes:
            raise ArtifactRefusedError(f"{url} sent more than {limits.max_bytes} bytes: more than accepted")
        yield chunk
    watchdog.require_on_time()  # a connection it closed ends like a whole body


def _fetch_from_sources(digest: str, cache: ArtifactStore, sources: Sequence[str], limits: FetchLimits) -> Path:
    unreachable: list[str] = []
    refused: list[str] = []
    mismatched: list[HashMismatchError] = []
    for source in sources:
        try:
            if source.startswith(("http://", "https://")):
                return _fetch_url(f"{source.rstrip('/')}/sha256/{digest}", digest, cache, limits)
            return _fetch_path(Path(source) / digest, digest, cache, limits)
        except ArtifactRefusedError as exc:  # another source may serve it within the bounds
            refused.append(f"{source}: {exc}")
        except HashMismatchError as exc:  # one hostile source must not hide the honest ones after it
            mismatched.append(exc)
        except ArtifactNotFoundError:
            continue
        except ArtifactUnreachableError:
            unreachable.append(source)
    if unreachable:  # one of them may hold it: not found is not yet known
        raise ArtifactUnreachableError(f"sha256:{digest}: {', '.join(unreachable)} did not answer")
    if not sources:  # a sha256: URI names content, not a place: say where to look
        raise ArtifactNotFoundError(
            f"sha256:{digest} is not in the local cache and no --source given: "
            "pass --source URL (an artifact server) or --source FOLDER (a store)"
        )
    if refused:
        raise ArtifactRefusedError(f"sha256:{digest}: {'; '.join(refused)}")
    if mismatched:
        raise mismatched[0]
    raise ArtifactNotFoundError(f"sha256:{digest} not found in {', '.join(sources)}")


@contextlib.contextmanager
def _reading(url: str, watchdog: Watchdog) -> Iterator[Any]:
    """The open HTTP response of `url`. A server error or 429 is ArtifactUnreachableError
    (transient), as are a refused, reset, timed-out or cut-short connection; any other HTTP
    error is ArtifactNotFoundError (the server said no); one the watchdog closed is refused."""
    try:
        with watched_opener(watchdog).open(url, timeout=HTTP_TIMEOUT_S) as response:
            yield response
    except urllib.error.HTTPError as exc:
        if exc.code >= 500 or exc.code == 429:
            raise ArtifactUnreachableError(f"{url}: HTTP {exc.code}") from None
        raise ArtifactNotFoundError(f"{url}: HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        watchdog.require_on_time()
        raise ArtifactUnreachableError(f"{url}: {getattr(exc, 'reason', exc)}") from None


def named_sha256(uri: str) -> str | None:
    """The SHA-256 a URI names (`sha256:<hex>` or a `/sha256/<hex>` path), if any."""
    if uri.startswith("sha256:"):
        return normalize_sha256(uri)
    tail = urlparse(uri).path.rstrip("/").rsplit("/", 2)
    if len(tail) == 3 and tail[1] == "sha256":
        try:
            return normalize_sha256(tail[2])
        except InvalidURIError:
            return None
    return None


def download(uri: str, cache: ArtifactStore, sources: Sequence[str] = (), limits: FetchLimits = DEFAULT_LIMITS) -> Path:
    """A local copy of `uri`, verified against the SHA-256 the URI names when it names one.

    For a URI without a hash (any URL) the bytes are stored under their own hash and the
    caller MUST verify them by other means (model weights: their tensor fingerprint).
    """
    digest = named_sha256(uri)
    if digest is not None:
        return fetch(uri, digest, cache, sources, limits)
    parsed = urlparse(uri)
    if parsed.scheme in ("http", "https"):
        return cache.get(_store_url(uri, cache, limits))
    path = Path(parsed.path if parsed.scheme == "file" else uri)
    if parsed.scheme not in ("", "file"):
        raise ArtifactNotFoundError(f"cannot download {uri!r}")
    _require_local(path, limits)
    return cache.get(cache.put_file(path))


def upload(server_url: str, path: Path) -> str:
    """PUT a file to an artifact server under its hash; returns the hash."""
    if not server_url.startswith(("http://", "https://")):
        raise ArtifactError(
            f"--server takes an artifact server's http(s):// URL, not {server_url!r}: a folder is --dir"
        )
    digest = sha256_file(path)
    request = urllib.request.Request(
        f"{server_url.rstrip('/')}/sha256/{digest}",
        data=path.read_bytes(),
        method="PUT",
        headers={"Content-Type": "application/octet-stream"},
    )
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:  # noqa: S310
            answer = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise ArtifactError(f"upload to {server_url} refused: HTTP {exc.code} {exc.read()[:200]!r}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise ArtifactError(f"upload to {server_url} failed: {getattr(exc, 'reason', exc)}") from None
    if answer.get("sha256") != digest:
        raise ArtifactError(f"server {server_url} stored {answer.get('sha256')}, expected {digest}")
    return digest
