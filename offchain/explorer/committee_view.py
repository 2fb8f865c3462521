"""What each worker and the requester were credited by a job's settlement, derived from the
market's submissions view as contracts/JobBook.sol's _payout computes it.

The committee's pay and slashes need no arithmetic here: finalize emits them per seat
(ValidatorSettled). The requester's slashed stakes and forfeits, and each worker's claim,
follow from the judged submissions. Pure arithmetic, no reads: tests check every split
against the totals the contract emitted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BPS = 10_000


@dataclass(frozen=True)
class Judged:
    """One submission as finalize saw it."""

    revealed: bool
    median: int  # verified score (median of the attestations)
    outcome: str  # the view's outcome name: unrevealed, dishonest, honest, won, unverified, forfeited
    stake: int  # as committed (the view's stake is zeroed by claim)


def forfeit_of(min_stake: int, forfeit_bps: int) -> int:
    """What a submission not verified honest at or above the minimum loses of its stake."""
    return min_stake * forfeit_bps // BPS


def lost_stakes(subs: Sequence[Judged]) -> int:
    """Stakes of unrevealed and dishonest submissions (credited to the requester)."""
    return sum(s.stake for s in subs if s.outcome in ("unrevealed", "dishonest"))


def forfeits(subs: Sequence[Judged], forfeit: int) -> int:
    """Forfeits paid by submissions that neither lost their stake nor reached the minimum."""
    return sum(min(forfeit, s.stake) for s in subs if _pays_forfeit(s))


def worker_owed(sub: Judged, forfeit: int, prize: int) -> list[tuple[str, int]]:
    """What claim pays a submission, as (what, amount) rows (JobBook._payout); losses negative."""
    if sub.outcome in ("unrevealed", "dishonest"):
        return [("stake slashed", -sub.stake)]
    if sub.outcome == "forfeited":
        return [("stake returned", sub.stake), ("forfeit share", prize)]
    if sub.outcome == "won":
        return [("stake returned", sub.stake), ("prize", prize)]
    if _pays_forfeit(sub):
        cut = min(forfeit, sub.stake)
        return [("stake returned", sub.stake - cut), ("forfeit paid", -cut)]
    return [("stake returned", sub.stake)]


def _pays_forfeit(sub: Judged) -> bool:
    # Honest at or above the minimum shows as "honest" only then; the view marks the rest
    # "honest" too, so the caller passes outcome "below minimum" for those (see market_view).
    return sub.outcome in ("unverified", "below minimum")
