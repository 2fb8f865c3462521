"""Deploy the project's contracts with brownie and record them in deployments/<chain id>.json:
a LedgerRelay of the devnet ledger from its genesis, the ModelRegistry holding it, the market.

brownie run scripts/deploy.py                      # local chain (brownie's development)
brownie run scripts/deploy.py --network sepolia    # any network brownie knows
"""

from brownie import LedgerRelay, ModelRegistry, TrainingMarket, chain

from offchain.eth.deploy import LEDGER_CHAIN, RELAY_CONFIRMATIONS, genesis_relay_args, market_config
from offchain.eth.deployments import DeployedContract, Deployment, save_deployment
from scripts.common import sender, tx_params

CONFIRMATIONS = 1


def _record(contract, tx):
    name = contract._name
    return DeployedContract(address=contract.address, block=tx.block_number, abi=f"build/contracts/{name}.json")


def main():
    deployer = sender()
    params = tx_params(deployer, required_confs=CONFIRMATIONS)

    checkpoint, height, work, start, consensus, confirmations = genesis_relay_args(LEDGER_CHAIN, RELAY_CONFIRMATIONS)
    relay = LedgerRelay.deploy(checkpoint, height, work, start, consensus.as_tuple(), confirmations, params)
    registry = ModelRegistry.deploy(deployer, relay, params)
    market = TrainingMarket.deploy(registry, market_config(), params)
    registry.grantRole(registry.MARKET_ROLE(), market, params)

    deployment = Deployment(chain_id=chain.id)
    deployment.contracts["LedgerRelay"] = _record(relay, relay.tx)
    deployment.contracts["ModelRegistry"] = _record(registry, registry.tx)
    deployment.contracts["TrainingMarket"] = _record(market, market.tx)
    path = save_deployment(deployment)
    print(f"deployed on chain {chain.id}; addresses written to {path}")
    return deployment
