"""The demo's committee as the chain recorded it: who may be drawn, the seats, what each
member attested and how finalize settled it.

Seats are drawn by bond from the hash of a seed block fixed by the draw's first call, on the
weights of the epoch's start (issue 20 item 2), without replacement, and a leaf drawn leaves the draw
whether it is seated or excluded (TrainingMarket._drawSeats, issue 20 item 3), so the requester's
bond costs no seat and a committee at least as large as the eligible set seats every one of them.
The demo's job asks for the largest committee (15 seats): the seats left over stay empty, and
settlement skips them. Whatever the draw gave is what the demo shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from offchain.demo.processes import DemoError
from offchain.demo.report import ETHER
from offchain.eth.market_events import AttestationRevealed, CommitteeDrawn, ValidatorSettled

MAX_SEATS = 15  # the contract's largest committee (Committee.MAX_SEATS)
GWEI = 10**9  # the unit of sortition weights (ValidatorSet.WEIGHT_UNIT)
BEHAVIOURS = {
    "honest": "evaluates",
    "lazy": "lazy (copies claims)",
    "sybil": "Sybil of the over-claimer",
}


@dataclass(frozen=True)
class Member:
    """A validator the demo runs: its name, dev-mnemonic index, address and behaviour."""

    name: str
    account: int
    address: str
    kind: str  # a key of BEHAVIOURS

    @property
    def behaviour(self) -> str:
        return BEHAVIOURS[self.kind]


def draw_odds_lines(bonds: dict[str, int], honest: set[str], total_weight: int, seats: int) -> list[str]:
    """Narration before the draw: the eligible validators' bonds (wei, by address), the honest
    share of bond and seats, and that the draw seats them all when they are no more than the
    seats (`total_weight`: the market's sortition weight in gwei, the requester's bond included)."""
    eligible = sum(bonds.values())
    honest_bond = sum(b for a, b in bonds.items() if a in honest)
    lines = [
        f"bonded for the draw: {len(bonds)} eligible validators with {eligible / ETHER:g} ETH, the honest ones "
        f"{honest_bond / ETHER:g} ETH ({100 * honest_bond / eligible:.0f} %) and {len(honest & set(bonds))} of "
        f"{len(bonds)} seats; the committee is drawn by bond, the job asks for up to {seats} seats"
    ]
    if len(bonds) <= seats:
        excluded = total_weight - eligible // GWEI  # the requester's bond: it leaves the draw when drawn
        lines.append(
            f"every eligible validator is seated: the {excluded * GWEI / ETHER:g} ETH the draw excludes leaves it "
            "when drawn, without costing a seat (issue 20: no whale can shrink a committee)"
        )
    return lines


@dataclass
class CommitteeView:
    """The committee of a job and what each member attested and was settled, from the chain."""

    drawn: CommitteeDrawn
    attested: dict[str, tuple[int, ...]]  # validator -> its revealed scores, in commit order
    settled: dict[str, ValidatorSettled]  # validator -> finalize's tally (absent before finalize)

    @classmethod
    def read(cls, market: Any, job_id: int) -> CommitteeView:
        drawn = market.committee_drawn(job_id)
        if drawn is None:
            raise DemoError(f"job {job_id} has no committee on chain")
        attested = {
            e.validator: e.scores
            for e in market.events_of(job_id, "AttestationRevealed")
            if isinstance(e, AttestationRevealed)
        }
        settled = {
            e.validator: e for e in market.events_of(job_id, "ValidatorSettled") if isinstance(e, ValidatorSettled)
        }
        return cls(drawn, attested, settled)

    @property
    def seated(self) -> list[str]:
        return [a for a in self.drawn.seats if int(a, 16) != 0]


def committee_lines(view: CommitteeView, members: list[Member], requester: str) -> list[str]:
    """Narration of the draw: every filled seat's holder, who was left out, the requester's absence."""
    names = {m.address: m for m in members}
    lines = [
        f"seat {seat:>2}: {names[a].name:<12} {names[a].behaviour:<26} {a}" if a in names else f"seat {seat:>2}: {a}"
        for seat, a in enumerate(view.drawn.seats)
        if int(a, 16) != 0
    ]
    empty = len(view.drawn.seats) - len(view.seated)
    left_out = [m.name for m in members if m.address not in view.seated]
    if left_out:
        lines.append(f"{empty} seats empty; not drawn this time: {', '.join(left_out)}")
    elif empty:
        lines.append(f"{empty} seats stay empty: every eligible validator holds a seat")
    where = "is on it (a contract bug)" if requester in view.seated else "is not on it: the contract skips it"
    lines.append(f"the requester's validator address {requester} {where}")
    return lines


def validator_table(view: CommitteeView, rows: list[tuple[str, str, str]], bonds: dict[str, int]) -> list[str]:
    """Markdown rows: each validator's (name, behaviour, address) seat, tally, pay and bond
    penalty as finalize emitted them, and its bond now (`bonds`, by address)."""
    lines = [
        "| validator | behaviour | seat | within / outside tolerance | paid (ETH) | bond slashed (ETH) "
        "| bond now (ETH) |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for name, behaviour, address in rows:
        e = view.settled.get(address)
        if address not in view.seated:
            tally, paid, slashed, seat = "not drawn", 0, 0, "-"
        else:
            seat = str(view.drawn.seats.index(address))
            tally = f"{e.good} / {e.bad}" if e else "nothing to attest"
            paid, slashed = (e.paid, e.slashed) if e else (0, 0)
        lines.append(
            f"| {name} | {behaviour} | {seat} | {tally} | {paid / ETHER:.6f} | {slashed / ETHER:.6f} | "
            f"{bonds[address] / ETHER:.6f} |"
        )
    return lines
