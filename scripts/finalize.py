"""Finalize every market job that is past its attest deadline.

brownie run scripts/finalize.py [--network NAME]
"""

from brownie import MarketLens, TrainingMarket, chain

from offchain.eth.deployments import load_deployment
from offchain.eth.market import Phase
from scripts.common import bound, sender, tx_params


def main():
    deployment = load_deployment(chain.id)
    market = bound(TrainingMarket, deployment.contract("TrainingMarket").address)
    lens = bound(MarketLens, deployment.contract("MarketLens").address)
    account = sender()
    done = []
    for job_id in range(1, market.jobCount() + 1):
        if lens.phase(job_id) != Phase.FINALIZABLE:
            continue
        event = market.finalize(job_id, tx_params(account)).events["Finalized"]
        winner = event["winner"] if int(event["winner"], 16) else "nobody (reward refunded)"
        print(
            f"job {job_id}: winner {winner}, verified {event['verifiedScoreBps'] / 100:.2f} %, "
            f"slashed {event['slashed']} wei"
        )
        done.append(job_id)
    if not done:
        print("no job is finalizable")
    return done
