"""Sealed submissions: weights published as ciphertext the chain can judge one chunk at a time.

docs/market.md ("Sealed submissions") gives the protocol; this package is its off-chain half,
byte for byte what `contracts/libraries/SealedCipher.sol` and `SealedCurve.sol` recompute:

    cipher.py      the keccak keystream over 1,024-byte chunks (encrypt = decrypt)
    merkle.py      leaves, the padded binary tree over chunks, branches
    keys.py        per-submission keys and their commitment
    curve.py       secp256k1 points (coincurve) and the key's envelopes (ECDH)
    dleq.py        the proof that an ECDH secret is right, checkable with ecrecover
    seal.py        seal and open a weights file; the served artifact's layout
    digests.py     what the chain stores (abi-encoded, keccak)
    errors.py      the exception family
"""
