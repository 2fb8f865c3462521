"""The event index an explorer keeps for itself when it is given none: a thread follows the
deployment into a file of the caller's folder while the explorer serves, and stops with it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from offchain.eth.client import connect
from offchain.eth.deployments import Deployment
from offchain.eth.index_sqlite import SqliteIndexStore
from offchain.eth.indexer import Indexer, default_confirmations

POLL_S = 1.0
STOP_TIMEOUT_S = 30.0  # the thread stops between two steps of the catch-up


@contextmanager
def own_index(rpc: str, deployment: Deployment, folder: Path) -> Iterator[Path]:
    """The path of an index of `deployment` kept up to date in `folder` until the block ends."""
    client = connect(rpc)
    store = SqliteIndexStore(folder / f"index-{deployment.chain_id}.sqlite")
    indexer = Indexer.for_deployment(client.w3, deployment, store, default_confirmations(client.chain_id))
    stop = threading.Event()
    thread = threading.Thread(target=indexer.follow, args=(stop, POLL_S), name="explorer-index", daemon=True)
    thread.start()
    try:
        yield store.path
    finally:
        stop.set()
        thread.join(STOP_TIMEOUT_S)
        store.close()
