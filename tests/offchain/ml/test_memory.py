"""A run's memory, measured before anything is loaded or trained: the worker refuses a job
whose requester-chosen data or batch would not fit (the run would be killed, the worker with it)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from offchain.ml.config import FASHION_TARGET_RECIPE, TrainConfig
from offchain.ml.data import ImageSet, export_dataset
from offchain.ml.errors import DatasetError
from offchain.ml.memory import (
    BACKWARD_PEAK,
    DATA_COPIES,
    default_budget_bytes,
    largest_batch,
    measure_step_memory,
    unpacked_bytes,
)
from offchain.roles.job_memory import job_memory_bytes

RECIPE = TrainConfig.from_spec(dict(FASHION_TARGET_RECIPE))


def _blank_set(path: Path, count: int, side: int) -> Path:
    images = np.zeros((count, 3, side, side), dtype=np.uint8)
    return export_dataset(ImageSet(images, np.arange(count) % 2, ("a", "b")), path)[0]


def test_an_images_cost_grows_with_its_area_and_the_fixed_part_is_three_copies_of_the_weights() -> None:
    small, large = measure_step_memory(RECIPE, 32, 5), measure_step_memory(RECIPE, 64, 5)
    assert 3.0 < large.bytes_per_image / small.bytes_per_image < 4.5  # the stem's maps are 4x, the head's not
    assert small.fixed_bytes == large.fixed_bytes == 3 * 4 * 11_179_077  # resnet18 with 5 outputs, fp32
    # saved for the backward pass: 0.47 MiB an image at 32x32, 21.2 MiB at 224x224 (ImageNet stem)
    assert 0.3 * 2**20 < small.bytes_per_image / BACKWARD_PEAK < 1.0 * 2**20


def test_a_frozen_backbone_saves_less_for_its_backward_pass() -> None:
    whole = measure_step_memory(RECIPE, 32, 5)
    probe = measure_step_memory(TrainConfig.from_spec({**FASHION_TARGET_RECIPE, "freeze": "backbone"}), 32, 5)
    assert probe.bytes_per_image < whole.bytes_per_image / 4


def test_the_largest_step_counts_the_self_training_batch_and_its_consistency_images() -> None:
    assert largest_batch(RECIPE, train_images=25) == min(RECIPE.batch_size, 25)
    assert largest_batch(TrainConfig.from_spec({"batch_size": 100_000}), train_images=300) == 300  # capped by the set
    rounds = TrainConfig.from_spec({"pseudo_rounds": 1, "pseudo_batch_size": 50, "consistency": {"ratio": 3}})
    assert largest_batch(rounds, train_images=20, unlabelled_images=1000) == 50 * (1 + 3)
    assert largest_batch(rounds, train_images=20, unlabelled_images=0) == min(rounds.batch_size, 20)


def test_a_small_archive_that_unpacks_to_gigabytes_is_measured_from_its_directory_alone(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.npz"
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("images.npy", "w", force_zip64=True) as out,
    ):
        chunk = bytes(1 << 20)
        for _ in range(1024):  # 1 GiB of zeros, a few MB on disk
            out.write(chunk)
    assert bomb.stat().st_size < 8 << 20
    assert unpacked_bytes(bomb) == 1 << 30
    # job_memory_bytes stops there: numpy never opens it (it holds no data set at all)
    assert job_memory_bytes(RECIPE, bomb, None, stop_above=1 << 28) == DATA_COPIES * (1 << 30)


def test_an_absurd_recipe_is_over_any_budget_and_a_normal_one_under_this_machines(tmp_path: Path) -> None:
    # 2,000 blank 256x256 images (about 400 KB on disk): one batch of all of them in a full
    # fine-tune saves some 50 GiB for its backward pass.
    big = _blank_set(tmp_path / "big.npz", 2000, 256)
    absurd = TrainConfig.from_spec({**FASHION_TARGET_RECIPE, "batch_size": 2000})
    assert job_memory_bytes(absurd, big, None) > 32 << 30
    fashion = _blank_set(tmp_path / "fashion.npz", 100, 28)
    pool = _blank_set(tmp_path / "pool.npz", 1000, 28)
    needed = job_memory_bytes(RECIPE, fashion, pool)
    assert needed < 1 << 30  # the demo's job: about 0.2 GiB
    assert needed < default_budget_bytes("cpu")


def test_a_file_that_is_no_archive_is_a_data_set_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(DatasetError, match="not a data set"):
        unpacked_bytes(junk)


MEASURE_A_STEP = """
import json, re, torch
from offchain.ml.config import FASHION_TARGET_RECIPE, TrainConfig
from offchain.ml.memory import measure_step_memory
from offchain.ml.models import build_model
torch.set_num_threads(1)
config = TrainConfig.from_spec(dict(FASHION_TARGET_RECIPE))
estimate = measure_step_memory(config, 64, 5).step_bytes(200)
model = build_model(config.arch, 5, config.stem)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
images, labels = torch.randn(200, 3, 64, 64), torch.randint(0, 5, (200,))
def peak():  # VmHWM belongs to this process's memory map: ru_maxrss would carry the parent's over exec
    with open("/proc/self/status") as status:
        return 1024 * int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
before = peak()
loss = torch.nn.functional.cross_entropy(model(images), labels)
optimizer.zero_grad()
loss.backward()
optimizer.step()
grown = peak() - before
print(json.dumps({"estimate": estimate, "grown": grown}))
"""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the peak resident size from /proc")
def test_the_estimate_covers_what_a_real_step_grows_the_process_by() -> None:
    # In a fresh process: the peak resident size of a pytest worker says nothing of one step.
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", MEASURE_A_STEP], capture_output=True, text=True, timeout=120, check=True
    )
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    # measured: estimate 657 MiB, the step grew the process by 502 MiB (the weights were there before)
    assert figures["grown"] <= figures["estimate"] <= 2 * figures["grown"]


def test_every_data_set_load_refuses_an_archive_past_half_the_machines_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from offchain.ml import memory
    from offchain.ml.data import load_dataset_npz

    path = _blank_set(tmp_path / "set.npz", 100, 28)  # 236,392 bytes unpacked, a few KB on disk
    assert len(load_dataset_npz(path)) == 100
    monkeypatch.setattr(memory, "ram_bytes", lambda: 400_000)  # a machine with 400 KB
    with pytest.raises(DatasetError, match="unpacks to 236392 bytes: over the 200000"):
        load_dataset_npz(path)
