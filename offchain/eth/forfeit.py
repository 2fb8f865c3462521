"""Why a settled job was the requester's failure, in words.

A forfeit (the revealed workers share the reward; nobody is paid or slashed) has three causes
in the market (docs/market.md, "Market v3"): the evaluation set was never opened, a strict
majority of the drawn seats attested the opened set unavailable (finalize then records it as
never opened), or the committee was drawn below the quorum. The contract and its lens decide
that a job forfeited; this only tells the causes apart from what the chain records.
"""

from __future__ import annotations


def forfeit_cause(*, opened: bool, recorded_open: bool, drawn: int, quorum: int, unavailable: int) -> str:
    """The cause of a forfeit. `opened`: the job has an EvaluationRevealed event;
    `recorded_open`: its record still says so after finalize; `drawn`: the committee's
    filled seats; `unavailable`: the seats whose members attested the set unavailable (seats
    by bond: a member may hold several, and the contract counts seats)."""
    if not opened:
        return "the requester never revealed the evaluation set"
    if not recorded_open:
        return f"{unavailable} of {drawn} committee seats attested the evaluation set unavailable"
    return f"the committee was drawn below the quorum ({drawn} of {quorum} seats)"
