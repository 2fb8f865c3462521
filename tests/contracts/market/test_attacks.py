"""Attacks on the market; each test fails if the guard it names is removed."""

import brownie
from brownie import Reenterer, web3
from errors import err
from hashes import h
from market_helpers import (
    MIN_STAKE,
    REWARD,
    URI,
    do_commit,
    do_reveal,
    job_times,
    model_of,
    post,
    run_job,
    salt_of,
    sealed,
    to_attest,
    to_finalize,
    to_reveal,
)

REENTRANT = "0x" + web3.keccak(text="ReentrancyGuardReentrantCall()").hex().removeprefix("0x")[:8]
WITHDRAW, FINALIZE = 1, 2


def _attacker_with_credit(market, mallory):
    """A Reenterer that posted and cancelled a job, so REWARD is credited to it."""
    attacker = Reenterer.deploy(market, {"from": mallory})
    job_id = market.jobCount() + 1
    now = brownie.chain[-1].timestamp
    data = market.postJob.encode_input(
        h("base"),
        h("train"),
        h("eval"),
        h("spec"),
        0,
        now + 1000,
        now + 2000,
        now + 3000,
        MIN_STAKE,
    )
    attacker.call(data, {"from": mallory, "value": REWARD})
    attacker.call(market.cancelJob.encode_input(job_id), {"from": mallory})
    return attacker


# Guard: nonReentrant on withdraw (and zeroing before sending).
def test_reentering_withdraw_is_locked_out(market, mallory):
    attacker = _attacker_with_credit(market, mallory)
    attacker.arm(WITHDRAW, 0, {"from": mallory})

    attacker.call(market.withdraw.encode_input(), {"from": mallory})

    assert attacker.reentryError() == REENTRANT
    assert attacker.reentered() is False


# Guard: checks-effects-interactions in withdraw; a re-entrant withdraw cannot pay twice.
def test_a_reentrant_withdraw_is_paid_exactly_once(market, mallory):
    attacker = _attacker_with_credit(market, mallory)
    attacker.arm(WITHDRAW, 0, {"from": mallory})
    held = market.balance()

    attacker.call(market.withdraw.encode_input(), {"from": mallory})

    assert attacker.balance() == REWARD
    assert market.balance() == held - REWARD
    assert market.pendingOf(attacker) == 0


# Guard: nonReentrant on finalize.
def test_reentering_finalize_from_a_payout_is_locked_out(market, requester, mallory):
    attacker = _attacker_with_credit(market, mallory)
    job_id, _ = post(market, requester)
    to_finalize(market, job_id)
    attacker.arm(FINALIZE, job_id, {"from": mallory})

    attacker.call(market.withdraw.encode_input(), {"from": mallory})

    assert attacker.reentryError() == REENTRANT
    assert market.phase(job_id) == 3  # still Finalizable: the re-entrant finalize did nothing


# Guard: the commit deadline. A copier who reads a reveal is too late to commit it.
def test_a_copier_cannot_commit_after_seeing_a_reveal(market, requester, alice, mallory):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)
    to_reveal(market, job_id)
    do_reveal(market, job_id, alice, 7000)
    copied = sealed(job_id, mallory, 7000, model=model_of(alice), salt=salt_of(alice))

    with brownie.reverts(err("TrainingMarketCommitClosed", job_id, job_times(market, job_id)[0])):
        market.commit(job_id, copied, {"from": mallory, "value": MIN_STAKE})


# Guard: the commitment binds the worker's address.
def test_a_copied_commitment_cannot_be_revealed_by_the_copier(market, requester, alice, mallory):
    job_id, _ = post(market, requester)
    victim = sealed(job_id, alice, 7000)
    market.commit(job_id, victim, {"from": alice, "value": MIN_STAKE})
    market.commit(job_id, victim, {"from": mallory, "value": MIN_STAKE})  # copied from the mempool
    to_reveal(market, job_id)
    do_reveal(market, job_id, alice, 7000)

    with brownie.reverts(err("TrainingMarketCommitmentMismatch", job_id, mallory)):
        market.reveal(job_id, model_of(alice), 7000, salt_of(alice), URI, {"from": mallory})


# Guard: the commitment binds the job id.
def test_a_commitment_from_another_job_does_not_reveal_here(market, requester, alice):
    first, _ = post(market, requester)
    second, _ = post(market, requester)
    market.commit(second, sealed(first, alice, 7000), {"from": alice, "value": MIN_STAKE})
    to_reveal(market, second)

    with brownie.reverts(err("TrainingMarketCommitmentMismatch", second, alice)):
        do_reveal(market, second, alice, 7000)


# Guard: requester exclusion in attest.
def test_a_requester_cannot_vouch_for_a_friend(market, requester, alice, validators):
    market.joinValidators({"from": requester, "value": 10**18})
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 9900)
    to_reveal(market, job_id)
    do_reveal(market, job_id, alice, 9900)
    to_attest(market, job_id)

    with brownie.reverts(err("TrainingMarketRequesterCannotAttest", job_id, requester)):
        market.attest(job_id, alice, 9900, {"from": requester})


# Guard: worker exclusion in attest.
def test_a_validator_cannot_attest_its_own_work(market, requester, validators):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, validators[0], 9900)
    to_reveal(market, job_id)
    do_reveal(market, job_id, validators[0], 9900)
    to_attest(market, job_id)

    with brownie.reverts(err("TrainingMarketWorkerCannotAttest", job_id, validators[0])):
        market.attest(job_id, validators[0], 9900, {"from": validators[0]})


# Guard: the submission cap, and the non-zero stake that makes griefing cost.
def test_griefers_filling_the_cap_pay_their_stakes_to_the_requester(market, accounts, requester, alice):
    job_id, _ = post(market, requester)
    griefers = [accounts.add() for _ in range(16)]
    for g in griefers:
        alice.transfer(g, 2 * MIN_STAKE)
        market.commit(job_id, h(str(g)), {"from": g, "value": MIN_STAKE})
    with brownie.reverts(err("TrainingMarketSubmissionsFull", job_id)):
        do_commit(market, job_id, alice, 7000)
    to_finalize(market, job_id)

    market.finalize(job_id, {"from": requester})

    assert market.pendingOf(requester) == REWARD + 16 * MIN_STAKE


# Guard: fee, dust and slash arithmetic, to the wei, with every party's balance checked.
def test_every_wei_is_accounted_for(market, requester, alice, bob, carol, validators):
    reward = 10**18 + 7  # fee 5 % = 50000000000000000 (floor), / 2 near validators
    start = market.balance()
    job_id = run_job(
        market,
        requester,
        validators,
        {alice: 8000, bob: 9000, carol: 8000},
        {alice: [8000, 8050, 7000], bob: [7000, 7000, 7000], carol: [7990, 8000, 8000]},
        reward=reward,
    )

    market.finalize(job_id, {"from": requester})

    fee = reward * 500 // 10_000
    share = fee // 2  # validators 0 and 1 are within 100 bps of the median 8000
    assert [market.pendingOf(v) for v in validators] == [share, share, 0]
    assert market.pendingOf(alice) == MIN_STAKE + reward - 2 * share
    assert market.pendingOf(carol) == MIN_STAKE  # honest, ties lose to the earlier commit
    assert market.pendingOf(bob) == 0
    assert market.pendingOf(requester) == MIN_STAKE  # bob's slashed stake
    credited = sum(market.pendingOf(a) for a in [alice, bob, carol, requester, *validators])
    assert market.balance() - start == credited == reward + 3 * MIN_STAKE
