"""Same math, less work: centre-tap convolutions, fused SGD, precise BN, eval/checkpoint every N.

An exact rewrite is compared in float64: float32 sums depend on the CPU's instruction set
and the thread count (AVX-512 at 2 threads: 3e-3 apart after three SGD steps of the same
code), float64 agrees to 1e-13 wherever the math is the same.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

from offchain.ml.config import TrainConfig
from offchain.ml.fastconv import CentreTapConv2d, make_centre_tap
from offchain.ml.loop import precise_bn
from offchain.ml.models import build_model, freeze
from offchain.ml.train import train

Factory = Callable[..., TrainConfig]


@pytest.mark.parametrize("stride", [1, 2])
def test_centre_tap_equals_the_plain_convolution_on_1x1_inputs(stride: int) -> None:
    torch.manual_seed(0)
    plain = nn.Conv2d(64, 32, 3, stride=stride, padding=1, bias=True).double()
    fast = copy.deepcopy(plain)
    make_centre_tap(fast)
    x = torch.randn(5, 64, 1, 1, dtype=torch.float64, requires_grad=True)
    x_fast = x.detach().clone().requires_grad_(True)

    out, out_fast = plain(x), fast(x_fast)
    out.square().sum().backward()
    out_fast.square().sum().backward()

    assert isinstance(fast, CentreTapConv2d) and out_fast.shape == out.shape
    torch.testing.assert_close(out_fast, out, rtol=0, atol=1e-12)
    torch.testing.assert_close(x_fast.grad, x.grad, rtol=0, atol=1e-12)
    assert fast.weight.grad is not None and plain.weight.grad is not None
    torch.testing.assert_close(fast.weight.grad, plain.weight.grad, rtol=0, atol=1e-12)
    assert torch.count_nonzero(plain.weight.grad[:, :, 0, 0]) == 0  # the padding taps learn nothing


def test_centre_tap_leaves_larger_inputs_to_the_plain_convolution() -> None:
    plain = nn.Conv2d(8, 8, 3, padding=1)
    fast = copy.deepcopy(plain)
    make_centre_tap(fast)
    x = torch.randn(2, 8, 4, 4)

    assert torch.equal(fast(x), plain(x))


def test_resnet18_with_centre_taps_trains_like_the_plain_one() -> None:
    torch.manual_seed(0)
    plain = build_model("resnet18", 5, "imagenet").double()  # 32x32 input: layer4 sees 1x1 maps
    fast = copy.deepcopy(plain)
    assert make_centre_tap(fast) > 0
    assert fast.state_dict().keys() == plain.state_dict().keys()
    images, labels = torch.randn(8, 3, 32, 32, dtype=torch.float64), torch.arange(8) % 5
    for model in (plain, fast):
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(3):
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(images), labels).backward()
            optimizer.step()

    worst = max((a - b).abs().max().item() for a, b in zip(plain.parameters(), fast.parameters(), strict=True))
    assert worst < 1e-10  # measured 3e-14 (float32 would be 4e-6 to 3e-3, by CPU and threads)


def test_precise_bn_sets_running_statistics_to_the_data_average() -> None:
    torch.manual_seed(0)
    model = build_model("resnet18", 3, "imagenet")
    images = torch.randint(0, 256, (12, 3, 32, 32), dtype=torch.uint8)
    frozen_mean = model.bn1.running_mean.clone()
    freeze(model, "stem")  # conv1 + bn1: frozen, their statistics stay

    assert precise_bn(model, images, batch_size=12) == 19  # 20 batch-norm layers, one frozen

    x = (images.float() / 255 - 0.5) / 0.5
    model.eval()  # the frozen stem normalises with its own statistics, as during the pass
    with torch.no_grad():
        stem = model.maxpool(model.relu(model.bn1(model.conv1(x))))
        inner = model.layer1[0].conv1(stem)
    torch.testing.assert_close(model.layer1[0].bn1.running_mean, inner.mean((0, 2, 3)), rtol=1e-4, atol=1e-5)
    assert torch.equal(model.bn1.running_mean, frozen_mean)


def test_fused_and_plain_sgd_give_the_same_model(tmp_path: Path, tiny_config: Factory) -> None:
    fused = train(tiny_config(sgd="fused", deterministic=True), tmp_path / "fused")
    plain = train(tiny_config(sgd="loop", deterministic=True), tmp_path / "loop")
    a = torch.load(tmp_path / "fused" / "checkpoint.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "loop" / "checkpoint.pt", weights_only=True)["model"]

    assert plain.epochs[0].train_loss == pytest.approx(fused.epochs[0].train_loss, rel=1e-5)
    assert max((a[k].float() - b[k].float()).abs().max().item() for k in a) < 1e-5


def test_evaluation_every_n_epochs_skips_the_others_but_not_the_last(tmp_path: Path, tiny_config: Factory) -> None:
    result = train(tiny_config(epochs=3, eval_every=2, eval_dataset=None, per_class=2), tmp_path)

    assert [m.eval_accuracy_bps is not None for m in result.epochs] == [False, True, True]
    assert result.accuracy_bps is not None
