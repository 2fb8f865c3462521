"""Post a fine-tuning job on the deployed TrainingMarket (after scripts/deploy.py).

    brownie run scripts/post_job.py [--network NAME]

Edit the constants for a real job: the hashes are sha256 digests of the artifacts. The
evaluation set is posted sealed; keep EVALUATION_SALT to open it once commits close
(`offchain job post` keeps the salt in a seal book for you).
"""

from brownie import TrainingMarket, Wei, chain

from offchain.eth.commitment import evaluation_seal
from offchain.eth.deployments import load_deployment
from offchain.eth.market import deposit_of
from scripts.common import bound, sender, tx_params

BASE_MODEL = "0x" + "00" * 31 + "01"  # a registered model hash (scripts/register_model.py)
TRAINING_SET = "0x" + "11" * 32
EVALUATION_SET = "0x" + "22" * 32
EVALUATION_SALT = "0x" + "44" * 32
SPEC = "0x" + "33" * 32
MIN_SCORE_BPS = 6000
COMMIT_S, REVEAL_S, ATTEST_S, SETTLE_S = 600, 1200, 1800, 2400  # windows end this long after posting
MIN_STAKE = "0.1 ether"
COMMITTEE = 3  # validators drawn (odd, at least the quorum)
REWARD = Wei("1 ether")  # escrowed with an equal deposit, back at finalize unless the set is never opened


def main():
    market = bound(TrainingMarket, load_deployment(chain.id).contract("TrainingMarket").address)
    now = chain[-1].timestamp
    deadlines = [now + COMMIT_S, now + REVEAL_S, now + ATTEST_S, now + SETTLE_S]
    tx = market.postJob(
        BASE_MODEL,
        TRAINING_SET,
        "0x" + evaluation_seal(EVALUATION_SET, EVALUATION_SALT).hex(),
        SPEC,
        MIN_SCORE_BPS,
        deadlines,
        MIN_STAKE,
        COMMITTEE,
        tx_params(sender(), value=REWARD + deposit_of(REWARD)),
    )
    job_id = tx.events["JobPosted"]["jobId"]
    print(f"posted job {job_id}: commits, reveals, attestations and their reveals close at {deadlines}")
    return job_id
