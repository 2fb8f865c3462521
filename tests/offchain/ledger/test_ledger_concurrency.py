"""Two processes on one data folder, and errors that escaped the ledger's family (issue 11,
items 11 and 13)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ledger_helpers import extend

from offchain.ledger.chain import Chain
from offchain.ledger.cli import main
from offchain.ledger.errors import StoreError

ROOT = Path(__file__).resolve().parents[3]


def test_two_miners_on_one_folder_keep_it_consistent(tmp_path: Path) -> None:
    """Attack 11: the tip was read before BEGIN IMMEDIATE; two miners both connected a block
    at the same height and credited both coinbases, or crashed with IntegrityError."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    d = str(tmp_path)
    cmd = [sys.executable, "-m", "offchain.ledger"]
    subprocess.run([*cmd, "init", "--datadir", d], env=env, check=True, capture_output=True)
    for _ in range(2):
        miners = [
            subprocess.Popen(
                [*cmd, "mine", "--blocks", "8", "--processes", "0", "--datadir", d],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for _ in range(2)
        ]
        errors = [m.communicate(timeout=120)[1].decode() for m in miners]
        assert [m.returncode for m in miners] == [0, 0], errors
    chain = Chain.open(d)
    try:
        report = chain.verify_db()
    finally:
        chain.close()
    assert report.height >= 16


def test_a_second_init_racing_the_first_does_not_crash(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "offchain.ledger", "init", "--datadir", str(tmp_path / "d")]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(3)]
    errors = [p.communicate(timeout=60)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors


def test_sqlite_errors_become_store_errors(chain: Chain) -> None:
    """Attack 13: sqlite3.IntegrityError escaped the family."""
    block = extend(chain, 1)[0]
    entry = chain.get(block.hash)
    assert entry is not None
    with pytest.raises(StoreError):
        with chain.store.transaction():
            chain.store.insert_block(entry, block.serialize(), [])


def test_a_negative_amount_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Attack 13: `send --amount -5` raised struct.error with a traceback."""
    d = str(tmp_path)
    assert main(["init", "--datadir", d]) == 0
    capsys.readouterr()
    for flag, value in (("--amount", "-5"), ("--fee", "-1"), ("--amount", str(2**64))):
        code = main(["send", "--to", "0x" + "11" * 20, "--amount", "1", flag, value, "--datadir", d])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and "offchain: error:" in err
