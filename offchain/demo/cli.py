"""`offchain demo` (`make demo`): the whole product on an embedded local chain, narrated."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from offchain.demo.report import Narrator
from offchain.demo.scenario import (
    FASHION_MIN_SCORE_BPS,
    FASHION_PRETRAIN,
    FASHION_SPEC,
    SPEC,
    TASKS,
    Demo,
    DemoConfig,
)
from offchain.eth.build import PROJECT_ROOT

DEFAULT_OUT = PROJECT_ROOT / "reports" / "demo"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run the full demo on an embedded local chain")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder (recreated)")
    parser.add_argument("--task", choices=sorted(TASKS), default="fashion", help="the transfer task (default fashion)")
    parser.add_argument("--epochs", type=int, default=None, help="fine-tuning epochs in the job spec")
    parser.add_argument(
        "--base-cache",
        type=Path,
        default=PROJECT_ROOT / "runs" / "cache",
        help="where pretrained bases are kept, keyed by recipe and data (default runs/cache)",
    )
    parser.add_argument("--explore", action="store_true", help="keep serving the explorer until Ctrl-C")
    parser.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from offchain.eth.localchain import local_chain
    from offchain.explorer.showcase import show_explorer

    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    say = Narrator()
    say("starting a local chain (anvil, one block a second)")
    if args.task == "fashion":
        spec = dict(FASHION_SPEC, epochs=args.epochs or FASHION_SPEC["epochs"])
        config = DemoConfig(
            spec=spec,
            pretrain=dict(FASHION_PRETRAIN),
            min_score_bps=FASHION_MIN_SCORE_BPS,
            task="fashion",
            base_cache=args.base_cache,
        )
    else:
        config = DemoConfig(spec=dict(SPEC, epochs=args.epochs or SPEC["epochs"]), base_cache=args.base_cache)
    with local_chain(block_time=1, log_file=out / "anvil.log") as chain:
        demo = Demo(chain, out, say, config)
        try:
            demo.run()
            show_explorer(chain.url, demo.deployment, demo.job_id, demo.winner_hash, out, say, keep=args.explore)
        finally:
            demo.stop_roles()
    say(f"done in {say.elapsed():.0f} s; report: {out / 'summary.md'}")
    return 0
