"""What `offchain chain warp --to JOB PHASE --wait` waits for (offchain.eth.windows): a seat
whose validator is not running is named, so the user does not wait out the timeout blind; an
appeal's vote is waited for too, and `--to JOB finalizable` lands after it.

The appeal's two were written first against windows.py without the vote: outstanding said None
through the vote, and finalizable was the settle deadline, inside it (finalize reverted there)."""

from __future__ import annotations

from conftest import World
from test_committee_member import VALIDATORS, _appealed_job, _job_with_one_submission, _member

from offchain.eth.windows import finalizable_at, outstanding


def test_a_silent_seat_is_named_in_the_attestation_and_reveal_windows(world: World) -> None:
    job_id = _job_with_one_submission(world)
    members = [_member(world, a, 7000) for a in VALIDATORS]
    members[0].step(job_id)  # draws the committee
    market = members[0].session.market
    committee = market.committee(job_id)
    dead = committee[0]  # its validator process is not running
    running = [m for m in members if m.session.client.address != dead]
    world.travel_past(1, job_id)
    for m in running:
        m.step(job_id)  # seals and commits

    silent = committee.count(dead)
    assert outstanding(market, job_id) == (
        f"sealed scores from {silent} of {len(committee)} seats (held by {dead}: is its validator running?)"
    )
    world.travel_past(2, job_id)
    seated = [m for m in running if m.session.client.address in committee]  # seats go by bond: maybe none
    for m in seated[1:]:
        m.step(job_id)  # reveals; seated[0] has not yet
    if seated:  # the dead member's seats sealed nothing: nothing to reveal
        late = seated[0].session.client.address
        assert outstanding(market, job_id) == (
            f"revealed scores from {committee.count(late)} of {len(committee)} seats "
            f"(held by {late}: is its validator running?)"
        )
        seated[0].step(job_id)
    assert outstanding(market, job_id) is None


def test_an_appeals_vote_is_waited_for_member_by_member(world: World) -> None:
    job_id, members, appeals = _appealed_job(world)
    market = members[0].session.market
    dead = members[0].me  # its validator process is not running
    for m in members[1:]:
        m.step(job_id)  # seal their votes

    assert (
        outstanding(market, job_id) == f"sealed votes from 1 of 3 eligible members ({dead}: is its validator running?)"
    )
    members[0].step(job_id)
    assert outstanding(market, job_id) is None
    world.travel_to(appeals.appeal(job_id).commit_until)
    for m in members[:2]:
        m.step(job_id)  # reveal theirs
    late = members[2].me
    assert (
        outstanding(market, job_id)
        == f"revealed votes from 1 of 3 eligible members ({late}: is its validator running?)"
    )
    members[2].step(job_id)
    assert outstanding(market, job_id) is None


def test_finalizable_is_the_end_of_an_appeals_vote_not_the_settle_deadline(world: World) -> None:
    job_id, members, appeals = _appealed_job(world)
    market = members[0].session.market
    other = world.post_job()  # not appealed

    end = appeals.appeal(job_id).reveal_until
    assert finalizable_at(market, job_id) == end > market.job(job_id).settle_deadline
    assert finalizable_at(market, other) == market.job(other).settle_deadline
