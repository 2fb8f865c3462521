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

import contextlib
import dataclasses
import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from offchain.ml import report
from offchain.ml.average import WeightAverage
from offchain.ml.checkpoints import (
    CHECKPOINT_FILE,
    load_checkpoint,
    rng_states,
    save_checkpoint,
    set_rng_states,
)
from offchain.ml.config import TrainConfig
from offchain.ml.consistency import PoolTerm
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
from offchain.ml.distributed import data_parallel, launch, launched_group, torchrun_process
from offchain.ml.errors import DatasetError
from offchain.ml.evaluation import EvalResult, evaluate
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
from offchain.ml.selftrain import (
    PIXEL_WEIGHT,
    balanced_pick,
    feature_teacher,
    pixel_teacher,
    pseudo_labels,
    pseudo_set_size,
    segment_factor,
    with_pseudo_labels,
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
        if config.val_dataset is not None:
            validation = load_data(config.val_dataset, "test", config.classes, **common)
            if validation.classes != train_set.classes:
                raise DatasetError(
                    f"validation classes {list(validation.classes)} differ from training classes "
                    f"{list(train_set.classes)}"
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
        return main(config, out_dir, rank, world, quiet, on_epoch_end, rank if local_rank is None else local_rank)
    finally:
        torch.use_deterministic_algorithms(deterministic_before)


@dataclass
class Run:
    """What one process's epochs share: the model, its optimisation, and what the epochs produced."""

    config: TrainConfig
    device: torch.device
    model: nn.Module  # the bare module: evaluated, checkpointed and saved
    train_model: nn.Module  # what the steps call: `model`, wrapped in DDP and/or torch.compile
    frozen: list[nn.Module]
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    criterion: nn.Module
    base: BaseWeights
    classes: int
    history: list[EpochMetrics] = field(default_factory=list)
    best: dict[str, Any] | None = None  # the best validation epoch: epoch, accuracy_bps, loss, model
    last_evaluation: EvalResult | None = None  # of this process's latest evaluated epoch
    pseudo: dict[str, Any] | None = None  # the self-training round's labels: round, index (into the pool), labels
    average: WeightAverage | None = None  # with config.ema: what is evaluated, kept and submitted
    start_epoch: int = 0

    @property
    def channels_last(self) -> bool:
        return use_channels_last(self.config, self.device)


def main(
    config: TrainConfig,
    out_dir: Path,
    rank: int,
    world: int,
    quiet: bool,
    on_epoch_end: Callable[[EpochMetrics], None] | None,
    local_rank: int,
) -> TrainResult:
    """torchvision's `main`: data, model, resume, then `train_one_epoch` and `evaluate` per epoch."""
    main_process = rank == 0
    log: Callable[[str], None] = print if main_process and not quiet else (lambda _: None)
    device = select_device(config.device, local_rank)
    seed_everything(config.seed, config.deterministic)
    train_set, validation, eval_set = load_training_data(config)
    if len(train_set) < world:
        raise DatasetError(f"{len(train_set)} training images cannot be split across {world} processes")
    train_images, train_labels = to_device(train_set, device)
    # Epochs report the validation split when there is one (and the best of them is kept); the
    # test set is then scored once, at the end. Without one, epochs report the test set.
    epoch_set = validation if validation is not None else eval_set
    epoch_tensors = to_device(epoch_set, device) if epoch_set is not None else None
    pool_images = unlabelled_images(config, train_set, device)

    state = build_run(config, train_set, device, world, len(pool_images))
    out_dir.mkdir(parents=True, exist_ok=True)
    here = environment(device)
    resume(state, out_dir / CHECKPOINT_FILE, here, log if main_process else None)
    state.train_model = distribute_and_compile(state.model, config, device, world)
    log(
        f"training {config.arch} ({config.stem} stem, weights {config.weights}) on "
        f"{len(train_set)} {config.dataset} images, {len(train_set.classes)} classes; "
        f"device {device}{' x' + str(world) if world > 1 else ''}, "
        f"{'bf16 autocast' if autocast_dtype(config, device) else 'fp32'}, {config.epochs} epochs"
        + (
            f", then {config.self_training_rounds} self-training round(s) on {len(pool_images)} unlabelled images"
            if config.self_training_rounds
            else ""
        )
    )
    show_progress = not quiet and main_process and sys.stderr.isatty()
    epochs: Any = range(state.start_epoch, config.total_epochs)
    if show_progress:  # an epoch bar on stderr; the epoch lines on stdout go around it
        from tqdm import tqdm

        epochs = tqdm(epochs, desc="training", unit="epoch", file=sys.stderr, position=0)
        log = tqdm.write
    consistency = config.consistency_settings if config.self_training_rounds else None
    for epoch in epochs:
        images, labels, epoch_config = epoch_data(state, epoch, train_images, train_labels, pool_images)
        pool_term = PoolTerm(pool_images, consistency) if consistency and epoch >= config.epochs else None
        loss_sum, correct, seen, seconds = train_one_epoch(
            state.train_model,
            state.criterion,
            state.optimizer,
            state.scheduler,
            images,
            labels,
            epoch,
            epoch_config,
            rank,
            world,
            state.frozen,
            show_progress,
            (lambda: average.update(state.model)) if (average := state.average) is not None else None,
            pool_term,
        )
        if world > 1:
            loss_sum, correct, seen = all_reduce_sums(loss_sum, correct, seen, device)
        with swapped_average(state):  # with config.ema the average is evaluated and kept
            evaluation = end_of_epoch(state, epoch, images, epoch_config, epoch_tensors if main_process else None)
            if main_process:
                keep_best(state, epoch, evaluation, validation is not None)
        metrics = EpochMetrics(
            epoch=epoch + 1,
            lr=state.optimizer.param_groups[0]["lr"],
            train_loss=loss_sum / seen,
            train_accuracy_bps=correct * 10_000 // seen,
            eval_loss=evaluation.loss if evaluation else None,
            eval_accuracy_bps=evaluation.accuracy_bps if evaluation else None,
            seconds=seconds,
            images_per_second=seen / seconds,
            pool_kept_bps=pool_term.kept * 10_000 // pool_term.seen if pool_term else None,
        )
        state.history.append(metrics)
        state.last_evaluation = evaluation or state.last_evaluation
        if main_process:
            if epoch + 1 == config.total_epochs or (epoch + 1) % config.checkpoint_every == 0:
                save_checkpoint(out_dir / CHECKPOINT_FILE, checkpoint_state(state, epoch, here))
            log(report.epoch_line(metrics, config.total_epochs))
            if on_epoch_end is not None:
                on_epoch_end(metrics)
        if world > 1:
            torch.distributed.barrier()
    if not main_process:
        return TrainResult(out_dir, b"", None, None, state.history, {})
    return finish(state, out_dir, train_set, train_images, validation, eval_set, here, log)


def unlabelled_images(config: TrainConfig, train_set: ImageSet, device: torch.device) -> torch.Tensor:
    """The requester's unlabelled images on the device (none without self-training)."""
    if not config.self_training_rounds or config.unlabelled_dataset is None:
        return torch.empty((0, 3, train_set.image_size, train_set.image_size), dtype=torch.uint8, device=device)
    pool = load_data(config.unlabelled_dataset, "train", image_size=config.image_size)
    if pool.image_size != train_set.image_size:
        raise DatasetError(
            f"unlabelled images are {pool.image_size}x{pool.image_size}, "
            f"training images {train_set.image_size}x{train_set.image_size}"
        )
    return to_device(pool, device)[0]


def epoch_data(
    state: Run, epoch: int, train_images: torch.Tensor, train_labels: torch.Tensor, pool_images: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, TrainConfig]:
    """What epoch `epoch` trains on: the labelled images, or in a self-training round those and
    the round's pseudo-labelled images (labelled at the round's first epoch, offchain.ml.selftrain)."""
    config = state.config
    if epoch < config.epochs:
        return train_images, train_labels, config
    round_ = (epoch - config.epochs) // config.pseudo_epochs
    if state.pseudo is None or state.pseudo["round"] != round_:
        if state.best is not None:  # the best model so far labels the pool, and training goes on from it
            state.model.load_state_dict(state.best["model"])
            state.optimizer.state.clear()  # its momentum belonged to the weights left behind
            if state.average is not None:
                state.average.reset(state.model)
        if round_ == 0 and config.pseudo_teacher == "pixels":
            teacher = pixel_teacher(train_images, train_labels, pool_images, state.classes)
            index, labels = balanced_pick(teacher, config.pseudo_per_class)
        elif round_ == 0 and config.pseudo_teacher in ("features", "base", "base-features"):
            teacher = feature_teacher(
                state.model if config.pseudo_teacher == "features" else initial_network(config, state),
                train_images,
                train_labels,
                pool_images,
                state.classes,
                config.eval_batch_size,
                state.channels_last,
                pixel_weight=0.0 if config.pseudo_teacher == "base-features" else PIXEL_WEIGHT,
            )
            index, labels = balanced_pick(teacher, config.pseudo_per_class)
        else:
            index, labels = pseudo_labels(
                state.model,
                pool_images,
                config.pseudo_per_class,
                state.classes,
                config.eval_batch_size,
                state.channels_last,
            )
        state.pseudo = {"round": round_, "index": index.cpu(), "labels": labels.cpu()}
    index, labels = (state.pseudo[k].to(train_images.device) for k in ("index", "labels"))
    images, targets = with_pseudo_labels(train_images, train_labels, pool_images[index], labels)
    return images, targets, dataclasses.replace(config, batch_size=config.pseudo_batch_size)


def initial_network(config: TrainConfig, state: Run) -> nn.Module:
    """The network as `config.weights` gives it, before `reinit` and training (the "base" teacher's features)."""
    with torch.random.fork_rng(devices=[]):  # its fresh head must not move the run's random stream
        model = build_model(config.arch, state.classes, config.stem)
        # the head is never used (early features only), so the class names only need the right count
        load_initial_weights(model, config.weights, config.arch, config.stem, [str(c) for c in range(state.classes)])
    return model.to(state.device)


def build_run(config: TrainConfig, train_set: ImageSet, device: torch.device, world: int, pool_size: int = 0) -> Run:
    """The model (initial weights, frozen blocks, fast convolutions), its optimizer and schedule."""
    model = build_model(config.arch, len(train_set.classes), config.stem)
    base = load_initial_weights(model, config.weights, config.arch, config.stem, train_set.classes, config.reinit)
    frozen = freeze(model, config.freeze)
    if config.centre_tap:
        make_centre_tap(model)
    model.to(device)
    if use_channels_last(config, device):
        model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    sgd = "fused" if config.sgd == "auto" else config.sgd
    optimizer = torch.optim.SGD(
        parameter_groups(
            model, config.lr, config.head_lr, config.weight_decay, config.decay_bn_and_bias, config.early_lr
        ),
        lr=config.lr,
        momentum=config.momentum,
        weight_decay=config.weight_decay,
        foreach=sgd == "foreach",
        fused=sgd == "fused" or None,
    )
    # The labelled epochs, then each self-training round, on a schedule of its own.
    classes = len(train_set.classes)
    steps_per_epoch = len(training_batches(len(train_set) // world, config.batch_size // world))
    segments = [(steps_per_epoch * config.epochs, round(config.warmup_epochs * steps_per_epoch), steps_per_epoch)]
    if config.self_training_rounds:
        size = pseudo_set_size(config, len(train_set), classes, pool_size)
        pseudo_steps = len(training_batches(size // world, config.pseudo_batch_size // world))
        segments += [(pseudo_steps * config.pseudo_epochs, 0, pseudo_steps)] * config.self_training_rounds
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: segment_factor(
            step, segments, lambda local, steps, warmup, per_epoch: lr_factor(local, steps, warmup, config, per_epoch)
        ),
    )
    criterion = nn.CrossEntropyLoss(label_smoothing=config.label_smoothing)
    state = Run(config, device, model, model, frozen, optimizer, scheduler, criterion, base, classes)
    state.average = WeightAverage(model, config.ema) if config.ema else None
    return state


def resume(state: Run, checkpoint_path: Path, here: dict[str, Any], log: Callable[[str], None] | None) -> None:
    """Continue from `checkpoint_path` if it exists (same config: load_checkpoint checks it)."""
    if not checkpoint_path.exists():
        return
    saved = load_checkpoint(checkpoint_path, state.config)
    state.model.load_state_dict(saved["model"])
    state.optimizer.load_state_dict(saved["optimizer"])
    state.scheduler.load_state_dict(saved["scheduler"])
    set_rng_states(saved["rng"], state.device)
    state.history = [EpochMetrics(**m) for m in saved["metrics"]]
    state.base = BaseWeights(**saved["base"])
    state.best = saved.get("best")
    state.pseudo = saved.get("pseudo")
    if state.average is not None:
        state.average.load_state_dict(saved["average"])
    state.start_epoch = saved["epoch"] + 1
    if log is None:
        return
    log(f"resuming {checkpoint_path.parent} after epoch {state.start_epoch}/{state.config.total_epochs}")
    changed = environment_differences(saved.get("environment", {}), here)
    if changed:
        warnings.warn(
            f"resuming {checkpoint_path.parent} in another environment ({'; '.join(changed)}): "
            "the run continues but is no longer bit-identical to an uninterrupted one",
            stacklevel=3,
        )


def distribute_and_compile(model: nn.Module, config: TrainConfig, device: torch.device, world: int) -> nn.Module:
    """What the training steps call: DDP (with SyncBatchNorm on GPUs) and/or torch.compile around `model`."""
    train_model = data_parallel(model, device) if world > 1 else model
    if config.compile:
        train_model = torch.compile(train_model)  # type: ignore[assignment]
    return train_model


def end_of_epoch(
    state: Run,
    epoch: int,
    images: torch.Tensor,
    epoch_config: TrainConfig,
    epoch_tensors: tuple[torch.Tensor, torch.Tensor] | None,
) -> EvalResult | None:
    """Precise BN on the epoch's images (every rank) and the epoch's evaluation (None on ranks
    other than 0 and between eval_every)."""
    config = state.config
    if not (epoch + 1 == config.total_epochs or (epoch + 1) % config.eval_every == 0):
        return None
    if config.precise_bn:
        precise_bn(state.model, images, epoch_config.batch_size, state.channels_last)
    if epoch_tensors is None:
        return None
    return evaluate(state.model, *epoch_tensors, config.eval_batch_size, state.channels_last)


def swapped_average(state: Run) -> contextlib.AbstractContextManager[None]:
    """The weights' moving average in the model for the block (config.ema), or the model as it is."""
    return state.average.swapped_in(state.model) if state.average is not None else contextlib.nullcontext()


def keep_best(state: Run, epoch: int, evaluation: EvalResult | None, on_validation: bool) -> None:
    """Remember this epoch's weights if they are the best on validation so far (accuracy, then loss).

    Only a validation split chooses: an epoch chosen on the test set would make its score a biased claim.
    """
    if not (on_validation and state.config.best_epoch and evaluation is not None):
        return
    best = state.best
    if best is None or (evaluation.accuracy_bps, -evaluation.loss) > (best["accuracy_bps"], -best["loss"]):
        weights = {n: t.detach().to("cpu", copy=True) for n, t in state.model.state_dict().items()}
        state.best = {"epoch": epoch + 1, "accuracy_bps": evaluation.accuracy_bps, "loss": evaluation.loss}
        state.best["model"] = weights


def checkpoint_state(state: Run, epoch: int, here: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": state.model.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "scheduler": state.scheduler.state_dict(),
        "epoch": epoch,
        "config": state.config.to_dict(),
        "rng": rng_states(state.device),
        "metrics": [asdict(m) for m in state.history],
        "base": asdict(state.base),
        "best": state.best,
        "pseudo": state.pseudo,
        "average": state.average.state_dict() if state.average is not None else None,
        "environment": here,
    }


def finish(
    state: Run,
    out_dir: Path,
    train_set: ImageSet,
    train_images: torch.Tensor,
    validation: ImageSet | None,
    eval_set: ImageSet | None,
    here: dict[str, Any],
    log: Callable[[str], None],
) -> TrainResult:
    """Rank 0: submit the best validation epoch (or the last), score it on the test set once, write the folder."""
    config, model = state.config, state.model
    final = state.last_evaluation if validation is None else None  # without validation, epochs scored the test set
    if state.best is not None:
        model.load_state_dict(state.best["model"])  # its precise-BN statistics included
    elif state.average is not None:  # without a validation split the last average is submitted
        model.load_state_dict(state.average.tensors, strict=False)
    if final is None and eval_set is not None:
        if config.precise_bn and state.best is None:
            precise_bn(model, train_images, config.batch_size, state.channels_last)
        final = evaluate(model, *to_device(eval_set, state.device), config.eval_batch_size, state.channels_last)
    card = report.model_card(config, train_set, eval_set, state.base, state.history, here, validation, final)
    if state.best is not None:
        card["selected_epoch"] = {k: state.best[k] for k in ("epoch", "accuracy_bps", "loss")}
    fingerprint = save_model(model, out_dir, card)
    report.write_metrics(out_dir, state.history)
    report.plot_curves(out_dir, state.history, resumed_after=state.start_epoch or None)
    if final is not None:
        report.plot_confusion(out_dir, final.confusion, train_set.classes)
    log(f"wrote {out_dir}: model.safetensors (fingerprint {fingerprint.hex()}), model.json, metrics.json, curves.png")
    return result_from_dir(out_dir)


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
