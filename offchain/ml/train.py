"""Fine-tune a torchvision classifier: the seed recipe, made fast and reproducible.

    offchain pretrain --out runs/base                                 # digits 0-4, offline
    offchain train --classes 5-9 --per-class 20 --weights runs/base --out runs/ft
    offchain train --dataset cifar10 --data-dir data --stem small --device cuda --out runs/c10

From Python (what the worker role calls):

    result = train(TrainConfig(dataset="digits", classes="5-9", per_class=20), "runs/ft")
    result.fingerprint.hex(), result.accuracy_bps

The fast path holds the whole data set as uint8 tensors on the training device, augments
whole batches there (offchain.ml.augment), and runs under bf16 autocast on CUDA with
channels_last. Each epoch ends with a checkpoint (model, optimizer, scheduler, epoch,
config, RNG states) written atomically; `train` resumes from it when the config matches.
Shuffling and augmentation draw from generators seeded by (seed, epoch, rank), so a
resumed run replays exactly the batches an uninterrupted run would have seen.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from offchain.ml import augment as aug
from offchain.ml import report
from offchain.ml.config import RESUME_FREE_KEYS, TrainConfig
from offchain.ml.data import ImageSet, load_data
from offchain.ml.errors import CheckpointError, ConfigError, DatasetError
from offchain.ml.models import (
    BaseWeights,
    build_model,
    freeze,
    load_initial_weights,
    load_model,
    parameter_groups,
    read_card,
    save_model,
)

CHECKPOINT_FILE = "checkpoint.pt"
# Measured on this project's 2-core CPU (benchmarks/ml_bench.py): bf16 autocast trains
# ResNet-18 about 30x slower there (the CPU build has no native bf16 kernels for it), and
# channels_last makes no difference beyond the noise, so the CPU defaults to fp32, NCHW.
CPU_PRECISION = "fp32"


@dataclass(frozen=True)
class EpochMetrics:
    """One epoch's numbers, as written to metrics.json."""

    epoch: int
    lr: float  # learning rate of the first group at the end of the epoch
    train_loss: float
    train_accuracy_bps: int
    eval_loss: float | None
    eval_accuracy_bps: int | None
    seconds: float  # training time of the epoch, without evaluation
    images_per_second: float


@dataclass(frozen=True)
class TrainResult:
    """What a finished run produced."""

    out_dir: Path
    fingerprint: bytes  # 32 bytes, fingerprint of model.safetensors
    accuracy_bps: int | None  # on the evaluation set after the last epoch
    loss: float | None
    epochs: list[EpochMetrics]
    card: dict[str, Any]


@dataclass(frozen=True)
class EvalResult:
    """A model's score on a data set: what validators attest."""

    accuracy_bps: int  # floor(10000 * correct / n)
    loss: float  # mean cross-entropy
    n: int


# ----------------------------------------------------------------------------- devices


def select_device(name: str, rank: int = 0) -> torch.device:
    """auto: CUDA when present, else CPU. Under DDP each rank takes cuda:rank."""
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError(
                "device 'cuda' asked for but CUDA is not available; choose from: auto, cpu"
            )
        return torch.device("cuda", rank % torch.cuda.device_count())
    return torch.device("cpu")


def autocast_dtype(config: TrainConfig, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for training, or None for plain fp32."""
    precision = config.precision
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else CPU_PRECISION
    return torch.bfloat16 if precision == "bf16" else None


def use_channels_last(config: TrainConfig, device: torch.device) -> bool:
    return device.type == "cuda" if config.channels_last is None else config.channels_last


def seed_everything(seed: int, deterministic: bool) -> None:
    """Seed Python, numpy and torch; with `deterministic`, insist on deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before cuBLAS starts
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    else:
        torch.backends.cudnn.benchmark = True


def epoch_generator(seed: int, epoch: int, rank: int, device: torch.device) -> torch.Generator:
    """The generator for one epoch's shuffling and augmentation: a pure function of its args."""
    generator = torch.Generator(device=device)
    generator.manual_seed((seed * 1_000_003 + epoch) * 1_009 + rank)
    return generator


# ----------------------------------------------------------------------------- schedule


def lr_factor(
    step: int, total_steps: int, warmup_steps: int, config: TrainConfig, steps_per_epoch: int
) -> float:
    """Factor on the base learning rates at optimizer step `step` (pure, as nanoGPT's get_lr)."""
    # 1) linear warm-up from 0 to 1
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    # 2) then the schedule, over the steps that remain
    if config.schedule == "constant":
        return 1.0
    if config.schedule == "step":
        return float(config.gamma ** (step // (config.step_epochs * steps_per_epoch)))
    # 3) cosine from 1 down to 0 at the last step
    progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


# ----------------------------------------------------------------------------- loops


def batches(n: int, batch_size: int) -> Iterator[slice]:
    """Consecutive slices of at most batch_size covering range(n)."""
    for start in range(0, n, batch_size):
        yield slice(start, min(n, start + batch_size))


def training_batches(n: int, batch_size: int) -> list[slice]:
    """Like `batches`, but a last batch of one image joins the one before: batch-norm cannot
    train on a single image once the feature map is 1x1."""
    parts = list(batches(n, batch_size))
    if len(parts) > 1 and parts[-1].stop - parts[-1].start == 1:
        parts[-2:] = [slice(parts[-2].start, parts[-1].stop)]
    return parts


def train_one_epoch(
    model: nn.Module,
    criterion: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    images: torch.Tensor,
    labels: torch.Tensor,
    epoch: int,
    config: TrainConfig,
    rank: int = 0,
    world: int = 1,
    frozen: list[nn.Module] | None = None,
    show_progress: bool = False,
) -> tuple[float, int, int, float]:
    """One pass over this rank's shard; return (loss sum, correct, images, seconds)."""
    device = images.device
    model.train()
    for module in frozen or []:
        module.eval()  # frozen batch-norm keeps its running statistics
    generator = epoch_generator(config.seed, epoch, 0, device)
    order = torch.randperm(len(labels), device=device, generator=generator)
    per_rank = len(labels) // world
    order = order[rank : per_rank * world : world]  # every rank the same number of steps
    local_batch = config.batch_size // world
    rank_generator = epoch_generator(config.seed, epoch, rank + 1, device)
    dtype = autocast_dtype(config, device)
    channels_last = use_channels_last(config, device)
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    start = time.perf_counter()
    steps = training_batches(len(order), local_batch)
    for part in _progress(steps, f"epoch {epoch + 1}", show_progress):
        index = order[part]
        x = aug.normalize(
            aug.augment(images[index], config.augmentations, rank_generator), channels_last
        )
        y = labels[index]
        with torch.autocast(device.type, dtype) if dtype else contextlib.nullcontext():
            logits = model(x)
            loss = criterion(logits, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        loss_sum += loss.detach().float() * len(y)
        correct += (logits.detach().argmax(1) == y).sum()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    return float(loss_sum), int(correct), len(order), seconds


@torch.no_grad()
def evaluate(
    model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 500
) -> EvalResult:
    """Accuracy (basis points) and mean cross-entropy, in fp32 and fixed batches: on a CPU the
    same model and data give the same numbers every time."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for part in batches(len(labels), batch_size):
        x = aug.normalize(images[part])
        logits = model(x).float()
        loss_sum += float(F.cross_entropy(logits, labels[part], reduction="sum"))
        correct += int((logits.argmax(1) == labels[part]).sum())
    n = len(labels)
    if n == 0:
        raise DatasetError("cannot evaluate on an empty data set")
    return EvalResult(accuracy_bps=correct * 10_000 // n, loss=loss_sum / n, n=n)


def _progress(items: list[slice], desc: str, show: bool) -> Any:
    if not show:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, leave=False, unit="batch", file=sys.stderr, position=1)


# ----------------------------------------------------------------------------- data


def load_training_data(config: TrainConfig) -> tuple[ImageSet, ImageSet | None]:
    """The training set and the evaluation set (or None) a config names."""
    common: dict[str, Any] = dict(
        data_dir=config.data_dir, download=config.download, image_size=config.image_size
    )
    train_set = load_data(
        config.dataset, "train", config.classes, config.per_class, seed=config.data_seed, **common
    )
    eval_source = config.eval_dataset
    if eval_source is None:  # named data sets bring a test split; files and folders do not
        if config.dataset not in ("digits", "cifar10"):
            return train_set, None
        eval_source = config.dataset
    if eval_source == "none":
        return train_set, None
    classes = config.classes if eval_source == config.dataset else None
    eval_set = load_data(eval_source, "test", classes, None, **common)
    if eval_set.classes != train_set.classes:
        raise DatasetError(
            f"evaluation classes {list(eval_set.classes)} differ from training classes "
            f"{list(train_set.classes)}"
        )
    return train_set, eval_set


def to_device(data: ImageSet, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole set as uint8 images and int64 labels on `device` (GPU memory under CUDA)."""
    images = torch.from_numpy(np.ascontiguousarray(data.images))
    labels = torch.from_numpy(np.ascontiguousarray(data.labels))
    if device.type == "cuda":
        images, labels = images.pin_memory(), labels.pin_memory()
    return images.to(device, non_blocking=True), labels.to(device, non_blocking=True)


# ----------------------------------------------------------------------------- checkpoints


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write atomically: a crash leaves either the old checkpoint or the new one."""
    temporary = path.with_name(path.name + ".tmp")
    torch.save(state, temporary)
    os.replace(temporary, path)


def load_checkpoint(path: Path, config: TrainConfig) -> dict[str, Any]:
    """Load a checkpoint made with the same config (except RESUME_FREE_KEYS)."""
    try:
        # Our own file: it holds the config dict, RNG states and numpy arrays besides tensors.
        state: dict[str, Any] = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch.load raises many types for damaged files
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    saved, wanted = state.get("config", {}), config.to_dict()
    for key in sorted(set(saved) | set(wanted)):
        if key not in RESUME_FREE_KEYS and saved.get(key) != wanted.get(key):
            raise CheckpointError(
                f"{path} was made with {key}={saved.get(key)!r}, this run has "
                f"{key}={wanted.get(key)!r}; use another output folder or delete the checkpoint"
            )
    return state


def rng_states() -> dict[str, Any]:
    states = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


# ----------------------------------------------------------------------------- the run


def train(
    config: TrainConfig,
    out_dir: str | os.PathLike[str],
    *,
    quiet: bool = True,
    on_epoch_end: Callable[[EpochMetrics], None] | None = None,
) -> TrainResult:
    """Train as `config` says and write the model folder; resume from out_dir's checkpoint.

    Writes out_dir/{model.safetensors, model.json, metrics.json, curves.png, checkpoint.pt}.
    `on_epoch_end` is called (on rank 0) after each epoch's checkpoint is safely written.
    Raises MLError subclasses for anything a user can fix.
    """
    config.validate()
    if config.nproc > 1:
        from offchain.ml.distributed import launch

        launch(config, Path(out_dir), quiet)
        return result_from_dir(Path(out_dir))
    return run(config, Path(out_dir), quiet=quiet, on_epoch_end=on_epoch_end)


def run(
    config: TrainConfig,
    out_dir: Path,
    rank: int = 0,
    world: int = 1,
    quiet: bool = True,
    on_epoch_end: Callable[[EpochMetrics], None] | None = None,
) -> TrainResult:
    """The training run of one process (`rank` of `world`); rank 0 writes every file."""
    deterministic_before = torch.are_deterministic_algorithms_enabled()
    try:
        return _run(config, out_dir, rank, world, quiet, on_epoch_end)
    finally:
        torch.use_deterministic_algorithms(deterministic_before)


def _run(
    config: TrainConfig,
    out_dir: Path,
    rank: int,
    world: int,
    quiet: bool,
    on_epoch_end: Callable[[EpochMetrics], None] | None,
) -> TrainResult:
    main_process = rank == 0
    log: Callable[[str], None] = print if main_process and not quiet else (lambda _: None)
    device = select_device(config.device, rank)
    seed_everything(config.seed, config.deterministic)
    train_set, eval_set = load_training_data(config)
    train_images, train_labels = to_device(train_set, device)
    eval_tensors = to_device(eval_set, device) if eval_set is not None else None
    if len(train_set) < world:
        raise DatasetError(
            f"{len(train_set)} training images cannot be split across {world} processes"
        )

    model = build_model(config.arch, len(train_set.classes), config.stem)
    base = load_initial_weights(model, config.weights, config.arch, config.stem, train_set.classes)
    frozen = freeze(model, config.freeze)
    model.to(device)
    if use_channels_last(config, device):
        model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    optimizer = torch.optim.SGD(
        parameter_groups(model, config.lr, config.head_lr),
        lr=config.lr,
        momentum=config.momentum,
        weight_decay=config.weight_decay,
    )
    steps_per_epoch = len(training_batches(len(train_set) // world, config.batch_size // world))
    total_steps = steps_per_epoch * config.epochs
    warmup_steps = round(config.warmup_epochs * steps_per_epoch)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, total_steps, warmup_steps, config, steps_per_epoch)
    )
    criterion = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)

    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = out_dir / CHECKPOINT_FILE
    history: list[EpochMetrics] = []
    start_epoch = 0
    if checkpoint_path.exists():
        state = load_checkpoint(checkpoint_path, config)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        set_rng_states(state["rng"])
        history = [EpochMetrics(**m) for m in state["metrics"]]
        base = BaseWeights(**state["base"])
        start_epoch = state["epoch"] + 1
        log(f"resuming {out_dir} after epoch {start_epoch}/{config.epochs}")

    train_model: nn.Module = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        train_model = DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    if config.compile:
        train_model = torch.compile(train_model)  # type: ignore[assignment]

    dtype = autocast_dtype(config, device)
    log(
        f"training {config.arch} ({config.stem} stem, weights {config.weights}) on "
        f"{len(train_set)} {config.dataset} images, {len(train_set.classes)} classes; "
        f"device {device}{' x' + str(world) if world > 1 else ''}, "
        f"{'bf16 autocast' if dtype else 'fp32'}, {config.epochs} epochs"
    )
    show_progress = not quiet and main_process and sys.stderr.isatty()
    epochs: Any = range(start_epoch, config.epochs)
    if show_progress:  # an epoch bar on stderr; the epoch lines on stdout go around it
        from tqdm import tqdm

        epochs = tqdm(epochs, desc="training", unit="epoch", file=sys.stderr, position=0)
        log = tqdm.write
    for epoch in epochs:
        loss_sum, correct, seen, seconds = train_one_epoch(
            train_model,
            criterion,
            optimizer,
            scheduler,
            train_images,
            train_labels,
            epoch,
            config,
            rank,
            world,
            frozen,
            show_progress,
        )
        if world > 1:
            loss_sum, correct, seen = _all_reduce_sums(loss_sum, correct, seen, device)
        evaluation = None
        if main_process and eval_tensors is not None:
            evaluation = evaluate(model, *eval_tensors, config.eval_batch_size)
        metrics = EpochMetrics(
            epoch=epoch + 1,
            lr=optimizer.param_groups[0]["lr"],
            train_loss=loss_sum / seen,
            train_accuracy_bps=correct * 10_000 // seen,
            eval_loss=evaluation.loss if evaluation else None,
            eval_accuracy_bps=evaluation.accuracy_bps if evaluation else None,
            seconds=seconds,
            images_per_second=seen / seconds,
        )
        history.append(metrics)
        if main_process:
            save_checkpoint(
                checkpoint_path,
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "epoch": epoch,
                    "config": config.to_dict(),
                    "rng": rng_states(),
                    "metrics": [asdict(m) for m in history],
                    "base": asdict(base),
                },
            )
            log(report.epoch_line(metrics, config.epochs))
            if on_epoch_end is not None:
                on_epoch_end(metrics)
        if world > 1:
            torch.distributed.barrier()

    if not main_process:
        return TrainResult(out_dir, b"", None, None, history, {})
    card = report.model_card(config, train_set, eval_set, base, history)
    fingerprint = save_model(model, out_dir, card)
    report.write_metrics(out_dir, history)
    report.plot_curves(out_dir, history, resumed_after=start_epoch or None)
    result = result_from_dir(out_dir)
    log(
        f"wrote {out_dir}: model.safetensors (fingerprint {fingerprint.hex()}), model.json, "
        "metrics.json, curves.png"
    )
    return result


def _all_reduce_sums(
    loss_sum: float, correct: int, seen: int, device: torch.device
) -> tuple[float, int, int]:
    totals = torch.tensor(
        [loss_sum, float(correct), float(seen)], dtype=torch.float64, device=device
    )
    torch.distributed.all_reduce(totals)
    return float(totals[0]), int(totals[1]), int(totals[2])


def result_from_dir(out_dir: Path) -> TrainResult:
    """Rebuild a TrainResult from a finished model folder."""
    card = read_card(out_dir)
    history = [EpochMetrics(**m) for m in card.get("metrics", {}).get("epochs", [])]
    last = history[-1] if history else None
    return TrainResult(
        out_dir=out_dir,
        fingerprint=bytes.fromhex(card["fingerprint"]),
        accuracy_bps=last.eval_accuracy_bps if last else None,
        loss=last.eval_loss if last else None,
        epochs=history,
        card=card,
    )


# ----------------------------------------------------------------------------- evaluation


def evaluate_model(
    model_dir: str | os.PathLike[str],
    dataset: str | ImageSet,
    device: str = "cpu",
    *,
    split: str = "test",
    classes: str | None = None,
    expected_sha256: str | None = None,
    data_dir: str = "data",
    batch_size: int = 500,
) -> EvalResult:
    """Score a model folder on a data set (a .npz artifact, a name, a folder or an ImageSet).

    What validators call. On a CPU the result is the same on every call. With
    `expected_sha256`, a `.npz` whose hash differs is refused before use.
    """
    from offchain.ml.data import load_dataset_npz

    model, card = load_model(model_dir)
    if isinstance(dataset, ImageSet):
        data = dataset
    elif expected_sha256 is not None:
        data = load_dataset_npz(dataset, expected_sha256)
    else:
        data = load_data(
            dataset, split, classes, data_dir=data_dir, image_size=card.get("image_size", 32)
        )
    if list(data.classes) != list(card["classes"]):
        raise DatasetError(
            f"data set classes {list(data.classes)} differ from the model's {card['classes']}"
        )
    torch_device = select_device(device)
    model.to(torch_device)
    with _deterministic(torch_device.type == "cpu"):
        return evaluate(model, *to_device(data, torch_device), batch_size)


@contextlib.contextmanager
def _deterministic(enabled: bool) -> Iterator[None]:
    before = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(enabled or before)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(before)


def versions() -> dict[str, str]:
    import torchvision

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
    }
