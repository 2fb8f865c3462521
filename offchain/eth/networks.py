"""Named networks: `--network NAME` instead of `--rpc URL`.

Names come from two files, ours first:
- `~/.offchain/networks.toml` (or $OFFCHAIN_NETWORKS), one table a network:

      [sepolia]
      rpc = "https://sepolia.example.org/v3/$SEPOLIA_KEY"

- brownie's own `~/.brownie/network-config.yaml` (`brownie networks list` shows it): every
  network there by its `id`, a live one at its `host`, a development one at `host:port`.

`$VAR` and `${VAR}` in a URL are read from the environment when the network is used, so a
provider's key stays out of the file; an unset variable is an error that names it.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from offchain.eth.errors import InvalidInputError

NETWORKS_ENV = "OFFCHAIN_NETWORKS"
BROWNIE_NETWORKS = Path.home() / ".brownie" / "network-config.yaml"
MAX_FILE_BYTES = 1 << 20  # a networks file is a few lines: a bigger one is not one
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


@dataclass(frozen=True)
class Network:
    name: str
    rpc_template: str  # as written, variables unexpanded: safe to print
    source: Path

    def rpc(self) -> str:
        """The URL with its variables read from the environment."""
        missing = [name for name in _VARIABLE.findall(self.rpc_template) if name not in os.environ]
        if missing:
            raise InvalidInputError(
                f"network {self.name} ({self.source}) needs the environment variable {missing[0]} for its URL"
            )
        return _VARIABLE.sub(lambda m: os.environ[m.group(1)], self.rpc_template)


def networks_file() -> Path:
    return Path(os.environ.get(NETWORKS_ENV) or Path.home() / ".offchain" / "networks.toml")


def _read(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InvalidInputError(f"{path} is over {MAX_FILE_BYTES} bytes: not a networks file")
        return path.read_text()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _ours(path: Path) -> list[Network]:
    text = _read(path)
    if text is None:
        return []
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"{path} is not valid TOML: {exc}") from None
    found = []
    for name, table in tables.items():
        if not isinstance(table, dict) or not isinstance(table.get("rpc"), str):
            raise InvalidInputError(f'{path}: [{name}] needs rpc = "http(s)://..."')
        found.append(Network(name, table["rpc"], path))
    return found


def _brownies(path: Path) -> list[Network]:
    import yaml

    text = _read(path)
    if text is None:
        return []
    try:
        config: Any = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"{path} is not valid YAML: {exc}") from None
    found = []
    for group in config.get("live") or []:
        for net in (group or {}).get("networks") or []:
            if isinstance(net, dict) and net.get("id") and net.get("host"):
                found.append(Network(str(net["id"]), str(net["host"]), path))
    for net in config.get("development") or []:
        if isinstance(net, dict) and net.get("id") and net.get("host"):
            port = (net.get("cmd_settings") or {}).get("port")
            host = str(net["host"]).rstrip("/")
            found.append(Network(str(net["id"]), f"{host}:{port}" if port else host, path))
    return found


def known_networks() -> list[Network]:
    """Every named network, ours before brownie's (a name in both is ours)."""
    seen: dict[str, Network] = {}
    for network in _ours(networks_file()) + _brownies(BROWNIE_NETWORKS):
        seen.setdefault(network.name, network)
    return list(seen.values())


def resolve(name: str) -> str:
    """The RPC URL of the network called `name`."""
    networks = known_networks()
    for network in networks:
        if network.name == name:
            return network.rpc()
    names = ", ".join(n.name for n in networks[:20]) + (" ..." if len(networks) > 20 else "")
    where = f"{networks_file()} or {BROWNIE_NETWORKS}"
    raise InvalidInputError(f"no network named {name!r} in {where}" + (f" (known: {names})" if names else ""))
