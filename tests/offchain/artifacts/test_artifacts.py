from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from offchain.artifacts.client import fetch, upload
from offchain.artifacts.errors import (
    ArtifactNotFoundError,
    ArtifactUnreachableError,
    HashMismatchError,
    InvalidURIError,
)
from offchain.artifacts.server import ArtifactServer
from offchain.artifacts.store import ArtifactStore

DATA = b"weights of a fine-tuned model" * 1000
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ArtifactServer]:
    srv = ArtifactServer(ArtifactStore(tmp_path / "served"))
    srv.start_in_thread()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_store_names_content_by_its_sha256(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)

    digest = store.put_bytes(DATA)

    assert digest == DIGEST
    assert store.get(digest).read_bytes() == DATA


def test_store_leaves_no_partial_file_when_the_hash_mismatches(tmp_path: Path) -> None:
    store = ArtifactStore(tmp_path)

    with pytest.raises(HashMismatchError):
        store.put_stream([DATA], expected="00" * 32)

    assert os.listdir(tmp_path) == []


def test_fetch_of_a_local_path_verifies_and_caches(tmp_path: Path) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(DATA)

    path = fetch(str(source), DIGEST, ArtifactStore(tmp_path / "cache"))

    assert path.read_bytes() == DATA
    assert path.name == DIGEST


def test_fetch_rejects_a_tampered_local_file(tmp_path: Path) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(DATA + b"!")

    with pytest.raises(HashMismatchError, match=f"expected sha256:{DIGEST}"):
        fetch(str(source), DIGEST, ArtifactStore(tmp_path / "cache"))


def test_http_round_trip_through_the_server(server: ArtifactServer, tmp_path: Path) -> None:
    source = tmp_path / "model.bin"
    source.write_bytes(DATA)

    digest = upload(server.url, source)
    path = fetch(server.uri_for(digest), digest, ArtifactStore(tmp_path / "cache"))

    assert path.read_bytes() == DATA


def test_sha256_uri_resolves_through_configured_sources(server: ArtifactServer, tmp_path: Path) -> None:
    server.store.put_bytes(DATA)

    path = fetch(f"sha256:{DIGEST}", DIGEST, ArtifactStore(tmp_path / "cache"), [str(tmp_path / "nowhere"), server.url])

    assert path.read_bytes() == DATA


def test_server_refuses_a_put_whose_body_does_not_match_the_hash(server: ArtifactServer) -> None:
    request = urllib.request.Request(f"{server.url}/sha256/{'00' * 32}", data=DATA, method="PUT")

    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)

    assert caught.value.code == 400
    assert not server.store.has("00" * 32)


def test_server_post_answers_with_the_hash(server: ArtifactServer) -> None:
    request = urllib.request.Request(f"{server.url}/sha256/", data=DATA, method="POST")

    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read()) == {"sha256": DIGEST}


def test_a_server_that_serves_tampered_bytes_is_caught(server: ArtifactServer, tmp_path: Path) -> None:
    digest = server.store.put_bytes(DATA)
    server.store.get(digest).write_bytes(b"tampered")  # the server's disk is not to be trusted

    with pytest.raises(HashMismatchError):
        fetch(server.uri_for(digest), digest, ArtifactStore(tmp_path / "cache"))

    assert not ArtifactStore(tmp_path / "cache").has(digest)


def test_missing_artifact_is_reported(server: ArtifactServer, tmp_path: Path) -> None:
    with pytest.raises(ArtifactNotFoundError, match="HTTP 404"):
        fetch(server.uri_for(DIGEST), DIGEST, ArtifactStore(tmp_path / "cache"))


def test_bad_hash_text_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidURIError):
        fetch("x", "not-a-hash", ArtifactStore(tmp_path))


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens there once the socket closes


def test_an_unreachable_server_is_not_a_missing_artifact(tmp_path: Path) -> None:
    down = f"http://127.0.0.1:{_closed_port()}"

    with pytest.raises(ArtifactUnreachableError):
        fetch(f"sha256:{DIGEST}", DIGEST, ArtifactStore(tmp_path), [down])
    with pytest.raises(ArtifactUnreachableError):
        fetch(f"{down}/sha256/{DIGEST}", DIGEST, ArtifactStore(tmp_path))


def test_a_missing_artifact_beside_an_unreachable_source_may_still_exist(
    server: ArtifactServer, tmp_path: Path
) -> None:
    down = f"http://127.0.0.1:{_closed_port()}"

    with pytest.raises(ArtifactUnreachableError):
        fetch(f"sha256:{DIGEST}", DIGEST, ArtifactStore(tmp_path / "cache"), [server.url, down])


def test_a_sha256_uri_with_no_source_says_to_pass_one(tmp_path: Path) -> None:
    # `job post` of a base registered as sha256:<hex> (README's register commands) without
    # --source said "not found in no configured source", which names no way out.
    with pytest.raises(ArtifactNotFoundError, match=r"no --source given: pass --source URL"):
        fetch(f"sha256:{DIGEST}", DIGEST, ArtifactStore(tmp_path / "cache"), [])
