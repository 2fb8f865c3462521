"""The CUDA path: skipped without a GPU; benchmarks/gpu_check.sh runs these on one GPU."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

from offchain.ml.config import TrainConfig
from offchain.ml.devices import autocast_dtype, select_device
from offchain.ml.evaluation import evaluate, evaluate_model
from offchain.ml.fastconv import make_centre_tap
from offchain.ml.models import build_model
from offchain.ml.train import train

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]
Factory = Callable[..., TrainConfig]


def test_auto_precision_is_bf16_only_where_the_gpu_has_it() -> None:
    device = select_device("cuda")
    expected = torch.bfloat16 if torch.cuda.is_bf16_supported() else None

    assert autocast_dtype(TrainConfig(device="cuda"), device) == expected


def test_a_gpu_run_writes_a_model_the_cpu_scores_alike(tmp_path: Path, tiny_config: Factory) -> None:
    result = train(tiny_config(device="cuda", epochs=2, eval_dataset=None, per_class=10), tmp_path)

    on_cpu = evaluate_model(tmp_path, "digits", "cpu", classes="0-4")
    on_gpu = evaluate_model(tmp_path, "digits", "cuda", classes="0-4")
    assert result.card["environment"]["gpu_capability"]
    assert abs(on_cpu.accuracy_bps - on_gpu.accuracy_bps) <= 100  # fp32 evaluation on both


def test_a_channels_last_model_is_evaluated_with_channels_last_inputs() -> None:
    torch.manual_seed(0)
    model = build_model("resnet18", 5, "imagenet").cuda().eval()
    images = torch.randint(0, 256, (20, 3, 32, 32), dtype=torch.uint8, device="cuda")
    labels = torch.arange(20, device="cuda") % 5
    plain = evaluate(model, images, labels)
    model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]

    fast = evaluate(model, images, labels, channels_last=True)
    assert fast.confusion == plain.confusion


def test_centre_tap_matches_the_plain_convolution_on_the_gpu() -> None:
    plain = nn.Conv2d(256, 128, 3, padding=1).cuda()
    fast = copy.deepcopy(plain)
    make_centre_tap(fast)
    x = torch.randn(16, 256, 1, 1, device="cuda")

    torch.testing.assert_close(fast(x), plain(x), rtol=1e-4, atol=1e-4)  # TF32 may round either


def test_a_deterministic_gpu_run_resumes_to_the_same_fingerprint(tmp_path: Path, tiny_config: Factory) -> None:
    config = tiny_config(device="cuda", epochs=2, deterministic=True)
    straight = train(config, tmp_path / "straight")

    class Stop(Exception):
        pass

    def stop_after_first(metrics: object) -> None:
        if getattr(metrics, "epoch", 0) == 1:
            raise Stop

    with pytest.raises(Stop):
        train(config, tmp_path / "resumed", on_epoch_end=stop_after_first)
    assert train(config, tmp_path / "resumed").fingerprint == straight.fingerprint


def test_more_processes_than_gpus_is_refused(tmp_path: Path, tiny_config: Factory) -> None:
    from offchain.ml.errors import ConfigError

    too_many = torch.cuda.device_count() + 1
    with pytest.raises(ConfigError, match="GPU"):
        train(tiny_config(device="cuda", nproc=too_many, batch_size=10 * too_many), tmp_path)
