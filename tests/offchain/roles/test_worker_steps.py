"""The worker's steps one at a time on the in-process EVM: every journal state, a restart
(a fresh Worker on the same journal) after each step, and the transient-error paths."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import torch
from conftest import ETH, SPEC, WINDOW_S, World

from offchain.artifacts.errors import ArtifactUnreachableError
from offchain.artifacts.store import ArtifactStore
from offchain.eth.appeals import AppealsClient
from offchain.eth.commitment import attestation_seal
from offchain.eth.errors import InvalidInputError
from offchain.eth.inclusion import DELAYS
from offchain.eth.market import MarketClient, Outcome
from offchain.ml.pool import PoolSplit
from offchain.roles.journal import JobState, Journal
from offchain.roles.pool import pool_of, split_of
from offchain.roles.rolelog import RoleLog
from offchain.roles.steps import TRANSIENT_ERRORS
from offchain.roles.worker import PUBLISH_GRACE_S, UNPOOLED, Worker, WorkerOptions

WORKER = 2


def _worker(world: World) -> Worker:
    """A worker process as it starts: a fresh object on the journal of the last one."""
    options = WorkerOptions(publish=None, device="cpu", confirmations=0)
    return Worker(world.session(WORKER, "worker"), options, RoleLog("worker", stream=io.StringIO()))


def _state(world: World, job_id: int) -> JobState:
    entry = _worker(world).journal.get(job_id)
    assert entry is not None
    return entry.state


def _step(world: World, job_id: int) -> JobState:
    """Restart the worker, take one step for the job, return the state it reached."""
    worker = _worker(world)
    entry = worker.journal.get(job_id)
    assert entry is not None
    worker.advance(entry)
    return _state(world, job_id)


def test_a_job_walks_every_journal_state_with_a_restart_after_each_step(world: World) -> None:
    job_id = world.post_job()
    _worker(world).discover()
    assert _state(world, job_id) == JobState.TRAINING

    assert _step(world, job_id) == JobState.TRAINED
    assert _step(world, job_id) == JobState.COMMITTED  # COMMITTING is journalled before the send
    assert _step(world, job_id) == JobState.COMMITTED  # reveals wait for the commit deadline
    world.travel_past(0, job_id)
    assert _step(world, job_id) == JobState.REVEALED
    world.reveal_evaluation(job_id)
    world.travel_past(3, job_id)
    assert _step(world, job_id) == JobState.FINALIZED
    assert _step(world, job_id) == JobState.DONE

    entry = _worker(world).journal.get(job_id)
    # No committee was drawn: below the quorum, the requester's failure (issue 20 item 3).
    assert entry is not None and entry.record.outcome == Outcome.FORFEITED.name
    assert _worker(world).journal.active() == []


def test_a_restart_between_journalling_the_commitment_and_sending_it_commits_once(world: World) -> None:
    job_id = world.post_job()
    worker = _worker(world)
    worker.discover()
    worker.advance(worker.journal.get(job_id))  # type: ignore[arg-type]
    sent: list[int] = []
    worker._send_commit = lambda job, sealed, stake: sent.append(job)  # type: ignore[method-assign]
    worker.advance(worker.journal.get(job_id))  # type: ignore[arg-type]  # killed before the send
    assert sent == [job_id] and _state(world, job_id) == JobState.COMMITTING

    assert _step(world, job_id) == JobState.COMMITTED  # the restarted worker sends it
    assert _step(world, job_id) == JobState.COMMITTED
    market = world.session(WORKER, "worker").market
    assert len(market.submissions(job_id)) == 1


def test_a_commit_mined_before_the_crash_is_found_on_chain_not_sent_again(world: World) -> None:
    job_id = world.post_job()
    worker = _worker(world)
    worker.discover()
    worker.advance(worker.journal.get(job_id))  # type: ignore[arg-type]
    worker.advance(worker.journal.get(job_id))  # type: ignore[arg-type]
    worker.journal.put(job_id, JobState.COMMITTING)  # as if killed before journalling COMMITTED

    assert _step(world, job_id) == JobState.COMMITTED
    assert len(world.session(WORKER, "worker").market.submissions(job_id)) == 1


def test_an_unreachable_artifact_server_leaves_the_job_to_retry_not_skipped(world: World) -> None:
    job_id = world.post_job()
    worker = _worker(world)
    worker.session.sources = ["http://127.0.0.1:9"]  # nothing answers on the discard port

    with pytest.raises(TRANSIENT_ERRORS) as raised:
        worker.discover()

    assert raised.type is ArtifactUnreachableError
    assert _state(world, job_id) == JobState.SEEN  # the next round considers it again
    worker = _worker(world)  # the server is back
    worker.advance(worker.journal.get(job_id))  # type: ignore[arg-type]
    assert _state(world, job_id) == JobState.TRAINING


def test_a_job_whose_artifact_is_missing_is_skipped_with_the_reason(world: World) -> None:
    job_id = world.post_job()
    (world.store / world.hashes["train"]).unlink()

    _worker(world).discover()

    entry = _worker(world).journal.get(job_id)
    assert entry is not None and entry.state == JobState.SKIPPED
    assert "not found" in (entry.record.reason or "")


def test_the_journal_keeps_hashes_as_bytes_and_stores_them_as_hex(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite", 1337, "0xabc")
    journal.put(7, JobState.COMMITTING, salt=b"\x01" * 32, commitment=b"\x02" * 32, claim_bps=9000)

    record = journal.get(7).record  # type: ignore[union-attr]

    assert (record.salt, record.commitment, record.claim_bps) == (b"\x01" * 32, b"\x02" * 32, 9000)
    stored = json.loads(journal._db.execute("SELECT detail FROM jobs").fetchone()[0])
    assert stored["salt"] == "0x" + "01" * 32  # hex only inside the journal's storage


def test_a_cancelled_job_is_skipped_before_anything_is_fetched(world: World) -> None:
    job_id = world.post_job()
    world.session(1, "requester").market.cancel_job(job_id)
    (world.store / world.hashes["train"]).unlink()  # a fetch would fail with another reason
    stream = io.StringIO()
    options = WorkerOptions(publish=None, device="cpu", confirmations=0)
    Worker(world.session(WORKER, "worker"), options, RoleLog("worker", stream=stream)).discover()

    entry = _worker(world).journal.get(job_id)
    assert entry is not None and entry.state == JobState.SKIPPED
    assert entry.record.reason == "the job was cancelled"
    (line,) = [line for line in stream.getvalue().splitlines() if f" job {job_id}:" in line]  # was two: seen, skipped
    assert "job skipped" in line, line


def test_a_fresh_worker_skips_past_jobs_from_their_events_without_a_read_per_job(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 22 item 5: a fresh worker on a chain with history probed every past job.
    job_ids = [world.post_job(), world.post_job()]
    world.travel_past(0, job_ids[-1])
    (world.store / world.hashes["train"]).unlink()  # a fetch would fail with another reason
    worker = _worker(world)
    reads: list[int] = []
    monkeypatch.setattr(worker.session.market, "phase", lambda job_id: reads.append(job_id))

    worker.discover()

    assert reads == []
    for job_id in job_ids:
        entry = worker.journal.get(job_id)
        assert entry is not None and entry.state == JobState.SKIPPED
        assert entry.record.reason == "its commit window had closed when the worker saw it"


def _transactions(statements: list[str]) -> int:
    """Durable writes among SQLite's traced statements: each explicit transaction, and each
    write outside one (autocommit: a transaction, and a sync, of its own)."""
    count, inside = 0, False
    for statement in (s.lstrip().split(None, 1)[0].upper() for s in statements):
        if statement == "BEGIN":
            count, inside = count + 1, True
        elif statement in ("COMMIT", "ROLLBACK"):
            inside = False
        elif statement in ("INSERT", "UPDATE", "DELETE") and not inside:
            count += 1
    return count


def test_a_fresh_worker_journals_all_past_jobs_in_one_transaction(world: World) -> None:
    # Issue 25: a fresh worker on a market of 10,000 past jobs spent 5 ms a job on a synced write.
    job_ids = [world.post_job() for _ in range(4)]
    world.travel_past(0, job_ids[-1])
    worker = _worker(world)
    statements: list[str] = []
    worker.journal._db.set_trace_callback(statements.append)

    worker.discover()

    assert _transactions(statements) == 2  # the past jobs, then the cursor
    assert [worker.journal.get(j).state for j in job_ids] == [JobState.SKIPPED] * 4  # type: ignore[union-attr]


def test_a_job_cancelled_during_training_is_abandoned_at_the_epoch_end(world: World) -> None:
    job_id = world.post_job(spec={**SPEC, "epochs": 3})
    worker = _worker(world)
    worker.discover()
    epochs: list[int] = []
    log = worker.log

    def cancel_after_the_first_epoch(message: str, **fields: object) -> None:
        log(message, **fields)
        if message == "epoch":
            epochs.append(int(fields["epoch"]))  # type: ignore[call-overload]
            world.session(1, "requester").market.cancel_job(job_id)

    worker.log = cancel_after_the_first_epoch  # type: ignore[assignment]
    worker.advance(worker.journal.get(job_id))  # type: ignore[arg-type]

    entry = _worker(world).journal.get(job_id)
    assert entry is not None and entry.state == JobState.SKIPPED
    assert entry.record.reason == "the job was cancelled" and len(epochs) == 1


def test_a_job_cancelled_after_training_is_not_committed(world: World) -> None:
    job_id = world.post_job()
    worker = _worker(world)
    worker.discover()
    worker.advance(worker.journal.get(job_id))  # type: ignore[arg-type]
    world.session(1, "requester").market.cancel_job(job_id)

    assert _step(world, job_id) == JobState.SKIPPED
    assert world.session(WORKER, "worker").market.submissions(job_id) == []


def test_worker_status_lists_the_journal_with_the_reason_of_a_skipped_job(world: World) -> None:
    from offchain.roles.worker_status import format_status, worker_status

    taken = world.post_job()
    skipped = world.post_job()
    world.session(1, "requester").market.cancel_job(skipped)
    worker = _worker(world)
    worker.discover()
    worker.advance(worker.journal.get(taken))  # type: ignore[arg-type]

    status = worker_status(world.session(WORKER, "worker"))

    assert [(j["job"], j["state"]) for j in status["jobs"]] == [(taken, "trained"), (skipped, "skipped")]
    assert status["jobs"][0]["claim_bps"] is not None and status["balance"] > 0
    text = format_status(status)
    assert f"job {skipped}: skipped: the job was cancelled" in text and f"job {taken}: trained claimed" in text


def test_workers_sharing_a_home_train_each_in_a_folder_of_its_own(world: World) -> None:
    # Two workers of one user, one --home: one must not resume from the other's checkpoint.
    options = WorkerOptions(publish=None, device="cpu", confirmations=0)
    first, second = (
        Worker(world.session(account, "one-home"), options, RoleLog("worker", stream=io.StringIO()))
        for account in (2, 3)
    )

    assert first._job_dir(1) != second._job_dir(1)


def test_a_job_whose_reveal_window_holds_too_few_measured_inclusion_delays_is_skipped(world: World) -> None:
    job_id = world.post_job()  # each window WINDOW_S long
    worker = _worker(world)
    # This account's transactions took a third of the window to be included (issue 25).
    DELAYS.record(worker.session.client.w3, WINDOW_S / 3)

    worker.discover()

    entry = _worker(world).journal.get(job_id)
    assert entry is not None and entry.state == JobState.SKIPPED
    assert "the reveal window (3600 s) is shorter than 4 x the measured inclusion delay" in (entry.record.reason or "")


def test_the_training_line_names_the_device_auto_chose(world: World) -> None:
    job_id = world.post_job()
    stream = io.StringIO()
    options = WorkerOptions(publish=None, device="auto", confirmations=0)
    worker = Worker(world.session(WORKER, "worker"), options, RoleLog("worker", stream=stream))
    worker.discover()
    worker.advance(worker.journal.get(job_id))  # type: ignore[arg-type]

    (line,) = [line for line in stream.getvalue().splitlines() if " training " in f" {line} "]
    assert f"device={'cuda:0' if torch.cuda.is_available() else 'cpu'}" in line, line  # was "device=auto"


def _judged_by(world: World, monkeypatch: pytest.MonkeyPatch, attested: list[int] | None) -> tuple[int, AppealsClient]:
    """The worker's revealed job, its committee attesting `attested` on every seat (None: silent),
    at the opening of its appeal window."""
    # A tight held-out estimate: the claim is the measurement (the tiny test set's two standard
    # errors would claim 0, which no attestation can convict).
    monkeypatch.setattr(Worker, "claim_for", lambda self, measured, n, evaluation_shards=None: measured)
    validators = (4, 5, 6)
    for account in validators:
        world.session(account, "bond").market.join_validators(ETH)
    job_id = world.post_job()
    _worker(world).discover()
    for _ in range(3):
        _step(world, job_id)  # trains, commits
    world.travel_past(0, job_id)
    assert _step(world, job_id) == JobState.REVEALED
    world.reveal_evaluation(job_id)
    members = [world.session(a, "validator").market for a in validators]
    members[0].draw_committee(job_id)
    seated = [m for m in members if m.client.address in members[0].committee(job_id)] if attested else []
    world.travel_past(1, job_id)
    salt = bytes(32)
    for m in seated:
        m.commit_attestation(job_id, attestation_seal(job_id, m.client.address, attested, salt))
    world.travel_past(2, job_id)
    for m in seated:
        m.reveal_attestation(job_id, attested, salt)
    appeals = AppealsClient(members[0])
    world.travel_to(appeals.windows(job_id).opens)
    return job_id, appeals


def test_a_worker_convicted_against_its_own_measurement_appeals_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id, appeals = _judged_by(world, monkeypatch, [0])  # a captured committee: every seat attests 0

    assert _step(world, job_id) == JobState.REVEALED  # appeals, then waits for the vote
    assert appeals.appeal(job_id).appellant == world.session(WORKER, "worker").client.address
    entry = _worker(world).journal.get(job_id)
    assert entry is not None and entry.record.appealed
    assert _step(world, job_id) == JobState.REVEALED  # once: no second appeal is tried


def test_a_worker_whose_committee_stayed_silent_appeals(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 20: silent seats leave the submission Unverified (or Undecided), which the vote now
    # decides; before, the worker appealed only a conviction and let the requester keep the reward.
    job_id, appeals = _judged_by(world, monkeypatch, None)

    assert _step(world, job_id) == JobState.REVEALED

    assert appeals.appeal(job_id).appellant == world.session(WORKER, "worker").client.address


def _seeded_split(world: World, job_id: int) -> PoolSplit:
    session = world.session(WORKER, "worker")
    job = session.market.job_posted(job_id)
    manifest = pool_of(session, job)
    assert manifest is not None
    world.client.w3.testing.mine(manifest.seed_delay)  # the seed block
    return split_of(session, job, manifest)


def test_a_pooled_job_waits_for_its_seed_block_then_trains_on_the_seeded_training_shards(world: World) -> None:
    job_id = world.post_pooled_job()

    _worker(world).discover()  # the post's block is the head: no split yet
    assert _state(world, job_id) == JobState.SEEN
    drawn = _seeded_split(world, job_id)
    world.serve_shards(drawn.training)

    assert _step(world, job_id) == JobState.TRAINING


def test_issue20_a_requester_that_serves_another_split_than_the_seeded_one_is_refused(world: World) -> None:
    job_id = world.post_pooled_job()
    drawn = _seeded_split(world, job_id)
    # The requester keeps a seeded training shard back and serves an evaluation shard instead.
    world.serve_shards(drawn.training[1:] + drawn.evaluation[:1])
    _worker(world).discover()
    assert _state(world, job_id) == JobState.SEEN  # within the grace the requester has to publish

    world.travel_to(world.session(WORKER, "worker").chain_time() + PUBLISH_GRACE_S + 1)
    state = _step(world, job_id)

    entry = _worker(world).journal.get(job_id)
    assert state == JobState.SKIPPED and entry is not None
    assert f"does not serve the seeded training shards {list(drawn.training)}" in (entry.record.reason or "")


def test_issue20_a_pool_posted_as_a_plain_job_is_refused(world: World) -> None:
    # Nothing on chain makes its requester stand by the split: it may cancel and post again.
    job_id = world.post_pooled_job(pooled=False)
    world.serve_shards(_seeded_split(world, job_id).training)

    _worker(world).discover()

    entry = _worker(world).journal.get(job_id)
    assert entry is not None and entry.state == JobState.SKIPPED
    assert "was not posted pooled" in (entry.record.reason or "")


def test_a_worker_that_takes_only_pooled_jobs_refuses_an_unpooled_one(world: World) -> None:
    job_id = world.post_job()
    options = WorkerOptions(publish=None, device="cpu", confirmations=0, pooled_only=True)

    Worker(world.session(WORKER, "worker"), options, RoleLog("worker", stream=io.StringIO())).discover()

    entry = _worker(world).journal.get(job_id)
    assert entry is not None and entry.state == JobState.SKIPPED and entry.record.reason == UNPOOLED


def test_a_job_whose_training_would_make_a_committed_job_miss_its_reveal_is_skipped(world: World) -> None:
    """Training holds the worker's loop: a job of ours committed and still to reveal must be
    revealable after the new job's training, or its stake is lost for the new job's sake."""
    from dataclasses import replace

    committed = world.post_job()
    _worker(world).discover()
    assert _step(world, committed) == JobState.TRAINED and _step(world, committed) == JobState.COMMITTED
    requester = world.session(1, "requester")
    now = requester.chain_time()
    spec = ArtifactStore(world.store).put_file(world.tmp / "spec.json")
    long_windows = replace(
        world.terms(requester, world.hashes["train"], world.hashes["eval"], spec),
        deadlines=(now + 20_000, now + 21_000, now + 22_000, now + 23_000),
    )
    reveal_in = MarketClient.of(world.client, world.deployment).job(committed).reveal_deadline - now

    def consider(images_per_second: float) -> JobState:
        job_id = requester.market.post_job(long_windows)
        options = WorkerOptions(publish=None, device="cpu", confirmations=0, images_per_second=images_per_second)
        Worker(world.session(WORKER, "worker"), options, RoleLog("worker", stream=io.StringIO())).discover()
        return _state(world, job_id)

    # 20 training images, 1 epoch, the margin 1.5: about 30 / speed seconds of training
    assert consider(30 / (reveal_in + 1_000)) == JobState.SKIPPED  # would end after the committed job's reveal deadline
    assert f"no time left to reveal job {committed}" in (_worker(world).journal.entries()[-1].record.reason or "")
    assert consider(30 / (reveal_in / 2)) == JobState.TRAINING  # ends well before it: taken


def test_a_job_whose_recipe_does_not_fit_this_machine_is_skipped_not_a_crash_loop(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A requester's huge images or batch make torch raise in the speed probe ("can't allocate
    memory"): uncaught, it stopped the worker at every restart, its staked jobs with it."""
    from offchain.roles import speed

    def out_of_memory(*args: object) -> None:
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] can't allocate memory")

    monkeypatch.setattr(speed, "measure_recipe_speed", out_of_memory)
    job_id = world.post_job()

    _worker(world).discover()

    entry = _worker(world).journal.get(job_id)
    assert entry is not None and entry.state == JobState.SKIPPED
    assert "does not run on this machine: [enforce fail" in (entry.record.reason or "")


def test_a_job_whose_data_and_step_need_more_memory_than_the_worker_gives_is_skipped_before_the_probe(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The requester picks the data and the batch: a run past the machine's memory is killed,
    the worker with it. The measurement comes before the speed probe, whose batch is big too."""
    from offchain.roles import speed

    def probed(*args: object) -> None:
        raise AssertionError("the speed probe ran before the memory check")

    monkeypatch.setattr(speed, "measure_recipe_speed", probed)
    job_id = world.post_job()
    options = WorkerOptions(publish=None, device="cpu", confirmations=0, max_memory=1 << 20)
    Worker(world.session(WORKER, "worker"), options, RoleLog("worker", stream=io.StringIO())).discover()

    entry = _worker(world).journal.get(job_id)
    assert entry is not None and entry.state == JobState.SKIPPED
    assert "GiB of memory to train, over this worker's 0.00 GiB (--max-memory)" in (entry.record.reason or "")


def test_a_worker_refuses_a_memory_budget_that_is_not_positive() -> None:
    with pytest.raises(InvalidInputError, match="--max-memory must be positive"):
        WorkerOptions(publish=None, device="cpu", max_memory=0)
