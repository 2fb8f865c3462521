"""postJobWithProvenance: a job posted with an anchor proof of its training set, verified by the
registry's LedgerRelay; the job records it and the event carries the ledger block."""

from pathlib import Path

import brownie
from errors import err
from hashes import ZERO_ADDRESS, h
from market_helpers import (
    ATTEST_S,
    COMMIT_S,
    MIN_SCORE,
    MIN_STAKE,
    REVEAL_S,
    REWARD,
    SETTLE_S,
    TRAIN,
    eval_seal,
    lens_of,
    next_time,
    post,
    post_with_provenance,
)
from provenance_helpers import ANCHORER, h32, proof

EIP170 = 24_576
BUILD = Path(__file__).resolve().parents[3] / "build" / "contracts"


def test_the_job_records_the_proven_anchor_and_the_event_names_the_block(
    prov_market, anchored, ledger, relay, requester
):
    tx = post_with_provenance(prov_market, requester, proof(anchored, 2))

    job_id = tx.return_value
    assert prov_market.job(job_id)["trainingSetAnchored"]
    assert prov_market.job(job_id)["trainingSet"] == TRAIN
    height = ledger.chain.get(anchored.hash).height
    work = relay.confirmationWork(h32(anchored.hash))  # the 2 confirmations' work
    assert work > 0
    assert list(tx.events["TrainingSetAnchored"].values()) == [job_id, h32(anchored.hash), ANCHORER, height, 2, work]
    assert tx.events["JobPosted"]["trainingSet"] == TRAIN


def test_a_plain_post_is_not_anchored(prov_market, requester):
    job_id, tx = post(prov_market, requester)

    assert not prov_market.job(job_id)["trainingSetAnchored"]
    assert "TrainingSetAnchored" not in tx.events


def test_the_anchor_of_another_hash_is_refused(prov_market, anchored, requester):
    with brownie.reverts(err("TrainingMarketPayloadMismatch", TRAIN, h("other"))):
        post_with_provenance(prov_market, requester, proof(anchored, 1))


def test_a_proof_with_too_few_confirmations_is_refused(prov_market, ledger, relay, admin, requester):
    block = ledger.anchor([TRAIN])
    ledger.relay_to(relay, admin)  # one confirmation, the relay wants two

    with brownie.reverts(err("LedgerRelayUnproven", h32(block.txs[1].txid), h32(block.hash))):
        post_with_provenance(prov_market, requester, proof(block, 1))


def test_a_forged_transaction_is_refused(prov_market, anchored, requester):
    raw, block_hash, index, branch = proof(anchored, 1)  # anchors h("other")
    forged = raw[:36] + TRAIN[2:] + raw[100:]  # its payload swapped for the training set

    with brownie.reverts():
        post_with_provenance(prov_market, requester, (forged, block_hash, index, branch))


def test_a_tampered_branch_is_refused(prov_market, anchored, requester):
    raw, block_hash, index, branch = proof(anchored, 2)
    branch[-1] = h32(bytes(32))

    with brownie.reverts(err("LedgerRelayUnproven", h32(anchored.txs[2].txid), h32(anchored.hash))):
        post_with_provenance(prov_market, requester, (raw, block_hash, index, branch))


def test_a_market_whose_registry_has_no_relay_refuses_provenance(market, anchored, requester):
    assert brownie.ModelRegistry.at(market.registry()).relay() == ZERO_ADDRESS

    with brownie.reverts(err("TrainingMarketNoRelay")):
        post_with_provenance(market, requester, proof(anchored, 2))


def test_the_checks_of_a_plain_post_still_hold(prov_market, anchored, requester):
    with brownie.reverts(err("TrainingMarketUnknownBaseModel", h("nothing"))):
        now = next_time()
        prov_market.postJobWithProvenance(
            h("nothing"), TRAIN, eval_seal(), h("spec"), MIN_SCORE,
            [now + COMMIT_S, now + REVEAL_S, now + ATTEST_S, now + SETTLE_S], MIN_STAKE, 3, proof(anchored, 2),
            {"from": requester, "value": REWARD},
        )  # fmt: skip


def test_the_market_fits_eip170():
    import json

    size = len(json.loads((BUILD / "TrainingMarket.json").read_text())["deployedBytecode"]) // 2
    print(f"TrainingMarket deployed bytecode: {size:,} bytes of {EIP170:,}")
    assert size <= EIP170


def test_a_jobs_training_set_reads_unproven_once_its_anchor_leaves_the_main_chain(own_ledger_market, admin, requester):
    ledger, relay, market = own_ledger_market
    fork = ledger.chain.tip()
    block = ledger.anchor([TRAIN])
    ledger.mine(1)
    ledger.relay_to(relay, admin)
    job_id = post_with_provenance(market, requester, proof(block, 1)).return_value
    lens = lens_of(market)
    height = ledger.chain.get(block.hash).height
    assert list(lens.trainingSetProvenance(job_id, proof(block, 1))) == [
        True,
        ANCHORER,
        height,
        2,
        relay.confirmationWork(h32(block.hash)),
    ]

    side = ledger.mine(3, parent=fork, tag=7)  # a heavier branch without the anchor
    for b in side:
        if not ledger.chain.get(b.hash).has_data:
            ledger.chain.add_block(b)
    ledger.relay_to(relay, admin)

    assert market.job(job_id)["trainingSetAnchored"]  # posted with a proof: history, kept
    assert list(lens.trainingSetProvenance(job_id, proof(block, 1))) == [False, ZERO_ADDRESS, 0, 0, 0]
