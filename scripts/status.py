"""Print what is deployed on the active network and every registered model.

brownie run scripts/status.py
"""

from brownie import MarketLens, ModelRegistry, TrainingMarket, chain, web3

from offchain.eth.deployments import load_deployment
from offchain.eth.logs import contract_events
from offchain.eth.market import Outcome, Phase
from offchain.eth.values import format_eth
from scripts.common import bound

ZERO = "0x" + "00" * 32


def _hash(value):
    text = value if isinstance(value, str) else "0x" + bytes(value).hex()
    return text if text.startswith("0x") else "0x" + text


def print_models(registry, from_block):
    # In the provider's bounded ranges (public providers cap eth_getLogs), as every reader.
    logs = contract_events(registry.events.ModelRegistered(), from_block, web3.eth.block_number)
    print(f"\nregistered models: {len(logs)}")
    print(f"{'model':<68} {'parent':<68} {'score':>7} {'job':>4}")
    for log in logs:
        args = log["args"]
        parent = _hash(args["parentHash"])
        print(
            f"{_hash(args['modelHash']):<68} {'(base)' if parent == ZERO else parent:<68} "
            f"{args['scoreBps'] / 100:>6.2f}% {args['jobId']:>4}"
        )


def print_market(market, lens):
    """Every job with its phase and judged submissions (read through the lens), then what the
    market owes each account it met."""
    count = market.jobCount()
    quorum = market.config()[1]
    print(f"\nmarket jobs: {count} (sortition weight {market.totalWeight()} gwei, quorum {quorum})")
    print(f"{'job':>4} {'phase':<12} {'reward':>14} {'subs':>4} {'winner':<42}")
    accounts = set()
    for job_id in range(1, count + 1):
        job = market.job(job_id)
        subs = lens.submissions(job_id)
        winner = subs[job["winnerPlusOne"] - 1]["worker"] if job["winnerPlusOne"] else "-"
        phase = Phase(lens.phase(job_id)).name.lower().replace("_", " ")
        print(f"{job_id:>4} {phase:<12} {format_eth(job['reward']):>14} {len(subs):>4} {winner:<42}")
        accounts.add(job["requester"])
        accounts.update(a for a in lens.committee(job_id) if int(a, 16))
        for sub in subs:
            accounts.add(sub["worker"])
            claim = f"{sub['claimedScoreBps'] / 100:.2f}%" if sub["revealed"] else "hidden"
            print(
                f"       {sub['worker']}  stake {format_eth(sub['stake'])}  claim {claim:>7}  "
                f"verified {sub['verifiedScoreBps'] / 100:.2f}% ({sub['attestationCount']} att.)  "
                f"{Outcome(sub['outcome']).name.lower().replace('_', ' ')}"
            )
    print(f"\nmarket balance {format_eth(market.balance())}; pending withdrawals:")
    for account in sorted(accounts):
        print(f"  {account}  {format_eth(market.pendingOf(account)):>16}")


def main():
    deployment = load_deployment(chain.id)
    print(f"chain {chain.id}, block {web3.eth.block_number}")
    for name, entry in deployment.contracts.items():
        print(f"  {name:<16} {entry.address}  (deployed in block {entry.block})")
    registry_entry = deployment.contract("ModelRegistry")
    print_models(bound(ModelRegistry, registry_entry.address), registry_entry.block)
    if "TrainingMarket" in deployment.contracts:
        lens = bound(MarketLens, deployment.contract("MarketLens").address)
        print_market(bound(TrainingMarket, deployment.contract("TrainingMarket").address), lens)
