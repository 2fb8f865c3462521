#!/usr/bin/env bash
# The GPU path on one GPU, in one go (under 8 minutes on an H100): the GPU tests, then the
# one-epoch benchmark against the seed recipe. On a machine without a GPU it says so and exits 0;
# where nvidia-smi sees a GPU that torch cannot use (a CUDA wheel newer than the driver, say) it
# fails: that machine would otherwise "pass" with nothing tested.
#
#   bash benchmarks/gpu_check.sh        # from the repository root, after `make setup`
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export PYTHONPATH=$PWD CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-0}

NVIDIA_SMI=${NVIDIA_SMI:-nvidia-smi}
if ! "$PY" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    if gpus=$("$NVIDIA_SMI" --list-gpus 2>/dev/null) && [ -n "$gpus" ]; then
        echo "gpu_check: FAILED: nvidia-smi sees a GPU but torch cannot use it:" >&2
        echo "$gpus" >&2
        "$PY" -c 'import torch; print("torch", torch.__version__, "CUDA", torch.version.cuda)' >&2 || true
        "$NVIDIA_SMI" --query-gpu=driver_version --format=csv,noheader >&2 || true
        exit 1
    fi
    echo "gpu_check: no CUDA GPU here (nvidia-smi sees none); nothing to check (the CPU suites are make test)"
    exit 0
fi
"$PY" -c 'import torch; print("gpu_check:", torch.cuda.get_device_name(0), "torch", torch.__version__)'
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true

echo "== GPU tests"
timeout 240 "$PY" -m pytest -p no:pytest-brownie -q -m gpu tests/offchain/ml
echo "== GPU benchmark (one epoch each, CUDA events)"
timeout 240 "$PY" -m benchmarks.gpu_bench
