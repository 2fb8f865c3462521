"""`offchain job ...` and `offchain withdraw`: what a requester does.

    offchain job post --base 0x<model hash> --train train.npz --eval eval.npz --spec spec.json \\
        --reward 1ether --min-score-bps 8000 --min-stake 0.1ether --publish http://127.0.0.1:8600
    offchain job status [ID] [--json]
    offchain job finalize ID
    offchain withdraw
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from offchain.errors import OffchainError
from offchain.eth.errors import InvalidInputError
from offchain.eth.values import hash_hex, parse_hash32, validate_bps
from offchain.roles.session import Session, add_session_args, open_session
from offchain.roles.spec import load_spec
from offchain.roles.steps import withdraw_pending

UNITS = {"wei": 1, "gwei": 10**9, "ether": 10**18, "eth": 10**18}


def parse_amount(text: str) -> int:
    """Wei from `123`, `1.5ether`, `20 gwei`; raises InvalidInputError."""
    from decimal import Decimal, InvalidOperation

    cleaned = text.strip().lower().replace(" ", "")
    unit = next((u for u in sorted(UNITS, key=len, reverse=True) if cleaned.endswith(u)), "wei")
    number = cleaned.removesuffix(unit) if cleaned.endswith(unit) else cleaned
    try:
        value = Decimal(number) * UNITS[unit]
    except InvalidOperation:
        raise InvalidInputError(f"not an amount: {text!r} (examples: 1000, 1.5ether, 20gwei)") from None
    if value < 0 or value != value.to_integral_value():
        raise InvalidInputError(f"amount must be a whole, non-negative number of wei: {text!r}")
    return int(value)


def publish_artifact(session: Session, path: Path, server: str | None) -> str:
    """Put a file in the local store (and on `server`); return its hex SHA-256."""
    from offchain.artifacts.client import upload

    if not path.is_file():
        raise OffchainError(f"no file at {path}")
    digest = session.cache.put_file(path)
    if server:
        upload(server, path)
    return digest


def cmd_post(args: argparse.Namespace) -> int:
    session = open_session(args)
    validate_bps(args.min_score_bps, "minimum score")
    load_spec(args.spec)  # a malformed spec fails here, before any upload or transaction
    base = parse_hash32(args.base, "base model hash")
    train, evaluation, spec = (publish_artifact(session, p, args.publish) for p in (args.train, args.eval, args.spec))
    now = session.chain_time()
    commit = now + args.commit_window
    reveal = commit + args.reveal_window
    attest = reveal + args.attest_window
    job_id = session.market.post_job(
        base_model=base,
        training_set=bytes.fromhex(train),
        evaluation_set=bytes.fromhex(evaluation),
        spec=bytes.fromhex(spec),
        min_score_bps=args.min_score_bps,
        commit_deadline=commit,
        reveal_deadline=reveal,
        attest_deadline=attest,
        min_stake=parse_amount(args.min_stake),
        reward=parse_amount(args.reward),
    )
    if args.json:
        print(json.dumps({"job_id": job_id, "training_set": train, "evaluation_set": evaluation, "spec": spec}))
    else:
        print(f"posted job {job_id}")
        print(f"training set sha256:{train}\nevaluation set sha256:{evaluation}\nspec sha256:{spec}")
        print(f"commits until {commit}, reveals until {reveal}, attestations until {attest} (chain time)")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    session = open_session(args)
    market = session.market
    ids = [args.job_id] if args.job_id is not None else list(range(market.job_count()))
    report = [job_report(session, job_id) for job_id in ids]
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    if not report:
        print("no jobs yet")
    for job in report:
        print(format_job(job))
    return 0


def job_report(session: Session, job_id: int) -> dict[str, Any]:
    market = session.market
    job = market.job(job_id)
    return {
        "job_id": job_id,
        "phase": market.phase(job_id).name.lower(),
        "requester": job.requester,
        "reward": job.reward,
        "min_score_bps": job.min_score_bps,
        "base_model": hash_hex(job.base_model),
        "submissions": [
            {**asdict(sub), "sealed_hash": hash_hex(sub.sealed_hash), "outcome": sub.outcome.name.lower()}
            for sub in market.submissions(job_id)
        ],
    }


def format_job(job: dict[str, Any]) -> str:
    lines = [
        f"job {job['job_id']}  {job['phase']:<12} reward {job['reward'] / 1e18:.4f} ETH  "
        f"min {job['min_score_bps'] / 100:.2f} %  requester {job['requester']}",
    ]
    for sub in job["submissions"]:
        claim = f"{sub['claimed_score_bps'] / 100:6.2f} %" if sub["revealed"] else "   sealed"
        verified = f"{sub['verified_score_bps'] / 100:6.2f} %" if sub["attestation_count"] else "      -"
        lines.append(
            f"  {sub['worker']}  stake {sub['stake'] / 1e18:.4f}  claim {claim}  verified {verified}"
            f"  ({sub['attestation_count']} attestations)  {sub['outcome']}"
        )
    return "\n".join(lines)


def cmd_finalize(args: argparse.Namespace) -> int:
    receipt = open_session(args).market.finalize(args.job_id)
    print(f"finalized job {args.job_id} in block {receipt['blockNumber']} (gas {receipt['gasUsed']})")
    return 0


def cmd_withdraw(args: argparse.Namespace) -> int:
    session = open_session(args)
    pending = withdraw_pending(session)
    if not pending:
        print(f"nothing to withdraw for {session.client.address}")
        return 0
    print(f"withdrew {pending} wei ({pending / 1e18:.6f} ETH) to {session.client.address}")
    return 0


def register(subparsers: Any) -> None:
    job = subparsers.add_parser("job", help="post, inspect and finalize market jobs")
    commands = job.add_subparsers(dest="job_command", metavar="COMMAND", required=True)

    post = commands.add_parser("post", help="upload the artifacts and post a job with an escrowed reward")
    post.add_argument("--base", required=True, help="registered base model hash")
    post.add_argument("--train", type=Path, required=True, help="training set (.npz artifact)")
    post.add_argument("--eval", type=Path, required=True, help="evaluation set (.npz artifact)")
    post.add_argument("--spec", type=Path, required=True, help="training spec (JSON)")
    post.add_argument("--reward", required=True, help="escrowed reward, e.g. 1ether")
    post.add_argument("--min-score-bps", type=int, required=True, help="minimum verified accuracy (bps)")
    post.add_argument("--min-stake", default="0.1ether", help="workers' minimum stake (default 0.1ether)")
    post.add_argument("--commit-window", type=int, default=3600, help="seconds for training and commits")
    post.add_argument("--reveal-window", type=int, default=600, help="seconds for reveals")
    post.add_argument("--attest-window", type=int, default=600, help="seconds for validators")
    post.add_argument("--publish", default=None, help="artifact server to upload the artifacts to")
    post.add_argument("--json", action="store_true")
    add_session_args(post)
    post.set_defaults(func=cmd_post)

    status = commands.add_parser("status", help="jobs, phases, submissions")
    status.add_argument("job_id", nargs="?", type=int, default=None)
    status.add_argument("--json", action="store_true")
    add_session_args(status)
    status.set_defaults(func=cmd_status)

    finalize = commands.add_parser("finalize", help="settle a job after its attest deadline")
    finalize.add_argument("job_id", type=int)
    add_session_args(finalize)
    finalize.set_defaults(func=cmd_finalize)

    withdraw = subparsers.add_parser("withdraw", help="pull everything the market owes you")
    add_session_args(withdraw)
    withdraw.set_defaults(func=cmd_withdraw)
