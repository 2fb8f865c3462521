"""What the explorer shows from local artifact stores (`--artifacts DIR`): a job's spec and
a model's training curves.

A spec is found by its SHA-256 (the hash the job names) and shown as parsed JSON, never as
markup. Curves come from a model card (the `model.json` a training run writes: its
`fingerprint` is the model hash, its `metrics.epochs` the per-epoch numbers) stored as an
artifact; the store is scanned for small JSON files (bounded in count and size) and the
index is kept until the folder changes. Curves are drawn here as SVG polylines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.artifacts.store import HEX64

MAX_SPEC_BYTES = 64 * 1024
MAX_CARD_BYTES = 1024 * 1024
MAX_SCANNED = 2000  # files looked at per store when indexing cards
PLOT_W, PLOT_H, PAD = 420, 200, 30


@dataclass(frozen=True)
class Curve:
    label: str
    points: str  # SVG polyline points, already in plot coordinates
    low: float
    high: float


@dataclass(frozen=True)
class Plot:
    title: str
    curves: list[Curve]
    width: int = PLOT_W
    height: int = PLOT_H


class ArtifactsView:
    def __init__(self, folders: list[Path]) -> None:
        self.folders = [Path(f) for f in folders]
        self._cards: dict[str, dict[str, Any]] = {}
        self._stamp: tuple[float, ...] = ()

    def spec(self, digest_hex: str) -> dict[str, Any] | None:
        """The spec JSON named by `digest_hex` (0x + 64 hex), if a store holds it."""
        digest = digest_hex.removeprefix("0x")
        if not HEX64.match(digest):
            return None
        for folder in self.folders:
            path = folder / digest
            if path.is_file() and path.stat().st_size <= MAX_SPEC_BYTES:
                try:
                    data = json.loads(path.read_bytes())
                except ValueError:
                    return None
                return data if isinstance(data, dict) else None
        return None

    def curves(self, model_hash: str) -> list[Plot]:
        """Loss and accuracy per epoch for `model_hash`, when a store holds its model card."""
        card = self._index().get(model_hash.removeprefix("0x"))
        if card is None:
            return []
        epochs = card.get("metrics", {}).get("epochs") or []
        rows = [e for e in epochs if isinstance(e, dict) and isinstance(e.get("epoch"), int)]
        if not rows:
            return []
        return [
            _plot("loss", rows, [("train", "train_loss", 1.0), ("eval", "eval_loss", 1.0)]),
            _plot("accuracy (%)", rows, [("train", "train_accuracy_bps", 0.01), ("eval", "eval_accuracy_bps", 0.01)]),
        ]

    def _index(self) -> dict[str, dict[str, Any]]:
        stamp = tuple(f.stat().st_mtime if f.is_dir() else 0.0 for f in self.folders)
        if stamp != self._stamp:
            self._cards, self._stamp = {}, stamp
            for folder in self.folders:
                self._cards.update(_scan(folder))
        return self._cards


def _scan(folder: Path) -> dict[str, dict[str, Any]]:
    cards: dict[str, dict[str, Any]] = {}
    if not folder.is_dir():
        return cards
    for count, path in enumerate(folder.iterdir()):
        if count >= MAX_SCANNED:
            break
        if not HEX64.match(path.name) or path.stat().st_size > MAX_CARD_BYTES:
            continue
        with open(path, "rb") as handle:
            if handle.read(1) != b"{":
                continue  # weights and data sets are not JSON: skip without reading them
        try:
            card = json.loads(path.read_bytes())
        except ValueError:
            continue
        fingerprint = card.get("fingerprint") if isinstance(card, dict) else None
        if isinstance(fingerprint, str) and "metrics" in card:
            cards[fingerprint.lower().removeprefix("0x")] = card
    return cards


def _plot(title: str, rows: list[dict[str, Any]], series: list[tuple[str, str, float]]) -> Plot:
    values = {
        label: [(int(r["epoch"]), float(r[key]) * scale) for r in rows if isinstance(r.get(key), int | float)]
        for label, key, scale in series
    }
    every = [v for pts in values.values() for _, v in pts]
    low, high = (min(every), max(every)) if every else (0.0, 1.0)
    span = (high - low) or 1.0
    first, last = min(int(r["epoch"]) for r in rows), max(int(r["epoch"]) for r in rows)
    width = (last - first) or 1

    def point(epoch: int, value: float) -> str:
        x = PAD + (epoch - first) / width * (PLOT_W - 2 * PAD)
        y = PLOT_H - PAD - (value - low) / span * (PLOT_H - 2 * PAD)
        return f"{x:.1f},{y:.1f}"

    curves = [Curve(label, " ".join(point(e, v) for e, v in pts), low, high) for label, pts in values.items() if pts]
    return Plot(title, curves)
