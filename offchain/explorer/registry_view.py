"""The model registry as the explorer shows it: every registration, as a lineage forest.

One log query (ModelRegistered from the registry's deployment block) gives every record
with its parent, so the graph costs the same however deep it is. The layout for the SVG
picture is computed here (a column per generation, a row per model in depth-first order),
so the template only draws boxes and lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from offchain.eth.client import Client
from offchain.eth.logs import contract_events
from offchain.eth.provenance import Provenance
from offchain.eth.registry import ZERO_HASH, model_anchor
from offchain.eth.relay import RelayClient
from offchain.eth.values import hash_hex

MAX_MODELS = 500  # drawn on the lineage page; more are counted, not drawn
COLUMN_W, ROW_H, BOX_W, BOX_H = 260, 56, 220, 40


@dataclass
class ModelNode:
    model_hash: str
    parent_hash: str | None
    publisher: str
    score_bps: int
    job_id: int
    dataset_hash: str
    uri: str
    block: int
    children: list[ModelNode] = field(default_factory=list)
    depth: int = 0
    row: int = 0

    @property
    def x(self) -> int:
        return 10 + self.depth * COLUMN_W

    @property
    def y(self) -> int:
        return 10 + self.row * ROW_H


@dataclass(frozen=True)
class Edge:
    parent: ModelNode
    child: ModelNode


@dataclass(frozen=True)
class Lineage:
    roots: list[ModelNode]
    nodes: list[ModelNode]
    edges: list[Edge]
    total: int
    width: int
    height: int
    box_w: int = BOX_W
    box_h: int = BOX_H


class RegistryView:
    def __init__(self, client: Client, address: str, from_block: int = 0) -> None:
        self.contract = client.contract("ModelRegistry", address)
        self.from_block = from_block

    def anchor(self, model_hash: str, relay: RelayClient | None) -> Provenance | None:
        """The model's recorded ledger anchor read live against the relay; None if never marked."""
        return model_anchor(self.contract, bytes.fromhex(model_hash.removeprefix("0x")), relay)

    def models(self) -> list[ModelNode]:
        """Every registered model, in registration order."""
        logs = contract_events(self.contract.events.ModelRegistered(), self.from_block, "latest")
        return [_node(log["args"], int(log["blockNumber"])) for log in logs]

    def lineage(self) -> Lineage:
        nodes = self.models()
        total = len(nodes)
        nodes = nodes[:MAX_MODELS]
        by_hash = {n.model_hash: n for n in nodes}
        roots = []
        for n in nodes:
            parent = by_hash.get(n.parent_hash or "")
            if parent is None:
                roots.append(n)
            else:
                parent.children.append(n)
        ordered: list[ModelNode] = []
        stack = [(r, 0) for r in reversed(roots)]
        while stack:  # iterative depth-first walk: a deep chain cannot exhaust the stack
            node, depth = stack.pop()
            node.depth, node.row = depth, len(ordered)
            ordered.append(node)
            stack.extend((c, depth + 1) for c in reversed(node.children))
        edges = [Edge(n, c) for n in ordered for c in n.children]
        depth = max((n.depth for n in ordered), default=0)
        return Lineage(roots, ordered, edges, total, 20 + (depth + 1) * COLUMN_W, 20 + max(len(ordered), 1) * ROW_H)

    def model(self, model_hash: str) -> tuple[ModelNode, list[ModelNode], list[ModelNode]] | None:
        """The model, its ancestors (parent first) and its children; None when unregistered."""
        nodes = {n.model_hash: n for n in self.models()}
        node = nodes.get(model_hash)
        if node is None:
            return None
        ancestors: list[ModelNode] = []
        parent = nodes.get(node.parent_hash or "")
        while parent is not None and len(ancestors) < len(nodes):  # bounded even on a cycle
            ancestors.append(parent)
            parent = nodes.get(parent.parent_hash or "")
        children = [n for n in nodes.values() if n.parent_hash == model_hash]
        return node, ancestors, children


def _node(args: Any, block: int) -> ModelNode:
    parent = bytes(args["parentHash"])
    return ModelNode(
        model_hash=hash_hex(args["modelHash"]),
        parent_hash=None if parent == ZERO_HASH else hash_hex(parent),
        publisher=str(args["publisher"]),
        score_bps=int(args["scoreBps"]),
        job_id=int(args["jobId"]),
        dataset_hash=hash_hex(args["datasetHash"]),
        uri=str(args["uri"]),
        block=block,
    )
