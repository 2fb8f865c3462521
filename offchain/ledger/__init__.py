"""A minimal proof-of-work chain with Bitcoin's consensus encoding.

Imports nothing else of `offchain`. One concern per module: hashing (double SHA-256),
encoding, merkle, pow (bits, targets, work, retargeting), params, tx, block, state,
validation, headers, genesis, store (SQLite), chain (fork choice), miner, node, wallet,
api (the stable Python API) and cli (`offchain ledger ...`).
"""
