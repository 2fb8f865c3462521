"""The command-line option every command that resolves `sha256:` artifacts takes."""

from __future__ import annotations

import argparse


def add_source_arg(parser: argparse.ArgumentParser) -> None:
    """--source, repeatable: an artifact server URL or a store folder for sha256: URIs."""
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        help="artifact server URL or store folder that resolves sha256: artifacts (repeatable)",
    )
