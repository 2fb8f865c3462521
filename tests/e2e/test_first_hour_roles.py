"""A new user's first hour with the roles, on a local anvil chain: job status and list,
cancel, the checks `job post` makes before it escrows a reward, `model get`, and a
validator's exit."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from basemodel import register_base_model

from offchain.cli import main
from offchain.eth.client import connect
from offchain.eth.deploy import deploy_all
from offchain.eth.deployments import Deployment
from offchain.eth.keys import account_from_key, dev_private_key
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.eth.market import MarketClient, deposit_of
from offchain.ml.data import export_dataset, load_data

GOOD_SPEC = {"arch": "resnet18", "epochs": 1}
# The README's old example on the README's own `pretrain` base (an ImageNet stem).
SMALL_STEM_SPEC = {"arch": "resnet18", "stem": "small", "freeze": "layer1", "epochs": 1}


@pytest.fixture(scope="module")
def chain() -> Iterator[LocalChain]:
    chain = start_anvil()
    yield chain
    chain.stop()


@pytest.fixture
def world(chain: LocalChain, tmp_path: Path) -> dict[str, object]:
    client = connect(chain.url, dev_private_key(0))
    deployment = deploy_all(client, tmp_path / "deployments")
    base = register_base_model(client, deployment, tmp_path / "base")
    train, _ = export_dataset(load_data("digits", "train", "5-9", per_class=2), tmp_path / "train.npz")
    evaluation, _ = export_dataset(load_data("digits", "test", "5-9", per_class=2), tmp_path / "eval.npz")
    return {"tmp": tmp_path, "base": base, "train": train, "eval": evaluation, "deployment": deployment, "chain": chain}


def args(world: dict[str, object], account: str = "1") -> list[str]:
    tmp = Path(str(world["tmp"]))
    chain = world["chain"]
    assert isinstance(chain, LocalChain)
    return [
        "--rpc",
        chain.url,
        "--deployments",
        str(tmp / "deployments"),
        "--dev-account",
        account,
        "--home",
        str(tmp / f"home{account}"),
    ]


def spec_file(world: dict[str, object], spec: dict[str, object], name: str = "spec.json") -> Path:
    path = Path(str(world["tmp"])) / name
    path.write_text(json.dumps(spec))
    return path


def post(world: dict[str, object], spec: Path, base: str | None = None, train: str | None = None) -> int:
    return main(
        [
            "job",
            "post",
            "--base",
            base or str(world["base"]),
            "--train",
            train or str(world["train"]),
            "--eval",
            str(world["eval"]),
            "--spec",
            str(spec),
            "--reward",
            "0.5ether",
            "--min-score-bps",
            "5000",
            *args(world),
        ]
    )


def market(world: dict[str, object]) -> MarketClient:
    chain, deployment = world["chain"], world["deployment"]
    assert isinstance(chain, LocalChain) and isinstance(deployment, Deployment)
    return MarketClient.of(connect(chain.url), deployment)


def one_line_error(capsys: pytest.CaptureFixture[str], code: int) -> str:
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("offchain: error: ") and err.count("\n") == 1, err
    return err


# --- job status and list ------------------------------------------------------------------


def test_status_without_an_id_shows_the_newest_job(world, capsys) -> None:  # type: ignore[no-untyped-def]
    assert post(world, spec_file(world, GOOD_SPEC)) == 0
    capsys.readouterr()

    assert main(["job", "status", *args(world)]) == 0
    out = capsys.readouterr().out

    assert out.startswith("job 1: open, commits close in 59 min") or out.startswith("job 1: open, commits close in 1 h")
    assert "no submissions yet" in out


def test_status_of_a_job_that_does_not_exist_is_one_line(world, capsys) -> None:  # type: ignore[no-untyped-def]
    post(world, spec_file(world, GOOD_SPEC))
    capsys.readouterr()

    err = one_line_error(capsys, main(["job", "status", "99", *args(world)]))

    assert "no job 99" in err and "1 to 1" in err


def test_status_json_gives_iso_deadlines(world, capsys) -> None:  # type: ignore[no-untyped-def]
    post(world, spec_file(world, GOOD_SPEC))
    capsys.readouterr()

    assert main(["job", "status", "1", "--json", *args(world)]) == 0
    [job] = json.loads(capsys.readouterr().out)

    assert job["deadlines"]["commit"].endswith("+00:00") and "T" in job["deadlines"]["commit"]


def test_list_open_shows_open_jobs_and_cancel_removes_one(world, capsys) -> None:  # type: ignore[no-untyped-def]
    post(world, spec_file(world, GOOD_SPEC))
    post(world, spec_file(world, GOOD_SPEC))
    capsys.readouterr()

    assert main(["job", "cancel", "1", *args(world)]) == 0
    assert "cancelled job 1" in capsys.readouterr().out
    assert main(["job", "list", "--open", "--json", *args(world)]) == 0

    assert [job["job_id"] for job in json.loads(capsys.readouterr().out)] == [2]
    requester = account_from_key(dev_private_key(1)).address
    assert market(world).pending(requester) == 5 * 10**17 + deposit_of(5 * 10**17)  # the reward and its deposit, back


def test_list_prints_one_aligned_line_per_job(world, capsys) -> None:  # type: ignore[no-untyped-def]
    post(world, spec_file(world, GOOD_SPEC))
    capsys.readouterr()

    assert main(["job", "list", *args(world)]) == 0
    header, row = capsys.readouterr().out.splitlines()

    assert header.split()[:4] == ["job", "phase", "reward", "min"]
    assert row.split()[:3] == ["1", "open", "0.5"] and "commits close in" in row


# --- what job post checks -------------------------------------------------------------------


def test_post_refuses_a_spec_whose_stem_does_not_fit_the_base(world, capsys) -> None:  # type: ignore[no-untyped-def]
    err = one_line_error(capsys, post(world, spec_file(world, SMALL_STEM_SPEC)))

    assert "stem" in err and "conv1.weight" in err and '"stem": "imagenet"' in err
    assert market(world).job_count() == 0  # nothing escrowed


def test_post_refuses_a_training_set_that_does_not_load(world, capsys) -> None:  # type: ignore[no-untyped-def]
    corrupt = Path(str(world["tmp"])) / "corrupt.npz"
    corrupt.write_bytes(b"not a zip file at all")

    err = one_line_error(capsys, post(world, spec_file(world, GOOD_SPEC), train=str(corrupt)))

    assert "not a data set" in err
    assert market(world).job_count() == 0


def test_post_refuses_data_sets_with_different_classes(world, capsys) -> None:  # type: ignore[no-untyped-def]
    other, _ = export_dataset(load_data("digits", "train", "0-4", per_class=2), Path(str(world["tmp"])) / "o.npz")

    err = one_line_error(capsys, post(world, spec_file(world, GOOD_SPEC), train=str(other)))

    assert "classes" in err
    assert market(world).job_count() == 0


def test_post_refuses_a_base_model_whose_weights_cannot_be_fetched(world, capsys) -> None:  # type: ignore[no-untyped-def]
    weights = Path(str(world["tmp"])) / "base" / "model.safetensors"
    weights.unlink()

    err = one_line_error(capsys, post(world, spec_file(world, GOOD_SPEC)))

    assert "model.safetensors" in err
    assert market(world).job_count() == 0


# --- model get ------------------------------------------------------------------------------


def test_model_get_fetches_the_registered_weights(world, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from offchain.ml.fingerprint import fingerprint_file

    out = tmp_path / "got" / "base.safetensors"
    chain = world["chain"]

    code = main(
        [
            "model",
            "get",
            str(world["base"]),
            "--out",
            str(out),
            "--rpc",
            chain.url,  # type: ignore[attr-defined]
            "--deployments",
            str(Path(str(world["tmp"])) / "deployments"),
            "--home",
            str(tmp_path / "h"),
        ]
    )

    assert code == 0, capsys.readouterr().err
    assert "0x" + fingerprint_file(out).hex() == world["base"]


def test_model_get_refuses_weights_that_are_not_the_registered_model(world, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    from offchain.ml.models import build_model, save_model

    weights = Path(str(world["tmp"])) / "base" / "model.safetensors"
    save_model(
        build_model("resnet18", 5, "imagenet"),
        tmp_path / "other",
        {"architecture": "resnet18", "stem": "imagenet", "classes": list("abcde")},
    )
    shutil.copyfile(tmp_path / "other" / "model.safetensors", weights)  # swapped behind the registry's back
    out = tmp_path / "base.safetensors"
    chain = world["chain"]

    code = main(
        [
            "model",
            "get",
            str(world["base"]),
            "--out",
            str(out),
            "--rpc",
            chain.url,  # type: ignore[attr-defined]
            "--deployments",
            str(Path(str(world["tmp"])) / "deployments"),
            "--home",
            str(tmp_path / "h"),
        ]
    )

    assert "fingerprint" in one_line_error(capsys, code)
    assert not out.exists()


# --- validator exit ---------------------------------------------------------------------------


def test_validator_exit_requests_then_withdraws_the_bond(world, capsys) -> None:  # type: ignore[no-untyped-def]
    chain = world["chain"]
    validator = market(world).as_sender(connect(chain.url, dev_private_key(4)))  # type: ignore[attr-defined]
    validator.join_validators(validator.min_bond())

    assert main(["validator", "exit", *args(world, "4")]) == 0
    assert "exit requested" in capsys.readouterr().out
    assert main(["validator", "exit", *args(world, "4")]) == 0
    assert "still unbonding" in capsys.readouterr().out
    delay = int(validator.contract.functions.UNBONDING_DELAY().call())
    assert main(["chain", "warp", str(delay + 1), "--rpc", chain.url]) == 0  # type: ignore[attr-defined]
    assert main(["validator", "exit", *args(world, "4")]) == 0

    assert "withdrew the bond" in capsys.readouterr().out
    assert not validator.validator(validator.client.address).member
