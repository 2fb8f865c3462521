"""`offchain networks`: the names `--network NAME` accepts, and the URL each stands for."""

from __future__ import annotations

import argparse
import json
from typing import Any

from offchain.eth.networks import BROWNIE_NETWORKS, known_networks, networks_file


def cmd_networks(args: argparse.Namespace) -> int:
    networks = known_networks()
    if args.json:  # URLs as written: a provider key in a variable stays there
        rows = [{"name": n.name, "rpc": n.rpc_template, "source": str(n.source)} for n in networks]
        print(json.dumps(rows, indent=2))
        return 0
    if not networks:
        print(f"no named networks: add one to {networks_file()} (or use brownie's {BROWNIE_NETWORKS})")
        return 0
    width = max(len(n.name) for n in networks)
    for network in networks:
        print(f"{network.name:<{width}}  {network.rpc_template}  ({network.source})")
    return 0


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("networks", help="the named networks --network NAME can use")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(func=cmd_networks)
