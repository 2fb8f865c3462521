"""JobTerms checks a job's terms once, when built (or derived with dataclasses.replace): what no
post can carry fails there, as one InvalidInputError line naming the term. The proof against
the training set is checked in test_provenance_client.py, beside real proof files."""

from __future__ import annotations

from dataclasses import replace

import pytest

from offchain.eth.errors import InvalidInputError
from offchain.eth.job_terms import JobTerms

TERMS = JobTerms(
    base_model=bytes([1]) * 32,
    training_set=bytes([2]) * 32,
    evaluation_seal=bytes([3]) * 32,
    spec=bytes([4]) * 32,
    min_score_bps=6000,
    deadlines=(100, 200, 300, 400),
    min_stake=10**17,
    committee_size=3,
    reward=10**18,
)


def test_deadlines_come_in_fours() -> None:
    with pytest.raises(InvalidInputError, match="commit, reveal, attest, settle"):
        replace(TERMS, deadlines=(1, 2, 3))  # type: ignore[arg-type]


def test_a_minimum_score_above_ten_thousand_basis_points_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="minimum score must be 0..10000 basis points"):
        replace(TERMS, min_score_bps=10_001)


@pytest.mark.parametrize("term", ["base_model", "training_set", "evaluation_seal", "spec"])
def test_a_hash_that_is_not_32_bytes_is_refused(term: str) -> None:
    with pytest.raises(InvalidInputError, match="must be 32 bytes, got 31"):
        replace(TERMS, **{term: bytes(31)})
