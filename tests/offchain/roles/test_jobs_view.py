"""What `job status` and `job list` say about a settled job (issue 22 item 7: a 1 ETH reward
read as 0.0000 ETH, and the phase was printed twice)."""

from __future__ import annotations

from conftest import ETH, World

from offchain.eth.commitment import commitment, new_salt
from offchain.roles.jobs_view import format_job, format_jobs, job_report

WORKER = 2
MODEL = bytes([9]) * 32


def _forfeited_job(world: World) -> int:
    """A job whose requester never opened the evaluation set: finalize rewrites its reward to
    the revealed worker's share (reward plus the unrevealed stakes)."""
    job_id = world.post_job()
    worker = world.session(WORKER, "worker").market
    salt = new_salt()
    worker.commit(job_id, commitment(job_id, worker.client.address, MODEL, 7000, salt), ETH // 10)
    world.travel_past(0, job_id)
    worker.reveal(job_id, MODEL, 7000, salt, "file:///m")
    world.travel_past(3, job_id)
    worker.finalize(job_id)
    return job_id


def test_a_settled_job_shows_the_reward_it_was_posted_with_and_what_it_paid_out(world: World) -> None:
    job_id = _forfeited_job(world)
    session = world.session(1, "requester")

    report = job_report(session, job_id)

    assert report["phase"] == "finalized"
    assert report["reward"] == ETH  # as posted
    assert report["paid_out"] == session.market.job(job_id).reward  # the share finalize wrote


def test_a_settled_job_names_its_phase_once_and_its_reward_in_ether(world: World) -> None:
    job_id = _forfeited_job(world)
    session = world.session(1, "requester")
    report = job_report(session, job_id)
    now = session.chain_time()

    text = format_job(report, now)

    assert text.splitlines()[0] == f"job {job_id}: finalized"
    assert "reward 1 ETH," in text
    assert " 1 ETH " in format_jobs([report], now)


def _unavailable_job(world: World) -> tuple[int, list[str]]:
    """A job whose whole committee (its three seats, drawn by bond from two validators) attests
    the opened evaluation set unavailable: the requester's failure, settled on the unopened-set
    path (issue 20 item 4). Returns the seated members."""
    members = [world.session(i, f"validator-{i}").market for i in (5, 6)]
    for m in members:
        m.join_validators(ETH)
    job_id = world.post_job()
    worker = world.session(WORKER, "worker").market
    salt = new_salt()
    worker.commit(job_id, commitment(job_id, worker.client.address, MODEL, 7000, salt), ETH // 10)
    world.travel_past(0, job_id)
    worker.reveal(job_id, MODEL, 7000, salt, "file:///m")
    world.reveal_evaluation(job_id)  # the hash only: nobody serves the file
    worker.draw_committee(job_id)
    world.travel_past(1, job_id)
    seated = [m for m in members if m.client.address in worker.committee(job_id)]  # one may hold every seat
    for m in seated:
        m.attest_unavailable(job_id)
    world.travel_past(3, job_id)
    worker.finalize(job_id)
    return job_id, [m.client.address for m in seated]


def test_a_job_whose_set_was_never_opened_says_it_was_the_requesters_failure(world: World) -> None:
    job_id = _forfeited_job(world)
    session = world.session(1, "requester")

    report = job_report(session, job_id)
    text = format_job(report, session.chain_time())

    assert report["evaluation"] == {
        "revealed": None,
        "unavailable": [],
        "forfeit": "the requester never revealed the evaluation set",
    }
    assert "the requester's failure: the requester never revealed the evaluation set" in text


def test_a_job_whose_committee_attested_the_set_unavailable_names_them_and_the_cause(world: World) -> None:
    job_id, members = _unavailable_job(world)
    session = world.session(1, "requester")

    report = job_report(session, job_id)
    text = format_job(report, session.chain_time())

    assert sorted(report["evaluation"]["unavailable"]) == sorted(members)
    assert report["evaluation"]["forfeit"] == "3 of 3 committee seats attested the evaluation set unavailable"
    assert [s["outcome"] for s in report["submissions"]] == ["forfeited"]
    assert f"evaluation set attested unavailable by {members[0]}" in text or members[-1] in text
    assert "the requester's failure: 3 of 3 committee seats attested the evaluation set unavailable" in text
