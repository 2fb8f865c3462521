"""Answering a client's `eth_getLogs` from the event index: every reader (the registry and
market clients, `job list`/`job status`, `registry list`, the explorer) gets the index by
attaching it to its web3 connection, and reads the way it always did.

A log query for the indexed contracts is answered from the store up to the index's cursor,
and from the node past it (at most the confirmation depth plus the indexer's lag, read in the
node's bounded ranges by the caller as before). A query for anything else, by block hash, or
while the index is empty goes to the node unchanged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from web3 import Web3
from web3.middleware import Web3Middleware

from offchain.eth.errors import InvalidInputError
from offchain.eth.index_open import is_url, open_store
from offchain.eth.index_store import IndexMismatchError, IndexStore

NAME = "event_index"


def open_index(w3: Web3, where: Path | str) -> IndexStore:
    """Attach the index at `where` (a file or a postgresql:// URL, kept by `offchain index`) to
    `w3`'s log queries."""
    if not is_url(where) and not Path(where).is_file():
        raise InvalidInputError(f"no event index at {where}: start `offchain index --index {where}` first")
    store = open_store(where)
    if store.chain_id is not None and store.chain_id != int(w3.eth.chain_id):
        raise IndexMismatchError(f"the index {store.name} follows chain {store.chain_id}, the node {w3.eth.chain_id}")
    attach_index(w3, store)
    return store


def attach_index(w3: Web3, store: IndexStore) -> None:
    """Answer `w3`'s log queries for the indexed contracts from `store` from now on."""
    # web3 builds a middleware from a class or any callable taking the Web3 object.
    w3.middleware_onion.inject(lambda w3_: IndexedLogs(w3_, store), name=NAME, layer=0)  # type: ignore[arg-type]


class IndexedLogs(Web3Middleware):
    def __init__(self, w3: Web3, store: IndexStore) -> None:
        super().__init__(w3)
        self.store = store

    def wrap_make_request(self, make_request: Any) -> Any:
        def middleware(method: Any, params: Any) -> Any:
            if method != "eth_getLogs" or not self._covers(params[0]):
                return make_request(method, params)
            return self._answer(make_request, params[0])

        return middleware

    def _covers(self, query: dict[str, Any]) -> bool:
        address = query.get("address")
        wanted = [address] if isinstance(address, str) else list(address or [])
        followed = self.store.addresses()
        return bool(wanted) and "blockHash" not in query and {a.lower() for a in wanted} <= followed

    def _answer(self, make_request: Any, query: dict[str, Any]) -> Any:
        cursor = self.store.cursor
        start = self.store.start
        if cursor is None or start is None or cursor < start:
            return make_request("eth_getLogs", [query])
        low = _block(make_request, query.get("fromBlock"))
        high = _block(make_request, query.get("toBlock"))
        address = query["address"]
        addresses = [address] if isinstance(address, str) else address
        logs = self.store.logs(addresses, query.get("topics") or [], low, min(high, cursor))
        if high > cursor:  # the unconfirmed tail: from the node
            rest = {**query, "fromBlock": hex(max(low, cursor + 1)), "toBlock": hex(high)}
            tail = make_request("eth_getLogs", [rest])
            if "error" in tail:
                return tail
            logs += tail["result"]
        return {"jsonrpc": "2.0", "id": 0, "result": logs}


def _block(make_request: Any, tag: Any) -> int:
    if tag is None or tag in ("latest", "pending", "safe", "finalized"):
        return int(make_request("eth_blockNumber", [])["result"], 16)
    if tag == "earliest":
        return 0
    return int(tag, 16) if isinstance(tag, str) else int(tag)
