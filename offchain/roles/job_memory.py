"""Whether a job's run fits this machine's memory: its data sets as their archives declare
them, and its largest training step or evaluation batch as its recipe's model measures them
(offchain.ml.memory)."""

from __future__ import annotations

from pathlib import Path

from offchain.ml.config import TrainConfig
from offchain.ml.memory import DATA_COPIES, eval_bytes, largest_batch, step_bytes, teacher_bytes, unpacked_bytes


def job_memory_bytes(
    config: TrainConfig, train_path: Path, unlabelled_path: Path | None, stop_above: int | None = None
) -> int:
    """What a run of `config` on these data sets holds at its largest moment: the data, and its
    largest training step, evaluation batch (every evaluation, and the pool's pseudo-labelling,
    runs `eval_batch_size` images at once) or self-training teacher. When the data alone unpack to more than
    `stop_above`, that is returned before anything is loaded."""
    from offchain.ml.data import load_dataset_npz

    paths = [train_path] if unlabelled_path is None else [train_path, unlabelled_path]
    data = DATA_COPIES * sum(unpacked_bytes(path) for path in paths)
    if stop_above is not None and data > stop_above:
        return data
    train = load_dataset_npz(train_path)
    unlabelled = 0 if unlabelled_path is None else len(load_dataset_npz(unlabelled_path))
    side, classes = train.image_size, len(train.classes)
    evaluated = min(config.eval_batch_size, max(len(train), unlabelled))
    return data + max(
        step_bytes(config, side, classes, largest_batch(config, len(train), unlabelled)),
        eval_bytes(config, side, classes, evaluated),
        teacher_bytes(config, len(train) + unlabelled, train.images[0].nbytes) if unlabelled else 0,
    )
