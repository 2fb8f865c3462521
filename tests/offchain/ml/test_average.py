"""The weights' moving average (offchain.ml.average) against a plain reference."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from offchain.ml.average import WeightAverage


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))


def _step(model: nn.Module, value: float) -> None:
    with torch.no_grad():
        for p in model.parameters():
            p.add_(value)


def test_the_average_follows_the_warmed_up_decay_of_a_plain_reference() -> None:
    model = _model()
    average = WeightAverage(model, decay=0.9)
    reference = model[0].weight.detach().clone()

    for n in range(30):
        _step(model, 0.1 * (n + 1))
        average.update(model)
        decay = min(0.9, (1 + n) / (10 + n))  # timm ModelEmaV2's warm-up, written out
        reference = decay * reference + (1 - decay) * model[0].weight.detach()

    assert torch.allclose(average.tensors["0.weight"], reference, atol=1e-6)
    assert "1.num_batches_tracked" not in average.tensors  # integer buffers follow the raw model


def test_swapped_in_holds_the_average_inside_and_the_raw_weights_after() -> None:
    model = _model()
    average = WeightAverage(model, decay=0.5)
    _step(model, 1.0)
    raw = model[0].weight.detach().clone()

    with average.swapped_in(model):
        inside = model[0].weight.detach().clone()

    assert torch.equal(inside, average.tensors["0.weight"])
    assert torch.equal(model[0].weight, raw)


def test_a_restored_average_continues_exactly_as_the_original() -> None:
    model = _model()
    first = WeightAverage(model, decay=0.9)
    _step(model, 0.5)
    first.update(model)
    second = WeightAverage(_model(), decay=0.9)
    second.load_state_dict(first.state_dict())

    _step(model, 0.5)
    first.update(model)
    second.update(model)

    assert all(torch.equal(first.tensors[n], second.tensors[n]) for n in first.tensors)


def test_a_decay_outside_0_to_1_is_refused() -> None:
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(_model(), decay=1.0)
