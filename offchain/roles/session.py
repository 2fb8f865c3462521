"""What every role opens first: a chain connection, the deployed contracts, and the
artifact sources, built from the shared command-line options."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from offchain.artifacts.client import DEFAULT_LIMITS, FetchLimits, fetch
from offchain.artifacts.options import add_source_arg
from offchain.artifacts.store import ArtifactStore
from offchain.eth.client import KEY_ENV, Client, connect
from offchain.eth.deployments import Deployment, open_deployment
from offchain.eth.index_middleware import open_index
from offchain.eth.market import MarketClient
from offchain.eth.options import account_from_args, add_connection_args, add_index_arg, add_key_args, rpc_from_args
from offchain.eth.polling import with_retries
from offchain.eth.registry import RegistryClient

DEFAULT_HOME = Path.home() / ".offchain"


def add_session_args(parser: argparse.ArgumentParser) -> None:
    """--rpc, --deployments, --index, key options, --home and --source."""
    add_connection_args(parser)
    add_index_arg(parser)
    add_key_args(parser)
    parser.add_argument("--home", type=Path, default=DEFAULT_HOME, help="state and cache folder (default ~/.offchain)")
    add_source_arg(parser)


def add_daemon_args(parser: argparse.ArgumentParser, once_help: str) -> None:
    """What every role daemon takes: --confirmations, --poll, --once and --json."""
    parser.add_argument(
        "--confirmations",
        type=int,
        default=None,
        help="blocks before an event is trusted (default 0 on a local dev chain, else 1)",
    )
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between polls")
    parser.add_argument("--once", action="store_true", help=once_help)
    parser.add_argument("--json", action="store_true", help="JSON log lines")


@dataclass
class Session:
    client: Client
    deployment: Deployment
    market: MarketClient
    registry: RegistryClient
    home: Path
    sources: list[str] = field(default_factory=list)

    @property
    def cache(self) -> ArtifactStore:
        return ArtifactStore(self.home / "artifacts")

    def fetch(self, digest: bytes, uri: str | None = None, limits: FetchLimits = DEFAULT_LIMITS) -> Path:
        """A verified local copy of the artifact whose SHA-256 is `digest` (from `uri`, else the
        sources), within `limits`."""
        return fetch(uri or f"sha256:{digest.hex()}", digest.hex(), self.cache, self.sources, limits)

    def chain_time(self) -> int:
        """The latest block's timestamp: phases follow the chain's clock, not ours."""
        return int(with_retries(lambda: self.client.w3.eth.get_block("latest")["timestamp"], "read the chain time"))

    def head(self) -> int:
        return int(with_retries(lambda: self.client.w3.eth.block_number, "read the head block"))


def open_session(args: argparse.Namespace) -> Session:
    client = connect(rpc_from_args(args))
    if args.index:  # the history from the index, the unconfirmed tail from the node
        open_index(client.w3, args.index)
    account = account_from_args(args, client.chain_id)
    if account is not None:
        client = client.with_account(account)
    return session_of(client, Path(args.deployments) if args.deployments else None, Path(args.home), args.source)


def note_unlocked_sender(session: Session) -> None:
    """A daemon that signs with the node's unlocked account says so once at start: on a dev
    chain account 0 is often another role's (the README's requester)."""
    if session.client.account is None:
        print(
            f"offchain: note: no key given (--dev-account, --keystore or ${KEY_ENV}): acting as the "
            f"node's first unlocked account {session.client.address}",
            file=sys.stderr,
        )


def session_of(client: Client, deployments: Path | None, home: Path, sources: Sequence[str]) -> Session:
    """The contracts deployed on `client`'s chain (from `deployments`, default the project's),
    bound to `client`, with the role's `home` and artifact `sources`."""
    deployment = open_deployment(client, deployments)
    return Session(
        client=client,
        deployment=deployment,
        market=MarketClient.of(client, deployment),
        registry=RegistryClient(client, deployment.contract("ModelRegistry").address),
        home=home,
        sources=list(sources),
    )
