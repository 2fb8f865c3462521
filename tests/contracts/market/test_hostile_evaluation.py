"""Issue 20's hostile evaluation set judged by the chain: the claim and the verified score of
an honest worker in the first trial of tests/offchain/ml/test_pool.py (a nearest-centroid model
on scikit-learn's digits, 30 of 100 shards relabelled; that file asserts these numbers)."""

from market_helpers import finalize, lens_of, run_job

DISHONEST, WON = 3, 5  # ITrainingMarket.Outcome
# The requester put every relabelled shard in its evaluation set: 91.66 % held out, claimed
# less two standard errors, 0.92 % verified.
REQUESTER_CHOSEN = (8817, 92)
# The same pool split by a seed: claimed with pooled_claim's margin, verified on the seeded complement.
SEEDED = (0, 6888)


def _outcome(market, requester, worker, validators, claim, verified):
    job_id = run_job(market, requester, validators, {worker: claim}, {worker: [verified] * len(validators)})
    finalize(market, job_id, requester)
    return lens_of(market).submissions(job_id)[0]["outcome"]


def test_issue20_an_honest_claim_on_a_requester_chosen_evaluation_set_is_convicted(
    market, requester, alice, validators
):
    assert _outcome(market, requester, alice, validators, *REQUESTER_CHOSEN) == DISHONEST


def test_issue20_the_same_worker_on_the_pools_seeded_split_wins(market, requester, alice, validators):
    assert _outcome(market, requester, alice, validators, *SEEDED) == WON
