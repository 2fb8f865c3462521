"""The `offchain ledger` commands end to end (in process), plus crash safety (subprocess)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from offchain.ledger.chain import Chain
from offchain.ledger.cli import main

ROOT = Path(__file__).resolve().parents[3]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_mine_anchor_prove_and_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path)
    assert run(capsys, "init", "--datadir", d)[0] == 0
    assert (os.stat(tmp_path / "key.hex").st_mode & 0o777) == 0o600

    code, out, err = run(capsys, "mine", "--blocks", "21", "--processes", "2", "--datadir", d)
    assert code == 0 and "retarget at height 20" in err and "block    21" in out

    code, out, _ = run(capsys, "anchor", "--payload", "ab" * 32, "--tag", "model", "--json", "--datadir", d)
    txid = json.loads(out)["txid"]
    run(capsys, "mine", "--blocks", "1", "--processes", "1", "--datadir", d)
    code, out, _ = run(capsys, "prove", txid, "--datadir", d)
    proof = json.loads(out)
    (tmp_path / "proof.json").write_text(out)

    assert run(capsys, "verify-proof", "--proof", str(tmp_path / "proof.json"))[0] == 2  # no chain
    code, out, _ = run(capsys, "verify-proof", "--proof", str(tmp_path / "proof.json"), "--datadir", d)
    assert code == 0 and "(1 confirmations)" in out
    args = [
        "verify-proof",
        "--txid",
        txid,
        "--root",
        proof["merkle_root"],
        "--index",
        str(proof["index"]),
        "--branch",
        ",".join(proof["branch"]),
        "--tx",
        proof["tx"],
    ]
    assert run(capsys, *args)[0] == 0
    assert run(capsys, *args[:-3], proof["txid"], "--tx", proof["tx"])[0] == 1
    code, out, _ = run(capsys, "verify-db", "--datadir", d)
    assert code == 0 and "height 22" in out


def test_verify_headers_accepts_the_genesis_run_and_rejects_a_tampered_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bitcoin_vectors: dict[str, Any]
) -> None:
    lines = [h["hex"] for h in bitcoin_vectors["headers"]]
    good, bad = tmp_path / "good.txt", tmp_path / "bad.txt"
    good.write_text("\n".join(lines) + "\n")
    tampered = lines[:]
    tampered[3] = tampered[3][:-2] + "00"  # change block 3's nonce
    bad.write_text("\n".join(tampered) + "\n")

    code, out, _ = run(capsys, "verify-headers", "--chain", "bitcoin", "--start-height", "0", str(good))
    assert code == 0 and bitcoin_vectors["headers"][5]["hash"] in out

    code, _, err = run(capsys, "verify-headers", "--chain", "bitcoin", "--start-height", "0", str(bad))
    assert code == 2 and "header 4 (height 3)" in err


def test_user_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "status", "--datadir", str(tmp_path / "none"))

    assert code == 2 and err.count("\n") == 1 and "init" in err


def tip_height(datadir: str) -> int:
    chain = Chain.open(datadir)
    try:
        return chain.tip().height
    finally:
        chain.close()


def test_killing_a_miner_mid_write_leaves_a_consistent_store(tmp_path: Path) -> None:
    """Kill the real CLI miner at random moments; then also inside an open write transaction."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    d = str(tmp_path)
    cmd = [sys.executable, "-m", "offchain.ledger"]
    subprocess.run([*cmd, "init", "--datadir", d], env=env, check=True, capture_output=True)
    heights: list[int] = []
    for delay in (0.05, 0.3):
        proc = subprocess.Popen(
            [*cmd, "mine", "--blocks", "100000", "--processes", "1", "--datadir", d],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and tip_height(d) <= (heights[-1] if heights else 0):
            time.sleep(0.05)  # wait until this miner has written at least one block
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)  # the miner and its worker, mid-whatever
        proc.wait()
        chain = Chain.open(d)
        heights.append(chain.verify_db().height)
        chain.close()
    assert heights[0] > 0 and heights[1] >= heights[0]

    # Deterministic: die between writing the accounts and committing the block.
    script = (
        "import os, signal, sys\n"
        "from offchain.ledger.chain import Chain\n"
        "from offchain.ledger.miner import Miner, mine_blocks\n"
        "from offchain.ledger.store import Store\n"
        "real = Store.put_undo\n"
        "def die(self, *a):\n"
        "    real(self, *a); os.kill(os.getpid(), signal.SIGKILL)\n"
        "Store.put_undo = die\n"
        "c = Chain.open(sys.argv[1])\n"
        "with Miner(0) as m: mine_blocks(c, 1, bytes(20), m)\n"
    )
    result = subprocess.run([sys.executable, "-c", script, d], env=env, capture_output=True)
    assert result.returncode == -signal.SIGKILL
    chain = Chain.open(d)
    assert chain.verify_db().height == heights[1]
    chain.close()


def test_sigterm_to_a_mining_node_stops_its_miner_processes(tmp_path: Path) -> None:
    """SIGTERM to `ledger serve --mine` (how a service manager stops it) used to leave its two
    nonce-searching processes running at full speed, orphaned."""
    import psutil

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    d = str(tmp_path)
    cmd = [sys.executable, "-m", "offchain.ledger"]
    subprocess.run([*cmd, "init", "--datadir", d], env=env, check=True, capture_output=True)
    proc = subprocess.Popen(
        [*cmd, "serve", "--mine", "--processes", "2", "--datadir", d],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(psutil.Process(proc.pid).children()) < 2:
            time.sleep(0.1)  # the miners have started
        assert len(psutil.Process(proc.pid).children()) >= 2

        proc.send_signal(signal.SIGTERM)  # the node only, as `kill PID` does
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _session_members(proc.pid):
            time.sleep(0.1)

        assert _session_members(proc.pid) == []
    finally:
        for pid in _session_members(proc.pid):
            os.kill(pid, signal.SIGKILL)  # this test's own cleanup when the check fails
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _session_members(sid: int) -> list[int]:
    import psutil

    found = []
    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == sid and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p.pid)
        except (OSError, psutil.Error):
            continue
    return found
