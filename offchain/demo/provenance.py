"""The demo's ledger side: a proof-of-work ledger node, the relayer that keeps the EVM's
LedgerRelay on its heaviest chain, and anchor proofs that the contracts verify.

The node (`offchain ledger serve`) and the relayer (`offchain relay`) are processes like the
roles; blocks are mined here, in the demo's process, on the node's data folder (the store
takes writers from several processes). A proof is written exactly as `offchain ledger prove
--out` writes it, once the relay holds the anchor's block with the confirmations it requires.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.demo.processes import RoleProcess, spawn, wait_until
from offchain.demo.report import Narrator

NODE_START_S = 30.0
RELAY_WAIT_S = 60.0
SERVING = re.compile(r"serving \S+ at (http://\S+)")


@dataclass
class Anchored:
    """A payload anchored in the ledger and proven to the relay."""

    tag: str
    txid: str
    height: int
    block_hash: str
    proof_path: Path


class LedgerSide:
    def __init__(self, out: Path, say: Narrator, rpc: str, deployments: Path, relayer_account: int) -> None:
        self.datadir = out / "ledger"
        self.proofs = out / "provenance"
        self.say = say
        self.rpc = rpc
        self.deployments = deployments
        self.relayer_account = relayer_account
        self.roles: list[RoleProcess] = []
        self.url = ""

    def start(self, relay: Any) -> list[RoleProcess]:
        """Create the chain, fund its key, start the node and the relayer; returns their processes."""
        from offchain.ledger import api as ledger

        self.relay = relay
        ledger.init_chain(self.datadir, "devnet")
        funded = ledger.fund(self.datadir, processes=1)  # anchor fees: the first coinbase must mature
        self.say(f"proof-of-work ledger (devnet): mined {len(funded)} blocks so its key can pay anchor fees")
        node = spawn("ledger", -1, ["ledger", "serve", "--datadir", str(self.datadir), "--port", "0"], 1)
        self.roles.append(node)

        def serving() -> bool:
            return any(SERVING.search(line) for line in node.lines)

        wait_until(serving, "the ledger node", NODE_START_S, self.roles)
        found = next(m for m in map(SERVING.search, node.lines) if m)
        self.url = found.group(1)
        argv = ["relay", "--ledger", self.url, "--rpc", self.rpc, "--deployments", str(self.deployments)]
        argv += ["--dev-account", str(self.relayer_account), "--poll", "0.5"]
        self.roles.append(spawn("relayer", self.relayer_account, argv, 1))
        self.say(f"ledger node at {self.url}; a relayer keeps LedgerRelay {relay.contract.address} on its chain")
        return self.roles

    def anchor(self, payload: bytes, tag: str, confirmations: int) -> Anchored:
        """Anchor `payload`, mine until its block has `confirmations`, wait for the relay to
        hold them, and write the proof file."""
        from offchain.ledger import api as ledger

        txid = ledger.anchor(self.datadir, payload, tag)
        ledger.mine(self.datadir, confirmations, processes=1)
        proof: dict[str, Any] = ledger.prove(self.datadir, txid)
        block = str(proof["block_hash"])
        wait_until(
            lambda: self.relay.confirmations(block) >= confirmations,
            f"the relay to confirm ledger block {proof['height']} {confirmations} times",
            RELAY_WAIT_S,
            self.roles,
        )
        self.proofs.mkdir(parents=True, exist_ok=True)
        path = self.proofs / f"{tag}.json"
        path.write_text(json.dumps(proof, indent=2) + "\n")
        self.say.detail(
            f"{tag}: anchored in ledger block {proof['height']} (txid {txid[:16]}...), "
            f"relay confirms it {self.relay.confirmations(block)} times; proof {path.name}"
        )
        return Anchored(tag, txid, int(proof["height"]), block, path)
