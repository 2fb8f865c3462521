"""secp256k1 points, ECDH and the envelopes that carry a key to one recipient.

A point travels as (x, y), two integers below P; the chain knows a registered key by its
*key id*, the Ethereum address of the point: the last 20 bytes of keccak256(x || y). The
contract can check a scalar multiplication only through ecrecover, which needs 0 < x < N, so a
key whose x is at or above N (probability 2**-128) is refused here and there alike.

The envelope of key k for the holder of X, from a fresh worker point W = w*G:

    S = w*X = x*W                                  (the ECDH shared point)
    envelope = k XOR keccak256("sealed-envelope/v1" || S.x || S.y)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import coincurve

from offchain.sealed.errors import InvalidPointError
from offchain.sealed.keccak import keccak

P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F  # the field
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141  # the group order
ENVELOPE_TAG = b"sealed-envelope/v1"


@dataclass(frozen=True)
class Point:
    """An affine secp256k1 point."""

    x: int
    y: int

    def words(self) -> bytes:
        """x || y, 64 bytes big-endian (what the contract hashes)."""
        return self.x.to_bytes(32, "big") + self.y.to_bytes(32, "big")

    def key_id(self) -> bytes:
        """The point's Ethereum address: keccak256(x || y)[12:], 20 bytes."""
        return keccak(self.words())[12:]

    def on_curve(self) -> bool:
        return 0 <= self.x < P and 0 <= self.y < P and (self.y * self.y - self.x**3 - 7) % P == 0

    def usable(self) -> bool:
        """On the curve and usable as ecrecover's r (0 < x < N): what the contract accepts."""
        return self.on_curve() and 0 < self.x < N


@dataclass(frozen=True)
class KeyPair:
    secret: int
    public: Point


def new_key_pair() -> KeyPair:
    """A fresh key pair whose public point the contract accepts."""
    while True:
        secret = secrets.randbelow(N - 1) + 1
        public = base_mul(secret)
        if public.usable():
            return KeyPair(secret, public)


def base_mul(scalar: int) -> Point:
    """scalar * G."""
    return _point(coincurve.PublicKey.from_secret(scalar.to_bytes(32, "big")))


def mul(point: Point, scalar: int) -> Point:
    """scalar * point (0 < scalar < N)."""
    return _point(_public(point).multiply(scalar.to_bytes(32, "big")))


def add(a: Point, b: Point) -> Point:
    """a + b (coincurve refuses a sum at infinity)."""
    return _point(coincurve.PublicKey.combine_keys([_public(a), _public(b)]))


def shared_point(secret: int, other: Point) -> Point:
    """The ECDH shared point secret * other."""
    return mul(other, secret)


def envelope_pad(shared: Point) -> bytes:
    return keccak(ENVELOPE_TAG + shared.words())


def seal_envelope(key: bytes, shared: Point) -> bytes:
    """key XOR pad(S): 32 bytes."""
    return _xor32(key, envelope_pad(shared))


def open_envelope(envelope: bytes, shared: Point) -> bytes:
    return _xor32(envelope, envelope_pad(shared))


def validate_point(point: Point) -> None:
    """Raise InvalidPointError unless the contract would accept `point`."""
    if not point.usable():
        raise InvalidPointError(f"not a usable secp256k1 point: ({point.x:#x}, {point.y:#x})")


def _public(point: Point) -> coincurve.PublicKey:
    if not point.on_curve():
        raise InvalidPointError(f"not on secp256k1: ({point.x:#x}, {point.y:#x})")
    return coincurve.PublicKey.from_point(point.x, point.y)


def _point(public: coincurve.PublicKey) -> Point:
    x, y = public.point()
    return Point(x, y)


def _xor32(a: bytes, b: bytes) -> bytes:
    return bytes(i ^ j for i, j in zip(a, b, strict=True))
