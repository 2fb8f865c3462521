"""The fine-tuning engine: data sets, torchvision models, training, evaluation, fingerprints.

Knows nothing of Ethereum. The market roles call this stable API (see each docstring):

    from offchain.ml import TrainConfig, train, evaluate_model, fingerprint_dir
    result = train(TrainConfig.from_spec(spec), "runs/job7")          # resumes if interrupted
    score = evaluate_model("runs/job7", "eval.npz", expected_sha256=h)  # EvalResult
    model_hash = fingerprint_dir("runs/job7")                          # 32 bytes

Names are imported lazily so that `import offchain.ml` does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TrainConfig": "offchain.ml.config",
    "train": "offchain.ml.train",
    "TrainResult": "offchain.ml.train",
    "EpochMetrics": "offchain.ml.loop",
    "evaluate_model": "offchain.ml.evaluation",
    "EvalResult": "offchain.ml.evaluation",
    "ImageSet": "offchain.ml.data",
    "load_data": "offchain.ml.data",
    "load_dataset_npz": "offchain.ml.data",
    "export_dataset": "offchain.ml.data",
    "save_model": "offchain.ml.models",
    "load_model": "offchain.ml.models",
    "read_card": "offchain.ml.models",
    "fingerprint_dir": "offchain.ml.fingerprint",
    "fingerprint_file": "offchain.ml.fingerprint",
    "fingerprint_state_dict": "offchain.ml.fingerprint",
    "MLError": "offchain.ml.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'offchain.ml' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
