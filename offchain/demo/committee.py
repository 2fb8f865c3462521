"""The demo's committee as the chain recorded it: who may be drawn, the seats, what each
member attested and how finalize settled it.

Seats are drawn by bond from the hash of a seed block fixed by the draw's first call, on the
weights of the epoch's start (issue 20 item 2): each seat goes to a validator with probability
proportional to its bond and a seated validator stays in the draw, so a member may hold several
seats and splitting a bond into Sybils buys none; an excluded leaf (the requester's bond) leaves
the draw and costs no seat (CommitteeDraw.drawSeats, issue 20 item 3). The demo's job asks for
the largest committee (15 seats), and every seat is filled. A member is paid and slashed per
seat it holds (one ValidatorSettled each), so the view sums its seats. Whatever the draw gave is
what the demo shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
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


def majority_odds(seats: int, share: float) -> float:
    """The chance that bond holding `share` of the eligible bond draws a strict majority of
    `seats` seats drawn by bond (each seat independently: a binomial tail)."""
    return sum(comb(seats, k) * share**k * (1 - share) ** (seats - k) for k in range(seats // 2 + 1, seats + 1))


def draw_odds_lines(
    bonds: dict[str, int], honest: set[str], sybils: set[str], total_weight: int, seats: int
) -> list[str]:
    """Narration before the draw: the eligible validators' bonds (wei, by address), the honest
    share of bond, and the computed odds of the seats by bond: that the others (Sybils and the
    lazy copier, who side with the over-claimer) draw a majority, that no Sybil draws a seat
    (`total_weight`: the market's sortition weight in gwei, the requester's bond included)."""
    eligible = sum(bonds.values())
    honest_bond = sum(b for a, b in bonds.items() if a in honest)
    sybil_share = sum(b for a, b in bonds.items() if a in sybils) / eligible
    excluded = total_weight - eligible // GWEI  # the requester's bond: it leaves the draw when drawn
    return [
        f"bonded for the draw: {len(bonds)} eligible validators with {eligible / ETHER:g} ETH, the honest ones "
        f"{honest_bond / ETHER:g} ETH ({100 * honest_bond / eligible:.0f} %); the job's {seats} seats are drawn by "
        "bond, a seated validator stays in the draw and may hold several",
        f"odds the others draw a majority of the seats: {majority_odds(seats, 1 - honest_bond / eligible):.1e}; "
        f"that no Sybil draws a seat: {(1 - sybil_share) ** seats:.2f} (seats by bond: splitting buys none)",
        f"the {excluded * GWEI / ETHER:g} ETH the draw excludes (the requester's bond) leaves it when drawn, "
        "without costing a seat (issue 20: no whale can shrink a committee)",
    ]


@dataclass(frozen=True)
class Settled:
    """A member's settlement summed over the seats it held (finalize emits one event a seat)."""

    seats: tuple[int, ...]
    good: int  # attestations within tolerance, over its seats
    bad: int  # outside it or missing, over its seats
    paid: int
    slashed: int  # each seat slashes its share of what the seats before it left

    @classmethod
    def of(cls, events: list[ValidatorSettled]) -> Settled:
        return cls(
            tuple(e.seat for e in events),
            sum(e.good for e in events),
            sum(e.bad for e in events),
            sum(e.paid for e in events),
            sum(e.slashed for e in events),
        )


@dataclass
class CommitteeView:
    """The committee of a job and what each member attested and was settled, from the chain."""

    drawn: CommitteeDrawn
    attested: dict[str, tuple[int, ...]]  # validator -> its revealed scores, in commit order
    settled: dict[str, Settled]  # validator -> finalize's tally over its seats (absent before finalize)

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
        by_member: dict[str, list[ValidatorSettled]] = {}
        for e in market.events_of(job_id, "ValidatorSettled"):
            if isinstance(e, ValidatorSettled):
                by_member.setdefault(e.validator, []).append(e)
        return cls(drawn, attested, {a: Settled.of(events) for a, events in by_member.items()})

    @property
    def seated(self) -> list[str]:
        """The filled seats' holders, in seat order (a member once per seat it holds)."""
        return [a for a in self.drawn.seats if int(a, 16) != 0]

    def seats_of(self, address: str) -> list[int]:
        return [seat for seat, a in enumerate(self.drawn.seats) if a == address]


def committee_lines(view: CommitteeView, members: list[Member], requester: str) -> list[str]:
    """Narration of the draw: every filled seat's holder, who was left out, the requester's absence."""
    names = {m.address: m for m in members}
    lines = [
        f"seat {seat:>2}: {names[a].name:<12} {names[a].behaviour:<26} {a}" if a in names else f"seat {seat:>2}: {a}"
        for seat, a in enumerate(view.drawn.seats)
        if int(a, 16) != 0
    ]
    empty = len(view.drawn.seats) - len(view.seated)
    held = [f"{m.name} {len(view.seats_of(m.address))}" for m in members if m.address in view.seated]
    lines.append(f"seats held (by bond): {', '.join(held)}" + (f"; {empty} seats empty" if empty else ""))
    left_out = [m.name for m in members if m.address not in view.seated]
    if left_out:
        lines.append(f"not drawn this time: {', '.join(left_out)}")
    where = "is on it (a contract bug)" if requester in view.seated else "is not on it: the contract skips it"
    lines.append(f"the requester's validator address {requester} {where}")
    return lines


def validator_table(view: CommitteeView, rows: list[tuple[str, str, str]], bonds: dict[str, int]) -> list[str]:
    """Markdown rows: each validator's (name, behaviour, address) seat, tally, pay and bond
    penalty as finalize emitted them, and its bond now (`bonds`, by address)."""
    lines = [
        "| validator | behaviour | seats | within / outside tolerance | paid (ETH) | bond slashed (ETH) "
        "| bond now (ETH) |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for name, behaviour, address in rows:
        e = view.settled.get(address)
        if address not in view.seated:
            tally, paid, slashed, seat = "not drawn", 0, 0, "-"
        else:
            seat = ", ".join(map(str, view.seats_of(address)))
            tally = f"{e.good} / {e.bad}" if e else "nothing to attest"
            paid, slashed = (e.paid, e.slashed) if e else (0, 0)
        lines.append(
            f"| {name} | {behaviour} | {seat} | {tally} | {paid / ETHER:.6f} | {slashed / ETHER:.6f} | "
            f"{bonds[address] / ETHER:.6f} |"
        )
    return lines
