"""Reorg-safe event polling and RPC retries for the long-running roles.

A poll reads logs only up to `head - confirmations`, and re-reads the last `rescan`
blocks every time, so an event that a reorganisation moved is still seen; events are
de-duplicated by (transaction hash, log index), and consumers are idempotent anyway
(they act on the contract's state, not on the event alone).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from requests.exceptions import RequestException
from web3.exceptions import TimeExhausted

from offchain.eth.errors import RPCRateLimitedError, RPCUnavailableError

T = TypeVar("T")
LOG = logging.getLogger(__name__)

# Errors that mean "the node did not answer", as opposed to "the node said no".
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    RPCUnavailableError,
    RPCRateLimitedError,
    RequestException,
    ConnectionError,
    TimeoutError,
    TimeExhausted,
)


def with_retries(
    action: Callable[[], T],
    what: str,
    attempts: int = 8,
    first_delay_s: float = 0.5,
    max_delay_s: float = 8.0,
    on_retry: Callable[[str], None] | None = None,
) -> T:
    """Run `action`, retrying transient RPC failures with exponential backoff.

    After `attempts` failures the last error propagates; the caller's loop carries on.
    """
    delay = first_delay_s
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except TRANSIENT_ERRORS as exc:
            if attempt == attempts:
                raise
            message = f"{what}: RPC unavailable ({type(exc).__name__}); retry {attempt}/{attempts - 1} in {delay:.1f}s"
            (on_retry or LOG.warning)(message)
            time.sleep(delay)
            delay = min(delay * 2, max_delay_s)
    raise AssertionError("unreachable")


class EventPoller:
    """New events from `fetch(from_block, to_block)`, confirmed and de-duplicated."""

    def __init__(
        self,
        fetch: Callable[[int, int], Sequence[Any]],
        key: Callable[[Any], Hashable],
        start_block: int,
        confirmations: int = 0,
        rescan: int = 12,
    ) -> None:
        self._fetch = fetch
        self._key = key
        self.next_block = start_block  # first block not yet scanned
        self.confirmations = confirmations
        self.rescan = rescan
        self._seen: set[Hashable] = set()

    def poll(self, head: int) -> list[Any]:
        """Events up to `head - confirmations` not returned before, in chain order."""
        safe = head - self.confirmations
        start = max(0, min(self.next_block, safe + 1) - self.rescan)
        if safe < start:
            return []
        fresh = []
        for event in self._fetch(start, safe):
            key = self._key(event)
            if key not in self._seen:
                self._seen.add(key)
                fresh.append(event)
        self.next_block = safe + 1
        return fresh
