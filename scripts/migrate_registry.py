"""Carry an old ModelRegistry's records and lineage over to a new one (after `deploy_all` deployed
a new relay, registry, market and lens): see offchain/eth/migrate.py.

brownie run scripts/migrate_registry.py main 0xOLD_REGISTRY            # to this chain's deployment
brownie run scripts/migrate_registry.py main 0xOLD_REGISTRY 0xNEW 1    # ... and close the migration
"""

from brownie import chain, web3

from offchain.eth.client import Client
from offchain.eth.deployments import load_deployment
from offchain.eth.keys import account_from_key
from offchain.eth.migrate import migrate_registry
from scripts.common import sender

FROM_BLOCK = 0  # where the old registry's events start (its deployment block, if known)


def main(old_registry, new_registry=None, close=0):
    deployer = sender()
    key = getattr(deployer, "private_key", None)
    client = Client(web3, deployer.address, account_from_key(key) if key else None)
    new = new_registry or load_deployment(chain.id).contract("ModelRegistry").address
    report = migrate_registry(client, old_registry, new, FROM_BLOCK, close=bool(int(close)))
    print(f"carried {report.carried} records to {new} ({report.already} already there; closed: {report.closed})")
    return report
