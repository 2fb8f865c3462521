"""The proof that an ECDH shared point is right, without the secret: a Chaum-Pedersen proof of
equal discrete logarithms (log_G X = log_W S), in the form ecrecover can check.

The holder of x (X = x*G) shows S = x*W. Prover: pick t at random,

    c = keccak256("sealed-dleq/v1" || X || W || S || address(t*G) || address(t*W)) mod N
    s = t - c*x mod N

and send S, c, s and three witness points: P = s*W, Q = c*S and A = t*W. The verifier
(contracts/libraries/SealedCurve.sol) checks, with addresses standing for points as Chainlink's
VRF verifier does:

    address(s*G + c*X)   one ecrecover:  ecrecover(-s*X.x, v(X), X.x, c*X.x)
    address(P) == address(s*W)    ecrecover(0, v(W), W.x, s*W.x)
    address(Q) == address(c*S)    ecrecover(0, v(S), S.x, c*S.x)
    A == P + Q                    P, Q, -A on one line (three distinct x)
    c == keccak256(... || address(s*G + c*X) || address(A)) mod N

For honest values s*G + c*X = t*G and P + Q = s*W + c*x*W = t*W, so c matches; a wrong S would
need a c fixed before t*G and t*W are, which is the Fiat-Shamir argument of Chaum-Pedersen.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from offchain.sealed.curve import N, Point, add, base_mul, mul, shared_point, validate_point
from offchain.sealed.keccak import keccak

DLEQ_TAG = b"sealed-dleq/v1"


@dataclass(frozen=True)
class SharedSecretProof:
    """S and the proof that S = x*W for the registered X = x*G."""

    shared: Point  # S
    c: int
    s: int
    sw: Point  # P = s*W
    cs: Point  # Q = c*S
    tw: Point  # A = t*W = P + Q

    def as_args(self) -> tuple[tuple[int, int], int, int, tuple[int, int], tuple[int, int], tuple[int, int]]:
        """The contract's SealedCurve.Proof struct as a tuple."""
        return (
            (self.shared.x, self.shared.y),
            self.c,
            self.s,
            (self.sw.x, self.sw.y),
            (self.cs.x, self.cs.y),
            (self.tw.x, self.tw.y),
        )


def challenge(public: Point, other: Point, shared: Point, tg_id: bytes, tw_id: bytes) -> int:
    return int.from_bytes(keccak(DLEQ_TAG + public.words() + other.words() + shared.words() + tg_id + tw_id), "big") % N


def prove(secret: int, other: Point) -> SharedSecretProof:
    """S = secret * other and its proof (retries the rare t whose witnesses the contract refuses)."""
    validate_point(other)
    public = base_mul(secret)
    shared = shared_point(secret, other)
    validate_point(shared)  # ecrecover needs S.x < N (fails with probability 2**-128)
    while True:
        t = secrets.randbelow(N - 1) + 1
        tw = mul(other, t)
        c = challenge(public, other, shared, base_mul(t).key_id(), tw.key_id())
        s = (t - c * secret) % N
        if c == 0 or s == 0:
            continue
        sw, cs = mul(other, s), mul(shared, c)
        if len({sw.x, cs.x, tw.x}) == 3:  # the sum check needs three distinct x
            return SharedSecretProof(shared, c, s, sw, cs, tw)


def verify(public: Point, other: Point, proof: SharedSecretProof) -> bool:
    """The contract's check, in Python (tests compare the two)."""
    sw, cs, tw = proof.sw, proof.cs, proof.tw
    points = (public, other, proof.shared, sw, cs, tw)
    if not all(p.on_curve() for p in points) or not all(0 < p.x < N for p in (public, other, proof.shared)):
        return False
    if not (0 < proof.c < N and 0 < proof.s < N) or len({sw.x, cs.x, tw.x}) != 3:
        return False
    if mul(other, proof.s) != sw or mul(proof.shared, proof.c) != cs or add(sw, cs) != tw:
        return False
    tg = add(base_mul(proof.s), mul(public, proof.c))
    return challenge(public, other, proof.shared, tg.key_id(), tw.key_id()) == proof.c
