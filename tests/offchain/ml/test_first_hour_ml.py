"""What a new user reads from the ML commands: the defaults `--help` promises, and curves
that say what was trained, against chance, and where a run resumed."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import pytest

from offchain.ml.cli import register
from offchain.ml.config import SOURCE_TASK_RECIPE, TrainConfig


def helps(command: str) -> dict[str, str]:
    subparsers = argparse.ArgumentParser().add_subparsers()
    register(subparsers)
    parser = subparsers.choices[command]
    return {a.dest: a.help or "" for a in parser._actions}


@pytest.mark.parametrize("name", ["epochs", "lr", "schedule", "classes", "augment"])
def test_pretrain_help_states_the_recipe_it_runs(name: str) -> None:
    assert helps("pretrain")[name].endswith(f"(default {SOURCE_TASK_RECIPE[name]})")


@pytest.mark.parametrize("name", ["epochs", "lr", "batch_size", "weight_decay", "schedule"])
def test_train_help_states_the_config_defaults(name: str, tiny_config) -> None:  # type: ignore[no-untyped-def]
    default = getattr(TrainConfig(), name)

    assert helps("train")[name].endswith(f"(default {default})")


def test_curves_carry_the_title_recipe_chance_line_and_integer_epochs(trained_model: Path) -> None:
    from offchain.ml.report import curves_figure
    from offchain.ml.train import EpochMetrics

    card = json.loads((trained_model / "model.json").read_text())
    history = [EpochMetrics(**m) for m in card["metrics"]["epochs"]]

    figure = curves_figure(history, card)

    title = figure._suptitle.get_text()
    assert "resnet18" in title and "digits" in title and "epochs=1" in title and "lr=0.01" in title
    accuracy = figure.axes[1]
    labels = [line.get_label() for line in accuracy.get_lines()]
    assert "chance (20 %)" in labels and "resumed" not in labels
    [chance] = [line for line in accuracy.get_lines() if line.get_label().startswith("chance")]
    assert list(chance.get_ydata()) == [20.0, 20.0]
    assert [list(axis.get_xticks()) for axis in figure.axes] == [[1], [1]]


def test_curves_mark_where_a_run_resumed(trained_model: Path) -> None:
    from offchain.ml.report import curves_figure
    from offchain.ml.train import EpochMetrics

    card = json.loads((trained_model / "model.json").read_text())
    [first] = [EpochMetrics(**m) for m in card["metrics"]["epochs"]]
    history = [dataclasses.replace(first, epoch=e) for e in (1, 2, 3)]

    figure = curves_figure(history, card, resumed_after=1)

    [mark] = [line for line in figure.axes[0].get_lines() if line.get_label() == "resumed"]
    assert all(float(t).is_integer() for t in figure.axes[0].get_xticks())
    assert list(mark.get_xdata()) == [1.5, 1.5]


def test_a_long_curve_title_stays_inside_the_figure(trained_model: Path) -> None:
    from offchain.ml.report import curves_figure
    from offchain.ml.train import EpochMetrics

    card = json.loads((trained_model / "model.json").read_text())
    card["config"] = {**card["config"], "dataset": "/home/someone/" + "long-folder/" * 8 + "train.npz"}
    card["config"]["weights"] = "/runs/cache/" + "b" * 64 + "/model.safetensors"
    history = [EpochMetrics(**m) for m in card["metrics"]["epochs"]]

    figure = curves_figure(history, card)

    figure.canvas.draw()
    box = figure._suptitle.get_window_extent()
    assert 0 <= box.x0 and box.x1 <= figure.bbox.x1 and box.y1 <= figure.bbox.y1, (box, figure.bbox)
    assert "train.npz" in figure._suptitle.get_text()
