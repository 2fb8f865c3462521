"""Pooled jobs on chain (issue 20, docs/market.md "Re-rolling the split"): the hash of the block
after the post splits the pool, and its requester, who sees the split first, cannot walk away
from it for free. The re-roll attack: see the split, let nobody commit (cancel, or serve no
training shards and wait), post the same pool again with fresh salts, keep the worst split for
the workers. Each test_issue20_ one failed on the market with postPooledJob but without the
guard (PooledJobs._walkedAway answering false): the requester got its whole escrow back."""

from brownie import chain, web3
from hashes import ZERO_ADDRESS, h
from market_helpers import (
    ATTEST_S,
    COMMIT_S,
    COMMITTEE,
    DEPOSIT,
    MIN_SCORE,
    MIN_STAKE,
    REVEAL_S,
    REWARD,
    SETTLE_S,
    eval_seal,
    finalize,
    lens_of,
    post,
    post_with_provenance,
    run_job,
    to_finalize,
)

WON = 5  # ITrainingMarket.Outcome


def test_a_pooled_post_names_its_seed_block_the_next_one(market, requester):
    job_id, tx = post(market, requester, pooled=True)

    assert list(tx.events["JobPooled"].values()) == [job_id, tx.block_number + 1]
    assert tx.events["JobPosted"]["requester"] == requester


def test_a_pooled_job_may_carry_the_anchor_proof_of_its_manifest(prov_market, anchored, requester):
    from provenance_helpers import proof

    tx = post_with_provenance(prov_market, requester, proof(anchored, 2), pooled=True)

    job_id = tx.return_value
    assert list(tx.events["JobPooled"].values()) == [job_id, tx.block_number + 1]
    assert tx.events["TrainingSetAnchored"]["jobId"] == job_id and prov_market.job(job_id)["trainingSetAnchored"]
    assert tx.events["JobPosted"]["requester"] == requester


def test_issue20_a_requester_cancelling_a_pooled_job_after_its_seed_block_gets_nothing_back(market, requester):
    job_id, _ = post(market, requester, pooled=True)
    chain.mine()  # the seed block: the requester reads the split off it

    tx = market.cancelJob(job_id, {"from": requester})

    assert tx.events["JobCancelled"]["refund"] == 0
    assert market.pendingOf(requester) == 0
    assert market.pendingOf(ZERO_ADDRESS) == REWARD + DEPOSIT  # burned: credited to nobody


def test_issue20_a_pooled_job_nobody_committed_to_refunds_its_requester_nothing(market, requester):
    # The requester serves no training shards (workers refuse the job) and waits for finalize.
    job_id, _ = post(market, requester, pooled=True)
    to_finalize(market, job_id)

    tx = finalize(market, job_id, requester)

    assert (tx.events["Finalized"]["refund"], tx.events["Finalized"]["burned"]) == (0, REWARD + DEPOSIT)
    assert market.pendingOf(requester) == 0


def test_a_pooled_job_cancelled_in_its_post_block_refunds_everything(market, requester):
    # Before the seed block nobody knows the split: post and cancel in one block.
    job_id = market.jobCount() + 1
    now = chain[-1].timestamp + 1
    deadlines = [now + COMMIT_S, now + REVEAL_S, now + ATTEST_S, now + SETTLE_S]
    terms = (h("base"), h("train"), eval_seal(), h("spec"), MIN_SCORE, deadlines, MIN_STAKE, COMMITTEE)
    web3.provider.make_request("evm_setAutomine", [False])
    try:
        sent = [
            web3.eth.send_transaction(
                {"from": str(requester), "to": str(market), "data": data, "value": value, "gas": 1_000_000}
            )
            for data, value in (
                (market.postPooledJob.encode_input(*terms), REWARD + DEPOSIT),
                (market.cancelJob.encode_input(job_id), 0),
            )
        ]
        web3.provider.make_request("evm_setNextBlockTimestamp", [now])
        web3.provider.make_request("evm_mine", [])
    finally:
        web3.provider.make_request("evm_setAutomine", [True])
    receipts = [web3.eth.get_transaction_receipt(t) for t in sent]

    assert [r.status for r in receipts] == [1, 1] and receipts[0].blockNumber == receipts[1].blockNumber
    assert market.pendingOf(requester) == REWARD + DEPOSIT
    assert lens_of(market).phase(job_id) == 8  # Cancelled


def test_a_pooled_job_with_a_commitment_runs_as_any_other(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7000}, {}, pooled=True)

    tx = finalize(market, job_id, requester)

    assert lens_of(market).submissions(job_id)[0]["outcome"] == WON
    assert tx.events["Finalized"]["refund"] == DEPOSIT  # its deposit back, as an unpooled job's
