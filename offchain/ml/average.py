"""A moving average of a model's weights (Polyak averaging; the "mean teacher" of Tarvainen and
Valpola 2017), the model a run evaluates, keeps and submits when TrainConfig.ema > 0.

    average = WeightAverage(model, decay=0.99)
    ...  # after every optimizer step:
    average.update(model)
    with average.swapped_in(model):   # evaluate or save the average; the raw weights come back
        evaluate(model, ...)

Noisy pseudo-labels move the raw weights from step to step; their average moves less. The decay
is warmed up as timm's ModelEmaV2 and Mean Teacher do, min(decay, (1 + n) / (10 + n)) at the
n-th update, so the first steps' weights do not linger. Integer buffers (batch-norm's step
counters) follow the raw model. Everything is a pure function of the updates: a resumed run,
given `state_dict()`, averages exactly as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn


class WeightAverage:
    """The exponential moving average of every floating-point tensor of a model's state dict."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0 < decay < 1:
            raise ValueError(f"decay must lie in (0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.tensors = {n: t.detach().clone() for n, t in model.state_dict().items() if t.is_floating_point()}

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards the model's current weights."""
        decay = min(self.decay, (1 + self.updates) / (10 + self.updates))
        current = model.state_dict()
        for name, average in self.tensors.items():
            average.lerp_(current[name].detach(), 1 - decay)
        self.updates += 1

    def reset(self, model: nn.Module) -> None:
        """Start the average again from the model's weights (a self-training round restarts from the best epoch)."""
        self.tensors = {n: t.detach().clone() for n, t in model.state_dict().items() if t.is_floating_point()}

    @contextlib.contextmanager
    def swapped_in(self, model: nn.Module) -> Iterator[None]:
        """Inside the block the model holds the average; after it, its own weights again."""
        raw = {n: t.detach().clone() for n, t in model.state_dict().items() if n in self.tensors}
        model.load_state_dict(self.tensors, strict=False)
        try:
            yield
        finally:
            model.load_state_dict(raw, strict=False)

    def state_dict(self) -> dict[str, Any]:
        return {"decay": self.decay, "updates": self.updates, "tensors": self.tensors}

    def load_state_dict(self, saved: dict[str, Any]) -> None:
        self.decay, self.updates = saved["decay"], saved["updates"]
        self.tensors = {n: t.detach().clone() for n, t in saved["tensors"].items()}
