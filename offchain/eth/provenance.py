"""Anchor proofs as the contracts take them, read from the file `offchain ledger prove TXID --out
FILE` writes, and the provenance the market and the registry record.

A proof file is hostile input until checked: at most MAX_PROOF_BYTES, a JSON object with the
keys `prove` writes, a branch from the raw transaction to the header's Merkle root (checked
by offchain.ledger.proofs), and an anchor transaction. Any fault is one InvalidInputError line.
Hashes in the file are in display order (byte-reversed); the contracts take internal order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from offchain.eth.errors import InvalidInputError

MAX_PROOF_BYTES = 64 * 1024  # a proof of a branch of 32 levels is under 4 KiB
REQUIRED = ("chain", "txid", "tx", "index", "branch", "merkle_root", "block_hash", "header", "height")


@dataclass(frozen=True)
class AnchorProof:
    """An anchor transaction and its Merkle proof in a ledger block (ITrainingMarket.AnchorProof)."""

    transaction: bytes
    block_hash: bytes  # internal byte order, as the relay takes it
    index: int
    branch: tuple[bytes, ...]  # internal byte order
    payload: bytes  # the anchored 32 bytes (a data set's or a model's hash)
    height: int  # the ledger height the proof file names
    chain: str

    @property
    def block_hash_hex(self) -> str:
        """Display order, as `offchain ledger status` and the relay client show it."""
        return self.block_hash[::-1].hex()

    def as_tuple(self) -> tuple[bytes, bytes, int, list[bytes]]:
        """The AnchorProof struct (and markAnchored's last four arguments)."""
        return (self.transaction, self.block_hash, self.index, list(self.branch))


def load_proof(path: str | Path) -> AnchorProof:
    """Read and check a proof file; raises InvalidInputError naming the file and the fault."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_PROOF_BYTES + 1)
    except OSError as exc:
        raise InvalidInputError(f"cannot read proof {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_PROOF_BYTES:
        raise InvalidInputError(f"proof {path} is larger than {MAX_PROOF_BYTES} bytes: not a proof file")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInputError(f"proof {path} is not JSON: {exc}") from None
    return parse_proof(data, str(path))


def parse_proof(data: Any, source: str = "the proof") -> AnchorProof:
    """Check a proof object as `offchain ledger prove` writes it."""
    from offchain.ledger.errors import LedgerError
    from offchain.ledger.hashing import hex_to_hash
    from offchain.ledger.params import CHAINS
    from offchain.ledger.proofs import proof_problem
    from offchain.ledger.tx import KIND_ANCHOR, transaction_from_bytes

    if not isinstance(data, dict):
        raise InvalidInputError(f"{source} does not hold a JSON proof object")
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        hint = "write it with `offchain ledger prove TXID --out FILE`"
        raise InvalidInputError(f"{source} lacks {', '.join(missing)}: {hint}")
    if not isinstance(data["chain"], str) or data["chain"] not in CHAINS:
        raise InvalidInputError(f"{source} names an unknown ledger chain {str(data['chain'])[:40]!r}")
    if not isinstance(data["branch"], list) or not all(isinstance(x, str) for x in data["branch"]):
        raise InvalidInputError(f"{source}: the branch is not a list of hashes")
    for key in ("index", "height"):
        if isinstance(data[key], bool) or not isinstance(data[key], int) or data[key] < 0:
            raise InvalidInputError(f"{source}: {key} is not a non-negative integer")
    for key in ("tx", "txid", "merkle_root", "block_hash", "header"):
        if not isinstance(data[key], str):
            raise InvalidInputError(f"{source}: {key} is not a hex string")
    problem = proof_problem(data)
    if problem is not None:
        raise InvalidInputError(f"{source} does not hold together: {problem}")
    try:
        raw = bytes.fromhex(data["tx"])
        tx = transaction_from_bytes(raw)
        block_hash = hex_to_hash(data["block_hash"])
        branch = tuple(hex_to_hash(x) for x in data["branch"])
    except (ValueError, LedgerError) as exc:
        raise InvalidInputError(f"{source}: malformed transaction or hash: {exc}") from None
    if tx.kind != KIND_ANCHOR:
        raise InvalidInputError(f"{source} proves a transaction that is not an anchor")
    return AnchorProof(
        transaction=raw,
        block_hash=block_hash,
        index=int(data["index"]),
        branch=branch,
        payload=bytes(tx.payload),
        height=int(data["height"]),
        chain=data["chain"],
    )


@dataclass(frozen=True)
class Provenance:
    """A proven anchor as a contract recorded it, with the relay's live view of its block: it is
    proven now only while the block holds the relay's required confirmations on its main chain."""

    block_hash: str  # display order
    height: int
    account: str  # the ledger account that signed the anchor
    confirmations: int  # now, on the relay's main chain; 0: the block left it (a ledger reorg)
    confirmations_at_mark: int | None = None  # at post (market) or when marked (registry), if known
    required: int = 1  # the relay's minimum confirmations
    work: int = 0  # the chain work of those confirmations now (expected hashes to undo them)
    work_at_mark: int | None = None  # the work of `confirmations_at_mark`, as the event states it
    final_at: int | None = None  # a registry record: the EVM time from which no other account replaces it
    final: bool | None = None  # a registry record: whether that time has come (read on chain)

    @property
    def proven(self) -> bool:
        """Read live: the block holds the relay's required confirmations now."""
        return self.confirmations >= max(self.required, 1)

    def line(self, what: str) -> str:
        """E.g. "training set anchored at ledger block 12, 3 confirmations, verified on-chain"."""
        return self._status(what) + self._finality()

    def _status(self, what: str) -> str:
        block = f"(block {self.block_hash[:16]}...)"
        if self.confirmations == 0:
            return (
                f"{what} anchor UNPROVEN: ledger block {self.height} is no longer on the relay's main chain "
                f"(a ledger reorg, or one pending) {block}"
            )
        if not self.proven:
            return (
                f"{what} anchor UNPROVEN: ledger block {self.height} has {self.confirmations} of the "
                f"{self.required} confirmations the relay requires {block}"
            )
        work = f" ({self.work:,} hashes of work)" if self.work else ""
        return (
            f"{what} anchored at ledger block {self.height}, {self.confirmations} confirmations{work}"
            f"{self._at_mark()}, verified on-chain {block}"
        )

    def _at_mark(self) -> str:
        # Said beside the live count, so a line printed at post and one printed later agree.
        mark = self.confirmations_at_mark
        if mark is None or (mark == self.confirmations and self.work_at_mark in (None, self.work)):
            return ""
        work = f", {self.work_at_mark:,} hashes" if self.work_at_mark else ""
        return f" ({mark}{work} when first verified)"

    def _finality(self) -> str:
        if self.final is None:
            return ""  # a job's proof: re-checked live, nothing recorded to become final
        if self.final:
            return "; the record is final"
        when = datetime.fromtimestamp(self.final_at or 0, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return f"; the record is final from {when} (until then a main-chain anchor replaces it if this block leaves)"

    def as_json(self) -> dict[str, Any]:
        return {
            "block_hash": self.block_hash,
            "height": self.height,
            "account": self.account,
            "confirmations": self.confirmations,
            "confirmations_at_mark": self.confirmations_at_mark,
            "required_confirmations": self.required,
            "confirmation_work": self.work,
            "confirmation_work_at_mark": self.work_at_mark,
            "final": self.final,
            "final_at": self.final_at,
            "on_main_chain": self.confirmations > 0,
            "proven": self.proven,
            "verified_on_chain": self.proven,  # live, not the record of a check once passed
        }


def check_against_relay(proof: AnchorProof, relay: Any, fed: Any = None) -> int:
    """The relay's confirmations of the proof's block; InvalidInputError (one line) when the
    relay does not hold it on its main chain with the confirmations it requires. `fed`: the
    relay the relayer is pointed at by default (deployments/<id>.json's), when it is another."""
    have, need = relay.confirmations(proof.block_hash_hex), relay.min_confirmations()
    if have == 0:
        raise InvalidInputError(_missing_block(proof, relay, fed))
    if have < need:
        raise InvalidInputError(
            f"ledger block {proof.height} has {have} confirmation(s) on the relay, it requires {need}: "
            "wait for more ledger blocks"
        )
    return int(have)


def _missing_block(proof: AnchorProof, relay: Any, fed: Any) -> str:
    """Why the registry's relay lacks the proof's block, as far as the chain can tell."""
    block = f"ledger block {proof.height} ({proof.block_hash_hex[:16]}...)"
    if fed is not None and fed.address != relay.address and fed.confirmations(proof.block_hash_hex) > 0:
        return (
            f"{block} is on the relay at {fed.address} (the deployment file's LedgerRelay), but the registry "
            f"verifies proofs with the relay at {relay.address}, which it keeps for good: feed that one "
            f"(offchain relay --relay {relay.address})"
        )
    tip = relay.best_tip().height
    if tip < proof.height:
        return (
            f"the registry's relay at {relay.address} holds the ledger up to height {tip}, not {block} yet: "
            f"is a relayer feeding it (offchain relay --relay {relay.address})?"
        )
    return (
        f"the registry's relay at {relay.address} is at height {tip} without {block} on its main chain: "
        "did the ledger reorganise, or is the proof from another ledger?"
    )
