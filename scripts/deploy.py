"""Deploy the project's contracts with brownie and record them in deployments/<chain id>.json.

brownie run scripts/deploy.py                      # local chain (brownie's development)
brownie run scripts/deploy.py --network sepolia    # any network brownie knows
"""

from brownie import ModelRegistry, TrainingMarket, chain

from offchain.eth.deploy import market_config
from offchain.eth.deployments import DeployedContract, Deployment, save_deployment
from scripts.common import sender, tx_params

CONFIRMATIONS = 1


def _record(contract, tx):
    name = contract._name
    return DeployedContract(address=contract.address, block=tx.block_number, abi=f"build/contracts/{name}.json")


def main():
    deployer = sender()
    params = tx_params(deployer, required_confs=CONFIRMATIONS)

    registry = ModelRegistry.deploy(deployer, params)
    market = TrainingMarket.deploy(registry, market_config(), params)
    registry.grantRole(registry.MARKET_ROLE(), market, params)

    deployment = Deployment(chain_id=chain.id)
    deployment.contracts["ModelRegistry"] = _record(registry, registry.tx)
    deployment.contracts["TrainingMarket"] = _record(market, market.tx)
    path = save_deployment(deployment)
    print(f"deployed on chain {chain.id}; addresses written to {path}")
    return deployment
