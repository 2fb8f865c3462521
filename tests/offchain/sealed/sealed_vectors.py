"""Loads tests/offchain/sealed/data/sealed_vectors.json (make_vectors.py says how it was made)
for the Python and the contract tests alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from offchain.sealed.curve import Point
from offchain.sealed.dleq import SharedSecretProof

VECTORS: dict[str, Any] = json.loads((Path(__file__).parent / "data" / "sealed_vectors.json").read_text())


def point(pair: list[str]) -> Point:
    return Point(int(pair[0], 16), int(pair[1], 16))


def proof() -> SharedSecretProof:
    p = VECTORS["proof"]
    return SharedSecretProof(
        point(VECTORS["shared"]), int(p["c"], 16), int(p["s"], 16), point(p["sw"]), point(p["cs"]), point(p["tw"])
    )
