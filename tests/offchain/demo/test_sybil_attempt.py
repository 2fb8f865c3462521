"""The demo's Sybil attempt, without a chain: the odds that the committee draw leaves an
eligible validator out (checked against an exact Markov chain of the contract's draw), and
the verdict that fails the demo when the chain says the Sybils got their way."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import pytest

from offchain.demo.committee import TRIES_PER_SEAT, CommitteeView, Member, left_out_odds
from offchain.demo.processes import DemoError
from offchain.demo.sybil import attempt_line, check
from offchain.eth.market import Outcome, Submission
from offchain.eth.market_events import CommitteeDrawn, ValidatorSettled

ZERO = "0x" + "00" * 20
HONEST = [f"0x{i:040x}" for i in (1, 2, 3)]
SYBILS = [f"0x{i:040x}" for i in (4, 5)]
WORKER, TARGET = f"0x{10:040x}", f"0x{11:040x}"
AT = {"block": 1, "tx_hash": "0x00", "log_index": 0}


def _draw_misses_exactly(eligible: list[int], excluded: int, seats: int) -> Fraction:
    """The contract's draw as a Markov chain over the set of eligible leaves hit so far:
    each try hits leaf i with probability weight_i / total (the excluded weight hits nothing
    new); the chance that some eligible leaf is never hit in 8 * seats tries."""
    total = sum(eligible) + excluded
    states = {frozenset(): Fraction(1)}
    for _ in range(TRIES_PER_SEAT * seats):
        after: dict[frozenset[int], Fraction] = {}
        for hit, p in states.items():
            for leaf, weight in enumerate(eligible):
                key = hit | {leaf}
                after[key] = after.get(key, Fraction(0)) + p * Fraction(weight, total)
            after[hit] = after.get(hit, Fraction(0)) + p * Fraction(excluded, total)
        states = after
    return 1 - states.get(frozenset(range(len(eligible))), Fraction(0))


@pytest.mark.parametrize(
    ("eligible", "excluded", "seats"), [([1, 1, 1], 0, 3), ([2, 1], 1, 3), ([1, 1, 1, 1, 1], 1, 5), ([3, 1], 2, 2)]
)
def test_the_odds_match_an_exact_markov_chain_of_the_draw(eligible: list[int], excluded: int, seats: int) -> None:
    assert left_out_odds(eligible, excluded, seats) == pytest.approx(
        float(_draw_misses_exactly(eligible, excluded, seats)), rel=1e-9
    )


def test_the_demos_fifteen_seats_leave_none_of_seven_out_but_a_seven_seat_committee_would() -> None:
    # Seven 1 ETH validators and the requester's 1 ETH bond, which the draw skips.
    assert left_out_odds([1] * 7, 1, 15) < 1e-6
    assert left_out_odds([1] * 7, 1, 7) > 3e-3  # the committee as large as the eligible set: flaky


def test_the_odds_refuse_more_validators_than_seats() -> None:
    with pytest.raises(DemoError, match="eligible"):
        left_out_odds([1] * 4, 0, 3)


def _members() -> list[Member]:
    honest = [Member(f"validator-{i + 1}", i, a, "honest") for i, a in enumerate(HONEST)]
    return honest + [Member(f"sybil-{i + 1}", 100 + i, a, "sybil") for i, a in enumerate(SYBILS)]


def _sub(worker: str, claimed: int, verified: int, outcome: Outcome) -> Submission:
    return Submission(worker, 0, bytes(32), True, claimed, 5, verified, outcome, 0)


def _settled(validator: str, seat: int, good: int, bad: int, slashed: int) -> ValidatorSettled:
    return ValidatorSettled(**AT, job_id=1, validator=validator, seat=seat, good=good, bad=bad, paid=0, slashed=slashed)


def _failed_attempt() -> tuple[CommitteeView, list[Submission]]:
    """Three honest validators measure 7000 and 6500; the Sybils attest 0 and the claim 9000."""
    seats = (*HONEST, *SYBILS, *[ZERO] * 10)
    attested = {**{a: (7000, 6500) for a in HONEST}, **{a: (0, 9000) for a in SYBILS}}
    settled = {a: _settled(a, i, 2, 0, 0) for i, a in enumerate(HONEST)}
    settled.update({a: _settled(a, 3 + i, 0, 2, 2 * 10**17) for i, a in enumerate(SYBILS)})
    view = CommitteeView(CommitteeDrawn(**AT, job_id=1, seats=seats, seed=7), attested, settled)
    subs = [_sub(WORKER, 6800, 7000, Outcome.WON), _sub(TARGET, 9000, 6500, Outcome.DISHONEST)]
    return view, subs


def test_a_failed_attempt_reports_each_sybils_slash() -> None:
    view, subs = _failed_attempt()

    lines = check(view, _members(), subs, TARGET)

    assert lines == [
        f"sybil-{i}: 2 attestations outside the tolerance, 0 within; bond slashed 0.2 ETH, paid 0 ETH" for i in (1, 2)
    ]
    assert attempt_line(view, _members(), subs, TARGET).startswith(
        "Sybil attempt failed: 2 Sybil validators of the over-claimer (2 of 5 seats) attested its claim of 90.00 %"
    )


def test_the_demo_fails_when_the_sybils_carried_the_over_claimer() -> None:
    view, subs = _failed_attempt()
    won = [subs[0], replace(subs[1], verified_score_bps=9000, outcome=Outcome.HONEST)]
    view.attested[HONEST[0]] = (7000, 9000)  # one honest score, so the median passes as honest

    with pytest.raises(DemoError, match="the Sybils won"):
        check(view, _members(), won, TARGET)


def test_the_demo_fails_when_a_median_is_no_honest_score() -> None:
    view, subs = _failed_attempt()
    sunk = [replace(subs[0], verified_score_bps=0, outcome=Outcome.DISHONEST), subs[1]]

    with pytest.raises(DemoError, match="no honest validator's score"):
        check(view, _members(), sunk, TARGET)


def test_the_demo_fails_when_a_sybil_kept_its_bond() -> None:
    view, subs = _failed_attempt()
    view.settled[SYBILS[1]] = _settled(SYBILS[1], 4, 0, 2, 0)

    with pytest.raises(DemoError, match="sybil-2 .* was not slashed"):
        check(view, _members(), subs, TARGET)


def test_the_demo_fails_when_no_sybil_was_drawn() -> None:
    view, subs = _failed_attempt()
    view = replace(view, drawn=replace(view.drawn, seats=(*HONEST, *[ZERO] * 12)))

    with pytest.raises(DemoError, match="no Sybil was drawn"):
        check(view, _members(), subs, TARGET)
