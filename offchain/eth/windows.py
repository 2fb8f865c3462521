"""What a job's current window still waits for.

On a local chain the clock moves only when someone moves it: `offchain chain warp --to JOB
PHASE --wait` closes a window only once the work expected in it is on chain, so a user who
warps right after posting does not skip the worker's commit, nor the committee's scores.
"""

from __future__ import annotations

from offchain.eth.market import SEAL_NONE, SEAL_REVEALED, MarketClient, Phase


def outstanding(market: MarketClient, job_id: int) -> str | None:
    """What the job's current window still waits for, in words; None when nothing is due.

    Commits: at least one (how many workers will come is unknown). Reveals: every commit
    revealed, the evaluation set opened, the committee drawn. Attestations: every seat's
    sealed scores. Their reveals: every sealed seat's scores revealed."""
    phase = market.phase(job_id)
    if phase == Phase.OPEN:
        return None if market.job(job_id).submission_count else "a worker's commit"
    if phase == Phase.REVEALING:
        missing = []
        unrevealed = sum(not s.revealed for s in market.submissions(job_id))
        if unrevealed:
            missing.append(f"{unrevealed} worker reveal(s)")
        if not market.job(job_id).evaluation_revealed:
            missing.append("the evaluation set's opening (offchain job reveal-eval)")
        if not market.is_drawn(job_id):
            missing.append("the committee draw (validators make it)")
        return ", ".join(missing) or None
    if phase == Phase.ATTESTING:
        committee = market.committee(job_id)
        silent = [m for m in committee if market.attestation_seal(job_id, m) == SEAL_NONE]
        return _seats("sealed scores", silent, len(committee))
    if phase == Phase.SETTLING:  # a seat that sealed nothing has nothing to reveal
        committee = market.committee(job_id)
        sealed = [m for m in committee if market.attestation_seal(job_id, m) not in (SEAL_NONE, SEAL_REVEALED)]
        return _seats("revealed scores", silent=sealed, seats=len(committee))
    return None


def _seats(what: str, silent: list[str], seats: int) -> str | None:
    """ "sealed scores from 1 of 3 seats (held by 0xAb…: is its validator running?)": the members named,
    so a user whose validator died sees which one rather than waiting out the timeout."""
    if not silent:
        return None
    members = list(dict.fromkeys(silent))  # a member may hold several seats: named once
    question = "is its validator running?" if len(members) == 1 else "are their validators running?"
    return f"{what} from {len(silent)} of {seats} seats (held by {', '.join(members)}: {question})"
