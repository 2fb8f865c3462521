"""The demo's role processes: start one `offchain <role>` process, echo its lines, wait, stop."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from offchain.demo.report import say_line
from offchain.errors import OffchainError
from offchain.eth.localchain import stop_process


class DemoError(OffchainError):
    """A step of the demo failed; the message names it."""


@dataclass
class RoleProcess:
    name: str
    account: int
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)


def _pump(role: RoleProcess) -> None:
    assert role.process.stdout is not None
    for line in role.process.stdout:
        role.lines.append(line.rstrip())
        say_line(f"    [{role.name:<11}] {line.rstrip()}")


PRODUCT = "offchain"  # the released command
ADVERSARIES = "offchain.demo.adversaries"  # its worker and validator with one step replaced


def spawn(name: str, account: int, argv: list[str], threads: int, module: str = PRODUCT) -> RoleProcess:
    """`python -m <module> *argv` as `name`, its output echoed with the name in front."""
    # Five processes share the machine: cap each one's torch threads so that they do not
    # oversubscribe the cores (spinning OpenMP threads slow everyone down many times over).
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    process = subprocess.Popen(
        [sys.executable, "-m", module, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        env=env,
    )
    role = RoleProcess(name, account, process)
    threading.Thread(target=_pump, args=(role,), daemon=True).start()
    return role


def wait_until(predicate: Callable[[], bool], what: str, timeout_s: float, roles: list[RoleProcess]) -> None:
    """Poll `predicate` until it holds; a role that died or the timeout raises DemoError."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        dead = [r for r in roles if r.process.poll() not in (None, 0)]
        if dead:
            raise DemoError(f"{dead[0].name} exited with code {dead[0].process.returncode} while waiting for {what}")
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.5)


def stop_all(roles: list[RoleProcess]) -> None:
    """Stop `roles` in reverse of the order given (the order they started): a role never
    outlives one it depends on, so the relayer does not log an outage of its stopped node."""
    for role in reversed(roles):
        stop_process(role.process)
