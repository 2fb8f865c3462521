"""Issue 20's attacks on the v2 market (the v3 work): each asserts the safe property and is a
strict xfail while the attack works, so the suite fails the day a guard lands without the
xfail being removed, and fails again if a guard is later taken away.

Written against landed v2 (commit "Market v3 attack tests ..."): every one failed there.
The attacks that need a v3 entry point (members attesting an unavailable evaluation set,
appeals, eligibility snapshots) are written with the entry point they introduce.
"""

import brownie
import pytest
from brownie import chain
from brownie.exceptions import VirtualMachineError
from errors import err
from market_helpers import (
    MIN_BOND,
    MIN_STAKE,
    attestation_seal,
    claim_all,
    commit_scores,
    do_commit,
    do_reveal,
    finalize,
    model_of,
    post,
    reveal_eval,
    reveal_scores,
    run_job,
    salt_of,
    sealed,
    to_attest,
    to_finalize,
    to_reveal,
    to_settle,
)
from test_attacks import _bonded

V3 = "market v3 (issue 20)"


# 1. Ties convict: with an even number of attestations the lower median decides.
@pytest.mark.xfail(strict=True, reason=f"{V3}: a tie convicts nobody")
def test_issue17_1_a_tie_between_requester_sybils_and_honest_members_convicts_nobody(
    market, accounts, requester, alice, validators
):
    sybils = _bonded(market, accounts, requester, 3)  # half of the bond, all of them seated

    job_id = run_job(
        market, requester, [*validators, *sybils], {alice: 8000}, {alice: [8000] * 3 + [0] * 3}, committee=15
    )
    finalize(market, job_id, requester)

    assert claim_all(market, job_id)[alice] >= MIN_STAKE  # not judged dishonest
    assert all(market.validator(v)["bond"] == MIN_BOND for v in validators)  # no honest member slashed


@pytest.mark.xfail(strict=True, reason=f"{V3}: an absent member convicts nobody")
def test_issue17_1_an_absent_honest_member_hands_no_conviction_to_a_minority(
    market, accounts, requester, alice, validators
):
    sybils = _bonded(market, accounts, requester, 2)  # 2 of 5 seats: a minority

    attested = {alice: [8000, 8000, None, 0, 0]}  # one honest member stays silent
    job_id = run_job(market, requester, [*validators, *sybils], {alice: 8000}, attested, committee=15)
    finalize(market, job_id, requester)

    assert claim_all(market, job_id)[alice] >= MIN_STAKE
    assert all(market.validator(v)["bond"] == MIN_BOND for v in validators[:2])


# 8. Registry: a later job overwrites an earlier winner's record; a resubmitted base cycles lineage.
@pytest.mark.xfail(strict=True, reason=f"{V3}: no market record overwrites another job's")
def test_issue17_8_a_later_job_cannot_take_over_an_earlier_winners_record(
    market, market_registry, requester, alice, mallory, validators
):
    first = run_job(market, requester, validators, {alice: 8000}, {})
    finalize(market, first, requester)
    published = model_of(alice)  # alice's weights are public once revealed

    job_id, _ = post(market, requester)
    market.commit(job_id, sealed(job_id, mallory, 8000, model=published), {"from": mallory, "value": MIN_STAKE})
    to_reveal(market, job_id)
    try:  # v3 may refuse the copy at reveal or keep it out of the registry: either is safe
        market.reveal(job_id, published, 8000, salt_of(mallory), "http://copy", {"from": mallory})
        reveal_eval(market, job_id, requester)
        market.drawCommittee(job_id, {"from": requester})
        to_attest(market, job_id)
        for v in validators:
            commit_scores(market, job_id, v, [8000])
        to_settle(market, job_id)
        for v in validators:
            reveal_scores(market, job_id, v, [8000])
        to_finalize(market, job_id)
        market.finalize(job_id, published, "http://copy", {"from": requester})
    except VirtualMachineError:
        pass

    record = market_registry.recordOf(published)
    assert record["publisher"] == alice and record["jobId"] == first


@pytest.mark.xfail(strict=True, reason=f"{V3}: a submission equal to the base is refused at reveal")
def test_issue17_8_a_submission_equal_to_the_base_model_is_refused_at_reveal(market, requester, alice):
    job_id, _ = post(market, requester)
    base = market.job(job_id)["baseModel"]
    market.commit(job_id, sealed(job_id, alice, 8000, model=base), {"from": alice, "value": MIN_STAKE})
    to_reveal(market, job_id)

    with brownie.reverts(err("TrainingMarketBaseModelResubmitted", job_id)):
        market.reveal(job_id, base, 8000, salt_of(alice), "http://base", {"from": alice})


# 9. A member that exits and waits out the unbonding delay before a late finalize escapes its slash.
@pytest.mark.xfail(strict=True, reason=f"{V3}: a member cannot exit before its jobs settle")
def test_issue17_9_a_member_cannot_withdraw_its_bond_before_its_job_settles(market, requester, alice, validators):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 8000)
    to_reveal(market, job_id)
    do_reveal(market, job_id, alice, 8000)
    reveal_eval(market, job_id, requester)
    market.drawCommittee(job_id, {"from": requester})
    to_attest(market, job_id)
    silent = validators[0]  # commits nothing: its bond owes the job a slash
    for v in validators[1:]:
        market.commitAttestation(job_id, attestation_seal(job_id, v, [8000]), {"from": v})
    market.requestExit({"from": silent})
    chain.sleep(int(market.UNBONDING_DELAY()) + 1)
    chain.mine()

    with brownie.reverts():  # the slash it owes would be escaped
        market.withdrawBond({"from": silent})
