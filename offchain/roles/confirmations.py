"""How many blocks a role waits before it trusts an event, and saying so while it waits.

A local dev chain (anvil's automine, `make chain`) mines a block only when a transaction
arrives, so with one confirmation the newest job would sit unseen until someone else sends
a transaction. Local chains do not reorganise: they need no confirmations.
"""

from __future__ import annotations

from offchain.eth.keys import LOCAL_CHAIN_IDS
from offchain.eth.polling import EventPoller

PUBLIC_CONFIRMATIONS = 1


def default_confirmations(chain_id: int, chosen: int | None) -> int:
    """`chosen` if given, else 0 on a local dev chain and PUBLIC_CONFIRMATIONS elsewhere."""
    if chosen is not None:
        return chosen
    return 0 if chain_id in LOCAL_CHAIN_IDS else PUBLIC_CONFIRMATIONS


class ConfirmationWatch:
    """A message, once per stuck head, when blocks wait for confirmations that do not come."""

    def __init__(self) -> None:
        self._last_head: int | None = None
        self._told_at: int | None = None

    def check(self, head: int, poller: EventPoller) -> str | None:
        stuck = head == self._last_head
        self._last_head = head
        pending = head - poller.next_block + 1  # blocks not yet scanned
        if not stuck or pending <= 0 or poller.confirmations == 0 or self._told_at == head:
            return None
        self._told_at = head
        return (
            f"waiting for blocks: {pending} block(s) up to {head} need {poller.confirmations} confirmation(s) "
            "and the chain is not mining (a local chain mines on transactions: `offchain chain mine 1`)"
        )
