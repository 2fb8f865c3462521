"""Whether a job's run fits this machine's memory: its data sets as their archives declare
them, and its largest training step as its recipe's model measures it (offchain.ml.memory)."""

from __future__ import annotations

from pathlib import Path

from offchain.ml.config import TrainConfig
from offchain.ml.memory import DATA_COPIES, largest_batch, measure_step_memory, unpacked_bytes


def job_memory_bytes(
    config: TrainConfig, train_path: Path, unlabelled_path: Path | None, stop_above: int | None = None
) -> int:
    """What a run of `config` on these data sets holds at its largest step: the data, the
    model's fixed part and the step's saved tensors. When the data alone unpack to more than
    `stop_above`, that is returned before anything is loaded."""
    from offchain.ml.data import load_dataset_npz

    paths = [train_path] if unlabelled_path is None else [train_path, unlabelled_path]
    data = DATA_COPIES * sum(unpacked_bytes(path) for path in paths)
    if stop_above is not None and data > stop_above:
        return data
    train = load_dataset_npz(train_path)
    unlabelled = 0 if unlabelled_path is None else len(load_dataset_npz(unlabelled_path))
    step = measure_step_memory(config, train.image_size, len(train.classes))
    return data + step.step_bytes(largest_batch(config, len(train), unlabelled))
