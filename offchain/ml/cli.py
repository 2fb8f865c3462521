"""`offchain train | pretrain | evaluate | fingerprint | dataset export`.

    offchain pretrain --out runs/base                    # digits 0-4: an offline base model
    offchain train --classes 5-9 --per-class 20 --weights runs/base --out runs/ft
    offchain train --spec spec.json --dataset train.npz --eval-dataset eval.npz --out runs/job
    offchain evaluate --model runs/ft --dataset digits --classes 5-9 --json
    offchain fingerprint runs/ft                         # 64 hex digits
    offchain dataset export --dataset digits --classes 5-9 --per-class 20 --out train.npz

torch is imported inside the commands, so `offchain --help` stays fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from pathlib import Path
from typing import Any

from offchain.ml.config import SOURCE_TASK_RECIPE, TrainConfig
from offchain.ml.errors import ConfigError, MLError

# Flags of `train`, one per TrainConfig field; the help says what the field means.
TRAIN_HELP = {
    "dataset": "digits | fashion-mnist | mnist | cifar10 | a .npz artifact | an image folder (default digits)",
    "classes": "class indices to keep, e.g. 5-9 or 0,2,4 (default all)",
    "per_class": "labelled images kept per class (a fixed, seeded choice)",
    "eval_dataset": "evaluation set (default: the test split of a named data set; none: skip)",
    "data_dir": "folder holding cifar-10-batches-py (default data)",
    "download": "download CIFAR-10 into --data-dir if it is not there",
    "image_size": "side of the square images of an image folder (default 32)",
    "data_seed": "seed of the per-class choice (default 0)",
    "val_per_class": "set this many training images per class aside for validation; epochs report it, test once",
    "val_dataset": "a validation artifact (.npz) instead of --val-per-class",
    "best_epoch": "with validation, submit the epoch best on it (default: yes; else the last epoch)",
    "unlabelled_dataset": "unlabelled images of the task (.npz, labels ignored) for --pseudo-rounds",
    "pseudo_rounds": "self-training rounds on --unlabelled-dataset after the labelled epochs (default 0)",
    "pseudo_epochs": "epochs per self-training round (default 2)",
    "pseudo_per_class": "pseudo-labelled images per class in a round (default 100)",
    "pseudo_batch_size": "batch size of the self-training epochs (default 50)",
    "pseudo_teacher": "who labels the pool: model | pixels | features | base | base-features (default model)",
    "arch": "resnet18 | resnet34 | resnet50 (default resnet18)",
    "stem": "imagenet (torchvision's) | small (3x3, no max-pool: 16x compute) (default imagenet)",
    "weights": "none | imagenet | a model folder | a .safetensors/.pt/.pth file (default none)",
    "freeze": "none | stem | layer1 | layer2 | layer3 | backbone (default none)",
    "reinit": "none | stem | layer1..layer4: that block and the later ones from random weights (default none)",
    "epochs": "epochs (default 10)",
    "batch_size": "global batch size (default 100)",
    "lr": "SGD learning rate of the backbone (default 0.001)",
    "head_lr": "learning rate of the head (default: --lr)",
    "early_lr": "learning rate of the stem, layer1 and layer2 (default: --lr)",
    "momentum": "SGD momentum (default 0.9)",
    "weight_decay": "weight decay (default 5e-4)",
    "schedule": "constant | step | cosine (default constant)",
    "warmup_epochs": "linear warm-up, in epochs (default 0)",
    "step_epochs": "step schedule: decay every this many epochs (default 5)",
    "gamma": "step schedule: decay factor (default 0.1)",
    "label_smoothing": "label smoothing of the cross-entropy (default 0)",
    "ema": "decay per step of the weights' moving average, which is evaluated and submitted (default 0: none)",
    "decay_bn_and_bias": "weight decay on batch-norm and bias tensors too (default: yes, as the seed recipe)",
    "precise_bn": "re-estimate batch-norm statistics on the training images before evaluating",
    "augment": "comma-separated subset of flip,crop,rotate,cutout; '' for none (default flip,crop)",
    "metric": "the score reported: accuracy (default)",
    "device": "auto | cpu | cuda (default auto)",
    "precision": "auto | fp32 | bf16 (default auto: bf16 on CUDA, fp32 on CPU)",
    "channels_last": "channels_last memory format (default: on CUDA only)",
    "compile": "torch.compile the model",
    "seed": "seed of initialisation, shuffling and augmentation (default 0)",
    "deterministic": "deterministic algorithms: bit-exact reruns and resumes on CPU",
    "nproc": "processes for one job with DDP (default 1)",
    "eval_batch_size": "evaluation batch size (default 500)",
    "eval_every": "evaluate every N epochs, and after the last (default 1)",
    "checkpoint_every": "checkpoint every N epochs, and after the last (default 1)",
    "centre_tap": "3x3 convolutions on 1x1 inputs as their centre tap: same math, faster (default on)",
    "sgd": "auto | loop | foreach | fused: how SGD updates the tensors, same math (default auto: fused)",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ML commands to the `offchain` command line."""
    train_parser = subparsers.add_parser("train", help="fine-tune a model and write its folder")
    add_train_arguments(train_parser)
    train_parser.set_defaults(func=train_command, preset={})

    pretrain = subparsers.add_parser(
        "pretrain",
        help="train a base model on the source task (digits 0-4), offline",
        description="`offchain train` with the source-task recipe as defaults: "
        + ", ".join(f"{k}={v}" for k, v in SOURCE_TASK_RECIPE.items()),
    )
    add_train_arguments(pretrain, SOURCE_TASK_RECIPE)
    pretrain.set_defaults(func=train_command, preset=SOURCE_TASK_RECIPE)

    evaluate = subparsers.add_parser("evaluate", help="score a model folder on a data set")
    evaluate.add_argument("--model", required=True, help="model folder (model.json + weights)")
    evaluate.add_argument("--dataset", required=True, help="a .npz artifact, digits, cifar10 or a folder")
    evaluate.add_argument("--split", default="test", help="split of a named data set (default test)")
    evaluate.add_argument("--classes", help="class indices, as the model was trained (e.g. 5-9)")
    evaluate.add_argument("--sha256", help="refuse a .npz artifact whose SHA-256 differs")
    evaluate.add_argument("--data-dir", default="data", help="folder holding cifar-10-batches-py")
    evaluate.add_argument("--device", default="cpu", help="auto | cpu | cuda (default cpu)")
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    evaluate.set_defaults(func=evaluate_command)

    fingerprint = subparsers.add_parser("fingerprint", help="the canonical hash of a model's tensors (not of the file)")
    fingerprint.add_argument("path", help="model folder, .safetensors, .pt or .pth")
    fingerprint.add_argument("--json", action="store_true", help="also list per-tensor leaf hashes")
    fingerprint.set_defaults(func=fingerprint_command)

    dataset = subparsers.add_parser("dataset", help="data set artifacts")
    dataset_commands = dataset.add_subparsers(dest="dataset_command", metavar="COMMAND", required=True)
    export = dataset_commands.add_parser("export", help="write a data set's .npz artifact, print its hash")
    export.add_argument(
        "--dataset", default="digits", help="digits | fashion-mnist | mnist | cifar10 | .npz | image folder"
    )
    export.add_argument("--split", default="train", help="train | test (default train)")
    export.add_argument("--classes", help="class indices to keep, e.g. 5-9")
    export.add_argument("--per-class", type=int, help="images kept per class")
    export.add_argument("--seed", type=int, default=0, help="seed of the per-class choice")
    export.add_argument("--data-dir", default="data", help="folder holding cifar-10-batches-py")
    export.add_argument("--download", action="store_true", help="download CIFAR-10 if missing")
    export.add_argument("--image-size", type=int, default=32, help="image folder resize (32)")
    export.add_argument("--out", required=True, help="the .npz file to write")
    export.set_defaults(func=export_command)


def add_train_arguments(parser: argparse.ArgumentParser, preset: dict[str, Any] | None = None) -> None:
    """One flag per TrainConfig field (default: the preset's, else the config's), plus run
    options."""
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--spec", help="JSON training spec; flags given here override it")
    parser.add_argument("--resume", action="store_true", help="continue from --out's checkpoint")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    for field in dataclasses.fields(TrainConfig):
        if field.name not in TRAIN_HELP:
            continue
        flag = "--" + field.name.replace("_", "-")
        kind = str(field.type)
        default = (preset or {}).get(field.name, field.default)
        shown = None if default is dataclasses.MISSING or kind.startswith("bool") else default
        help_text = _with_default(TRAIN_HELP[field.name], shown)
        if kind == "bool" and field.default is False:
            parser.add_argument(flag, action="store_true", default=None, help=help_text)
        elif kind in ("bool", "bool | None"):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, help=help_text)
        else:
            convert = int if kind.startswith("int") else float if kind.startswith("float") else str
            parser.add_argument(flag, type=convert, help=help_text)


def _with_default(help_text: str, preset: Any) -> str:
    """`help_text` with its "(default ...)" naming the preset's value, when there is one."""
    if preset is None or f"(default {preset}" in help_text:  # already right, maybe with a note
        return help_text
    base = re.sub(r"\s*\(default[^)]*\)$", "", help_text)
    return f"{base} (default {preset})"


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Preset (pretrain), then --spec, then explicit flags: later ones win."""
    values: dict[str, Any] = dict(args.preset)
    if args.spec:
        try:
            spec = json.loads(Path(args.spec).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"cannot read spec {args.spec}: {exc}") from exc
        values.update(TrainConfig.from_spec({**values, **spec}).to_dict())
    for name in TRAIN_HELP:
        if getattr(args, name, None) is not None:
            values[name] = getattr(args, name)
    return TrainConfig.from_spec(values)


def train_command(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    from offchain.ml.checkpoints import CHECKPOINT_FILE
    from offchain.ml.train import train

    out = Path(args.out)
    if (out / CHECKPOINT_FILE).exists() and not args.resume:
        raise MLError(f"{out} holds a checkpoint: pass --resume to continue it, or choose another --out")
    result = train(config, out, quiet=args.quiet)
    if args.quiet:
        print(result.fingerprint.hex())
    return 0


def evaluate_command(args: argparse.Namespace) -> int:
    from offchain.ml.config import DEVICES
    from offchain.ml.errors import validate_choice
    from offchain.ml.evaluation import evaluate_model

    validate_choice("device", args.device, DEVICES)
    result = evaluate_model(
        args.model,
        args.dataset,
        args.device,
        split=args.split,
        classes=args.classes,
        expected_sha256=args.sha256,
        data_dir=args.data_dir,
    )
    if args.json:
        print(json.dumps(dataclasses.asdict(result)))
    else:
        print(
            f"accuracy {result.accuracy_bps / 100:.2f}% ({result.accuracy_bps} bps)  "
            f"loss {result.loss:.4f}  n {result.n}"
        )
    return 0


def fingerprint_command(args: argparse.Namespace) -> int:
    from offchain.ml.fingerprint import leaf_hashes, load_tensors, merkle_root, tagged_root

    leaves = leaf_hashes(load_tensors(args.path))
    root = merkle_root([leaf for _, leaf in leaves])
    fingerprint = tagged_root(root, len(leaves)).hex()
    if args.json:
        payload = {"fingerprint": fingerprint, "merkle_root": root.hex(), "leaves": {n: h.hex() for n, h in leaves}}
        json.dump(payload, sys.stdout, indent=2)
        print()
    else:
        print(fingerprint)
    return 0


def export_command(args: argparse.Namespace) -> int:
    from offchain.ml.data import export_dataset, load_data

    data = load_data(
        args.dataset,
        args.split,
        args.classes,
        args.per_class,
        data_dir=args.data_dir,
        download=args.download,
        image_size=args.image_size,
        seed=args.seed,
    )
    path, digest = export_dataset(data, args.out)
    print(f"{digest}  {path}  ({len(data)} images, {len(data.classes)} classes)")
    return 0
