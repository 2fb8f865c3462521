"""The relay's Bitcoin vectors, checked by the Python ledger first: the contract tests
(tests/contracts/relay) trust only data that the ledger's own rules accept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from offchain.ledger import api
from offchain.ledger.block import BlockHeader
from offchain.ledger.errors import UnexpectedBits
from offchain.ledger.hashing import hash_to_hex, hex_to_hash
from offchain.ledger.headers import verify_header_run
from offchain.ledger.merkle import branch_root
from offchain.ledger.params import BITCOIN

VECTORS = Path(__file__).resolve().parents[2] / "contracts" / "relay" / "data" / "bitcoin_relay_vectors.json"
NOW = 2_000_000_000  # a clock after every vector (the future-time rule is not under test)


@pytest.fixture(scope="module")
def vectors() -> dict[str, Any]:
    return json.loads(VECTORS.read_text())


def _run(case: dict[str, Any], headers: list[str]) -> Any:
    run = [BlockHeader.from_hex(case["checkpoint"]["hex"])] + [BlockHeader.from_hex(h) for h in headers]
    period = BlockHeader.from_hex(case["period_start"]["hex"])
    return verify_header_run(BITCOIN, run, case["checkpoint"]["height"], period, now=NOW)


def test_headers_across_the_retarget_at_554400_are_valid(vectors: dict[str, Any]) -> None:
    case = vectors["retarget_554400"]

    report = _run(case, case["headers"])

    assert report.height == 554408
    assert report.tip.hash_hex == "0000000000000000002955f34256d46a3b73171b71d5b4fc384b4b9cf966e46d"
    assert BlockHeader.from_hex(case["headers"][9]).bits == 0x17371EF4


def test_the_retarget_needs_the_true_period_start(vectors: dict[str, Any]) -> None:
    case = dict(vectors["retarget_554400"])
    case["period_start"] = case["checkpoint"]  # a real header (valid work), from the wrong height

    with pytest.raises(UnexpectedBits):
        _run(case, case["headers"])


def test_headers_across_the_retarget_at_437472_and_the_stale_block_are_valid(vectors: dict[str, Any]) -> None:
    case = vectors["fork_437478"]
    main = case["headers"]

    report = _run(case, main)
    stale = _run(case, main[:11] + [case["stale"]["hex"]])

    assert report.height == 437479
    assert stale.height == 437478
    assert stale.tip.hash != BlockHeader.from_hex(main[11]).hash
    assert stale.work == _run(case, main[:12]).work  # equal work: first seen wins


def test_the_spv_proof_of_block_592920_verifies(vectors: dict[str, Any]) -> None:
    proof = vectors["spv_592920"]

    assert api.verify_proof(proof)
    assert not api.verify_proof(proof | {"index": proof["index"] + 1})


def _inner_node_proof(proof: dict[str, Any], levels: int) -> dict[str, Any]:
    """The node `levels` above the transaction posing as one, with the rest of the branch and a
    transaction count that fits its shorter depth: a claimed count proves nothing (issue 21, hole 7)."""
    branch = [hex_to_hash(h) for h in proof["branch"]]
    node = branch_root(hex_to_hash(proof["txid"]), proof["index"] % (1 << levels), branch[:levels])
    assert node is not None
    depth = len(branch) - levels
    return {key: value for key, value in proof.items() if key not in ("tx", "tx_count")} | {
        "txid": hash_to_hex(node),
        "index": proof["index"] >> levels,
        "branch": proof["branch"][levels:],
        "tx_count": 1 << depth,
    }


def test_an_inner_node_posing_as_a_transaction_is_refused(vectors: dict[str, Any]) -> None:
    proof = vectors["spv_592920"]

    for levels in range(1, len(proof["branch"]) + 1):
        assert not api.verify_proof(_inner_node_proof(proof, levels))


def test_a_bare_txid_verifies_with_another_transaction_of_the_block_proving_the_depth(
    vectors: dict[str, Any],
) -> None:
    proof = vectors["spv_592920"]
    bare = {key: value for key, value in proof.items() if key != "tx"}
    witness = {"tx": proof["tx"], "index": proof["index"], "branch": proof["branch"]}

    assert not api.verify_proof(bare)  # nothing says how deep the tree is
    assert api.verify_proof(bare | {"depth_proof": witness})
    inner = _inner_node_proof(proof, 1)
    assert not api.verify_proof(inner | {"depth_proof": witness})
    assert not api.verify_proof(bare | {"depth_proof": witness | {"tx": "00" * 64}})
