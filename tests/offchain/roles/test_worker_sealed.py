"""The worker's steps on a sealed job (issue 26), on the in-process EVM: it serves only
ciphertext, reveals with its seal, posts its key's envelopes to the drawn committee, and as the
winner is paid through the exchange for delivering the key (its exchange opened by its own
claim, or by the requester's first: no failed claim either way); a restart after any step
resumes and never re-keys a published submission."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from conftest import ETH, World
from sealed_world import REQUESTER, attest, bond_members, open_evaluation, post_sealed, step, tiny_worker

from offchain.demo.observer import Secret, leaks
from offchain.eth.client import Client
from offchain.eth.exchange import ExchangeClient, State
from offchain.eth.market import MarketClient, Outcome
from offchain.roles.journal import JobEntry, JobState
from offchain.roles.sealing import KEY_FILE, header_from_json, open_submission
from offchain.sealed.curve import KeyPair, base_mul
from offchain.sealed.keys import key_commitment
from offchain.sealed.seal import MAGIC

WORKER = 2


def _entry(world: World, job_id: int) -> JobEntry:
    entry = tiny_worker(world, WORKER).journal.get(job_id)
    assert entry is not None
    return entry


def _trained(world: World) -> tuple[int, JobEntry]:
    job_id = post_sealed(world)
    tiny_worker(world, WORKER).discover()
    assert step(world, WORKER, job_id) == JobState.TRAINED
    return job_id, _entry(world, job_id)


def _weights(world: World, job_id: int) -> bytes:
    folder = world.tmp / "worker-2" / "worker" / "jobs"
    (path,) = folder.glob(f"*/*-{job_id}/model.safetensors")
    return path.read_bytes()


def test_a_sealed_jobs_worker_serves_only_ciphertext(world: World) -> None:
    job_id, entry = _trained(world)

    served = Path(entry.record.uri or "").read_bytes()  # what the committee downloads
    assert not leaks(Secret.of([_weights(world, job_id)]), served)
    assert entry.record.sealed and served.startswith(MAGIC)


def test_a_restarted_worker_reveals_with_the_seal_it_published_and_never_rekeys(world: World) -> None:
    job_id, entry = _trained(world)
    key = (Path(entry.record.seal_dir or "") / KEY_FILE).read_bytes()
    # Killed before TRAINED was journalled: the same model is sealed again under the same key.
    tiny_worker(world, WORKER).journal.put(job_id, JobState.TRAINING)
    assert step(world, WORKER, job_id) == JobState.TRAINED
    assert _entry(world, job_id).record.seal == entry.record.seal
    assert step(world, WORKER, job_id) == JobState.COMMITTED
    world.travel_past(0, job_id)
    worker = tiny_worker(world, WORKER)
    worker._publish_seal(_entry(world, job_id))  # killed after publishing, before the reveal

    assert step(world, WORKER, job_id) == JobState.REVEALED

    exchange = ExchangeClient(world.session(WORKER, "w").market)
    header = exchange.seal(job_id, worker.me)
    assert header == header_from_json(entry.record.seal or {}) and header.key_commitment == key_commitment(key)
    assert world.session(WORKER, "w").market.revealed_of(job_id, worker.me) is not None


def _revealed(world: World) -> tuple[int, list]:
    members = bond_members(world)
    job_id, _ = _trained(world)
    assert step(world, WORKER, job_id) == JobState.COMMITTED
    world.travel_past(0, job_id)
    assert step(world, WORKER, job_id) == JobState.REVEALED
    return job_id, members


def test_the_worker_draws_the_committee_and_posts_an_envelope_to_every_seat_once(world: World) -> None:
    job_id, members = _revealed(world)

    assert step(world, WORKER, job_id) == JobState.REVEALED  # nobody drew: the worker does, then posts
    assert _entry(world, job_id).record.envelopes == "posted"
    assert step(world, WORKER, job_id) == JobState.REVEALED  # a restart posts nothing twice

    worker = tiny_worker(world, WORKER)
    exchange = ExchangeClient(world.session(WORKER, "w").market)
    posted = exchange.envelopes(job_id, worker.me)
    header = exchange.seal(job_id, worker.me)
    artifact = Path(_entry(world, job_id).record.uri or "").read_bytes()
    weights = _weights(world, job_id)
    assert posted is not None and header is not None
    assert len(posted.recipients) == 3
    for seat, recipient in enumerate(posted.recipients):
        (member,) = [m for m in members if m.me == recipient]
        assert open_submission(header, posted, seat, member.encryption, artifact).weights == weights


def test_a_worker_whose_draw_a_member_beat_posts_its_envelopes_in_the_same_step(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo's forger logged "transaction failed, will re-check ... AlreadyDrawn" and waited a
    round: the member's draw landed between the worker's read and its own call."""
    job_id, _ = _revealed(world)
    me, transact = tiny_worker(world, WORKER).me, Client.transact

    def raced(client: Client, call: Any, *args: Any, **kwargs: Any) -> Any:
        if client.address.lower() == me.lower() and call.fn_name == "drawCommittee":
            monkeypatch.setattr(Client, "transact", transact)
            world.session(9, "anyone").market.draw_committee(job_id)
        return transact(client, call, *args, **kwargs)

    monkeypatch.setattr(Client, "transact", raced)

    logged = _advance(world, job_id)

    assert "transaction failed" not in logged
    assert _entry(world, job_id).record.envelopes == "posted"


def test_a_worker_whose_draw_lost_to_a_pending_one_waits_for_it_and_then_posts(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On anvil the losing draw reverts against the pending block, where the winning draw sits
    before it is mined: the committee is not visible yet. The demo's forger journalled "no
    member was drawn" there, posted no envelope, and the demo timed out waiting for it."""
    job_id, _ = _revealed(world)
    monkeypatch.setattr(MarketClient, "ensure_drawn", lambda market, job: None)  # another's draw, pending

    assert step(world, WORKER, job_id) == JobState.REVEALED
    assert _entry(world, job_id).record.envelopes is None  # not "no member was drawn": waiting

    monkeypatch.undo()
    world.session(9, "anyone").market.draw_committee(job_id)  # that draw is mined
    assert step(world, WORKER, job_id) == JobState.REVEALED
    assert _entry(world, job_id).record.envelopes == "posted"


def test_a_member_without_an_encryption_key_gets_an_empty_envelope_not_the_worker_abandoning_its_job(
    world: World,
) -> None:
    world.session(7, "keyless").market.join_validators(ETH)  # joined without `offchain validator`: no key
    job_id, _ = _trained(world)
    assert step(world, WORKER, job_id) == JobState.COMMITTED
    world.travel_past(0, job_id)
    assert step(world, WORKER, job_id) == JobState.REVEALED

    assert step(world, WORKER, job_id) == JobState.REVEALED  # was: abandoned (SKIPPED), its stake never claimed

    posted = ExchangeClient(world.session(WORKER, "w").market).envelopes(job_id, tiny_worker(world, WORKER).me)
    assert posted is not None and posted.envelopes == [bytes(32)] * 3


def _won(world: World) -> int:
    """A sealed job the worker won, finalized (journal state FINALIZED): its exchange not yet open."""
    job_id, _ = _revealed(world)
    step(world, WORKER, job_id)  # envelopes
    open_evaluation(world, job_id)
    attest(world, job_id, [9000])
    assert step(world, WORKER, job_id) == JobState.FINALIZED
    assert _entry(world, job_id).record.outcome == Outcome.WON.name
    return job_id


def _open_for_the_winner(world: World, job_id: int) -> None:
    """The requester's daemon opens the winner's exchange, as it does once the job is finalized."""
    market = world.session(REQUESTER, "requester").market
    winner = market.winner_of(job_id)
    assert winner is not None
    market.claim(job_id, winner)


def _advance(world: World, job_id: int) -> str:
    """One step of a freshly started worker for the job; returns what it logged."""
    stream = io.StringIO()
    worker = tiny_worker(world, WORKER, stream)
    entry = worker.journal.get(job_id)
    assert entry is not None
    worker.advance(entry)
    return stream.getvalue()


def test_a_winner_whose_exchange_the_requester_opened_sends_no_claim(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = _won(world)
    _open_for_the_winner(world, job_id)
    me, transact, sent = tiny_worker(world, WORKER).me, Client.transact, []

    def spy(client: Client, call: Any, *args: Any, **kwargs: Any) -> Any:
        if client.address.lower() == me.lower():
            sent.append(call.fn_name)
        return transact(client, call, *args, **kwargs)

    monkeypatch.setattr(Client, "transact", spy)

    logged = _advance(world, job_id)

    assert sent == [] and "already open" in logged
    assert _entry(world, job_id).state == JobState.DELIVERING


def test_a_winner_whose_claim_the_requester_beat_to_the_exchange_goes_on_to_deliver(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = _won(world)
    me, transact = tiny_worker(world, WORKER).me, Client.transact

    def raced(client: Client, call: Any, *args: Any, **kwargs: Any) -> Any:
        # The requester's claim lands between the worker's read of the chain and its own claim.
        if client.address.lower() == me.lower() and call.fn_name == "claim":
            monkeypatch.setattr(Client, "transact", transact)
            _open_for_the_winner(world, job_id)
        return transact(client, call, *args, **kwargs)

    monkeypatch.setattr(Client, "transact", raced)

    logged = _advance(world, job_id)

    assert "transaction failed" not in logged and "opened by another account" in logged
    assert _entry(world, job_id).state == JobState.DELIVERING  # was: FINALIZED, to claim again next round
    assert ExchangeClient(world.session(WORKER, "w").market).exchange(job_id).state == State.AWAITING_KEY


def test_the_winner_delivers_its_key_and_is_paid_by_the_exchange_after_the_dispute_window(world: World) -> None:
    job_id = _won(world)
    worker = tiny_worker(world, WORKER)
    before = world.client.w3.eth.get_balance(worker.me)

    assert step(world, WORKER, job_id) == JobState.DELIVERING  # its claim opened the exchange
    assert step(world, WORKER, job_id) == JobState.DELIVERED

    exchange = ExchangeClient(world.session(WORKER, "w").market)
    secret = _job_secret(world, job_id)
    delivered = exchange.open_delivery(job_id, KeyPair(secret, base_mul(secret)))
    assert delivered == (Path(_entry(world, job_id).record.seal_dir or "") / KEY_FILE).read_bytes()
    assert step(world, WORKER, job_id) == JobState.DELIVERED  # the requester may still dispute
    found = exchange.exchange(job_id)
    world.travel_to(found.since + exchange.dispute_window() + 1)
    assert step(world, WORKER, job_id) == JobState.DONE
    assert exchange.exchange(job_id).state == State.CLOSED
    paid = _entry(world, job_id).record.withdrawn
    assert paid == found.prize + found.deposit and world.client.w3.eth.get_balance(worker.me) > before


def _job_secret(world: World, job_id: int) -> int:
    from offchain.roles.seals import SealBook

    session = world.session(REQUESTER, "requester")
    book = SealBook(session.home / "requester-seals.sqlite", session.client.chain_id, session.market.address)
    secret = book.job_key(job_id)
    book.close()
    assert secret is not None
    return secret
