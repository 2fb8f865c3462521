"""One market job by hand on a local chain: deploy, post, commit, reveal, attest, finalize,
withdraw, then print scripts/status.py's table.

    brownie run scripts/market_walkthrough.py
"""

from brownie import ModelRegistry, TrainingMarket, accounts, chain, web3

from offchain.eth.commitment import commitment
from offchain.eth.deployments import load_deployment
from scripts import deploy, post_job, status

MODEL = "0x" + "ab" * 32
SALT = "0x" + "cd" * 32
CLAIM_BPS = 7200
MEASURED_BPS = (7200, 7150, 7260)  # what the three validators measure
STAKE = "0.1 ether"


def _warp(t):
    web3.provider.make_request("evm_setNextBlockTimestamp", [t])
    chain.mine()


def main():
    deploy.main()
    contracts = load_deployment(chain.id).contracts
    registry = ModelRegistry.at(contracts["ModelRegistry"].address)
    market = TrainingMarket.at(contracts["TrainingMarket"].address)
    registry.register(post_job.BASE_MODEL, "0x" + "00" * 32, post_job.TRAINING_SET, 5000, "", {"from": accounts[0]})
    worker, validators = accounts[1], accounts[2:5]
    for v in validators:
        market.joinValidators({"from": v, "value": market.minBond()})
    job_id = post_job.main()
    job = market.job(job_id)
    market.commit(job_id, commitment(job_id, worker.address, MODEL, CLAIM_BPS, SALT), {"from": worker, "value": STAKE})
    _warp(job["commitDeadline"])
    market.reveal(job_id, MODEL, CLAIM_BPS, SALT, "http://127.0.0.1:8000/sha256/" + "ab" * 32, {"from": worker})
    _warp(job["revealDeadline"])
    for v, score in zip(validators, MEASURED_BPS, strict=True):
        market.attest(job_id, worker, score, {"from": v})
    _warp(job["attestDeadline"])
    market.finalize(job_id, {"from": accounts[0]})
    market.withdraw({"from": worker})
    status.main()
