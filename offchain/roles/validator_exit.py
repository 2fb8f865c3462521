"""`offchain validator exit` and `offchain validator status`.

`exit` leaves the validator set and takes the bond back, in the two steps the contract
requires. Run it once to request the exit (attesting stops); run it again after the
unbonding delay to withdraw the bond. It says which step it took, and when the next one is due.

`top-up AMOUNT` adds to the bond: a validator slashed below the minimum is drawn again once
its bond reaches it.

`status` says where one validator stands: its bond against the minimum (and so whether it
is drawn), what it earned and lost to slashes, what it can withdraw, when an exit unlocks,
and the jobs whose committees it sits on that are not settled yet.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from offchain.errors import OffchainError
from offchain.eth.confirm import add_spend_args, confirm_spend
from offchain.eth.values import format_eth, parse_amount
from offchain.roles.humantime import iso, relative
from offchain.roles.session import Session, add_session_args, open_session


def add_exit_command(parser: argparse.ArgumentParser) -> None:
    """`exit` as a subcommand of `offchain validator` (which alone runs the daemon)."""
    commands = parser.add_subparsers(dest="validator_command", metavar="COMMAND")
    exit_ = commands.add_parser("exit", help="request the exit, then (after the unbonding delay) withdraw the bond")
    add_session_args(exit_)
    exit_.set_defaults(func=cmd_exit)
    top_up = commands.add_parser("top-up", help="add to the bond (drawn again once it reaches the minimum)")
    add_session_args(top_up)
    top_up.add_argument("amount", help="amount to add, e.g. 0.1ether")
    add_spend_args(top_up)
    top_up.set_defaults(func=cmd_top_up)
    status = commands.add_parser("status", help="bond, eligibility, pay, slashes, unlock time, seats in flight")
    add_session_args(status)
    status.add_argument("--json", action="store_true", help="machine-readable output (amounts in wei)")
    status.set_defaults(func=cmd_status)


STATUS_JOBS = 500  # the newest jobs searched for seats still in flight


def validator_status(session: Session) -> dict[str, Any]:
    """Plain data (amounts in wei) on the session's account as a validator."""
    from offchain.eth.market import Phase

    market, me = session.market, session.client.address
    info, minimum = market.validator(me), market.min_bond()
    mine = market.settled_of(me)
    count = market.job_count()
    in_flight = [
        job_id
        for job_id in range(max(1, count - STATUS_JOBS + 1), count + 1)
        if market.phase(job_id) not in (Phase.FINALIZED, Phase.CANCELLED) and me in market.committee(job_id)
    ]
    return {
        "address": me,
        "member": info.member,
        "bond": info.bond,
        "min_bond": minimum,
        "drawn": info.member and info.unlocks_at == 0 and info.bond >= minimum,
        "earned": sum(e.paid for e in mine),  # the chain's `earned` is only what is not yet withdrawn
        "slashed": sum(e.slashed for e in mine),
        "slashes": [{"job": e.job_id, "seat": e.seat, "slashed": e.slashed} for e in mine if e.slashed],
        "withdrawable": market.pending(me),
        "unlocks_at": info.unlocks_at or None,
        "seats_in_flight": in_flight,
    }


def format_status(status: dict[str, Any], now: int) -> str:
    if not status["member"]:
        return f"{status['address']} is not a validator (bond with `offchain validator --bond 1ether`)"
    short = status["min_bond"] - status["bond"]
    drawn = "drawn for new jobs" if status["drawn"] else "NOT drawn for new jobs"
    why = ""
    if not status["drawn"]:
        top_up = f"offchain validator top-up {_ether_at_least(short)}"
        why = " (exiting)" if status["unlocks_at"] else f" (bond below the minimum: `{top_up}`)"
    lines = [
        f"validator {status['address']}: {drawn}{why}",
        f"  bond {format_eth(status['bond'])} (minimum {format_eth(status['min_bond'])})",
        f"  earned {format_eth(status['earned'])}, slashed {format_eth(status['slashed'])} over "
        f"{len(status['slashes'])} seat(s), withdrawable now {format_eth(status['withdrawable'])}",
    ]
    if status["unlocks_at"]:
        lines.append(f"  exiting: the bond unlocks {relative(status['unlocks_at'], now)} ({iso(status['unlocks_at'])})")
    seats = status["seats_in_flight"]
    lines.append(
        f"  seated on unsettled jobs: {', '.join(map(str, seats))}" if seats else "  no seat on an unsettled job"
    )
    return "\n".join(lines)


def _ether_at_least(wei: int) -> str:
    """`wei` as an amount argument in ether, rounded up to the microether (never short)."""
    micro = -(-wei // 10**12)
    return f"{micro // 10**6}.{micro % 10**6:06d}".rstrip("0").rstrip(".") + "ether"


def cmd_status(args: argparse.Namespace) -> int:
    session = open_session(args)
    status = validator_status(session)
    print(json.dumps(status, indent=2) if args.json else format_status(status, session.chain_time()))
    return 0


def cmd_exit(args: argparse.Namespace) -> int:
    session = open_session(args)
    market, me = session.market, session.client.address
    info = market.validator(me)
    if not info.member:
        raise OffchainError(f"{me} is not a validator (nothing to exit)")
    now = session.chain_time()
    if info.unlocks_at == 0:
        market.request_exit()
        unlocks = market.validator(me).unlocks_at
        print(
            f"exit requested: {me} attests no more; the bond of {format_eth(info.bond)} unlocks "
            f"{relative(unlocks, now)} ({iso(unlocks)}): run `offchain validator exit` again then"
        )
        return 0
    unlocks = info.unlocks_at
    if now < unlocks:
        print(f"still unbonding: the bond unlocks {relative(unlocks, now)} ({iso(unlocks)})")
        return 0
    market.withdraw_bond()
    print(f"withdrew the bond of {format_eth(info.bond)} to {me}; {me} is no longer a validator")
    return 0


def cmd_top_up(args: argparse.Namespace) -> int:
    session = open_session(args)
    market, me = session.market, session.client.address
    amount, info = parse_amount(args.amount), market.validator(me)
    if amount <= 0:
        raise OffchainError("the amount to add must be positive, e.g. 0.1ether")
    if not info.member:
        raise OffchainError(f"{me} is not a validator: join with `offchain validator --bond 1ether`")
    if info.unlocks_at:
        raise OffchainError(f"{me} has requested its exit: a top-up would only be locked with the bond")
    bond, minimum = info.bond + amount, market.min_bond()
    if not confirm_spend(args, f"add {format_eth(amount)} to the bond of {me} (to {format_eth(bond)})"):
        return 0 if args.dry_run else 1
    market.top_up_bond(amount)
    drawn = "drawn for new jobs" if bond >= minimum else f"still below the minimum of {format_eth(minimum)}"
    print(f"bond of {me} is now {format_eth(market.validator(me).bond)}: {drawn}")
    return 0
