"""The event indexer: follows a deployment's contracts into an IndexStore, incrementally and
safely across reorganisations.

Each `sync` first checks the newest stored block hash against the chain; when it no longer
matches (a reorganisation deeper than the confirmation depth), it walks back through the
stored hashes to the newest block still on the chain and rewinds the store there. It then
reads the logs from the cursor up to `head - confirmations`, in steps whose logs and cursor
are saved together (a stop loses at most one step), each step's logs read in the bounded
ranges of offchain.eth.logs. A step whose last block changed hash while it was read is read
again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from web3 import Web3
from web3.exceptions import Web3Exception

from offchain.eth.build import load_artifact
from offchain.eth.deployments import Deployment
from offchain.eth.errors import BuildArtifactError, EthError
from offchain.eth.index_store import IndexStore
from offchain.eth.keys import LOCAL_CHAIN_IDS
from offchain.eth.logs import LogFilter, event_topics, read_logs

LOCAL_CONFIRMATIONS = 0  # a local dev chain does not reorganise by itself
PUBLIC_CONFIRMATIONS = 12  # about 2.5 minutes on Ethereum; deeper reorganisations rewind
DEFAULT_CONFIRMATIONS = PUBLIC_CONFIRMATIONS
STEP_BLOCKS = 5_000  # blocks whose logs are saved together with the cursor
MAX_RETRIES = 3  # a step that keeps moving under a reorganisation


def default_confirmations(chain_id: int) -> int:
    """Blocks deep before a log is stored, on chain `chain_id`."""
    return LOCAL_CONFIRMATIONS if chain_id in LOCAL_CHAIN_IDS else PUBLIC_CONFIRMATIONS


class Indexer:
    """Follows `addresses` from block `start` on the chain of `w3` into `store`."""

    def __init__(
        self,
        w3: Web3,
        store: IndexStore,
        addresses: Sequence[str],
        start: int,
        confirmations: int = DEFAULT_CONFIRMATIONS,
        events: Sequence[str] = (),
    ) -> None:
        if confirmations < 0:
            raise EthError(f"confirmations must be 0 or more, got {confirmations}")
        self.w3 = w3
        self.store = store
        self.addresses = [a.lower() for a in addresses]
        self.confirmations = confirmations
        self.events = list(events)  # every topic0 the contracts emit: a dense block is read per event
        store.follow(int(w3.eth.chain_id), self.addresses, start)

    @classmethod
    def for_deployment(
        cls, w3: Web3, deployment: Deployment, store: IndexStore, confirmations: int = DEFAULT_CONFIRMATIONS
    ) -> Indexer:
        """Every contract of the deployment, from the first one's deployment block."""
        contracts = deployment.contracts.values()
        if deployment.chain_id != int(w3.eth.chain_id):
            raise EthError(f"the deployment is of chain {deployment.chain_id}, the node's is {w3.eth.chain_id}")
        addresses, start = [c.address for c in contracts], min(c.block for c in contracts)
        return cls(w3, store, addresses, start, confirmations, _events(deployment))

    def sync(self, stop: threading.Event | None = None) -> int:
        """Catch up to `head - confirmations` (or until `stop` is set); returns the cursor."""
        self._rewind_if_reorganised()
        target = int(self.w3.eth.block_number) - self.confirmations
        cursor = self._cursor()
        while cursor < target and not (stop and stop.is_set()):
            end = min(target, cursor + STEP_BLOCKS)
            self._step(cursor + 1, end)
            cursor = end
        return cursor

    def follow(self, stop: threading.Event, poll_s: float = 1.0, on_error: Callable[[str], None] | None = None) -> None:
        """Sync every `poll_s` seconds until `stop` is set; an unreachable node is retried."""
        while not stop.is_set():
            try:
                self.sync(stop)
            except (OSError, EthError, Web3Exception) as exc:  # the node went away or hiccuped: next poll
                if on_error is not None:
                    on_error(f"index: {type(exc).__name__}: {exc}")
            stop.wait(poll_s)

    def _cursor(self) -> int:
        cursor = self.store.cursor
        assert cursor is not None  # follow() set it
        return cursor

    def _step(self, start: int, end: int) -> None:
        for _ in range(MAX_RETRIES):
            before = self._hash(end)
            logs = read_logs(self._get_logs, LogFilter(self.addresses), start, end, self.events)
            if self._hash(end) == before:
                self.store.append(logs, end, before)
                return
        raise EthError(f"blocks {start}..{end} kept changing while they were read")

    def _get_logs(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """Raw logs (JSON-RPC form) straight from the provider: never from an index."""
        query = {**query, "fromBlock": hex(query["fromBlock"]), "toBlock": hex(query["toBlock"])}
        answer: Any = self.w3.provider.make_request("eth_getLogs", [query])  # type: ignore[arg-type]
        if "error" in answer:
            error = answer["error"]
            raise EthError(str(error.get("message", error)) if isinstance(error, dict) else str(error))
        return list(answer["result"])

    def _hash(self, number: int) -> str:
        return "0x" + bytes(self.w3.eth.get_block(number)["hash"]).hex()

    def _rewind_if_reorganised(self) -> None:
        """Rewind to the newest stored block still on the chain (the start when none is)."""
        for number, stored in self.store.known_blocks():
            if number > int(self.w3.eth.block_number):
                continue  # the chain is shorter now: that block is gone
            if self._hash(number) == stored.lower():
                if number != self._cursor():
                    self.store.rewind(number)
                return
        start = self.store.start
        if start is not None and self._cursor() >= start:
            self.store.rewind(start - 1)


def _events(deployment: Deployment) -> list[str]:
    """Every topic0 the deployment's contracts emit, from their build artifacts (the compiler
    lists every event a contract can emit, inherited and library ones included); [] when one
    is missing, since a split over an incomplete list would lose logs."""
    try:
        return sorted({t for name in deployment.contracts for t in event_topics(load_artifact(name).abi)})
    except BuildArtifactError:
        return []
