"""Relative and ISO times for deadlines."""

from __future__ import annotations

import pytest

from offchain.roles.humantime import duration, iso, relative


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 s"),
        (59, "59 s"),
        (60, "1 min"),
        (250, "4 min 10 s"),
        (3600, "1 h"),
        (3725, "1 h 2 min"),
        (90061, "1 d 1 h"),
    ],
)
def test_durations_use_their_two_largest_units(seconds: int, text: str) -> None:
    assert duration(seconds) == text


def test_relative_times_say_in_or_ago() -> None:
    assert relative(1_000 + 250, 1_000) == "in 4 min 10 s"
    assert relative(1_000 - 250, 1_000) == "4 min 10 s ago"
    assert relative(1_000, 1_000) == "now"


def test_iso_times_are_utc() -> None:
    assert iso(0) == "1970-01-01T00:00:00+00:00"
