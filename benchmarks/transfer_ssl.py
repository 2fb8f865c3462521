"""Self-supervised bases for issue 23: rotation prediction (RotNet) or SimCLR on a source's images, labels unused.

    python -m benchmarks.transfer_ssl --source fashion              # Fashion-MNIST 0-4, training split
    python -m benchmarks.transfer_ssl --source fashion+mnist        # and every MNIST training digit
    python -m benchmarks.transfer_ssl --source fashion+target-rest  # CONTROL, outside the goal's rules
    python -m benchmarks.transfer_ssl --pretext simclr --source fashion   # contrastive, at the same cost
    python -m benchmarks.transfer_features --base rotation --source fashion   # its margin over random weights

Gidaris, Singh & Komodakis 2018 ("Unsupervised representation learning by predicting image
rotations"): each image is turned by 0, 90, 180 or 270 degrees and the network names the turn (a
4-way head). Here each image gets one random turn per pass, so a pass costs what a supervised epoch
costs. The network is the base's (torchvision resnet18, the default stem, offchain.ml.models),
trained with the source recipe's settings (FASHION_SOURCE_RECIPE: SGD at lr 0.05, momentum 0.9
(Nesterov's here), weight decay 5e-4, cosine after half a pass of warm-up, random crops) for 2,000
batches of 100 images whatever the source's size, then its batch-norm statistics re-estimated on
the upright source images (precise BN). SimCLR (Chen et al. 2020; SIMCLR_RECIPE) trains the same
network to match two random views of each image among the batch's others, at the same cost (half
the steps, each image seen twice). The trained base is cached under runs/cache/ by its recipe and
the hash of its images.

`fashion+target-rest` adds the target classes' (5-9) training images that lie in none of the
benchmark's tuning draws (100-102, at 5 and 20 labels a class: their labelled, validation and
unlabelled images), labels unused. It is a control only: the goal's disjoint-classes rule excludes
it; it says whether self-supervision on the target's own domain would close the gap at all.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from benchmarks.transfer_bench import LABELS_PER_CLASS, TUNE_SEEDS

if TYPE_CHECKING:
    import torch
    from torch import nn

    from offchain.ml.data import ImageSet

SOURCES = ("fashion", "fashion+mnist", "fashion+target-rest")
PRETEXTS = ("rotation", "simclr")
TURNS = 4  # 0, 90, 180 and 270 degrees, counter-clockwise
CACHE = Path("runs/cache")
# 2,000 steps of 100 images: 200,000 images, 6.7 passes over Fashion 0-4's 29,929 (604-646 CPU s on
# one thread of the project's machine); the same for every source, so the bases differ in their
# images, not their budget.
ROTATION_RECIPE: dict[str, Any] = {
    "arch": "resnet18",
    "steps": 2000,
    "batch": 100,
    "lr": 0.05,  # FASHION_SOURCE_RECIPE's
    "momentum": 0.9,
    "weight_decay": 5e-4,
    "warmup_steps": 150,  # half a pass of Fashion 0-4
    "crop_padding": 4,  # the source recipe's "crop"
    "seed": 0,
}
# SimCLR (Chen et al. 2020) at the same cost: 1,000 steps of 100 images seen twice (two views), a
# linear projection to 128 dimensions (the resnet's own head; SimCLR's hidden layer left out, so the
# base loads like any other), temperature 0.5 (SimCLR's choice for small batches).
SIMCLR_RECIPE: dict[str, Any] = {
    **ROTATION_RECIPE,
    "pretext": "simclr",
    "steps": 1000,
    "warmup_steps": 75,
    "projection": 128,
    "temperature": 0.5,
}
RECIPES = {"rotation": ROTATION_RECIPE, "simclr": SIMCLR_RECIPE}


def rotate_batch(images: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Turn each (N, C, H, W) image by a random number of quarter turns; return (turned, quarter turns).

    Label k means k turns counter-clockwise (torch.rot90 over the height and width axes)."""
    import torch

    turns = torch.randint(0, TURNS, (images.shape[0],), generator=generator)
    turned = images.clone()
    for k in range(1, TURNS):
        chosen = turns == k
        turned[chosen] = torch.rot90(images[chosen], k, dims=(2, 3))
    return turned, turns


def source_images(source: str) -> ImageSet:
    """The images a base of `source` learns from (SOURCES; labels kept for the record, never trained on)."""
    from benchmarks import transfer_bench
    from benchmarks.transfer_features import combined_source
    from offchain.ml.data import ImageSet, load_data

    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; choose from: {', '.join(SOURCES)}")
    garments = load_data("fashion-mnist", "train", "0-4")
    if source == "fashion":
        return garments
    if source == "fashion+mnist":
        return load_data(str(combined_source()))
    pool = load_data("fashion-mnist", "train", transfer_bench.TASKS["fashion"].target_classes)
    rest = target_rest(pool)
    return ImageSet(
        np.concatenate([garments.images, pool.images[rest]]),
        np.concatenate([garments.labels, pool.labels[rest] + len(garments.classes)]),
        (*garments.classes, *pool.classes),
    )


def target_rest(pool: ImageSet) -> np.ndarray:
    """Indices of `pool` (the target's training split) in none of the tuning draws, at any label count."""
    from benchmarks.transfer_bench import draw_indices

    used = [np.concatenate(draw_indices(pool, labels, seed)) for labels in LABELS_PER_CLASS for seed in TUNE_SEEDS]
    return np.setdiff1d(np.arange(len(pool)), np.concatenate(used))


def rotation_loss(model: nn.Module, batch: torch.Tensor, recipe: dict[str, Any], generator: torch.Generator) -> Any:
    """Cross-entropy of the network naming each randomly cropped, randomly turned image's quarter turns."""
    from torch.nn.functional import cross_entropy

    from offchain.ml import augment

    turned, turns = rotate_batch(augment.batch_crop(batch, recipe["crop_padding"], generator), generator)
    return cross_entropy(model(augment.normalize(turned)), turns)


def contrastive_view(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One random view of each uint8 image for SimCLR: a random resized crop (side 55-100 %), a
    left-right flip, brightness and contrast scaled by 0.6-1.4 (grey images: no colour jitter)."""
    import torch
    import torch.nn.functional as F

    from offchain.ml import augment

    n = images.shape[0]
    side = 0.55 + 0.45 * torch.rand(n, generator=generator)
    shift = (torch.rand(n, 2, generator=generator) * 2 - 1) * (1 - side)[:, None]
    zero = torch.zeros(n)
    theta = torch.stack([torch.stack([side, zero, shift[:, 0]], 1), torch.stack([zero, side, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    view = F.grid_sample(images.float(), grid, mode="bilinear", align_corners=False)
    view = augment.batch_flip_lr(view, generator)
    brightness, contrast = (0.6 + 0.8 * torch.rand(2, n, 1, 1, 1, generator=generator)).unbind(0)
    mean = view.mean(dim=(1, 2, 3), keepdim=True)
    view = (view - mean) * contrast + mean * brightness
    return view.round_().clamp_(0, 255).to(torch.uint8)


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """SimCLR's NT-Xent: each projection must pick its other view among the batch's 2N - 1 others."""
    import torch
    import torch.nn.functional as F

    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    similarity = (z @ z.T / temperature).fill_diagonal_(float("-inf"))  # never oneself
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(n)])
    return F.cross_entropy(similarity, partner)


def contrastive_loss(model: nn.Module, batch: torch.Tensor, recipe: dict[str, Any], generator: torch.Generator) -> Any:
    """NT-Xent of two random views of each image, both views in one forward pass (shared batch-norm)."""
    import torch

    from offchain.ml import augment

    views = torch.cat([contrastive_view(batch, generator), contrastive_view(batch, generator)])
    z = model(augment.normalize(views))
    return nt_xent(z[: len(batch)], z[len(batch) :], recipe["temperature"])


def train_pretext(images: torch.Tensor, recipe: dict[str, Any], log: bool = False) -> tuple[nn.Module, list[float]]:
    """A resnet trained on recipe["pretext"] (PRETEXTS) over uint8 images; return it and each pass's mean loss.

    A pass is one permutation of the images; the last may end early at recipe["steps"]."""
    import torch

    from offchain.ml.loop import precise_bn
    from offchain.ml.models import build_model

    pretext = recipe.get("pretext", "rotation")
    if pretext not in PRETEXTS:
        raise ValueError(f"unknown pretext {pretext!r}; choose from: {', '.join(PRETEXTS)}")
    batch_loss = rotation_loss if pretext == "rotation" else contrastive_loss
    torch.manual_seed(recipe["seed"])
    generator = torch.Generator().manual_seed(recipe["seed"])
    model = build_model(recipe["arch"], TURNS if pretext == "rotation" else recipe["projection"])
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=recipe["lr"],
        momentum=recipe["momentum"],
        weight_decay=recipe["weight_decay"],
        nesterov=True,
    )
    steps, warmup = recipe["steps"], recipe["warmup_steps"]

    def factor(step: int) -> float:  # linear warm-up, then cosine to 0 (offchain.ml.loop.lr_factor's shape)
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1.0 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    model.train()
    losses: list[float] = []
    step, start = 0, time.perf_counter()
    while step < steps:
        order = torch.randperm(len(images), generator=generator)
        total, seen = 0.0, 0
        for begin in range(0, len(order) - recipe["batch"] + 1, recipe["batch"]):
            if step == steps:
                break
            loss = batch_loss(model, images[order[begin : begin + recipe["batch"]]], recipe, generator)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total, seen, step = total + float(loss.detach()) * recipe["batch"], seen + recipe["batch"], step + 1
        losses.append(total / max(1, seen))
        if log:
            print(
                f"pass {len(losses)}: loss {losses[-1]:.4f}, step {step}/{steps}, {time.perf_counter() - start:.0f} s",
                flush=True,
            )
    precise_bn(model, images, 500)  # the features are read from upright, unaltered images
    model.eval()
    return model, losses


def pretext_base(source: str, pretext: str = "rotation", cache: Path = CACHE) -> tuple[Path, bool]:
    """The cached self-supervised base of `source` (trained now unless cached); (folder, was cached)."""
    import torch

    from offchain.ml.models import CARD_FILE, save_model

    recipe = RECIPES[pretext]
    data = source_images(source)
    key = hashlib.sha256(json.dumps({"recipe": recipe, "images_sha256": data.sha256()}, sort_keys=True).encode())
    folder = cache / f"{pretext}-{key.hexdigest()[:16]}"
    if (folder / CARD_FILE).is_file():
        return folder, True
    start, cpu = time.perf_counter(), time.process_time()
    model, losses = train_pretext(torch.from_numpy(data.images), recipe, log=True)
    outputs = ["0", "90", "180", "270"] if pretext == "rotation" else [f"z{i}" for i in range(recipe["projection"])]
    card = {
        "architecture": recipe["arch"],
        "stem": "imagenet",  # build_model's default: the supervised bases' stem
        "classes": outputs,
        "pretext": pretext,
        "recipe": recipe,
        "source": source,
        "source_images": len(data),
        "losses": losses,
        "seconds": round(time.perf_counter() - start, 1),
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    save_model(model, folder, card)
    return folder, False


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.transfer_ssl", description=__doc__.split("\n")[0])
    parser.add_argument("--source", choices=SOURCES, default="fashion")
    parser.add_argument("--pretext", choices=PRETEXTS, default="rotation")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    folder, cached = pretext_base(args.source, args.pretext)
    from offchain.ml.models import read_card

    card = read_card(folder)
    print(
        f"{args.pretext} base of {args.source} ({card['source_images']} images): {folder} "
        f"({'cached' if cached else 'trained'}; {card['seconds']} s wall, {card['cpu_seconds']} CPU s, "
        f"last pass's loss {card['losses'][-1]:.4f})",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
