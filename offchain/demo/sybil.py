"""The demo's Sybil attempt, as the chain recorded it.

The over-claimer's operator funds fresh addresses (dev-mnemonic accounts that anvil does not
fund) and bonds each as a validator running `offchain validator --inflate-for
<over-claimer>`: it attests the over-claimer's claim and 0 for every other submission,
without evaluating. The honest validators hold more seats than the Sybils and the lazy
validator together (and the majority of the bond), so every submission's median is an honest
score: the over-claimer is judged dishonest, its rival keeps its measured score, and each
Sybil attestation lands outside the tolerance and costs its holder part of its bond. The
demo reads the attestations and the settlement from the chain (offchain.demo.committee),
and `check` fails the run if the chain says the Sybils got their way.
"""

from __future__ import annotations

from offchain.demo.committee import CommitteeView, Member
from offchain.demo.processes import DemoError
from offchain.demo.report import ETHER
from offchain.eth.market import Outcome, Submission

SYBILS = (100, 101)  # dev-mnemonic indices anvil leaves unfunded: fresh addresses
SYBIL_FUNDS = 11 * ETHER // 10  # what the over-claimer sends each: the 1 ETH minimum bond and gas


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


def attempt_line(view: CommitteeView, members: list[Member], subs: list[Submission], target: str) -> str:
    """The report's one-line summary of the attempt (after `check` passed)."""
    seated = [m for m in members if m.kind == "sybil" and m.address in view.seated]
    over = next(s for s in subs if s.worker == target)
    lost = sum(view.settled[m.address].slashed for m in seated)
    return (
        f"Sybil attempt failed: {len(seated)} Sybil validators of the over-claimer ({len(seated)} of "
        f"{len(view.seated)} seats) attested its claim of {over.claimed_score_bps / 100:.2f} % and 0 % for "
        f"every other submission; the honest majority's median judged the over-claimer at "
        f"{over.verified_score_bps / 100:.2f} % ({over.outcome.name.lower()}: stake slashed), and the "
        f"Sybils lost {lost / ETHER:g} ETH of their bonds."
    )
