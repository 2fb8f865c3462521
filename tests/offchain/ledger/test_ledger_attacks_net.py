"""Attacks through the network and the proof checker (issue 11, items 9, 10, 12 and 13)."""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import extend, solve

import offchain.ledger.node as node_module
from offchain.ledger.chain import Chain
from offchain.ledger.cli import main
from offchain.ledger.errors import PeerError
from offchain.ledger.hashing import hash_to_hex
from offchain.ledger.node import Node, request_json
from offchain.ledger.tx import KIND_ANCHOR, Transaction, sign


@contextmanager
def fake_peer(answer: Callable[[str], tuple[int, bytes]]) -> Iterator[tuple[str, list[str]]]:
    """A peer that answers GET requests with `answer(path)`; yields its URL and request log."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

        def do_GET(self) -> None:  # noqa: N802
            seen.append(self.path)
            status, body = answer(self.path)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_peer_serving_a_known_header_for_ever_cannot_loop_sync(chain: Chain) -> None:
    """Attack 9a: a peer claiming more work and re-serving a header we have looped sync."""
    block = extend(chain, 1)[0]

    def answer(path: str) -> tuple[int, bytes]:
        if len(seen) > 300:
            return 500, b'{"error": "enough"}'
        if path.startswith("/tip"):
            return 200, json.dumps({"hash": "00" * 32, "height": 10**6, "work": "f" * 60, "bits": "1f7fffff"}).encode()
        if path.startswith("/headers"):
            return 200, json.dumps({"headers": [block.header.serialize().hex()]}).encode()
        return 200, json.dumps({"hex": block.serialize().hex()}).encode()

    with fake_peer(answer) as (url, seen):
        Node(chain, peers=[url]).sync_once()
        assert len(seen) <= 20, f"sync sent {len(seen)} requests to a stuck peer"


def test_an_honest_fork_whose_first_batch_has_less_work_syncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Attack 9b: the locator came from our main chain only, so a long fork never synced."""
    monkeypatch.setattr(node_module, "MAX_HEADERS", 4)
    ours = Chain.open(tmp_path / "ours", "devnet", create=True)
    theirs = Chain.open(tmp_path / "theirs", "devnet", create=True)
    extend(ours, 6, extra_nonce=1)
    extend(theirs, 11, extra_nonce=2)
    peer = Node(theirs).start()
    node = Node(ours, peers=[peer.url])
    try:
        worker = threading.Thread(target=node.sync_once, daemon=True)
        worker.start()
        worker.join(timeout=30)
        assert not worker.is_alive(), "sync never finished"
        assert ours.tip().hash == theirs.tip().hash
        ours.verify_db()
    finally:
        peer.stop()
        theirs.close()
        if not worker.is_alive():
            ours.close()


def test_an_oversized_reply_is_refused_without_reading_it_all() -> None:
    """Attack 9c: `/tip` replies were read whole whatever their size."""
    huge = json.dumps({"work": "1", "pad": "x" * (20 << 20)}).encode()
    with fake_peer(lambda path: (200, huge)) as (url, _):
        with pytest.raises(PeerError, match="large"):
            request_json(url, "/tip")


def raw_post(url: str, path: str, body: bytes, length: str | None = None) -> tuple[int, Any]:
    """POST with a hand-written Content-Length; returns (status, decoded JSON body)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body) if length is None else length}\r\n"
            "Connection: close\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    assert reply, "the node dropped the connection without an answer"
    status = int(reply.split(b" ", 2)[1])
    return status, json.loads(reply.split(b"\r\n\r\n", 1)[1])


def test_a_negative_content_length_is_refused(chain: Chain) -> None:
    """Attack 10a: `Content-Length: -1` made the node read to EOF past the 8 MiB limit."""
    free = sign(Transaction(kind=KIND_ANCHOR, payload=bytes(32), tag="x"), b"\x07" * 32, b"OFLD")
    node = Node(chain).start()
    try:
        body = json.dumps({"hex": free.serialize().hex()}).encode()
        status, answer = raw_post(node.url, "/tx", body, length="-1")
        assert 400 <= status < 500 and "Content-Length" in answer["error"]
        status, answer = raw_post(node.url, "/tx", body, length="abc")
        assert 400 <= status < 500 and "error" in answer
    finally:
        node.stop()


@pytest.mark.parametrize("body", [b"[]", b'"x"', b'{"hex": 5}', b"{}", b"null", b'{"hex": "zz"}'])
@pytest.mark.parametrize("path", ["/tx", "/block"])
def test_a_body_of_the_wrong_shape_gets_a_json_error(chain: Chain, body: bytes, path: str) -> None:
    """Attack 10b: bodies of the wrong JSON shape dropped the connection with a traceback."""
    node = Node(chain).start()
    try:
        status, answer = raw_post(node.url, path, body)
        assert status == 400 and isinstance(answer["error"], str)
    finally:
        node.stop()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture()
def anchored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, dict[str, Any]]:
    """A data folder with one anchor mined and its proof."""
    d = str(tmp_path / "d")
    assert run(capsys, "init", "--datadir", d)[0] == 0
    chain = Chain.open(d)
    maturity = int(getattr(chain.params, "coinbase_maturity", 0))
    fee = str(max(int(getattr(chain.params, "min_fee", 0)), 1))
    chain.close()
    assert run(capsys, "mine", "--blocks", str(maturity + 1), "--processes", "0", "--datadir", d)[0] == 0
    code, out, err = run(
        capsys, "anchor", "--payload", "ab" * 32, "--tag", "model", "--fee", fee, "--json", "--datadir", d
    )
    assert code == 0, err
    txid = json.loads(out)["txid"]
    run(capsys, "mine", "--blocks", "2", "--processes", "0", "--datadir", d)
    code, out, _ = run(capsys, "prove", txid, "--datadir", d)
    return d, json.loads(out)


def test_a_proof_whose_header_is_on_no_chain_is_refused(
    anchored: tuple[str, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Attack 12a: a proof file was accepted with a header mined on a random parent."""
    d, proof = anchored
    from offchain.ledger.block import BlockHeader

    header = BlockHeader.from_hex(proof["header"])
    forged_header = solve(replace(header, prev_hash=b"\x42" * 32, bits=0x1F7FFFFF))
    forged = {**proof, "header": forged_header.serialize().hex(), "block_hash": hash_to_hex(forged_header.hash)}
    genuine_file, forged_file = tmp_path / "genuine.json", tmp_path / "forged.json"
    genuine_file.write_text(json.dumps(proof))
    forged_file.write_text(json.dumps(forged))

    assert run(capsys, "verify-proof", "--proof", str(forged_file))[0] != 0
    code, out, _ = run(capsys, "verify-proof", "--proof", str(forged_file), "--datadir", d)
    assert code == 1 and "chain" in out
    code, out, _ = run(capsys, "verify-proof", "--proof", str(genuine_file), "--datadir", d, "--json")
    assert code == 0 and json.loads(out)["confirmations"] == 2


def test_the_bare_branch_check_says_what_it_is_and_refuses_an_inner_node(
    anchored: tuple[str, dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Attack 12b: an inner node passed off as a txid, with a branch one level short."""
    _, proof = anchored
    args = [
        "verify-proof",
        "--txid",
        proof["txid"],
        "--root",
        proof["merkle_root"],
        "--index",
        str(proof["index"]),
        "--branch",
        ",".join(proof["branch"]),
    ]
    code, out, _ = run(capsys, *args)
    assert code == 1 and "depth" in out  # a bare txid: nothing proves the tree's depth
    code, out, _ = run(capsys, *args, "--tx", proof["tx"])
    assert code == 0 and "Merkle branch only" in out
    inner = [
        "verify-proof",
        "--txid",
        proof["merkle_root"],
        "--root",
        proof["merkle_root"],
        "--index",
        "0",
        "--branch",
        "",
    ]
    assert run(capsys, *inner)[0] == 1
    code, out, _ = run(capsys, *inner, "--tx-count", "1")  # a claimed count that fits proves nothing
    assert code == 1 and "depth" in out
    code, out, _ = run(capsys, *inner, "--tx-count", str(proof["tx_count"]))
    assert code == 1 and "depth" in out


def test_an_unsupported_method_or_bad_hash_gets_a_json_error(chain: Chain) -> None:
    """Attack 10c: every bad request gets a 4xx and a JSON error, not an HTML page."""
    node = Node(chain).start()
    try:
        for method, path in (("PUT", "/tx"), ("DELETE", "/block"), ("GET", "/block/zz")):
            request = urllib.request.Request(node.url + path, method=method)
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(request, timeout=10)
            assert 400 <= caught.value.code < 500
            assert isinstance(json.loads(caught.value.read())["error"], str)
    finally:
        node.stop()
