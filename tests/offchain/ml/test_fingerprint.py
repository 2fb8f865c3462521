"""Fingerprints: canonical over tensors, stable across formats and processes, RFC 6962 tree."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from offchain.ml.fingerprint import (
    DOMAIN_TAG,
    fingerprint_file,
    fingerprint_state_dict,
    inclusion_proof,
    merkle_root,
    tagged_root,
    tensor_leaf_hash,
    verify_inclusion,
)


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, written as plainly as possible (bitcoin merkle_tests.cpp habit)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])).digest()


def sample_state() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {
        "layer.weight": torch.randn(4, 3, generator=generator),
        "layer.bias": torch.zeros(4),
        "bn.num_batches_tracked": torch.tensor(7),
        "half": torch.randn(5, generator=generator).to(torch.bfloat16),
    }


def test_a_known_state_dict_has_the_known_fingerprint() -> None:
    # Leaf "b" (int8 [1, 2]), lb = caed3f63...4f4d2a, regenerates with:
    #   echo -n 00 00000001 62 00000004 696e7438 00000001 0000000000000002 0102 \
    #     | tr -d ' ' | xxd -r -p | sha256sum
    # and the fingerprint of {"b"} with (tag, u64 one leaf, root = lb):
    #   (printf 'offchain-model-fingerprint/v1\x00'; echo -n 0000000000000001 | xxd -r -p;
    #    echo -n caed3f6302ff1489b006846ace45e969e7014e4c5fb9786c0ccd7033904f4d2a | xxd -r -p) | sha256sum
    # The root over "a" (float32 scalar 1.0, bytes 0000803f) and "b" is SHA256(0x01 || la || lb)
    # with la the leaf hash of 00 00000001 61 00000007 666c6f61743332 00000000 0000803f.
    state = {"b": torch.tensor([1, 2], dtype=torch.int8), "a": torch.tensor(1.0)}

    assert merkle_root([tensor_leaf_hash("b", state["b"])]).hex() == (
        "caed3f6302ff1489b006846ace45e969e7014e4c5fb9786c0ccd7033904f4d2a"
    )
    assert fingerprint_state_dict({"b": state["b"]}).hex() == (
        "be956ea97da70a52d4e6792b5794ffae1dc950bdc065c3500bf4499c0ddfe109"
    )
    assert fingerprint_state_dict(state).hex() == ("43c80ef81cb713841618b1d8225dc896b2c1cdff797cc3710bc86c6c73099f29")


def test_the_empty_model_tags_the_empty_string_hash() -> None:
    root = hashlib.sha256(b"").digest()

    assert fingerprint_state_dict({}) == hashlib.sha256(DOMAIN_TAG + bytes(8) + root).digest()


@pytest.mark.parametrize("size", [*range(0, 17), 33, 100])
def test_merkle_root_matches_the_plain_reference(size: int) -> None:
    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(size)]

    assert merkle_root(leaves) == reference_root(leaves)


def test_a_node_differs_from_a_leaf_of_its_concatenated_children() -> None:
    a, b = hashlib.sha256(b"a").digest(), hashlib.sha256(b"b").digest()

    assert merkle_root([a, b]) != hashlib.sha256(b"\x00" + a + b).digest()
    assert merkle_root([a, b]) != merkle_root([b, a])


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13])
def test_every_leaf_has_an_inclusion_proof_that_verifies(size: int) -> None:
    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(size)]
    root = merkle_root(leaves)

    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert verify_inclusion(leaves[index], index, size, proof, root)
        assert not verify_inclusion(leaves[index], (index + 1) % size, size, proof, root) or size == 1


def test_insertion_order_does_not_matter() -> None:
    state = sample_state()
    reordered = dict(reversed(list(state.items())))

    assert fingerprint_state_dict(state) == fingerprint_state_dict(reordered)


def test_changing_any_single_element_changes_the_fingerprint() -> None:
    state = sample_state()
    before = fingerprint_state_dict(state)

    for name in state:
        changed = {k: v.clone() for k, v in state.items()}
        changed[name].view(-1)[0] += 1
        assert fingerprint_state_dict(changed) != before, name


def test_dtype_shape_and_name_are_part_of_the_fingerprint() -> None:
    base = {"w": torch.zeros(2, 2)}

    assert fingerprint_state_dict(base) != fingerprint_state_dict({"w": torch.zeros(4)})
    assert fingerprint_state_dict(base) != fingerprint_state_dict({"w": torch.zeros(2, 2).double()})
    assert fingerprint_state_dict(base) != fingerprint_state_dict({"v": torch.zeros(2, 2)})


def test_pt_and_safetensors_files_of_the_same_tensors_agree(tmp_path: Path) -> None:
    state = sample_state()
    torch.save(state, tmp_path / "w.pt")
    save_file(state, str(tmp_path / "w.safetensors"))

    assert fingerprint_file(tmp_path / "w.pt") == fingerprint_file(tmp_path / "w.safetensors")
    assert fingerprint_file(tmp_path / "w.pt") == fingerprint_state_dict(state)


def test_a_non_contiguous_tensor_hashes_like_its_contiguous_copy() -> None:
    matrix = torch.arange(6.0).reshape(2, 3)

    assert fingerprint_state_dict({"t": matrix.t()}) == fingerprint_state_dict({"t": matrix.t().contiguous()})


def test_another_process_computes_the_same_fingerprint(tmp_path: Path) -> None:
    state = sample_state()
    save_file(state, str(tmp_path / "w.safetensors"))
    code = "import sys; from offchain.ml.fingerprint import fingerprint_file;print(fingerprint_file(sys.argv[1]).hex())"

    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "w.safetensors")],
        capture_output=True,
        text=True,
        check=True,
    )

    assert out.stdout.strip() == fingerprint_state_dict(state).hex()


def test_random_state_dicts_agree_with_a_hand_built_leaf_list() -> None:
    rng = random.Random(1)
    for _ in range(5):
        state = {f"t{rng.randrange(1000)}": torch.randn(rng.randrange(1, 4)) for _ in range(6)}
        leaves = [tensor_leaf_hash(n, state[n]) for n in sorted(state)]
        assert fingerprint_state_dict(state) == tagged_root(reference_root(leaves), len(leaves))
