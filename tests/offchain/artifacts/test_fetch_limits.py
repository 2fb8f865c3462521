"""A hostile artifact server cannot fill the fetcher's disk or hold it: every download is
bounded in bytes and in time (attack tests: each hung or wrote without end before the bounds)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from offchain.artifacts.client import FetchLimits, download, fetch
from offchain.artifacts.errors import ArtifactNotFoundError, ArtifactRefusedError, ArtifactUnreachableError
from offchain.artifacts.store import ArtifactStore

pytestmark = pytest.mark.timeout(60)

PAYLOAD = b"x" * 5000
DIGEST = hashlib.sha256(PAYLOAD).hexdigest()
SMALL = FetchLimits(max_bytes=4096, min_bytes_per_s=64 * 1024, grace_s=0.5)


def _serve(body: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802 - stdlib's name
            try:
                body(self)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the fetcher hung up: what the bounds are for

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()  # quick shutdown
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def endless() -> Iterator[str]:
    """Streams bytes without end and without a Content-Length (at most 64 MiB, so the
    unguarded fetch this test was first run against still ends)."""

    def body(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        for _ in range(1024):
            handler.wfile.write(b"\0" * 65536)

    yield from _serve(body)


@pytest.fixture()
def declared_huge() -> Iterator[str]:
    """Declares a 1 TiB body and sends a little of it."""

    def body(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(1 << 40))
        handler.end_headers()
        handler.wfile.write(b"\0" * 1024)

    yield from _serve(body)


@pytest.fixture()
def drip() -> Iterator[str]:
    """Serves the true payload, a few bytes every 50 ms: about 25 s for the whole of it."""

    def body(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(PAYLOAD)))
        handler.end_headers()
        for i in range(0, len(PAYLOAD), 10):
            handler.wfile.write(PAYLOAD[i : i + 10])
            handler.wfile.flush()
            time.sleep(0.05)

    yield from _serve(body)


def _incoming(cache: Path) -> list[Path]:
    return [p for p in cache.iterdir()] if cache.exists() else []


def test_an_endless_body_stops_at_the_byte_limit_and_leaves_nothing(endless: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(ArtifactRefusedError, match="more than 4096 bytes"):
        fetch(f"{endless}/sha256/{DIGEST}", DIGEST, ArtifactStore(cache), limits=SMALL)
    assert _incoming(cache) == []  # no partial file left to fill the disk


def test_a_declared_length_over_the_limit_is_refused_before_the_body(declared_huge: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ArtifactRefusedError, match="declares 1099511627776 bytes"):
        fetch(f"{declared_huge}/sha256/{DIGEST}", DIGEST, ArtifactStore(tmp_path / "cache"), limits=SMALL)
    assert time.monotonic() - started < 10


def test_a_server_that_drips_is_dropped_once_the_grace_is_over(drip: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(ArtifactRefusedError, match="bytes/s"):
        fetch(
            f"{drip}/sha256/{DIGEST}",
            DIGEST,
            ArtifactStore(tmp_path / "cache"),
            limits=SMALL._replace(max_bytes=1 << 20),
        )
    assert time.monotonic() - started < 5  # the whole drip takes about 25 s
    assert _incoming(tmp_path / "cache") == []


def test_a_refusal_is_a_verdict_like_not_found_so_the_roles_never_retry_it() -> None:
    # Roles retry ArtifactUnreachableError every round: a refused server would hold them again
    # and again. A refusal is "not served within the bounds", which they already act on.
    assert issubclass(ArtifactRefusedError, ArtifactNotFoundError)


def test_a_refused_source_gives_way_to_the_next_and_is_named_if_none_serves(endless: str, tmp_path: Path) -> None:
    folder = tmp_path / "store"
    store = ArtifactStore(folder)
    store.put_bytes(PAYLOAD)
    cache = ArtifactStore(tmp_path / "cache")
    limits = SMALL._replace(max_bytes=1 << 20)
    assert fetch(f"sha256:{DIGEST}", DIGEST, cache, [endless, str(folder)], limits=limits).read_bytes() == PAYLOAD
    with pytest.raises(ArtifactRefusedError, match=f"{endless}.*more than"):
        fetch(f"sha256:{DIGEST}", DIGEST, ArtifactStore(tmp_path / "other"), [endless], limits=limits)


def test_a_download_without_a_named_hash_has_the_same_bounds(endless: str, tmp_path: Path) -> None:
    with pytest.raises(ArtifactRefusedError, match="more than 4096 bytes"):
        download(f"{endless}/weights.safetensors", ArtifactStore(tmp_path / "cache"), limits=SMALL)


def test_a_local_file_over_the_limit_is_refused_before_it_is_copied(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(PAYLOAD)
    with pytest.raises(ArtifactRefusedError, match="5000 bytes"):
        fetch(str(big), DIGEST, ArtifactStore(tmp_path / "cache"), limits=SMALL)
    assert fetch(str(big), DIGEST, ArtifactStore(tmp_path / "cache")).read_bytes() == PAYLOAD  # default limits


def _answer(status: int, headers: dict[str, str], raw: bytes = b"") -> Callable[[BaseHTTPRequestHandler], None]:
    def body(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(raw)
        handler.close_connection = True

    return body


@pytest.fixture()
def endless_trailer() -> Iterator[str]:
    """A chunked body that ends at once, then a trailer line every 50 ms for 10 s: http.client
    reads trailers inside one read1 call, so a check between reads never runs (it held an
    unguarded fetch for the whole 10 s; without end, forever)."""

    def body(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        handler.wfile.write(b"0\r\n")
        for _ in range(200):
            handler.wfile.write(b"X-Trailer: y\r\n")
            handler.wfile.flush()
            time.sleep(0.05)

    yield from _serve(body)


@pytest.fixture()
def header_drip() -> Iterator[str]:
    """Sends its status line, then one byte of a header every 50 ms for 10 s (urlopen waits for
    the whole header block before the fetch sees a response)."""

    def body(handler: BaseHTTPRequestHandler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(200):
            handler.wfile.write(b"a")
            handler.wfile.flush()
            time.sleep(0.05)

    yield from _serve(body)


@pytest.mark.parametrize("server", ["endless_trailer", "header_drip"])
def test_a_server_that_drips_what_http_client_reads_unseen_is_dropped_too(
    server: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue(server)
    started = time.monotonic()
    with pytest.raises(ArtifactRefusedError, match="bytes/s"):
        download(f"{url}/weights.safetensors", ArtifactStore(tmp_path / "cache"), limits=SMALL)
    assert time.monotonic() - started < 5  # the drip takes 10 s
    assert _incoming(tmp_path / "cache") == []


def test_a_body_cut_short_in_its_chunks_is_a_server_that_did_not_answer_not_a_crash(tmp_path: Path) -> None:
    # http.client raises IncompleteRead, no OSError: it escaped every role's error handling.
    for url in _serve(_answer(200, {"Transfer-Encoding": "chunked"}, b"10\r\nab")):
        with pytest.raises(ArtifactUnreachableError):
            download(f"{url}/weights.safetensors", ArtifactStore(tmp_path / "cache"), limits=SMALL)


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1:1/weights"])
def test_a_redirect_off_http_is_refused(target: str, tmp_path: Path) -> None:
    # urllib follows a redirect to ftp:// with a handler the bounds do not watch (an unreachable
    # one was retried every round), and answers file:// with an error no role acted on: both are
    # now "not served", a verdict.
    for url in _serve(_answer(302, {"Location": target, "Content-Length": "0"})):
        with pytest.raises(ArtifactNotFoundError, match="redirect to 'ftp:|HTTP 302"):
            download(f"{url}/weights.safetensors", ArtifactStore(tmp_path / "cache"), limits=SMALL)


def test_an_http_error_is_not_served_a_verdict_the_roles_act_on(tmp_path: Path) -> None:
    # A plain ArtifactError escaped the validator's evaluation_path: a 403 crashed the validator.
    for url in _serve(_answer(403, {"Content-Length": "0"})):
        with pytest.raises(ArtifactNotFoundError, match="HTTP 403"):
            fetch(f"{url}/sha256/{DIGEST}", DIGEST, ArtifactStore(tmp_path / "cache"), limits=SMALL)


def test_a_source_serving_other_bytes_gives_way_to_the_next(tmp_path: Path) -> None:
    # The first source of a validator's list served junk: it attested an honest requester's set unavailable.
    folder = tmp_path / "store"
    ArtifactStore(folder).put_bytes(PAYLOAD)
    for junk in _serve(_answer(200, {"Content-Length": "4"}, b"junk")):
        fetched = fetch(f"sha256:{DIGEST}", DIGEST, ArtifactStore(tmp_path / "cache"), [junk, str(folder)])
        assert fetched.read_bytes() == PAYLOAD


def test_a_server_that_sends_its_headers_then_nothing_is_refused_not_retried_every_round(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read times out when the grace ends (both 30 s by default): that was "unreachable", retried
    # every round, 30 s each. A server that connected and then fell behind is past the rate floor.
    from offchain.artifacts import client

    monkeypatch.setattr(client, "HTTP_TIMEOUT_S", 1.0)
    stall = threading.Event()
    body = _answer(200, {"Content-Length": "4000"})
    for url in _serve(lambda handler: (body(handler), stall.wait(5))):
        with pytest.raises(ArtifactRefusedError, match="bytes/s"):
            fetch(
                f"{url}/sha256/{DIGEST}", DIGEST, ArtifactStore(tmp_path / "cache"), limits=SMALL._replace(grace_s=1.0)
            )
        stall.set()
