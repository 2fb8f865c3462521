"""An in-process EVM with the project's contracts deployed through offchain.eth, and a throwaway
PostgreSQL server for the event index."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from offchain.eth.client import Client, in_process
from offchain.eth.deploy import deploy_all
from offchain.eth.deployments import Deployment
from offchain.ports import free_port


@pytest.fixture
def client() -> Client:
    return in_process()


@pytest.fixture
def deployment(client: Client, tmp_path: Path) -> Deployment:
    return deploy_all(client, tmp_path, ledger_chain=None)  # no LedgerRelay: py-evm takes ~1 s to deploy one


# ----- a throwaway PostgreSQL server (Debian's `postgresql`, installed by `make postgres`) -----
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))


def _as_postgres(*argv: str) -> list[str]:
    """The server refuses to run as root: as root, run it as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else list(argv)


def _run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stdout}{done.stderr}")


@dataclass
class PostgresServer:
    url: str  # its admin database
    pg_ctl: list[str]  # pg_ctl for its data folder, run as the postgres user

    def restart(self) -> None:
        """Stop the server (closing every connection) and start it again."""
        _run(*self.pg_ctl, "-m", "fast", "-w", "restart")


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PostgresServer]:
    """A fresh cluster on a free port, its socket and data in a temporary folder, stopped (and
    the folder removed) when the module's tests end, failed or not."""
    assert PG_BIN, "no PostgreSQL server in /usr/lib/postgresql: `make postgres` installs Debian's"
    bin_dir = PG_BIN[-1]
    folder = Path(tempfile.mkdtemp(prefix="offchain-pg-"))  # not under pytest's root-only tmp
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = folder / "data", free_port()
    # Loopback TCP on a free port, the unix socket in the folder; fsync off: nothing here outlives the module.
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = _as_postgres(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-o", options)
    try:
        initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"]
        _run(*_as_postgres(*initdb))
        _run(*pg_ctl, "-w", "start")
        yield PostgresServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", pg_ctl)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*pg_ctl, "-m", "immediate", "-w", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> str:
    """The URL of a new, empty database on the module's server (one per test, as a file is)."""
    import psycopg

    name = f"index_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
