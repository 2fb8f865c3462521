"""The ledger's Python API: what the demo and other scripts call. Stable names and behaviour.

    from offchain.ledger import api
    api.init_chain(datadir)                          # genesis + key file; idempotent
    api.fund(datadir)                                # mine until the key can pay fees
    txid = api.anchor(datadir, sha256_digest, "dataset")   # pending until mined
    api.mine(datadir, blocks=2)                      # multi-process; includes pending txs
    proof = api.prove(datadir, txid)                 # dict (JSON-ready)
    assert api.verify_proof(proof, datadir=datadir)  # the branch, and the header on the chain

A new key holds nothing: transactions pay at least the chain's minimum fee, and a coinbase is
spendable only after `coinbase_maturity` blocks, so `fund` mines that many first.

Every hash crossing this API is a hex string in Bitcoin's display (byte-reversed) order.
Errors are LedgerError subclasses.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from offchain.ledger.chain import Chain
from offchain.ledger.errors import EncodingError, LedgerError, MalformedTransaction
from offchain.ledger.hashing import hash_to_hex, hex_to_hash
from offchain.ledger.miner import MinedBlock, Miner, mine_blocks
from offchain.ledger.pow import difficulty
from offchain.ledger.proofs import locate_proof, proof_problem
from offchain.ledger.tx import (
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


def _submit(datadir: str | Path, make: Callable[[int, int], Transaction], fee: int | None) -> str:
    """Sign `make(nonce, fee)` with the datadir's key (fee: the chain's minimum if None)."""
    key = load_key(datadir)
    ledger = Chain.open(datadir)
    try:
        paid = ledger.params.min_fee if fee is None else fee
        tx = sign(make(ledger.next_nonce(address_of(key)), paid), key, ledger.params.magic)
        return hash_to_hex(ledger.submit(tx))
    finally:
        ledger.close()


def fund(datadir: str | Path, processes: int | None = None) -> list[MinedBlock]:
    """Mine until the datadir key's first coinbase has matured (none if it can pay already)."""
    address = address_of(load_key(datadir))
    ledger = Chain.open(datadir)
    try:
        if ledger.account(address).balance >= ledger.params.min_fee:
            return []
        blocks = ledger.params.coinbase_maturity + 1
    finally:
        ledger.close()
    return mine(datadir, blocks, processes)


def anchor(datadir: str | Path, payload: bytes, tag: str, fee: int | None = None) -> str:
    """Sign an anchor of a 32-byte payload with the datadir's key and queue it; returns txid.
    The fee defaults to the chain's minimum."""
    if len(payload) != PAYLOAD_SIZE:
        raise MalformedTransaction(f"an anchor payload is {PAYLOAD_SIZE} bytes, got {len(payload)}")
    candidate = Transaction(kind=KIND_ANCHOR, payload=payload, tag=tag, fee=fee or 0, signature=bytes(SIGNATURE_SIZE))
    validate_transaction(candidate)  # fail on a bad tag or fee before loading keys
    return _submit(
        datadir,
        lambda nonce, paid: Transaction(kind=KIND_ANCHOR, nonce=nonce, fee=paid, payload=payload, tag=tag),
        fee,
    )


def send(datadir: str | Path, to: str, amount: int, fee: int | None = None) -> str:
    """Sign a transfer from the datadir's key and queue it; returns txid. The fee defaults to
    the chain's minimum."""
    try:
        recipient = bytes.fromhex(to.removeprefix("0x"))
    except ValueError:
        raise EncodingError(f"not an address: {to!r}") from None
    if len(recipient) != 20:
        raise EncodingError(f"an address is 20 bytes (40 hex digits), got {to!r}")
    validate_transaction(
        Transaction(kind=KIND_TRANSFER, fee=fee or 0, to=recipient, amount=amount, signature=bytes(SIGNATURE_SIZE))
    )  # ranges, before keys
    return _submit(
        datadir,
        lambda nonce, paid: Transaction(kind=KIND_TRANSFER, nonce=nonce, fee=paid, to=recipient, amount=amount),
        fee,
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


def verify_proof(
    proof: dict[str, Any],
    datadir: str | Path | None = None,
    node: str | None = None,
    headers: Path | None = None,
    start_height: int = 0,
) -> bool:
    """True when the proof holds. Without a chain (`datadir`, `node` or a `headers` file that
    verify-headers accepts) this is only the Merkle-branch check (txid to root, the raw
    transaction hashing to the txid, the header committing to the root with valid work);
    with one, the header must also be on that chain's active branch."""
    if datadir is None and node is None and headers is None:
        return proof_problem(proof) is None
    return bool(locate_proof(proof, datadir=datadir, node=node, headers=headers, start_height=start_height)["valid"])


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
