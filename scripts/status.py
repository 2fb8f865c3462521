"""Print what is deployed on the active network and every registered model.

    brownie run scripts/status.py
"""

from brownie import ModelRegistry, chain, web3

from offchain.eth.deployments import load_deployment

ZERO = "0x" + "00" * 32


def _hash(value):
    text = value if isinstance(value, str) else "0x" + bytes(value).hex()
    return text if text.startswith("0x") else "0x" + text


def print_models(registry, from_block):
    logs = registry.events.ModelRegistered.get_logs(from_block=from_block, to_block=web3.eth.block_number)
    print(f"\nregistered models: {len(logs)}")
    print(f"{'model':<68} {'parent':<68} {'score':>7} {'job':>4}")
    for log in logs:
        args = log["args"]
        parent = _hash(args["parentHash"])
        print(
            f"{_hash(args['modelHash']):<68} {'(base)' if parent == ZERO else parent:<68} "
            f"{args['scoreBps'] / 100:>6.2f}% {args['jobId']:>4}"
        )


def main():
    deployment = load_deployment(chain.id)
    print(f"chain {chain.id}, block {web3.eth.block_number}")
    for name, entry in deployment.contracts.items():
        print(f"  {name:<16} {entry.address}  (deployed in block {entry.block})")
    registry_entry = deployment.contract("ModelRegistry")
    print_models(ModelRegistry.at(registry_entry.address), registry_entry.block)
