"""Data sets: digits splits, selection, .npz artifacts and hashes, CIFAR-10, image folders."""

from __future__ import annotations

import hashlib
import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from offchain.ml.data import (
    ImageSet,
    export_dataset,
    load_data,
    load_dataset_npz,
    parse_classes,
)
from offchain.ml.errors import DatasetError


def test_digits_train_and_test_splits_are_disjoint_and_cover_every_class() -> None:
    train, test = load_data("digits", "train"), load_data("digits", "test")

    train_rows = {row.tobytes() for row in train.images}
    overlap = sum(row.tobytes() in train_rows for row in test.images)

    assert len(train) + len(test) == 1797
    assert train.images.shape[1:] == (3, 32, 32) and train.images.dtype == np.uint8
    assert set(np.unique(test.labels)) == set(range(10))
    assert overlap < 5  # digits holds a few duplicate images, never a copied split


def test_selecting_classes_relabels_them_in_order() -> None:
    data = load_data("digits", "test", classes="5-9")

    assert data.classes == ("5", "6", "7", "8", "9")
    assert set(np.unique(data.labels)) == {0, 1, 2, 3, 4}


def test_per_class_keeps_that_many_images_of_each_class_deterministically() -> None:
    first = load_data("digits", "train", classes="5-9", per_class=20)
    again = load_data("digits", "train", classes="5-9", per_class=20)

    assert np.bincount(first.labels).tolist() == [20] * 5
    assert first.sha256() == again.sha256()


def test_skip_gives_the_next_images_of_the_same_seeded_order_disjoint_from_the_first() -> None:
    """The demo's labelled images and its unlabelled pool come from one split this way."""
    first = load_data("digits", "train", classes="5-9", per_class=20)
    both = load_data("digits", "train", classes="5-9", per_class=50)
    rest = load_data("digits", "train", classes="5-9", per_class=30, skip=20)

    rows = {row.tobytes() for row in first.images}
    assert not any(row.tobytes() in rows for row in rest.images)
    assert sorted(r.tobytes() for r in both.images) == sorted(r.tobytes() for r in (*first.images, *rest.images))
    with pytest.raises(DatasetError, match="after skip=20"):
        load_data("digits", "train", classes="5-9", per_class=1000, skip=20)


def test_another_data_seed_chooses_other_images() -> None:
    a = load_data("digits", "train", classes="5-9", per_class=20, seed=0)
    b = load_data("digits", "train", classes="5-9", per_class=20, seed=1)

    assert a.sha256() != b.sha256()


def test_exported_artifact_hash_is_the_file_hash_and_is_stable(tmp_path: Path) -> None:
    data = load_data("digits", "test", classes="0-1")

    path, digest = export_dataset(data, tmp_path / "a.npz")
    _, digest_again = export_dataset(data, tmp_path / "b.npz")

    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == digest_again == data.sha256()


def test_an_artifact_loads_back_to_the_same_arrays(tmp_path: Path) -> None:
    data = load_data("digits", "test", classes="3,1")
    path, digest = export_dataset(data, tmp_path / "d.npz")

    loaded = load_dataset_npz(path, expected_sha256=digest)

    assert np.array_equal(loaded.images, data.images)
    assert np.array_equal(loaded.labels, data.labels)
    assert loaded.classes == ("3", "1")
    assert loaded.sha256() == digest


def test_an_artifact_with_another_hash_is_refused(tmp_path: Path) -> None:
    path, _ = export_dataset(load_data("digits", "test", classes="0"), tmp_path / "d.npz")

    with pytest.raises(DatasetError, match="SHA-256"):
        load_dataset_npz(path, expected_sha256="00" * 32)


def test_a_corrupt_artifact_gives_a_dataset_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    path.write_bytes(b"not a zip")

    with pytest.raises(DatasetError, match="cannot read"):
        load_dataset_npz(path)


def hostile_npz(kind: str, path: Path) -> Path:
    """An .npz artifact numpy cannot read, as anyone may publish one: "huge" declares a petabyte
    of images in its array header (808 bytes on disk), "deflate" corrupts its compressed stream,
    "method" names a compression method zipfile lacks."""
    good = ImageSet(np.zeros((2, 3, 8, 8), dtype=np.uint8), np.zeros(2, dtype=np.int64), ("a",))
    arrays = {"images": good.images, "labels": good.labels, "classes": np.array(good.classes)}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key, array in arrays.items():
            member = io.BytesIO()
            if kind == "huge" and key == "images":
                header = {"descr": "|u1", "fortran_order": False, "shape": (2**48, 3, 32, 32)}
                np.lib.format.write_array_header_1_0(member, header)
                member.write(bytes(100))
            else:
                np.save(member, array)
            archive.writestr(f"{key}.npy", member.getvalue())
    raw = bytearray(path.read_bytes())
    if kind == "deflate":  # flip bytes inside the images member's compressed data
        start = raw.index(b"images.npy") + len("images.npy")  # the local header's name, then the data
        raw[start : start + 8] = bytes(b ^ 0xFF for b in raw[start : start + 8])
    if kind == "method":  # method 99 in every local and central header
        for signature, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
            at = raw.find(signature)
            while at >= 0:
                raw[at + offset : at + offset + 2] = (99).to_bytes(2, "little")
                at = raw.find(signature, at + 4)
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("kind", ["huge", "deflate", "method"])
def test_an_artifact_numpy_cannot_read_gives_a_dataset_error_whatever_numpy_raises(tmp_path: Path, kind: str) -> None:
    """Not MemoryError, zlib.error or NotImplementedError: a worker skips a job on a DatasetError,
    and any other error ends its process, the same way on every restart (issue 23's unlabelled
    images, and a job's training set, come from whoever posts the job)."""
    path = hostile_npz(kind, tmp_path / f"{kind}.npz")

    with pytest.raises(DatasetError, match="cannot read"):
        load_dataset_npz(path)


def _write_tiny_cifar(root: Path) -> None:
    """A cifar-10-batches-py folder in the official format (pickled dicts with bytes keys)."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = ["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5"]
    for name in [*names, "test_batch"]:
        batch = {
            b"batch_label": name.encode(),
            b"labels": [int(x) for x in rng.integers(0, 10, 4)],
            b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8),
            b"filenames": [f"{i}.png".encode() for i in range(4)],
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    meta = {b"label_names": [n.encode() for n in "plane car bird cat deer dog frog horse ship truck".split()]}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))


def test_cifar10_loads_from_a_folder_in_the_official_pickle_format(tmp_path: Path) -> None:
    _write_tiny_cifar(tmp_path)

    train = load_data("cifar10", "train", data_dir=tmp_path)
    test = load_data("cifar10", "test", data_dir=tmp_path)

    assert train.images.shape == (20, 3, 32, 32)
    assert len(test) == 4
    assert train.classes[0] == "plane" and len(train.classes) == 10


def test_cifar10_pixels_keep_the_official_channel_major_layout(tmp_path: Path) -> None:
    _write_tiny_cifar(tmp_path)
    raw = pickle.loads((tmp_path / "cifar-10-batches-py" / "test_batch").read_bytes())

    test = load_data("cifar10", "test", data_dir=tmp_path)

    assert np.array_equal(test.images[0, 0].reshape(-1), raw[b"data"][0, :1024])  # red plane


def test_missing_cifar10_names_both_ways_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="--data-dir.*--download"):
        load_data("cifar10", "train", data_dir=tmp_path)


def test_an_image_folder_loads_with_sorted_class_names(tmp_path: Path) -> None:
    from PIL import Image

    for name, colour in (("zebra", (0, 0, 0)), ("ant", (255, 0, 0))):
        (tmp_path / name).mkdir()
        for i in range(2):
            Image.new("RGB", (40, 20), colour).save(tmp_path / name / f"{i}.png")

    data = load_data(str(tmp_path), image_size=16)

    assert data.classes == ("ant", "zebra")
    assert data.images.shape == (4, 3, 16, 16)
    assert data.images[data.labels == 0][:, 0].min() == 255  # ants are red


def test_an_unknown_data_set_names_the_valid_choices() -> None:
    with pytest.raises(DatasetError, match="choose from: digits, fashion-mnist, mnist, cifar10"):
        load_data("emnist")


@pytest.mark.parametrize("text", ["5-", "a", "1,1", ""])
def test_a_bad_class_selection_is_refused(text: str) -> None:
    with pytest.raises(DatasetError):
        parse_classes(text)


def test_an_image_set_rejects_labels_outside_its_classes() -> None:
    with pytest.raises(DatasetError, match="labels must lie"):
        ImageSet(np.zeros((1, 3, 2, 2), np.uint8), np.array([3]), ("a", "b"))


class _Planted:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (str(self.marker),))  # type: ignore[return-value]


def test_a_cifar_file_that_would_run_code_is_refused(tmp_path: Path) -> None:
    import pickle

    from offchain.ml.data import load_cifar10

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    marker = tmp_path / "code-ran"
    batch = {b"data": np.zeros((1, 3072), dtype=np.uint8), b"labels": [0], b"x": _Planted(marker)}
    (folder / "test_batch").write_bytes(pickle.dumps(batch))

    with pytest.raises(DatasetError, match="refused .*touch"):
        load_cifar10("test", tmp_path)
    assert not marker.exists()


# Two ranks exporting into one empty data folder (torchrun's first run): each writes the same
# bytes through a temporary file and renames it into place, many times over, at once.
_EXPORT_RACE = """
import sys
import numpy as np
from offchain.ml.data import ImageSet, export_dataset
data = ImageSet(np.zeros((50, 3, 32, 32), np.uint8), np.arange(50) % 5, tuple("abcde"))
for _ in range(300):
    export_dataset(data, sys.argv[1])
"""


def test_two_processes_exporting_the_same_artifact_at_once_both_succeed(tmp_path: Path) -> None:
    import subprocess
    import sys

    target = tmp_path / "data" / "train.npz"
    ranks = [
        subprocess.Popen([sys.executable, "-c", _EXPORT_RACE, str(target)], stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]

    errors = [p.communicate(timeout=120)[1] for p in ranks]
    assert [p.returncode for p in ranks] == [0, 0], errors
    assert load_dataset_npz(target).labels.tolist() == (np.arange(50) % 5).tolist()
    assert not list(target.parent.glob("*.tmp"))
