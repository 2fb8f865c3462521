"""Register a model in the ModelRegistry from the command line.

brownie run scripts/register_model.py main MODEL_HASH DATASET_HASH SCORE_BPS URI [PARENT_HASH]
"""

from brownie import ModelRegistry, chain

from offchain.eth.deployments import load_deployment
from offchain.eth.values import hash_hex, parse_hash32, validate_bps
from scripts.common import bound, sender, tx_params

ZERO = bytes(32)


def main(model_hash, dataset_hash, score_bps, uri, parent_hash=None):
    score = int(score_bps)
    validate_bps(score)
    model = parse_hash32(model_hash, "model hash")
    dataset = parse_hash32(dataset_hash, "dataset hash")
    parent = parse_hash32(parent_hash, "parent hash") if parent_hash else ZERO
    registry = bound(ModelRegistry, load_deployment(chain.id).contract("ModelRegistry").address)

    tx = registry.register(model, parent, dataset, score, uri, tx_params(sender()))

    print(f"registered {hash_hex(model)} (gas used {tx.gas_used})")
