"""Helpers shared by the brownie scripts: who sends, with which fees."""

from brownie import Contract, accounts, chain, network

from offchain.eth.keys import LOCAL_CHAIN_IDS

PRIORITY_FEE = "1 gwei"  # brownie then sets max fee = 2 x base fee + priority fee (EIP-1559)


def sender():
    """Local chains: the first unlocked account; elsewhere a `brownie accounts` keystore."""
    if network.show_active() in ("development", "anvil") or chain.id in LOCAL_CHAIN_IDS:
        return accounts[0]
    return accounts.load(input("brownie account to send from: "))


def tx_params(account, **extra):
    return {"from": account, "priority_fee": PRIORITY_FEE, **extra}


def bound(container, address):
    """`container`'s contract at `address`, recorded nowhere by brownie: deployments/<chain id>.json
    is the record. brownie's own (`Container.at` writes build/deployments/<chain id>/ on a live
    network) goes stale when that chain restarts, and then every later run on it fails at connect."""
    return Contract.from_abi(container._name, address, container.abi, persist=False)
