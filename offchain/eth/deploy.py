"""Deploy the project's contracts from brownie's build output and record them.

The same steps as scripts/deploy.py (for brownie users), for code that runs without
brownie: the demo and the tests.
"""

from __future__ import annotations

from pathlib import Path

from offchain.eth.client import Client
from offchain.eth.deployments import DeployedContract, Deployment, save_deployment


def _record(name: str, address: str, block: int) -> DeployedContract:
    return DeployedContract(address=address, block=block, abi=f"build/contracts/{name}.json")


def deploy_all(client: Client, directory: Path | None = None) -> Deployment:
    """Deploy ModelRegistry (admin: the sender) and write deployments/<chain id>.json."""
    registry, receipt = client.deploy("ModelRegistry", client.address)
    deployment = Deployment(chain_id=client.chain_id)
    deployment.contracts["ModelRegistry"] = _record(
        "ModelRegistry", registry.address, receipt["blockNumber"]
    )
    save_deployment(deployment, directory)
    return deployment
