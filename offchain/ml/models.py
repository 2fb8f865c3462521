"""torchvision classifiers with a replaceable head and stem, initial weights, saving and loading.

    model = build_model("resnet18", num_classes=5, stem="small")
    base = load_initial_weights(model, "runs/base", stem="small", classes=("5", "6"))
    save_model(model, "runs/x", card={"architecture": "resnet18", "stem": "small", ...})
    model, card = load_model("runs/x")      # WeightsError names the first bad tensor

A model folder holds `model.safetensors` (the state dict) and `model.json` (the model card:
architecture, stem, classes, lineage, metrics, fingerprint). Everything needed to rebuild the
module is in the card, so validators load a worker's model without any other input.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from offchain.ml.errors import WeightsError, validate_choice
from offchain.ml.fingerprint import WEIGHTS_FILE, fingerprint_state_dict, load_tensors

if TYPE_CHECKING:
    import torch
    from torch import nn

# Architectures whose code path is identical: ResNets share conv1/maxpool/layer1-4/fc.
ARCHITECTURES = ("resnet18", "resnet34", "resnet50")
STEMS = ("small", "imagenet")  # small: 3x3 stride-1 conv, no max-pool (for 32x32 images)
# The one default stem: a job spec, a TrainConfig or a model built without one gets this.
DEFAULT_STEM = "imagenet"
FREEZE_CHOICES = ("none", "stem", "layer1", "layer2", "layer3", "backbone")
BACKBONE_BLOCKS = ("conv1", "bn1", "layer1", "layer2", "layer3", "layer4")  # in forward order
# The blocks whose features carry over from a base (MNIST 0-4 -> 5-9: logistic regression on
# layer2's beats the pixels, on layer4's it trails them): `early_lr` trains them.
EARLY_BLOCKS = ("conv1", "bn1", "layer1", "layer2")
# `reinit`: this block and every later one start from random weights, as a new head does
# ("stem": the whole network; the base then serves as the pseudo-label teacher only).
REINIT_CHOICES = ("none", "stem", "layer1", "layer2", "layer3", "layer4")
HEAD_PREFIX = "fc."
CARD_FILE = "model.json"
IMAGENET_WEIGHTS = {  # torchvision enum names; the file comes from the hub cache or the URL
    "resnet18": "ResNet18_Weights",
    "resnet34": "ResNet34_Weights",
    "resnet50": "ResNet50_Weights",
}
# Full SHA-256 of each IMAGENET1K_V1 file (torchvision publishes only the first 8 hex digits, in
# the file name): checked on every load, the torch hub cache included. Each starts with the
# published prefix (a test checks it) and was cross-checked against several independent projects
# that pin the same files (`sha256sum resnet18-f37072fd.pth` on a download).
IMAGENET_SHA256 = {
    "resnet18": "f37072fd47e89c5e827621c5baffa7500819f7896bbacec160b1a16c560e07ec",
    "resnet34": "b627a593bcbe140c234610266fe4f8ae95ea42fc881d091c9b6052e6b1d0590f",
    "resnet50": "0676ba61b6795bbe1773cffd859882e5e297624d384b6993f7c9e683e722fb8a",
}


def build_model(arch: str, num_classes: int, stem: str = DEFAULT_STEM) -> nn.Module:
    """A randomly initialised torchvision classifier with `num_classes` outputs."""
    import torchvision
    from torch import nn

    validate_choice("architecture", arch, ARCHITECTURES)
    validate_choice("stem", stem, STEMS)
    model: Any = getattr(torchvision.models, arch)(weights=None, num_classes=num_classes)
    if stem == "small":
        # The CIFAR ResNet stem (He et al. 2016, section 4.2): keep 32x32 resolution into layer1.
        model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
    return model  # type: ignore[no-any-return]


def freeze(model: nn.Module, upto: str) -> list[nn.Module]:
    """Stop gradients for the stem and blocks up to `upto` (see FREEZE_CHOICES); return them.

    The caller keeps the returned modules in eval mode while training, so frozen batch-norm
    layers keep their running statistics too, and a frozen tensor stays bit-identical.
    """
    validate_choice("freeze strategy", upto, FREEZE_CHOICES)
    if upto == "none":
        return []
    last = {"stem": "bn1", "backbone": "layer4"}.get(upto, upto)
    names = BACKBONE_BLOCKS[: BACKBONE_BLOCKS.index(last) + 1]
    modules = [getattr(model, name) for name in names]
    for module in modules:
        for param in module.parameters():
            param.requires_grad_(False)
    return modules


def parameter_groups(
    model: nn.Module,
    lr: float,
    head_lr: float | None,
    weight_decay: float = 0.0,
    decay_bn_and_bias: bool = True,
    early_lr: float | None = None,
) -> list[dict[str, Any]]:
    """Optimizer groups: trainable backbone parameters at `lr`, the head at `head_lr`, and with
    `early_lr` the EARLY_BLOCKS at that rate (discriminative learning rates).

    With decay_bn_and_bias=False, one-dimensional tensors (batch-norm scales and shifts, biases)
    go into groups of their own without weight decay.
    """

    def part_of(name: str) -> str:
        if name.startswith(HEAD_PREFIX):
            return "head"
        if early_lr is not None and name.split(".")[0] in EARLY_BLOCKS:
            return "early"
        return "backbone"

    groups = []
    rates = (("early", early_lr), ("backbone", lr), ("head", lr if head_lr is None else head_lr))
    for part, rate in rates:
        params = [(n, p) for n, p in model.named_parameters() if p.requires_grad and part_of(n) == part]
        if decay_bn_and_bias:
            splits = [(part, [p for _, p in params], weight_decay)]
        else:
            splits = [
                (part, [p for _, p in params if p.dim() > 1], weight_decay),
                (f"{part}-no-decay", [p for _, p in params if p.dim() <= 1], 0.0),
            ]
        groups += [{"params": ps, "lr": rate, "weight_decay": wd, "name": name} for name, ps, wd in splits if ps]
    return groups


# ----------------------------------------------------------------------------- initial weights


@dataclass(frozen=True)
class BaseWeights:
    """Where a model's initial weights came from: its lineage."""

    source: str
    """"none", "imagenet:<torchvision enum>", or the path given."""
    fingerprint: str | None
    """Hex fingerprint of every tensor in the source, or None for random initialisation."""
    reinitialised: tuple[str, ...]
    """Tensors not taken from the source (a new head, a stem of another shape)."""


def load_initial_weights(
    model: nn.Module,
    weights: str,
    arch: str,
    stem: str,
    classes: Sequence[str],
    reinit: str = "none",
) -> BaseWeights:
    """Fill `model` from "none", "imagenet", a model folder, or a .safetensors/.pt/.pth file.

    The head is kept only when the source's model card lists the same classes; a 7x7 ImageNet
    stem going into a small-stem model is re-initialised; so are the block `reinit` and every
    later one (they keep `model`'s random weights); any other mismatch is an error that names
    the tensor.
    """
    validate_choice("re-initialised blocks", reinit, REINIT_CHOICES)
    if weights == "none":
        return BaseWeights("none", None, ())
    if weights == "imagenet":
        source, tensors, source_classes = _imagenet_state_dict(arch)
    else:
        path = Path(weights)
        if not path.exists():
            raise WeightsError(
                f"unknown weights {weights!r}; choose from: none, imagenet, a model folder "
                "or a .safetensors/.pt/.pth file"
            )
        source, tensors = str(path), load_tensors(path)
        card_path = path / CARD_FILE if path.is_dir() else path.with_name(CARD_FILE)
        source_classes = None
        if card_path.is_file():
            card = read_card(card_path.parent)
            if card.get("architecture") not in (None, arch):
                raise WeightsError(f"{weights} holds a {card['architecture']} model, this run trains a {arch}")
            source_classes = card.get("classes")
    target = model.state_dict()
    keep_head = source_classes is not None and list(source_classes) == list(classes)
    fresh = [n for n in target if n.startswith(HEAD_PREFIX) and not keep_head]
    if reinit != "none":  # the base's late blocks fit its own classes; fresh ones learn the target's
        late = BACKBONE_BLOCKS[BACKBONE_BLOCKS.index({"stem": "conv1"}.get(reinit, reinit)) :]
        fresh += [n for n in target if n.split(".")[0] in late]
    if stem == "small" and "conv1.weight" in tensors and tensors["conv1.weight"].shape[-1] != 3:
        fresh.append("conv1.weight")  # a 7x7 ImageNet stem cannot drive a 3x3 one
    chosen = {n: t for n, t in tensors.items() if n not in fresh}
    validate_state_dict(chosen, target, source, allow_missing=fresh)
    model.load_state_dict(chosen, strict=False)
    return BaseWeights(source, fingerprint_state_dict(tensors).hex(), tuple(sorted(fresh)))


def _imagenet_state_dict(arch: str) -> tuple[str, dict[str, torch.Tensor], list[str] | None]:
    import torch
    import torchvision

    enum = getattr(torchvision.models, IMAGENET_WEIGHTS[arch]).IMAGENET1K_V1
    path = imagenet_weights_path(arch)
    if not path.is_file():
        try:  # offline this fails; the hub cache is where torchvision itself would put the file
            path.parent.mkdir(parents=True, exist_ok=True)
            torch.hub.download_url_to_file(enum.url, str(path), hash_prefix=IMAGENET_SHA256[arch][:8], progress=False)
        except Exception as exc:  # URLError, HTTPError, socket errors, a bad prefix: all mean "not available"
            raise WeightsError(
                f"torchvision's ImageNet weights for {arch} are not available ({exc}); put "
                f"{path.name} in {path.parent} or pass --weights FILE"
            ) from exc
    validate_imagenet_file(arch, path)
    tensors = torch.load(path, map_location="cpu", weights_only=True)
    return f"imagenet:{IMAGENET_WEIGHTS[arch]}.IMAGENET1K_V1", tensors, None


def imagenet_weights_path(arch: str) -> Path:
    """Where torchvision keeps (or would download) the ImageNet weights of `arch`."""
    import torch
    import torchvision

    url = getattr(torchvision.models, IMAGENET_WEIGHTS[arch]).IMAGENET1K_V1.url
    return Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[-1]


def validate_imagenet_file(arch: str, path: Path) -> None:
    """Raise WeightsError unless the file's full SHA-256 is the one pinned in IMAGENET_SHA256."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != IMAGENET_SHA256[arch]:
        raise WeightsError(
            f"{path} has SHA-256 {digest.hexdigest()}, not torchvision's {arch} IMAGENET1K_V1 file "
            f"({IMAGENET_SHA256[arch]}): delete it to download it again"
        )


def validate_state_dict(
    tensors: Mapping[str, torch.Tensor],
    expected: Mapping[str, torch.Tensor],
    source: str,
    allow_missing: Sequence[str] = (),
) -> None:
    """Raise WeightsError naming the first tensor that is missing, unexpected or misshapen."""
    for name in sorted(expected):
        if name not in tensors:
            if name in allow_missing:
                continue
            raise WeightsError(f"{source}: tensor {name!r} is missing")
        got, want = tensors[name], expected[name]
        if tuple(got.shape) != tuple(want.shape):
            raise WeightsError(
                f"{source}: tensor {name!r} has shape {list(got.shape)}, the architecture expects {list(want.shape)}"
            )
        if got.dtype != want.dtype:
            raise WeightsError(f"{source}: tensor {name!r} has dtype {got.dtype}, expected {want.dtype}")
    for name in sorted(tensors):
        if name not in expected:
            raise WeightsError(f"{source}: unexpected tensor {name!r} for this architecture")


# ----------------------------------------------------------------------------- model folders


def save_model(model: nn.Module, out_dir: str | os.PathLike[str], card: Mapping[str, Any]) -> bytes:
    """Write model.safetensors and model.json (the card plus the fingerprint); return it.

    The card must hold "architecture", "stem" and "classes" so `load_model` can rebuild the
    module. Both files are written to temporary names first, then renamed.
    """
    from safetensors.torch import save_file

    for key in ("architecture", "stem", "classes"):
        if key not in card:
            raise WeightsError(f"model card lacks {key!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    module = getattr(model, "module", model)  # unwrap DistributedDataParallel
    module = getattr(module, "_orig_mod", module)  # unwrap torch.compile
    state = {n: t.detach().to("cpu").contiguous() for n, t in module.state_dict().items()}
    fingerprint = fingerprint_state_dict(state)
    full_card = {**card, "fingerprint": fingerprint.hex(), "weights_file": WEIGHTS_FILE}
    save_file(state, str(out / (WEIGHTS_FILE + ".tmp")), metadata={"fingerprint": fingerprint.hex()})
    os.replace(out / (WEIGHTS_FILE + ".tmp"), out / WEIGHTS_FILE)
    (out / (CARD_FILE + ".tmp")).write_text(json.dumps(full_card, indent=2, sort_keys=True) + "\n")
    os.replace(out / (CARD_FILE + ".tmp"), out / CARD_FILE)
    return fingerprint


def read_card(model_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed model.json of a model folder."""
    path = Path(model_dir) / CARD_FILE
    try:
        card = json.loads(path.read_text())
    except FileNotFoundError:
        raise WeightsError(f"{model_dir} is not a model folder: {CARD_FILE} not found") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise WeightsError(f"cannot read {path}: {exc}") from exc
    if not isinstance(card, dict):
        raise WeightsError(f"{path} is not a JSON object")
    return card


def load_model(model_dir: str | os.PathLike[str]) -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild a saved model (in eval mode, on the CPU) and return it with its card."""
    card = read_card(model_dir)
    try:
        arch, stem, classes = card["architecture"], card["stem"], card["classes"]
    except KeyError as exc:
        raise WeightsError(f"{model_dir}/{CARD_FILE} lacks {exc.args[0]!r}") from None
    model = build_model(arch, len(classes), stem)
    tensors = load_tensors(Path(model_dir) / WEIGHTS_FILE)
    validate_state_dict(tensors, model.state_dict(), str(Path(model_dir) / WEIGHTS_FILE))
    model.load_state_dict(tensors, strict=True)
    model.eval()
    return model, card
