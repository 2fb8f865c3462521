"""web3 client: providers, deployments, contract handles, transaction sending, events.

Knows nothing of torch. ABIs come from brownie's build artifacts (build/contracts) and
addresses from deployments/<chain id>.json.
"""
