"""Issue 20, the appeal's loose ends: while an appeal's vote runs, the lens says so (phase
AppealVoting, then AppealRevealing) instead of Finalizable, whose finalize would revert
{AppealsVoteOpen}; the roles and `job status` read the phase and wait.

Written first against the lens without the appeal phases: it said Settling, then Finalizable
through the whole vote."""

from appeal_helpers import windows
from market_helpers import lens_of, one_seat_each, seated, sleep_until
from test_appeal import _appealed, _attest, _drawn_job

SETTLING, APPEAL_VOTING, APPEAL_REVEALING, FINALIZABLE = 3, 4, 5, 6  # ITrainingMarket.Phase


def test_the_lens_says_the_vote_runs_from_the_filing_to_its_reveal_deadline(market, requester, alice, validators):
    job_id = _appealed(market, requester, alice, validators)
    lens = lens_of(market)
    _, settle, commit_until, reveal_until = windows(market, job_id)

    seen = [lens.phase(job_id)]  # filed in the settle window's second half
    sleep_until(settle)
    seen.append(lens.phase(job_id))
    sleep_until(commit_until)
    seen.append(lens.phase(job_id))
    sleep_until(reveal_until)
    seen.append(lens.phase(job_id))

    assert seen == [APPEAL_VOTING, APPEAL_VOTING, APPEAL_REVEALING, FINALIZABLE]


def test_the_lens_reads_the_vote_phase_in_a_page_of_jobs(market, requester, alice, validators):
    job_id = _appealed(market, requester, alice, validators)

    assert list(lens_of(market).phases([job_id])) == [APPEAL_VOTING]


def test_a_job_nobody_appeals_settles_then_is_finalizable(market, requester, alice, validators):
    job_id = one_seat_each(market, lambda: _drawn_job(market, requester, {alice: 8000}))
    _attest(market, job_id, {v: [8000] for v in seated(market, job_id, validators)})
    lens = lens_of(market)
    opens, settle, _, _ = windows(market, job_id)

    sleep_until(opens)
    seen = [lens.phase(job_id)]
    sleep_until(settle)
    seen.append(lens.phase(job_id))

    assert seen == [SETTLING, FINALIZABLE]
