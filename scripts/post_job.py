"""Post a fine-tuning job on the deployed TrainingMarket (after scripts/deploy.py).

    brownie run scripts/post_job.py [--network NAME]

Edit the constants for a real job: the hashes are sha256 digests of the artifacts.
"""

from brownie import TrainingMarket, chain

from offchain.eth.deployments import load_deployment
from scripts.common import sender, tx_params

BASE_MODEL = "0x" + "00" * 31 + "01"  # a registered model hash (scripts/register_model.py)
TRAINING_SET = "0x" + "11" * 32
EVALUATION_SET = "0x" + "22" * 32
SPEC = "0x" + "33" * 32
MIN_SCORE_BPS = 6000
COMMIT_S, REVEAL_S, ATTEST_S = 600, 1200, 1800  # windows end this long after posting
MIN_STAKE = "0.1 ether"
REWARD = "1 ether"


def main():
    market = TrainingMarket.at(load_deployment(chain.id).contract("TrainingMarket").address)
    now = chain[-1].timestamp
    tx = market.postJob(
        BASE_MODEL,
        TRAINING_SET,
        EVALUATION_SET,
        SPEC,
        MIN_SCORE_BPS,
        now + COMMIT_S,
        now + REVEAL_S,
        now + ATTEST_S,
        MIN_STAKE,
        tx_params(sender(), value=REWARD),
    )
    job_id = tx.events["JobPosted"]["jobId"]
    print(
        f"posted job {job_id}: commits until {now + COMMIT_S}, reveals until {now + REVEAL_S}, "
        f"attestations until {now + ATTEST_S}"
    )
    return job_id
