"""The demo's Sybil attempt, without a chain: the verdict that fails the demo when the chain
says the Sybils got their way. (The draw seats every eligible validator when they are no more
than the seats: tests/contracts/market/test_attacks_v3.py, issue 20 item 3.)"""

from __future__ import annotations

from dataclasses import replace

import pytest

from offchain.demo.committee import CommitteeView, Member
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
