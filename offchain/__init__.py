"""Off-chain side of the fine-tuning market: roles, ML engine, artifacts and a PoW ledger."""

__version__ = "0.1.0"
