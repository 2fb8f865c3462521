"""The bundled ledger as the explorer shows it, read from a ledger node's HTTP API.

Only the node's stable endpoints are used (`/tip`, `/block/<hash>`, `/proof/<txid>`, and `/header/<hash>` through
the ledger's own proof check): recent
blocks are found by walking back from the tip through each block's previous hash, and every
block is parsed and its proof checked with the ledger's own code, so the page shows what the
bytes say, not what the node claims. The relay's tip (when a LedgerRelay is deployed) is
read by app.py through offchain.eth.relay's client, in the same display byte order.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from offchain.ledger.block import Block
from offchain.ledger.errors import LedgerError
from offchain.ledger.hashing import hash_to_hex
from offchain.ledger.pow import bits_work
from offchain.ledger.proofs import locate_proof
from offchain.ledger.tx import KIND_NAMES

TIMEOUT_S = 2.0
MAX_REPLY = 8 * 1024 * 1024  # a block's hex is at most twice the block size limit, plus JSON
RECENT_BLOCKS = 20


class LedgerUnavailable(Exception):
    """The ledger node did not answer (or answered garbage)."""


@dataclass(frozen=True)
class Tip:
    hash: str
    height: int
    work: int
    bits: str


@dataclass(frozen=True)
class TxView:
    txid: str
    kind: str
    tag: str
    payload: str  # an anchor's 32-byte payload (a data set or model hash), hex
    amount: int
    fee: int
    to: str


@dataclass(frozen=True)
class BlockView:
    hash: str
    height: int | None
    prev_hash: str
    merkle_root: str
    bits: str
    work: int
    time: int
    nonce: int
    txs: list[TxView]

    @property
    def anchors(self) -> list[TxView]:
        return [t for t in self.txs if t.kind == "anchor"]


@dataclass(frozen=True)
class ProofView:
    txid: str
    block_hash: str
    merkle_root: str
    index: int
    branch: list[str]
    verified: bool  # checked here with the ledger's own code, not taken from the node's word
    reason: str  # why not, when not verified
    height: int | None  # where the block sits on the node's active chain
    confirmations: int | None
    raw: dict[str, Any]


class LedgerView:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def tip(self) -> Tip:
        data = self._get("/tip")
        try:
            return Tip(str(data["hash"]), int(data["height"]), int(str(data["work"]), 16), str(data["bits"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise LedgerUnavailable(f"{self.url}/tip: malformed answer ({exc})") from None

    def block(self, block_hash: str, height: int | None = None) -> BlockView:
        data = self._get(f"/block/{_hex64(block_hash)}")
        try:
            block = Block.from_hex(str(data["hex"]))
        except (KeyError, TypeError, ValueError, LedgerError) as exc:
            raise LedgerUnavailable(f"{self.url}/block: malformed block ({exc})") from None
        if hash_to_hex(block.hash) != block_hash:
            raise LedgerUnavailable(f"{self.url} answered another block than {block_hash}")
        return _block_view(block, height)

    def recent(self, count: int = RECENT_BLOCKS) -> tuple[Tip, list[BlockView]]:
        """The tip and the `count` blocks below it, newest first."""
        tip = self.tip()
        blocks: list[BlockView] = []
        block_hash, height = tip.hash, tip.height
        while len(blocks) < min(count, RECENT_BLOCKS) and height >= 0:
            view = self.block(block_hash, height)
            blocks.append(view)
            block_hash, height = view.prev_hash, height - 1
        return tip, blocks

    def proof(self, txid: str) -> ProofView:
        """The node's proof for `txid`, checked here: the branch leads to the header's root,
        the header meets its proof of work, and the block is on the node's active chain."""
        data = self._get(f"/proof/{_hex64(txid)}")
        if not isinstance(data, dict):
            raise LedgerUnavailable(f"{self.url}/proof: malformed proof")
        try:
            checked = locate_proof(data, node=self.url)
        except LedgerError as exc:
            raise LedgerUnavailable(f"{self.url}: {exc}") from None
        try:
            return ProofView(
                txid=str(data["txid"]),
                block_hash=str(data.get("block_hash", "")),
                merkle_root=str(data["merkle_root"]),
                index=int(data["index"]),
                branch=[str(h) for h in data["branch"]],
                verified=bool(checked["valid"]),
                reason=str(checked.get("reason", "")),
                height=checked.get("height"),
                confirmations=checked.get("confirmations"),
                raw=data,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise LedgerUnavailable(f"{self.url}/proof: malformed proof ({exc})") from None

    def _get(self, path: str) -> Any:
        try:
            with urllib.request.urlopen(self.url + path, timeout=TIMEOUT_S) as resp:
                return json.loads(resp.read(MAX_REPLY))
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise LookupError(path) from None
            raise LedgerUnavailable(f"{self.url}{path}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise LedgerUnavailable(f"{self.url}{path}: {exc}") from None


def _hex64(text: str) -> str:
    """Only 64 hex digits go into a node URL (the path comes from the browser)."""
    clean = text.lower().removeprefix("0x")
    if len(clean) != 64 or any(c not in "0123456789abcdef" for c in clean):
        raise LookupError(text)
    return clean


def _block_view(block: Block, height: int | None) -> BlockView:
    header = block.header
    return BlockView(
        hash=hash_to_hex(block.hash),
        height=height,
        prev_hash=hash_to_hex(header.prev_hash),
        merkle_root=hash_to_hex(header.merkle_root),
        bits=f"{header.bits:08x}",
        work=bits_work(header.bits),
        time=header.time,
        nonce=header.nonce,
        txs=[
            TxView(
                txid=hash_to_hex(tx.txid),
                kind=KIND_NAMES.get(tx.kind, str(tx.kind)),
                tag=tx.tag,
                payload=tx.payload.hex(),
                amount=tx.amount,
                fee=tx.fee,
                to="0x" + tx.to.hex(),
            )
            for tx in block.txs
        ],
    )
