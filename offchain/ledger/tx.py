"""Transactions of the account model: coinbase, transfer and anchor.

Serialized layouts (all integers little-endian)::

    coinbase  kind=0 u8 | height u32 | extra_nonce u64 | to 20 | amount u64           41 bytes
    transfer  kind=1 u8 | nonce u64 | fee u64 | to 20 | amount u64 | signature 65     110 bytes
    anchor    kind=2 u8 | nonce u64 | fee u64 | payload 32 | tag_len u8 | tag | sig  115-147 bytes

The coinbase carries its block's height, so two coinbases never share a txid (Bitcoin's
BIP 34), and an extra nonce the miner rolls when the header's 32-bit nonce runs out. No
layout is ever 64 bytes long, so a txid can never be confused with an inner Merkle node.

Signatures are secp256k1 (eth-keys on libsecp256k1 through coincurve, ~0.1 ms a recovery;
eth-keys' pure-Python backend takes ~10-40 ms and is kept only as the benchmark's baseline)
over `sha256d(SIGHASH_PREFIX + magic + unsigned bytes)`;
the sender's address is recovered from the signature (20 bytes, Ethereum-style), and only
low-s signatures are accepted so a third party cannot change a txid by negating `s`.
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass, field
from typing import Any

from eth_keys import keys
from eth_keys.backends import NativeECCBackend
from eth_keys.exceptions import BadSignature as EthBadSignature
from eth_keys.exceptions import ValidationError as EthValidationError

from offchain.ledger.encoding import Reader, u8, u32, u64
from offchain.ledger.errors import BadSignature, EncodingError, MalformedTransaction
from offchain.ledger.hashing import sha256d

KIND_COINBASE = 0
KIND_TRANSFER = 1
KIND_ANCHOR = 2
KIND_NAMES = {KIND_COINBASE: "coinbase", KIND_TRANSFER: "transfer", KIND_ANCHOR: "anchor"}
ADDRESS_SIZE = 20
PAYLOAD_SIZE = 32
SIGNATURE_SIZE = 65
MAX_TAG_BYTES = 32
SIGHASH_PREFIX = b"offchain-ledger-tx"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ZERO_ADDRESS = bytes(ADDRESS_SIZE)
FORBIDDEN_TX_SIZE = 64  # the size of a Merkle inner node's preimage

try:
    from eth_keys.backends import CoinCurveECCBackend

    _BACKENDS: dict[str, Any] = {"coincurve": CoinCurveECCBackend, "native": NativeECCBackend}
    _backend: Any = CoinCurveECCBackend()
except ImportError:  # pragma: no cover - coincurve is pinned in requirements/base.txt
    _BACKENDS = {"native": NativeECCBackend}
    _backend = NativeECCBackend()


def use_signature_backend(name: str) -> None:
    """Switch the secp256k1 backend ("coincurve" or "native"); the benchmark compares both."""
    global _backend
    if name not in _BACKENDS:
        raise MalformedTransaction(f"unknown signature backend {name!r}; choose from {sorted(_BACKENDS)}")
    _backend = _BACKENDS[name]()
    _recover.cache_clear()


def signature_backend() -> str:
    """The name of the secp256k1 backend in use."""
    return next(name for name, cls in _BACKENDS.items() if isinstance(_backend, cls))


@dataclass(frozen=True)
class Transaction:
    """One transaction; which fields matter depends on `kind` (see the module docstring)."""

    kind: int
    """KIND_COINBASE, KIND_TRANSFER or KIND_ANCHOR."""
    nonce: int = 0
    """The sender's account nonce: its count of earlier transactions (not for coinbase)."""
    fee: int = 0
    """Paid to the miner of the block that includes the transaction."""
    to: bytes = ZERO_ADDRESS
    """Recipient address (coinbase and transfer)."""
    amount: int = 0
    """Base units moved (coinbase and transfer)."""
    payload: bytes = b""
    """The 32 anchored bytes, e.g. a data set's or model's SHA-256 (anchor)."""
    tag: str = ""
    """A short ASCII label saying what the payload is (anchor)."""
    height: int = 0
    """The block height (coinbase), making every coinbase unique."""
    extra_nonce: int = 0
    """Rolled by the miner when the header nonce is exhausted (coinbase)."""
    signature: bytes = b""
    """65 bytes r | s | v (transfer and anchor)."""
    _txid: bytes = field(default=b"", init=False, repr=False, compare=False)

    def unsigned_bytes(self) -> bytes:
        """The serialization without the signature: what the sender signs."""
        try:
            return self._unsigned_bytes()
        except (struct.error, UnicodeEncodeError) as exc:
            raise MalformedTransaction(f"a field is out of range or not ASCII: {exc}") from None

    def _unsigned_bytes(self) -> bytes:
        if self.kind == KIND_COINBASE:
            return u8(self.kind) + u32(self.height) + u64(self.extra_nonce) + self.to + u64(self.amount)
        if self.kind == KIND_TRANSFER:
            return u8(self.kind) + u64(self.nonce) + u64(self.fee) + self.to + u64(self.amount)
        if self.kind == KIND_ANCHOR:
            tag = self.tag.encode("ascii")
            return u8(self.kind) + u64(self.nonce) + u64(self.fee) + self.payload + u8(len(tag)) + tag
        raise MalformedTransaction(f"unknown transaction kind {self.kind}")

    def serialize(self) -> bytes:
        if self.kind == KIND_COINBASE:
            return self.unsigned_bytes()
        return self.unsigned_bytes() + self.signature

    @property
    def size(self) -> int:
        """Serialized bytes (fixed per kind; an anchor adds its tag)."""
        return len(self.serialize())

    @property
    def txid(self) -> bytes:
        """Double SHA-256 of the serialization, in internal byte order (cached)."""
        if not self._txid:
            object.__setattr__(self, "_txid", sha256d(self.serialize()))
        return self._txid

    @property
    def is_coinbase(self) -> bool:
        return self.kind == KIND_COINBASE

    def sighash(self, magic: bytes) -> bytes:
        """The 32-byte digest signed by the sender, bound to one chain by `magic`."""
        return sha256d(SIGHASH_PREFIX + magic + self.unsigned_bytes())

    def sender(self, magic: bytes) -> bytes:
        """The address that signed this transaction. Raises BadSignature."""
        if self.kind == KIND_COINBASE:
            raise BadSignature("a coinbase has no sender")
        return _recover(self.sighash(magic), self.signature)

    def to_json(self, magic: bytes | None = None) -> dict[str, object]:
        """A readable view for `--json` output and the node's API."""
        out: dict[str, object] = {"txid": self.txid[::-1].hex(), "kind": KIND_NAMES[self.kind]}
        if self.kind == KIND_COINBASE:
            out.update(height=self.height, to="0x" + self.to.hex(), amount=self.amount)
        else:
            out.update(nonce=self.nonce, fee=self.fee)
            if magic is not None:
                try:
                    out["from"] = "0x" + self.sender(magic).hex()
                except BadSignature:
                    out["from"] = None
        if self.kind == KIND_TRANSFER:
            out.update(to="0x" + self.to.hex(), amount=self.amount)
        if self.kind == KIND_ANCHOR:
            out.update(payload=self.payload.hex(), tag=self.tag)
        out["hex"] = self.serialize().hex()
        return out


@functools.lru_cache(maxsize=4096)
def _recover(digest: bytes, signature: bytes) -> bytes:
    """Recover the signer's address (cached: a transaction is recovered at submit and again
    when a template is built and when its block connects)."""
    if len(signature) != SIGNATURE_SIZE:
        raise BadSignature(f"a signature is {SIGNATURE_SIZE} bytes, got {len(signature)}")
    try:
        sig = keys.Signature(signature_bytes=signature, backend=_backend)
    except (EthBadSignature, EthValidationError) as exc:
        raise BadSignature(f"malformed signature: {exc}") from exc
    if sig.s > SECP256K1_N // 2:
        raise BadSignature("signature is not in low-s form")
    try:
        public = sig.recover_public_key_from_msg_hash(digest)
    except (EthBadSignature, EthValidationError) as exc:
        raise BadSignature(f"signature does not recover a key: {exc}") from exc
    return bytes(public.to_canonical_address())


def sign(tx: Transaction, private_key: bytes, magic: bytes) -> Transaction:
    """Return `tx` with a low-s signature by `private_key` over its chain-bound sighash."""
    sig = keys.PrivateKey(private_key, backend=_backend).sign_msg_hash(tx.sighash(magic))
    r, s, v = sig.r, sig.s, sig.v
    if s > SECP256K1_N // 2:  # normalise to low-s, flipping the recovery id to match
        s, v = SECP256K1_N - s, v ^ 1
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])
    return Transaction(
        kind=tx.kind,
        nonce=tx.nonce,
        fee=tx.fee,
        to=tx.to,
        amount=tx.amount,
        payload=tx.payload,
        tag=tx.tag,
        signature=raw,
    )


def address_of(private_key: bytes) -> bytes:
    """The 20-byte address of a private key."""
    return bytes(keys.PrivateKey(private_key, backend=_backend).public_key.to_canonical_address())


def parse_transaction(reader: Reader) -> Transaction:
    """Read one transaction; each layout is self-delimiting, so no length prefix is needed."""
    kind = reader.u8("transaction kind")
    if kind == KIND_COINBASE:
        return Transaction(
            kind=kind,
            height=reader.u32("coinbase height"),
            extra_nonce=reader.u64("extra nonce"),
            to=reader.read(ADDRESS_SIZE, "coinbase recipient"),
            amount=reader.u64("coinbase amount"),
        )
    if kind == KIND_TRANSFER:
        return Transaction(
            kind=kind,
            nonce=reader.u64("nonce"),
            fee=reader.u64("fee"),
            to=reader.read(ADDRESS_SIZE, "recipient"),
            amount=reader.u64("amount"),
            signature=reader.read(SIGNATURE_SIZE, "signature"),
        )
    if kind == KIND_ANCHOR:
        nonce = reader.u64("nonce")
        fee = reader.u64("fee")
        payload = reader.read(PAYLOAD_SIZE, "anchor payload")
        tag_bytes = reader.read(reader.u8("tag length"), "tag")
        try:
            tag = tag_bytes.decode("ascii")
        except UnicodeDecodeError as exc:
            raise EncodingError("anchor tag is not ASCII") from exc
        return Transaction(
            kind=kind,
            nonce=nonce,
            fee=fee,
            payload=payload,
            tag=tag,
            signature=reader.read(SIGNATURE_SIZE, "signature"),
        )
    raise EncodingError(f"unknown transaction kind {kind}; known: 0 coinbase, 1 transfer, 2 anchor")


def transaction_from_bytes(raw: bytes) -> Transaction:
    """Parse exactly one serialized transaction. Raises EncodingError."""
    reader = Reader(raw)
    tx = parse_transaction(reader)
    reader.expect_end("transaction")
    return tx
