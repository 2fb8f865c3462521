"""The requester's side of a sealed job (issue 26) on the in-process EVM: `job post --sealed`
keeps the job key's secret before registering it; the daemon opens the winner's delivered key,
checks it against the seal and the served artifact, disputes on chain what does not open (and
is refunded), and otherwise writes the decrypted weights where the user loads them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import SPEC, World
from sealed_world import REQUESTER, bond_members, post_sealed, settled, step, tiny_worker

from offchain.eth.client import Client
from offchain.eth.errors import InvalidInputError
from offchain.eth.exchange import ExchangeClient, State
from offchain.roles.buying import weights_path
from offchain.roles.journal import JobState
from offchain.roles.requester import post_job
from offchain.roles.requester_daemon import Requester, RequesterOptions
from offchain.roles.rolelog import RoleLog
from offchain.roles.sealing import KEY_FILE, header_to_json, write_durably
from offchain.roles.seals import SealBook
from offchain.sealed.curve import base_mul
from offchain.sealed.keys import new_key
from offchain.sealed.seal import SealHeader, pack, seal_bytes

WORKER = 2


def _daemon(world: World) -> tuple[Requester, io.StringIO]:
    stream = io.StringIO()
    options = RequesterOptions(confirmations=0, models=world.tmp / "models")
    return Requester(world.session(REQUESTER, "requester"), options, RoleLog("requester", stream=stream)), stream


def _trained(world: World) -> int:
    bond_members(world)
    job_id = post_sealed(world)
    tiny_worker(world, WORKER).discover()
    assert step(world, WORKER, job_id) == JobState.TRAINED
    return job_id


def _exchange(world: World) -> ExchangeClient:
    return ExchangeClient(world.session(REQUESTER, "requester").market)


def _rounds(daemon: Requester, n: int) -> None:
    for _ in range(n):
        daemon.round()


def _weights(world: World, job_id: int) -> bytes:
    (path,) = (world.tmp / f"worker-{WORKER}" / "worker" / "jobs").glob(f"*/*-{job_id}/model.safetensors")
    return path.read_bytes()


def test_a_sealed_post_keeps_the_job_keys_secret_and_registers_its_public_half(world: World) -> None:
    job_id = post_sealed(world)

    session = world.session(REQUESTER, "requester")
    book = SealBook(session.home / "requester-seals.sqlite", session.client.chain_id, session.market.address)
    secret = book.job_key(job_id)
    book.close()
    assert session.market.is_sealed(job_id)
    assert secret is not None and _exchange(world).job_key(job_id, session.client.address) == base_mul(secret)


def test_a_sealed_post_with_a_provenance_proof_is_refused_before_anything_is_sent(world: World) -> None:
    session = world.session(REQUESTER, "requester")
    spec = world.tmp / "spec.json"
    spec.write_text(json.dumps(SPEC))
    with pytest.raises(InvalidInputError, match="--sealed and --provenance"):
        post_job(session, base="0x" + world.base_hash.hex(), train=world.tmp / "train.npz",
                 evaluation=world.tmp / "eval.npz", spec=spec, reward=1, min_score_bps=0,
                 provenance=world.tmp / "proof.json", sealed=True)  # fmt: skip
    assert session.market.job_count() == 0


def test_a_delivered_key_that_opens_gives_the_winners_weights_and_no_dispute(world: World) -> None:
    job_id = _trained(world)
    settled(world, job_id, (WORKER,), [9000])
    assert step(world, WORKER, job_id) == JobState.DELIVERING
    assert step(world, WORKER, job_id) == JobState.DELIVERED
    daemon, log = _daemon(world)

    _rounds(daemon, 2)

    assert weights_path(world.tmp / "models", job_id).read_bytes() == _weights(world, job_id)
    assert "disputed" not in log.getvalue() and "not the committed model" not in log.getvalue()
    assert _exchange(world).exchange(job_id).state == State.DELIVERED  # the worker claims after the window
    assert job_id not in daemon.pending


def test_a_forged_key_is_disputed_and_the_reward_refunded(world: World) -> None:
    job_id = _trained(world)
    settled(world, job_id, (WORKER,), [9000])
    assert step(world, WORKER, job_id) == JobState.DELIVERING
    worker = ExchangeClient(world.session(WORKER, "w").market)
    worker.deliver_key(job_id, new_key())  # a winner delivering another key than the committed one
    prize = worker.exchange(job_id).prize
    daemon, log = _daemon(world)
    balance = world.client.w3.eth.get_balance(world.client.w3.eth.accounts[REQUESTER])

    _rounds(daemon, 3)

    assert "not the committed one: disputed" in log.getvalue()
    assert _exchange(world).exchange(job_id).state == State.CLOSED and not _exchange(world).claimed(job_id)
    assert world.client.w3.eth.get_balance(world.client.w3.eth.accounts[REQUESTER]) > balance + prize * 9 // 10
    assert not weights_path(world.tmp / "models", job_id).exists()
    assert job_id not in daemon.pending


def test_a_committed_key_that_does_not_open_a_chunk_is_disputed_by_that_chunk(world: World) -> None:
    job_id = _trained(world)
    # The worker sealed wrongly: its plaintext leaves are another file's (a lazy committee passed it).
    journal = tiny_worker(world, WORKER).journal
    record = journal.get(job_id).record  # type: ignore[union-attr]
    key = (Path(record.seal_dir or "") / KEY_FILE).read_bytes()
    weights = _weights(world, job_id)
    honest, other = seal_bytes(weights, key, record.model_hash or b""), seal_bytes(bytes(len(weights)), key, b"")
    forged = SealHeader(record.model_hash or b"", honest.header.cipher_root, other.header.plain_root,
                        honest.header.key_commitment, len(weights))  # fmt: skip
    write_durably(Path(record.uri or ""), pack(honest.ciphertext, other.plain_leaves), mode=0o644)
    journal.put(job_id, JobState.TRAINED, seal=header_to_json(forged))
    settled(world, job_id, (WORKER,), [9000])
    assert step(world, WORKER, job_id) == JobState.DELIVERING
    assert step(world, WORKER, job_id) == JobState.DELIVERED  # the committed key, honestly delivered
    daemon, log = _daemon(world)

    _rounds(daemon, 3)

    assert "does not open chunk 0: disputed" in log.getvalue()
    assert _exchange(world).exchange(job_id).state == State.CLOSED and not _exchange(world).claimed(job_id)
    assert not weights_path(world.tmp / "models", job_id).exists()


def test_a_winner_that_never_claims_has_its_exchange_opened_and_the_reward_refunded(world: World) -> None:
    job_id = _trained(world)
    settled(world, job_id, (WORKER,), [9000])  # the worker stops here
    daemon, log = _daemon(world)

    daemon.round()
    found = _exchange(world).exchange(job_id)
    assert found.state == State.AWAITING_KEY
    world.travel_to(found.since + _exchange(world).delivery_window() + 1)
    _rounds(daemon, 2)

    assert "never delivered its key: refunded" in log.getvalue()
    assert _exchange(world).pending(world.client.w3.eth.accounts[REQUESTER]) == 0  # withdrawn
    assert job_id not in daemon.pending


def test_a_requester_whose_claim_the_winner_beat_to_the_exchange_logs_no_failure(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both open the winner's exchange as soon as the job is finalized; the demo logged the
    requester's lost race as "the winner's key exchange failed a step" (NothingToWithdraw)."""
    job_id = _trained(world)
    settled(world, job_id, (WORKER,), [9000])
    daemon, log = _daemon(world)
    me, transact = daemon.session.client.address, Client.transact

    def raced(client: Client, call: Any, *args: Any, **kwargs: Any) -> Any:
        # The winner's claim lands between the daemon's read of the chain and its own claim.
        if client.address.lower() == me.lower() and call.fn_name == "claim":
            monkeypatch.setattr(Client, "transact", transact)
            assert step(world, WORKER, job_id) == JobState.DELIVERING
        return transact(client, call, *args, **kwargs)

    monkeypatch.setattr(Client, "transact", raced)

    daemon.round()

    assert "failed a step" not in log.getvalue() and "opened by another account" in log.getvalue()
    assert _exchange(world).exchange(job_id).state == State.AWAITING_KEY
