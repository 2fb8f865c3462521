"""The requester daemon's steps on the in-process EVM: it opens the sealed evaluation set
once commits close (never before, never twice, also after a restart), finalizes after the
settle deadline and withdraws; a job it holds no seal for still gets finalized."""

from __future__ import annotations

import io
import json

from conftest import EVAL_SALT, SPEC, WINDOW_S, World

from offchain.eth.commitment import evaluation_seal
from offchain.roles.requester_daemon import Requester, RequesterOptions
from offchain.roles.rolelog import RoleLog
from offchain.roles.seals import SealBook

REQUESTER = 1


def _daemon(world: World, account: int = REQUESTER, publish: str | None = None) -> tuple[Requester, io.StringIO]:
    stream = io.StringIO()
    options = RequesterOptions(publish=publish, confirmations=0)
    return Requester(world.session(account, "requester"), options, RoleLog("requester", stream=stream)), stream


def _post_sealed(world: World) -> int:
    """Post as `job post` does: the seal goes to the requester's seal book before the job."""
    session = world.session(REQUESTER, "requester")
    session.home.mkdir(parents=True, exist_ok=True)
    evaluation = bytes.fromhex(world.hashes["eval"])
    seal = evaluation_seal(evaluation, EVAL_SALT)
    book = SealBook(session.home / "requester-seals.sqlite", session.client.chain_id, session.market.address)
    book.put_evaluation(seal, evaluation, EVAL_SALT, world.tmp / "eval.npz")
    job_id = world.post_job()
    book.bind_evaluation(seal, job_id)
    book.close()
    return job_id


def _revealed_count(world: World, job_id: int) -> int:
    return len(world.session(REQUESTER, "requester").market.events_of(job_id, "EvaluationRevealed"))


def test_the_evaluation_set_is_opened_once_commits_close_then_the_job_is_finalized_and_withdrawn(
    world: World,
) -> None:
    job_id = _post_sealed(world)
    daemon, log = _daemon(world)
    market = world.session(REQUESTER, "requester").market
    w3 = world.client.w3
    requester = w3.eth.accounts[REQUESTER]

    daemon.round()
    assert job_id in daemon.pending
    assert market.evaluation_revealed(job_id) is None, "opened while commits were still open"

    world.travel_past(0, job_id)
    daemon.round()
    opened = market.evaluation_revealed(job_id)
    assert opened is not None and opened.evaluation_set.hex() == world.hashes["eval"]

    world.travel_past(3, job_id)
    before = w3.eth.get_balance(requester)
    daemon.round()
    assert market.finalized_event(job_id) is not None
    assert market.pending(requester) == 0
    assert w3.eth.get_balance(requester) > before  # nobody committed: the reward came back
    assert job_id not in daemon.pending and daemon.settled == 1
    assert _revealed_count(world, job_id) == 1
    assert "will retry" not in log.getvalue()


def test_a_restarted_daemon_does_not_open_the_evaluation_set_twice(world: World) -> None:
    job_id = _post_sealed(world)
    world.travel_past(0, job_id)
    first, _ = _daemon(world)
    first.round()
    assert _revealed_count(world, job_id) == 1

    restarted, log = _daemon(world)  # kill -9 and restart: nothing but the chain and the book
    restarted.round()
    restarted.round()
    assert _revealed_count(world, job_id) == 1
    assert "will retry" not in log.getvalue() and "forfeits" not in log.getvalue()


def test_a_job_without_a_seal_on_record_forfeits_once_and_is_still_finalized(world: World) -> None:
    job_id = world.post_job()  # posted elsewhere: this home holds no seal
    daemon, log = _daemon(world)
    world.travel_past(0, job_id)
    daemon.round()
    daemon.round()
    assert log.getvalue().count("forfeits") == 1
    world.travel_past(3, job_id)
    daemon.round()
    market = world.session(REQUESTER, "requester").market
    assert market.evaluation_revealed(job_id) is None
    assert market.finalized_event(job_id) is not None and daemon.settled == 1


def test_jobs_of_other_requesters_are_not_followed(world: World) -> None:
    job_id = world.post_job()  # account 1 posts it
    other, _ = _daemon(world, account=3)
    other.round()
    assert job_id not in other.pending


def test_a_withdraw_raced_by_another_process_of_the_same_key_is_no_error(world: World) -> None:
    job_id = world.post_job()  # nobody commits: the reward comes back at finalize
    daemon, _ = _daemon(world)
    daemon.round()
    world.travel_past(3, job_id)
    market = daemon.session.market
    requester = world.client.w3.eth.accounts[REQUESTER]
    read = market.pending

    def raced(account: str) -> int:
        owed = read(account)
        if owed:  # another process of this key pulls it right after our read
            world.session(REQUESTER, "other").market.withdraw()
        return owed

    market.pending = raced  # type: ignore[method-assign]
    daemon.round()

    assert daemon.settled == 1 and read(requester) == 0


def test_a_pooled_job_has_its_seeded_training_shards_then_its_evaluation_shards_published(world: World) -> None:
    from offchain.artifacts.server import ArtifactServer
    from offchain.artifacts.store import ArtifactStore
    from offchain.roles.pool import pool_of, split_of
    from offchain.roles.requester import Windows, post_job

    served = ArtifactStore(world.tmp / "served")
    server = ArtifactServer(served)
    server.start_in_thread()
    session = world.session(REQUESTER, "requester")
    (world.tmp / "spec.json").write_text(json.dumps(SPEC))
    try:
        posted = post_job(
            session,
            base="0x" + world.base_hash.hex(),
            pool=world.pool_file(),
            pool_shards=10,
            spec=world.tmp / "spec.json",
            reward="1ether",
            min_score_bps=0,
            windows=Windows(WINDOW_S, WINDOW_S, WINDOW_S, WINDOW_S),
            publish=server.url,
        )
        job = session.market.job_posted(posted.job_id)
        manifest = pool_of(session, job)
        assert manifest is not None and served.has(posted.training_set)  # the manifest is public at post
        daemon, _ = _daemon(world, publish=server.url)
        daemon.round()
        assert not any(served.has(h) for h in manifest.shards), "a shard published before the split existed"

        world.client.w3.testing.mine(manifest.seed_delay)
        daemon.round()
        drawn = split_of(session, job, manifest)
        assert [i for i, h in enumerate(manifest.shards) if served.has(h)] == list(drawn.training)

        world.travel_past(0, posted.job_id)
        daemon.round()
        opened = session.market.evaluation_revealed(posted.job_id)
        assert opened is not None and opened.evaluation_set == job.training_set  # the seal opens the pool
        assert all(served.has(h) for h in manifest.shards)
    finally:
        server.shutdown()
