"""Three nodes on loopback: two mine competing forks, all converge on the most-work chain."""

from __future__ import annotations

from pathlib import Path

from ledger_helpers import extend

from offchain.ledger.chain import Chain
from offchain.ledger.node import Node, request_json


def test_three_nodes_converge_on_the_most_work_chain(tmp_path: Path) -> None:
    chains = [Chain.open(tmp_path / name, "devnet", create=True) for name in ("a", "b", "c")]
    nodes = [Node(c).start() for c in chains]
    try:
        a, b, c = nodes
        extend(chains[0], 3, extra_nonce=1)  # fork A: 3 blocks
        extend(chains[1], 5, extra_nonce=2)  # fork B: 5 blocks, more work
        assert chains[0].tip().hash != chains[1].tip().hash
        a.peers, b.peers, c.peers = [b.url, c.url], [a.url, c.url], [a.url, b.url]

        for _ in range(2):
            for node in nodes:
                node.sync_once()

        tips = {request_json(node.url, "/tip")["hash"] for node in nodes}
        assert tips == {request_json(b.url, "/tip")["hash"]}
        assert request_json(a.url, "/tip")["height"] == 5

        extend(chains[0], 2, extra_nonce=3)  # A now builds on B's chain and leads
        for node in (c, b):
            node.sync_once()
        assert {n.chain.tip().height for n in nodes} == {7}
        for chain in chains:
            chain.verify_db()
    finally:
        for node in nodes:
            node.stop()
        for chain in chains:
            chain.close()
