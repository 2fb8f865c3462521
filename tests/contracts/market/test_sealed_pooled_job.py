"""A job both pooled (issue 20) and sealed (issue 26): postSealedCall runs any of the market's
posts under seal, so the seed block that binds the requester to the split and the seal that
keeps the weights from it are recorded together. The test_issue20_ ones failed with
PooledJobs._walkedAway answering false (the requester got its whole escrow back); the
test_issue26_ one failed with postSealedCall taking any call (the victim's job was sealed)."""

import brownie
from brownie import chain
from errors import err
from hashes import ZERO_ADDRESS
from market_helpers import DEPOSIT, REWARD, do_commit, do_reveal, finalize, post, to_finalize, to_reveal
from sealed_job_helpers import exchange_of, point_args, post_sealed

from offchain.sealed.curve import new_key_pair


def test_a_sealed_pooled_job_records_its_seed_block_and_its_seal(market, requester):
    job_id, key, tx = post_sealed(market, requester, pooled=True)

    assert list(tx.events["JobPooled"].values()) == [job_id, tx.block_number + 1]
    assert tx.events["JobSealed"]["jobId"] == job_id
    assert tx.events["JobPosted"]["requester"] == requester
    assert exchange_of(market).jobKeyOf(job_id, requester).lower() == "0x" + key.public.key_id().hex()


def test_a_reveal_to_a_sealed_pooled_job_needs_the_workers_seal(market, requester, alice):
    job_id, _, _ = post_sealed(market, requester, pooled=True)
    do_commit(market, job_id, alice, 7000)
    to_reveal(market, job_id)

    with brownie.reverts(err("TrainingMarketNoSeal", job_id)):
        do_reveal(market, job_id, alice, 7000)


def test_a_sealed_pooled_job_may_carry_the_anchor_proof_of_its_manifest(prov_market, anchored, requester):
    from provenance_helpers import proof

    job_id, _, tx = post_sealed(prov_market, requester, pooled=True, proof=proof(anchored, 2))

    assert list(tx.events["JobPooled"].values()) == [job_id, tx.block_number + 1]
    assert tx.events["JobSealed"]["jobId"] == job_id
    assert prov_market.job(job_id)["trainingSetAnchored"]


def test_issue20_a_requester_cancelling_a_sealed_pooled_job_after_its_seed_block_gets_nothing_back(market, requester):
    job_id, _, _ = post_sealed(market, requester, pooled=True)
    chain.mine()  # the seed block: the requester reads the split off it

    tx = market.cancelJob(job_id, {"from": requester})

    assert tx.events["JobCancelled"]["refund"] == 0
    assert market.pendingOf(requester) == 0
    assert market.pendingOf(ZERO_ADDRESS) == REWARD + DEPOSIT  # burned: credited to nobody


def test_issue20_a_sealed_pooled_job_nobody_committed_to_refunds_its_requester_nothing(market, requester):
    job_id, _, _ = post_sealed(market, requester, pooled=True)
    to_finalize(market, job_id)

    tx = finalize(market, job_id, requester)

    assert (tx.events["Finalized"]["refund"], tx.events["Finalized"]["burned"]) == (0, REWARD + DEPOSIT)
    assert market.pendingOf(requester) == 0


def test_issue26_a_sealed_post_of_a_call_that_is_no_post_is_refused(market, requester, alice):
    # Anyone may register a job key for any id: the attacker takes one for the victim's job,
    # then "posts" a view whose answer is that job's id, so the victim's job would be sealed
    # (its workers' plain reveals refused, its winner paid to the attacker's exchange record).
    victim, _ = post(market, requester)
    exchange_of(market).registerJobKey(victim, point_args(new_key_pair()), {"from": alice})
    call = market.jobCount.encode_input()

    with brownie.reverts(err("TrainingMarketNotAPost")):
        market.postSealedCall(call, {"from": alice})
