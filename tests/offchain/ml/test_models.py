"""Architectures, freezing, initial weights and model folders."""

from __future__ import annotations

import urllib.error
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from offchain.ml.errors import ConfigError, WeightsError
from offchain.ml.fingerprint import fingerprint_dir, fingerprint_state_dict
from offchain.ml.models import (
    build_model,
    freeze,
    load_initial_weights,
    load_model,
    parameter_groups,
    save_model,
)

CARD = {"architecture": "resnet18", "stem": "small", "classes": ["a", "b", "c"]}


def test_the_small_stem_keeps_32x32_resolution_into_the_first_block() -> None:
    model: Any = build_model("resnet18", 3, "small")

    assert model.conv1.kernel_size == (3, 3)
    assert isinstance(model.maxpool, torch.nn.Identity)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 3)


def test_an_unknown_architecture_names_the_valid_choices() -> None:
    with pytest.raises(ConfigError, match="choose from: resnet18, resnet34, resnet50"):
        build_model("vgg99", 3)


def test_freezing_the_backbone_leaves_only_the_head_trainable() -> None:
    model: Any = build_model("resnet18", 3)

    frozen = freeze(model, "backbone")

    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"fc.weight", "fc.bias"}
    assert len(frozen) == 6
    assert [g["name"] for g in parameter_groups(model, 0.1, 1.0)] == ["head"]


def test_freezing_up_to_layer2_keeps_layer3_trainable() -> None:
    model: Any = build_model("resnet18", 3)

    freeze(model, "layer2")

    assert not model.layer2[0].conv1.weight.requires_grad
    assert model.layer3[0].conv1.weight.requires_grad


def test_head_and_backbone_get_their_own_learning_rates() -> None:
    groups = parameter_groups(build_model("resnet18", 3), lr=0.001, head_lr=0.1)

    assert [(g["name"], g["lr"]) for g in groups] == [("backbone", 0.001), ("head", 0.1)]


def test_early_blocks_get_their_own_learning_rate() -> None:
    model: Any = build_model("resnet18", 3)

    groups = parameter_groups(model, lr=0.01, head_lr=0.1, early_lr=0.001)

    assert [(g["name"], g["lr"]) for g in groups] == [("early", 0.001), ("backbone", 0.01), ("head", 0.1)]
    early = {id(p) for p in groups[0]["params"]}
    assert id(model.conv1.weight) in early and id(model.layer2[1].bn2.bias) in early
    assert id(model.layer3[0].conv1.weight) not in early
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_a_saved_model_loads_back_with_the_same_fingerprint(tmp_path: Path) -> None:
    model: Any = build_model("resnet18", 3, "small")

    fingerprint = save_model(model, tmp_path, CARD)
    loaded, card = load_model(tmp_path)

    assert fingerprint == fingerprint_dir(tmp_path) == fingerprint_state_dict(loaded.state_dict())
    assert card["fingerprint"] == fingerprint.hex()
    assert card["classes"] == ["a", "b", "c"]


def test_loading_weights_of_the_wrong_shape_names_the_tensor(tmp_path: Path) -> None:
    save_model(build_model("resnet18", 3, "small"), tmp_path, CARD)
    tensors = load_file(str(tmp_path / "model.safetensors"))
    tensors["layer2.0.conv1.weight"] = torch.zeros(1, 1, 3, 3)
    save_file(tensors, str(tmp_path / "model.safetensors"))

    with pytest.raises(WeightsError, match="'layer2.0.conv1.weight' has shape"):
        load_model(tmp_path)


def test_a_corrupt_weights_file_is_one_clear_error(tmp_path: Path) -> None:
    save_model(build_model("resnet18", 3, "small"), tmp_path, CARD)
    (tmp_path / "model.safetensors").write_bytes(b"\x00garbage")

    with pytest.raises(WeightsError, match="corrupt"):
        load_model(tmp_path)


def test_a_base_model_gives_its_backbone_and_a_fresh_head_for_new_classes(tmp_path: Path) -> None:
    base: Any = build_model("resnet18", 3, "small")
    save_model(base, tmp_path, CARD)
    model: Any = build_model("resnet18", 3, "small")

    lineage = load_initial_weights(model, str(tmp_path), "resnet18", "small", ("x", "y", "z"))

    assert torch.equal(model.layer4[1].bn2.weight, base.layer4[1].bn2.weight)
    assert not torch.equal(model.fc.weight, base.fc.weight)
    assert lineage.reinitialised == ("fc.bias", "fc.weight")
    assert lineage.fingerprint == fingerprint_dir(tmp_path).hex()


def test_reinit_keeps_the_base_below_the_named_block_and_random_weights_from_it(tmp_path: Path) -> None:
    base: Any = build_model("resnet18", 3, "small")
    save_model(base, tmp_path, CARD)
    torch.manual_seed(1)
    model: Any = build_model("resnet18", 3, "small")
    random_layer3 = model.layer3[0].conv1.weight.clone()

    lineage = load_initial_weights(model, str(tmp_path), "resnet18", "small", ("x", "y", "z"), reinit="layer3")

    assert torch.equal(model.layer2[1].conv2.weight, base.layer2[1].conv2.weight)
    assert torch.equal(model.layer3[0].conv1.weight, random_layer3)
    assert "layer3.0.conv1.weight" in lineage.reinitialised and "layer4.1.bn2.running_mean" in lineage.reinitialised
    assert not any(n.startswith(("layer1.", "layer2.", "conv1.")) for n in lineage.reinitialised)


def test_an_unknown_reinit_block_names_the_valid_choices(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="layer3"):
        load_initial_weights(build_model("resnet18", 3), "none", "resnet18", "imagenet", "abc", reinit="fc")


def test_a_base_model_for_the_same_classes_keeps_its_head(tmp_path: Path) -> None:
    base: Any = build_model("resnet18", 3, "small")
    save_model(base, tmp_path, CARD)
    model: Any = build_model("resnet18", 3, "small")

    load_initial_weights(model, str(tmp_path), "resnet18", "small", ("a", "b", "c"))

    assert torch.equal(model.fc.weight, base.fc.weight)


def test_an_imagenet_stem_going_into_a_small_stem_is_reinitialised(tmp_path: Path) -> None:
    torch.save(build_model("resnet18", 1000, "imagenet").state_dict(), tmp_path / "in.pth")

    lineage = load_initial_weights(
        build_model("resnet18", 3, "small"), str(tmp_path / "in.pth"), "resnet18", "small", "abc"
    )

    assert "conv1.weight" in lineage.reinitialised


def test_weights_of_another_architecture_name_the_first_bad_tensor(tmp_path: Path) -> None:
    torch.save(build_model("resnet34", 3).state_dict(), tmp_path / "r34.pth")

    with pytest.raises(WeightsError, match="unexpected tensor 'layer1.2"):
        load_initial_weights(build_model("resnet18", 3), str(tmp_path / "r34.pth"), "resnet18", "imagenet", "abc")


def test_imagenet_weights_offline_say_where_to_put_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def offline(*args: object, **kwargs: object) -> None:
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)

    with pytest.raises(WeightsError, match=f"put resnet18-f37072fd.pth in {tmp_path / 'checkpoints'}"):
        load_initial_weights(build_model("resnet18", 3), "imagenet", "resnet18", "imagenet", "abc")


def test_an_imagenet_file_in_the_cache_with_another_sha256_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    cached = tmp_path / "checkpoints" / "resnet18-f37072fd.pth"
    cached.parent.mkdir()
    torch.save(build_model("resnet18", 1000, "imagenet").state_dict(), cached)  # right shapes, wrong file

    with pytest.raises(WeightsError, match="not torchvision's resnet18 IMAGENET1K_V1 file"):
        load_initial_weights(build_model("resnet18", 3), "imagenet", "resnet18", "imagenet", "abc")


@pytest.mark.parametrize("arch", ["resnet18", "resnet34", "resnet50"])
def test_each_pinned_imagenet_sha256_extends_the_prefix_torchvision_publishes(arch: str) -> None:
    import torchvision

    from offchain.ml.models import IMAGENET_SHA256, IMAGENET_WEIGHTS

    url = getattr(torchvision.models, IMAGENET_WEIGHTS[arch]).IMAGENET1K_V1.url  # .../resnet18-f37072fd.pth
    published_prefix = url.rsplit("-", 1)[-1].removesuffix(".pth")

    assert len(IMAGENET_SHA256[arch]) == 64
    assert IMAGENET_SHA256[arch].startswith(published_prefix)


def test_unknown_weights_name_the_valid_choices() -> None:
    with pytest.raises(WeightsError, match="choose from: none, imagenet"):
        load_initial_weights(build_model("resnet18", 3), "nonexistent", "resnet18", "imagenet", "abc")


def test_without_decay_on_norms_and_biases_only_weight_matrices_decay() -> None:
    groups = parameter_groups(
        build_model("resnet18", 3), lr=0.01, head_lr=0.1, weight_decay=5e-4, decay_bn_and_bias=False
    )

    assert [g["name"] for g in groups] == ["backbone", "backbone-no-decay", "head", "head-no-decay"]
    for group in groups:
        no_decay = group["name"].endswith("no-decay")
        assert group["weight_decay"] == (0.0 if no_decay else 5e-4)
        assert all((p.dim() <= 1) == no_decay for p in group["params"])
    assert sum(len(g["params"]) for g in groups) == len(list(build_model("resnet18", 3).parameters()))
