"""The suite's last check: a test run that leaves a process running fails, and says which.

Each case runs a small pytest session in a subprocess with the project's tests/conftest.py,
so the check under test is the one every `make test` session runs.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"

LEAKING_TEST = """
import subprocess, sys
from pathlib import Path

def test_starts_a_daemon_and_forgets_it():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    Path("leaked.pid").write_text(str(process.pid))
"""

ANVIL_STATE_TEST = """
from pathlib import Path

def test_leaves_an_anvil_state_folder():
    (Path.home() / ".foundry" / "anvil" / "tmp" / "NAME").mkdir(parents=True)
"""

TIDY_TEST = """
import subprocess, time
import psutil
from offchain.eth.localchain import stop_process

def test_starts_a_shell_daemon_and_stops_its_group():
    process = subprocess.Popen("sleep 120; true", shell=True, start_new_session=True)
    while not psutil.Process(process.pid).children():  # the shell has started its child
        time.sleep(0.05)
    stop_process(process, group=GROUP)
"""


def _session(tmp_path: Path, test_source: str, *args: str) -> subprocess.CompletedProcess[str]:
    shutil.copyfile(CONFTEST, tmp_path / "conftest.py")
    (tmp_path / "test_case.py").write_text(test_source)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["OFFCHAIN_LEAK_GRACE_S"] = "1"  # each case's leak is deliberate: no need to wait 10 s for it to end
    env["OFFCHAIN_CHECK_ANVIL_STATES"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:pytest-brownie", "-p", "no:cacheprovider", "-q", *args, tmp_path],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# make test-offchain runs on xdist workers: the controller must see its workers' leaks.
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist workers"])
def test_a_session_that_leaves_a_process_running_fails_and_names_it(tmp_path: Path, workers: list[str]) -> None:
    result = _session(tmp_path, LEAKING_TEST, *workers)
    pid = int((tmp_path / "leaked.pid").read_text())
    try:
        assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
        assert "still running" in result.stdout and f"pid {pid}" in result.stdout
    finally:
        os.kill(pid, signal.SIGKILL)  # this test's own cleanup of the leak it provoked


def test_a_session_that_stops_a_shell_and_its_children_passes(tmp_path: Path) -> None:
    result = _session(tmp_path, TIDY_TEST.replace("GROUP", "True"))

    assert result.returncode == pytest.ExitCode.OK, result.stdout + result.stderr
    assert "still running" not in result.stdout


def test_stopping_only_the_shell_leaves_its_child_running_and_fails(tmp_path: Path) -> None:
    result = _session(tmp_path, TIDY_TEST.replace("GROUP", "False"))
    orphans = [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", "120"]]
    try:
        assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
        assert "still running" in result.stdout and "sleep 120" in result.stdout
    finally:
        for orphan in orphans:
            if any(f"pid {orphan.pid} " in line for line in result.stdout.splitlines()):
                orphan.kill()  # only the one this case provoked


def test_a_session_that_leaves_an_anvil_state_folder_fails_and_names_it(tmp_path: Path) -> None:
    name = f"anvil-state-test-{tmp_path.name}"
    result = _session(tmp_path, ANVIL_STATE_TEST.replace("NAME", name))
    try:
        assert result.returncode == pytest.ExitCode.TESTS_FAILED, result.stdout
        assert "anvil state folders written during this test run" in result.stdout and name in result.stdout
    finally:
        (Path.home() / ".foundry" / "anvil" / "tmp" / name).rmdir()


def test_every_anvil_the_project_starts_keeps_its_block_states_in_memory() -> None:
    from offchain.eth.localchain import MEMORY_ONLY_HISTORY, start_anvil

    chain = start_anvil()
    try:
        command = psutil.Process(chain.process.pid).cmdline()
    finally:
        chain.stop()
    makefile = (CONFTEST.parents[1] / "Makefile").read_text()
    contracts_conftest = (CONFTEST.parent / "contracts" / "conftest.py").read_text()

    flags = " ".join(MEMORY_ONLY_HISTORY)
    assert flags in " ".join(command)  # the demo, the e2e tests, the benchmarks
    assert f"--chain-id 1337 {flags}" in makefile  # make chain
    assert "MEMORY_ONLY_HISTORY" in contracts_conftest  # brownie's own chain
