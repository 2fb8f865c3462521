"""The demo's Sybil attempt, without a chain: the verdict that fails the demo when the chain
says the Sybils got their way. (Seats are drawn by bond, a member may hold several:
tests/contracts/market/test_attacks_v3.py, issue 20.)"""

from __future__ import annotations

from dataclasses import replace

import pytest

from offchain.demo.committee import CommitteeView, Member, Settled, majority_odds
from offchain.demo.processes import DemoError
from offchain.demo.sybil import attempt_line, check
from offchain.eth.market import Outcome, Submission
from offchain.eth.market_events import CommitteeDrawn, ValidatorSettled

ZERO = "0x" + "00" * 20
HONEST = [f"0x{i:040x}" for i in (1, 2, 3)]
SYBILS = [f"0x{i:040x}" for i in (4, 5)]
WORKER, TARGET = f"0x{10:040x}", f"0x{11:040x}"
AT = {"block": 1, "tx_hash": "0x00", "log_index": 0}


def _members() -> list[Member]:
    honest = [Member(f"validator-{i + 1}", i, a, "honest") for i, a in enumerate(HONEST)]
    return honest + [Member(f"sybil-{i + 1}", 100 + i, a, "sybil") for i, a in enumerate(SYBILS)]


def _sub(worker: str, claimed: int, verified: int, outcome: Outcome) -> Submission:
    return Submission(worker, 0, bytes(32), True, claimed, 5, verified, outcome, 0)


def _settled(validator: str, seat: int, good: int, bad: int, slashed: int) -> Settled:
    event = ValidatorSettled(
        **AT, job_id=1, validator=validator, seat=seat, good=good, bad=bad, paid=0, slashed=slashed
    )
    return Settled.of([event])


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
        f"sybil-{i}: 1 seat(s), 2 attestations outside the tolerance, 0 within; bond slashed 0.2 ETH, paid 0 ETH"
        for i in (1, 2)
    ]
    assert attempt_line(view, _members(), subs, TARGET).startswith(
        "Sybil attempt failed: 2 of 2 Sybil validators of the over-claimer drew 2 of 5 seats and attested its "
        "claim of 90.00 %"
    )


def test_a_sybil_holding_several_seats_is_reported_with_all_of_them() -> None:
    view, subs = _failed_attempt()
    seats = (*HONEST, SYBILS[0], HONEST[0], SYBILS[0], *[ZERO] * 8)
    events = [
        ValidatorSettled(**AT, job_id=1, validator=SYBILS[0], seat=s, good=0, bad=2, paid=0, slashed=x)
        for s, x in ((3, 2 * 10**17), (5, 16 * 10**16))  # the second seat slashes a fifth of what the first left
    ]
    view = replace(
        view, drawn=replace(view.drawn, seats=seats), settled={**view.settled, SYBILS[0]: Settled.of(events)}
    )

    lines = check(view, _members(), subs, TARGET)

    assert lines == [
        "sybil-1: 2 seat(s), 4 attestations outside the tolerance, 0 within; bond slashed 0.36 ETH, paid 0 ETH",
        "sybil-2: drew no seat (seats by bond), so attested nothing and kept the bond",
    ]
    assert attempt_line(view, _members(), subs, TARGET).startswith(
        "Sybil attempt failed: 1 of 2 Sybil validators of the over-claimer drew 2 of 6 seats"
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


def test_sybils_that_drew_no_seat_are_reported_not_failed() -> None:
    # Seats by bond: the Sybils' small bond may draw none of the seats, and the attempt then bought nothing.
    view, subs = _failed_attempt()
    view = replace(view, drawn=replace(view.drawn, seats=(*HONEST, *[ZERO] * 12)))

    lines = check(view, _members(), subs, TARGET)

    assert lines == ["sybil-1, sybil-2: drew no seat (seats by bond), so attested nothing and kept the bond"]
    assert attempt_line(view, _members(), subs, TARGET).startswith(
        "Sybil attempt failed: the over-claimer's 2 Sybil validators drew none of the 3 seats"
    )


def test_the_odds_of_a_majority_of_seats_by_bond_are_the_binomial_tail() -> None:
    # Reference by enumeration: every assignment of 3 seats, each to the minority with probability 0.3.
    from itertools import product

    brute = sum(0.3 ** sum(s) * 0.7 ** (3 - sum(s)) for s in product((0, 1), repeat=3) if 2 * sum(s) > 3)

    assert majority_odds(3, 0.3) == pytest.approx(brute)
    assert majority_odds(15, 3 / 43) == pytest.approx(2.31e-6, rel=1e-2)  # the demo's (sybil.HONEST_BOND)
    assert majority_odds(15, 2 / 32) == pytest.approx(1.0e-6, rel=1e-2)  # the end-to-end run's
