"""Pilot runs of candidate recipes for the transfer benchmark, the test split untouched.

    python -m benchmarks.transfer_pilot --labels 5 --seeds 100,101,102 \
        --variant 'teacher={"pseudo_teacher": "pixels"}' --variant 'own={"pseudo_teacher": "model"}'

Each variant is the workers' default recipe (transfer_bench.WORKER_RECIPE) from the base, with
the variant's keys over it, trained on one of the benchmark's draws (its labelled images,
validation split and unlabelled pool, exactly as transfer_bench draws them) and scored on
HELD_OUT images of the target task's *training* split outside that draw, beside pixel logistic
regression (C=1) on the same images. Use the tuning seeds (100-102): the test seeds' draws and
the test split stay for the benchmark. README ("Transfer") lists the pilot figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np

from benchmarks.transfer_bench import (
    DATASET,
    TARGET_CLASSES,
    WORKER_RECIPE,
    Draw,
    base_model,
    draw_indices,
    fit_neural,
)
from offchain.ml.baselines import pixel_logistic_regression
from offchain.ml.data import ImageSet, load_data

HELD_OUT = 2000


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transfer_pilot", description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=int, default=5, help="labelled images per class")
    parser.add_argument("--seeds", default="100,101,102", help="draws (the benchmark's tuning seeds)")
    parser.add_argument("--variant", action="append", default=[], help='NAME={"recipe key": value, ...}')
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    base, _ = base_model()
    pool = load_data(DATASET, "train", TARGET_CLASSES)

    def subset(index: np.ndarray, hide: bool = False) -> ImageSet:
        labels = np.zeros(len(index), dtype=np.int64) if hide else pool.labels[index]
        return ImageSet(pool.images[index], labels, pool.classes)

    for variant in args.variant or ["default={}"]:
        name, _, overrides = variant.partition("=")
        scores, baseline, cpu = [], [], []
        for seed in (int(s) for s in args.seeds.split(",")):
            labelled, validation, unlabelled = draw_indices(pool, args.labels, seed)
            rest = np.setdiff1d(np.arange(len(pool)), np.concatenate([labelled, validation, unlabelled]))
            held_out = subset(np.sort(rest[np.random.default_rng(seed + 999).permutation(len(rest))[:HELD_OUT]]))
            d = Draw(subset(labelled), subset(validation), subset(unlabelled, hide=True))
            recipe = {**WORKER_RECIPE, "weights": str(base), **json.loads(overrides or "{}"), "seed": seed}
            start = time.process_time()
            scores.append(fit_neural(recipe, d, held_out).test or 0.0)
            cpu.append(time.process_time() - start)
            baseline.append(pixel_logistic_regression(d.labelled, held_out, c=1.0))
        spread = statistics.stdev(scores) if len(scores) > 1 else 0.0
        print(
            f"{args.labels}/class {name}: held-out {statistics.mean(scores):.1f} % (sd {spread:.1f}; "
            f"{', '.join(f'{x:.1f}' for x in scores)}), pixel logistic regression {statistics.mean(baseline):.1f} %, "
            f"fit {statistics.median(cpu):.0f} CPU s median (test evaluation included)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
