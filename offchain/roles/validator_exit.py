"""`offchain validator exit`: leave the validator set and take the bond back, in the two
steps the contract requires. Run it once to request the exit (attesting stops); run it
again after the unbonding delay to withdraw the bond. It says which step it took, and when
the next one is due.
"""

from __future__ import annotations

import argparse

from offchain.errors import OffchainError
from offchain.roles.humantime import iso, relative
from offchain.roles.session import add_session_args, open_session


def add_exit_command(parser: argparse.ArgumentParser) -> None:
    """`exit` as a subcommand of `offchain validator` (which alone runs the daemon)."""
    commands = parser.add_subparsers(dest="validator_command", metavar="COMMAND")
    exit_ = commands.add_parser("exit", help="request the exit, then (after the unbonding delay) withdraw the bond")
    add_session_args(exit_)
    exit_.set_defaults(func=cmd_exit)


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
            f"exit requested: {me} attests no more; the bond of {info.bond / 1e18:.4f} ETH unlocks "
            f"{relative(unlocks, now)} ({iso(unlocks)}): run `offchain validator exit` again then"
        )
        return 0
    unlocks = info.unlocks_at
    if now < unlocks:
        print(f"still unbonding: the bond unlocks {relative(unlocks, now)} ({iso(unlocks)})")
        return 0
    market.withdraw_bond()
    print(f"withdrew the bond of {info.bond / 1e18:.4f} ETH to {me}; {me} is no longer a validator")
    return 0
