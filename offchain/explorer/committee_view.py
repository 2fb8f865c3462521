"""What a job's committee earned and lost, and what each party was credited, derived from
the market's events and views as contracts/Settlement.sol computes it.

Market v2 emits per-job totals only (Finalized: validatorPay, validatorSlashed, refund);
the per-validator split and the requester's slashed stakes and forfeits are recomputed
here from the committee's revealed scores and the verified medians. Pure arithmetic, no
reads: tests check every split against the totals the contract emitted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

BPS = 10_000


@dataclass(frozen=True)
class Judged:
    """One submission as finalize saw it."""

    revealed: bool
    median: int  # verified score (median of the attestations)
    outcome: str  # the view's outcome name: unrevealed, dishonest, honest, won, unverified, forfeited
    stake: int  # as committed (the view's stake is zeroed by claim)


@dataclass(frozen=True)
class SeatTally:
    """A committee seat's attestations within tolerance (good) and outside it or missing (bad)."""

    seat: int
    validator: str
    good: int
    bad: int


def tally_seats(
    seats: Sequence[str | None], scores: dict[str, tuple[int, ...]], subs: Sequence[Judged], tolerance_bps: int
) -> list[SeatTally]:
    """Per filled seat: each revealed submission counts good when the seat's revealed score is
    within the tolerance of the median, bad otherwise (Settlement._settleValidators)."""
    out = []
    for seat, validator in enumerate(seats):
        if validator is None:
            continue
        revealed = scores.get(validator)
        good = bad = 0
        for i, sub in enumerate(subs):
            if not sub.revealed:
                continue
            if revealed is not None and abs(revealed[i] - sub.median) <= tolerance_bps:
                good += 1
            else:
                bad += 1
        out.append(SeatTally(seat, validator, good, bad))
    return out


def validator_pay(tallies: Sequence[SeatTally], pool: int) -> dict[str, int]:
    """The pool (fee + slashed bonds) shared per good attestation; division dust stays unpaid."""
    good = sum(t.good for t in tallies)
    per_good = pool // good if good else 0
    pay: dict[str, int] = {}
    for t in tallies:
        if t.good and per_good:
            pay[t.validator] = pay.get(t.validator, 0) + per_good * t.good
    return pay


def validator_slashes(
    tallies: Sequence[SeatTally], slash_bps: int, total: int, bond_before: Callable[[str], int]
) -> dict[str, int]:
    """Each bad attestation costs slash_bps of the holder's bond as it stands at that seat
    (seats in order, so a second seat of the same validator is slashed from what is left).
    With one slashed validator its share is the emitted total (no bond read)."""
    bad = [t for t in tallies if t.bad]
    if len({t.validator for t in bad}) == 1:
        return {bad[0].validator: total}
    bonds: dict[str, int] = {}
    taken: dict[str, int] = {}
    for t in bad:
        bond = bonds[t.validator] if t.validator in bonds else bond_before(t.validator)
        cut = min(bond * slash_bps * t.bad // BPS, bond)
        bonds[t.validator] = bond - cut
        taken[t.validator] = taken.get(t.validator, 0) + cut
    return taken


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
