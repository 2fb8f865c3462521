"""The ML commands: one-line errors without tracebacks, and outputs that match the API."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import offchain.cli
from offchain.ml.fingerprint import fingerprint_dir


@pytest.fixture(autouse=True)
def only_ml_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test the ML commands through the real top-level main, whatever other groups exist."""
    monkeypatch.setattr(offchain.cli, "COMMAND_MODULES", ("offchain.ml.cli",))


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = offchain.cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("argv", "choices"),
    [
        (["train", "--arch", "alexnet"], "resnet18, resnet34, resnet50"),
        (["train", "--device", "tpu"], "auto, cpu, cuda"),
        (["train", "--dataset", "emnist"], "digits, fashion-mnist, mnist, cifar10"),
        (["train", "--freeze", "everything"], "none, stem, layer1"),
        (["train", "--schedule", "linear"], "constant, step, cosine"),
        (["evaluate", "--model", "m", "--dataset", "digits", "--device", "tpu"], "auto, cpu"),
    ],
)
def test_a_bad_choice_is_one_line_naming_the_valid_ones(
    argv: list[str], choices: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if argv[0] == "train":
        argv = [*argv, "--out", str(tmp_path / "out"), "--epochs", "1", "--per-class", "1"]

    code, _, err = run(argv, capsys)

    assert code == 2
    assert err.count("\n") == 1 and err.startswith("offchain: error: ")
    assert choices in err and "Traceback" not in err


def test_mismatched_weights_are_one_line_naming_the_tensor(
    trained_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    card = json.loads((trained_model / "model.json").read_text())
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "model.safetensors").write_bytes((trained_model / "model.safetensors").read_bytes())
    (bad / "model.json").write_text(json.dumps({**card, "stem": "small"}))

    code, _, err = run(["evaluate", "--model", str(bad), "--dataset", "digits"], capsys)

    assert code == 2 and err.count("\n") == 1
    assert "'conv1.weight' has shape [64, 3, 7, 7]" in err


def test_fingerprint_prints_the_api_fingerprint(trained_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["fingerprint", str(trained_model)], capsys)

    assert code == 0
    assert out.strip() == fingerprint_dir(trained_model).hex()


def test_fingerprint_json_lists_every_tensor(trained_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["fingerprint", "--json", str(trained_model / "model.safetensors")], capsys)

    listing = json.loads(out)
    assert code == 0 and "fc.weight" in listing["leaves"] and len(listing["fingerprint"]) == 64


def test_evaluate_json_reports_basis_points_loss_and_count(
    trained_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["evaluate", "--model", str(trained_model), "--dataset", "digits", "--classes", "0-4"]

    code, out, _ = run([*argv, "--json"], capsys)

    assert code == 0
    assert set(json.loads(out)) == {"accuracy_bps", "loss", "n", "confusion"}


def test_dataset_export_prints_the_file_hash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "train.npz"
    argv = ["dataset", "export", "--classes", "5-9", "--per-class", "2", "--out", str(target)]

    code, out, _ = run(argv, capsys)

    assert code == 0
    assert out.split()[0] == hashlib.sha256(target.read_bytes()).hexdigest()


def test_train_refuses_to_overwrite_a_checkpoint_without_resume(
    trained_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["train", "--out", str(trained_model)], capsys)

    assert code == 2 and "--resume" in err


def test_train_prints_progress_and_writes_the_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "train",
        "--classes",
        "0-1",
        "--per-class",
        "3",
        "--epochs",
        "1",
        "--batch-size",
        "6",
        "--eval-dataset",
        "none",
        "--device",
        "cpu",
        "--out",
        str(tmp_path),
    ]

    code, out, _ = run(argv, capsys)

    assert code == 0
    assert "epoch   1/1" in out and "wrote" in out
    assert (tmp_path / "model.json").is_file() and (tmp_path / "curves.png").is_file()


def test_a_spec_file_sets_the_config_and_flags_override_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "classes": [0, 1],
                "per_class": 2,
                "epochs": 1,
                "lr": 0.5,
                "eval_dataset": "none",
                "batch_size": 4,
            }
        )
    )

    code, _, _ = run(
        ["train", "--spec", str(spec), "--lr", "0.01", "--quiet", "--out", str(tmp_path / "run")],
        capsys,
    )

    card = json.loads((tmp_path / "run" / "model.json").read_text())
    assert code == 0 and card["config"]["lr"] == 0.01 and card["config"]["per_class"] == 2


def test_a_spec_with_an_unknown_key_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"learning_rate": 0.1}))

    code, _, err = run(["train", "--spec", str(spec), "--out", str(tmp_path / "r")], capsys)

    assert code == 2 and "unknown spec key 'learning_rate'" in err and err.count("\n") == 1
