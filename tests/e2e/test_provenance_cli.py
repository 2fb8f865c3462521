"""Provenance as a user runs it: a ledger node and a relayer process follow a devnet ledger;
`ledger anchor`, `ledger mine` and `ledger prove --out` make proof files; `job post
--provenance` and `registry anchor` take them as they are; `job status` and `registry show`
print what the EVM verified; a wrong proof is one line and no transaction."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from basemodel import register_base_model
from eth_account import Account

from offchain.cli import main
from offchain.eth.client import connect
from offchain.eth.deploy import deploy_all
from offchain.eth.keys import dev_private_key
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.eth.registry import RegistryClient
from offchain.ledger.params import DEVNET
from offchain.ml.data import export_dataset, load_data

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 60.0
SERVING = re.compile(r"serving \S+ at (http://\S+)")


def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _spawn(argv: list[str], log: Path, key: str | None = None) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if key:
        env["OFFCHAIN_PRIVATE_KEY"] = key
    return subprocess.Popen(  # noqa: SIM115 (the log lives as long as the process)
        [sys.executable, "-m", "offchain", *argv], env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("provenance")
    # Blocks every second, as on a live chain: an idle automining anvil stops the relay's clock
    # (docs/relay.md, liveness), and a slow setup then leaves the devnet's headers past its 2 s limit.
    anvil: LocalChain = start_anvil(block_time=1)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        client = connect(anvil.url, dev_private_key(0))
        deployment = deploy_all(client, tmp / "deployments")  # LedgerRelay (2 confirmations), registry, market
        base = register_base_model(client, deployment, tmp / "base")
        train, _ = export_dataset(load_data("digits", "train", "5-9", per_class=2), tmp / "train.npz")
        evaluation, _ = export_dataset(load_data("digits", "test", "5-9", per_class=2), tmp / "eval.npz")
        spec = tmp / "spec.json"
        spec.write_text(json.dumps({"arch": "resnet18", "epochs": 1}))
        datadir = str(tmp / "ledger")
        assert main(["ledger", "init", "--datadir", datadir]) == 0
        matured = str(DEVNET.coinbase_maturity + 1)  # a spendable coinbase pays the anchor fees
        assert main(["ledger", "mine", "--blocks", matured, "--processes", "1", "--datadir", datadir]) == 0
        node_log = tmp / "node.log"
        processes.append(_spawn(["ledger", "serve", "--datadir", datadir, "--port", "0"], node_log))
        _until(lambda: SERVING.search(node_log.read_text()) is not None, "the ledger node")
        found = SERVING.search(node_log.read_text())
        assert found is not None
        where = ["--rpc", anvil.url, "--deployments", str(tmp / "deployments")]
        relayer = ["relay", "--ledger", found.group(1), "--poll", "0.2", *where]
        processes.append(_spawn(relayer, tmp / "relayer.log", dev_private_key(3)))
        yield {
            "anvil": anvil,
            "client": client,
            "deployment": deployment,
            "base": base,
            "train": train,
            "eval": evaluation,
            "spec": spec,
            "datadir": datadir,
            "where": where,
            "tmp": tmp,
        }
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
        anvil.stop()


def _anchor(world: dict[str, Any], payload: str, tag: str, capsys: pytest.CaptureFixture[str]) -> Path:
    """`ledger anchor`, `ledger mine --blocks 2`, wait for the relayer, `ledger prove --out`."""
    datadir = ["--datadir", world["datadir"]]
    assert main(["ledger", "anchor", "--payload", payload, "--tag", tag, "--json", *datadir]) == 0
    txid = json.loads(capsys.readouterr().out)["txid"]
    assert main(["ledger", "mine", "--blocks", "2", "--processes", "1", *datadir]) == 0
    out = world["tmp"] / f"{tag}.json"
    assert main(["ledger", "prove", txid, "--out", str(out), *datadir]) == 0
    block = json.loads(out.read_text())["block_hash"]
    relay = RegistryClient(world["client"], world["deployment"].contract("ModelRegistry").address).relay()
    assert relay is not None
    _until(lambda: relay.confirmations(block) >= 2, "the relayer to give the anchor two confirmations")
    capsys.readouterr()
    return out


def _post(world: dict[str, Any], proof: Path) -> int:
    return main(
        [
            "job", "post", "--base", world["base"], "--train", str(world["train"]), "--eval", str(world["eval"]),
            "--spec", str(world["spec"]), "--reward", "0.5ether", "--min-score-bps", "5000",
            "--provenance", str(proof), "--json", *world["where"], "--dev-account", "1",
            "--home", str(world["tmp"] / "home"),
        ]
    )  # fmt: skip


def test_a_job_posted_with_its_training_set_anchor_shows_it_verified(world, capsys) -> None:  # type: ignore[no-untyped-def]
    digest = hashlib.sha256(Path(world["train"]).read_bytes()).hexdigest()
    proof = _anchor(world, digest, "train", capsys)

    assert _post(world, proof) == 0
    job_id = json.loads(capsys.readouterr().out)["job_id"]
    assert main(["job", "status", str(job_id), *world["where"]]) == 0
    text = capsys.readouterr().out
    assert main(["job", "status", str(job_id), "--json", *world["where"]]) == 0
    [report] = json.loads(capsys.readouterr().out)

    height = json.loads(proof.read_text())["height"]
    provenance = report["training_set_provenance"]
    assert provenance["height"] == height and provenance["verified_on_chain"] and provenance["confirmations"] >= 2
    assert f"training set anchored at ledger block {height}" in text and "verified on-chain" in text
    # The explorer's job page says the same.
    from offchain.explorer.app import Sources, create_app

    app = create_app(Sources(rpc=world["anvil"].url, deployment=world["deployment"]))
    page = app.test_client().get(f"/jobs/{job_id}").get_data(as_text=True)
    assert f"training set anchored at ledger block {height}" in page and 'id="provenance"' in page


def test_a_model_is_marked_from_its_proof_file(world, capsys) -> None:  # type: ignore[no-untyped-def]
    proof = _anchor(world, world["base"][2:], "model", capsys)

    assert main(["registry", "anchor", str(proof), *world["where"]]) == 0
    assert "verified on-chain" in capsys.readouterr().out
    assert main(["registry", "show", world["base"], "--json", *world["where"]]) == 0
    anchor = json.loads(capsys.readouterr().out)["anchor"]
    assert main(["registry", "show", world["base"], *world["where"]]) == 0
    text = capsys.readouterr().out

    assert anchor["height"] == json.loads(proof.read_text())["height"] and anchor["on_main_chain"]
    assert "model anchored at ledger block" in text
    # The explorer's model page reads the same anchor live.
    from offchain.explorer.app import Sources, create_app

    app = create_app(Sources(rpc=world["anvil"].url, deployment=world["deployment"]))
    page = app.test_client().get(f"/models/{world['base']}").get_data(as_text=True)
    assert 'id="anchor"' in page and "model anchored at ledger block" in page and "hashes of work" in page
    # The same proof again is not a stronger anchor: the contract's error, on one line.
    assert main(["registry", "anchor", str(proof), *world["where"]]) == 2
    err = capsys.readouterr().err
    assert "ModelRegistryAnchorNotStronger" in err and err.count("\n") == 1


def test_a_proof_of_another_hash_is_one_line_and_no_job(world, capsys) -> None:  # type: ignore[no-untyped-def]
    proof = _anchor(world, "ab" * 32, "other", capsys)
    before = main(["job", "list", "--json", *world["where"]])
    count = len(json.loads(capsys.readouterr().out))

    assert before == 0 and _post(world, proof) == 2
    err = capsys.readouterr().err
    assert "not the training set" in err and err.count("\n") == 1
    assert main(["job", "list", "--json", *world["where"]]) == 0
    assert len(json.loads(capsys.readouterr().out)) == count


def test_a_proof_the_relay_does_not_hold_is_one_line(world, capsys) -> None:  # type: ignore[no-untyped-def]
    datadir = ["--datadir", world["datadir"]]
    assert main(["ledger", "anchor", "--payload", "cd" * 32, "--tag", "late", "--json", *datadir]) == 0
    txid = json.loads(capsys.readouterr().out)["txid"]
    assert main(["ledger", "mine", "--blocks", "1", "--processes", "1", *datadir]) == 0
    out = world["tmp"] / "late.json"
    assert main(["ledger", "prove", txid, "--out", str(out), *datadir]) == 0
    capsys.readouterr()

    assert main(["registry", "anchor", str(out), *world["where"]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ("relay" in err)


def test_registry_register_signs_with_the_account_its_key_options_name(world, capsys) -> None:  # type: ignore[no-untyped-def]
    model = "0x" + hashlib.sha256(b"registered by dev account 4").hexdigest()
    dataset = "0x" + "ab" * 32
    argv = ["registry", "register", model, "--dataset", dataset, "--score-bps", "8700", "--uri", "sha256:" + "cd" * 32]
    assert main([*argv, *world["where"], "--dev-account", "4"]) == 0  # was: only $OFFCHAIN_PRIVATE_KEY
    capsys.readouterr()
    assert main(["registry", "show", model, "--json", *world["where"]]) == 0

    assert json.loads(capsys.readouterr().out)["publisher"] == Account.from_key(dev_private_key(4)).address
