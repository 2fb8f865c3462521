"""`offchain demo` (`make demo`): the whole product on an embedded local chain, narrated."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from offchain.demo.report import Narrator
from offchain.demo.scenario import SPEC, Demo, DemoConfig
from offchain.eth.build import PROJECT_ROOT

DEFAULT_OUT = PROJECT_ROOT / "reports" / "demo"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run the full demo on an embedded local chain")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder (recreated)")
    parser.add_argument("--epochs", type=int, default=SPEC["epochs"], help="fine-tuning epochs in the job spec")
    parser.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from offchain.eth.localchain import local_chain

    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    say = Narrator()
    say("starting a local chain (anvil, one block a second)")
    config = DemoConfig(spec=dict(SPEC, epochs=args.epochs))
    with local_chain(block_time=1, log_file=out / "anvil.log") as chain:
        demo = Demo(chain, out, say, config)
        try:
            demo.run()
        finally:
            demo.stop_roles()
    say(f"done in {say.elapsed():.0f} s; report: {out / 'summary.md'}")
    return 0
