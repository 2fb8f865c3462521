"""Typed access to ModelRegistry: register models, read records and lineage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3.contract import Contract
from web3.types import TxReceipt

from offchain.eth.client import Client
from offchain.eth.deployments import Deployment
from offchain.eth.errors import EthError
from offchain.eth.logs import contract_events
from offchain.eth.provenance import AnchorProof, Provenance
from offchain.eth.relay import RelayClient
from offchain.eth.values import hash_hex, validate_bps

ZERO_HASH = bytes(32)
DEFAULT_MAX_DEPTH = 64
LOG_CHUNK_BLOCKS = 5_000  # blocks read before checking `limit` (each read is split further if refused)


class UnknownModelError(EthError):
    """The hash is not registered."""

    def __init__(self, model_hash: bytes) -> None:
        super().__init__(f"model {hash_hex(model_hash)} is not registered")


@dataclass(frozen=True)
class ModelRecord:
    """A registry record joined with its registration event (data set hash and uri)."""

    model_hash: str
    parent_hash: str | None  # None for a base model
    publisher: str
    score_bps: int
    job_id: int
    block: int
    dataset_hash: str
    uri: str


class RegistryClient:
    """ModelRegistry at `address`, sending from `client`'s account."""

    def __init__(self, client: Client, address: str) -> None:
        self.client = client
        self.contract: Contract = client.contract("ModelRegistry", address)

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def register(
        self,
        model_hash: bytes,
        parent_hash: bytes | None,
        dataset_hash: bytes,
        score_bps: int,
        uri: str,
    ) -> TxReceipt:
        validate_bps(score_bps)
        call = self.contract.functions.register(model_hash, parent_hash or ZERO_HASH, dataset_hash, score_bps, uri)
        return self.client.transact(call)

    def relay_address(self) -> str | None:
        """The LedgerRelay fixed at construction, or None when anchoring is off."""
        address = str(self.contract.functions.relay().call())
        return None if int(address, 16) == 0 else address

    def relay(self) -> RelayClient | None:
        """A client of the registry's LedgerRelay (the market's too), or None when anchoring is off."""
        address = self.relay_address()
        return None if address is None else RelayClient(self.client, address)

    def mark_anchored(self, proof: AnchorProof) -> TxReceipt:
        """Mark the model whose hash the proof anchors (its payload) as anchored in the ledger."""
        if self.relay_address() is None:
            raise EthError("this registry has no LedgerRelay: anchoring is off")
        if not self.is_registered(proof.payload):
            raise UnknownModelError(proof.payload)
        return self.client.transact(self.contract.functions.markAnchored(proof.payload, *proof.as_tuple()))

    def anchor_of(self, model_hash: bytes, relay: RelayClient | None) -> Provenance | None:
        """Where the model was proven anchored, read live; None if never marked (see model_anchor)."""
        return model_anchor(self.contract, model_hash, relay)

    def is_registered(self, model_hash: bytes) -> bool:
        return bool(self.contract.functions.isRegistered(model_hash).call())

    def record(self, model_hash: bytes) -> ModelRecord:
        """The record of `model_hash`; raises UnknownModelError if it is not registered."""
        if not self.is_registered(model_hash):
            raise UnknownModelError(model_hash)
        parent, publisher, score, job_id, block = self.contract.functions.recordOf(model_hash).call()
        # The data set hash and uri live in the registration event, at the recorded block.
        events = contract_events(self.contract.events.ModelRegistered(), block, block, modelHash=model_hash)
        if not events:
            raise EthError(f"registration event of {hash_hex(model_hash)} not found in block {block}")
        args = events[0]["args"]
        return ModelRecord(
            model_hash=hash_hex(model_hash),
            parent_hash=hash_hex(parent) if parent != ZERO_HASH else None,
            publisher=str(publisher),
            score_bps=int(score),
            job_id=int(job_id),
            block=int(block),
            dataset_hash=hash_hex(args["datasetHash"]),
            uri=str(args["uri"]),
        )

    def lineage(self, model_hash: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> list[str]:
        """Hashes from `model_hash` back to its root (at most `max_depth`), itself first."""
        if not self.is_registered(model_hash):
            raise UnknownModelError(model_hash)
        path = self.contract.functions.lineage(model_hash, max_depth).call()
        return [hash_hex(h) for h in path]

    def models(self, from_block: int, limit: int, to_block: int | None = None) -> list[ModelRecord]:
        """Registered models in registration order, read from the ModelRegistered events
        between `from_block` and `to_block` (default: the head), at most `limit`."""
        head = int(self.client.w3.eth.block_number) if to_block is None else to_block
        found: list[ModelRecord] = []
        start = from_block
        while start <= head and len(found) < limit:  # a window at a time: stop once `limit` are found
            end = min(head, start + LOG_CHUNK_BLOCKS - 1)
            for event in contract_events(self.contract.events.ModelRegistered(), start, end):
                args = event["args"]
                found.append(
                    ModelRecord(
                        model_hash=hash_hex(args["modelHash"]),
                        parent_hash=hash_hex(args["parentHash"]) if args["parentHash"] != ZERO_HASH else None,
                        publisher=str(args["publisher"]),
                        score_bps=int(args["scoreBps"]),
                        job_id=int(args["jobId"]),
                        block=int(event["blockNumber"]),
                        dataset_hash=hash_hex(args["datasetHash"]),
                        uri=str(args["uri"]),
                    )
                )
            start = end + 1
        return found[:limit]


def provenance_relay(client: Client, deployment: Deployment) -> str:
    """The LedgerRelay that counts for provenance: the one the deployment's registry keeps
    (the market verifies with it), else the deployment file's LedgerRelay."""
    if "ModelRegistry" in deployment.contracts:
        kept = RegistryClient(client, deployment.contract("ModelRegistry").address).relay_address()
        if kept is not None:
            return kept
    return deployment.contract("LedgerRelay").address


def model_anchor(registry: Any, model_hash: bytes, relay: RelayClient | None) -> Provenance | None:
    """A ModelRegistry's recorded anchor of `model_hash` read live (its anchorStatus: the block's
    confirmations and their work on the relay's main chain now, and whether the record is final);
    None if never marked. Shared by `registry show` and the explorer."""
    (block, account, height, marked_at), confirmations, work, _, final = registry.functions.anchorStatus(
        model_hash
    ).call()
    if bytes(block) == ZERO_HASH:
        return None
    return Provenance(
        block_hash=bytes(block)[::-1].hex(),
        height=int(height),
        account=str(account),
        confirmations=int(confirmations),
        required=relay.min_confirmations() if relay is not None else 1,
        work=int(work),
        final_at=int(marked_at) + int(registry.functions.ANCHOR_DELAY().call()),
        final=bool(final),
    )
