"""How well do the pseudo-label teachers label a pilot draw's pool? Their labels against the withheld ones.

    python -m benchmarks.transfer_teachers --task mnist --labels 20
    python -m benchmarks.transfer_teachers --task fashion --large-base --labels 5

For each of the benchmark's tuning draws (transfer_bench.draw_indices, as transfer_pilot uses them),
the pixel teacher, the base's feature teacher (offchain.ml.selftrain; the base as loaded, as the
`pseudo_teacher: "base"` recipe reads it), the base's features alone (`"base-features"`) and, the
scratch arm's teacher under that recipe, a network's features from random weights alone, label the
draw's 1,000 unlabelled images; printed: the share they get right. README ("Transfer") quotes it.
Only the pool's labels are read, never the test split.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transfer_teachers", description=__doc__.split("\n")[0])
    parser.add_argument("--labels", type=int, default=5, help="labelled images per class")
    parser.add_argument("--seeds", default="100,101,102", help="draws (the benchmark's tuning seeds)")
    parser.add_argument("--task", choices=("fashion", "mnist"), default="mnist")
    parser.add_argument("--large-base", action="store_true", help="Fashion's base on all 29,929 source images")
    args = parser.parse_args(argv)
    if args.large_base and args.task != "fashion":
        parser.error("--large-base is Fashion-MNIST's larger base: use it with --task fashion")
    import torch

    from benchmarks import transfer_bench
    from offchain.ml.config import FASHION_LARGE_SOURCE_RECIPE
    from offchain.ml.data import load_data
    from offchain.ml.models import build_model, load_model
    from offchain.ml.selftrain import feature_teacher, pixel_teacher

    torch.set_num_threads(1)
    task = transfer_bench.TASK = transfer_bench.TASKS[args.task]
    transfer_bench.BASE_RECIPE = FASHION_LARGE_SOURCE_RECIPE if args.large_base else task.base_recipe
    base, _ = transfer_bench.base_model()
    model, _ = load_model(base)
    pool = load_data(task.dataset, "train", task.target_classes)
    classes = len(pool.classes)
    torch.manual_seed(0)  # the scratch arm's teacher: a network's features from random weights
    random_weights = build_model("resnet18", classes)
    for seed in (int(s) for s in args.seeds.split(",")):
        labelled, _, unlabelled = transfer_bench.draw_indices(pool, args.labels, seed)
        x, y = torch.from_numpy(pool.images[labelled]), torch.from_numpy(pool.labels[labelled])
        u, truth = torch.from_numpy(pool.images[unlabelled]), pool.labels[unlabelled]
        by_pixels = pixel_teacher(x, y, u, classes).argmax(1).numpy()
        by_features = feature_teacher(model, x, y, u, classes).argmax(1).numpy()
        alone = feature_teacher(model, x, y, u, classes, pixel_weight=0.0).argmax(1).numpy()
        random_alone = feature_teacher(random_weights, x, y, u, classes, pixel_weight=0.0).argmax(1).numpy()
        print(
            f"{args.labels}/class draw {seed}: pool labelled right by the pixel teacher "
            f"{100 * np.mean(by_pixels == truth):.1f} %, by the base's feature teacher "
            f"{100 * np.mean(by_features == truth):.1f} %, by the base's features alone "
            f"{100 * np.mean(alone == truth):.1f} %, by random weights' features alone "
            f"{100 * np.mean(random_alone == truth):.1f} %",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
