"""offchain.api, the requester's Python API, on the roles' in-process chain: it posts through
the command line's own checks and seal book, follows the job and collects."""

from __future__ import annotations

import json

import pytest
from conftest import ETH, SPEC, World

from offchain.api import Job, Market, Phase, WaitTimeoutError, Windows
from offchain.errors import OffchainError
from offchain.eth.errors import InvalidInputError
from offchain.eth.inclusion import DELAYS
from offchain.eth.market import deposit_of
from offchain.roles.seals import SealBook


def _files(world: World) -> dict[str, object]:
    from offchain.ml.data import export_dataset, load_data

    spec = world.tmp / "api-spec.json"
    spec.write_text(json.dumps(SPEC))
    train, _ = export_dataset(load_data("digits", "train", "5-9", per_class=4), world.tmp / "api-train.npz")
    evaluation, _ = export_dataset(load_data("digits", "test", "5-9", per_class=10), world.tmp / "api-eval.npz")
    return {"base": "0x" + world.base_hash.hex(), "train": train, "evaluation": evaluation, "spec": spec}


def _market(world: World) -> Market:
    return Market(world.session(1, "requester"))


def test_a_job_posted_from_python_is_sealed_followed_and_opened(world: World) -> None:
    market = _market(world)
    job = market.post_job(**_files(world), reward="1ether", min_score_bps=0, windows=Windows(commit=3600))

    assert job.phase() == Phase.OPEN
    status = job.status()
    assert status["job_id"] == job.id and status["reward"] == ETH and status["phase"] == "open"
    # sealed in the requester's own seal book: `offchain job reveal-eval` could open it too
    seal = market.session.market.job_posted(job.id).evaluation_seal
    session = market.session
    book = SealBook(session.home / "requester-seals.sqlite", session.client.chain_id, session.market.address)
    assert book.evaluation(seal) is not None
    book.close()

    assert job.reveal_evaluation() is False  # commits still open
    with pytest.raises(WaitTimeoutError, match=f"job {job.id} is still open"):
        job.wait_for("revealing", timeout_s=0.2, poll_s=0.05)

    world.travel_past(0, job.id)
    assert job.wait_for("revealing", timeout_s=5) == Phase.REVEALING
    assert job.reveal_evaluation() is True
    assert market.session.market.evaluation_revealed(job.id) is not None
    assert job.wait_for(Phase.OPEN) == Phase.REVEALING  # an earlier phase is already reached


def test_a_cancelled_job_refunds_and_a_wait_for_a_later_phase_says_so(world: World) -> None:
    market = _market(world)
    job = market.post_job(**_files(world), reward=ETH // 2, min_score_bps=0)

    job.cancel()

    with pytest.raises(OffchainError, match="cancelled before reaching finalized"):
        job.wait_for("finalized", timeout_s=5)
    refund = ETH // 2 + deposit_of(ETH // 2)  # the reward and its deposit
    assert market.pending() == refund
    assert market.withdraw() == refund
    assert market.withdraw() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reward": "one ether"}, "not an amount"),
        ({"reward": -1}, "non-negative"),
        ({"min_stake": True}, "not an amount"),
        ({"min_score_bps": 10_001}, "minimum score"),
        ({"base": "0x1234"}, "base model hash"),
    ],
)
def test_bad_terms_fail_before_anything_is_uploaded_or_sent(
    world: World, change: dict[str, object], message: str
) -> None:
    market = _market(world)
    terms = {**_files(world), "reward": "1ether", "min_score_bps": 0, **change}

    with pytest.raises(InvalidInputError, match=message):
        market.post_job(**terms)  # type: ignore[arg-type]

    assert market.session.market.job_count() == 0
    assert not (market.session.home / "artifacts").exists()


def test_an_unknown_job_id_is_refused(world: World) -> None:
    with pytest.raises(InvalidInputError, match="no job 7 on this market"):
        _market(world).job(7)
    assert isinstance(_market(world).job(world.post_job()), Job)


def test_windows_too_short_for_the_measured_inclusion_delay_are_refused_before_anything_is_sent(
    world: World,
) -> None:
    market = _market(world)
    # This account's transactions took 5 minutes to be included (issue 25): 10-minute windows are too short.
    DELAYS.record(market.session.client.w3, 300.0)

    with pytest.raises(InvalidInputError, match="the reveal window \\(600 s\\) is shorter than 4 x"):
        market.post_job(**_files(world), reward="1ether", min_score_bps=0, windows=Windows(commit=3600))

    assert market.session.market.job_count() == 0
    assert not (market.session.home / "artifacts").exists()
