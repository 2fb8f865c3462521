"""Helpers shared by the brownie scripts: who sends, with which fees."""

from brownie import accounts, chain, network

from offchain.eth.keys import LOCAL_CHAIN_IDS

PRIORITY_FEE = "1 gwei"  # brownie then sets max fee = 2 x base fee + priority fee (EIP-1559)


def sender():
    """Local chains: the first unlocked account; elsewhere a `brownie accounts` keystore."""
    if network.show_active() in ("development", "anvil") or chain.id in LOCAL_CHAIN_IDS:
        return accounts[0]
    return accounts.load(input("brownie account to send from: "))


def tx_params(account, **extra):
    return {"from": account, "priority_fee": PRIORITY_FEE, **extra}
