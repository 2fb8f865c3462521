"""Issue 26's observer: holding everything public after a sealed job was settled and its
winner paid (every block's transactions and logs, every artifact served), it cannot read any
submission: no 64-byte window of any submission's weights is in any of it, no 32-byte value in
it opens a seal, and the loser's key is nowhere, not even with the requester, who paid for the
winner's weights and holds only those."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import World
from sealed_world import REQUESTER, bond_members, post_sealed, settled, step, tiny_worker

from offchain.demo.observer import Secret, chain_data, key_in, leaks, secret_runs
from offchain.eth.exchange import ExchangeClient
from offchain.roles.buying import weights_path
from offchain.roles.journal import JobState
from offchain.roles.requester_daemon import Requester, RequesterOptions
from offchain.roles.rolelog import RoleLog
from offchain.roles.sealing import KEY_FILE
from offchain.roles.seals import SealBook
from offchain.sealed.curve import open_envelope, shared_point
from offchain.sealed.errors import WrongKeyError
from offchain.sealed.seal import open_sealed

WINNER, LOSER = 2, 3


def _served(world: World, job_id: int) -> list[bytes]:
    """Every artifact the roles read from (the store) and every URI revealed on chain."""
    market = world.session(REQUESTER, "requester").market
    uris = [e.uri for e in market.events_of(job_id, "Revealed")]  # type: ignore[attr-defined]
    return [p.read_bytes() for p in world.store.rglob("*") if p.is_file()] + [Path(u).read_bytes() for u in uris]


def _private(world: World, account: int, job_id: int) -> tuple[bytes, bytes]:
    """(weights, key) of worker `account`'s submission, from its own home."""
    entry = tiny_worker(world, account).journal.get(job_id)
    assert entry is not None and entry.record.seal_dir is not None
    (weights,) = (world.tmp / f"worker-{account}" / "worker" / "jobs").glob(f"*/*-{job_id}/model.safetensors")
    return weights.read_bytes(), (Path(entry.record.seal_dir) / KEY_FILE).read_bytes()


@pytest.fixture
def paid_job(world: World) -> int:
    """Two sealed submissions; the winner delivered its key, the requester opened it, and the
    dispute window passed: the winner is paid, the loser claimed its stake back."""
    bond_members(world)
    job_id = post_sealed(world)
    for account in (WINNER, LOSER):
        tiny_worker(world, account).discover()
        assert step(world, account, job_id) == JobState.TRAINED
    settled(world, job_id, (WINNER, LOSER), [9000, 8900])
    assert step(world, WINNER, job_id) == JobState.DELIVERING
    assert step(world, WINNER, job_id) == JobState.DELIVERED
    assert step(world, LOSER, job_id) == JobState.DONE
    requester = Requester(
        world.session(REQUESTER, "requester"),
        RequesterOptions(confirmations=0, models=world.tmp / "models"),
        RoleLog("requester", stream=io.StringIO()),
    )
    requester.round()
    exchange = ExchangeClient(world.session(REQUESTER, "requester").market)
    world.travel_to(exchange.exchange(job_id).since + exchange.dispute_window() + 1)
    assert step(world, WINNER, job_id) == JobState.DONE
    return job_id


def test_an_observer_with_everything_public_reads_no_submission_and_the_buyer_only_the_winners(
    world: World, paid_job: int
) -> None:
    job_id = paid_job
    chain, served = chain_data(world.client.w3), _served(world, job_id)
    public = [chain, *served]
    submissions = [_private(world, account, job_id) for account in (WINNER, LOSER)]

    for weights, key in submissions:
        assert not any(leaks(Secret.of([weights]), blob) for blob in public)
        assert not any(key in blob for blob in public)  # neither key was ever released
    bought = weights_path(world.tmp / "models", job_id).read_bytes()
    assert leaks(Secret.of([submissions[0][0]]), bought)  # the detector finds weights where they are
    # The observer tries every 32-byte value of the chain data and of the sealed artifacts as a
    # key (an artifact's header is its seal's, so the seals are the chain's).
    exchange = ExchangeClient(world.session(REQUESTER, "requester").market)
    seals = [exchange.seal(job_id, tiny_worker(world, a).me) for a in (WINNER, LOSER)]
    commitments = {s.key_commitment for s in seals if s is not None}
    sealed_artifacts = served[-2:]
    for blob in (chain, *sealed_artifacts):
        assert key_in(blob, commitments) is None
    with pytest.raises(WrongKeyError):
        open_sealed(seals[1], sealed_artifacts[1], bytes(32))  # type: ignore[arg-type]

    # The requester, who paid, holds the winner's weights and nothing of the loser's (one test
    # with the observer's: the paid job's setup is most of its time).
    (winner_weights, _), (loser_weights, loser_key) = submissions
    session = world.session(REQUESTER, "requester")
    book = SealBook(session.home / "requester-seals.sqlite", session.client.chain_id, session.market.address)
    secret = book.job_key(job_id)
    book.close()
    assert secret is not None

    assert weights_path(world.tmp / "models", job_id).read_bytes() == winner_weights
    # Its job key opens none of the loser's envelopes, and nothing it holds has the loser's
    # tensors or key (the winner's file it bought shares the loser's header: the same shapes).
    posted = ExchangeClient(session.market).envelopes(job_id, tiny_worker(world, LOSER).me)
    assert posted is not None
    assert all(open_envelope(e, shared_point(secret, posted.point)) != loser_key for e in posted.envelopes)
    held = [p.read_bytes() for p in session.home.rglob("*") if p.is_file()] + [
        p.read_bytes() for p in (world.tmp / "models").rglob("*") if p.is_file()
    ]
    assert not any(leaks(Secret.of(secret_runs(loser_weights)), blob) or loser_key in blob for blob in held)
