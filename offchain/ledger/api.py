"""The ledger's Python API: what the demo and other scripts call. Stable names and behaviour.

    from offchain.ledger import api
    api.init_chain(datadir)                          # genesis + key file; idempotent
    txid = api.anchor(datadir, sha256_digest, "dataset")   # pending until mined
    api.mine(datadir, blocks=2)                      # multi-process; includes pending txs
    proof = api.prove(datadir, txid)                 # dict (JSON-ready)
    assert api.verify_proof(proof)

Every hash crossing this API is a hex string in Bitcoin's display (byte-reversed) order.
Errors are LedgerError subclasses.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from offchain.ledger.block import BlockHeader
from offchain.ledger.chain import Chain
from offchain.ledger.errors import EncodingError, LedgerError, MalformedTransaction
from offchain.ledger.hashing import hash_to_hex, hex_to_hash, sha256d
from offchain.ledger.merkle import verify_branch
from offchain.ledger.miner import MinedBlock, Miner, mine_blocks
from offchain.ledger.params import chain_params
from offchain.ledger.pow import difficulty, validate_proof_of_work
from offchain.ledger.tx import (
    FORBIDDEN_TX_SIZE,
    KIND_ANCHOR,
    KIND_TRANSFER,
    PAYLOAD_SIZE,
    SIGNATURE_SIZE,
    Transaction,
    address_of,
    sign,
)
from offchain.ledger.validation import validate_transaction
from offchain.ledger.wallet import create_key, load_key

DATADIR_ENV = "OFFCHAIN_LEDGER_DIR"


def default_datadir(chain: str = "devnet") -> Path:
    """$OFFCHAIN_LEDGER_DIR, else ~/.offchain/ledger/<chain>."""
    env = os.environ.get(DATADIR_ENV)
    return Path(env) if env else Path.home() / ".offchain" / "ledger" / chain


def init_chain(datadir: str | Path, chain: str = "devnet") -> dict[str, Any]:
    """Create (or reopen) the chain in `datadir` and its key file; returns a summary."""
    ledger = Chain.open(datadir, chain, create=True)
    try:
        key = create_key(datadir)
        tip = ledger.tip()
        genesis = ledger.main_entry(0)
        assert genesis is not None
        return {
            "chain": ledger.params.name,
            "datadir": str(datadir),
            "genesis": hash_to_hex(genesis.hash),
            "height": tip.height,
            "address": "0x" + address_of(key).hex(),
        }
    finally:
        ledger.close()


def _submit(datadir: str | Path, make: Callable[[int], Transaction]) -> str:
    key = load_key(datadir)
    ledger = Chain.open(datadir)
    try:
        tx = sign(make(ledger.next_nonce(address_of(key))), key, ledger.params.magic)
        return hash_to_hex(ledger.submit(tx))
    finally:
        ledger.close()


def anchor(datadir: str | Path, payload: bytes, tag: str, fee: int = 0) -> str:
    """Sign an anchor of a 32-byte payload with the datadir's key and queue it; returns txid."""
    if len(payload) != PAYLOAD_SIZE:
        raise MalformedTransaction(f"an anchor payload is {PAYLOAD_SIZE} bytes, got {len(payload)}")
    candidate = Transaction(
        kind=KIND_ANCHOR, payload=payload, tag=tag, fee=fee, signature=bytes(SIGNATURE_SIZE)
    )
    validate_transaction(candidate)  # fail on a bad tag before loading keys
    return _submit(
        datadir,
        lambda nonce: Transaction(kind=KIND_ANCHOR, nonce=nonce, fee=fee, payload=payload, tag=tag),
    )


def send(datadir: str | Path, to: str, amount: int, fee: int = 0) -> str:
    """Sign a transfer from the datadir's key and queue it; returns txid."""
    try:
        recipient = bytes.fromhex(to.removeprefix("0x"))
    except ValueError:
        raise EncodingError(f"not an address: {to!r}") from None
    if len(recipient) != 20:
        raise EncodingError(f"an address is 20 bytes (40 hex digits), got {to!r}")
    return _submit(
        datadir,
        lambda nonce: Transaction(
            kind=KIND_TRANSFER, nonce=nonce, fee=fee, to=recipient, amount=amount
        ),
    )


def mine(
    datadir: str | Path,
    blocks: int,
    processes: int | None = None,
    on_block: Callable[[MinedBlock], None] | None = None,
    on_progress: Callable[[int, float], None] | None = None,
) -> list[MinedBlock]:
    """Mine `blocks` blocks paying the datadir's key, including pending transactions."""
    address = address_of(load_key(datadir))
    ledger = Chain.open(datadir)
    try:
        with Miner(processes) as miner:
            return mine_blocks(ledger, blocks, address, miner, on_block, on_progress)
    finally:
        ledger.close()


def prove(datadir: str | Path, txid: str) -> dict[str, object]:
    """The inclusion proof of a transaction on the datadir's active chain."""
    ledger = Chain.open(datadir)
    try:
        return ledger.proof(hex_to_hash(txid))
    finally:
        ledger.close()


def verify_proof(proof: dict[str, Any]) -> bool:
    """True when the proof's branch leads from its txid to its root (and, where present, the
    raw transaction hashes to the txid and the header commits to the root with valid work)."""
    try:
        txid = hex_to_hash(proof["txid"])
        root = hex_to_hash(proof["merkle_root"])
        index = int(proof["index"])
        branch = [hex_to_hash(h) for h in proof["branch"]]
        if "tx" in proof:
            raw = bytes.fromhex(proof["tx"])
            if len(raw) == FORBIDDEN_TX_SIZE or sha256d(raw) != txid:
                return False
        if "tx_count" in proof:
            count = int(proof["tx_count"])
            if not 0 <= index < count or len(branch) != (count - 1).bit_length():
                return False
        if "header" in proof:
            header = BlockHeader.from_hex(proof["header"])
            if header.merkle_root != root:
                return False
            if "block_hash" in proof and header.hash != hex_to_hash(proof["block_hash"]):
                return False
            params = chain_params(str(proof.get("chain", "devnet")))
            validate_proof_of_work(header.hash, header.bits, params.pow_limit)
        return verify_branch(txid, index, branch, root)
    except (KeyError, TypeError, ValueError, LedgerError):
        return False


def status(datadir: str | Path) -> dict[str, Any]:
    """Tip, difficulty, mempool and the datadir key's balance."""
    ledger = Chain.open(datadir)
    try:
        with ledger.lock:
            tip = ledger.tip()
            pending, _ = ledger.pending()
            out: dict[str, Any] = {
                "chain": ledger.params.name,
                "height": tip.height,
                "tip": hash_to_hex(tip.hash),
                "bits": f"{tip.header.bits:08x}",
                "difficulty": difficulty(tip.header.bits, ledger.params.pow_limit),
                "chain_work": f"{tip.chain_work:#x}",
                "time": tip.header.time,
                "next_bits": f"{ledger.next_bits(tip):08x}",
                "mempool": len(ledger.store.mempool()),
                "pending_valid": len(pending),
            }
            try:
                address = address_of(load_key(datadir))
            except LedgerError:
                return out
            account = ledger.account(address)
            out.update(address="0x" + address.hex(), balance=account.balance, nonce=account.nonce)
            return out
    finally:
        ledger.close()
