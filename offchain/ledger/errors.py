"""The ledger's exception root (the ledger imports nothing else of offchain)."""


class LedgerError(Exception):
    """Root of every error the ledger raises; the CLI prints it on one line."""
