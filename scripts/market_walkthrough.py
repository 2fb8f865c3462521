"""One market job by hand on a local chain: deploy, post, commit, reveal the result and the
evaluation set, draw the committee, seal and reveal attestations, finalize, claim, then
print scripts/status.py's table.

    brownie run scripts/market_walkthrough.py
"""

from brownie import MarketLens, ModelRegistry, TrainingMarket, accounts, chain, web3

from offchain.eth.commitment import attestation_seal, commitment
from offchain.eth.deployments import load_deployment
from scripts import deploy, post_job, status
from scripts.common import bound

MODEL = "0x" + "ab" * 32
SALT = "0x" + "cd" * 32
CLAIM_BPS = 7200
MEASURED_BPS = (7200, 7150, 7260)  # what the three validators measure
STAKE = "0.1 ether"
URI = "http://127.0.0.1:8000/sha256/" + "ab" * 32


def _warp(t):
    web3.provider.make_request("evm_setNextBlockTimestamp", [t])
    chain.mine()


def main():
    deploy.main()
    contracts = load_deployment(chain.id).contracts
    registry = bound(ModelRegistry, contracts["ModelRegistry"].address)
    market = bound(TrainingMarket, contracts["TrainingMarket"].address)
    lens = bound(MarketLens, contracts["MarketLens"].address)
    registry.register(post_job.BASE_MODEL, "0x" + "00" * 32, post_job.TRAINING_SET, 5000, "", {"from": accounts[0]})
    worker, validators = accounts[1], accounts[2:5]
    for v in validators:
        market.joinValidators({"from": v, "value": market.minBond()})
    job_id = post_job.main()
    job = market.job(job_id)
    sealed = "0x" + commitment(job_id, worker.address, MODEL, CLAIM_BPS, SALT).hex()
    market.commit(job_id, sealed, {"from": worker, "value": STAKE})
    _warp(job["commitDeadline"])
    market.reveal(job_id, MODEL, CLAIM_BPS, SALT, URI, {"from": worker})
    market.revealEvaluation(job_id, post_job.EVALUATION_SET, post_job.EVALUATION_SALT, "", {"from": accounts[0]})
    market.drawCommittee(job_id, {"from": accounts[0]})  # fixes this block as the seed block
    for _ in range(2):  # a later block draws from its hash (once more if that block began a new epoch)
        chain.mine()  # the seed block's hash is out: brownie estimates gas on the latest block
        if "CommitteeDrawn" in market.drawCommittee(job_id, {"from": accounts[0]}).events:
            break
    scores = dict(zip(validators, MEASURED_BPS, strict=True))
    members = [v for v in validators if v.address in lens.committee(job_id)]
    _warp(job["revealDeadline"])
    for v in members:
        seal = "0x" + attestation_seal(job_id, v.address, [scores[v]], SALT).hex()
        market.commitAttestation(job_id, seal, {"from": v})
    _warp(job["attestDeadline"])
    for v in members:
        market.revealAttestation(job_id, [scores[v]], SALT, {"from": v})
    _warp(job["settleDeadline"])
    market.finalize(job_id, MODEL, URI, {"from": accounts[0]})
    market.claim(job_id, 0, {"from": worker})
    status.main()
