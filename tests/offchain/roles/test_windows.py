"""What `offchain chain warp --to JOB PHASE --wait` waits for (offchain.eth.windows): a seat
whose validator is not running is named, so the user does not wait out the timeout blind."""

from __future__ import annotations

from conftest import World
from test_committee_member import VALIDATORS, _job_with_one_submission, _member

from offchain.eth.windows import outstanding


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
