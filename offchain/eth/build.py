"""Compiled contracts: ABIs and bytecode from brownie's build folder, and revert decoding."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import function_signature_to_4byte_selector

from offchain.eth.errors import BuildArtifactError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Contracts whose custom errors are decoded in revert messages.
KNOWN_CONTRACTS = ("ModelRegistry", "TrainingMarket", "MarketLens", "LedgerRelay", "Appeals", "SealedExchange")


def build_dir() -> Path:
    """brownie's build/contracts folder (OFFCHAIN_BUILD_DIR overrides)."""
    return Path(os.environ.get("OFFCHAIN_BUILD_DIR", PROJECT_ROOT / "build" / "contracts"))


@dataclass(frozen=True)
class ContractArtifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    source: Path


@cache
def load_artifact(name: str) -> ContractArtifact:
    """The compiled artifact of contract `name`; raises BuildArtifactError if not built."""
    path = build_dir() / f"{name}.json"
    if not path.is_file():
        raise BuildArtifactError(f"no build artifact for {name} at {path}; run `make compile`")
    try:
        data = json.loads(path.read_text())
        return ContractArtifact(name, data["abi"], data["bytecode"], path)
    except (ValueError, KeyError) as exc:
        raise BuildArtifactError(f"unreadable build artifact {path}: {exc}") from None


@cache
def _error_table() -> dict[bytes, tuple[str, list[str], list[str]]]:
    table: dict[bytes, tuple[str, list[str], list[str]]] = {}
    for name in KNOWN_CONTRACTS:
        try:
            abi = load_artifact(name).abi
        except BuildArtifactError:
            continue
        for item in abi:
            if item.get("type") != "error":
                continue
            types = [i["type"] for i in item["inputs"]]
            names = [i["name"] for i in item["inputs"]]
            signature = f"{item['name']}({','.join(types)})"
            table[function_signature_to_4byte_selector(signature)] = (item["name"], types, names)
    return table


def decode_revert(data: str | bytes | None) -> str:
    """A readable form of revert data: `Error(arg=value, ...)` for the project's errors."""
    if data is None:
        return "reverted without data"
    raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else data
    if len(raw) < 4:
        return "reverted without data"
    if raw[:4] == function_signature_to_4byte_selector("Error(string)"):
        return str(abi_decode(["string"], raw[4:])[0])
    entry = _error_table().get(raw[:4])
    if entry is None:
        return f"reverted with unknown error 0x{raw.hex()}"
    name, types, names = entry
    values = abi_decode(types, raw[4:])
    shown = ", ".join(f"{n}={_show(v)}" for n, v in zip(names, values, strict=True))
    return f"{name}({shown})"


def _show(value: Any) -> str:
    return "0x" + value.hex() if isinstance(value, bytes) else str(value)
