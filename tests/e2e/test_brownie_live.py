"""`brownie run scripts/deploy.py --network NAME` and `scripts/status.py`, as README shows them, on a network brownie
treats as live (a `brownie networks add` entry, not its development chain): the deploy is
recorded and nothing is printed but brownie's own lines (issue 22: a live deploy printed
thread tracebacks)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from offchain.eth.localchain import start_anvil

ROOT = Path(__file__).resolve().parents[2]
BROWNIE = Path(sys.executable).parent / "brownie"


def _brownie(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([BROWNIE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False)


def test_a_live_network_deploy_records_the_contracts_without_a_traceback(tmp_path: Path) -> None:
    home = tmp_path / "home"  # brownie's network list lives in ~/.brownie: the user's stays untouched
    home.mkdir()
    if (Path.home() / ".brownie").is_dir():
        shutil.copytree(Path.home() / ".brownie", home / ".brownie", ignore=shutil.ignore_patterns("packages"))
    env = {**os.environ, "HOME": str(home), "OFFCHAIN_DEPLOYMENTS_DIR": str(tmp_path / "deployments")}
    chain = start_anvil()
    try:
        added = _brownie(env, "networks", "add", "Ethereum", "live-anvil", f"host={chain.url}", "chainid=1337")
        assert added.returncode == 0, added.stdout + added.stderr
        run, status, walkthrough = (
            _brownie(env, "run", script, "--network", "live-anvil")
            for script in ("scripts/deploy.py", "scripts/status.py", "scripts/market_walkthrough.py")  # in turn
        )
    finally:
        chain.stop()

    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "Traceback" not in output and "Exception in thread" not in output, output
    # README's `brownie run scripts/status.py` (issue 22: it raised on a removed function)
    shown = status.stdout + status.stderr
    assert status.returncode == 0 and "Traceback" not in shown, shown
    assert "market jobs: 0" in shown, shown
    assert "market balance 0 ETH;" in shown, shown  # ether in words, as every role prints it (was "0.000000E")
    # a whole job by hand (deploys its own set): post, commit, reveal, attest, finalize, claim
    walked = walkthrough.stdout + walkthrough.stderr
    assert walkthrough.returncode == 0 and "Traceback" not in walked, walked
    # brownie keeps no record of its own in the project (deployments/<chain id>.json is the
    # record): a stale one breaks every later brownie run on a restarted chain of that id.
    assert not list((ROOT / "build" / "deployments" / "1337").glob("*.json"))
    record = json.loads((tmp_path / "deployments" / "1337.json").read_text())
    assert {"ModelRegistry", "TrainingMarket", "MarketLens", "LedgerRelay"} <= set(record["contracts"])
