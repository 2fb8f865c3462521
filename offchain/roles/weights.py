"""Model weights and data sets as local files for the ML engine, shared by worker and validator."""

from __future__ import annotations

import shutil
from pathlib import Path

from offchain.roles.session import Session


def fetch_weights(session: Session, uri: str, dest: Path) -> Path:
    """Copy the weights at `uri` to `dest` (a .safetensors path, so only safetensors is parsed).

    When the URI names the file's SHA-256 (`.../sha256/<hex>` or `sha256:<hex>`), the bytes
    are verified against it; the caller always checks the tensors' fingerprint as well.
    """
    from offchain.artifacts.client import download

    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(download(uri, session.cache, session.sources), dest)
    return dest


def copy_as(path: Path, target: Path) -> Path:
    """A copy of a cached artifact under `target`'s name (once).

    Cached artifacts are named by hash alone; the ML engine picks loaders by suffix.
    """
    if not target.exists():
        shutil.copyfile(path, target)
    return target
