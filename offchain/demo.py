"""`offchain demo`: the whole product on an embedded local chain, narrated step by step."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from offchain.eth.build import PROJECT_ROOT

DEFAULT_OUT = PROJECT_ROOT / "reports" / "demo"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run the full demo on an embedded local chain")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder")
    parser.set_defaults(func=cmd_demo)


class Narrator:
    """Numbered steps with elapsed time, so a person can follow a long run."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.step = 0

    def __call__(self, message: str) -> None:
        self.step += 1
        print(f"[{time.monotonic() - self.start:6.1f}s] {self.step:>2}. {message}", flush=True)


def cmd_demo(args: argparse.Namespace) -> int:
    from offchain.eth.client import connect
    from offchain.eth.deploy import deploy_all
    from offchain.eth.localchain import local_chain
    from offchain.eth.registry import RegistryClient

    say = Narrator()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    say("starting a local chain (anvil)")
    with local_chain(log_file=out / "anvil.log") as chain:
        client = connect(chain.url)
        say(f"chain {client.chain_id} at {chain.url}; deploying contracts")
        deployment = deploy_all(client, out / "deployments")
        registry = RegistryClient(client, deployment.contract("ModelRegistry").address)
        say(f"ModelRegistry at {registry.address}")
        return 0
