"""Issue 10's nine attacks, tried on the v1 market. Each test asserts the SAFE property, so it
fails while the attack works; `xfail(strict=True)` keeps the suite green and turns an XPASS
(an attack that stopped working) into a failure. The v2 versions live in test_attacks.py."""

import brownie
import pytest
from hashes import ZERO, h
from market_helpers import (
    MIN_BOND,
    MIN_STAKE,
    REWARD,
    URI,
    do_commit,
    do_reveal,
    model_of,
    next_time,
    post,
    run_job,
    to_attest,
    to_finalize,
    to_reveal,
)

pytestmark = pytest.mark.xfail(strict=True, reason="issue 10: the attack works on the v1 contracts")


def _fresh(accounts, funder, n, each=3 * MIN_BOND):
    out = [accounts.add() for _ in range(n)]
    for a in out:
        funder.transfer(a, each)
    return out


def test_1_requester_sybils_cannot_judge_an_honest_worker_dishonest(market, accounts, requester, alice, validators):
    sybils = _fresh(accounts, requester, 3)
    for s in sybils:
        market.joinValidators({"from": s, "value": MIN_BOND})

    job_id = run_job(market, requester, validators + sybils, {alice: 8000}, {alice: [8000] * 3 + [0] * 3})
    market.finalize(job_id, {"from": requester})

    assert market.submissions(job_id)[0]["verifiedScoreBps"] == 8000
    assert market.pendingOf(alice) >= MIN_STAKE + REWARD // 2


def test_2_worker_sybils_cannot_make_junk_win(market, accounts, requester, alice, mallory, validators):
    sybils = _fresh(accounts, mallory, 4)
    for s in sybils:
        market.joinValidators({"from": s, "value": MIN_BOND})

    job_id = run_job(
        market,
        requester,
        validators + sybils,
        {alice: 8000, mallory: 9500},
        {alice: [8000] * 3 + [0] * 4, mallory: [1000] * 3 + [9500] * 4},
    )
    market.finalize(job_id, {"from": requester})

    assert market.pendingOf(mallory) < MIN_STAKE
    assert market.pendingOf(alice) >= MIN_STAKE


def test_3_filling_the_validator_seats_cannot_lock_out_honest_validators(market, accounts, mallory, alice):
    for s in _fresh(accounts, mallory, 12):
        market.joinValidators({"from": s, "value": MIN_BOND})

    market.joinValidators({"from": alice, "value": MIN_BOND})  # reverts: ValidatorSetFull

    assert market.validator(alice)["member"]


def test_4_filling_the_submission_cap_costs_the_griefers_more_than_gas(market, accounts, requester, mallory):
    job_id, _ = post(market, requester)
    griefers = _fresh(accounts, mallory, 16)
    for g in griefers:
        do_commit(market, job_id, g, 0)
    to_reveal(market, job_id)
    for g in griefers:
        do_reveal(market, job_id, g, 0)
    to_finalize(market, job_id)

    market.finalize(job_id, {"from": requester})

    returned = sum(market.pendingOf(g) for g in griefers)
    print(f"v1: filling the cap cost {16 * MIN_STAKE - returned} wei beyond gas")
    assert returned < 16 * MIN_STAKE


def test_5_a_job_with_a_one_second_reveal_window_is_refused(market, requester):
    now = next_time()

    with brownie.reverts():
        market.postJob(
            h("base"),
            h("train"),
            h("eval"),
            h("spec"),
            6000,
            now + 1000,
            now + 1001,
            now + 1002,
            MIN_STAKE,
            {"from": requester, "value": REWARD},
        )


def test_6_the_evaluation_set_is_not_public_before_commits_close(market, requester):
    _, tx = post(market, requester)

    assert h("eval") not in [str(v) for v in tx.events["JobPosted"].values()]


def test_7_a_direct_registration_cannot_pre_empt_the_market_record(
    market, market_registry, requester, alice, mallory, validators
):
    job_id = run_job(market, requester, validators, {alice: 8000}, {alice: [8000] * 3})
    market_registry.register(model_of(alice), ZERO, h("junk"), 0, "", {"from": mallory})

    tx = market.finalize(job_id, {"from": requester})

    record = market_registry.recordOf(model_of(alice))
    assert (record["parentHash"], record["jobId"], record["publisher"]) == (h("base"), job_id, alice)
    assert tx.events["ModelRegistered"]["uri"] == URI


def test_8_a_lazy_validator_copying_the_claim_is_penalised(market, requester, alice, validators):
    bond = market.validator(validators[2])["bond"]

    job_id = run_job(market, requester, validators, {alice: 9000}, {alice: [7000, 7000, 9000]})
    market.finalize(job_id, {"from": requester})

    assert market.validator(validators[2])["bond"] < bond


def test_9_revoking_the_market_role_cannot_freeze_a_job(market, market_registry, admin, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 8000}, {alice: [8000] * 3})
    market_registry.revokeRole(market_registry.MARKET_ROLE(), market, {"from": admin})

    market.finalize(job_id, {"from": requester})

    assert market.pendingOf(alice) > MIN_STAKE
