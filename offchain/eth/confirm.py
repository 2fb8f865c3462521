"""One question before a command spends money, when a person is there to answer it.

`--yes` answers it in advance; `--dry-run` makes every check, says what would be sent and
sends nothing. Without a terminal on standard input (a script, a daemon, a test) nothing is
asked: those callers chose the command and its flags already.
"""

from __future__ import annotations

import argparse
import sys


def add_spend_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--yes", action="store_true", help="do not ask before spending (asked only at a terminal)")
    parser.add_argument("--dry-run", action="store_true", help="check everything, say what would be sent, send nothing")


def confirm_spend(args: argparse.Namespace, what: str) -> bool:
    """True when `what` (e.g. "post job ... with 1 ETH in escrow") may go ahead."""
    if args.dry_run:
        print(f"dry run: would {what}; nothing sent")
        return False
    if args.yes or not sys.stdin.isatty():
        return True
    try:
        answer = input(f"{what[0].upper()}{what[1:]}? [y/N] ")
    except EOFError:
        answer = ""
    if answer.strip().lower() in ("y", "yes"):
        return True
    print("nothing sent")
    return False
