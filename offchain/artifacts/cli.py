"""`offchain artifacts ...`: put, get and serve content-addressed artifacts."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from offchain.artifacts.options import add_source_arg

DEFAULT_DIR = Path.home() / ".offchain" / "artifacts"


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("artifacts", help="content-addressed artifact store and server")
    commands = parser.add_subparsers(dest="artifacts_command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="serve a store folder over HTTP")
    serve.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"store folder to serve (default {DEFAULT_DIR})")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)"
    )
    serve.add_argument("--port", type=int, default=8600, help="port (default 8600; 0: any free port)")
    serve.set_defaults(func=cmd_serve)

    put = commands.add_parser("put", help="add a file to a store folder (or --server) and print its hash")
    put.add_argument("file", type=Path, help="the file to store (its SHA-256 names it)")
    put.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"store folder (default {DEFAULT_DIR})")
    put.add_argument("--server", default=None, help="upload to this artifact server instead")
    put.set_defaults(func=cmd_put)

    get = commands.add_parser("get", help="fetch a URI, verify its hash, copy it to --out")
    get.add_argument("uri", help="path, http(s) URL or sha256:<hex>")
    get.add_argument(
        "--sha256", default=None, help="expected SHA-256 of the content (needed unless the URI names it: sha256:<hex>)"
    )
    get.add_argument("--out", type=Path, required=True, help="where to write the verified copy")
    get.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="local cache / store")
    add_source_arg(get)
    get.set_defaults(func=cmd_get)


def cmd_serve(args: argparse.Namespace) -> int:
    from offchain.artifacts.errors import ArtifactError
    from offchain.artifacts.server import ArtifactServer
    from offchain.artifacts.store import ArtifactStore

    try:
        server = ArtifactServer(ArtifactStore(args.dir), args.host, args.port)
    except OSError as exc:  # EADDRINUSE, EACCES below 1024, an unknown host
        raise ArtifactError(f"cannot listen on {args.host} port {args.port}: {exc.strerror or exc}") from None
    print(f"serving {args.dir} at {server.url}/sha256/<hash> (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


def cmd_put(args: argparse.Namespace) -> int:
    from offchain.artifacts.client import upload
    from offchain.artifacts.errors import ArtifactNotFoundError
    from offchain.artifacts.store import ArtifactStore

    if not args.file.is_file():
        raise ArtifactNotFoundError(f"no file at {args.file}")
    digest = upload(args.server, args.file) if args.server else ArtifactStore(args.dir).put_file(args.file)
    print(f"sha256:{digest}")
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    from offchain.artifacts.client import fetch, named_sha256
    from offchain.artifacts.errors import ArtifactError, InvalidURIError
    from offchain.artifacts.store import ArtifactStore

    expected = args.sha256 or named_sha256(args.uri)
    if expected is None:
        raise InvalidURIError(f"{args.uri} does not name its hash: give --sha256 <hex>")
    path = fetch(args.uri, expected, ArtifactStore(args.dir), args.source)
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, args.out)
    except OSError as exc:
        raise ArtifactError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"{args.out} (sha256 verified)")
    return 0
