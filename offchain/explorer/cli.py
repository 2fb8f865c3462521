"""`offchain explorer --rpc URL [--ledger URL] [--index FILE] --port P`: serve the explorer until
Ctrl-C. Without --index it keeps an event index of its own in a temporary folder while it runs."""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from offchain.eth.options import add_index_arg

DEFAULT_PORT = 8700


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("explorer", help="browse jobs, models, accounts and the ledger in a web page")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--rpc", default=None, help="JSON-RPC URL (default: $OFFCHAIN_RPC or http://127.0.0.1:8545)")
    where.add_argument("--network", default=None, metavar="NAME", help="a named network (offchain networks lists them)")
    parser.add_argument("--deployments", type=Path, default=None, help="deployments folder (default: ./deployments)")
    add_index_arg(parser)
    parser.add_argument("--ledger", default=None, help="ledger node URL (`offchain ledger serve`) for the ledger pages")
    parser.add_argument(
        "--artifacts",
        type=Path,
        action="append",
        default=[],
        help="artifact store folder with specs and model cards (repeatable)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: loopback only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.set_defaults(func=cmd_explorer)


def cmd_explorer(args: argparse.Namespace) -> int:
    from offchain.eth.client import connect, default_rpc
    from offchain.eth.deployments import load_deployment
    from offchain.eth.errors import InvalidInputError
    from offchain.eth.options import rpc_from_args
    from offchain.explorer.app import Sources
    from offchain.explorer.background import own_index
    from offchain.explorer.server import start_explorer

    if not 0 <= args.port <= 65535:
        raise InvalidInputError(f"--port must be 0..65535, got {args.port}")
    rpc = rpc_from_args(args) or default_rpc()
    if not rpc.startswith(("http://", "https://")):
        raise InvalidInputError(f"--rpc must be an http(s) URL, got {rpc!r}")
    client = connect(rpc)  # fails with one line when the node does not answer
    deployment = load_deployment(client.chain_id, args.deployments)
    # SIGTERM unwinds like Ctrl-C: the index thread stops and its temporary folder goes.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with ExitStack() as stack:
        index = args.index
        if index is None:  # an index of its own, for as long as it serves
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="offchain-explorer-"))
            index = stack.enter_context(own_index(rpc, deployment, Path(folder)))
        sources = Sources(rpc, deployment, args.ledger, list(args.artifacts), index)
        try:
            running = start_explorer(sources, args.host, args.port)
        except OSError as exc:
            raise InvalidInputError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
        print(f"explorer: {running.url}  (chain {rpc}, chain id {client.chain_id}; Ctrl-C stops it)", flush=True)
        try:
            running.thread.join()
        finally:
            running.stop()
    return 0
