"""Times as people read them: "in 4 min 10 s", "2 h 3 min ago"; ISO 8601 for machines.

Deadlines are chain times (the latest block's timestamp), so relative times are measured
against the chain's clock, not this machine's.
"""

from __future__ import annotations

from datetime import UTC, datetime

UNITS = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))


def duration(seconds: int) -> str:
    """`seconds` (>= 0) in its two largest units: "4 min 10 s", "2 h", "3 d 4 h", "0 s"."""
    seconds = max(0, int(seconds))
    parts: list[str] = []
    for name, size in UNITS:
        if seconds >= size or (name == "s" and not parts):
            count, seconds = divmod(seconds, size)
            if count or not parts:
                parts.append(f"{count} {name}")
        if len(parts) == 2:
            break
    return " ".join(parts)


def relative(when: int, now: int) -> str:
    """ "in 4 min 10 s" for a time ahead of `now`, "4 min 10 s ago" for one behind, "now"."""
    if when == now:
        return "now"
    return f"in {duration(when - now)}" if when > now else f"{duration(now - when)} ago"


def iso(timestamp: int) -> str:
    """A unix time as ISO 8601 in UTC: 2026-11-27T16:23:14+00:00."""
    return datetime.fromtimestamp(int(timestamp), UTC).isoformat()
