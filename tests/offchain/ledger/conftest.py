"""Fixtures for the ledger tests: Bitcoin vectors and a devnet chain in a temporary folder."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from offchain.ledger.chain import Chain

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(Path(__file__).parent))  # for `import ledger_helpers`


@pytest.fixture(scope="session")
def bitcoin_vectors() -> dict[str, Any]:
    return json.loads((DATA / "bitcoin_vectors.json").read_text())


@pytest.fixture()
def chain(tmp_path: Path) -> Iterator[Chain]:
    ledger = Chain.open(tmp_path / "node", "devnet", create=True)
    yield ledger
    ledger.close()
