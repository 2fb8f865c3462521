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
        seals = [market.attestation_seal(job_id, m) for m in market.committee(job_id)]
        waiting = sum(seal == SEAL_NONE for seal in seals)
        return f"sealed scores from {waiting} of {len(seals)} seats" if waiting else None
    if phase == Phase.SETTLING:  # a seat that sealed nothing has nothing to reveal
        seals = [market.attestation_seal(job_id, m) for m in market.committee(job_id)]
        waiting = sum(seal not in (SEAL_NONE, SEAL_REVEALED) for seal in seals)
        return f"revealed scores from {waiting} of {len(seals)} seats" if waiting else None
    return None
