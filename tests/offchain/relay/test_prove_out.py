"""`offchain ledger prove TXID --out FILE`: the proof file the relay's users hand on as it is."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from offchain.ledger import api
from offchain.ledger.cli import main
from offchain.ledger.params import DEVNET


def test_prove_writes_a_proof_file_that_verifies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    datadir = str(tmp_path / "ledger")
    api.init_chain(datadir)
    api.mine(datadir, DEVNET.coinbase_maturity + 1, processes=0)  # a matured coinbase pays the fee
    txid = api.anchor(datadir, hashlib.sha256(b"training set").digest(), "dataset", fee=DEVNET.min_fee)
    api.mine(datadir, 1, processes=0)
    out = tmp_path / "proof.json"

    assert main(["prove", txid, "--datadir", datadir, "--out", str(out)]) == 0

    proof = json.loads(out.read_text())
    assert proof["txid"] == txid and proof["index"] == 1
    assert api.verify_proof(proof)
    assert str(out) in capsys.readouterr().out


def test_prove_to_an_unwritable_path_is_one_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    datadir = str(tmp_path / "ledger")
    api.init_chain(datadir)
    api.mine(datadir, DEVNET.coinbase_maturity + 1, processes=0)
    txid = api.anchor(datadir, bytes(32), "dataset", fee=DEVNET.min_fee)
    api.mine(datadir, 1, processes=0)

    assert main(["prove", txid, "--datadir", datadir, "--out", str(tmp_path / "missing" / "proof.json")]) == 2
    assert "cannot write proof" in capsys.readouterr().err
