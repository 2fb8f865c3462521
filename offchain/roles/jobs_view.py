"""`offchain job status` and `offchain job list`: what a job looks like to a person (a
table, relative deadlines) and to a program (JSON, ISO 8601 deadlines).

Job ids start at 1 (the contract's jobCount() is the newest id).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from offchain.eth.appeals import AppealsClient
from offchain.eth.forfeit import forfeit_cause
from offchain.eth.market import Job, MarketClient, Outcome, Phase, Submission
from offchain.eth.market_events import EvaluationUnavailable
from offchain.eth.values import format_eth, hash_hex
from offchain.roles.humantime import iso, relative
from offchain.roles.session import Session

MAX_LISTED = 500  # jobs in one listing, newest first

# The deadline that matters in each phase, and how to say it.
NEXT_DEADLINE = {
    "open": ("commit_deadline", "commits close"),
    "revealing": ("reveal_deadline", "reveals close"),
    "attesting": ("attest_deadline", "sealed attestations close"),
    "settling": ("settle_deadline", "attestation reveals close"),
    "appeal_voting": ("vote_commit_deadline", "the appeal's vote commits close"),
    "appeal_revealing": ("vote_reveal_deadline", "the appeal's vote reveals close, then finalizable"),
    "finalizable": ("settle_deadline", "finalizable: every window closed"),
}


def job_ids(session: Session, newest_first: bool = False, limit: int = MAX_LISTED) -> list[int]:
    """Every job id (1..jobCount), at most `limit` of the newest."""
    limit = max(1, min(limit, MAX_LISTED))
    count = session.market.job_count()
    ids = list(range(max(1, count - limit + 1), count + 1))
    return ids[::-1] if newest_first else ids


def validate_job_id(session: Session, job_id: int) -> None:
    """Raise InvalidInputError unless `job_id` names a posted job."""
    from offchain.eth.errors import InvalidInputError

    count = session.market.job_count()
    if not 1 <= job_id <= count:
        known = f"job ids are 1 to {count}" if count else "no job has been posted yet"
        raise InvalidInputError(f"no job {job_id} on this market ({known})")


def job_report(session: Session, job_id: int) -> dict[str, Any]:
    """One job as plain data (the --json form): ISO times, hashes as hex, names in lower case."""
    market = session.market
    job = market.job(job_id)
    phase = market.phase(job_id)
    # finalize rewrites the job's reward to what it pays out (the prize, a refund or a share):
    # the reward posted lives in the JobPosted event.
    settled = phase == Phase.FINALIZED
    subs = market.submissions(job_id)
    return {
        "job_id": job_id,
        "phase": phase.name.lower(),
        "requester": job.requester,
        "reward": market.job_posted(job_id).reward if settled else job.reward,
        "paid_out": job.reward if settled else None,
        "min_score_bps": job.min_score_bps,
        "min_stake": job.min_stake,
        "base_model": hash_hex(job.base_model),
        "training_set": hash_hex(job.training_set),
        "deadlines": {
            "commit": iso(job.commit_deadline),
            "reveal": iso(job.reveal_deadline),
            "attest": iso(job.attest_deadline),
        },
        "deadline_times": {
            "commit": job.commit_deadline,
            "reveal": job.reveal_deadline,
            "attest": job.attest_deadline,
            "settle": job.settle_deadline,
            **_vote_deadlines(market, job_id, phase),
        },
        "submissions": [
            {**asdict(sub), "sealed_hash": hash_hex(sub.sealed_hash), "outcome": sub.outcome.name.lower()}
            for sub in subs
        ],
        "evaluation": _evaluation(market, job_id, job, phase, subs),
        "training_set_provenance": _provenance(session, job_id) if job.training_set_anchored else None,
    }


# Phases in which the committee may have attested the evaluation set unavailable.
ATTESTED = (
    Phase.ATTESTING,
    Phase.SETTLING,
    Phase.APPEAL_VOTING,
    Phase.APPEAL_REVEALING,
    Phase.FINALIZABLE,
    Phase.FINALIZED,
)
VOTING = (Phase.APPEAL_VOTING, Phase.APPEAL_REVEALING)


def _vote_deadlines(market: MarketClient, job_id: int, phase: Phase) -> dict[str, int]:
    """While an appeal's vote runs (the lens's phase), when its commits and reveals close."""
    if phase not in VOTING:
        return {}
    windows = AppealsClient(market).windows(job_id)
    return {"vote_commit": windows.commit_until, "vote_reveal": windows.reveal_until}


def _evaluation(market: MarketClient, job_id: int, job: Job, phase: Phase, subs: list[Submission]) -> dict[str, Any]:
    """The evaluation set: its hash once opened, the members that attested it unavailable,
    and, for a job settled as the requester's failure, why (offchain.eth.forfeit)."""
    if phase not in ATTESTED:  # nothing to say yet: no event queries for an open job
        return {"revealed": None, "unavailable": [], "forfeit": None}
    opened = market.evaluation_revealed(job_id)
    unavailable = [
        e.validator for e in market.events_of(job_id, "EvaluationUnavailable") if isinstance(e, EvaluationUnavailable)
    ]
    # As the contract settled it: never opened, recorded unavailable, or the lens's Forfeited.
    forfeited = phase == Phase.FINALIZED and (
        opened is None or not job.evaluation_revealed or any(s.outcome == Outcome.FORFEITED for s in subs)
    )
    cause = None
    if forfeited:
        seats = market.committee(job_id)
        cause = forfeit_cause(
            opened=opened is not None,
            recorded_open=job.evaluation_revealed,
            drawn=len(seats),
            quorum=market.market_config().quorum,
            unavailable=sum(1 for a in seats if a in unavailable),  # seats, not members: one may hold several
        )
    return {
        "revealed": hash_hex(opened.evaluation_set) if opened else None,
        "unavailable": unavailable,
        "forfeit": cause,
    }


def _provenance(session: Session, job_id: int) -> dict[str, Any] | None:
    found = session.market.training_set_provenance(job_id, session.registry.relay())
    return None if found is None else {**found.as_json(), "line": found.line("training set")}


def is_open(report: dict[str, Any]) -> bool:
    """Still taking commits."""
    return bool(report["phase"] == Phase.OPEN.name.lower())


def next_deadline(report: dict[str, Any], now: int) -> str:
    """ "commits close in 4 min 10 s", or the job's settled state."""
    if report["phase"] not in NEXT_DEADLINE:
        return report["phase"]
    key, words = NEXT_DEADLINE[report["phase"]]
    return f"{words} {relative(report['deadline_times'][key.removesuffix('_deadline')], now)}"


def _eth(wei: int) -> str:
    return format_eth(wei)


def _state(report: dict[str, Any], now: int) -> str:
    """ "open, commits close in 4 min", or just "finalized" (no window left to name)."""
    if report["phase"] not in NEXT_DEADLINE:
        return str(report["phase"])
    return f"{report['phase']}, {next_deadline(report, now)}"


def format_jobs(reports: list[dict[str, Any]], now: int) -> str:
    """The job list: one line per job, aligned."""
    header = f"{'job':>4}  {'phase':<11}  {'reward':>12}  {'min score':>9}  {'subs':>4}  next"
    rows = [
        f"{r['job_id']:>4}  {r['phase']:<11}  {_eth(r['reward']):>12}  {r['min_score_bps'] / 100:>8.2f}%  "
        f"{len(r['submissions']):>4}  {next_deadline(r, now)}"
        for r in reports
    ]
    return "\n".join([header, *rows])


def format_job(report: dict[str, Any], now: int) -> str:
    """One job in full: its terms, its deadlines, and a table of submissions."""
    times = report["deadline_times"]
    lines = [
        f"job {report['job_id']}: {_state(report, now)}",
        f"  reward {_eth(report['reward'])}, minimum score {report['min_score_bps'] / 100:.2f} %, "
        f"minimum stake {_eth(report['min_stake'])}",
        f"  requester {report['requester']}",
        f"  base model {report['base_model']}",
        f"  commits close {relative(times['commit'], now)}, reveals {relative(times['reveal'], now)}, "
        f"attestations {relative(times['attest'], now)}",
    ]
    provenance = report.get("training_set_provenance")
    lines.append(f"  {provenance['line']}" if provenance else "  training set: no ledger anchor proof")
    evaluation = report["evaluation"]
    if evaluation["unavailable"]:
        lines.append(f"  evaluation set attested unavailable by {', '.join(evaluation['unavailable'])}")
    if evaluation["forfeit"]:
        lines.append(f"  the requester's failure: {evaluation['forfeit']}; the revealed workers share the reward")
    subs = report["submissions"]
    if not subs:
        lines.append("  no submissions yet")
        return "\n".join(lines)
    lines.append(f"  {'worker':<42}  {'stake':>12}  {'claimed':>8}  {'verified':>8}  {'attest.':>7}  outcome")
    for sub in subs:
        claimed = f"{sub['claimed_score_bps'] / 100:.2f}%" if sub["revealed"] else "sealed"
        verified = f"{sub['verified_score_bps'] / 100:.2f}%" if sub["attestation_count"] else "-"
        lines.append(
            f"  {sub['worker']:<42}  {_eth(sub['stake']):>12}  {claimed:>8}  {verified:>8}  "
            f"{sub['attestation_count']:>7}  {sub['outcome']}"
        )
    return "\n".join(lines)
