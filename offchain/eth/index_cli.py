"""`offchain index`: follow the deployment's contracts into an event index until stopped.

    offchain index --index ~/.offchain/index.sqlite [--rpc URL] [--confirmations N] [--once]
    offchain index --index postgresql://user@host/db ...   (a PostgreSQL database instead)

The readers (`job list`, `job status`, `registry list`, the explorer, the roles) take the same
`--index` (or $OFFCHAIN_INDEX) and read the history from it. SIGTERM and Ctrl-C stop the daemon
between two steps: what it stored is committed, and the next start resumes from its cursor.
"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from typing import Any

from offchain.eth.indexer import LOCAL_CONFIRMATIONS, PUBLIC_CONFIRMATIONS
from offchain.eth.options import add_connection_args, add_index_arg, rpc_from_args


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("index", help="follow the market's and the registry's events into an index")
    add_connection_args(parser)
    add_index_arg(parser)
    parser.add_argument(
        "--confirmations",
        type=int,
        default=None,
        help=f"blocks deep before a log is stored (default {LOCAL_CONFIRMATIONS} on a local dev chain, "
        f"else {PUBLIC_CONFIRMATIONS})",
    )
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between polls (default 2)")
    parser.add_argument("--once", action="store_true", help="catch up to the head once, then exit")
    parser.set_defaults(func=cmd_index)


def cmd_index(args: argparse.Namespace) -> int:
    from offchain.eth.client import connect
    from offchain.eth.deployments import open_deployment
    from offchain.eth.errors import InvalidInputError
    from offchain.eth.index_open import open_store
    from offchain.eth.indexer import Indexer, default_confirmations

    if not args.index:
        raise InvalidInputError("name the index: --index PATH or postgresql:// URL (or set $OFFCHAIN_INDEX)")
    client = connect(rpc_from_args(args))
    deployment = open_deployment(client, Path(args.deployments) if args.deployments else None)
    confirmations = default_confirmations(client.chain_id) if args.confirmations is None else args.confirmations
    store = open_store(args.index)
    indexer = Indexer.for_deployment(client.w3, deployment, store, confirmations)
    print(
        f"index: following {len(indexer.addresses)} contracts of chain {client.chain_id} from block "
        f"{store.start} into {store.name} ({confirmations} confirmations)",
        flush=True,
    )
    if args.once:
        indexer.sync()
    else:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda signum, frame: stop.set())
        indexer.follow(stop, args.poll, on_error=lambda line: print(line, flush=True))
    print(f"index: stored up to block {store.cursor}", flush=True)
    store.close()
    return 0
