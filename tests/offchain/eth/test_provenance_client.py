"""The provenance wrappers on an in-process EVM with deploy_all's contracts: the relay deploy_all
deployed follows a Python ledger; a training set anchored there is posted with its proof and a
model marked, read back with live confirmations; bad proofs stop before any transaction."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from offchain.eth.client import Client, in_process
from offchain.eth.commitment import evaluation_seal
from offchain.eth.deploy import deploy_all
from offchain.eth.errors import InvalidInputError
from offchain.eth.market import MarketClient
from offchain.eth.provenance import Provenance, check_against_relay, load_proof
from offchain.eth.registry import RegistryClient
from offchain.ledger import api
from offchain.ledger.chain import Chain
from offchain.ledger.params import DEVNET

TRAIN = hashlib.sha256(b"training set").digest()
MODEL = hashlib.sha256(b"model").digest()
BASE = hashlib.sha256(b"base").digest()


def _relay_headers(datadir: str, relay: Any) -> None:
    """Submit the ledger's main chain above what the relay holds (parents first)."""
    chain = Chain.open(datadir)
    try:
        tip = chain.tip()
        start = relay.best_tip().height + 1
        headers = [chain.ancestor(tip, h).header.serialize() for h in range(start, tip.height + 1)]
    finally:
        chain.close()
    if headers:
        relay.submit_headers(headers)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("provenance")
    client: Client = in_process()
    deployment = deploy_all(client, tmp / "deployments")
    registry = RegistryClient(client, deployment.contract("ModelRegistry").address)
    market = MarketClient.of(client, deployment)
    relay = registry.relay()
    assert relay is not None
    datadir = str(tmp / "ledger")
    api.init_chain(datadir)
    api.mine(datadir, DEVNET.coinbase_maturity + 1, processes=0)
    proofs: dict[str, Path] = {}
    for name, payload in (("train", TRAIN), ("model", MODEL)):
        txid = api.anchor(datadir, payload, name, fee=DEVNET.min_fee)
        api.mine(datadir, 1, processes=0)
        proofs[name] = tmp / f"{name}.json"
        proofs[name].write_text(json.dumps(api.prove(datadir, txid)))
    api.mine(datadir, 1, processes=0)
    _relay_headers(datadir, relay)
    registry.register(BASE, None, TRAIN, 5000, "file:///base")
    return {
        "client": client,
        "deployment": deployment,
        "registry": registry,
        "market": market,
        "relay": relay,
        "proofs": proofs,
    }


def _terms(world: dict[str, Any], training_set: bytes = TRAIN) -> dict[str, Any]:
    now = int(world["client"].w3.eth.get_block("latest")["timestamp"])
    return {
        "base_model": BASE,
        "training_set": training_set,
        "evaluation_seal": evaluation_seal(hashlib.sha256(b"eval").digest(), bytes(32)),
        "spec": hashlib.sha256(b"spec").digest(),
        "min_score_bps": 5000,
        "deadlines": (now + 100, now + 200, now + 300, now + 400),
        "min_stake": 10**17,
        "committee_size": 3,
        "reward": 10**18,
    }


def test_deploy_all_deploys_the_relay_first_and_the_registry_holds_it(world: dict[str, Any]) -> None:
    deployment = world["deployment"]

    assert world["registry"].relay_address() == deployment.contract("LedgerRelay").address
    assert deployment.contract("LedgerRelay").block < deployment.contract("ModelRegistry").block
    assert world["relay"].min_confirmations() == 2


def test_a_job_posted_with_provenance_reads_back_with_live_confirmations(world: dict[str, Any]) -> None:
    market, relay = world["market"], world["relay"]
    proof = load_proof(world["proofs"]["train"])

    job_id = market.post_job(**_terms(world), proof=proof)

    found = market.training_set_provenance(job_id, relay)
    assert found is not None and found.height == proof.height and found.block_hash == proof.block_hash_hex
    assert found.confirmations == relay.confirmations(proof.block_hash_hex) == found.confirmations_at_mark == 3
    assert found.proven and found.work == relay.confirmation_work(proof.block_hash_hex) > 0
    line = found.line("training set")
    assert f"anchored at ledger block {proof.height}, 3 confirmations ({found.work:,} hashes of work), verified" in line
    plain = market.post_job(**_terms(world))
    assert market.training_set_provenance(plain, relay) is None


def test_a_proof_of_another_hash_stops_before_sending(world: dict[str, Any]) -> None:
    count = world["market"].job_count()

    with pytest.raises(InvalidInputError, match="not the training set"):
        world["market"].post_job(**_terms(world), proof=load_proof(world["proofs"]["model"]))
    assert world["market"].job_count() == count


def test_a_model_is_marked_from_its_proof_file(world: dict[str, Any]) -> None:
    registry, relay = world["registry"], world["relay"]
    registry.register(MODEL, BASE, TRAIN, 8000, "file:///model")
    proof = load_proof(world["proofs"]["model"])

    registry.mark_anchored(proof)

    found = registry.anchor_of(MODEL, relay)
    assert found is not None and (found.height, found.confirmations) == (proof.height, 2)
    assert found.proven and found.required == 2 and found.work == relay.confirmation_work(proof.block_hash_hex) > 0
    assert registry.anchor_of(BASE, relay) is None


def test_too_few_confirmations_on_the_relay_is_one_line(world: dict[str, Any]) -> None:
    class Behind:
        def confirmations(self, block_hash: str) -> int:
            return 1

        def min_confirmations(self) -> int:
            return 2

    with pytest.raises(InvalidInputError, match="1 confirmation\\(s\\) on the relay, it requires 2"):
        check_against_relay(load_proof(world["proofs"]["train"]), Behind())


def test_a_block_off_the_main_chain_is_said_plainly() -> None:
    flipped = Provenance(block_hash="ab" * 32, height=7, account="0x" + "00" * 20, confirmations=0, required=2)
    line = flipped.line("model")

    assert "no longer on the relay's main chain" in line and "ledger block 7" in line
    assert line.startswith("model anchor UNPROVEN") and "verified on-chain" not in line
    assert not flipped.proven and not flipped.as_json()["verified_on_chain"] and not flipped.as_json()["proven"]


def test_too_few_confirmations_now_read_unproven() -> None:
    shallow = Provenance(block_hash="ab" * 32, height=7, account="0x" + "00" * 20, confirmations=1, required=2)

    assert not shallow.proven
    assert "UNPROVEN" in shallow.line("training set") and "1 of the 2 confirmations" in shallow.line("training set")
    deep = Provenance(block_hash="ab" * 32, height=7, account="0x" + "00" * 20, confirmations=2, required=2, work=1024)
    assert deep.proven and "2 confirmations (1,024 hashes of work), verified on-chain" in deep.line("model")
