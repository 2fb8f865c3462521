"""The requester posts only evaluation seals its seal book holds, once each: a seal it cannot
open, or one whose binding to an earlier job a second post would overwrite, forfeits a job."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import World

from offchain.eth.errors import InvalidInputError
from offchain.eth.job_terms import JobTerms
from offchain.roles.requester import post_terms, seal_evaluation
from offchain.roles.seals import SealBook
from offchain.roles.session import Session

REQUESTER = 1


def _terms(world: World, session: Session) -> JobTerms:
    """The tests' job; its seal (EVAL_SALT's) is in no seal book."""
    return world.terms(session, world.hashes["train"], world.hashes["eval"], world.hashes["train"])


def test_a_seal_missing_from_the_seal_book_is_refused_before_anything_is_sent(world: World) -> None:
    session = world.session(REQUESTER, "requester")
    count = session.market.job_count()

    with pytest.raises(InvalidInputError, match="not in this home's seal book"):
        post_terms(session, _terms(world, session))

    assert session.market.job_count() == count


def test_a_seal_already_posted_is_refused_and_stays_bound_to_its_job(world: World) -> None:
    session = world.session(REQUESTER, "requester")
    seal = seal_evaluation(session, world.tmp / "eval.npz", bytes.fromhex(world.hashes["eval"]))
    terms = replace(_terms(world, session), evaluation_seal=seal)
    job_id = post_terms(session, terms)

    with pytest.raises(InvalidInputError, match=f"was posted as job {job_id}"):
        post_terms(session, terms)

    book = SealBook(session.home / "requester-seals.sqlite", session.client.chain_id, session.market.address)
    found = book.evaluation(seal)
    book.close()
    assert session.market.job_count() == job_id and found is not None and found.job_id == job_id
