"""The `offchain` command line.

    offchain registry show HASH            # a model record (--json for machines)
    offchain ledger init && offchain ledger mine --blocks 50
    offchain train --dataset digits ...     # see `offchain COMMAND --help`

Each command group lives in its own module with a `register(subparsers)` function; heavy
imports (torch, web3) happen inside the commands so `offchain --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from offchain.errors import OffchainError
from offchain.ledger.errors import LedgerError

# Modules that add command groups; each defines register(subparsers) -> None and sets
# `func(args) -> int | None` on its parsers.
COMMAND_MODULES = (
    "offchain.eth.cli",
    "offchain.artifacts.cli",
    "offchain.ledger.cli",
    "offchain.ml.cli",
    "offchain.roles.requester",
    "offchain.roles.worker",
    "offchain.roles.validator",
    "offchain.roles.relayer",
    "offchain.demo.cli",
    "offchain.explorer.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="offchain", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


# The ledger has its own exception root because it imports nothing else of offchain.
USER_ERRORS = (OffchainError, LedgerError)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.func(args)
    except USER_ERRORS as exc:
        print(f"offchain: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("offchain: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
