"""What a run leaves beside its weights: the model card, metrics.json and curves.png."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offchain.ml.devices import versions

if TYPE_CHECKING:
    from offchain.ml.config import TrainConfig
    from offchain.ml.data import ImageSet
    from offchain.ml.evaluation import EvalResult
    from offchain.ml.loop import EpochMetrics
    from offchain.ml.models import BaseWeights

METRICS_FILE = "metrics.json"
CURVES_FILE = "curves.png"
CONFUSION_FILE = "confusion.png"


def epoch_line(m: EpochMetrics, epochs: int) -> str:
    """One line of progress per epoch, for people watching a terminal or a log."""
    evaluation = (
        f"  eval loss {m.eval_loss:.4f} acc {m.eval_accuracy_bps / 100:6.2f}%"
        if m.eval_loss is not None and m.eval_accuracy_bps is not None
        else ""
    )
    return (
        f"epoch {m.epoch:>3}/{epochs}  lr {m.lr:.2e}  train loss {m.train_loss:.4f} "
        f"acc {m.train_accuracy_bps / 100:6.2f}%{evaluation}  "
        f"{m.seconds:6.1f}s {m.images_per_second:7.0f} img/s"
        + (f"  pool kept {m.pool_kept_bps / 100:.0f}%" if m.pool_kept_bps is not None else "")
    )


def model_card(
    config: TrainConfig,
    train_set: ImageSet,
    eval_set: ImageSet | None,
    base: BaseWeights,
    history: Sequence[EpochMetrics],
    environment: dict[str, Any] | None = None,
    validation: ImageSet | None = None,
    test: EvalResult | None = None,
) -> dict[str, Any]:
    """The model.json content (save_model adds the fingerprint)."""
    datasets: dict[str, Any] = {"train": {"source": config.dataset, "sha256": train_set.sha256(), "n": len(train_set)}}
    if validation is not None:
        datasets["validation"] = {"source": config.dataset, "sha256": validation.sha256(), "n": len(validation)}
    if eval_set is not None:
        datasets["eval"] = {
            "source": config.eval_dataset or config.dataset,
            "sha256": eval_set.sha256(),
            "n": len(eval_set),
        }
    last = history[-1] if history else None
    return {
        "format": "offchain-model/1",
        "architecture": config.arch,
        "stem": config.stem,
        "classes": list(train_set.classes),
        "image_size": train_set.image_size,
        "normalization": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]},
        "base_model": asdict(base),
        "datasets": datasets,
        "config": config.to_dict(),
        "metrics": {
            "accuracy_bps": last.eval_accuracy_bps if last else None,
            "loss": last.eval_loss if last else None,
            "epochs": [asdict(m) for m in history],
            "test": None
            if test is None
            else {
                "accuracy_bps": test.accuracy_bps,
                "loss": test.loss,
                "n": test.n,
                "per_class_accuracy_bps": dict(zip(train_set.classes, test.per_class_accuracy_bps(), strict=True)),
                "confusion": [list(row) for row in test.confusion],
            },
        },
        "versions": versions(),
        "environment": environment or {},
    }


def write_metrics(out_dir: str | os.PathLike[str], history: Sequence[EpochMetrics]) -> Path:
    """metrics.json: per-epoch loss, accuracy, seconds and images/s."""
    path = Path(out_dir) / METRICS_FILE
    path.write_text(json.dumps({"epochs": [asdict(m) for m in history]}, indent=2) + "\n")
    return path


def plot_curves(
    out_dir: str | os.PathLike[str],
    history: Sequence[EpochMetrics],
    resumed_after: int | None = None,
) -> Path:
    """curves.png: loss and accuracy per epoch, training and evaluation.

    The title names the run and its recipe (from the model.json beside it, when there is
    one); epochs are whole-number ticks; a dotted line marks chance accuracy (1 / classes);
    a vertical line marks where a resumed run picked up (`resumed_after` epochs done).
    """
    import matplotlib.pyplot as plt

    figure = curves_figure(history, _read_card(Path(out_dir)), resumed_after)
    path = Path(out_dir) / CURVES_FILE
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def curves_figure(history: Sequence[EpochMetrics], card: dict[str, Any], resumed_after: int | None = None) -> Any:
    """The matplotlib Figure of plot_curves (the caller closes it)."""
    import matplotlib

    matplotlib.use("Agg")  # no display needed, and never pops a window
    import matplotlib.pyplot as plt

    epochs = [m.epoch for m in history]
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(10, 4.4))
    loss_axis.plot(epochs, [m.train_loss for m in history], marker="o", label="train")
    accuracy_axis.plot(epochs, [m.train_accuracy_bps / 100 for m in history], marker="o", label="train")
    evaluated = [m for m in history if m.eval_loss is not None]
    if evaluated:
        loss_axis.plot([m.epoch for m in evaluated], [m.eval_loss for m in evaluated], marker="o", label="eval")
        accuracy_axis.plot(
            [m.epoch for m in evaluated],
            [(m.eval_accuracy_bps or 0) / 100 for m in evaluated],
            marker="o",
            label="eval",
        )
    classes = len(card.get("classes") or [])
    if classes > 1:
        chance = 100 / classes
        accuracy_axis.axhline(chance, color="grey", linestyle=":", label=f"chance ({chance:.0f} %)")
    loss_axis.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    accuracy_axis.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for axis in (loss_axis, accuracy_axis):
        if epochs:  # whole epochs only, about ten ticks at most (one epoch: a single tick)
            step = max(1, -(-(epochs[-1] - epochs[0] + 1) // 10))
            axis.set_xticks(range(epochs[0], epochs[-1] + 1, step))
        if resumed_after:
            axis.axvline(resumed_after + 0.5, color="black", linestyle="--", label="resumed")
        axis.grid(alpha=0.3)
        axis.legend()
    import textwrap

    lines = [textwrap.fill(line, TITLE_CHARS) for line in curve_titles(card) if line]
    figure.suptitle("\n".join(lines), fontsize=10)
    figure.tight_layout()
    return figure


TITLE_CHARS = 110  # about what a 10-inch figure holds at 10 points: longer lines wrap, not clip


def curve_titles(card: dict[str, Any]) -> tuple[str, str]:
    """(what was trained on what, the recipe) for the figure's title, from a model card."""
    config: dict[str, Any] = card.get("config") or {}
    if not config:
        return "training curves", ""
    classes = f" classes {config['classes']}" if config.get("classes") else ""
    weights = config.get("weights", "none")
    start = "from scratch" if weights in (None, "none") else f"from {Path(str(weights)).name}"
    arch, stem, dataset = (config.get(k, "?") for k in ("arch", "stem", "dataset"))
    dataset = Path(str(dataset)).name  # a file's name; a named data set is a name already
    title = f"{arch} ({stem} stem) on {dataset}{classes}, {start}"
    keys = ("epochs", "batch_size", "lr", "schedule", "freeze", "augment", "per_class", "seed")
    recipe = ", ".join(f"{k}={config[k]}" for k in keys if config.get(k) not in (None, ""))
    return title, recipe


def _read_card(out_dir: Path) -> dict[str, Any]:
    try:
        card = json.loads((out_dir / "model.json").read_text())  # models.CARD_FILE, written first
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def plot_confusion(out_dir: str | os.PathLike[str], confusion: Sequence[Sequence[int]], classes: Sequence[str]) -> Path:
    """confusion.png: the test confusion matrix, rows the true class, with per-class accuracy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(classes)
    figure, axis = plt.subplots(figsize=(1.2 + 0.6 * k, 1.0 + 0.6 * k))
    axis.imshow(confusion, cmap="Blues")
    for row in range(k):
        for column in range(k):
            axis.text(column, row, str(confusion[row][column]), ha="center", va="center", fontsize=8)
    accuracy = [confusion[i][i] * 100 / max(1, sum(confusion[i])) for i in range(k)]
    axis.set_xticks(range(k), list(classes), rotation=45, ha="right")
    axis.set_yticks(range(k), [f"{c} ({a:.0f}%)" for c, a in zip(classes, accuracy, strict=True)])
    axis.set(xlabel="predicted", ylabel="true (per-class accuracy)", title="test confusion matrix")
    figure.tight_layout()
    path = Path(out_dir) / CONFUSION_FILE
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
