"""A job's post terms, carried and checked once: what MarketClient.post_job and post_call and
ExchangeClient.post_sealed_job take (ITrainingMarket's postJob and its anchored, pooled and
sealed siblings). Build one with `JobTerms(base_model=..., ...)`; derive another with
`dataclasses.replace`, which checks it again."""

from __future__ import annotations

from dataclasses import dataclass

from offchain.eth.errors import InvalidInputError
from offchain.eth.provenance import AnchorProof
from offchain.eth.values import HASH_BYTES, validate_bps


@dataclass(frozen=True, kw_only=True)
class JobTerms:
    """Everything a requester fixes when it posts a job. Amounts are wei, times unix seconds,
    hashes 32 raw bytes."""

    base_model: bytes  # a registered model's hash
    training_set: bytes  # the training set's SHA-256 (a pooled job: its pool manifest's)
    evaluation_seal: bytes  # offchain.eth.commitment.evaluation_seal: record its salt first
    spec: bytes  # the spec artifact's SHA-256
    min_score_bps: int
    deadlines: tuple[int, int, int, int]  # (commit, reveal, attest, settle)
    min_stake: int  # each worker's stake
    committee_size: int
    reward: int  # escrowed; the requester's deposit goes beside it (market.deposit_of)
    proof: AnchorProof | None = None  # anchor proof of `training_set`: the market's relay verifies it
    pooled: bool = False  # `training_set` is a pool manifest, split by the block after the post (issue 20)

    def __post_init__(self) -> None:
        validate_job_terms(self)


def validate_job_terms(terms: JobTerms) -> None:
    """Raise InvalidInputError, naming the term, for what no post can carry; the market's own
    rules (windows, stake against reward, committee size) stay the contract's."""
    for what, value in (
        ("base model", terms.base_model),
        ("training set", terms.training_set),
        ("evaluation seal", terms.evaluation_seal),
        ("spec", terms.spec),
    ):
        if len(value) != HASH_BYTES:
            raise InvalidInputError(f"the {what} hash must be {HASH_BYTES} bytes, got {len(value)}")
    validate_bps(terms.min_score_bps, "minimum score")
    if len(terms.deadlines) != 4:
        raise InvalidInputError(f"deadlines are (commit, reveal, attest, settle), got {len(terms.deadlines)} values")
    if terms.proof is not None and terms.proof.payload != terms.training_set:
        raise InvalidInputError(
            f"the proof anchors {terms.proof.payload.hex()}, not the training set {terms.training_set.hex()}"
        )
