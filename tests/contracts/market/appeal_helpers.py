"""Steps of an appeal (contracts/Appeals.sol) shared by the market tests: file it, have every
voter commit then reveal its per-submission verdict, and move the clock past the vote."""

import brownie
from eth_abi import encode
from eth_utils import keccak
from hashes import h
from market_helpers import MIN_STAKE, sleep_until


def appeals_of(market):
    """The Appeals contract the market created in its constructor."""
    return brownie.Appeals.at(market.appeals())


def vote_salt(voter):
    return h(f"vote-salt-{voter}")


def vote_seal(job_id, voter, dishonest, salt=None):
    """{Appeals-commitVote}'s seal: keccak256(abi.encode(jobId, voter, dishonest, salt))."""
    salt = vote_salt(voter) if salt is None else salt
    return keccak(encode(["uint256", "address", "uint16", "bytes32"], [job_id, str(voter), dishonest, salt]))


def windows(market, job_id):
    """(appeals open, appeals close = the settle deadline, vote commits close, vote reveals close)."""
    return tuple(appeals_of(market).windowsOf(job_id))


def file_appeal(market, job_id, appellant, named, deposit=MIN_STAKE):
    """File the job's appeal of the submissions in bitmap `named`, in its window."""
    sleep_until(windows(market, job_id)[0])
    return appeals_of(market).fileAppeal(job_id, named, {"from": appellant, "value": deposit})


def vote(market, job_id, votes):
    """Each voter in `votes` {account: dishonest bitmap} commits, then reveals after the commit
    window; the clock ends past the vote (finalize may follow)."""
    appeals = appeals_of(market)
    for voter, dishonest in votes.items():
        appeals.commitVote(job_id, vote_seal(job_id, voter, dishonest), {"from": voter})
    _, _, commit_until, reveal_until = windows(market, job_id)
    sleep_until(commit_until)
    for voter, dishonest in votes.items():
        appeals.revealVote(job_id, dishonest, vote_salt(voter), {"from": voter})
    sleep_until(reveal_until)
