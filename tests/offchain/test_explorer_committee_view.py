"""The explorer's worker and requester settlement rows (JobBook._payout, pure arithmetic)."""

from __future__ import annotations

from offchain.explorer import committee_view as cv

ETH = 10**18


def _subs() -> list[cv.Judged]:
    return [
        cv.Judged(True, 7000, "won", ETH),
        cv.Judged(True, 6000, "dishonest", ETH),
        cv.Judged(False, 0, "unrevealed", ETH),
    ]


def test_a_submission_below_the_minimum_pays_the_forfeit_and_gets_the_rest_back() -> None:
    low = cv.Judged(True, 500, "below minimum", ETH)

    assert cv.worker_owed(low, ETH // 100, 0) == [("stake returned", ETH - ETH // 100), ("forfeit paid", -(ETH // 100))]
    assert cv.forfeits([low, *_subs()], ETH // 100) == ETH // 100
    assert cv.lost_stakes([low, *_subs()]) == 2 * ETH
