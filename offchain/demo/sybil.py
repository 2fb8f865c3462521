"""The demo's Sybil attempt and its committee, as the chain recorded them.

The attempt: the over-claimer's operator funds fresh addresses (dev-mnemonic accounts that
anvil does not fund) and bonds each as a validator running `offchain validator --inflate-for
<over-claimer>`: it attests the over-claimer's claim and 0 for every other submission,
without evaluating. The honest validators hold more seats than the Sybils and the lazy
validator together (and the majority of the bond), so every submission's median is an honest
score: the over-claimer is judged dishonest, its rival keeps its measured score, and each
Sybil attestation lands outside the tolerance and costs its holder part of its bond.

The committee: seats are drawn by bond from prevrandao with at most 8 tries per seat, so a
committee as large as the eligible set (7 here, the requester's bond also in the tree) leaves
a seat empty with a probability of about 0.4 % (`left_out_odds`): too often for a demo that
names who sits where. The demo's job asks for the largest committee (15 seats) instead: its
120 tries seat all 7 eligible validators but for a chance of 7.8e-7, computed from the bonds
on chain and printed; the seats left over stay empty, and settlement skips them. Whatever the
draw gave is what the demo shows: the seats, the attestations and the settlement are read
from the chain, and `check` fails the run if the chain says the Sybils got their way.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from typing import Any

from offchain.demo.processes import DemoError
from offchain.demo.report import ETHER
from offchain.eth.market import Outcome, Submission
from offchain.eth.market_events import AttestationRevealed, CommitteeDrawn, ValidatorSettled

MAX_SEATS = 15  # the contract's largest committee (Committee.MAX_SEATS)
TRIES_PER_SEAT = 8  # TrainingMarket._drawSeats gives up on a seat after this many tries
SYBILS = (100, 101)  # dev-mnemonic indices anvil leaves unfunded: fresh addresses
SYBIL_FUNDS = 11 * ETHER // 10  # what the over-claimer sends each: the 1 ETH minimum bond and gas
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


def left_out_odds(eligible: list[int], excluded: int, seats: int) -> float:
    """The chance that a draw of `seats` seats leaves out one of the `eligible` validators
    (their sortition weights), when they are no more than the seats: each of the
    TRIES_PER_SEAT * seats tries picks a leaf with probability weight / total, `excluded`
    being the weight the draw skips (the requester's and workers' bonds). Exact by
    inclusion-exclusion over the eligible set (at most 15 members: 32,767 terms)."""
    if not 0 < len(eligible) <= min(seats, MAX_SEATS):
        raise DemoError(f"left_out_odds takes 1 to {min(seats, MAX_SEATS)} eligible validators, got {len(eligible)}")
    total = sum(eligible) + excluded
    tries = TRIES_PER_SEAT * seats
    odds = 0.0
    for k in range(1, len(eligible) + 1):
        for subset in combinations(eligible, k):
            odds += (-1) ** (k + 1) * (1 - sum(subset) / total) ** tries
    return max(odds, 0.0)


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


def attestation_table(
    view: CommitteeView, members: list[Member], subs: list[Submission], labels: list[str]
) -> list[str]:
    """Markdown rows: each seated member's revealed score per submission, then the claims and medians."""
    head = "| validator | behaviour | " + " | ".join(labels) + " |"
    rows = [head, "|---|---|" + "---:|" * len(labels)]
    for m in members:
        if m.address not in view.seated:
            rows.append(f"| {m.name} | {m.behaviour} | " + " | ".join("not drawn" for _ in labels) + " |")
            continue
        scores = view.attested.get(m.address)
        cells = [f"{s / 100:.2f} %" for s in scores] if scores else ["no reveal"] * len(labels)
        rows.append(f"| {m.name} | {m.behaviour} | " + " | ".join(cells) + " |")
    rows.append("| claimed | by the worker | " + " | ".join(f"{s.claimed_score_bps / 100:.2f} %" for s in subs) + " |")
    rows.append(
        "| **median** | verified | "
        + " | ".join(f"**{s.verified_score_bps / 100:.2f} %** ({s.outcome.name.lower()})" for s in subs)
        + " |"
    )
    return rows


def check(view: CommitteeView, members: list[Member], subs: list[Submission], target: str) -> list[str]:
    """The attempt's outcome from the chain: one line per Sybil and one for the medians.
    Raises DemoError when the chain says the Sybils got their way (or went unpunished)."""
    sybils = [m for m in members if m.kind == "sybil" and m.address in view.seated]
    if not sybils:
        raise DemoError("no Sybil was drawn into the committee: the attempt was never made")
    honest = {m.address for m in members if m.kind == "honest"}
    by_worker = {s.worker: s for s in subs}
    index = {s.worker: i for i, s in enumerate(subs)}
    lines = []
    for worker, sub in by_worker.items():
        measured = sorted({view.attested[a][index[worker]] for a in honest if a in view.attested})
        if sub.verified_score_bps not in measured:
            raise DemoError(
                f"the median of {worker} ({sub.verified_score_bps} bps) is no honest validator's score {measured}"
            )
    if by_worker[target].outcome != Outcome.DISHONEST:
        raise DemoError(f"the over-claimer {target} was judged {by_worker[target].outcome.name}: the Sybils won")
    for m in sybils:
        settled = view.settled.get(m.address)
        if settled is None or settled.slashed == 0:
            raise DemoError(f"{m.name} ({m.address}) attested for the over-claimer and was not slashed")
        lines.append(
            f"{m.name}: {settled.bad} attestations outside the tolerance, {settled.good} within; "
            f"bond slashed {settled.slashed / ETHER:g} ETH, paid {settled.paid / ETHER:g} ETH"
        )
    return lines
