"""The provenance wrappers on an in-process EVM with deploy_all's contracts: the relay deploy_all
deployed follows a Python ledger; a training set anchored there is posted with its proof and a
model marked, read back with live confirmations; bad proofs stop before any transaction."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from offchain.eth.client import Client, in_process
from offchain.eth.commitment import evaluation_seal
from offchain.eth.deploy import deploy_all
from offchain.eth.errors import InvalidInputError
from offchain.eth.job_terms import JobTerms
from offchain.eth.market import MarketClient
from offchain.eth.provenance import AnchorProof, Provenance, check_against_relay, load_proof
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
        "datadir": datadir,
        "deployments": tmp / "deployments",
        "deployment": deployment,
        "registry": registry,
        "market": market,
        "relay": relay,
        "proofs": proofs,
    }


def _terms(world: dict[str, Any], proof: AnchorProof | None = None, pooled: bool = False) -> JobTerms:
    now = int(world["client"].w3.eth.get_block("latest")["timestamp"])
    return JobTerms(
        base_model=BASE,
        training_set=TRAIN,
        evaluation_seal=evaluation_seal(hashlib.sha256(b"eval").digest(), bytes(32)),
        spec=hashlib.sha256(b"spec").digest(),
        min_score_bps=5000,
        deadlines=(now + 100, now + 200, now + 300, now + 400),
        min_stake=10**17,
        committee_size=3,
        reward=10**18,
        proof=proof,
        pooled=pooled,
    )


def test_deploy_all_deploys_the_relay_first_and_the_registry_holds_it(world: dict[str, Any]) -> None:
    deployment = world["deployment"]

    assert world["registry"].relay_address() == deployment.contract("LedgerRelay").address
    assert deployment.contract("LedgerRelay").block < deployment.contract("ModelRegistry").block
    assert world["relay"].min_confirmations() == 2


def test_a_job_posted_with_provenance_reads_back_with_live_confirmations(world: dict[str, Any]) -> None:
    market, relay = world["market"], world["relay"]
    proof = load_proof(world["proofs"]["train"])

    job_id = market.post_job(_terms(world, proof))

    found = market.training_set_provenance(job_id, relay)
    assert found is not None and found.height == proof.height and found.block_hash == proof.block_hash_hex
    assert found.confirmations == relay.confirmations(proof.block_hash_hex) == found.confirmations_at_mark == 3
    assert found.proven and found.work == relay.confirmation_work(proof.block_hash_hex) > 0
    assert found.work_at_mark == found.work  # the event states the work of the confirmations it counted
    assert found.final is None  # a job's proof is re-checked live: nothing recorded becomes final
    line = found.line("training set")
    assert f"anchored at ledger block {proof.height}, 3 confirmations ({found.work:,} hashes of work), verified" in line
    plain = market.post_job(_terms(world))
    assert market.training_set_provenance(plain, relay) is None


def test_a_sealed_pooled_job_carries_its_manifests_proof(world: dict[str, Any]) -> None:
    # The demo's post (issues 20 and 26): pooled, anchored and sealed, through one postSealedCall.
    from offchain.eth.exchange import ExchangeClient
    from offchain.sealed.curve import new_key_pair

    market, relay = world["market"], world["relay"]

    job_id = ExchangeClient(market).post_sealed_job(
        new_key_pair(), _terms(world, load_proof(world["proofs"]["train"]), pooled=True)
    )

    posted_block = world["client"].w3.eth.block_number  # the post is the last transaction mined
    assert market.is_sealed(job_id) and market.pooled_seed_block(job_id) == posted_block + 1
    found = market.training_set_provenance(job_id, relay)
    assert found is not None and found.proven


def test_a_proof_of_another_hash_stops_before_sending(world: dict[str, Any]) -> None:
    count = world["market"].job_count()

    with pytest.raises(InvalidInputError, match="not the training set"):
        world["market"].post_job(_terms(world, load_proof(world["proofs"]["model"])))
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
    # Not final for a day: until then another account's main-chain anchor replaces it if its block leaves.
    marked_at = registry.contract.functions.anchorOf(MODEL).call()[3]
    assert found.final is False and found.final_at == marked_at + 86_400
    assert found.as_json()["final"] is False and "; the record is final from " in found.line("model")


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


# --- `offchain relay deploy` after deploy_all (issue 22 item 4): the registry keeps its relay ---


def test_relay_deploy_leaves_the_relay_the_registry_keeps_in_the_deployment(world: dict[str, Any]) -> None:
    from offchain.eth.deploy import deploy_genesis_relay
    from offchain.eth.errors import DeploymentError

    recorded = _deployment_text(world)

    with pytest.raises(DeploymentError, match="keeps the LedgerRelay at .* for good"):
        deploy_genesis_relay(world["client"], "devnet", 2, world["deployments"])
    assert _deployment_text(world) == recorded


def test_a_standalone_relay_is_deployed_beside_the_deployment_not_into_it(world: dict[str, Any]) -> None:
    from offchain.eth.deploy import deploy_genesis_relay

    recorded = _deployment_text(world)

    address = deploy_genesis_relay(world["client"], "devnet", 2, world["deployments"], standalone=True)

    assert address != world["registry"].relay_address()
    assert _deployment_text(world) == recorded


def test_a_proof_on_another_relay_than_the_registrys_names_both(world: dict[str, Any]) -> None:
    from offchain.eth.deploy import deploy_genesis_relay
    from offchain.eth.relay import RelayClient

    client, datadir = world["client"], world["datadir"]
    fed = RelayClient(client, deploy_genesis_relay(client, "devnet", 2, world["deployments"], standalone=True))
    txid = api.anchor(datadir, hashlib.sha256(b"fed elsewhere").digest(), "train", fee=DEVNET.min_fee)
    api.mine(datadir, 3, processes=0)
    proof_path = world["deployments"].parent / "elsewhere.json"
    proof_path.write_text(json.dumps(api.prove(datadir, txid)))
    _relay_headers(datadir, fed)  # the relayer feeds another relay than the registry's
    registry_relay = world["relay"]

    with pytest.raises(InvalidInputError) as refused:
        check_against_relay(load_proof(proof_path), registry_relay, fed=fed)

    message = str(refused.value)
    assert registry_relay.address in message and fed.address in message and "for good" in message
    assert "is the relayer running" not in message


def test_a_relay_behind_the_proof_says_how_far_it_got(world: dict[str, Any]) -> None:
    relay = world["relay"]
    tip = relay.best_tip().height

    class Behind:
        address = relay.address

        def confirmations(self, block_hash: str) -> int:
            return 0

        def min_confirmations(self) -> int:
            return 2

        def best_tip(self) -> Any:
            return relay.best_tip()

    proof = load_proof(world["proofs"]["train"])
    far = dataclasses.replace(proof, height=tip + 5)

    with pytest.raises(InvalidInputError, match=f"holds the ledger up to height {tip}"):
        check_against_relay(far, Behind())


def _deployment_text(world: dict[str, Any]) -> str:
    [path] = world["deployments"].glob("*.json")
    return path.read_text()


def test_a_line_says_the_confirmations_it_was_verified_with_and_those_since() -> None:
    # The demo printed "2 confirmations" at post and "4" in summary.md for one anchor.
    at_post = Provenance(
        block_hash="ab" * 32, height=7, account="0x" + "00" * 20, confirmations=2, confirmations_at_mark=2
    )
    later = dataclasses.replace(at_post, confirmations=4)

    assert "2 confirmations, verified on-chain" in at_post.line("training set")
    assert "4 confirmations (2 when first verified), verified on-chain" in later.line("training set")


def test_a_line_says_the_work_it_was_verified_with_and_whether_the_record_is_final() -> None:
    at_mark = Provenance(
        block_hash="ab" * 32,
        height=7,
        account="0x" + "00" * 20,
        confirmations=4,
        confirmations_at_mark=2,
        work=4096,
        work_at_mark=2048,
        final_at=86_400,
        final=False,
    )

    assert "4 confirmations (4,096 hashes of work) (2, 2,048 hashes when first verified)" in at_mark.line("model")
    assert at_mark.line("model").endswith(
        "; the record is final from 1970-01-02 00:00 UTC (until then a main-chain "
        "anchor replaces it if this block leaves)"
    )
    assert dataclasses.replace(at_mark, final=True).line("model").endswith("; the record is final")
    flipped = dataclasses.replace(at_mark, confirmations=0, final=True)
    assert flipped.line("model").startswith("model anchor UNPROVEN") and flipped.line("model").endswith("final")


# --- a flipped anchor (issue 21, hole 2): the job's and the model's read unproven, live ---------


def test_a_flipped_anchor_reads_unproven_for_the_job_and_the_model(world: dict[str, Any]) -> None:
    # Last in the module: it leaves the relay on a side branch.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ledger"))
    from ledger_helpers import make_block

    market, registry, relay = world["market"], world["registry"], world["relay"]
    train, model = load_proof(world["proofs"]["train"]), load_proof(world["proofs"]["model"])
    if not registry.is_registered(MODEL):
        registry.register(MODEL, BASE, TRAIN, 8000, "file:///model")
    if registry.anchor_of(MODEL, relay) is None:
        registry.mark_anchored(model)
    job_id = market.post_job(_terms(world, train))
    assert market.training_set_provenance(job_id, relay).proven  # type: ignore[union-attr]
    # A heavier branch from below both anchors, sent to the relay alone (the ledger keeps its chain).
    chain = Chain.open(world["datadir"])
    try:
        parent = chain.ancestor(chain.tip(), train.height - 1)
        side = []
        for _ in range(chain.tip().height - parent.height + 1):
            block = make_block(chain, parent, extra_nonce=7, spacing=1)
            side.append(block.header.serialize())
            parent = dataclasses.replace(parent, hash=block.hash, header=block.header, height=parent.height + 1)
    finally:
        chain.close()
    relay.submit_headers(side)

    job = market.training_set_provenance(job_id, relay)
    anchor = registry.anchor_of(MODEL, relay)

    assert job is not None and anchor is not None
    for found, what in ((job, "training set"), (anchor, "model")):
        assert found.confirmations == 0 and found.work == 0 and not found.proven
        assert found.line(what).startswith(f"{what} anchor UNPROVEN") and not found.as_json()["verified_on_chain"]
    assert job.confirmations_at_mark and job.work_at_mark  # what held at post is still said
