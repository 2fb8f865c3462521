"""Deploy the project's contracts with brownie's connection and record them in
deployments/<chain id>.json: a LedgerRelay of the devnet ledger from its genesis, the
ModelRegistry holding it, the market holding the registry's MARKET_ROLE, and its MarketLens.

brownie run scripts/deploy.py                      # local chain (brownie's development)
brownie run scripts/deploy.py --network sepolia    # any network brownie knows

The deploy order lives in offchain.eth.deploy.deploy_all (the demo and the tests use it too);
this script only hands it brownie's chain and sender.
"""

from brownie import chain, web3

from offchain.eth.client import Client
from offchain.eth.deploy import deploy_all
from offchain.eth.deployments import deployment_path
from offchain.eth.keys import account_from_key
from scripts.common import sender


def main():
    deployer = sender()
    key = getattr(deployer, "private_key", None)  # a keystore account signs here; dev accounts are unlocked
    client = Client(web3, deployer.address, account_from_key(key) if key else None)
    deployment = deploy_all(client)
    print(f"deployed on chain {chain.id}; addresses written to {deployment_path(chain.id)}")
    return deployment
