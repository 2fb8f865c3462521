"""`offchain chain ...`: move a local dev chain (anvil, brownie's development network).

    offchain chain warp 3600      # the next block is an hour later: deadlines pass
    offchain chain warp --to 1 revealing   # to the moment job 1's commits close
    offchain chain warp --to 1 attesting --wait   # once the reveal window's work is in
    offchain chain mine 5         # mine five blocks now

Both refuse any chain but the local ones (ids 1337 and 31337): time on a real network
cannot be moved, and trying would only confuse.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

MAX_WARP_S = 10 * 365 * 24 * 3600  # ten years: enough for any deadline, small enough to be sane
MAX_BLOCKS = 10_000
WAIT_TIMEOUT_S = 600  # --wait's default: a worker's training included
WAIT_POLL_S = 0.5
# A job's phases that a deadline opens, and which deadline (offchain.eth.market.Job's fields).
PHASE_STARTS = {
    "revealing": "commit_deadline",
    "attesting": "reveal_deadline",
    "settling": "attest_deadline",
    "finalizable": "settle_deadline",
}


def register(subparsers: Any) -> None:
    from offchain.eth.options import add_connection_args

    parser = subparsers.add_parser(
        "chain", help="move a local dev chain's clock and mine blocks", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="chain_command", metavar="COMMAND", required=True)

    warp = commands.add_parser("warp", help="move the chain's clock forward and mine a block at the new time")
    warp.add_argument("seconds", type=int, nargs="?", help=f"seconds to move forward (1..{MAX_WARP_S})")
    warp.add_argument(
        "--to",
        nargs=2,
        metavar=("JOB", "PHASE"),
        default=None,
        help=f"instead: to the first second of a job's phase ({', '.join(PHASE_STARTS)}), and not past it",
    )
    warp.add_argument(
        "--wait",
        action="store_true",
        help="with --to: first wait until the work of the job's current window is on chain (commits: one)",
    )
    warp.add_argument(
        "--timeout", type=float, default=WAIT_TIMEOUT_S, help=f"seconds --wait waits (default {WAIT_TIMEOUT_S})"
    )
    warp.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(warp)
    warp.set_defaults(func=cmd_warp)

    mine = commands.add_parser("mine", help="mine blocks now")
    mine.add_argument("blocks", type=int, nargs="?", default=1, help=f"how many (1..{MAX_BLOCKS}, default 1)")
    mine.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(mine)
    mine.set_defaults(func=cmd_mine)


def _local_client(args: argparse.Namespace) -> Any:
    from offchain.eth.client import connect
    from offchain.eth.errors import InvalidInputError
    from offchain.eth.keys import LOCAL_CHAIN_IDS
    from offchain.eth.options import rpc_from_args

    client = connect(rpc_from_args(args))
    if client.chain_id not in LOCAL_CHAIN_IDS:
        raise InvalidInputError(
            f"chain {client.chain_id} is not a local dev chain (ids {LOCAL_CHAIN_IDS}): its clock cannot be moved"
        )
    return client


def _rpc(client: Any, method: str, params: list[Any]) -> None:
    from offchain.eth.errors import EthError

    answer = client.w3.provider.make_request(method, params)
    if isinstance(answer, dict) and answer.get("error"):
        error = answer["error"]
        raise EthError(
            f"the node refused {method}: {error.get('message', error) if isinstance(error, dict) else error}"
        )


def _head(client: Any) -> dict[str, int]:
    block = client.w3.eth.get_block("latest")
    return {"block": int(block["number"]), "timestamp": int(block["timestamp"])}


def _report(args: argparse.Namespace, head: dict[str, int], verb: str) -> None:
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(head["timestamp"], UTC).isoformat()
    print(json.dumps({**head, "time": when}) if args.json else f"{verb}: block {head['block']} at {when}")


def cmd_warp(args: argparse.Namespace) -> int:
    from offchain.eth.errors import InvalidInputError

    if (args.seconds is None) == (args.to is None):
        raise InvalidInputError("give either SECONDS or --to JOB PHASE")
    if args.wait and args.to is None:
        raise InvalidInputError("--wait goes with --to JOB PHASE")
    if args.to is not None:
        return _warp_to_phase(args, *args.to)
    if not 1 <= args.seconds <= MAX_WARP_S:
        raise InvalidInputError(f"seconds must be 1..{MAX_WARP_S}, got {args.seconds}")
    client = _local_client(args)
    _rpc(client, "evm_increaseTime", [args.seconds])
    _rpc(client, "evm_mine", [])
    _report(args, _head(client), f"moved {args.seconds} s forward")
    return 0


def _warp_to_phase(args: argparse.Namespace, job: str, phase: str) -> int:
    """Mine a block at the deadline that opens `phase`: the windows before it are over and
    the one it opens is whole, unlike a fixed number of seconds that can skip a window."""
    from pathlib import Path

    from offchain.eth.deployments import open_deployment
    from offchain.eth.errors import InvalidInputError
    from offchain.eth.market import MarketClient

    if phase not in PHASE_STARTS:
        raise InvalidInputError(f"unknown phase {phase!r}; choose from: {', '.join(PHASE_STARTS)}")
    if not job.isdigit():
        raise InvalidInputError(f"JOB must be a job id, got {job!r}")
    client = _local_client(args)
    deployment = open_deployment(client, Path(args.deployments) if args.deployments else None)
    market = MarketClient.of(client, deployment)
    count = market.job_count()
    if not 1 <= int(job) <= count:
        raise InvalidInputError(f"no job {job} on this market (job ids are 1 to {count})")
    target = _phase_start(market, int(job), phase)
    now = _head(client)["timestamp"]
    if now >= target:
        raise InvalidInputError(f"job {job} is already {now - target} s past the start of {phase}")
    if args.wait:
        _wait_for_window(market, int(job), args.timeout, quiet=args.json)
        target = _phase_start(market, int(job), phase)  # an appeal filed meanwhile moves finalizable
    _rpc(client, "evm_setNextBlockTimestamp", [target])
    _rpc(client, "evm_mine", [])
    _report(args, _head(client), f"job {job} is {phase}")
    return 0


def _phase_start(market: Any, job_id: int, phase: str) -> int:
    """The first second of the job's `phase`: the deadline that opens it, or for finalizable
    the end of an appeal's vote when one is filed (offchain.eth.windows.finalizable_at)."""
    from offchain.eth.windows import finalizable_at

    if phase == "finalizable":
        return finalizable_at(market, job_id)
    return int(getattr(market.job(job_id), PHASE_STARTS[phase]))


def _wait_for_window(market: Any, job_id: int, timeout: float, quiet: bool) -> None:
    """Return once nothing is outstanding in the job's current window (offchain.eth.windows)."""
    import time

    from offchain.eth.errors import EthError
    from offchain.eth.windows import outstanding

    deadline, said = time.monotonic() + timeout, None
    while (what := outstanding(market, job_id)) is not None:
        if time.monotonic() > deadline:
            raise EthError(f"job {job_id} still waits for {what} after {timeout:g} s: warp without --wait to move on")
        if what != said and not quiet:
            print(f"job {job_id}: waiting for {what}", flush=True)
            said = what
        time.sleep(WAIT_POLL_S)


def cmd_mine(args: argparse.Namespace) -> int:
    from offchain.eth.errors import InvalidInputError

    if not 1 <= args.blocks <= MAX_BLOCKS:
        raise InvalidInputError(f"blocks must be 1..{MAX_BLOCKS}, got {args.blocks}")
    client = _local_client(args)
    for _ in range(args.blocks):  # evm_mine: anvil, hardhat and ganache all answer it
        _rpc(client, "evm_mine", [])
    _report(args, _head(client), f"mined {args.blocks} block{'s' if args.blocks != 1 else ''}")
    return 0
