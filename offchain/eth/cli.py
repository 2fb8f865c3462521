"""`offchain registry ...`: read and write the model registry from the command line."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from offchain.eth.options import account_from_args, add_connection_args, add_index_arg, add_key_args, rpc_from_args
from offchain.eth.values import parse_hash32

MAX_LIST = 10_000


def open_registry(args: argparse.Namespace) -> Any:
    return _open_registry(args)[0]


def _open_registry(args: argparse.Namespace) -> tuple[Any, int]:
    """The registry client and the registry's deployment block."""
    from pathlib import Path

    from offchain.eth.client import connect
    from offchain.eth.deployments import open_deployment
    from offchain.eth.registry import RegistryClient

    client = connect(rpc_from_args(args))
    if hasattr(args, "key_env"):  # the writing commands take --dev-account, --keystore, --key-env
        account = account_from_args(args, client.chain_id)
        client = client.with_account(account) if account is not None else client
    if getattr(args, "index", None):  # `registry list`: the history from the index
        from offchain.eth.index_middleware import open_index

        open_index(client.w3, args.index)
    directory = Path(args.deployments) if args.deployments else None
    deployed = open_deployment(client, directory).contract("ModelRegistry")
    return RegistryClient(client, deployed.address), deployed.block


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("registry", help="model registry records and lineage")
    commands = parser.add_subparsers(dest="registry_command", metavar="COMMAND", required=True)

    show = commands.add_parser("show", help="print a model's record")
    show.add_argument("model_hash", help="the model's tensor fingerprint (0x + 64 hex)")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(show)
    show.set_defaults(func=cmd_show)

    lineage = commands.add_parser("lineage", help="print a model's lineage back to its root")
    lineage.add_argument("model_hash", help="the model's tensor fingerprint (0x + 64 hex)")
    lineage.add_argument("--max-depth", type=int, default=64, help="stop after this many ancestors (default 64)")
    lineage.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(lineage)
    lineage.set_defaults(func=cmd_lineage)

    models = commands.add_parser("list", help="every registered model, oldest first")
    models.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    models.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(models)
    add_index_arg(models)
    models.set_defaults(func=cmd_list)

    anchor = commands.add_parser("anchor", help="mark a model anchored in the ledger from a proof file")
    anchor.add_argument("proof", help="`offchain ledger prove TXID --out FILE` of the model hash's anchor")
    add_connection_args(anchor)
    add_key_args(anchor)
    anchor.set_defaults(func=cmd_anchor)

    reg = commands.add_parser("register", help="register a model")
    reg.add_argument("model_hash", help="the model's tensor fingerprint (`offchain fingerprint MODEL_DIR`)")
    reg.add_argument("--parent", default=None, help="parent model hash (omit for a base model)")
    reg.add_argument("--dataset", required=True, help="training data set hash")
    reg.add_argument("--score-bps", type=int, required=True, help="accuracy in basis points")
    reg.add_argument("--uri", required=True, help="where the weights can be fetched")
    add_connection_args(reg)
    add_key_args(reg)
    reg.set_defaults(func=cmd_register)


def cmd_show(args: argparse.Namespace) -> int:
    registry = open_registry(args)
    model = parse_hash32(args.model_hash, "model hash")
    record = registry.record(model)
    anchor = registry.anchor_of(model, registry.relay()) if registry.relay_address() else None
    if args.json:
        extra = {"anchor": None if anchor is None else {**anchor.as_json(), "line": anchor.line("model")}}
        print(json.dumps({**asdict(record), **extra}, indent=2))
    else:
        print(format_record(record))
        print(f"{'anchor':<10} {anchor.line('model') if anchor else '(no ledger anchor proof)'}")
    return 0


def cmd_anchor(args: argparse.Namespace) -> int:
    from offchain.eth.errors import InvalidInputError
    from offchain.eth.provenance import check_against_relay, load_proof

    registry = open_registry(args)
    proof = load_proof(args.proof)
    relay = registry.relay()
    if relay is None:
        raise InvalidInputError("this registry has no LedgerRelay: anchoring is off")
    check_against_relay(proof, relay)
    receipt = registry.mark_anchored(proof)
    anchor = registry.anchor_of(proof.payload, relay)
    line = anchor.line("model") if anchor else "model anchored"
    print(f"0x{proof.payload.hex()}: {line} (block {receipt['blockNumber']}, gas {receipt['gasUsed']})")
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


def cmd_list(args: argparse.Namespace) -> int:
    from offchain.eth.errors import InvalidInputError

    if not 1 <= args.limit <= MAX_LIST:
        raise InvalidInputError(f"--limit must be 1..{MAX_LIST}, got {args.limit}")
    registry, deployed_at = _open_registry(args)
    records = registry.models(deployed_at, args.limit)
    if args.json:
        print(json.dumps([asdict(r) for r in records], indent=2))
        return 0
    if not records:
        print("no model registered yet")
    for r in records:
        parent = r.parent_hash[:12] + "…" if r.parent_hash else "(base)"
        print(f"{r.model_hash}  {r.score_bps / 100:6.2f} %  parent {parent:<14} job {r.job_id or '-':<4} {r.uri}")
    return 0


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
    receipt = registry.register(model, parent, parse_hash32(args.dataset, "dataset hash"), args.score_bps, args.uri)
    print(f"registered {args.model_hash} in block {receipt['blockNumber']} (gas {receipt['gasUsed']})")
    return 0
