"""The `offchain` command line.

    offchain registry show HASH            # a model record (--json for machines)
    offchain ledger init && offchain ledger mine --blocks 50
    offchain train --dataset digits ...     # see `offchain COMMAND --help`

Each command group lives in its own module with a `register(subparsers)` function. Only
the module of the command being run is imported: `offchain --help`, `offchain --version`
and a mistyped command never import web3, torch or the in-process EVM (a test pins the
import set), so they answer at once.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from offchain import __version__
from offchain.errors import OffchainError
from offchain.ledger.errors import LedgerError

# Every top-level command: the module whose register(subparsers) adds it, and its one-line
# help for `offchain --help`. A test checks each module registers exactly these names with
# these help lines, so the table cannot drift from the modules.
COMMANDS: dict[str, tuple[str, str]] = {
    "accounts": ("offchain.eth.accounts_cli", "create, import and list keystore accounts; show balances"),
    "chain": ("offchain.eth.chain_cli", "move a local dev chain's clock and mine blocks"),
    "networks": ("offchain.eth.networks_cli", "the named networks --network NAME can use"),
    "registry": ("offchain.eth.cli", "model registry records and lineage"),
    "artifacts": ("offchain.artifacts.cli", "content-addressed artifact store and server"),
    "ledger": ("offchain.ledger.cli", "the bundled proof-of-work ledger"),
    "train": ("offchain.ml.cli", "fine-tune a model and write its folder"),
    "pretrain": ("offchain.ml.cli", "train a base model on the source task (digits 0-4), offline"),
    "evaluate": ("offchain.ml.cli", "score a model folder on a data set"),
    "fingerprint": ("offchain.ml.cli", "the canonical hash of a model's tensors (not of the file)"),
    "dataset": ("offchain.ml.cli", "data set artifacts"),
    "model": ("offchain.roles.models_cli", "fetch a registered model's weights, fingerprint checked"),
    "job": ("offchain.roles.requester", "post, inspect and finalize market jobs"),
    "withdraw": ("offchain.roles.requester", "pull everything the market owes you"),
    "requester": ("offchain.roles.requester_daemon", "open your jobs' evaluation sets in time, finalize, withdraw"),
    "worker": ("offchain.roles.worker", "take jobs, fine-tune, commit, reveal and get paid"),
    "validator": ("offchain.roles.validator", "bond, serve on drawn committees: evaluate, seal, reveal"),
    "relay": ("offchain.roles.relayer", "keep the LedgerRelay contract on the ledger's heaviest chain"),
    "index": ("offchain.eth.index_cli", "follow the market's and the registry's events into an index"),
    "explorer": ("offchain.explorer.cli", "browse jobs, models, accounts and the ledger in a web page"),
    "demo": ("offchain.demo.cli", "run the full demo on an embedded local chain"),
}

# The modules that add command groups, each once (what the table test imports).
COMMAND_MODULES = tuple(dict.fromkeys(module for module, _ in COMMANDS.values()))


def _chosen_command(argv: Sequence[str]) -> str | None:
    """The command named on the command line (the first word that is not an option)."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full parser of `command`'s module; every other command is a stub that only
    carries its help line (enough for `offchain --help` and for choosing a command)."""
    parser = argparse.ArgumentParser(prog="offchain", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"offchain {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    if command is not None:
        importlib.import_module(COMMANDS[command][0]).register(subparsers)
    for name, (_module, help_text) in COMMANDS.items():
        if name not in subparsers.choices:
            subparsers.add_parser(name, help=help_text, add_help=False)
    return parser


# The ledger has its own exception root because it imports nothing else of offchain.
USER_ERRORS = (OffchainError, LedgerError)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = build_parser(_chosen_command(argv)).parse_args(argv)
        try:
            result = args.func(args)
        except USER_ERRORS as exc:
            print(f"offchain: error: {exc}", file=sys.stderr)
            return 2
        except Exception as exc:  # a library's failure a user can fix: one line, no traceback
            message = _known_failure(exc)
            if message is None:
                raise
            print(f"offchain: error: {message}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("offchain: interrupted", file=sys.stderr)
            return 130
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
    except BrokenPipeError:
        # `offchain ... | head`: the reader left. Point stdout at /dev/null so the
        # interpreter's final flush does not fail again, and exit as SIGPIPE would.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    return int(result or 0)


def _known_failure(exc: Exception) -> str | None:
    """One line for a web3 failure the user can act on (no funds, a stale deployment...)."""
    if "web3" not in sys.modules:  # nothing web3 raised can be in flight
        return None
    from offchain.eth.failures import describe

    return describe(exc)


if __name__ == "__main__":
    sys.exit(main())
