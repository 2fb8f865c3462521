"""The requester's side of a sealed job's fair exchange (issue 26): the winner's key for the
reward.

Once the job is finalized its winner's prize and stake wait in the exchange. The requester
opens the delivered key with its job key (kept in the seal book by `job post --sealed`),
checks it against the seal's key commitment, then the winner's served artifact chunk by chunk
against the committed roots; a key that does not open is disputed on chain (disputeKey, or
disputeChunk with the first chunk that does not open) inside the dispute window, which refunds
the reward. A key that opens gives the weights, written where the user loads them. A winner
that never claims has its exchange opened for it (anyone may), and one that never delivers is
refunded after the delivery window. Every step reads the chain again: a restart resumes.
"""

from __future__ import annotations

from pathlib import Path

from offchain.artifacts.errors import ArtifactNotFoundError, HashMismatchError
from offchain.eth.exchange import ExchangeClient, State
from offchain.roles.rolelog import RoleLog
from offchain.roles.sealing import write_durably
from offchain.roles.seals import SealBook
from offchain.roles.session import Session
from offchain.roles.steps import open_exchange
from offchain.roles.weights import fetch_weights
from offchain.sealed.curve import KeyPair, base_mul
from offchain.sealed.errors import SealedError
from offchain.sealed.evidence import first_bad_chunk
from offchain.sealed.keys import key_commitment
from offchain.sealed.seal import SealHeader, open_sealed


def buy_key(session: Session, job_id: int, models: Path, log: RoleLog) -> bool:
    """One step of finalized job `job_id`'s exchange; True once nothing is left to do (an
    unsealed job, no winner, the weights written, or the exchange closed and withdrawn)."""
    market = session.market
    if not market.is_sealed(job_id):
        return True
    winner = market.winner_of(job_id)
    if winner is None:
        return True  # no winner: the reward came back through the market
    exchange = ExchangeClient(market)
    found = exchange.exchange(job_id)
    if found.state == State.NONE:
        # The winner has not claimed: open its exchange for it, so its delivery window runs.
        opening, _ = open_exchange(session, job_id, winner)
        log(f"the winner's exchange: {opening.value}", job=job_id)
        return False
    if found.state == State.AWAITING_KEY:
        if session.chain_time() > found.since + exchange.delivery_window():
            exchange.refund_undelivered(job_id)
            log.warn("the winner never delivered its key: refunded", job=job_id)
        return False
    if found.state == State.DELIVERED:
        return _check_delivery(session, exchange, job_id, found.worker, found.since, models, log)
    pending = exchange.pending(session.client.address)  # a refund (dispute or missed delivery)
    if pending:
        exchange.withdraw()
        log("withdrew the exchange's refund", job=job_id, amount=pending)
    return True


def weights_path(models: Path, job_id: int) -> Path:
    """Where the decrypted weights of job `job_id`'s winner go."""
    return models / f"job-{job_id}.safetensors"


def _check_delivery(
    session: Session, exchange: ExchangeClient, job_id: int, worker: str, since: int, models: Path, log: RoleLog
) -> bool:
    out = weights_path(models, job_id)
    if out.exists():
        return True  # opened and checked by an earlier round
    if session.chain_time() > since + exchange.dispute_window():
        log.warn("the dispute window closed before the delivery was checked: the winner is paid", job=job_id)
        return True
    book = SealBook(session.home / "requester-seals.sqlite", session.client.chain_id, session.market.address)
    try:
        secret = book.job_key(job_id)
    finally:
        book.close()
    if secret is None:
        log.warn("no job key on record: the delivered key cannot be opened here", job=job_id)
        return True
    job_key = KeyPair(secret, base_mul(secret))
    header = exchange.seal(job_id, worker)
    revealed = session.market.revealed_of(job_id, worker)
    assert header is not None and revealed is not None, "the exchange opens only for a revealed, sealed winner"
    key = exchange.open_delivery(job_id, job_key)
    if key_commitment(key) != header.key_commitment:
        receipt = exchange.dispute_key(job_id, header, job_key)
        log.warn("the delivered key is not the committed one: disputed", job=job_id, gas=receipt["gasUsed"])
        return False  # the next round withdraws the refund
    try:
        artifact = fetch_weights(session, revealed.uri, models / f"job-{job_id}.sealed").read_bytes()
    except (ArtifactNotFoundError, HashMismatchError) as exc:
        # Availability is not provable on chain: retry until the dispute window closes.
        log.warn("the winner's artifact cannot be fetched, will retry", job=job_id, error=str(exc))
        return False
    try:
        weights = open_sealed(header, artifact, key)  # one pass when it opens: a 45 MB model takes seconds
    except SealedError:
        return _dispute_chunk(exchange, job_id, header, artifact, key, log)
    write_durably(out, weights, mode=0o644)
    _check_fingerprint(out, header.model_hash, job_id, log)
    log("decrypted the winner's weights", job=job_id, path=str(out))
    return True


def _dispute_chunk(
    exchange: ExchangeClient, job_id: int, header: SealHeader, artifact: bytes, key: bytes, log: RoleLog
) -> bool:
    """The committed key did not open the artifact: dispute its first chunk that does not open."""
    try:
        evidence = first_bad_chunk(header, artifact, key)
    except SealedError as exc:  # the served bytes are not what the seal commits to
        log.warn("the winner's artifact does not match its seal, will retry", job=job_id, error=str(exc))
        return False
    if evidence is None:  # open_sealed refused what every chunk opens to: nothing to prove
        log.warn("the winner's artifact does not open, though each chunk does", job=job_id)
        return False
    receipt = exchange.dispute_chunk(job_id, header, key, evidence)
    log.warn(f"the key does not open chunk {evidence.index}: disputed", job=job_id, gas=receipt["gasUsed"])
    return False


def _check_fingerprint(path: Path, model_hash: bytes, job_id: int, log: RoleLog) -> None:
    """Every chunk opened to its committed leaf; the committee attested that those chunks are
    the model. A mismatch here is a captured committee's, which the chain cannot judge."""
    from offchain.ml.errors import MLError
    from offchain.ml.fingerprint import fingerprint_file

    try:
        same = fingerprint_file(path) == model_hash
    except MLError as exc:
        log.warn("the decrypted weights do not load", job=job_id, error=str(exc))
        return
    if not same:
        log.warn("the decrypted weights are not the committed model (not disputable on chain)", job=job_id)
