"""Ledger anchors for the registry's and the market's provenance tests: a devnet ledger made by
the Python ledger, anchor transactions of chosen payloads, their proofs as the contracts take
them, and a LedgerRelay of the devnet built as deploy_all builds it."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "offchain" / "ledger"))  # ledger_helpers
from ledger_helpers import ALICE_KEY, BOB_KEY, fund, make_block, min_fee  # noqa: E402

from offchain.eth.deploy import genesis_relay_args  # noqa: E402
from offchain.ledger.block import Block  # noqa: E402
from offchain.ledger.chain import Chain  # noqa: E402
from offchain.ledger.merkle import merkle_branch  # noqa: E402
from offchain.ledger.params import DEVNET  # noqa: E402
from offchain.ledger.tx import KIND_ANCHOR, Transaction, address_of, sign  # noqa: E402

CONFIRMATIONS = 2  # what the test relays require
ANCHORER = "0x" + address_of(ALICE_KEY).hex()
REORGANISER_KEY = BOB_KEY  # a second ledger account: the one who reorganises a cheap chain


def h32(digest: bytes) -> str:
    return "0x" + digest.hex()


def deploy_relay(LedgerRelay, admin, confirmations: int = CONFIRMATIONS):  # noqa: N803 (brownie's name)
    checkpoint, height, work, start, consensus, confirmations = genesis_relay_args("devnet", confirmations)
    return LedgerRelay.deploy(checkpoint, height, work, start, consensus.as_tuple(), confirmations, {"from": admin})


class Ledger:
    """A devnet ledger whose key (Alice's) can pay anchor fees, and the headers the relay lacks."""

    def __init__(self, datadir: Path) -> None:
        self.chain = Chain.open(datadir, "devnet", create=True)
        self.nonce = 0  # Alice's
        self.nonces: dict[bytes, int] = {}  # other keys' ({fund_key})
        self.unrelayed: list[Block] = list(fund(self.chain, address_of(ALICE_KEY)))

    def fund_key(self, key: bytes) -> None:
        """Mine blocks paying `key`'s address until it can pay anchor fees."""
        self.unrelayed += fund(self.chain, address_of(key))
        self.nonces[key] = 0

    def anchor(self, payloads: Sequence[str], parent=None, key: bytes = ALICE_KEY) -> Block:
        """A block (on `parent`, default the tip) holding one anchor per payload (0x hex), signed by `key`."""
        txs = []
        for payload in payloads:
            nonce = self.nonce if key == ALICE_KEY else self.nonces[key]
            tx = Transaction(
                kind=KIND_ANCHOR, nonce=nonce, fee=min_fee(self.chain), payload=bytes.fromhex(payload[2:]), tag="t"
            )
            txs.append(sign(tx, key, DEVNET.magic))
            if key == ALICE_KEY:
                self.nonce += 1
            else:
                self.nonces[key] += 1
        return self.add(make_block(self.chain, parent, txs=txs))

    def mine(self, count: int, parent=None, tag: int = 0) -> list[Block]:
        blocks = []
        for _ in range(count):
            blocks.append(self.add(make_block(self.chain, parent, extra_nonce=tag)))
            parent = self.chain.get(blocks[-1].hash)
        return blocks

    def add(self, block: Block) -> Block:
        self.chain.add_block(block)
        self.unrelayed.append(block)
        return block

    def relay_to(self, relay, sender) -> None:
        """Submit every header made since the last call (parents first)."""
        if self.unrelayed:
            relay.submitHeaders(b"".join(b.header.serialize() for b in self.unrelayed), {"from": sender})
        self.unrelayed = []


def proof(block: Block, index: int) -> tuple[str, str, int, list[str]]:
    """(transaction, block hash, index, branch) of the block's transaction at `index`."""
    return (
        "0x" + block.txs[index].serialize().hex(),
        h32(block.hash),
        index,
        [h32(x) for x in merkle_branch(block.txids(), index)],
    )
