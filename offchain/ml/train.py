"""Fine-tune a torchvision classifier: the seed recipe, made fast and reproducible.

    offchain pretrain --out runs/base                                 # digits 0-4, offline
    offchain train --classes 5-9 --per-class 20 --weights runs/base --out runs/ft
    offchain train --dataset cifar10 --data-dir data --stem small --device cuda --out runs/c10

From Python (what the worker role calls):

    result = train(TrainConfig(dataset="digits", classes="5-9", per_class=20), "runs/ft")
    result.fingerprint.hex(), result.accuracy_bps

This module is the run (torchvision's `main`): it builds the model, optimizer and schedule,
resumes from the checkpoint, calls `train_one_epoch` (offchain.ml.loop) per epoch, evaluates
(offchain.ml.evaluation), checkpoints (offchain.ml.checkpoints) and writes the model folder.
Devices and precision live in offchain.ml.devices. The fast path holds the whole data set as
uint8 tensors on the training device, augments whole batches there (offchain.ml.augment),
and runs under bf16 autocast on CUDA with channels_last.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from offchain.ml import report
from offchain.ml.checkpoints import (
    CHECKPOINT_FILE,
    load_checkpoint,
    rng_states,
    save_checkpoint,
    set_rng_states,
)
from offchain.ml.config import TrainConfig
from offchain.ml.data import NAMED_DATASETS, ImageSet, load_data, select, split_validation
from offchain.ml.devices import (
    autocast_dtype,
    environment,
    environment_differences,
    seed_everything,
    select_device,
    to_device,
    use_channels_last,
)
from offchain.ml.distributed import launch, launched_group, torchrun_process
from offchain.ml.errors import DatasetError
from offchain.ml.evaluation import evaluate
from offchain.ml.fastconv import make_centre_tap
from offchain.ml.loop import (
    EpochMetrics,
    all_reduce_sums,
    lr_factor,
    precise_bn,
    train_one_epoch,
    training_batches,
)
from offchain.ml.models import (
    BaseWeights,
    build_model,
    freeze,
    load_initial_weights,
    parameter_groups,
    read_card,
    save_model,
)


@dataclass(frozen=True)
class TrainResult:
    """What a finished run produced."""

    out_dir: Path
    fingerprint: bytes  # 32 bytes, fingerprint of model.safetensors
    accuracy_bps: int | None  # on the evaluation set after the last epoch
    loss: float | None
    epochs: list[EpochMetrics]
    card: dict[str, Any]


# ----------------------------------------------------------------------------- data


def load_training_data(config: TrainConfig) -> tuple[ImageSet, ImageSet | None, ImageSet | None]:
    """The training set, the validation set (or None) and the evaluation set (or None) a config names."""
    common: dict[str, Any] = dict(data_dir=config.data_dir, download=config.download, image_size=config.image_size)
    validation = None
    if config.val_per_class is None:
        train_set = load_data(
            config.dataset, "train", config.classes, config.per_class, seed=config.data_seed, **common
        )
    else:
        pool = load_data(config.dataset, "train", config.classes, **common)
        pool, validation = split_validation(pool, config.val_per_class, config.data_seed)
        train_set = select(pool, None, config.per_class, config.data_seed)
    return train_set, validation, _evaluation_set(config, train_set, common)


def _evaluation_set(config: TrainConfig, train_set: ImageSet, common: dict[str, Any]) -> ImageSet | None:
    eval_source = config.eval_dataset
    if eval_source is None:  # named data sets bring a test split; files and folders do not
        if config.dataset not in NAMED_DATASETS:
            return None
        eval_source = config.dataset
    if eval_source == "none":
        return None
    classes = config.classes if eval_source == config.dataset else None
    eval_set = load_data(eval_source, "test", classes, None, **common)
    if eval_set.classes != train_set.classes:
        raise DatasetError(
            f"evaluation classes {list(eval_set.classes)} differ from training classes {list(train_set.classes)}"
        )
    return eval_set


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
    `on_epoch_end` is called (on rank 0) after each epoch, once its checkpoint (if it writes one) is safe.
    Raises MLError subclasses for anything a user can fix.
    """
    config.validate()
    launched = torchrun_process(config)  # started by torchrun: RANK, LOCAL_RANK, WORLD_SIZE
    if launched is not None:
        rank, local_rank, world = launched
        with launched_group(config, rank, world):
            return run(config, Path(out_dir), rank, world, quiet, on_epoch_end, local_rank=local_rank)
    if config.nproc > 1:
        launch(run, config, Path(out_dir), quiet)
        return result_from_dir(Path(out_dir))
    return run(config, Path(out_dir), quiet=quiet, on_epoch_end=on_epoch_end)


def run(
    config: TrainConfig,
    out_dir: Path,
    rank: int = 0,
    world: int = 1,
    quiet: bool = True,
    on_epoch_end: Callable[[EpochMetrics], None] | None = None,
    local_rank: int | None = None,
) -> TrainResult:
    """The training run of one process (`rank` of `world`); rank 0 writes every file.

    `local_rank` (default: `rank`) picks the GPU on this machine."""
    deterministic_before = torch.are_deterministic_algorithms_enabled()
    try:
        return _run(config, out_dir, rank, world, quiet, on_epoch_end, rank if local_rank is None else local_rank)
    finally:
        torch.use_deterministic_algorithms(deterministic_before)


def _run(
    config: TrainConfig,
    out_dir: Path,
    rank: int,
    world: int,
    quiet: bool,
    on_epoch_end: Callable[[EpochMetrics], None] | None,
    local_rank: int,
) -> TrainResult:
    main_process = rank == 0
    log: Callable[[str], None] = print if main_process and not quiet else (lambda _: None)
    device = select_device(config.device, local_rank)
    channels_last = use_channels_last(config, device)
    seed_everything(config.seed, config.deterministic)
    train_set, validation, eval_set = load_training_data(config)
    train_images, train_labels = to_device(train_set, device)
    # Epochs report the validation split when there is one; the test set is then scored once, at the end.
    epoch_set = validation if validation is not None else eval_set
    eval_tensors = to_device(epoch_set, device) if epoch_set is not None else None
    if len(train_set) < world:
        raise DatasetError(f"{len(train_set)} training images cannot be split across {world} processes")

    model = build_model(config.arch, len(train_set.classes), config.stem)
    base = load_initial_weights(model, config.weights, config.arch, config.stem, train_set.classes)
    frozen = freeze(model, config.freeze)
    if config.centre_tap:
        make_centre_tap(model)
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    sgd = "fused" if config.sgd == "auto" else config.sgd
    optimizer = torch.optim.SGD(
        parameter_groups(model, config.lr, config.head_lr, config.weight_decay, config.decay_bn_and_bias),
        lr=config.lr,
        momentum=config.momentum,
        weight_decay=config.weight_decay,
        foreach=sgd == "foreach",
        fused=sgd == "fused" or None,
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
    last_evaluation = None
    start_epoch = 0
    here = environment(device)
    if checkpoint_path.exists():
        state = load_checkpoint(checkpoint_path, config)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        set_rng_states(state["rng"], device)
        history = [EpochMetrics(**m) for m in state["metrics"]]
        base = BaseWeights(**state["base"])
        start_epoch = state["epoch"] + 1
        log(f"resuming {out_dir} after epoch {start_epoch}/{config.epochs}")
        changed = environment_differences(state.get("environment", {}), here)
        if changed and main_process:
            warnings.warn(
                f"resuming {out_dir} in another environment ({'; '.join(changed)}): "
                "the run continues but is no longer bit-identical to an uninterrupted one",
                stacklevel=2,
            )

    train_model: nn.Module = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        train_model = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
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
            loss_sum, correct, seen = all_reduce_sums(loss_sum, correct, seen, device)
        last = epoch + 1 == config.epochs
        if config.precise_bn and (last or (epoch + 1) % config.eval_every == 0):
            precise_bn(model, train_images, config.batch_size, channels_last)
        evaluation = None
        if main_process and eval_tensors is not None and (last or (epoch + 1) % config.eval_every == 0):
            evaluation = last_evaluation = evaluate(model, *eval_tensors, config.eval_batch_size, channels_last)
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
        if main_process and (last or (epoch + 1) % config.checkpoint_every == 0):
            save_checkpoint(
                checkpoint_path,
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "epoch": epoch,
                    "config": config.to_dict(),
                    "rng": rng_states(device),
                    "metrics": [asdict(m) for m in history],
                    "base": asdict(base),
                    "environment": here,
                },
            )
        if main_process:
            log(report.epoch_line(metrics, config.epochs))
            if on_epoch_end is not None:
                on_epoch_end(metrics)
        if world > 1:
            torch.distributed.barrier()

    if not main_process:
        return TrainResult(out_dir, b"", None, None, history, {})
    final = last_evaluation if validation is None else None  # without validation, epochs scored the test set
    if final is None and eval_set is not None:
        if config.precise_bn:
            precise_bn(model, train_images, config.batch_size, channels_last)
        final = evaluate(model, *to_device(eval_set, device), config.eval_batch_size, channels_last)
    card = report.model_card(config, train_set, eval_set, base, history, here, validation, final)
    fingerprint = save_model(model, out_dir, card)
    report.write_metrics(out_dir, history)
    report.plot_curves(out_dir, history, resumed_after=start_epoch or None)
    if final is not None:
        report.plot_confusion(out_dir, final.confusion, train_set.classes)
    result = result_from_dir(out_dir)
    log(f"wrote {out_dir}: model.safetensors (fingerprint {fingerprint.hex()}), model.json, metrics.json, curves.png")
    return result


def result_from_dir(out_dir: Path) -> TrainResult:
    """Rebuild a TrainResult from a finished model folder."""
    card = read_card(out_dir)
    history = [EpochMetrics(**m) for m in card.get("metrics", {}).get("epochs", [])]
    last = history[-1] if history else None
    test = card.get("metrics", {}).get("test") or {}
    return TrainResult(
        out_dir=out_dir,
        fingerprint=bytes.fromhex(card["fingerprint"]),
        accuracy_bps=test.get("accuracy_bps", last.eval_accuracy_bps if last else None),
        loss=test.get("loss", last.eval_loss if last else None),
        epochs=history,
        card=card,
    )
