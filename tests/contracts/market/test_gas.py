"""Gas of every market call, measured from receipts, checked against issue 10's goals and
written to benchmarks/gas_market.md (the table the repo keeps; `make bench` prints it).

Numbers are deterministic for a given compiler setting: anvil (cancun), solc 0.8.28,
optimizer on, 200 runs, the IR pipeline (brownie-config.yaml).
"""

from pathlib import Path

import pytest
from appeal_helpers import appeals_of, members_now, vote_salt, vote_seal, windows
from brownie import ValidatorSwarm
from gas_table import write_gas_table
from market_helpers import (
    MIN_BOND,
    MIN_STAKE,
    URI64,
    attestation_seal,
    attesting,
    commit_scores,
    do_commit,
    do_reveal,
    draw,
    finalize,
    lens_of,
    one_seat_each,
    post,
    post_with_provenance,
    reveal_eval,
    reveal_scores,
    run_job,
    sleep_until,
    to_attest,
    to_finalize,
    to_reveal,
    to_settle,
)
from sealed_job_helpers import post_envelopes, post_sealed, prove_bad, publish_seal, register_members

TABLE = Path(__file__).resolve().parents[3] / "benchmarks" / "gas_market.md"
PROVENANCE_OVERHEAD = 40_000  # issue 14: a provenance-carrying post <= postJob + 40k, same arguments

# ----- The gas rule for new per-job state (issue 19) ----------------------------------------
# The job record (ITrainingMarket.Job) is five slots, and its two packed slots are full:
#   slot 0: 4 deadlines x 32 + minStake 80 + minScoreBps 16 + submissionCount 8
#           + committeeSize 8 + status 8 + evaluationRevealed 8          = 256 bits
#   slot 1: requester 160 + reward 80 + winnerPlusOne 8 + trainingSetAnchored 8 = 256 bits
# so any new per-job field (a draw seed, an anchor block, a requester key) takes a fresh slot:
# FRESH_SLOT gas (SSTORE zero -> non-zero 20,000 + the cold access 2,100) in the call that
# writes it, and COLD_READ gas in every later call that reads it. Headroom under the goals on
# issue 19's contracts (benchmarks/gas_market.md): commit 108, reveal 1,057, postJob 1,852,
# revealAttestation about 2,500 (it follows prevrandao), claim 2,769, finalize 4x3 14,474.
# None absorbs a fresh slot, and commit cannot absorb even one cold read. So a goal moves,
# and only this way: name the new field in REBASED_FIELDS with the calls that write it
# (+FRESH_SLOT each) and read it cold (+COLD_READ each); GOALS below adds the arithmetic,
# and test_the_job_record_is_what_the_goals_price fails until the record's slot count and
# REBASED_FIELDS agree. The other way out is to repack (deadlines as 24-bit offsets from the
# commit deadline free 24 bits of slot 0: MAX_JOB_DURATION is 30 days < 2**24 s) and leave
# the goals where they are.
FRESH_SLOT = 22_100
COLD_READ = 2_100
JOB_SLOTS_PRICED = 5  # the slots the goals below already pay for
# field name -> (calls that write it fresh, calls that read it cold); empty on issue 19's contracts.
REBASED_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
# The same rule for state the job already holds, read cold by a call that did not read it
# before (market v3, issue 20): +COLD_READ for each call named.
#   reveal: the job's baseModel (slot 2), to refuse a submission equal to the base model
#           (item 8: lineage never cycles): 58,943 + 2,100 = 61,043 against 60,000.
#   claim:  the committee's word 0, to count the drawn seats whose strict majority decides
#           (item 1: a tie convicts nobody): 57,234 + 2,100 = 59,334, measured 59,886.
REBASED_READS: dict[str, tuple[str, ...]] = {
    "job.baseModel": ("reveal",),
    "committee word 0": ("claim",),
    # Issue 26, stage two: the sealed flag (SealedJobs._sealedJobs, a per-job slot beside the
    # record: both record slots are full), which only a sealed post writes (FRESH_SLOT, priced
    # on the sealed path in test_sealed_jobs.py), read cold by every reveal (a sealed job's needs
    # the seal) and by the winner's claim (a sealed job's goes to the exchange):
    # reveal 61,190 + 2,100 = 63,290, measured 63,392 (the check's own ~100).
    "the sealed flag": ("reveal", "claim"),
}
# And for a per-validator field (the Validator record is one full slot: bond 96 + earned 88
# + leafPlusOne 32 + unlocksAt 32 + unsettledSeats 8 bits; unlocksAt gave up 8 bits, enough
# until 2106): the draw reads each seated member's record cold and updates it, +UPDATE_SEAT a
# member, COLD_READ (2,100) + a clean non-zero SSTORE (2,900) = 5,000: 19,460 -> 24,333
# measured at 15 seats, 19,460 + 5,000 = 24,460 the bound. Finalize releases each seat in the
# record it already pays or slashes (warm) and stays under its goal unmoved.
UPDATE_SEAT = COLD_READ + 2_900
REBASED_VALIDATOR: dict[str, tuple[str, ...]] = {"unsettledSeats": ("drawCommittee",)}
# Issue 20 item 2, one committee per job: the draw takes two calls. The first fixes its block as
# the seed block in a fresh per-job slot (JobBook._seedBlocks, outside the job record); its goal is
# what it does: 21,000 (transaction) + the job's slot 0 and the committee's two words read cold
# (3 x COLD_READ: word 1 for committees above 8 seats, the row's 15) + the seed block's FRESH_SLOT
# + 4,000 (the event, a LOG2 of two words: 1,637; calldata, the checks, the epoch) = 53,400.
# The drawing call reads that slot cold once: + COLD_READ / seats on the per-member goals.
SEED_BLOCK_GOAL = 21_000 + 3 * COLD_READ + FRESH_SLOT + 4_000


# And for new per-job money a call now credits to an account it did not credit before: the
# requester's deposit (issue 20 item 7), posted beside the reward (Judgment.depositOf: in the
# reward's field, no new slot) and credited back by finalize when the job is no failure of the
# requester's. Before it, finalize credited the requester nothing when a winner took the reward
# and the committee earned its fee; now its balance goes from zero to non-zero in the fresh-
# accounts rows: + FRESH_SLOT (20,000 + the cold access 2,100). Finalize 4 x 3, fresh accounts:
# 238,999 (issue 20's last table) + 22,100 = 261,099; measured 261,303, and 268,103 on a draw that
# seated all three members (one more record: the rows follow the seed block's hash), under 272,100.
REBASED_CREDITS: dict[str, tuple[str, ...]] = {"the requester's deposit": ("finalize",)}


def _rebase(call, goal):
    """`goal` plus the priced cost of every per-job field added since issue 19 for `call`,
    of every job field it now reads cold, (per member) of every new validator field, and of
    every new per-job credit."""
    credits = sum(call in c for c in REBASED_CREDITS.values())
    writes = credits + sum(call in w for w, _ in REBASED_FIELDS.values())
    reads = sum(call in r for _, r in REBASED_FIELDS.values()) + sum(call in r for r in REBASED_READS.values())
    seats = sum(call in r for r in REBASED_VALIDATOR.values())
    return goal + FRESH_SLOT * writes + COLD_READ * reads + UPDATE_SEAT * seats


GOALS = {
    "postJob": _rebase("postJob", 160_000),
    "postJobWithProvenance (branch of 2)": _rebase("postJob", 160_000) + PROVENANCE_OVERHEAD,
    "commit": _rebase("commit", 75_000),
    "reveal (64-byte uri)": _rebase("reveal", 60_000),
    "commitAttestation": _rebase("commitAttestation", 50_000),
    "revealAttestation, 1 submission": _rebase("revealAttestation", 45_000),
    "drawCommittee per member, 3 seats of 1,000 validators": _rebase("drawCommittee", 25_000) + COLD_READ // 3,
    "drawCommittee per member, 15 seats of 1,000 validators": _rebase("drawCommittee", 25_000) + COLD_READ // 15,
    "drawCommittee, first call (fixes the seed block), 15 seats": SEED_BLOCK_GOAL,
    "withdraw": 40_000,
    # 21,000 (transaction) + the record's read and update (2,100 + 2,900) + the leaf's word and
    # the tree's total, each read and updated (2 x 5,000) + the event (~1,800) + checks: ~40,000;
    # + UPDATE_SEAT for the leaf's word (issue 20, bond added after an appeal's filing does not
    # vote: the top-up records its growth beside the leaf's owner, read cold and updated):
    # 37,705 -> 40,254 measured.
    "topUpBond (a set of one)": 40_000 + UPDATE_SEAT,
    "finalize 4 submissions x 3-member committee, fresh accounts": _rebase("finalize", 250_000),
    "claim (per worker, fresh account)": _rebase("claim", 60_000),
}
ROWS: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def table():
    yield
    if len(ROWS) < 19:  # a partial run (-k) must not overwrite the kept table
        return
    lines = [
        "# TrainingMarket gas (from receipts)",
        "",
        "Measured by `tests/contracts/market/test_gas.py` on anvil (cancun), solc 0.8.28 with",
        'the optimizer at 200 runs, IR pipeline (viaIR). "fresh accounts": every credited account is credited for',
        "the first time (its balance slot goes from zero to non-zero). Quorum 2, tolerance",
        "100 bps, fee 500 bps, 3-seat committee unless named. Finalize writes no slot per worker",
        "(each worker's claim recomputes its outcome) and credits validators in their own records.",
        "Missed goals (strict xfails in `MISSED` of test_gas.py, which says why each is out of",
        "reach without giving up a property): " + ", ".join(sorted(MISSED)) + ".",
        "The draw and attestation rows follow the seed block's hash (which validators are drawn):",
        "runs differ by up to about 1,000 gas per member.",
    ]
    write_gas_table(TABLE, lines, ROWS, GOALS)


# Goals issue 10 sets that v2 does not meet yet: recorded, reported, and strict xfails, so
# meeting one turns its test red until it moves out of this set.
# Why these two stay missed (see benchmarks/gas_market.md):
# - commitAttestation: 21,000 (transaction) + 22,100 (the seal's fresh slot) + 1,756 (event)
#   + ~700 (calldata) is 45,500 before any check, and the job's windows, the caller's leaf and
#   the committee are three cold slots (6,300); 50,000 needs a seal slot that is not fresh
#   (a per-validator reusable slot, or one the draw pre-writes per seat) or no membership check.
# - drawCommittee, 3 seats: ~56,000 is fixed per draw call (transaction, the committee's fresh
#   slot, the job's two slots, the tree's total, the event), 18,700 a seat at 3 seats, and each
#   seat drawn from 1,000 validators reads ~4 cold slots (three tree levels and the owner).
MISSED = {
    "commitAttestation",
    "drawCommittee per member, 3 seats of 1,000 validators",
}


def _record(name, gas):
    ROWS[name] = gas
    goal = GOALS.get(name)
    if name in MISSED:
        assert gas > goal, f"{name}: {gas} now meets {goal}: move it out of MISSED"
        pytest.xfail(f"issue 10 goal not met: {name} {gas:,} > {goal:,}")
    assert goal is None or gas <= goal, f"{name}: {gas} > {goal}"


def _slots(components):
    """Storage slots of a struct with these ABI components, packed as Solidity packs them."""
    sizes = {"address": 20, "bool": 1, "bytes32": 32}
    slots, used = 0, 32
    for c in components:
        size = sizes.get(c["type"]) or int(c["type"].removeprefix("uint")) // 8
        if used + size > 32:
            slots, used = slots + 1, 0
        used += size
    return slots


def test_the_job_record_is_what_the_goals_price(market):
    job_abi = next(f for f in market.abi if f.get("name") == "job")
    record = job_abi["outputs"][0]["components"]

    assert _slots(record) == JOB_SLOTS_PRICED + len(REBASED_FIELDS), (
        "the job record changed size: re-base the goals in REBASED_FIELDS (see the gas rule above) or repack it"
    )


def _fund(accounts, funder, n, each=3 * MIN_BOND):
    fresh = [accounts.add() for _ in range(n)]
    for a in fresh:
        funder.transfer(a, each)
    return fresh


def test_post_job_gas(market, requester):
    _, tx = post(market, requester)
    _record("postJob", tx.gas_used)


def test_post_job_with_provenance_gas(prov_market, anchored, requester):
    from provenance_helpers import proof

    _, plain = post(prov_market, requester)
    tx = post_with_provenance(prov_market, requester, proof(anchored, 2))
    _record("postJobWithProvenance (branch of 2)", tx.gas_used)
    assert tx.gas_used <= plain.gas_used + PROVENANCE_OVERHEAD, f"{tx.gas_used} > {plain.gas_used} + 40k"


def test_cancel_job_gas(market, requester):
    job_id, _ = post(market, requester)
    _record("cancelJob", market.cancelJob(job_id, {"from": requester}).gas_used)


def test_commit_gas(market, requester, alice):
    job_id, _ = post(market, requester)
    _record("commit", do_commit(market, job_id, alice, 7000).gas_used)


def test_reveal_gas(market, requester, alice):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)
    to_reveal(market, job_id)
    assert len(URI64) == 64
    _record("reveal (64-byte uri)", do_reveal(market, job_id, alice, 7000, uri=URI64).gas_used)
    _record("revealEvaluation", reveal_eval(market, job_id, requester).gas_used)


def test_attestation_gas(market, requester, alice, validators):
    # a member of one seat, as the goal was measured
    job_id = one_seat_each(market, lambda: attesting(market, requester, alice, 7000))
    committed = commit_scores(market, job_id, validators[0], [7000]).gas_used
    to_settle(market, job_id)
    _record("revealAttestation, 1 submission", reveal_scores(market, job_id, validators[0], [7000]).gas_used)
    _record("commitAttestation", committed)


def test_attestation_reveal_of_four_submissions_gas(market, accounts, requester, validators):
    workers = _fund(accounts, requester, 4, each=41 * MIN_STAKE)  # a stake for each of one_seat_each's draws

    def drawn_job():
        job_id, _ = post(market, requester)
        for w in workers:
            do_commit(market, job_id, w, 7000)
        to_reveal(market, job_id)
        for w in workers:
            do_reveal(market, job_id, w, 7000)
        reveal_eval(market, job_id, requester)
        draw(market, job_id, requester)
        return job_id

    job_id = one_seat_each(market, drawn_job)  # a member of one seat, as the goal was measured
    to_attest(market, job_id)
    market.commitAttestation(job_id, attestation_seal(job_id, validators[0], [7000] * 4), {"from": validators[0]})
    to_settle(market, job_id)
    _record("revealAttestation, 4 submissions", reveal_scores(market, job_id, validators[0], [7000] * 4).gas_used)


def test_attest_unavailable_gas(market, requester, alice, validators):
    # one seat each, as the goal was measured
    job_id = one_seat_each(market, lambda: attesting(market, requester, alice, 7000))
    committed = commit_scores(market, job_id, validators[1], [7000]).gas_used

    gas = market.attestUnavailable(job_id, {"from": validators[0]}).gas_used

    # Issue 20's new call, its goal: commitAttestation's work (the same checks and a seal slot)
    # and one more fresh slot, committee word 1 (seats 8.., unused by a 3-seat committee), where
    # the unavailable seats are marked. Measured beside a commit on the same job, as a
    # commitAttestation's own 50,000 goal is missed (MISSED).
    assert gas <= committed + FRESH_SLOT, f"attestUnavailable {gas:,} > {committed:,} + {FRESH_SLOT:,}"
    _record("attestUnavailable (3-seat committee; goal: commitAttestation + a fresh slot)", gas)


def test_withdraw_gas(market, requester):
    job_id, _ = post(market, requester)
    market.cancelJob(job_id, {"from": requester})
    _record("withdraw", market.withdraw({"from": requester}).gas_used)


def test_validator_set_gas(bare_market, alice):
    _record("joinValidators (first)", bare_market.joinValidators({"from": alice, "value": MIN_BOND}).gas_used)
    _record("topUpBond (a set of one)", bare_market.topUpBond({"from": alice, "value": MIN_BOND}).gas_used)
    tx = bare_market.requestExit({"from": alice})
    _record("requestExit", tx.gas_used)
    sleep_until(tx.timestamp + bare_market.UNBONDING_DELAY())
    _record("withdrawBond", bare_market.withdrawBond({"from": alice}).gas_used)


def test_committee_draw_among_a_thousand_validators_gas(market, admin, requester, alice):
    swarm = ValidatorSwarm.deploy({"from": admin})
    # 997 members beside the fixture's (1,000 in all): 25 a transaction keeps each join well
    # under the 12M-gas block limit, which a 50-member join came close enough to that anvil dropped it.
    for n in [25] * 39 + [22]:
        swarm.join(market, n, {"from": admin, "value": n * MIN_BOND})
    assert market.totalWeight() == 1000 * MIN_BOND // 10**9
    jobs = {size: post(market, requester, committee=size)[0] for size in (3, 15)}
    for job_id in jobs.values():
        do_commit(market, job_id, alice, 7000)
    to_reveal(market, jobs[15])

    armed = {size: market.drawCommittee(job_id, {"from": requester}).gas_used for size, job_id in jobs.items()}
    gas = {size: draw(market, job_id, requester).gas_used for size, job_id in jobs.items()}

    for size, job_id in jobs.items():
        assert sum(1 for a in lens_of(market).committee(job_id) if int(a, 16)) == size
    ROWS["joinValidators (1,001st)"] = market.joinValidators({"from": alice, "value": MIN_BOND}).gas_used
    _record("drawCommittee per member, 15 seats of 1,000 validators", gas[15] // 15)
    _record("drawCommittee, first call (fixes the seed block), 15 seats", armed[15])
    _record("drawCommittee per member, 3 seats of 1,000 validators", gas[3] // 3)  # MISSED: xfails here


def _four_by_three(market, requester, workers, validators):
    claims = {w: 7000 + 10 * i for i, w in enumerate(workers)}
    return run_job(market, requester, validators, claims, {})


def test_finalize_four_by_three_fresh_accounts_gas(market, accounts, requester, validators):
    fresh_requester = _fund(accounts, requester, 1)[0]
    requester.transfer(fresh_requester, 20 * MIN_BOND)
    workers = _fund(accounts, requester, 4)
    job_id = _four_by_three(market, fresh_requester, workers, validators)

    # workers 0 and 1 are dishonest (claims 10 and 20 bps apart do not matter): all honest here,
    # so the requester is credited nothing; make one unrevealed-free, fee-bearing case instead.
    _record("finalize 4 submissions x 3-member committee, fresh accounts", finalize(market, job_id, requester).gas_used)
    claims = [market.claim(job_id, i, {"from": w}).gas_used for i, w in enumerate(workers)]
    _record("claim (per worker, fresh account)", max(claims))
    _record(
        "finalize + 4 claims, per party (4 workers, 3 validators, requester)",
        (ROWS["finalize 4 submissions x 3-member committee, fresh accounts"] + sum(claims)) // 8,
    )


def test_finalize_at_the_caps_gas(bare_market, accounts, requester):
    validators = _fund(accounts, requester, 15)
    for v in validators:
        bare_market.joinValidators({"from": v, "value": MIN_BOND})
    workers = _fund(accounts, requester, 16)
    claims = {w: 7000 + i for i, w in enumerate(workers)}
    job_id = run_job(bare_market, requester, validators, claims, {}, committee=15)
    _record(
        "finalize 16 submissions x 15-member committee, fresh accounts",
        finalize(bare_market, job_id, requester).gas_used,
    )


def test_finalize_forfeit_gas(market, requester, alice):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000, stake=MIN_STAKE)
    to_reveal(market, job_id)
    do_reveal(market, job_id, alice, 7000)
    to_finalize(market, job_id)
    _record("finalize, evaluation never revealed (forfeit, 1 worker)", finalize(market, job_id, requester).gas_used)


# ----- Appeals (issue 20 item 5): its own contract, its own goals -------------------------
# fileAppeal: 21,000 (transaction) + the market's job (a cold account, 2,600, and the record's
# five slots, 5 x COLD_READ) + two validatorAt leaves checked (2 x COLD_READ) + the appeal's
# three fresh slots (appellant and windows; deposit, members and reveal deadline; requester:
# 3 x FRESH_SLOT) + 11,000 (three external calls' ABI decoding, the job record's 17 fields
# among them; the event, a LOG2 of three words; calldata; the checks).
APPEAL_GOAL = 21_000 + 2_600 + 7 * COLD_READ + 3 * FRESH_SLOT + 11_000
# commitVote: 21,000 + the appeal's three slots (3 x COLD_READ) + the voter's record (the market
# cold, 2,600, and its slot) + per worker, to exclude it, submissionAt's four slots (the job's
# slot 0, the entry, its seal, its sheet: 4 x COLD_READ; 1 worker here) + the vote's FRESH_SLOT
# + 9,000 (two external calls' decoding, the event, calldata, checks).
VOTE_COMMIT_GOAL = 21_000 + 3 * COLD_READ + 2_600 + COLD_READ + 4 * COLD_READ + FRESH_SLOT + 9_000
# revealVote: 21,000 + the appeal's slot 0 and 1 and the seal (3 x COLD_READ) + the voter's
# record (2,600 + COLD_READ) + the seal's update to REVEALED (2,900) + the voter's weight, the
# tally's total and one lane of the tally, each fresh for the first voter (3 x FRESH_SLOT)
# + 6,000 (the event, calldata, the keccak, an external call's decoding, checks). Later voters
# update the last two (5,000 each instead of FRESH_SLOT). The weight is the market's
# leastBondSince (bond added after the filing does not vote), which also reads the voter's leaf
# word cold: 85,443 -> 87,379 measured, within the goal unmoved.
VOTE_REVEAL_GOAL = 21_000 + 3 * COLD_READ + 2_600 + COLD_READ + 2_900 + 3 * FRESH_SLOT + 6_000
# finalize with an appeal the vote upheld, 4 x 3: finalize's goal (re-based above) + Appeals' verdict (its
# judging of each submission the vote decided: the submission's record through submissionAt,
# decoded, and Judgment.judge, measured about 14,000 each, 4 here; the job, the config and the
# committee words, decoded, about 8,000; the tally: the total and one lane, 2 x COLD_READ) + the
# ruling's write (a clean update, 2,900) + its event (~1,500). The verdict's first read (the
# Appeals account and the appeal's slot 0) is in every finalize's and within its goal.
FINALIZE_APPEALED_GOAL = _rebase("finalize", 250_000) + 4 * 14_000 + 8_000 + 2 * COLD_READ + 2_900 + 1_500
# Re-based for two guards' reads (no new state; measured with one seat a member, 351,495): the
# ruling fills every drawn seat's lane (silent seats no longer leave a verdict undecided, issue
# 20's abstain), so it reads the committee's two words and the job's unavailable marks cold
# (3 x COLD_READ); a proven bad envelope keeps its sheet Unverified (issue 26), a bit checked in
# the verdict and in finalize (~1,000).
FINALIZE_APPEALED_GOAL += 3 * COLD_READ + 1_000
GOALS |= {
    "fileAppeal": APPEAL_GOAL,
    "commitVote (first voter, 1 worker)": VOTE_COMMIT_GOAL,
    "revealVote (first voter)": VOTE_REVEAL_GOAL,
    "finalize 4 submissions x 3-member committee, appeal upheld": FINALIZE_APPEALED_GOAL,
}


def test_appeal_gas(market, accounts, requester, validators):
    # one_seat: a member of one seat, as the finalize goals were measured (the draw follows block
    # hashes: a member holding two of the three seats moved this row by 7,000 from run to run)
    workers = _fund(accounts, requester, 4, each=41 * MIN_STAKE)  # a stake for each of one_seat's draws
    claims = {w: 7000 + 10 * i for i, w in enumerate(workers)}
    job_id = run_job(market, requester, validators, claims, {}, finalizable=False, one_seat=True)
    appeals = appeals_of(market)
    sleep_until(windows(market, job_id)[0])
    _record(
        "fileAppeal",
        appeals.fileAppeal(job_id, members_now(market), {"from": workers[0], "value": MIN_STAKE}).gas_used,
    )
    commits = [appeals.commitVote(job_id, vote_seal(job_id, v, 0), {"from": v}).gas_used for v in validators]
    sleep_until(windows(market, job_id)[2])
    reveals = [appeals.revealVote(job_id, 0, vote_salt(v), {"from": v}).gas_used for v in validators]
    sleep_until(windows(market, job_id)[3])
    ROWS["commitVote (first voter, 4 workers)"] = commits[0]
    _record("revealVote (first voter)", reveals[0])
    ROWS["revealVote (a later voter)"] = reveals[1]
    _record("finalize 4 submissions x 3-member committee, appeal upheld", finalize(market, job_id, requester).gas_used)


def test_vote_commit_gas(market, requester, alice, validators):
    job_id = run_job(market, requester, validators, {alice: 7000}, {}, finalizable=False)
    appeals = appeals_of(market)
    sleep_until(windows(market, job_id)[0])
    appeals.fileAppeal(job_id, members_now(market), {"from": alice, "value": MIN_STAKE})
    v = validators[0]
    _record(
        "commitVote (first voter, 1 worker)", appeals.commitVote(job_id, vote_seal(job_id, v, 0), {"from": v}).gas_used
    )


# ----- Sealed jobs (issue 26, stage two): the sealed path's extra cost, by the rule ----------
# The market's exchange address (SealedJobs._exchange, storage: code room) is read cold on the
# sealed path only, and each call to the exchange is a cold account (2,600) and a cold record
# (COLD_READ) plus ~1,000 of call, ABI and checks.
EXCHANGE_CALL = 2_600 + COLD_READ + 1_000
# postSealedCall of postJob: postJob's goal + its delegatecall to postJob (~2,000, as the provenance
# post measured) + the exchange's address + jobKeyOf + the sealed flag's FRESH_SLOT + JobSealed (~1,000).
SEALED_POST_GOAL = _rebase("postJob", 160_000) + 2_000 + COLD_READ + EXCHANGE_CALL + FRESH_SLOT + 1_000
# A sealed job's reveal: reveal's goal (the flag's cold read is re-based in it) + the exchange's
# address + sealOf.
SEALED_REVEAL_GOAL = _rebase("reveal", 60_000) + COLD_READ + EXCHANGE_CALL
# The winner's claim on a sealed job: claim's goal (its flag read re-based) + the exchange's
# address + the call carrying the prize and stake (a cold account 2,600 + 9,000 for the value,
# which the unsealed claim spends sending them to the winner instead) + what openExchange does:
# the exchange's four fresh slots (4 x FRESH_SLOT), the seal and the job key read cold (2 x
# COLD_READ), its event (~2,500) and its checks (~2,000).
SEALED_CLAIM_GOAL = _rebase("claim", 60_000) + COLD_READ + 2_600 + 4 * FRESH_SLOT + 2 * COLD_READ + 4_500
GOALS |= {
    "postSealedCall (postJob)": SEALED_POST_GOAL,
    # A sealed pooled job (issues 20 and 26 together): the sealed post's goal + the pooled post's
    # own extra cost, its delegatecall to postJob (~2,000), the seed block's FRESH_SLOT and
    # JobPooled (~1,000), as postPooledJob's goal below adds them to postJob's.
    "postSealedCall (postPooledJob)": SEALED_POST_GOAL + 2_000 + FRESH_SLOT + 1_000,
    "reveal, sealed job (64-byte uri)": SEALED_REVEAL_GOAL,
    "claim, sealed job's winner (opens the exchange)": SEALED_CLAIM_GOAL,
    # Issue 26's goal for a member's proof, now with the market's window and flag: the exchange
    # reads the market's job for the attest deadline (a cold account 2,600, five cold slots and
    # the record's decoding, ~14,000) and calls its flag (the sheet, the flag and the exchange's
    # address read cold, the sheet updated, ~10,000): 92,904 at 3 seats (shorter lists than
    # test_sealed_gas.py's 15, whose 80,510 had neither).
    "proveBadEnvelope through the market, 3 seats": 150_000,
}


# ----- Pooled jobs (issue 20, re-rolling the split): the pooled post's extra cost, by the rule --
# postPooledJob: postJob's goal + its delegatecall to postJob (~2,000, as the provenance post
# measured) + the seed block's FRESH_SLOT (PooledJobs._seedBlocksOfSplits, outside the full job
# record) + JobPooled (a LOG2 of one word, ~1,000). cancelJob (no goal) reads that slot cold
# (+2,100); finalize reads it only for a job nobody committed to, so its goals do not move.
# postPooledAnchoredJob: the provenance post's goal + its delegatecall to postJobWithProvenance
# (~2,000) + the same seed block and event.
GOALS["postPooledJob"] = _rebase("postJob", 160_000) + 2_000 + FRESH_SLOT + 1_000
GOALS["postPooledAnchoredJob (branch of 2)"] = (
    _rebase("postJob", 160_000) + PROVENANCE_OVERHEAD + 2_000 + FRESH_SLOT + 1_000
)


def test_pooled_post_gas(market, requester):
    _, tx = post(market, requester, pooled=True)
    _record("postPooledJob", tx.gas_used)


def test_pooled_anchored_post_gas(prov_market, anchored, requester):
    from provenance_helpers import proof

    tx = post_with_provenance(prov_market, requester, proof(anchored, 2), pooled=True)
    _record("postPooledAnchoredJob (branch of 2)", tx.gas_used)


def test_sealed_pooled_post_gas(market, requester):
    _, _, tx = post_sealed(market, requester, pooled=True)
    _record("postSealedCall (postPooledJob)", tx.gas_used)


def test_sealed_post_and_reveal_gas(market, requester, alice):
    job_id, _, tx = post_sealed(market, requester)
    _record("postSealedCall (postJob)", tx.gas_used)
    do_commit(market, job_id, alice, 7000)
    to_reveal(market, job_id)
    publish_seal(market, job_id, alice)
    _record("reveal, sealed job (64-byte uri)", do_reveal(market, job_id, alice, 7000, uri=URI64).gas_used)


def test_sealed_envelopes_and_proof_gas(market, requester, alice, validators):
    pairs = register_members(market, validators)
    job_id, _, _ = post_sealed(market, requester)
    do_commit(market, job_id, alice, 7000)
    to_reveal(market, job_id)
    work = publish_seal(market, job_id, alice)
    do_reveal(market, job_id, alice, 7000)
    draw(market, job_id, requester)
    prover = next(v for v in validators if v.address in lens_of(market).committee(job_id))
    posted = post_envelopes(market, job_id, alice, work, pairs, wrong_for=prover.address)
    ROWS["postEnvelopes through the market, 3 seats"] = posted.tx.gas_used
    _record(
        "proveBadEnvelope through the market, 3 seats",
        prove_bad(market, job_id, alice, work, posted, prover, pairs[prover.address]).gas_used,
    )


def test_sealed_winner_claim_gas(market, requester, alice, validators):
    job_id, _, _ = post_sealed(market, requester)
    do_commit(market, job_id, alice, 7000)
    to_reveal(market, job_id)
    publish_seal(market, job_id, alice)
    do_reveal(market, job_id, alice, 7000)
    reveal_eval(market, job_id, requester)
    draw(market, job_id, requester)
    seated = [v for v in validators if v.address in lens_of(market).committee(job_id)]
    to_attest(market, job_id)
    for v in seated:
        commit_scores(market, job_id, v, [7000])
    to_settle(market, job_id)
    for v in seated:
        reveal_scores(market, job_id, v, [7000])
    to_finalize(market, job_id)
    finalize(market, job_id, requester)

    tx = market.claim(job_id, 0, {"from": alice})

    assert "ExchangeOpened" in tx.events
    _record("claim, sealed job's winner (opens the exchange)", tx.gas_used)
