"""`offchain explorer --rpc URL [--ledger URL] --port P`: serve the explorer until Ctrl-C."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

DEFAULT_PORT = 8700


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("explorer", help="browse jobs, models, accounts and the ledger in a web page")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--rpc", default=None, help="JSON-RPC URL (default: $OFFCHAIN_RPC or http://127.0.0.1:8545)")
    where.add_argument("--network", default=None, metavar="NAME", help="a named network (offchain networks lists them)")
    parser.add_argument("--deployments", type=Path, default=None, help="deployments folder (default: ./deployments)")
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
    from offchain.explorer.server import start_explorer

    if not 0 <= args.port <= 65535:
        raise InvalidInputError(f"--port must be 0..65535, got {args.port}")
    rpc = rpc_from_args(args) or default_rpc()
    if not rpc.startswith(("http://", "https://")):
        raise InvalidInputError(f"--rpc must be an http(s) URL, got {rpc!r}")
    client = connect(rpc)  # fails with one line when the node does not answer
    deployment = load_deployment(client.chain_id, args.deployments)
    sources = Sources(rpc=rpc, deployment=deployment, ledger=args.ledger, artifacts=list(args.artifacts))
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
