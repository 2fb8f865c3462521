"""`offchain worker status`: where one worker stands, from its journal and the chain.

Its balance and what it can withdraw, then the newest jobs in its journal: the state of
each, the score it claimed, the outcome once settled, and why a job was skipped.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from offchain.eth.values import format_eth
from offchain.roles.journal import Journal
from offchain.roles.session import Session, add_session_args, open_session

STATUS_JOBS = 50  # journal entries shown, newest


def add_status_command(parser: argparse.ArgumentParser) -> None:
    """`status` as a subcommand of `offchain worker` (which alone runs the daemon)."""
    commands = parser.add_subparsers(dest="worker_command", metavar="COMMAND")
    status = commands.add_parser("status", help="balance, withdrawable pay, and the journal's jobs")
    add_session_args(status)
    status.add_argument("--json", action="store_true", help="machine-readable output (amounts in wei)")
    status.set_defaults(func=cmd_status)


def worker_status(session: Session) -> dict[str, Any]:
    """Plain data (amounts in wei) on the session's account as a worker."""
    me = session.client.address
    journal = Journal(session.home / "worker" / f"{me.lower()}.sqlite", session.client.chain_id, session.market.address)
    try:
        entries = journal.entries(newest=STATUS_JOBS)
    finally:
        journal.close()
    return {
        "address": me,
        "balance": session.client.balance(),
        "withdrawable": session.market.pending(me),
        "jobs": [
            {
                "job": e.job_id,
                "state": e.state.value,
                "claim_bps": e.record.claim_bps,
                "outcome": e.record.outcome,
                "withdrawn": e.record.withdrawn,
                "reason": e.record.reason,
            }
            for e in entries
        ],
    }


def format_status(status: dict[str, Any]) -> str:
    lines = [
        f"worker {status['address']}: balance {format_eth(status['balance'])}, "
        f"withdrawable now {format_eth(status['withdrawable'])}"
    ]
    if not status["jobs"]:
        lines.append("  no job in this worker's journal yet (is --home the daemon's?)")
    for job in status["jobs"]:
        claim = f" claimed {job['claim_bps'] / 100:.2f} %" if job["claim_bps"] is not None else ""
        outcome = f", {job['outcome'].lower()}" if job["outcome"] else ""
        paid = f", withdrew {format_eth(job['withdrawn'])}" if job["withdrawn"] else ""
        reason = f": {job['reason']}" if job["reason"] else ""
        lines.append(f"  job {job['job']}: {job['state']}{claim}{outcome}{paid}{reason}")
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    status = worker_status(open_session(args))
    print(json.dumps(status, indent=2) if args.json else format_status(status))
    return 0
