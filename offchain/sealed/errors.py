"""The exception family of sealed submissions: one root, one subclass per kind of problem."""

from __future__ import annotations

from offchain.errors import OffchainError


class SealedError(OffchainError):
    """Root of every error `offchain.sealed` raises on purpose."""


class WrongKeyError(SealedError):
    """A key does not match the seal's key commitment."""


class TamperedError(SealedError):
    """Ciphertext, leaves or plaintext do not hash to the committed roots."""


class MalformedSealError(SealedError):
    """A sealed artifact or header cannot be parsed (wrong magic, lengths, sizes)."""


class InvalidPointError(SealedError):
    """A secp256k1 point is not on the curve or cannot be used with ecrecover (x >= n)."""


class BadEnvelopeError(SealedError):
    """An envelope does not open to the committed key."""
