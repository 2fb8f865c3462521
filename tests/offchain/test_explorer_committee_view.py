"""The explorer's recomputation of Settlement._settleValidators (pure arithmetic)."""

from __future__ import annotations

from offchain.explorer import committee_view as cv

A, B, C = "0xA", "0xB", "0xC"
ETH = 10**18


def _subs() -> list[cv.Judged]:
    return [
        cv.Judged(True, 7000, "won", ETH),
        cv.Judged(True, 6000, "dishonest", ETH),
        cv.Judged(False, 0, "unrevealed", ETH),
    ]


def test_seats_count_good_and_bad_over_revealed_submissions_only() -> None:
    scores = {A: (7000, 6050, 0), B: (7000, 9000, 0)}  # C never revealed

    tallies = cv.tally_seats([A, None, B, C], scores, _subs(), 100)

    assert [(t.seat, t.validator, t.good, t.bad) for t in tallies] == [(0, A, 2, 0), (2, B, 1, 1), (3, C, 0, 2)]


def test_a_validator_holding_two_seats_is_slashed_from_what_the_first_seat_left() -> None:
    tallies = [cv.SeatTally(0, A, 0, 2), cv.SeatTally(1, B, 1, 1), cv.SeatTally(2, A, 0, 2)]
    bonds = {A: 10 * ETH, B: 4 * ETH}

    taken = cv.validator_slashes(tallies, 1000, 0, bonds.__getitem__)

    assert taken == {A: 2 * ETH + 8 * ETH * 2 // 10, B: 4 * ETH // 10}


def test_one_slashed_validator_takes_the_emitted_total_without_a_bond_read() -> None:
    def no_read(address: str) -> int:
        raise AssertionError(address)

    assert cv.validator_slashes([cv.SeatTally(0, A, 1, 1), cv.SeatTally(1, B, 2, 0)], 1000, 7, no_read) == {A: 7}


def test_the_pool_is_shared_per_good_attestation_and_the_dust_stays_unpaid() -> None:
    pay = cv.validator_pay([cv.SeatTally(0, A, 2, 0), cv.SeatTally(1, B, 1, 1), cv.SeatTally(2, A, 0, 2)], 10)

    assert pay == {A: 6, B: 3}


def test_a_submission_below_the_minimum_pays_the_forfeit_and_gets_the_rest_back() -> None:
    low = cv.Judged(True, 500, "below minimum", ETH)

    assert cv.worker_owed(low, ETH // 100, 0) == [("stake returned", ETH - ETH // 100), ("forfeit paid", -(ETH // 100))]
    assert cv.forfeits([low, *_subs()], ETH // 100) == ETH // 100
    assert cv.lost_stakes([low, *_subs()]) == 2 * ETH
