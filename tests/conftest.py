"""Every test run owns what it starts: a process left running when the session ends fails it.

Processes a test starts inherit this session's environment, and with it a marker that is
unique to the session. When the session ends, any live process carrying the marker (other
than this one and brownie's own chain, which brownie stops at exit) is a leak: the session
fails and names each one. It never kills them: a test that starts a process stops it, also
when the test fails, and a leak is a bug to fix there. A folder of block states that an anvil
wrote to disk during the run fails it the same way.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import psutil
import pytest

MARKER = "OFFCHAIN_TEST_SESSION"
# Processes told to stop a moment ago may still be exiting. The leak check's own tests
# (tests/offchain/test_process_leaks.py) wait less for the leaks they provoke on purpose.
GRACE_S = float(os.environ.get("OFFCHAIN_LEAK_GRACE_S", "10"))


# anvil's folder of block states, which it never deletes (offchain/eth/localchain.py): every
# anvil a test starts runs memory-only, and a state folder left by the run fails it too. The
# folder is per user, not per run, so the check is on where nothing else runs beside the
# suite: `make test`'s targets set the variable (CI's case); runs of single files don't.
CHECK_ANVIL_STATES = "OFFCHAIN_CHECK_ANVIL_STATES"
ANVIL_STATES = Path.home() / ".foundry" / "anvil" / "tmp"
_anvil_states_before: set[str] = set()


def _anvil_state_folders() -> set[str]:
    return set(os.listdir(ANVIL_STATES)) if ANVIL_STATES.is_dir() else set()


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):  # an xdist worker keeps its controller's marker
        return
    os.environ[MARKER] = secrets.token_hex(8)  # new each session, nested sessions included
    _anvil_states_before.update(_anvil_state_folders())


def _marked(marker: str) -> list[psutil.Process]:
    found = []
    me = os.getpid()
    for process in psutil.process_iter():
        try:
            if process.pid == me or process.status() == psutil.STATUS_ZOMBIE:
                continue
            if process.environ().get(MARKER) == marker:
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _brownie_chain_pids() -> set[int]:
    """brownie's chain and its children: node_modules/.bin/anvil is a Node wrapper whose
    child is the anvil binary, and brownie stops both at exit."""
    try:
        from brownie.network import rpc
    except ImportError:
        return set()
    pid = getattr(getattr(rpc, "process", None), "pid", None)
    if pid is None:
        return set()
    try:
        return {pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))}
    except psutil.Error:
        return {pid}


def _own_resource_tracker() -> set[int]:
    """multiprocessing's resource tracker, which the first use of a shared semaphore (torch's
    DataLoader workers, DDP) starts as a child of this process: it exits when this process
    does, after the check."""
    try:
        children = psutil.Process().children()
    except psutil.Error:
        return set()
    found = set()
    for child in children:
        try:
            if "multiprocessing.resource_tracker" in " ".join(child.cmdline()):
                found.add(child.pid)
        except psutil.Error:
            continue
    return found


def leaked_processes(marker: str, grace_s: float = GRACE_S) -> list[psutil.Process]:
    """Live processes carrying `marker`, after waiting up to `grace_s` for them to exit."""
    allowed = _brownie_chain_pids() | _own_resource_tracker()
    deadline = time.monotonic() + grace_s
    while True:
        left = [p for p in _marked(marker) if p.pid not in allowed]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(0.2)


def _describe(process: psutil.Process) -> str:
    try:
        return f"pid {process.pid} (parent {process.ppid()}): {' '.join(process.cmdline())[:200]}"
    except psutil.Error:
        return f"pid {process.pid}: exited while being described"


# The longest file first: xdist hands files out in collection order, and the demo (a whole market
# on its own chain, minutes) collected last would run alone at the end while the other worker idles.
LONGEST_FIRST = "tests/e2e/test_market_flow.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.nodeid.split("::")[0] != LONGEST_FIRST)  # a stable sort


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if hasattr(session.config, "workerinput"):  # an xdist worker: the controller checks
        return
    leaks = leaked_processes(os.environ[MARKER])
    lines = []
    if leaks:
        lines += ["processes started by this test run are still running (a test must stop what it starts):"]
        lines += [f"  {_describe(p)}" for p in leaks]
    left = sorted(_anvil_state_folders() - _anvil_states_before) if os.environ.get(CHECK_ANVIL_STATES) else []
    if left:
        lines += ["anvil state folders written during this test run (start anvil with --max-persisted-states 0):"]
        lines += [f"  {ANVIL_STATES / name}" for name in left]
    if not lines:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("\n".join(lines), red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
