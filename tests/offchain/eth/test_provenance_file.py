"""Proof files as `offchain ledger prove TXID --out FILE` writes them, read for the contracts:
the real file parses to the anchor's payload and proof; hostile files are one-line errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from offchain.eth.errors import InvalidInputError
from offchain.eth.provenance import MAX_PROOF_BYTES, load_proof
from offchain.ledger import api
from offchain.ledger.hashing import hex_to_hash
from offchain.ledger.params import DEVNET

PAYLOAD = hashlib.sha256(b"training set").digest()


@pytest.fixture(scope="module")
def proven(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    datadir = str(tmp_path_factory.mktemp("ledger"))
    api.init_chain(datadir)
    api.mine(datadir, DEVNET.coinbase_maturity + 1, processes=0)
    txid = api.anchor(datadir, PAYLOAD, "dataset", fee=DEVNET.min_fee)
    api.mine(datadir, 2, processes=0)
    return api.prove(datadir, txid)


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "proof.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _error(path: Path) -> str:
    with pytest.raises(InvalidInputError) as caught:
        load_proof(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_proof_file_gives_the_contracts_arguments(proven: dict[str, Any], tmp_path: Path) -> None:
    proof = load_proof(_write(tmp_path, proven))

    assert proof.payload == PAYLOAD
    assert proof.transaction == bytes.fromhex(proven["tx"])
    assert proof.block_hash == hex_to_hash(proven["block_hash"])  # internal order, as the relay takes it
    assert proof.block_hash_hex == proven["block_hash"]
    assert proof.index == 1 and proof.height == proven["height"]
    assert proof.as_tuple() == (proof.transaction, proof.block_hash, 1, [hex_to_hash(h) for h in proven["branch"]])


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    assert "cannot read proof" in _error(tmp_path / "nothing.json")


def test_an_oversized_file_is_refused_unread(tmp_path: Path) -> None:
    assert "larger than" in _error(_write(tmp_path, " " * (MAX_PROOF_BYTES + 1)))


@pytest.mark.parametrize("text", ["not json", "\xff\xfe", "[1, 2]", "null", '"proof"'])
def test_what_is_not_a_proof_object_is_refused(tmp_path: Path, text: str) -> None:
    assert "proof" in _error(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"tx": None}, "tx is not a hex string"),
        ({"chain": "mainnet"}, "unknown ledger chain"),
        ({"index": -1}, "index is not a non-negative integer"),
        ({"index": True}, "index is not a non-negative integer"),
        ({"height": "7"}, "height is not a non-negative integer"),
        ({"branch": "ab"}, "branch is not a list"),
        ({"branch": [None]}, "branch is not a list"),
        ({"index": 2}, "does not hold together"),
        ({"tx": "zz"}, "does not hold together"),
        ({"branch": ["00" * 32] * 40}, "longer than any block"),
    ],
)
def test_malformed_fields_are_refused(
    proven: dict[str, Any], tmp_path: Path, change: dict[str, Any], expected: str
) -> None:
    assert expected in _error(_write(tmp_path, {**proven, **change}))


def test_a_missing_key_names_it(proven: dict[str, Any], tmp_path: Path) -> None:
    assert "lacks branch" in _error(_write(tmp_path, {k: v for k, v in proven.items() if k != "branch"}))


def test_a_tampered_payload_no_longer_hashes_to_the_txid(proven: dict[str, Any], tmp_path: Path) -> None:
    raw = bytearray(bytes.fromhex(proven["tx"]))
    raw[20] ^= 1

    assert "does not hash to the txid" in _error(_write(tmp_path, {**proven, "tx": raw.hex()}))


def test_a_tampered_branch_does_not_reach_the_root(proven: dict[str, Any], tmp_path: Path) -> None:
    branch = ["00" * 32, *proven["branch"][1:]]

    assert "does not lead from the txid" in _error(_write(tmp_path, {**proven, "branch": branch}))


def test_a_proven_coinbase_is_not_an_anchor(tmp_path: Path) -> None:
    datadir = str(tmp_path / "ledger")
    api.init_chain(datadir)
    api.mine(datadir, 1, processes=0)
    status = api.status(datadir)
    from offchain.ledger.chain import Chain

    chain = Chain.open(datadir)
    try:
        coinbase = chain.block(hex_to_hash(status["tip"])).txs[0].txid
        proof = chain.proof(coinbase)
    finally:
        chain.close()

    assert "not an anchor" in _error(_write(tmp_path, proof))
