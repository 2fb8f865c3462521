"""What a job's current window still waits for.

On a local chain the clock moves only when someone moves it: `offchain chain warp --to JOB
PHASE --wait` closes a window only once the work expected in it is on chain, so a user who
warps right after posting does not skip the worker's commit, nor the committee's scores, nor
an appeal's votes; and `--to JOB finalizable` lands where finalize stops reverting, after an
appeal's vote (`finalizable_at`), not inside it.
"""

from __future__ import annotations

from offchain.eth.appeals import VOTE_NONE, VOTE_REVEALED, VOTE_SLASHED, AppealsClient
from offchain.eth.market import SEAL_NONE, SEAL_REVEALED, MarketClient, Phase


def finalizable_at(market: MarketClient, job_id: int) -> int:
    """The first second finalize can settle the job: its settle deadline, or, once an appeal is
    filed, the close of its vote's reveals (finalize reverts AppealsVoteOpen until then)."""
    return max(market.job(job_id).settle_deadline, AppealsClient(market).appeal(job_id).reveal_until)


def outstanding(market: MarketClient, job_id: int) -> str | None:
    """What the job's current window still waits for, in words; None when nothing is due.

    Commits: at least one (how many workers will come is unknown). Reveals: every commit
    revealed, the evaluation set opened, the committee drawn. Attestations: every seat's
    sealed scores. Their reveals: every sealed seat's scores revealed. An appeal's vote: every
    eligible member's sealed vote, then every sealed vote revealed."""
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
    if phase in (Phase.APPEAL_VOTING, Phase.APPEAL_REVEALING):
        return _votes(market, job_id, phase)
    return None


def _votes(market: MarketClient, job_id: int, phase: Phase) -> str | None:
    """The eligible members whose vote the appeal's window still waits for: a commit while
    commits are open, a reveal of what was committed after."""
    appeals = AppealsClient(market)
    leaves = appeals.appeal(job_id).members
    owners = [str(market.contract.functions.validatorAt(leaf).call()) for leaf in range(leaves)]
    eligible = [m for m in dict.fromkeys(owners) if appeals.eligible(job_id, m)]
    votes = {m: appeals.vote_of(job_id, m) for m in eligible}
    if phase == Phase.APPEAL_VOTING:
        return _members("sealed votes", [m for m, v in votes.items() if v == VOTE_NONE], len(eligible))
    sealed = [m for m, v in votes.items() if v not in (VOTE_NONE, VOTE_REVEALED, VOTE_SLASHED)]
    return _members("revealed votes", sealed, len(eligible))


def _members(what: str, silent: list[str], eligible: int) -> str | None:
    """ "sealed votes from 1 of 3 eligible members (0xAb…: is its validator running?)"."""
    if not silent:
        return None
    question = "is its validator running?" if len(silent) == 1 else "are their validators running?"
    return f"{what} from {len(silent)} of {eligible} eligible members ({', '.join(silent)}: {question})"


def _seats(what: str, silent: list[str], seats: int) -> str | None:
    """ "sealed scores from 1 of 3 seats (held by 0xAb…: is its validator running?)": the members named,
    so a user whose validator died sees which one rather than waiting out the timeout."""
    if not silent:
        return None
    members = list(dict.fromkeys(silent))  # a member may hold several seats: named once
    question = "is its validator running?" if len(members) == 1 else "are their validators running?"
    return f"{what} from {len(silent)} of {seats} seats (held by {', '.join(members)}: {question})"
