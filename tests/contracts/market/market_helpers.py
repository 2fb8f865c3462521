"""Constants and small steps shared by the market tests."""

from brownie import chain, web3
from hashes import h

from offchain.eth.commitment import commitment

MIN_BOND = 10**18
QUORUM = 2
TOLERANCE_BPS = 100
FEE_BPS = 500
REWARD = 10 * 10**18
MIN_STAKE = 10**18
MIN_SCORE = 6000
URI = "http://127.0.0.1:8000/sha256/" + "ab" * 32  # 93 bytes
URI64 = "http://127.0.0.1:8000/sha256/" + "ab" * 17 + "0"  # exactly 64 bytes
COMMIT_S, REVEAL_S, ATTEST_S = 1000, 2000, 3000  # deadlines, seconds after posting


def next_time():
    """Pin the next block's timestamp to one second after the latest block and return it,
    so deadlines relative to it are exact (anvil's clock otherwise follows the wall clock)."""
    t = chain[-1].timestamp + 1
    web3.provider.make_request("evm_setNextBlockTimestamp", [t])
    return t


def post(market, requester, reward=REWARD, min_stake=MIN_STAKE, min_score=MIN_SCORE):
    """Post a standard job; returns (job id, transaction)."""
    now = next_time()
    tx = market.postJob(
        h("base"),
        h("train"),
        h("eval"),
        h("spec"),
        min_score,
        now + COMMIT_S,
        now + REVEAL_S,
        now + ATTEST_S,
        min_stake,
        {"from": requester, "value": reward},
    )
    return tx.return_value, tx


def salt_of(worker):
    return h(f"salt-{worker.address}")


def model_of(worker):
    return h(f"model-{worker.address}")


def sealed(job_id, worker, score, model=None, salt=None):
    """The commitment of `worker` claiming `score`, from the Python implementation."""
    raw = commitment(job_id, worker.address, model or model_of(worker), score, salt or salt_of(worker))
    return "0x" + raw.hex()


def do_commit(market, job_id, worker, score, stake=MIN_STAKE):
    return market.commit(job_id, sealed(job_id, worker, score), {"from": worker, "value": stake})


def do_reveal(market, job_id, worker, score, uri=URI):
    return market.reveal(job_id, model_of(worker), score, salt_of(worker), uri, {"from": worker})


def job_times(market, job_id):
    job = market.job(job_id)
    return job["commitDeadline"], job["revealDeadline"], job["attestDeadline"]


def to_reveal(market, job_id):
    """Move the clock into the job's reveal window."""
    sleep_until(job_times(market, job_id)[0])


def to_attest(market, job_id):
    sleep_until(job_times(market, job_id)[1])


def to_finalize(market, job_id):
    sleep_until(job_times(market, job_id)[2])


def sleep_until(t):
    """Mine a block at time `t` (if the chain is not past it), so the next one is after it."""
    if t > chain[-1].timestamp:
        web3.provider.make_request("evm_setNextBlockTimestamp", [t])
        chain.mine()


def at_time(t):
    """Make the next transaction's block have timestamp `t` (> the latest block's)."""
    web3.provider.make_request("evm_setNextBlockTimestamp", [t])


def run_job(market, requester, validators, claims, attested, reward=REWARD):
    """Post, commit and reveal `claims` {worker: score}, attest `attested`
    {worker: [score per validator, None to skip]}, and stop when finalizable."""
    job_id, _ = post(market, requester, reward=reward)
    for worker, score in claims.items():
        do_commit(market, job_id, worker, score)
    to_reveal(market, job_id)
    for worker, score in claims.items():
        do_reveal(market, job_id, worker, score)
    to_attest(market, job_id)
    for worker, scores in attested.items():
        for validator, score in zip(validators, scores, strict=False):
            if score is not None:
                market.attest(job_id, worker, score, {"from": validator})
    to_finalize(market, job_id)
    return job_id
