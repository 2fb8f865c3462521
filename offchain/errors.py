"""The exception root of the `offchain` package (ledger/ keeps its own: it imports nothing here)."""


class OffchainError(Exception):
    """A problem a user can fix: the CLI prints it on one line and exits non-zero."""
