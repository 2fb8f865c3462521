"""Constants and small steps shared by the market tests (v2: sealed evaluation set,
drawn committees, commit-revealed attestations, per-party claims)."""

from brownie import chain, web3
from eth_abi import encode
from eth_utils import keccak
from hashes import h

from offchain.eth.commitment import commitment

MIN_BOND = 10**18
QUORUM = 2
TOLERANCE_BPS = 100
FEE_BPS = 500
SLASH_BPS = 1000  # 10 % of the bond per attestation outside tolerance or missing
FORFEIT_BPS = 1000  # 10 % of the job's minimum stake
MIN_WINDOW = 100
CONFIG = (MIN_BOND, QUORUM, TOLERANCE_BPS, FEE_BPS, SLASH_BPS, FORFEIT_BPS, MIN_WINDOW)
REWARD = 10 * 10**18


def deposit_of(reward):
    """The requester's deposit posted beside `reward` (Judgment.depositOf: equal to it)."""
    return reward


DEPOSIT = deposit_of(REWARD)
MIN_STAKE = 10**18
FORFEIT = MIN_STAKE * FORFEIT_BPS // 10_000
MIN_SCORE = 6000
COMMITTEE = 3
URI = "http://127.0.0.1:8000/sha256/" + "ab" * 32  # 93 bytes
URI64 = "http://127.0.0.1:8000/sha256/" + "ab" * 17 + "0"  # exactly 64 bytes
TRAIN = h("train")
EVAL = h("eval")
EVAL_SALT = h("eval-salt")
EVAL_URI = "file:///eval"
COMMIT_S, REVEAL_S, ATTEST_S, SETTLE_S = 1000, 2000, 3000, 4000  # deadlines, seconds after posting
NO_WINNER = 2**256 - 1
_LENSES = {}  # market address -> its MarketLens (deployed with it by conftest's fixtures)


def track_lens(market, lens):
    """Remember `lens` as the MarketLens of `market`."""
    _LENSES[market.address] = lens


def lens_of(market):
    """The MarketLens deployed with `market`: phase, submissions, committee, winner, payouts."""
    return _LENSES[market.address]


def next_time():
    """Pin the next block's timestamp to one second after the latest block and return it,
    so deadlines relative to it are exact (anvil's clock otherwise follows the wall clock)."""
    t = chain[-1].timestamp + 1
    web3.provider.make_request("evm_setNextBlockTimestamp", [t])
    return t


def eval_seal(evaluation=EVAL, salt=EVAL_SALT):
    return "0x" + keccak(encode(["bytes32", "bytes32"], [bytes.fromhex(evaluation[2:]), bytes.fromhex(salt[2:])])).hex()


def post(market, requester, reward=REWARD, min_stake=MIN_STAKE, min_score=MIN_SCORE, committee=COMMITTEE, pooled=False):
    """Post a standard job (msg.value: the reward and its deposit), `pooled` through
    postPooledJob (its seed block is the next one); returns (job id, transaction)."""
    now = next_time()
    tx = (market.postPooledJob if pooled else market.postJob)(
        h("base"),
        h("train"),
        eval_seal(),
        h("spec"),
        min_score,
        [now + COMMIT_S, now + REVEAL_S, now + ATTEST_S, now + SETTLE_S],
        min_stake,
        committee,
        {"from": requester, "value": reward + deposit_of(reward)},
    )
    return tx.return_value, tx


def post_with_provenance(market, requester, anchor_proof, training_set=TRAIN, reward=REWARD, pooled=False):
    """post()'s job, carrying an anchor proof (transaction, block hash, index, branch);
    `pooled` through postPooledAnchoredJob."""
    now = next_time()
    return (market.postPooledAnchoredJob if pooled else market.postJobWithProvenance)(
        h("base"),
        training_set,
        eval_seal(),
        h("spec"),
        MIN_SCORE,
        [now + COMMIT_S, now + REVEAL_S, now + ATTEST_S, now + SETTLE_S],
        MIN_STAKE,
        COMMITTEE,
        anchor_proof,
        {"from": requester, "value": reward + deposit_of(reward)},
    )


def salt_of(account):
    return h(f"salt-{account.address}")


def model_of(worker):
    return h(f"model-{worker.address}")


def sealed(job_id, worker, score, model=None, salt=None):
    """The commitment of `worker` claiming `score`, from the Python implementation."""
    raw = commitment(job_id, worker.address, model or model_of(worker), score, salt or salt_of(worker))
    return "0x" + raw.hex()


def attestation_seal(job_id, validator, scores, salt=None):
    salt = salt or salt_of(validator)
    raw = encode(
        ["uint256", "address", "uint16[]", "bytes32"], [job_id, validator.address, scores, bytes.fromhex(salt[2:])]
    )
    return "0x" + keccak(raw).hex()


def do_commit(market, job_id, worker, score, stake=MIN_STAKE):
    return market.commit(job_id, sealed(job_id, worker, score), {"from": worker, "value": stake})


def do_reveal(market, job_id, worker, score, uri=URI):
    return market.reveal(job_id, model_of(worker), score, salt_of(worker), uri, {"from": worker})


def reveal_eval(market, job_id, sender):
    return market.revealEvaluation(job_id, EVAL, EVAL_SALT, EVAL_URI, {"from": sender})


def commit_scores(market, job_id, validator, scores):
    return market.commitAttestation(job_id, attestation_seal(job_id, validator, scores), {"from": validator})


def reveal_scores(market, job_id, validator, scores):
    return market.revealAttestation(job_id, scores, salt_of(validator), {"from": validator})


def attesting(market, requester, worker, score):
    """A job with one submission (`worker` commits and reveals `score`), its evaluation set
    open and its committee drawn, in the attestation window; returns its id."""
    job_id, _ = post(market, requester)
    do_commit(market, job_id, worker, score)
    to_reveal(market, job_id)
    do_reveal(market, job_id, worker, score)
    reveal_eval(market, job_id, requester)
    draw(market, job_id, requester)
    to_attest(market, job_id)
    return job_id


def job_times(market, job_id):
    job = market.job(job_id)
    return job["commitDeadline"], job["revealDeadline"], job["attestDeadline"], job["settleDeadline"]


def to_reveal(market, job_id):
    """Move the clock into the job's reveal window."""
    sleep_until(job_times(market, job_id)[0])


def to_attest(market, job_id):
    sleep_until(job_times(market, job_id)[1])


def to_settle(market, job_id):
    sleep_until(job_times(market, job_id)[2])


def to_finalize(market, job_id):
    sleep_until(job_times(market, job_id)[3])


def sleep_until(t):
    """Mine a block at time `t` (if the chain is not past it), so the next one is after it."""
    if t > chain[-1].timestamp:
        web3.provider.make_request("evm_setNextBlockTimestamp", [t])
        chain.mine()


def at_time(t):
    """Make the next transaction's block have timestamp `t` (> the latest block's)."""
    web3.provider.make_request("evm_setNextBlockTimestamp", [t])


def draw(market, job_id, sender):
    """Draw the job's committee: the first call fixes the seed block, the next (a later block)
    draws from its hash. A call that lands in a new epoch fixes a fresh seed block instead (the
    epochs are MIN_WINDOW / 2 = 50 s here), hence the third try."""
    for _ in range(3):
        tx = market.drawCommittee(job_id, {"from": sender})
        if "CommitteeDrawn" in tx.events:
            return tx
    raise AssertionError(f"job {job_id}: three calls drew no committee")


def finalize(market, job_id, sender, uri=URI):
    """Finalize with the winner's revealed model and URI (the tests reveal model_of(worker))."""
    best = lens_of(market).winnerOf(job_id)
    if best == NO_WINNER:
        return market.finalize(job_id, "0x" + "00" * 32, "", {"from": sender})
    worker = lens_of(market).submissions(job_id)[best]["worker"]
    return market.finalize(job_id, h(f"model-{worker}"), uri, {"from": sender})


def claim_all(market, job_id):
    """Every worker claims its outcome; returns {worker address: amount}."""
    paid = {}
    for i, s in enumerate(lens_of(market).submissions(job_id)):
        if s["stake"]:
            tx = market.claim(job_id, i, {"from": s["worker"]})
            paid[s["worker"]] = tx.events["Claimed"]["amount"]
    return paid


def run_job(
    market,
    requester,
    validators,
    claims,
    attested,
    reward=REWARD,
    committee=COMMITTEE,
    reveal_eval_set=True,
    one_seat=False,
    finalizable=True,
    pooled=False,
):
    """Post, commit and reveal `claims` {worker: score}, reveal the evaluation set, draw the
    committee, and have each drawn validator in `validators` commit then reveal
    `attested` {worker: [score per validator in `validators`, None to stay silent]}; stops
    when finalizable. Workers without an entry in `attested` get the claim from everyone.
    `one_seat`: draw jobs until one seats each member once ({one_seat_each}), for tests whose
    arithmetic is per member. `finalizable=False`: stops after the reveals, before the appeals' window.
    `pooled`: the job is posted pooled (postPooledJob)."""

    def drawn_job():
        job_id, _ = post(market, requester, reward=reward, committee=committee, pooled=pooled)
        for worker, score in claims.items():
            do_commit(market, job_id, worker, score)
        to_reveal(market, job_id)
        for worker, score in claims.items():
            do_reveal(market, job_id, worker, score)
        if reveal_eval_set:
            reveal_eval(market, job_id, requester)
        draw(market, job_id, requester)
        return job_id

    job_id = one_seat_each(market, drawn_job) if one_seat else drawn_job()
    seats = list(lens_of(market).committee(job_id))
    to_attest(market, job_id)
    plans = {}
    for v in validators:
        if v.address not in seats:
            continue
        k = validators.index(v)
        scores = [attested.get(w, [c] * len(validators))[k] for w, c in claims.items()]
        if None in scores or not reveal_eval_set:
            continue
        plans[v] = scores
        commit_scores(market, job_id, v, scores)
    to_settle(market, job_id)
    for v, scores in plans.items():
        reveal_scores(market, job_id, v, scores)
    if finalizable:
        to_finalize(market, job_id)
    return job_id


def seated(market, job_id, candidates):
    """The `candidates` holding a seat of the job's committee, each once, in `candidates`' order
    (seats by bond: a member may hold several seats, a candidate none)."""
    seats = list(lens_of(market).committee(job_id))
    return [c for c in candidates if c.address in seats]


def seats_held(market, job_id, account):
    """How many of the job's seats `account` holds."""
    return list(lens_of(market).committee(job_id)).count(getattr(account, "address", account))


def slashed_over(seats, bond=MIN_BOND, bad=1):
    """What `seats` seats of one member take when each slashes SLASH_BPS of the bond the seats
    before it left per `bad` attestation (Settlement reads the bond seat by seat)."""
    left = bond
    for _ in range(seats):
        left -= left * SLASH_BPS * bad // 10_000
    return bond - left


def one_seat_each(market, drawn_job, tries=40):
    """A job from `drawn_job()` (posts and draws one) whose committee seats each member once:
    seats by bond repeat members (3 equal bonds, 3 seats: 2 draws in 9 are distinct), and unit
    tests of one member's seat need a committee of three distinct members. Draws again until one."""
    for _ in range(tries):
        job_id = drawn_job()
        seats = list(lens_of(market).committee(job_id))
        if all(int(a, 16) for a in seats) and len(set(seats)) == len(seats):
            return job_id
    raise AssertionError(f"{tries} draws and no committee of distinct members")
