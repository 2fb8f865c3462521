"""README.md is true: every command in its fenced `sh` blocks runs, in order, against a
local anvil chain, and exits 0; every `python` block runs too.

Data-driven: the blocks are read from README.md at test time, so a new section is tested
the day it is written. The tables below say how (and whether) each command runs:

- Every fence needs a language. `sh` blocks are run, `python` blocks are run with the same
  environment, `text` (and any other language) is prose.
- EXEMPT: commands that cannot run inside a test, each with the reason. To exempt a new
  command, add `(regex, reason)` here; the regex is searched in the command line.
- DAEMONS: long-running commands. They start in the background where the README has them,
  as a user starts each in a terminal of its own; the next command waits until the daemons
  before it are ready (a port that accepts connections, a log line). Each must still be
  alive when the run ends (a daemon that exits early failed).
- The walkthrough of "The roles" must end as a user expects: the worker paid, no honest
  party slashed (test_the_walkthrough_paid_the_worker_and_slashed_nobody).
- PLACEHOLDERS: `<...>` words the README uses, replaced by values from the set-up below.
  A placeholder not in the table fails the test: add it.
- BUDGETS and SMALLER: extra flags and smaller numbers that keep training small; everything
  else runs as written.
- Ports the README names (8545, 8600, 8700, 8701, 8702) become free ports of this test.
- A throwaway PostgreSQL server (tests/offchain/eth/conftest.py) holds the database the
  README's `postgresql://` index lines are pointed at.

The environment is a new user's after `make chain` and a deploy: $OFFCHAIN_RPC names the
chain, $OFFCHAIN_DEPLOYMENTS_DIR the deployment, $HOME is a fresh folder, and the working
directory holds the files the README assumes the user has (GIVEN_FILES).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from tests.offchain.eth.conftest import PostgresServer, postgres_server  # noqa: F401  (the README's PostgreSQL index)

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PASSWORD = "readme test password"
COMMAND_TIMEOUT_S = 120

EXEMPT: list[tuple[str, str]] = [
    (r"^make demo\b", "the whole demo (about 4 min); tests/e2e/test_market_flow.py runs the same market flow"),
    (r"^make test\b", "runs the test suites, this test included"),
    (r"^make chain\b", "this test starts its own anvil on a free port (make chain takes the fixed port 8545)"),
    (r"^brownie run\b", "brownie's development network is the fixed port 8545; the test deploys with offchain.eth"),
    (
        r"^offchain (relay|ledger serve)\b",
        "needs a mining ledger node: tests/e2e/test_relayer.py runs relay deploy, relay and relay status against one",
    ),
    (r"^offchain ledger prove\b", "needs an anchored txid: tests/offchain/relay/test_prove_out.py runs it with --out"),
    (
        r"^offchain (ledger anchor|job post .*--provenance|registry anchor|job status <job id>)",
        "needs a funded ledger, a relayer and a proof file: tests/e2e/test_provenance_cli.py runs each",
    ),
    (
        r"^offchain job post\b.*--sealed",
        "a second job before the walkthrough's: tests/e2e/test_requester_cli.py runs `job post --sealed`, and "
        "tests/e2e/test_market_flow.py runs a sealed job's daemons, each its own process",
    ),
    (
        r"^offchain worker --publish \S+ --max-jobs 1\b",
        "a second worker beside the walkthrough's: tests/e2e/test_market_flow.py runs this command on a sealed job",
    ),
]

DAEMON_READY_S = 30.0


@dataclass(frozen=True)
class Daemon:
    pattern: str
    port_placeholder: str | None = None  # ready when this port accepts connections
    ready_line: str | None = None  # ready once its log has a line matching this


DAEMONS = [
    Daemon(r"^offchain artifacts serve\b", port_placeholder="8600"),
    Daemon(r"^offchain worker\b(?! status)"),  # `worker status` is a one-off command
    # Bonded before the job is posted: the draw counts only validators bonded before commits close.
    Daemon(r"^offchain validator\b(?! (status|exit))", ready_line=r"validator: (already )?bonded"),
    Daemon(r"^offchain requester\b"),
    Daemon(r"^offchain explorer\b", port_placeholder="8700"),
    Daemon(r"^offchain index\b(?!.*--once)"),
]

# Small budgets: (regex searched in the command, flags appended).
BUDGETS: list[tuple[str, str]] = [
    (r"^offchain pretrain\b", "--epochs 1 --per-class 10 --eval-dataset none --quiet"),
    (r"^offchain train\b", "--epochs 1 --eval-dataset none --quiet"),
    (r"^offchain ledger mine\b", "--processes 1"),
    # The walkthrough's job gets 3 epochs from an untrained base (job post checks the base's
    # weights, not its accuracy): a weak model, which a 10 % minimum still lets win (5 balanced
    # classes: even one class for every image verifies 20 %). The flow is under test, not the
    # accuracy, as in test_market_flow.py; argparse keeps the last --min-score-bps.
    (r"^offchain job post\b", "--min-score-bps 1000"),
    # Its measured speed, not timed here: timing the recipe (tests/offchain/roles/test_speed.py)
    # costs seconds of CPU that the job's 3 epochs do not need to fit a one-hour window.
    (r"^offchain worker\b(?! status)", "--images-per-second 50"),
]
SMALLER: list[tuple[str, str]] = [('"epochs": 20', '"epochs": 3')]  # (README text, what the test writes)


@dataclass
class Setup:
    """What the README's placeholders stand for, made by the fixture."""

    workdir: Path
    env: dict[str, str]
    ports: dict[str, str]  # README port -> this test's port
    model_hash: str  # a registered base model
    model_sha256: str  # SHA-256 of model.safetensors (its weights file)
    database: str  # an empty PostgreSQL database for the event index
    daemons: list[subprocess.Popen[str]] = field(default_factory=list)
    starting: list[tuple[Daemon, subprocess.Popen[str], Path]] = field(default_factory=list)  # not yet ready

    def placeholder(self, name: str) -> str:
        fresh = "0x" + secrets.token_hex(32)
        values = {
            "0x<model hash>": self.model_hash,
            "0x<registered model hash>": self.model_hash,
            "0x<hash>": fresh,
            "0x<dataset hash>": fresh,
            "sha256:<hex>": f"sha256:{self.model_sha256}",
            "<hex>": self.model_sha256,
            "<JSON-RPC URL>": self.env["OFFCHAIN_RPC"],  # a public network's endpoint: the test's chain
            "<postgresql URL>": self.database,
        }
        if name not in values:
            raise AssertionError(f"README placeholder {name} has no value: add it to Setup.placeholder")
        return values[name]


# --- reading the README -------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    language: str
    line: int  # first line of the block's body in README.md
    body: str


def readme_blocks(text: str) -> list[Block]:
    blocks, language, start, body = [], None, 0, []  # type: ignore[var-annotated]
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            if language is None:
                language, start, body = line[3:].strip(), number + 1, []
            else:
                blocks.append(Block(language, start, "\n".join(body)))
                language = None
        elif language is not None:
            body.append(line)
    return blocks


def commands(block: Block) -> list[tuple[int, str]]:
    """(README line, command) for each command of a shell block: continuations joined,
    comments dropped."""
    found: list[tuple[int, str]] = []
    pending, first = "", 0
    for offset, line in enumerate(block.body.splitlines()):
        if not pending:
            first = block.line + offset
        stripped = re.sub(r"\s+#\s.*$", "", line).rstrip()
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        command = (pending + stripped).strip()
        pending = ""
        if command and not command.startswith("#"):
            found.append((first, re.sub(r"\s+", " ", command)))
    return found


BLOCKS = readme_blocks(README.read_text())
SHELL_COMMANDS = [(line, cmd) for b in BLOCKS if b.language == "sh" for line, cmd in commands(b)]
PYTHON_BLOCKS = [b for b in BLOCKS if b.language == "python"]


def exemption(command: str) -> str | None:
    for pattern, reason in EXEMPT:
        if re.search(pattern, command):
            return reason
    return None


def daemon_of(command: str) -> Daemon | None:
    return next((d for d in DAEMONS if re.search(d.pattern, command)), None)


def with_placeholders(text: str, setup: Setup) -> str:
    return re.sub(r"(0x|sha256:)?<[^>]+>", lambda m: setup.placeholder(m.group(0)), text)


def prepared(command: str, setup: Setup) -> str:
    for readme_port, port in setup.ports.items():
        command = command.replace(f"127.0.0.1:{readme_port}", f"127.0.0.1:{port}")
        command = re.sub(rf"--port {readme_port}\b", f"--port {port}", command)
    command = with_placeholders(command, setup)
    for text, smaller in SMALLER:
        command = command.replace(text, smaller)
    for pattern, flags in BUDGETS:
        if re.search(pattern, command):
            command = f"{command} {flags}"
    return command


# --- the set-up a new user has after `make chain` and a deploy -------------------------------


def given_files(workdir: Path, model_dir: Path) -> None:
    """Files the README assumes the user already has."""
    shutil.copyfile(model_dir / "model.safetensors", workdir / "model.safetensors")  # weights to share
    shutil.copytree(ROOT / "docs/examples", workdir / "docs/examples")  # the repository's example files


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, postgres_server: PostgresServer) -> Iterator[Setup]:  # noqa: F811
    import psycopg

    from offchain.artifacts.store import ArtifactStore, sha256_file
    from offchain.eth.client import connect
    from offchain.eth.deploy import deploy_all
    from offchain.eth.localchain import start_anvil, stop_process
    from offchain.eth.registry import RegistryClient
    from offchain.ml.fingerprint import fingerprint_dir
    from offchain.ml.models import build_model, save_model
    from offchain.ports import free_port

    tmp = tmp_path_factory.mktemp("readme")
    workdir, home = tmp / "work", tmp / "home"
    workdir.mkdir()
    home.mkdir()
    chain = start_anvil()
    try:
        client = connect(chain.url)
        deployment = deploy_all(client, tmp / "deployments")
        base = tmp / "base"  # an untrained base: `job post` checks its weights, not its accuracy
        save_model(
            build_model("resnet18", 5, "imagenet"),
            base,
            {"architecture": "resnet18", "stem": "imagenet", "classes": ["0", "1", "2", "3", "4"]},
        )
        given_files(workdir, base)
        model_hash = "0x" + fingerprint_dir(base).hex()
        model_sha256 = sha256_file(workdir / "model.safetensors")
        ports = {"8545": str(chain.port), **{p: str(free_port()) for p in ("8600", "8700", "8701", "8702")}}
        with psycopg.connect(postgres_server.url, autocommit=True) as admin:
            admin.execute("CREATE DATABASE readme_index")
        ArtifactStore(workdir / "store").put_file(workdir / "model.safetensors")  # what `serve` serves
        # Registered as README's register commands do it: a sha256: URI, resolved through --source.
        RegistryClient(client, deployment.contract("ModelRegistry").address).register(
            bytes.fromhex(model_hash[2:]), None, bytes(32), 0, f"sha256:{model_sha256}"
        )
        # `offchain` as pip's console script would run it (offchain.cli:main), with this
        # interpreter: the venv's own script may name another interpreter (a shared venv).
        shim = tmp / "bin" / "offchain"
        shim.parent.mkdir()
        shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m offchain "$@"\n')
        shim.chmod(0o755)
        env = {
            **os.environ,
            "HOME": str(home),
            "OFFCHAIN_RPC": chain.url,
            "OFFCHAIN_DEPLOYMENTS_DIR": str(tmp / "deployments"),
            "OFFCHAIN_KEYSTORE_PASSWORD": PASSWORD,
            "DEV_KEY": "0x" + "ab" * 32,
            "PYTHONPATH": str(ROOT),
            "PATH": os.pathsep.join(
                [
                    str(shim.parent),
                    str(Path(sys.executable).parent),
                    str(ROOT / "node_modules/.bin"),
                    os.environ["PATH"],
                ]
            ),
        }
        env.pop("OFFCHAIN_PRIVATE_KEY", None)
        database = postgres_server.url.rsplit("/", 1)[0] + "/readme_index"
        state = Setup(workdir, env, ports, model_hash, model_sha256, database)
        yield state
    finally:
        daemons = state.daemons if "state" in locals() else []
        for process in daemons:  # all at once: each then exits while the others are waited for
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in daemons:
            stop_process(process, group=True)  # the shell and the daemon it runs, with its children
        chain.stop()


def start_daemon(setup: Setup, daemon: Daemon, command: str) -> None:
    log_path = setup.workdir / f"daemon-{len(setup.daemons)}.log"
    log = open(log_path, "w")  # noqa: SIM115 - lives with the process
    process = subprocess.Popen(
        prepared(command, setup),
        shell=True,
        cwd=setup.workdir,
        env=setup.env,  # noqa: S602
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    setup.daemons.append(process)
    named = re.search(r"--port (\d+)", command)  # a second explorer on the README's next port
    if daemon.port_placeholder is not None and named is not None and named.group(1) in setup.ports:
        daemon = replace(daemon, port_placeholder=named.group(1))
    setup.starting.append((daemon, process, log_path))


def wait_until_ready(setup: Setup) -> None:
    """Wait for every daemon started so far to be ready, as a user looks at each terminal
    before going on (they start side by side: their imports overlap)."""
    deadline = time.monotonic() + DAEMON_READY_S
    for daemon, process, log_path in setup.starting:
        while not is_ready(setup, daemon, log_path):
            assert process.poll() is None, f"{process.args!r} exited: {log_path.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"{process.args!r} not ready within {DAEMON_READY_S} s"
            time.sleep(0.1)
    setup.starting.clear()


def is_ready(setup: Setup, daemon: Daemon, log_path: Path) -> bool:
    if daemon.port_placeholder is not None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", int(setup.ports[daemon.port_placeholder]))) != 0:
                return False
    return daemon.ready_line is None or re.search(daemon.ready_line, log_path.read_text(), re.MULTILINE) is not None


# --- the tests ----------------------------------------------------------------------------


def test_every_fence_names_its_language() -> None:
    unlabelled = [b.line - 1 for b in BLOCKS if not b.language]
    assert unlabelled == [], f"README.md lines {unlabelled}: label each fence (sh, python, text)"


def test_the_readme_has_commands_to_run() -> None:
    assert len(SHELL_COMMANDS) >= 20 and PYTHON_BLOCKS
    assert all(any(text in command for _, command in SHELL_COMMANDS) for text, _ in SMALLER), "a stale SMALLER"


@pytest.mark.parametrize(("line", "command"), SHELL_COMMANDS, ids=[f"L{n}" for n, _ in SHELL_COMMANDS])
def test_readme_command_runs(line: int, command: str, setup: Setup) -> None:
    reason = exemption(command)
    if reason is not None:
        pytest.skip(f"exempt: {reason}")
    daemon = daemon_of(command)
    if daemon is not None:
        start_daemon(setup, daemon, command)
        return
    wait_until_ready(setup)
    result = subprocess.run(
        prepared(command, setup),
        shell=True,
        cwd=setup.workdir,
        env=setup.env,  # noqa: S602
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )

    assert result.returncode == 0, f"README.md:{line}: {command}\n{result.stdout[-1500:]}\n{result.stderr[-3000:]}"
    assert "Traceback" not in result.stderr, result.stderr


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[f"L{b.line}" for b in PYTHON_BLOCKS])
def test_readme_python_runs(block: Block, setup: Setup) -> None:
    wait_until_ready(setup)
    result = subprocess.run(
        [sys.executable, "-c", with_placeholders(block.body, setup)],
        cwd=setup.workdir,
        env=setup.env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )

    assert result.returncode == 0, f"README.md:{block.line}\n{result.stderr[-3000:]}"


WALKTHROUGH_JOB = 1  # the job "The roles" posts: the chain's first
WORKER, VALIDATORS = 1, (2, 3, 4)  # the walkthrough's --dev-account numbers
CLAIM_WAIT_S = 60.0  # the worker's daemon claims a poll or two after the job is finalized


def test_the_walkthrough_paid_the_worker_and_slashed_nobody(setup: Setup) -> None:
    from offchain.eth.client import connect
    from offchain.eth.deployments import load_deployment
    from offchain.eth.market import MarketClient, Outcome
    from offchain.eth.market_events import Claimed, ValidatorSettled

    client = connect(setup.env["OFFCHAIN_RPC"])
    market = MarketClient.of(client, load_deployment(client.chain_id, Path(setup.env["OFFCHAIN_DEPLOYMENTS_DIR"])))
    worker = client.w3.eth.accounts[WORKER]
    validators = [client.w3.eth.accounts[n] for n in VALIDATORS]
    deadline = time.monotonic() + CLAIM_WAIT_S
    while not (claims := [e for e in market.events_of(WALKTHROUGH_JOB, "Claimed") if isinstance(e, Claimed)]):
        assert time.monotonic() < deadline, f"the worker never claimed: {market.submissions(WALKTHROUGH_JOB)}"
        time.sleep(0.5)
    found = market.submission_of(WALKTHROUGH_JOB, worker)
    settled = [e for e in market.events_of(WALKTHROUGH_JOB, "ValidatorSettled") if isinstance(e, ValidatorSettled)]

    assert found is not None and found[1].outcome == Outcome.WON, found
    job = market.job(WALKTHROUGH_JOB)
    assert [(c.worker, c.amount) for c in claims] == [(worker, job.min_stake + job.reward)]  # stake back, and the prize
    seats = market.committee(WALKTHROUGH_JOB)  # seats by bond: a validator may hold several, any one none
    assert len(seats) == 3 and set(seats) <= set(validators)
    assert all(e.slashed == 0 and e.paid > 0 for e in settled) and len(settled) == len(seats), settled  # one a seat
    assert all(market.validator(v).bond == market.min_bond() for v in validators)


def test_every_daemon_is_still_running(setup: Setup) -> None:
    """Runs last (pytest keeps file order): a daemon that exited early failed to start."""
    for process in setup.daemons:
        assert process.poll() is None, f"{process.args!r} exited with {process.returncode}"
