"""The GPU path's pieces that can be checked without a GPU: gpu_check.sh's verdict, SyncBatchNorm
conversion for DDP, torch.compile (CPU inductor) and the pinned ImageNet hash (test_models.py)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import torch
from torch import nn

from offchain.ml.distributed import sync_batch_norm
from offchain.ml.fingerprint import fingerprint_state_dict
from offchain.ml.models import build_model

ROOT = Path(__file__).resolve().parents[3]
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the verdict on a machine torch sees no GPU on")


def _gpu_check(tmp_path: Path, nvidia_smi_output: str | None) -> subprocess.CompletedProcess[str]:
    fake = tmp_path / "nvidia-smi"
    body = f"echo '{nvidia_smi_output}'" if nvidia_smi_output is not None else "exit 9"
    fake.write_text(f"#!/bin/sh\n{body}\n")
    fake.chmod(0o755)
    env = {**os.environ, "NVIDIA_SMI": str(fake), "PY": str(ROOT / ".venv" / "bin" / "python")}
    return subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_check.sh")], env=env, capture_output=True, text=True, timeout=120
    )


@no_cuda
def test_gpu_check_fails_when_nvidia_smi_sees_a_gpu_that_torch_cannot_use(tmp_path: Path) -> None:
    result = _gpu_check(tmp_path, "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)")

    assert result.returncode == 1
    assert "torch cannot use it" in result.stderr


@no_cuda
def test_gpu_check_passes_with_nothing_to_check_on_a_machine_without_a_gpu(tmp_path: Path) -> None:
    result = _gpu_check(tmp_path, None)

    assert result.returncode == 0
    assert "nothing to check" in result.stdout


def test_sync_batch_norm_replaces_every_batch_norm_and_keeps_every_tensor() -> None:
    torch.manual_seed(0)
    model = build_model("resnet18", 5, "imagenet")
    before = fingerprint_state_dict(model.state_dict())

    converted = sync_batch_norm(model)

    norms = [m for m in converted.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert len(norms) == 20 and all(isinstance(m, nn.SyncBatchNorm) for m in norms)
    assert fingerprint_state_dict(converted.state_dict()) == before


def test_a_sync_batch_norm_model_evaluates_like_the_plain_one_on_the_cpu() -> None:
    torch.manual_seed(0)
    model = build_model("resnet18", 5, "imagenet").eval()
    x = torch.randn(4, 3, 32, 32)
    expected = model(x)

    converted = sync_batch_norm(model).eval()  # eval mode: running statistics, no collective

    assert torch.equal(converted(x), expected)


def _inductor_runs_here() -> str | None:
    """None if torch.compile's CPU inductor can build a kernel here, else why not."""
    try:
        compiled = torch.compile(lambda t: torch.relu(t) + 1)
        compiled(torch.randn(4))
    except Exception as exc:  # no C++ compiler, an unsupported Python: torch says which
        return f"torch.compile (CPU inductor) cannot run here: {type(exc).__name__}: {str(exc)[:200]}"
    return None


def test_a_compiled_model_computes_what_the_eager_one_does() -> None:
    reason = _inductor_runs_here()
    if reason:
        pytest.skip(reason)
    torch.manual_seed(0)
    model = build_model("resnet18", 5, "imagenet").eval()
    x = torch.randn(8, 3, 32, 32)
    expected = model(x)

    compiled = torch.compile(model)
    with torch.no_grad():
        got = compiled(x)

    assert torch.allclose(got, expected, atol=1e-4, rtol=1e-4)
