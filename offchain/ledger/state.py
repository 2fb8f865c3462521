"""Account state (balance and nonce per address) and a write-through view with undo records.

A `StateView` reads accounts lazily from a backing lookup (the SQLite store, or a plain
dict), keeps every change in memory, and remembers each touched account's value *before*
the first change. Those "before" values are the undo record that lets a reorganisation
disconnect a block and restore every balance exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Account:
    """One address's state."""

    balance: int = 0
    """Spendable base units."""
    nonce: int = 0
    """Number of transactions this address has sent; the next one must carry this value."""


EMPTY_ACCOUNT = Account()

Lookup = Callable[[bytes], Account | None]


class StateView:
    """Accounts as seen after some changes on top of `lookup`; nothing is written back here."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self.changes: dict[bytes, Account] = {}
        self.before: dict[bytes, Account | None] = {}

    def get(self, address: bytes) -> Account:
        if address in self.changes:
            return self.changes[address]
        return self._original(address) or EMPTY_ACCOUNT

    def set(self, address: bytes, account: Account) -> None:
        self._original(address)
        self.changes[address] = account

    def _original(self, address: bytes) -> Account | None:
        if address not in self.before:
            self.before[address] = self._lookup(address)
        return self.before[address]

    def child(self) -> StateView:
        """A view on top of this one, for trying a transaction without committing to it."""
        return StateView(self.get)

    def merge(self, child: StateView) -> None:
        """Adopt a child view's changes (after its transaction proved valid)."""
        for address, account in child.changes.items():
            self.set(address, account)
