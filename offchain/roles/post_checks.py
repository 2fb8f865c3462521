"""What `offchain job post` checks before it escrows a reward: that a worker can do the job.

Every artifact loads (both data sets, the spec, the unlabelled images it names, none of them an
evaluation image), the two data sets have the same classes, the base model is registered and
its weights are reachable through the registry's URI with the registered fingerprint, and the
spec's architecture fits the base model: a spec whose stem differs from the base's would
re-initialise the first layer (and, frozen, keep it random), so workers would train for
nothing. Each failure is one line that says what to fix.
"""

from __future__ import annotations

from pathlib import Path

from offchain.errors import OffchainError
from offchain.roles.models_cli import fetch_registered_model
from offchain.roles.session import Session
from offchain.roles.spec import JobSpec


class JobCheckError(OffchainError):
    """The job as posted could not be done by any worker."""


def check_data_sets(train: Path, evaluation: Path) -> tuple[str, ...]:
    """Both .npz artifacts load and name the same classes; returns the classes."""
    from offchain.ml.data import load_dataset_npz
    from offchain.ml.errors import DatasetError

    try:
        train_set = load_dataset_npz(train)
        eval_set = load_dataset_npz(evaluation)
    except DatasetError as exc:
        raise JobCheckError(f"job post: {exc}") from None
    if train_set.classes != eval_set.classes:
        raise JobCheckError(
            f"the training set's classes {list(train_set.classes)} differ from the evaluation set's "
            f"{list(eval_set.classes)}: export both with the same --classes"
        )
    if len(train_set) == 0 or len(eval_set) == 0:
        raise JobCheckError("a data set is empty")
    return train_set.classes


def check_spec_fits_base(spec: JobSpec, base_weights: Path, classes: tuple[str, ...]) -> None:
    """Every tensor of the spec's model except the head has the base model's shape."""
    from offchain.ml.fingerprint import load_tensors
    from offchain.ml.models import HEAD_PREFIX, STEMS, build_model

    config = spec.config
    base = load_tensors(base_weights)
    target = build_model(config.arch, len(classes), config.stem).state_dict()
    for name, tensor in target.items():
        if name.startswith(HEAD_PREFIX):
            continue  # a new head is expected: the job's classes are new
        if name not in base:
            raise JobCheckError(
                f"the spec's {config.arch} does not fit the base model: it has no tensor {name!r}; "
                'set "arch" to the base model\'s architecture'
            )
        if tuple(base[name].shape) != tuple(tensor.shape):
            other = [s for s in STEMS if s != config.stem]
            hint = f'; set "stem": "{other[0]}"' if name.startswith("conv1") and other else ""
            raise JobCheckError(
                f"the spec's {config.arch} with the {config.stem} stem does not fit the base model: "
                f"{name} is {list(base[name].shape)} in the base, {list(tensor.shape)} in the spec "
                f"(it would be re-initialised{', then frozen' if config.freeze != 'none' else ''}){hint}"
            )


def check_unlabelled_images(
    session: Session, spec: JobSpec, train: Path, evaluation: Path, unlabelled: Path | None
) -> None:
    """The images the spec's "unlabelled" names are `unlabelled` or reachable, a worker can use
    them, and none of them is an image of the sealed evaluation set (a pooled job's: its pool)."""
    from offchain.artifacts.errors import ArtifactError
    from offchain.ml.data import load_dataset_npz
    from offchain.roles.spec import SpecError, check_unlabelled

    if spec.unlabelled is None:
        return
    try:
        path = unlabelled if unlabelled is not None else session.fetch(spec.unlabelled)
        pool = check_unlabelled(path, train)
    except ArtifactError as exc:
        raise JobCheckError(
            f"the spec's unlabelled images sha256:{spec.unlabelled.hex()} cannot be fetched ({exc}): "
            "give the file with --unlabelled"
        ) from None
    except SpecError as exc:
        raise JobCheckError(f"job post: {exc}") from None
    # Published with the spec, they reach every worker before it trains: an evaluation image among
    # them (`--unlabelled eval.npz`, or the test split it came from) is no longer held out.
    held_out = {image.tobytes() for image in load_dataset_npz(evaluation).images}
    shared = sum(image.tobytes() in held_out for image in pool.images)
    if not shared:
        return
    if train == evaluation:  # a pooled job (post_job checks its pool as both)
        where, fix = "the pool, whose evaluation shards a block after the post draws", "leave the pool's images out"
    else:
        where, fix = "the evaluation set", "take them from another split than the evaluation set's"
    raise JobCheckError(
        f"{shared} of the {len(pool)} unlabelled images are in {where}: every worker would hold them before "
        f"it is opened; {fix}"
    )


def check_job(
    session: Session, base_model: bytes, train: Path, evaluation: Path, spec: JobSpec, unlabelled: Path | None = None
) -> None:
    """Raise JobCheckError (or the registry's UnknownModelError) unless a worker can do the job."""
    classes = check_data_sets(train, evaluation)
    check_unlabelled_images(session, spec, train, evaluation, unlabelled)
    record = session.registry.record(base_model)
    weights = fetch_registered_model(
        record.uri,
        base_model,
        session.home / "artifacts",
        session.sources,
        session.home / "requester" / "base" / f"{base_model.hex()}.safetensors",
    )
    check_spec_fits_base(spec, weights, classes)
