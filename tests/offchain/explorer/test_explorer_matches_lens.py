"""What the explorer shows equals what the market's lens returns, over random market states.

Each seed drives one job on an in-process EVM through random choices (who commits, who
reveals, what they claim, whether the requester opens the evaluation set, what each committee
member attests, who claims) and stops at a random phase; the explorer's job page and job list
are then compared field by field with MarketLens read directly. The explorer judges nothing
(tests/offchain/test_layout_rules.py keeps it so): this test catches it showing something
the contract would not do.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from offchain.eth.client import Client, in_process
from offchain.eth.commitment import attestation_seal, commitment, evaluation_seal
from offchain.eth.deploy import deploy_all
from offchain.eth.deployments import Deployment
from offchain.eth.job_terms import JobTerms
from offchain.eth.market import MarketClient, Phase
from offchain.eth.market_events import Committed
from offchain.eth.registry import RegistryClient
from offchain.explorer.market_view import MarketView

ETH = 10**18
WINDOW_S = 100
BASE = bytes([1]) * 32
EVAL = bytes([2]) * 32
EVAL_SALT = bytes([3]) * 32
SEEDS = range(16)
STOPS = (Phase.OPEN, Phase.REVEALING, Phase.ATTESTING, Phase.SETTLING, Phase.FINALIZABLE, Phase.FINALIZED)


@pytest.fixture
def chain(tmp_path: Path) -> tuple[Client, Deployment]:
    """A fresh market per seed: slashed validators leave the draw, so states must not pile up."""
    client = in_process()
    deployment = deploy_all(client, tmp_path, min_window=WINDOW_S // 2, ledger_chain=None)
    RegistryClient(client, deployment.contract("ModelRegistry").address).register(BASE, None, bytes(32), 0, "x")
    market = MarketClient.of(client, deployment)
    for v in client.w3.eth.accounts[6:9]:
        market.as_sender(client.with_account(v)).join_validators(ETH)
    return client, deployment


def _travel(client: Client, t: int) -> None:
    client.w3.testing.timeTravel(t)
    client.w3.testing.mine(1)


def _drive(client: Client, market: MarketClient, rng: random.Random) -> tuple[int, list[str]]:
    """One job through random choices up to a random phase; returns its id and its workers."""
    accounts = client.w3.eth.accounts
    stop = rng.choices(STOPS, weights=(1, 1, 1, 1, 1, 6))[0]  # most runs settle: that is where amounts are
    as_ = lambda a: market.as_sender(client.with_account(a))  # noqa: E731
    now = int(client.w3.eth.get_block("latest")["timestamp"])
    deadlines = (now + WINDOW_S, now + 2 * WINDOW_S, now + 3 * WINDOW_S, now + 4 * WINDOW_S)
    terms = JobTerms(
        base_model=BASE, training_set=bytes([4]) * 32, evaluation_seal=evaluation_seal(EVAL, EVAL_SALT),
        spec=bytes([5]) * 32, min_score_bps=rng.choice((0, 5000, 7000, 9000)), deadlines=deadlines,
        min_stake=ETH // 10, committee_size=3, reward=ETH,
    )  # fmt: skip
    job_id = as_(accounts[1]).post_job(terms)
    workers = accounts[2 : 2 + rng.randint(1, 4)]
    claims = {w: rng.randint(4000, 9500) for w in workers}
    for w in workers:
        as_(w).commit(job_id, commitment(job_id, w, bytes([9]) * 32, claims[w], bytes([8]) * 32), ETH // 10)
    if stop == Phase.OPEN:
        return job_id, list(workers)
    _travel(client, deadlines[0])
    revealed = [w for w in workers if rng.random() < 0.8]
    for w in revealed:
        as_(w).reveal(job_id, bytes([9]) * 32, claims[w], bytes([8]) * 32, f"file:///{w}")
    evaluated = rng.random() < 0.75
    if evaluated:
        as_(accounts[1]).reveal_evaluation(job_id, EVAL, EVAL_SALT, "")
    as_(accounts[1]).draw_committee(job_id)
    if stop == Phase.REVEALING:
        return job_id, list(workers)
    _travel(client, deadlines[1])
    members = list(dict.fromkeys(market.committee(job_id)))  # seats by bond: a member may hold several
    scores = {m: [claims[w] + rng.choice((-300, -50, 0, 0, 50, 400)) for w in workers] for m in members}
    attesting = [m for m in members if evaluated and rng.random() < 0.7]
    for m in attesting:
        as_(m).commit_attestation(job_id, attestation_seal(job_id, m, scores[m], bytes([6]) * 32))
    if stop == Phase.ATTESTING:
        return job_id, list(workers)
    _travel(client, deadlines[2])
    for m in attesting:
        if rng.random() < 0.9:
            as_(m).reveal_attestation(job_id, scores[m], bytes([6]) * 32)
    if stop == Phase.SETTLING:
        return job_id, list(workers)
    _travel(client, deadlines[3])
    if stop == Phase.FINALIZED:
        market.finalize(job_id)
        for i, w in enumerate(workers):
            if rng.random() < 0.3:
                as_(w).claim(job_id, i)
    return job_id, list(workers)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_explorer_shows_what_the_lens_returns(chain: tuple[Client, Deployment], seed: int) -> None:
    client, deployment = chain
    market = MarketClient.of(client, deployment)
    job_id, _ = _drive(client, market, random.Random(seed))
    view = MarketView(client, market.address, market.lens_address).job(job_id)
    assert view is not None

    posted = market.job_posted(job_id)
    committed = [e for e in market.events_of(job_id, "Committed") if isinstance(e, Committed)]
    stakes = [e.stake for e in sorted(committed, key=lambda e: e.index)]
    judged, totals = market.settlement(job_id, stakes, posted.reward)
    lens_subs = market.submissions(job_id)
    finalized = market.phase(job_id) == Phase.FINALIZED
    assert view.phase == market.phase(job_id).name.lower()
    assert [s.outcome for s in view.submissions] == [s.outcome.name.lower().replace("_", " ") for s in lens_subs]
    for shown, sub, judge in zip(view.submissions, lens_subs, judged, strict=True):
        assert shown.verified_score_bps == (judge.verified_score_bps if judge.verified else None)
        assert shown.claimed_score_bps == (sub.claimed_score_bps if sub.revealed else None)
        if finalized:
            assert judge.outcome == sub.outcome
            if sub.stake:  # not claimed yet: what the explorer says is due is what claim pays
                assert shown.due == sub.payout
            assert [a.near for a in shown.attestations if a.score_bps is not None] == [
                judge.near(a.seat) for a in shown.attestations if a.score_bps is not None
            ]
    if finalized:
        assert view.settlement is not None
        assert (view.settlement.stakes_slashed, view.settlement.forfeits) == (totals.stakes_slashed, totals.forfeits)
    rows, _ = MarketView(client, market.address, market.lens_address).jobs(view.now)
    phases = market.phases([r.job_id for r in rows])
    assert [r.phase for r in rows] == [p.name.lower() for p in phases]
