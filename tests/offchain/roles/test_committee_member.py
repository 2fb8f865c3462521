"""A committee member's duties on the in-process EVM, with a stand-in judge (the ML
evaluation has its own tests): draw, seal, commit, and after a crash between commit and
reveal (a fresh process: new objects, the same home folder), reveal with nothing lost."""

from __future__ import annotations

import io
from typing import Any

import pytest
from conftest import ETH, World

from offchain.artifacts.errors import ArtifactUnreachableError
from offchain.eth.appeals import VOTE_REVEALED, AppealsClient
from offchain.eth.commitment import commitment, new_salt
from offchain.eth.market import Outcome, Submission
from offchain.eth.values import format_eth
from offchain.roles.committee import (
    UNAVAILABLE,
    CommitteeMember,
    EvaluationUnavailableError,
    EvaluationUnreachableError,
)
from offchain.roles.jobs_view import job_report, next_deadline
from offchain.roles.rolelog import RoleLog
from offchain.roles.seals import SealBook

VALIDATORS = (4, 5, 6)
WORKER = 2
MODEL = bytes([9]) * 32


def _member(world: World, account: int, judge_score: int) -> CommitteeMember:
    """A validator process: a session, its seal book (in its home folder), a judge."""
    session = world.session(account, f"validator-{account}")
    book = SealBook(session.home / "seals.sqlite", session.client.chain_id, session.market.address)

    def judge(job_id: int, index: int, sub: Submission) -> int:
        return judge_score

    return CommitteeMember(session, book, judge, RoleLog("validator", stream=io.StringIO()))


def _slashed_over(seats: int, bond: int = ETH) -> int:
    """What `seats` silent seats of one member take over one submission: each seat 10 % of the
    bond the seats before it left (the contract reads the bond seat by seat)."""
    left = bond
    for _ in range(seats):
        left -= left // 10
    return bond - left


def _first_seated(members: list[CommitteeMember], job_id: int) -> CommitteeMember:
    """Seats by bond: any one member may hold none, or several; the first that holds one."""
    seats = members[0].session.market.committee(job_id)
    return next(m for m in members if m.me in seats)


def _job_with_one_submission(world: World) -> int:
    for account in VALIDATORS:
        world.session(account, "bond").market.join_validators(ETH)
    job_id = world.post_job()
    worker = world.session(WORKER, "worker").market
    salt = new_salt()
    worker.commit(job_id, commitment(job_id, worker.client.address, MODEL, 7000, salt), ETH // 10)
    world.travel_past(0, job_id)
    worker.reveal(job_id, MODEL, 7000, salt, "file:///m")
    world.reveal_evaluation(job_id)
    return job_id


def test_a_member_killed_between_commit_and_reveal_reveals_after_restart(world: World) -> None:
    job_id = _job_with_one_submission(world)
    members = [_member(world, a, 7000) for a in VALIDATORS]
    members[0].step(job_id)  # draws the committee
    assert len(members[0].session.market.committee(job_id)) == 3
    killed = _first_seated(members, job_id)
    world.travel_past(1, job_id)
    for m in members:
        m.step(job_id)  # seals, then commits
    killed.book.close()  # "kill -9": only the home folder survives

    account = VALIDATORS[members.index(killed)]
    restarted = _member(world, account, judge_score=0)  # a new process that would judge differently
    world.travel_past(2, job_id)
    for m in [restarted, *(m for m in members if m is not killed)]:
        m.step(job_id)
    world.travel_past(3, job_id)
    restarted.step(job_id)  # finalizes

    sub = restarted.session.market.submissions(job_id)[0]
    assert (sub.outcome, sub.attestation_count, sub.verified_score_bps) == (Outcome.WON, 3, 7000)
    assert restarted.book.attestation(job_id).scores == (7000,)  # the sealed scores, not a re-judgement


def test_a_member_that_cannot_fetch_the_evaluation_set_attests_it_unavailable(world: World) -> None:
    job_id = _job_with_one_submission(world)
    members = [_member(world, a, 7000) for a in VALIDATORS]
    members[0].step(job_id)  # draws the committee
    withheld = _first_seated(members, job_id)

    def judge(job_id: int, index: int, sub: Submission) -> int:
        raise EvaluationUnavailableError("no source serves it")

    withheld.judge = judge
    world.travel_past(1, job_id)
    withheld.step(job_id)
    world.travel_past(2, job_id)
    withheld.step(job_id)  # nothing to reveal: no error, no slash-bound reveal attempt

    assert withheld.session.market.attestation_seal(job_id, withheld.me) == UNAVAILABLE
    assert withheld.book.attestation(job_id) is None  # no scores were sealed


def _half_the_attestation_window(world: World, job_id: int) -> int:
    job = world.session(WORKER, "worker").market.job(job_id)
    return (job.reveal_deadline + job.attest_deadline) // 2


@pytest.mark.parametrize("unserved", ["weights", "evaluation set"])
def test_a_server_that_never_answers_is_asked_again_only_until_half_the_attestation_window(
    world: World, unserved: str
) -> None:
    """A worker's weights URL (or the requester's set) that refuses connections was asked again
    every round to the window's end: that one submission held the member's whole attestation, and
    the member was slashed for its silence. From half the window on, the weights score 0 and the
    set is attested unavailable (the requester's failure)."""
    job_id = _job_with_one_submission(world)
    members = [_member(world, a, 7000) for a in VALIDATORS]
    members[0].step(job_id)  # draws the committee
    member = _first_seated(members, job_id)
    error = ArtifactUnreachableError if unserved == "weights" else EvaluationUnreachableError

    def judge(job_id: int, index: int, sub: Submission) -> int:
        raise error("http://127.0.0.1:9: connection refused")

    member.judge = judge
    world.travel_past(1, job_id)
    with pytest.raises(error):  # the round fails (run_rounds logs it): asked again next round
        member.step(job_id)
    assert member.session.market.attestation_seal(job_id, member.me) == bytes(32)

    world.travel_to(_half_the_attestation_window(world, job_id))
    member.step(job_id)

    if unserved == "weights":
        assert member.book.attestation(job_id).scores == (0,)
        assert member.session.market.attestation_seal(job_id, member.me) not in (bytes(32), UNAVAILABLE)
    else:
        assert member.session.market.attestation_seal(job_id, member.me) == UNAVAILABLE


def test_a_member_outside_the_committee_commits_nothing(world: World) -> None:
    job_id = _job_with_one_submission(world)
    world.session(7, "bond").market.join_validators(ETH)  # a fourth validator: one stays out
    member = _member(world, VALIDATORS[0], 7000)
    member.step(job_id)
    world.travel_past(1, job_id)
    outsiders = [
        a for a in (*VALIDATORS, 7) if world.client.w3.eth.accounts[a] not in member.session.market.committee(job_id)
    ]
    outsider = _member(world, outsiders[0], 7000)

    outsider.step(job_id)

    assert outsider.book.attestation(job_id) is None


def test_a_member_that_misses_the_attestation_window_is_warned_then_told_its_slash(world: World) -> None:
    job_id = _job_with_one_submission(world)
    members = [_member(world, a, 7000) for a in VALIDATORS]
    members[0].step(job_id)  # draws the committee
    down = _first_seated(members, job_id)
    up = [m for m in members if m is not down]
    world.travel_past(1, job_id)
    for m in up:
        m.step(job_id)  # the seated member's process is down for the whole window
    world.travel_past(2, job_id)
    for m in members:
        m.step(job_id)
    world.travel_past(3, job_id)
    for m in members:
        m.step(job_id)  # finalizes
        m.step(job_id)  # reports what it cost, withdraws

    absent = down.log.stream.getvalue()  # type: ignore[attr-defined]
    assert "WARNING validator job 1: missed the attestation window" in absent
    # One warning a seat: its first seat takes a tenth of the full bond.
    assert "WARNING validator job 1: slashed" in absent and "slashed=0.1ETH" in absent
    assert "WARNING" not in up[0].log.stream.getvalue()  # type: ignore[attr-defined]


def test_a_member_whose_bond_falls_below_the_minimum_is_told_it_is_no_longer_drawn(world: World) -> None:
    job_id = _job_with_one_submission(world)
    members = [_member(world, a, 7000) for a in VALIDATORS]
    members[0].step(job_id)
    seated = _first_seated(members, job_id)
    world.travel_past(3, job_id)  # every window missed: each seated member is slashed below 1 ETH
    for m in members:
        m.step(job_id)
        m.step(job_id)

    log = seated.log.stream.getvalue()  # type: ignore[attr-defined]
    assert "bond below the minimum: no longer drawn" in log and "min_bond=1ETH" in log


def test_validator_status_shows_seats_in_flight_then_the_slash(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from offchain.roles.validator_exit import format_status, validator_status

    job_id = _job_with_one_submission(world)
    members = [_member(world, a, 7000) for a in VALIDATORS]
    members[0].step(job_id)
    down = _first_seated(members, job_id)
    up = [m for m in members if m is not down]
    seats = members[0].session.market.committee(job_id).count(down.me)  # seats by bond: 1 to 3
    world.travel_past(1, job_id)
    for m in up:
        m.step(job_id)  # the seated member misses the window
    in_flight = validator_status(down.session)
    world.travel_past(2, job_id)
    for m in members:
        m.step(job_id)  # the others reveal
    world.travel_past(3, job_id)
    for m in members:
        m.step(job_id)  # finalizes

    w3 = down.session.client.w3
    settlement_queries: list[Any] = []  # the topics of every eth_getLogs query for ValidatorSettled
    settled_topic = w3.keccak(text="ValidatorSettled(uint256,address,uint8,uint8,uint8,uint256,uint256)").hex()

    def get_logs(params: Any, real: Any = w3.eth.get_logs) -> Any:
        topics = params.get("topics") or [None]
        options = topics[0] if isinstance(topics[0], list) else [topics[0]]
        if any(str(t).lower().removeprefix("0x") == settled_topic.lower().removeprefix("0x") for t in options):
            settlement_queries.append(topics)
        return real(params)

    monkeypatch.setattr(w3.eth, "get_logs", get_logs)
    absent = validator_status(down.session)
    monkeypatch.undo()
    present = validator_status(up[0].session)
    per_seat = [_slashed_over(k + 1) - _slashed_over(k) for k in range(seats)]  # 0.1, 0.09, 0.081 ETH

    assert in_flight["seats_in_flight"] == [job_id] and in_flight["drawn"]
    assert absent["seats_in_flight"] == [] and absent["slashed"] == _slashed_over(seats) and not absent["drawn"]
    assert [(s["job"], s["slashed"]) for s in absent["slashes"]] == [(job_id, x) for x in per_seat]
    assert present["slashed"] == 0 and present["slashes"] == [] and present["drawn"]
    # The node filters by the indexed validator: status does not read the whole market's seats.
    mine = "0x" + bytes(12).hex() + down.me[2:].lower()
    assert settlement_queries and all(len(t) > 2 and str(t[2]).lower() == mine for t in settlement_queries)
    text = format_status(absent, world.session(1, "x").chain_time())
    short = format_eth(_slashed_over(seats)).replace(" ETH", "ether")
    assert f"NOT drawn for new jobs (bond below the minimum: `offchain validator top-up {short}`)" in text
    assert f"slashed {format_eth(_slashed_over(seats))} over {seats} seat(s)" in text


def test_validator_status_counts_the_fees_earned_also_once_withdrawn(world: World) -> None:
    # The chain's `earned` is the fee not yet withdrawn; a daemon withdraws at once, so status
    # said "earned 0 ETH" after every paid seat (README: "its fee earned").
    from offchain.eth.market_events import ValidatorSettled
    from offchain.roles.validator_exit import format_status, validator_status

    job_id = _job_with_one_submission(world)
    members = [_member(world, a, 7000) for a in VALIDATORS]
    for phase in (1, 2, 3):
        for m in members:
            m.step(job_id)
        world.travel_past(phase, job_id)
    for m in members:
        m.step(job_id)  # finalizes
    session = _first_seated(members, job_id).session
    if session.market.pending(session.client.address):
        session.market.withdraw()

    status = validator_status(session)

    settled = [e for e in session.market.events_of(job_id, "ValidatorSettled") if isinstance(e, ValidatorSettled)]
    mine = [e.paid for e in settled if e.validator == session.client.address]  # one a seat it holds
    assert len(settled) == 3 and mine and all(paid > 0 for paid in mine)
    assert status["withdrawable"] == 0 and status["earned"] == sum(mine)
    assert "earned 0 ETH" not in format_status(status, session.chain_time())


def test_a_validator_slashed_below_the_minimum_tops_up_from_the_cli_and_is_drawn_again(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from offchain.cli import main
    from offchain.roles import validator_exit
    from offchain.roles.validator_exit import validator_status

    job_id = _job_with_one_submission(world)
    members = [_member(world, a, 7000) for a in VALIDATORS]
    members[0].step(job_id)
    world.travel_past(3, job_id)  # every window missed: each seated member is slashed below the minimum
    for m in members:
        m.step(job_id)
    session = _first_seated(members, job_id).session
    assert not validator_status(session)["drawn"]
    monkeypatch.setattr(validator_exit, "open_session", lambda args: session)  # the in-process chain
    seats = session.market.committee(job_id).count(session.client.address)
    missing = format_eth(_slashed_over(seats)).replace(" ETH", "ether")  # 0.1, 0.19 or 0.271 ether

    assert main(["validator", "top-up", missing, "--dry-run"]) == 0
    assert not validator_status(session)["drawn"]  # a dry run sends nothing
    assert main(["validator", "top-up", missing, "--yes"]) == 0

    assert validator_status(session)["drawn"] and session.market.validator(session.client.address).bond == ETH
    assert "is now 1 ETH: drawn for new jobs" in capsys.readouterr().out


def test_a_draw_another_member_made_first_is_logged_as_routine(world: World) -> None:
    job_id = _job_with_one_submission(world)
    first, second = (_member(world, a, 7000) for a in VALIDATORS[:2])
    first.step(job_id)  # draws
    market = second.session.market
    answers = iter([False, True])  # it looked before the first member's draw landed
    market.is_drawn = lambda job_id: next(answers)  # type: ignore[method-assign]

    second.step(job_id)

    logged = second.log.stream.getvalue()  # type: ignore[attr-defined]
    assert "committee drawn by another validator" in logged
    assert "failed" not in logged and "WARNING" not in logged


def test_a_draw_refused_as_already_drawn_is_routine_before_the_log_is_seen(world: World) -> None:
    job_id = _job_with_one_submission(world)
    first, second = (_member(world, a, 7000) for a in VALIDATORS[:2])
    first.step(job_id)  # draws
    second.session.market.is_drawn = lambda job_id: False  # type: ignore[method-assign]  # its log not yet read

    for _ in range(3):  # its own draw reverts TrainingMarketAlreadyDrawn (the demo logged it as a WARNING)
        second.step(job_id)

    logged = second.log.stream.getvalue()  # type: ignore[attr-defined]
    assert logged.count("committee drawn by another validator") == 1  # once, not every round it is pending
    assert "WARNING" not in logged


def _appealed_job(world: World) -> tuple[int, list[CommitteeMember], AppealsClient]:
    """A job whose three members attested an honest 7000, appealed (frivolously) by its worker."""
    job_id = _job_with_one_submission(world)
    members = [_member(world, a, 7000) for a in VALIDATORS]
    members[0].step(job_id)  # draws
    world.travel_past(1, job_id)
    for m in members:
        m.step(job_id)  # seated members commit 7000
    world.travel_past(2, job_id)
    for m in members:
        m.step(job_id)  # and reveal
    appeals = AppealsClient(world.session(WORKER, "worker").market)
    world.travel_to(appeals.windows(job_id).opens)
    appeals.file_appeal(job_id, ETH // 10)  # a frivolous appeal: the claim was honest
    return job_id, members, appeals


def test_every_eligible_validator_votes_on_an_appeal_and_shares_the_deposit_when_the_verdict_stands(
    world: World,
) -> None:
    job_id, members, appeals = _appealed_job(world)

    for m in members:
        m.step(job_id)  # every member votes (seated or not): honest
    world.travel_to(appeals.appeal(job_id).commit_until)
    for m in members:
        m.step(job_id)  # reveals
    assert appeals.appeal(job_id).total == 3 * ETH // 10**9  # every bond voted
    world.travel_to(appeals.appeal(job_id).reveal_until)
    for m in members:
        m.step(job_id)  # one finalizes; each collects its share

    assert all(appeals.owed_to(job_id, m.me) == 0 for m in members)
    assert [appeals.vote_of(job_id, m.me) for m in members] == [VOTE_REVEALED] * 3
    assert appeals.appeal(job_id).ruling == 2  # upheld: the deposit went to the voters


def test_a_member_that_cannot_fetch_the_appealed_set_votes_it_unserved_rather_than_stay_silent(world: World) -> None:
    # Issue 20: the vote decides whether the opened set was served (Appeals.UNSERVED, bit 32);
    # before, such a member did not vote and was slashed as absent.
    job_id, members, appeals = _appealed_job(world)
    withheld = members[0]

    def judge(job_id: int, index: int, sub: Submission) -> int:
        raise EvaluationUnavailableError("no source serves it")

    withheld.judge = judge
    withheld.step(job_id)
    world.travel_to(appeals.appeal(job_id).commit_until)
    withheld.step(job_id)

    assert appeals.vote_of(job_id, withheld.me) == VOTE_REVEALED
    unserved = appeals.unserved_vote()
    assert appeals.contract.functions.tallyOf(job_id, unserved.bit_length() - 1).call() == [ETH // 10**9] * 2


def test_a_member_waits_for_the_appeals_vote_instead_of_trying_to_finalize(world: World) -> None:
    job_id, members, appeals = _appealed_job(world)
    world.travel_past(3, job_id)  # the settle deadline is past, the vote's commits are open

    for m in members:
        m.step(job_id)

    logged = "".join(m.log.stream.getvalue() for m in members)  # type: ignore[attr-defined]
    assert logged.count("committed an appeal vote") == 3
    assert "transaction failed" not in logged  # the lens said AppealVoting: no finalize was sent
    report = job_report(members[0].session, job_id)
    assert report["phase"] == "appeal_voting"
    assert report["deadline_times"]["vote_commit"] == appeals.appeal(job_id).commit_until
    assert next_deadline(report, report["deadline_times"]["settle"]).startswith("the appeal's vote commits close")
