"""The relayer: follows a ledger node over HTTP and keeps a LedgerRelay on its heaviest chain.

    offchain relay deploy --chain devnet --confirmations 2   # relay from the ledger's genesis
    offchain relay --ledger http://127.0.0.1:8333            # the daemon
    offchain relay status --ledger http://127.0.0.1:8333     # both tips side by side

Each round asks the node for its tip; when the node claims more work than the relay holds, it
sends a block locator starting at the relay's own tip (the node answers with the headers after
the last block both share, which is the fork point after a ledger reorganisation), drops those
the relay already holds, and submits the rest in batches, no header stamped past the relay's
clock limit (those wait for a later round). A reorganisation deeper than one transaction is
finished with resumeReorganization before anything else. The relayer keeps no state of its
own: the contract is the record, so a restart (even after kill -9 between batches) resumes
from what the relay already holds, and a batch the contract already stored changes nothing.
An unreachable node or RPC endpoint costs a logged round and a wait, never the process.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from typing import Any

from offchain.errors import OffchainError
from offchain.eth.relay import ChainTip, RelayClient
from offchain.ledger.block import BlockHeader
from offchain.ledger.errors import LedgerError, PeerError
from offchain.ledger.hashing import hash_to_hex
from offchain.ledger.node import request_json
from offchain.ledger.params import CHAINS, chain_params
from offchain.roles.rolelog import RoleLog

BATCH = 20  # headers per transaction: about 45k gas each, well inside a block
LOCATOR_DEPTH = 64  # ancestors of the relay's tip offered to the node before its genesis
BACKOFF_MAX_S = 10.0
# The relay's clock is the EVM's: it moves only when blocks are mined (issue 22's walkthrough).
CLOCK_HINT = (
    "the relay's clock advances with EVM blocks and these headers are not ahead of this machine's clock: "
    "on a chain that mines only on transactions (make chain) mine one (offchain chain mine 1) "
    "or start it with interval mining (anvil --block-time 1)"
)


def ledger_tip(url: str) -> ChainTip:
    tip = request_json(url, "/tip")
    return ChainTip(hash=str(tip["hash"]), height=int(tip["height"]), work=int(str(tip["work"]), 16))


class Relayer:
    """One relay, one ledger node; `sync_once` is a round, `run` loops them."""

    def __init__(
        self,
        relay: RelayClient,
        ledger_url: str,
        genesis_hash: str,
        batch: int = BATCH,
        log: Callable[..., None] | None = None,
    ) -> None:
        if batch < 1:
            raise OffchainError(f"--batch must be at least 1, got {batch}")
        self.relay = relay
        self.ledger_url = ledger_url
        self.genesis_hash = genesis_hash
        self.batch = batch
        self.log = log or RoleLog("relayer")
        self._clock_hint_given = False

    def sync_once(self) -> int:
        """Bring the relay up to the node's heaviest chain; returns the headers submitted."""
        self._finish_reorganization()
        node, ours = ledger_tip(self.ledger_url), self.relay.best_tip()
        if node.work <= ours.work:
            return 0
        headers = self._unknown(self._headers_after(ours))
        limit = self.relay.time_limit()
        timely = next((i for i, h in enumerate(headers) if h.time > limit), len(headers))
        if timely < len(headers):
            first = headers[timely]
            self.log("waiting", reason="headers past the relay's clock limit", first=first.hash_hex, limit=limit)
            if first.time <= time.time() and not self._clock_hint_given:
                self._clock_hint_given = True  # once: a chain that mines only on transactions waits for ever
                self.log("hint", reason=CLOCK_HINT)
        submitted = 0
        for start in range(0, timely, self.batch):
            chunk = headers[start : min(start + self.batch, timely)]
            self.relay.submit_headers([h.serialize() for h in chunk])
            submitted += len(chunk)
            self._finish_reorganization()
            tip = self.relay.best_tip()
            self.log("submitted", headers=len(chunk), last=chunk[-1].hash_hex, relay_height=tip.height)
        return submitted

    def _finish_reorganization(self) -> None:
        """Resume a pending reorganisation until done (each call at most REORG_STEP heights)."""
        while self.relay.reorganizing():
            self.relay.resume_reorganization()
            self.log("reorganizing", done=not self.relay.reorganizing())

    def _unknown(self, headers: list[BlockHeader]) -> list[BlockHeader]:
        """The headers after those the relay already holds (a held header's ancestors are held:
        the known ones are a prefix, found by bisection), so nothing is paid for twice."""
        low, high = 0, len(headers)
        while low < high:
            mid = (low + high) // 2
            if self.relay.knows(headers[mid].hash_hex):
                low = mid + 1
            else:
                high = mid
        return headers[low:]

    def _headers_after(self, ours: ChainTip) -> list[BlockHeader]:
        """The node's main-chain headers after the last block it shares with the relay's tip."""
        locator = [ours.hash]
        answer = self._ask(locator)
        if answer and hash_to_hex(answer[0].prev_hash) != ours.hash:
            locator = self._locator(ours.hash)  # the node left our tip: find the fork point
            answer = self._ask(locator)
        return answer

    def _ask(self, locator: list[str]) -> list[BlockHeader]:
        hashes = ",".join([*locator, self.genesis_hash])
        found = request_json(self.ledger_url, f"/headers?locator={hashes}")["headers"]
        return [BlockHeader.from_hex(h) for h in found]

    def _locator(self, tip_hash: str) -> list[str]:
        """The relay's tip and its ancestors (read from the node, which stores side blocks too)."""
        hashes = [tip_hash]
        current = tip_hash
        for _ in range(LOCATOR_DEPTH):
            try:
                raw = request_json(self.ledger_url, f"/block/{current}")["hex"]
            except PeerError:
                break  # a block the node never had: offer what we have, then its genesis
            current = hash_to_hex(BlockHeader.from_hex(raw[:160]).prev_hash)
            if current == self.genesis_hash or not self.relay.knows(current):
                break
            hashes.append(current)
        return hashes

    def run(self, stop: threading.Event | None = None, poll_s: float = 1.0) -> int:
        """Rounds until `stop` is set (or forever); outages are logged and waited out."""
        stop = stop or threading.Event()
        wait = poll_s
        self.log("started", ledger=self.ledger_url, relay=self.relay.contract.address)
        while not stop.is_set():
            try:
                self.sync_once()
                wait = poll_s
            except (OffchainError, LedgerError, OSError, ValueError) as exc:
                self.log("outage", error=str(exc).splitlines()[0][:200], retry_s=wait)
                wait = min(wait * 2, BACKOFF_MAX_S)
            except Exception as exc:  # web3/requests transport errors have no common root
                self.log("outage", error=f"{type(exc).__name__}: {str(exc)[:200]}", retry_s=wait)
                wait = min(wait * 2, BACKOFF_MAX_S)
            stop.wait(wait)
        return 0


def status(relay: RelayClient, ledger_url: str) -> dict[str, Any]:
    """Both tips side by side; the ledger's side is None while its node is unreachable."""
    ours = relay.best_tip()
    out: dict[str, Any] = {"relay": ours.__dict__, "ledger": None, "behind": None}
    try:
        node = ledger_tip(ledger_url)
    except LedgerError as exc:
        out["ledger_error"] = str(exc)
        return out
    out["ledger"] = node.__dict__
    out["behind"] = node.height - ours.height if relay.confirmations(node.hash) == 0 else 0
    out["same_tip"] = node.hash == ours.hash
    return out


def _open_relay(args: argparse.Namespace) -> RelayClient:
    from pathlib import Path

    from offchain.eth.client import connect
    from offchain.eth.deployments import load_deployment
    from offchain.eth.options import account_from_args, rpc_from_args
    from offchain.eth.registry import provenance_relay
    from offchain.eth.values import parse_address

    client = connect(rpc_from_args(args))
    account = account_from_args(args, client.chain_id)
    if account is not None:
        client = client.with_account(account)
    if args.relay:
        return RelayClient(client, parse_address(args.relay, "--relay"))
    deployment = load_deployment(client.chain_id, Path(args.deployments) if args.deployments else None)
    return RelayClient(client, provenance_relay(client, deployment))


def cmd_relay(args: argparse.Namespace) -> int:
    params = chain_params(args.chain)
    genesis = BlockHeader.from_hex(params.genesis_header_hex).hash_hex
    relayer = Relayer(_open_relay(args), args.ledger, genesis, args.batch, RoleLog("relayer", args.json))
    if args.once:
        relayer.sync_once()
        return 0
    try:
        return relayer.run(poll_s=args.poll)
    except KeyboardInterrupt:
        return 0


def cmd_status(args: argparse.Namespace) -> int:
    import json

    info = status(_open_relay(args), args.ledger)
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    relay, node = info["relay"], info["ledger"] or {}
    print(f"{'':8} {'ledger (' + args.ledger + ')':<68} relay")
    for key in ("height", "hash", "work"):
        left, right = node.get(key, "unreachable"), relay[key]
        if key == "work":
            left, right = (f"{left:#x}" if isinstance(left, int) else left), f"{right:#x}"
        print(f"{key:8} {left!s:<68} {right}")
    if info["ledger"] is not None:
        print("in step" if info["same_tip"] else f"relay behind by {info['behind']} block(s)")
    return 0


def cmd_deploy(args: argparse.Namespace) -> int:
    from pathlib import Path

    from offchain.eth.client import connect
    from offchain.eth.deploy import deploy_genesis_relay
    from offchain.eth.options import rpc_from_args

    params = chain_params(args.chain)
    genesis = BlockHeader.from_hex(params.genesis_header_hex)
    client = connect(rpc_from_args(args))
    deployments = Path(args.deployments) if args.deployments else None
    address = deploy_genesis_relay(client, args.chain, args.confirmations, deployments, args.standalone)
    print(f"LedgerRelay ({params.name}, from genesis {genesis.hash_hex}) at {address}")
    if args.standalone:
        print(f"not in the deployment file (its registry keeps its own relay): follow it with --relay {address}")
    return 0


def add_relay_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--relay",
        default=None,
        help="LedgerRelay address (default: the one the deployment's registry keeps, which the market verifies with)",
    )


def register(subparsers: Any) -> None:
    from offchain.eth.options import add_connection_args, add_key_args

    parser = subparsers.add_parser("relay", help="keep the LedgerRelay contract on the ledger's heaviest chain")
    parser.add_argument("--ledger", default="http://127.0.0.1:8333", help="ledger node URL")
    parser.add_argument("--chain", default="devnet", choices=sorted(CHAINS), help="ledger chain (default devnet)")
    parser.add_argument("--batch", type=int, default=BATCH, help=f"headers per transaction (default {BATCH})")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between rounds")
    parser.add_argument("--once", action="store_true", help="one round, then exit")
    parser.add_argument("--json", action="store_true", help="JSON log lines")
    add_relay_arg(parser)
    add_connection_args(parser)
    add_key_args(parser)
    parser.set_defaults(func=cmd_relay)
    commands = parser.add_subparsers(dest="relay_command", metavar="COMMAND")
    show = commands.add_parser("status", help="the ledger's tip and the relay's side by side")
    show.add_argument("--ledger", default="http://127.0.0.1:8333", help="ledger node URL")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    add_relay_arg(show)
    add_connection_args(show)
    show.set_defaults(func=cmd_status)
    deploy = commands.add_parser("deploy", help="deploy a LedgerRelay from the chain's genesis")
    deploy.add_argument(
        "--chain", default="devnet", choices=sorted(CHAINS), help="the ledger's parameters (default devnet)"
    )
    deploy.add_argument("--confirmations", type=int, default=2, help="confirmations verifyTx requires")
    deploy.add_argument(
        "--standalone",
        action="store_true",
        help="deploy beside a registry that keeps its own relay: left out of the deployment file",
    )
    add_connection_args(deploy)
    deploy.set_defaults(func=cmd_deploy)
