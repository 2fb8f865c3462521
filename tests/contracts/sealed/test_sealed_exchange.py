"""The winner's fair exchange: open, deliver, claim, and the requester's two disputes."""

import brownie
from conftest import DELIVERY_WINDOW, DISPUTE_WINDOW
from errors import err
from sealed_helpers import (
    DEPOSIT,
    JOB,
    PRIZE,
    deliver,
    evidence,
    forged_submission,
    open_exchange,
    point_args,
    proof_for_a_made_up_point,
    publish,
    sealed_submission,
    sleep,
)

from offchain.sealed.curve import new_key_pair, open_envelope, shared_point
from offchain.sealed.digests import delivery_digest
from offchain.sealed.dleq import prove
from offchain.sealed.evidence import first_bad_chunk
from offchain.sealed.keys import new_key
from offchain.sealed.seal import open_sealed

AWAITING_KEY, DELIVERED, CLOSED = 1, 2, 3
BURNED = "0x0000000000000000000000000000000000000000"


def _opened(exchange, market, worker, requester, submission=None):
    """A published seal, the requester's job key, and the exchange opened by the market."""
    submission = submission or sealed_submission()
    publish(exchange, worker, submission)
    job_key = new_key_pair()
    exchange.registerJobKey(JOB, point_args(job_key.public), {"from": requester})
    open_exchange(exchange, market, worker, requester)
    return submission, job_key


def _assert_holds_what_it_owes(exchange, *accounts):
    """The exchange's balance is its open escrow plus every balance credited and not withdrawn."""
    record = exchange.exchangeOf(JOB)
    escrow = record["prize"] + record["deposit"] if record["state"] in (AWAITING_KEY, DELIVERED) else 0
    owed = sum(exchange.pendingOf(a) for a in (*accounts, BURNED))
    assert exchange.balance() == escrow + owed


def _dispute_key(exchange, requester, submission, job_key, delivery, proof=None):
    proof = proof or prove(job_key.secret, delivery.point.public).as_args()
    return exchange.disputeKey(
        JOB,
        submission.header.as_args(),
        point_args(job_key.public),
        point_args(delivery.point.public),
        delivery.envelope,
        proof,
        {"from": requester},
    )


def test_only_the_market_opens_an_exchange(exchange, worker, requester, alice):
    publish(exchange, worker, sealed_submission())

    with brownie.reverts(err("SealedExchangeNotMarket", alice)):
        exchange.openExchange(JOB, worker, requester, DEPOSIT, {"from": alice, "value": PRIZE + DEPOSIT})


def test_a_deposit_above_the_value_sent_is_refused(exchange, market, worker, requester):
    publish(exchange, worker, sealed_submission())

    with brownie.reverts(err("SealedExchangeTooMuch", DEPOSIT + 1)):
        open_exchange(exchange, market, worker, requester, deposit=DEPOSIT + 1, value=DEPOSIT)


def test_an_exchange_needs_the_workers_seal(exchange, market, worker, requester):
    with brownie.reverts(err("SealedExchangeInvalidSeal", JOB, worker)):
        open_exchange(exchange, market, worker, requester)


def test_an_opened_exchange_holds_the_prize_and_the_deposit(exchange, market, worker, requester):
    _opened(exchange, market, worker, requester)

    record = exchange.exchangeOf(JOB)
    assert (record["worker"], record["requester"], record["state"]) == (worker, requester, AWAITING_KEY)
    assert (record["prize"], record["deposit"]) == (PRIZE, DEPOSIT)
    _assert_holds_what_it_owes(exchange, worker, requester)


def test_the_requester_opens_the_delivered_key_and_the_weights(exchange, market, worker, requester):
    submission, job_key = _opened(exchange, market, worker, requester)

    delivery = deliver(exchange, worker, job_key.public, submission.key)

    key = open_envelope(delivery.envelope, shared_point(job_key.secret, delivery.point.public))
    assert open_sealed(submission.header, submission.sealed.artifact(), key)
    record = exchange.exchangeOf(JOB)
    assert record["state"] == DELIVERED
    assert bytes(record["word"]) == delivery_digest(job_key.public.key_id(), delivery.point.public, delivery.envelope)


def test_only_the_winner_delivers(exchange, market, worker, requester, alice):
    _, job_key = _opened(exchange, market, worker, requester)

    with brownie.reverts(err("SealedExchangeNotParty", JOB, alice)):
        deliver(exchange, alice, job_key.public, new_key())


def test_an_undisputed_delivery_pays_the_worker_after_the_window(exchange, market, worker, requester):
    submission, job_key = _opened(exchange, market, worker, requester)
    deliver(exchange, worker, job_key.public, submission.key)
    ends_at = exchange.exchangeOf(JOB)["since"] + DISPUTE_WINDOW
    with brownie.reverts(err("SealedExchangeWindowOpen", JOB, ends_at)):
        exchange.claim(JOB, {"from": worker})
    sleep(DISPUTE_WINDOW + 1)

    tx = exchange.claim(JOB, {"from": worker})

    assert tx.events["ExchangeClaimed"]["amount"] == PRIZE + DEPOSIT
    _assert_holds_what_it_owes(exchange, worker, requester)
    before = worker.balance()
    exchange.withdraw({"from": worker})
    assert worker.balance() == before + PRIZE + DEPOSIT
    _assert_holds_what_it_owes(exchange, worker, requester)


def test_a_strangers_claim_pays_the_worker_not_the_stranger(exchange, market, worker, requester, alice):
    submission, job_key = _opened(exchange, market, worker, requester)
    deliver(exchange, worker, job_key.public, submission.key)
    sleep(DISPUTE_WINDOW + 1)

    tx = exchange.claim(JOB, {"from": alice})

    assert tx.events["ExchangeClaimed"]["worker"] == worker
    assert exchange.pendingOf(worker) == PRIZE + DEPOSIT
    assert exchange.pendingOf(alice) == 0


def test_a_worker_delivering_a_wrong_key_is_caught_and_the_requester_refunded(exchange, market, worker, requester):
    submission, job_key = _opened(exchange, market, worker, requester)
    delivery = deliver(exchange, worker, job_key.public, new_key())  # not the committed key

    tx = _dispute_key(exchange, requester, submission, job_key, delivery)

    assert tx.events["DeliveryDisputed"]["refunded"] == PRIZE
    assert exchange.pendingOf(requester) == PRIZE
    assert exchange.pendingOf(BURNED) == DEPOSIT
    assert exchange.exchangeOf(JOB)["state"] == CLOSED
    _assert_holds_what_it_owes(exchange, worker, requester)
    with brownie.reverts(err("SealedExchangeWrongState", JOB, CLOSED)):
        exchange.claim(JOB, {"from": worker})


def test_a_requester_cannot_dispute_a_correct_delivery_by_key(exchange, market, worker, requester):
    submission, job_key = _opened(exchange, market, worker, requester)
    delivery = deliver(exchange, worker, job_key.public, submission.key)

    with brownie.reverts(err("SealedExchangeKeyIsCommitted", JOB)):
        _dispute_key(exchange, requester, submission, job_key, delivery)


def test_a_requester_cannot_dispute_with_a_shared_point_it_made_up(exchange, market, worker, requester):
    submission, job_key = _opened(exchange, market, worker, requester)
    delivery = deliver(exchange, worker, job_key.public, submission.key)
    liar = new_key_pair()

    with brownie.reverts(err("SealedExchangeInvalidProof", JOB)):
        _dispute_key(
            exchange, requester, submission, job_key, delivery, prove(liar.secret, delivery.point.public).as_args()
        )


def test_a_requester_cannot_dispute_with_a_made_up_point_and_a_challenge_it_answered(
    exchange, market, worker, requester
):
    submission, job_key = _opened(exchange, market, worker, requester)
    delivery = deliver(exchange, worker, job_key.public, submission.key)
    fake = proof_for_a_made_up_point(job_key.secret, delivery.point.public, new_key_pair().public)

    with brownie.reverts(err("SealedExchangeInvalidProof", JOB)):
        _dispute_key(exchange, requester, submission, job_key, delivery, fake)


def test_a_requester_cannot_dispute_with_another_job_key(exchange, market, worker, requester):
    submission, job_key = _opened(exchange, market, worker, requester)
    delivery = deliver(exchange, worker, job_key.public, submission.key)
    other = new_key_pair()

    with brownie.reverts(err("SealedExchangeDeliveryMismatch", JOB)):
        _dispute_key(exchange, requester, submission, other, delivery)


def test_a_seal_that_does_not_open_is_caught_by_one_chunk(exchange, market, worker, requester):
    # The committed key is delivered, but chunk 1 of the committed ciphertext does not open to
    # the committed plaintext leaf (a committee that checked nothing let it through).
    submission = forged_submission(bad_chunk=1)
    submission, job_key = _opened(exchange, market, worker, requester, submission)
    deliver(exchange, worker, job_key.public, submission.key)
    proof = first_bad_chunk(submission.header, submission.sealed.artifact(), submission.key)
    assert proof is not None and proof.index == 1

    tx = exchange.disputeChunk(JOB, submission.header.as_args(), submission.key, proof.as_args(), {"from": requester})

    assert tx.events["DeliveryDisputed"]["burned"] == DEPOSIT
    assert exchange.pendingOf(requester) == PRIZE
    _assert_holds_what_it_owes(exchange, worker, requester)


def test_a_requester_cannot_dispute_a_chunk_that_opens(exchange, market, worker, requester):
    submission, job_key = _opened(exchange, market, worker, requester)
    deliver(exchange, worker, job_key.public, submission.key)

    for index in (0, 3):  # a full chunk and the short last one
        with brownie.reverts(err("SealedExchangeChunkOpens", JOB, index)):
            exchange.disputeChunk(
                JOB,
                submission.header.as_args(),
                submission.key,
                evidence(submission, index).as_args(),
                {"from": requester},
            )


def test_a_chunk_dispute_needs_the_committed_key(exchange, market, worker, requester):
    submission, job_key = _opened(exchange, market, worker, requester)
    deliver(exchange, worker, job_key.public, submission.key)

    with brownie.reverts(err("SealedExchangeKeyNotCommitted", JOB)):
        exchange.disputeChunk(
            JOB, submission.header.as_args(), new_key(), evidence(submission, 0).as_args(), {"from": requester}
        )


def test_a_chunk_dispute_cannot_move_a_leaf_to_another_index(exchange, market, worker, requester):
    # Chunk 0's evidence presented as chunk 2's: its branch leads elsewhere, so nothing is proven
    # (the keystream and the salt would otherwise differ and make any chunk look bad).
    submission, job_key = _opened(exchange, market, worker, requester)
    deliver(exchange, worker, job_key.public, submission.key)
    moved = list(evidence(submission, 0).as_args())
    moved[0] = 2

    with brownie.reverts(err("SealedExchangeBadEvidence", JOB)):
        exchange.disputeChunk(JOB, submission.header.as_args(), submission.key, moved, {"from": requester})


def test_no_dispute_after_the_window(exchange, market, worker, requester):
    submission, job_key = _opened(exchange, market, worker, requester)
    delivery = deliver(exchange, worker, job_key.public, new_key())
    ends_at = exchange.exchangeOf(JOB)["since"] + DISPUTE_WINDOW
    sleep(DISPUTE_WINDOW + 1)

    with brownie.reverts(err("SealedExchangeWindowClosed", JOB, ends_at)):
        _dispute_key(exchange, requester, submission, job_key, delivery)


def test_only_the_requester_disputes(exchange, market, worker, requester, alice):
    submission, job_key = _opened(exchange, market, worker, requester)
    delivery = deliver(exchange, worker, job_key.public, new_key())

    with brownie.reverts(err("SealedExchangeNotParty", JOB, alice)):
        _dispute_key(exchange, alice, submission, job_key, delivery)


def test_a_missed_delivery_refunds_the_requester_and_burns_the_deposit(exchange, market, worker, requester):
    _opened(exchange, market, worker, requester)
    sleep(DELIVERY_WINDOW + 1)

    exchange.refundUndelivered(JOB, {"from": requester})

    assert exchange.pendingOf(requester) == PRIZE
    assert exchange.pendingOf(BURNED) == DEPOSIT
    _assert_holds_what_it_owes(exchange, worker, requester)


def test_a_late_delivery_is_refused(exchange, market, worker, requester):
    submission, job_key = _opened(exchange, market, worker, requester)
    ends_at = exchange.exchangeOf(JOB)["since"] + DELIVERY_WINDOW
    sleep(DELIVERY_WINDOW + 1)

    with brownie.reverts(err("SealedExchangeWindowClosed", JOB, ends_at)):
        deliver(exchange, worker, job_key.public, submission.key)


def test_a_requester_without_a_job_key_leaves_the_worker_to_claim(exchange, market, worker, requester):
    publish(exchange, worker, sealed_submission())
    open_exchange(exchange, market, worker, requester)
    assert exchange.exchangeOf(JOB)["state"] == DELIVERED
    sleep(DISPUTE_WINDOW + 1)

    exchange.claim(JOB, {"from": worker})

    assert exchange.pendingOf(worker) == PRIZE + DEPOSIT
