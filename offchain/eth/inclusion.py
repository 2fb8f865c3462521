"""How long this connection's transactions took to be included, and which windows are too
short for it (issue 25).

Every transaction sent through offchain.eth.client records the wall-clock seconds from its
send to its receipt. A role that must act inside a window (a commit before the commit
deadline, a reveal before the next) needs the window to hold several such delays: one to
send, one for a fee bump (offchain.eth.sender replaces a transaction not included in time),
and room for a slow block. A window shorter than SAFE_MULTIPLE times the longest recent delay
is named; the role refuses to start work that needs it, or warns where it cannot refuse (a
drawn validator's seat). Before its first transaction a connection has measured nothing and
nothing is named: the block interval is no stand-in, since `chain warp` moves a local clock
by hours in one block.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Mapping

from web3 import Web3

SAFE_MULTIPLE = 4  # inclusion delays a window must hold: send, a fee bump, a slow block, margin
KEEP = 16  # recent delays remembered: the longest of them is the measure


class InclusionDelays:
    """Recent inclusion delays of each web3 connection (forgotten with the connection)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._delays: weakref.WeakKeyDictionary[Web3, deque[float]] = weakref.WeakKeyDictionary()

    def record(self, w3: Web3, seconds: float) -> None:
        with self._lock:
            self._delays.setdefault(w3, deque(maxlen=KEEP)).append(max(0.0, seconds))

    def measured(self, w3: Web3) -> float | None:
        """The longest of the recent delays; None before the first transaction."""
        with self._lock:
            delays = self._delays.get(w3)
            return max(delays) if delays else None

    def short_windows(self, w3: Web3, windows: Mapping[str, float]) -> list[str]:
        """`windows` (name -> seconds) too short for this connection's measured delay, in words."""
        delay = self.measured(w3)
        if delay is None:
            return []
        need = SAFE_MULTIPLE * delay
        return [
            f"the {name} ({seconds:.0f} s) is shorter than {SAFE_MULTIPLE} x the measured inclusion delay "
            f"of this account's transactions ({delay:.1f} s)"
            for name, seconds in windows.items()
            if seconds < need
        ]


DELAYS = InclusionDelays()
