"""Steps of an appeal (contracts/Appeals.sol) shared by the market tests: file it, have every
voter commit then reveal its per-submission verdict, and move the clock past the vote."""

import brownie
from hashes import ZERO_ADDRESS, h
from market_helpers import MIN_STAKE, sleep_until

from offchain.eth import commitment


def appeals_of(market):
    """The Appeals contract the market created in its constructor."""
    return brownie.Appeals.at(market.appealsContractAddress())


def vote_salt(voter):
    return h(f"vote-salt-{voter}")


def vote_seal(job_id, voter, vote, salt=None):
    """{Appeals-commitVote}'s seal, from the Python implementation."""
    return "0x" + commitment.vote_seal(job_id, str(voter), vote, salt or vote_salt(voter)).hex()


def windows(market, job_id):
    """(appeals open, appeals close = the settle deadline, vote commits close, vote reveals close)."""
    return tuple(appeals_of(market).windowsOf(job_id))


def members_now(market):
    """The validator set's leaves: the first leaf whose owner is zero (leaves are never cleared)."""
    n = 0
    while market.validatorAt(n) != ZERO_ADDRESS:
        n += 1
    return n


def file_appeal(market, job_id, appellant, deposit=MIN_STAKE):
    """File the job's appeal (of every submission's verdict), in its window."""
    sleep_until(windows(market, job_id)[0])
    return appeals_of(market).fileAppeal(job_id, members_now(market), {"from": appellant, "value": deposit})


def vote(market, job_id, votes):
    """Each voter in `votes` {account: vote (bit i: submission i over-claims; bit 16 + i: its
    verified score is inflated)} commits, then reveals after the commit
    window; the clock ends past the vote (finalize may follow)."""
    appeals = appeals_of(market)
    for voter, ballot in votes.items():
        appeals.commitVote(job_id, vote_seal(job_id, voter, ballot), {"from": voter})
    _, _, commit_until, reveal_until = windows(market, job_id)
    sleep_until(commit_until)
    for voter, ballot in votes.items():
        appeals.revealVote(job_id, ballot, vote_salt(voter), {"from": voter})
    sleep_until(reveal_until)
