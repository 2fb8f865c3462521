"""`offchain registry ...`: read and write the model registry from the command line."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from offchain.eth.options import add_connection_args
from offchain.eth.values import parse_hash32


def open_registry(args: argparse.Namespace) -> Any:
    from pathlib import Path

    from offchain.eth.client import connect
    from offchain.eth.deployments import load_deployment
    from offchain.eth.registry import RegistryClient

    client = connect(args.rpc)
    directory = Path(args.deployments) if args.deployments else None
    deployment = load_deployment(client.chain_id, directory)
    return RegistryClient(client, deployment.contract("ModelRegistry").address)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("registry", help="model registry records and lineage")
    commands = parser.add_subparsers(dest="registry_command", metavar="COMMAND", required=True)

    show = commands.add_parser("show", help="print a model's record")
    show.add_argument("model_hash")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(show)
    show.set_defaults(func=cmd_show)

    lineage = commands.add_parser("lineage", help="print a model's lineage back to its root")
    lineage.add_argument("model_hash")
    lineage.add_argument("--max-depth", type=int, default=64)
    lineage.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(lineage)
    lineage.set_defaults(func=cmd_lineage)

    reg = commands.add_parser("register", help="register a model (key from $OFFCHAIN_PRIVATE_KEY)")
    reg.add_argument("model_hash")
    reg.add_argument("--parent", default=None, help="parent model hash (omit for a base model)")
    reg.add_argument("--dataset", required=True, help="training data set hash")
    reg.add_argument("--score-bps", type=int, required=True, help="accuracy in basis points")
    reg.add_argument("--uri", required=True, help="where the weights can be fetched")
    add_connection_args(reg)
    reg.set_defaults(func=cmd_register)


def cmd_show(args: argparse.Namespace) -> int:
    record = open_registry(args).record(parse_hash32(args.model_hash, "model hash"))
    if args.json:
        print(json.dumps(asdict(record), indent=2))
    else:
        print(format_record(record))
    return 0


def format_record(record: Any) -> str:
    rows = [
        ("model", record.model_hash),
        ("parent", record.parent_hash or "(base model)"),
        ("publisher", record.publisher),
        ("score", f"{record.score_bps / 100:.2f} % ({record.score_bps} bps)"),
        ("job", str(record.job_id) if record.job_id else "-"),
        ("dataset", record.dataset_hash),
        ("uri", record.uri),
        ("block", str(record.block)),
    ]
    return "\n".join(f"{key:<10} {value}" for key, value in rows)


def cmd_lineage(args: argparse.Namespace) -> int:
    path = open_registry(args).lineage(parse_hash32(args.model_hash, "model hash"), args.max_depth)
    if args.json:
        print(json.dumps(path))
    else:
        for depth, model in enumerate(path):
            print(f"{'  ' * depth}{'└─ ' if depth else ''}{model}")
    return 0


def cmd_register(args: argparse.Namespace) -> int:
    registry = open_registry(args)
    model = parse_hash32(args.model_hash, "model hash")
    parent = parse_hash32(args.parent, "parent hash") if args.parent else None
    receipt = registry.register(
        model, parent, parse_hash32(args.dataset, "dataset hash"), args.score_bps, args.uri
    )
    print(f"registered {args.model_hash} in block {receipt['blockNumber']} (gas {receipt['gasUsed']})")
    return 0
