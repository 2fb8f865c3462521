"""The client's enums are the contract's: same names, same order (a phase added to the lens
once left scripts/status.py indexing past its own copy of the list)."""

from __future__ import annotations

import re
from enum import IntEnum
from pathlib import Path

import pytest

from offchain.eth.market import Outcome, Phase, Status

INTERFACE = Path(__file__).resolve().parents[3] / "contracts" / "interfaces" / "ITrainingMarket.sol"


def solidity_enum(name: str) -> list[str]:
    source = re.sub(r"//[^\n]*", "", INTERFACE.read_text())  # comments may hold braces
    body = re.search(rf"enum {name} \{{(.*?)\}}", source, re.S)
    assert body, f"no enum {name} in {INTERFACE.name}"
    return [word.strip() for word in body.group(1).split(",") if word.strip()]


@pytest.mark.parametrize("enum", [Phase, Outcome, Status])
def test_the_clients_enum_matches_the_contracts(enum: type[IntEnum]) -> None:
    snake = [re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() for name in solidity_enum(enum.__name__)]
    assert [member.name for member in enum] == snake
    assert [member.value for member in enum] == list(range(len(snake)))
