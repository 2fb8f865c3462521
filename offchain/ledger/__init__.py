"""A minimal proof-of-work chain with Bitcoin's consensus encoding. Imports nothing else of offchain."""
