"""deployments/<chain id>.json: where each contract of the project lives on a chain.

Written by scripts/deploy.py (brownie) and by `offchain.eth.deploy`; read by every other
script and by the offchain roles. One writer, one reader, one format.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from offchain.eth.build import PROJECT_ROOT
from offchain.eth.errors import DeploymentError, StaleDeploymentError
from offchain.eth.values import parse_address

if TYPE_CHECKING:
    from offchain.eth.client import Client

FORMAT_VERSION = 1


def deployments_dir() -> Path:
    """The deployments folder (OFFCHAIN_DEPLOYMENTS_DIR overrides)."""
    return Path(os.environ.get("OFFCHAIN_DEPLOYMENTS_DIR", PROJECT_ROOT / "deployments"))


@dataclass(frozen=True)
class DeployedContract:
    address: str
    block: int  # deployment block: event scans start here
    abi: str  # where the ABI comes from (brownie build artifact, relative to the project)


@dataclass
class Deployment:
    chain_id: int
    contracts: dict[str, DeployedContract] = field(default_factory=dict)
    version: int = FORMAT_VERSION

    def contract(self, name: str) -> DeployedContract:
        try:
            return self.contracts[name]
        except KeyError:
            known = ", ".join(sorted(self.contracts)) or "none"
            raise DeploymentError(
                f"{name} is not deployed on chain {self.chain_id} (deployed: {known}); run scripts/deploy.py"
            ) from None


def deployment_path(chain_id: int, directory: Path | None = None) -> Path:
    return (directory or deployments_dir()) / f"{chain_id}.json"


def save_deployment(deployment: Deployment, directory: Path | None = None) -> Path:
    """Write atomically (temporary file, then rename) so a crash never leaves half a file."""
    path = deployment_path(deployment.chain_id, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(asdict(deployment), indent=2, sort_keys=True) + "\n")
    os.replace(tmp, path)
    return path


def load_deployment(chain_id: int, directory: Path | None = None) -> Deployment:
    """The deployment record for `chain_id`; raises DeploymentError if missing or malformed."""
    path = deployment_path(chain_id, directory)
    if not path.is_file():
        raise DeploymentError(f"nothing deployed on chain {chain_id}: {path} does not exist; run scripts/deploy.py")
    try:
        data = json.loads(path.read_text())
        contracts = {
            name: DeployedContract(
                address=parse_address(entry["address"]),
                block=int(entry["block"]),
                abi=str(entry["abi"]),
            )
            for name, entry in data["contracts"].items()
        }
        return Deployment(chain_id=int(data["chain_id"]), contracts=contracts)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DeploymentError(f"malformed deployment file {path}: {exc}") from None


def validate_deployed(client: Client, deployment: Deployment, names: tuple[str, ...] | None = None) -> None:
    """Raise StaleDeploymentError unless the chain holds code at every recorded address.

    After a local chain restarts, deployments/<id>.json still names the old addresses:
    a role must refuse to start there rather than watch an empty address forever.
    """
    from offchain.eth.failures import stale_deployment_message

    for name in names or tuple(sorted(deployment.contracts)):
        address = deployment.contract(name).address
        if not client.w3.eth.get_code(parse_address(address)):
            raise StaleDeploymentError(f"{name}: {stale_deployment_message(address, deployment.chain_id)}")


def open_deployment(client: Client, directory: Path | None = None) -> Deployment:
    """The deployment record of the client's chain, checked against the chain's code."""
    deployment = load_deployment(client.chain_id, directory)
    validate_deployed(client, deployment)
    return deployment
