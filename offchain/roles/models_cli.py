"""`offchain model get HASH`: a registered model's weights, fetched through the URI its
registry record names and checked against its tensor fingerprint (the registered hash).

    offchain model get 0x<model hash> --out base.safetensors --source http://127.0.0.1:8600
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

from offchain.errors import OffchainError

DEFAULT_HOME = Path.home() / ".offchain"


class ModelMismatchError(OffchainError):
    """Fetched weights whose tensors do not hash to the registered model hash."""


def register(subparsers: Any) -> None:
    from offchain.artifacts.options import add_source_arg
    from offchain.eth.options import add_connection_args

    parser = subparsers.add_parser("model", help="fetch a registered model's weights, fingerprint checked")
    commands = parser.add_subparsers(dest="model_command", metavar="COMMAND", required=True)
    get = commands.add_parser("get", help="download a model through its registry URI and verify its fingerprint")
    get.add_argument("model_hash", help="the registered model hash (its tensor fingerprint)")
    get.add_argument("--out", type=Path, default=None, help="file to write (default <hash>.safetensors)")
    add_source_arg(get)
    get.add_argument("--home", type=Path, default=DEFAULT_HOME, help="cache folder (default ~/.offchain)")
    get.add_argument("--json", action="store_true", help="machine-readable output")
    add_connection_args(get)
    get.set_defaults(func=cmd_get)


def fetch_registered_model(record_uri: str, model_hash: bytes, cache_dir: Path, sources: list[str], dest: Path) -> Path:
    """Download the weights at `record_uri` to `dest` (a .safetensors name, so only
    safetensors is parsed) and check their fingerprint; a mismatch leaves no file."""
    from offchain.artifacts.client import download
    from offchain.artifacts.store import ArtifactStore
    from offchain.ml.fingerprint import fingerprint_file

    cached = download(record_uri, ArtifactStore(cache_dir), sources)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part.safetensors")
    shutil.copyfile(cached, tmp)
    try:
        actual = fingerprint_file(tmp)
    except Exception as exc:  # safetensors raises its own errors for a file that is not one
        tmp.unlink(missing_ok=True)
        raise ModelMismatchError(f"{record_uri} is not a safetensors weights file: {exc}") from None
    if actual != model_hash:
        tmp.unlink(missing_ok=True)
        raise ModelMismatchError(
            f"{record_uri}: the tensors' fingerprint is 0x{actual.hex()}, the registry says 0x{model_hash.hex()}"
        )
    tmp.replace(dest)
    return dest


def cmd_get(args: argparse.Namespace) -> int:
    from offchain.eth.cli import open_registry
    from offchain.eth.values import parse_hash32

    model_hash = parse_hash32(args.model_hash, "model hash")
    record = open_registry(args).record(model_hash)
    out = args.out or Path(f"{model_hash.hex()}.safetensors")
    fetch_registered_model(record.uri, model_hash, Path(args.home) / "artifacts", list(args.source), out)
    if args.json:
        print(json.dumps({"model_hash": record.model_hash, "uri": record.uri, "out": str(out)}))
    else:
        print(f"{out} (model {record.model_hash}, fingerprint verified, from {record.uri})")
    return 0
