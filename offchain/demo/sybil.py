"""The demo's Sybil attempt, as the chain recorded it.

The over-claimer's operator funds fresh addresses (dev-mnemonic accounts that anvil does not
fund) and bonds each as a validator running `offchain validator --inflate-for
<over-claimer>`: it attests the over-claimer's claim and 0 for every other submission,
without evaluating. Seats are drawn by bond and the honest validators bond ten times the
minimum (HONEST_BOND), so the Sybils and the lazy copier, who side with the over-claimer,
draw a majority of the 15 seats about once in 430,000 jobs (the demo prints the odds): every
submission's median is an honest score, the over-claimer is judged dishonest, its rival keeps
its measured score, and each seat a Sybil draws lands its attestations outside the tolerance
and costs it part of its bond. Splitting bond buys no seats, so the Sybils' 2 ETH draw no seat
at all in about half the runs: then the attempt bought nothing, and the demo says so. The demo
reads the attestations and the settlement from the chain (offchain.demo.committee), and
`check` fails the run if the chain says the Sybils got their way.
"""

from __future__ import annotations

from offchain.demo.committee import CommitteeView, Member
from offchain.demo.processes import DemoError
from offchain.demo.report import ETHER
from offchain.eth.market import Outcome, Submission

SYBILS = (100, 101)  # dev-mnemonic indices anvil leaves unfunded: fresh addresses
SYBIL_FUNDS = 11 * ETHER // 10  # what the over-claimer sends each: the 1 ETH minimum bond and gas
# What each honest validator bonds: ten minimum bonds, so that the two Sybils and the lazy
# copier (3 ETH of minimum bonds) draw a strict majority of 15 seats by bond with odds
# majority_odds(15, 3 / 43) = 2.3e-6 (five validators) or 1.0e-6 (the end-to-end run's three
# honest ones and two Sybils: 2 / 32).
HONEST_BOND = 10 * ETHER


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
    Raises DemoError when the chain says the Sybils got their way (or a seated one went
    unpunished). Sybils that drew no seat are no failure: seats are by bond, and theirs is small."""
    sybils = [m for m in members if m.kind == "sybil" and m.address in view.seated]
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
            f"{m.name}: {len(settled.seats)} seat(s), {settled.bad} attestations outside the tolerance, "
            f"{settled.good} within; bond slashed {settled.slashed / ETHER:g} ETH, paid {settled.paid / ETHER:g} ETH"
        )
    unseated = [m.name for m in members if m.kind == "sybil" and m.address not in view.seated]
    if unseated:
        lines.append(f"{', '.join(unseated)}: drew no seat (seats by bond), so attested nothing and kept the bond")
    return lines


def attempt_line(view: CommitteeView, members: list[Member], subs: list[Submission], target: str) -> str:
    """The report's one-line summary of the attempt (after `check` passed)."""
    seated = [m for m in members if m.kind == "sybil" and m.address in view.seated]
    sybils = sum(m.kind == "sybil" for m in members)
    over = next(s for s in subs if s.worker == target)
    lost = sum(view.settled[m.address].slashed for m in seated)
    seats = sum(len(view.seats_of(m.address)) for m in seated)
    if not seated:
        return (
            f"Sybil attempt failed: the over-claimer's {sybils} Sybil validators drew none of the "
            f"{len(view.seated)} seats (seats are drawn by bond, theirs is small); the honest majority's median "
            f"judged the over-claimer at {over.verified_score_bps / 100:.2f} % ({over.outcome.name.lower()}: "
            "stake slashed)."
        )
    return (
        f"Sybil attempt failed: {len(seated)} of {sybils} Sybil validators of the over-claimer drew {seats} of "
        f"{len(view.seated)} seats and attested its claim of {over.claimed_score_bps / 100:.2f} % and 0 % for "
        f"every other submission; the honest majority's median judged the over-claimer at "
        f"{over.verified_score_bps / 100:.2f} % ({over.outcome.name.lower()}: stake slashed), and the "
        f"Sybils lost {lost / ETHER:g} ETH of their bonds."
    )
