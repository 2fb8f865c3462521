"""The market's side of sealed submissions (issue 26, stage two): a sealed job's post, its
sealed reveals, envelopes to the drawn committee, a proven bad envelope, and the winner paid
through the exchange. The exchange's own rules are tests/contracts/sealed/'s."""

import brownie
from appeal_helpers import file_appeal, vote
from brownie import chain
from errors import err
from market_helpers import (
    FORFEIT,
    MIN_BOND,
    MIN_STAKE,
    commit_scores,
    do_commit,
    do_reveal,
    draw,
    finalize,
    lens_of,
    post,
    reveal_eval,
    reveal_scores,
    to_attest,
    to_finalize,
    to_reveal,
    to_settle,
)
from sealed_job_helpers import (
    exchange_of,
    point_args,
    post_envelopes,
    post_sealed,
    prove_bad,
    publish_seal,
    register_members,
)

from offchain.sealed.curve import new_key_pair, seal_envelope, shared_point

UNVERIFIED, WON = 2, 5  # ITrainingMarket.Outcome
AWAITING_KEY, DELIVERED = 1, 2  # ISealedExchange.State


def _drawn_sealed_job(market, requester, worker, score=7000):
    """A sealed job with `worker`'s sealed submission revealed, the set open and the committee
    drawn, in the reveal window; returns (job id, the sealed work)."""
    job_id, _, _ = post_sealed(market, requester)
    do_commit(market, job_id, worker, score)
    to_reveal(market, job_id)
    work = publish_seal(market, job_id, worker)
    do_reveal(market, job_id, worker, score)
    reveal_eval(market, job_id, requester)
    draw(market, job_id, requester)
    return job_id, work


def _attest(market, job_id, members, scores):
    """Each distinct member in `members` commits then reveals `scores`; ends in the settle window."""
    to_attest(market, job_id)
    for m in members:
        commit_scores(market, job_id, m, scores)
    to_settle(market, job_id)
    for m in members:
        reveal_scores(market, job_id, m, scores)


def test_a_sealed_job_needs_the_requesters_job_key(market, requester):
    next_id = market.jobCount() + 1

    with brownie.reverts(err("TrainingMarketNoJobKey", next_id)):
        post_sealed(market, requester, register_key=False)


def test_a_sealed_job_is_posted_with_its_key_and_says_so(market, requester):
    job_id, key, tx = post_sealed(market, requester)

    assert tx.events["JobSealed"]["jobId"] == job_id
    assert tx.events["JobPosted"]["jobId"] == job_id
    assert exchange_of(market).jobKeyOf(job_id, requester).lower() == "0x" + key.public.key_id().hex()


def test_a_reveal_to_a_sealed_job_needs_the_workers_seal(market, requester, alice):
    job_id, _, _ = post_sealed(market, requester)
    do_commit(market, job_id, alice, 7000)
    to_reveal(market, job_id)

    with brownie.reverts(err("TrainingMarketNoSeal", job_id)):
        do_reveal(market, job_id, alice, 7000)
    publish_seal(market, job_id, alice)
    do_reveal(market, job_id, alice, 7000)


def test_an_unsealed_job_takes_reveals_without_a_seal(market, requester, alice):
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)
    to_reveal(market, job_id)

    tx = do_reveal(market, job_id, alice, 7000)

    assert "Revealed" in tx.events


def test_envelopes_go_to_every_seat_of_the_drawn_committee(market, requester, alice, validators):
    pairs = register_members(market, validators)
    job_id, work = _drawn_sealed_job(market, requester, alice)

    posted = post_envelopes(market, job_id, alice, work, pairs)

    assert list(posted.tx.events["EnvelopesPosted"]["recipients"]) == list(lens_of(market).committee(job_id))
    assert exchange_of(market).envelopesPosted(job_id, alice)


def test_a_worker_cannot_leave_a_member_out_of_its_envelopes(market, requester, alice, validators):
    # The attack: a member left without an envelope cannot open the weights, attests what it
    # can (nothing), and is slashed against the others' median. The list is the committee's.
    pairs = register_members(market, validators)
    job_id, work = _drawn_sealed_job(market, requester, alice)
    w = new_key_pair()
    seats = list(lens_of(market).committee(job_id))
    short = [seal_envelope(work.key, shared_point(w.secret, pairs[a].public)) for a in seats[:-1]]

    with brownie.reverts(err("SealedExchangeBadEnvelopes", job_id, alice)):
        exchange_of(market).postEnvelopes(job_id, point_args(w), short, {"from": alice})


def test_envelopes_close_at_the_reveal_deadline(market, requester, alice, validators):
    # Posted late, envelopes would reach members who already attested nothing and not others.
    pairs = register_members(market, validators)
    job_id, work = _drawn_sealed_job(market, requester, alice)
    to_attest(market, job_id)

    with brownie.reverts(err("SealedExchangeWindowClosed", job_id, market.job(job_id)["revealDeadline"])):
        post_envelopes(market, job_id, alice, work, pairs)


def test_envelopes_wait_for_the_drawn_committee(market, requester, alice):
    # Posted before the draw, they would go to no seat and, posted once, leave the committee keyless.
    job_id, _, _ = post_sealed(market, requester)
    do_commit(market, job_id, alice, 7000)
    to_reveal(market, job_id)
    publish_seal(market, job_id, alice)
    to_nobody = [bytes(32)] * market.job(job_id)["committeeSize"]

    with brownie.reverts(err("SealedExchangeNoCommittee", job_id)):
        exchange_of(market).postEnvelopes(job_id, point_args(new_key_pair()), to_nobody, {"from": alice})


def test_a_worker_whose_envelope_was_proven_bad_forfeits_and_its_prover_is_not_slashed(
    market, requester, alice, validators
):
    pairs = register_members(market, validators)
    job_id, work = _drawn_sealed_job(market, requester, alice)
    seats = list(lens_of(market).committee(job_id))
    prover = next(v for v in validators if v.address == seats[0])
    posted = post_envelopes(market, job_id, alice, work, pairs, wrong_for=prover.address)
    to_attest(market, job_id)
    prove_bad(market, job_id, alice, work, posted, prover, pairs[prover.address])
    # The others open their envelopes and attest the claim; the prover, who could not, attests nothing.
    others = [v for v in validators if v.address in seats and v != prover]
    _attest(market, job_id, others, [7000])
    to_finalize(market, job_id)

    tx = finalize(market, job_id, requester)

    assert lens_of(market).submissions(job_id)[0]["outcome"] == UNVERIFIED
    assert tx.events["Finalized"]["winner"] == "0x" + "00" * 20
    assert market.validator(prover)["bond"] == MIN_BOND
    claimed = market.claim(job_id, 0, {"from": alice}).events["Claimed"]["amount"]
    assert claimed == MIN_STAKE - FORFEIT


def test_a_late_bad_envelope_proof_is_refused(market, requester, alice, validators):
    pairs = register_members(market, validators)
    job_id, work = _drawn_sealed_job(market, requester, alice)
    prover = next(v for v in validators if v.address in lens_of(market).committee(job_id))
    posted = post_envelopes(market, job_id, alice, work, pairs, wrong_for=prover.address)
    to_settle(market, job_id)  # the attest deadline has passed: attestations are being revealed

    closes = market.job(job_id)["attestDeadline"]
    with brownie.reverts(err("SealedExchangeWindowClosed", job_id, closes)):
        prove_bad(market, job_id, alice, work, posted, prover, pairs[prover.address])
    assert not exchange_of(market).badEnvelope(job_id, alice)


def test_a_bad_envelope_of_a_submission_not_yet_revealed_is_refused(market, requester, alice, validators):
    # The flag is written to revealed sheets only: an unrevealed commit stays an unrevealed commit.
    pairs = register_members(market, validators)
    job_id, _, _ = post_sealed(market, requester)
    do_commit(market, job_id, alice, 7000)
    to_reveal(market, job_id)
    work = publish_seal(market, job_id, alice)
    reveal_eval(market, job_id, requester)
    draw(market, job_id, requester)
    prover = next(v for v in validators if v.address in lens_of(market).committee(job_id))
    posted = post_envelopes(market, job_id, alice, work, pairs, wrong_for=prover.address)

    with brownie.reverts(err("TrainingMarketBadEnvelopeRefused", job_id, alice)):
        prove_bad(market, job_id, alice, work, posted, prover, pairs[prover.address])


def test_only_the_exchange_flags_a_bad_envelope(market, requester, alice, mallory, validators):
    job_id, _ = _drawn_sealed_job(market, requester, alice)

    with brownie.reverts(err("TrainingMarketBadEnvelopeRefused", job_id, alice)):
        market.flagEnvelopeProvenBad(job_id, alice, {"from": mallory})


def test_an_unsealed_job_takes_no_bad_envelope(market, requester, alice, validators):
    # A worker of an unsealed job sealing of its own accord cannot turn a verdict into a forfeit.
    pairs = register_members(market, validators)
    job_id, _ = post(market, requester)
    do_commit(market, job_id, alice, 7000)
    to_reveal(market, job_id)
    work = publish_seal(market, job_id, alice)
    do_reveal(market, job_id, alice, 7000)
    draw(market, job_id, requester)
    prover = next(v for v in validators if v.address in lens_of(market).committee(job_id))
    posted = post_envelopes(market, job_id, alice, work, pairs, wrong_for=prover.address)

    with brownie.reverts(err("TrainingMarketBadEnvelopeRefused", job_id, alice)):
        prove_bad(market, job_id, alice, work, posted, prover, pairs[prover.address])


def test_the_winner_of_a_sealed_job_is_paid_through_the_exchange_for_its_key(market, requester, alice, validators):
    pairs = register_members(market, validators)
    job_id, work = _drawn_sealed_job(market, requester, alice)
    post_envelopes(market, job_id, alice, work, pairs)
    seats = list(lens_of(market).committee(job_id))
    _attest(market, job_id, [v for v in validators if v.address in seats], [7000])
    to_finalize(market, job_id)
    prize = finalize(market, job_id, requester).events["Finalized"]["prize"]
    exchange = exchange_of(market)
    before = alice.balance()

    tx = market.claim(job_id, 0, {"from": alice})

    assert alice.balance() == before  # the winner is not paid directly
    opened = tx.events["ExchangeOpened"]
    assert (opened["worker"], opened["requester"], opened["prize"], opened["deposit"]) == (
        alice,
        requester,
        prize,
        MIN_STAKE,
    )
    assert exchange.exchangeOf(job_id)["state"] == AWAITING_KEY
    assert exchange.balance() == prize + MIN_STAKE
    assert lens_of(market).submissions(job_id)[0]["outcome"] == WON


def _finalizable_unsealed_job(market, requester, worker, validators):
    """An unsealed job `worker` won at 7000, its seats attesting it, ready to finalize."""
    job_id, _ = post(market, requester)
    do_commit(market, job_id, worker, 7000)
    to_reveal(market, job_id)
    do_reveal(market, job_id, worker, 7000)
    reveal_eval(market, job_id, requester)
    draw(market, job_id, requester)
    seats = list(lens_of(market).committee(job_id))
    _attest(market, job_id, [v for v in validators if v.address in seats], [7000])
    to_finalize(market, job_id)
    return job_id


def test_the_winner_of_an_unsealed_job_is_paid_directly(market, requester, alice, validators):
    job_id = _finalizable_unsealed_job(market, requester, alice, validators)
    prize = finalize(market, job_id, requester).events["Finalized"]["prize"]
    before = alice.balance()

    tx = market.claim(job_id, 0, {"from": alice})

    assert "ExchangeOpened" not in tx.events
    assert alice.balance() == before + prize + MIN_STAKE - tx.gas_used * tx.gas_price


def test_anyone_opens_the_exchange_of_a_sealed_winner_that_never_claims(market, requester, alice, mallory, validators):
    # The attack: a winner that never claims (gone, or spiteful) would keep the requester's
    # money in the market and the key from it for ever. Anyone opens the exchange for it; the
    # delivery window then passes and the requester is refunded (the winner's stake burned).
    pairs = register_members(market, validators)
    job_id, work = _drawn_sealed_job(market, requester, alice)
    post_envelopes(market, job_id, alice, work, pairs)
    seats = list(lens_of(market).committee(job_id))
    _attest(market, job_id, [v for v in validators if v.address in seats], [7000])
    to_finalize(market, job_id)
    prize = finalize(market, job_id, requester).events["Finalized"]["prize"]

    tx = market.claim(job_id, 0, {"from": mallory})

    assert tx.events["ExchangeOpened"]["worker"] == alice
    assert tx.events["Claimed"]["worker"] == alice
    exchange = exchange_of(market)
    chain.sleep(exchange.deliveryWindow() + 1)
    chain.mine()
    exchange.refundUndelivered(job_id, {"from": mallory})
    assert exchange.pendingOf(requester) == prize


def test_only_its_worker_claims_an_unsealed_winners_outcome(market, requester, alice, mallory, validators):
    job_id = _finalizable_unsealed_job(market, requester, alice, validators)
    finalize(market, job_id, requester)

    with brownie.reverts(err("TrainingMarketNotYourSubmission", job_id, 0, mallory)):
        market.claim(job_id, 0, {"from": mallory})


def test_an_appeal_cannot_revive_a_submission_whose_envelope_was_proven_bad(market, requester, alice, validators):
    # The attack: the worker appeals its forfeit and the whole bond votes its claim honest. An
    # Unverified verdict is the vote's to decide (issue 20's appeals), but a ruled sheet is
    # rebuilt from the claim: the flag would be gone, and the prover, who attested nothing it
    # could not open, slashed as absent on the seats the ruling fills.
    pairs = register_members(market, validators)
    job_id, work = _drawn_sealed_job(market, requester, alice)
    seats = list(lens_of(market).committee(job_id))
    prover = next(v for v in validators if v.address == seats[0])
    posted = post_envelopes(market, job_id, alice, work, pairs, wrong_for=prover.address)
    to_attest(market, job_id)
    prove_bad(market, job_id, alice, work, posted, prover, pairs[prover.address])
    _attest(market, job_id, [v for v in validators if v.address in seats and v != prover], [7000])
    file_appeal(market, job_id, alice)
    vote(market, job_id, {v: 0b0 for v in validators})  # every voter: submission 0 is honest

    finalize(market, job_id, requester)

    assert lens_of(market).submissions(job_id)[0]["outcome"] == UNVERIFIED
    assert market.validator(prover)["bond"] == MIN_BOND
