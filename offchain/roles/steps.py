"""What every role does the same way: the poll-step-retry loop, and settling a job.

A role's loop polls for news, takes one step per job it follows, and sleeps; an error that
means "a server did not answer" (the chain node, an artifact server) ends only the
current round, and the next round starts from the journal and the contract's state again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum
from typing import Any

from offchain.artifacts.errors import ArtifactUnreachableError
from offchain.eth.errors import TransactionError
from offchain.eth.exchange import ExchangeClient, State
from offchain.eth.market import Phase
from offchain.eth.polling import TRANSIENT_ERRORS as RPC_TRANSIENT_ERRORS
from offchain.roles.rolelog import RoleLog
from offchain.roles.session import Session

# "Did not answer", as opposed to "said no": retried on the next round, never a verdict.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (*RPC_TRANSIENT_ERRORS, ArtifactUnreachableError)


def run_rounds(round_: Callable[[], None], finished: Callable[[], bool], poll_seconds: float, log: RoleLog) -> int:
    """Call `round_` every `poll_seconds` until `finished()`; transient errors are logged and retried."""
    while True:
        try:
            round_()
        except TRANSIENT_ERRORS as exc:
            what = "artifact server" if isinstance(exc, ArtifactUnreachableError) else "rpc"
            log(f"{what} unavailable, will retry", error=type(exc).__name__)
        if finished():
            return 0
        time.sleep(poll_seconds)


def finalize_if_due(session: Session, job_id: int, log: RoleLog) -> Phase:
    """Finalize `job_id` if it is finalizable; return its phase afterwards.

    Anyone may finalize: when another account got there first, the failed transaction is
    no error. A job still finalizable after a failed try is tried again on the next round.
    """
    phase = session.market.phase(job_id)
    if phase != Phase.FINALIZABLE:
        return phase
    try:
        session.market.finalize(job_id)
    except TransactionError as exc:
        phase = session.market.phase(job_id)
        if phase == Phase.FINALIZABLE:
            log("transaction failed, will re-check", job=job_id, error=str(exc))
        return phase
    log("finalized the job", job=job_id)
    return Phase.FINALIZED


def withdraw_pending(session: Session) -> int:
    """Pull what the market owes this account; return the amount (0: nothing was owed, or
    another process with this key pulled it between our read and our transaction)."""
    pending = session.market.pending(session.client.address)
    if not pending:
        return 0
    try:
        session.market.withdraw()
    except TransactionError:
        if session.market.pending(session.client.address) == 0:
            return 0
        raise
    return pending


class Opening(Enum):
    """How a sealed job's exchange came to be open."""

    OURS = "our claim opened the exchange"
    ALREADY_OPEN = "the exchange is already open, no claim sent"
    RACED = "the exchange was opened by another account first"


def open_exchange(session: Session, job_id: int, index: int) -> tuple[Opening, Any]:
    """Open the winner's exchange of finalized sealed job `job_id` by claiming submission
    `index` (anyone may), unless it is open; returns how it opened and our claim's receipt.

    The winner and the requester's daemon both open it as soon as the job is finalized, so the
    chain is read first with its pending transactions (a claim already sent counts), and a claim
    that lost the race all the same is no failure once the exchange is open."""
    exchange = ExchangeClient(session.market)
    if exchange.exchange(job_id, "pending").state != State.NONE:
        return Opening.ALREADY_OPEN, None
    try:
        return Opening.OURS, session.market.claim(job_id, index)
    except TransactionError:
        if exchange.exchange(job_id, "pending").state == State.NONE:
            raise
        return Opening.RACED, None
