"""The market's SealedExchange (issue 26): sealed submissions' records (encryption keys, job
keys, seals, envelopes to the committee, a member's proof of a bad envelope) and the winner's
fair exchange (deliver the key, dispute it, claim). docs/market.md ("Sealed submissions") gives
the protocol; offchain.sealed makes its bytes.

The market created its exchange in its constructor: `ExchangeClient(market)` finds it. Keys
on chain are ids (a point's address); the points themselves travel in events, read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from web3.contract import Contract
from web3.types import BlockIdentifier, TxReceipt

from offchain.eth.errors import InvalidInputError, TransactionError
from offchain.eth.job_terms import JobTerms
from offchain.eth.logs import contract_events
from offchain.eth.market import ZERO_ADDRESS, MarketClient, deposit_of
from offchain.eth.values import parse_address
from offchain.sealed.curve import KeyPair, Point, new_key_pair, open_envelope, seal_envelope, shared_point
from offchain.sealed.dleq import prove
from offchain.sealed.evidence import ChunkEvidence
from offchain.sealed.seal import SealHeader

CONTRACT = "SealedExchange"
NO_JOB_KEY = "TrainingMarketNoJobKey"  # another post took the id the job key was registered for
POST_TRIES = 3


class State(IntEnum):
    """ISealedExchange.State."""

    NONE = 0
    AWAITING_KEY = 1  # opened by the winner's claim: the worker delivers the key
    DELIVERED = 2  # the requester may dispute until the window ends
    CLOSED = 3  # paid to the worker, or refunded to the requester


@dataclass(frozen=True)
class Exchange:
    worker: str
    since: int  # when the current window (delivery, then dispute) started
    state: State
    requester: str
    prize: int
    deposit: int
    word: bytes  # the requester's key id until delivery, then the delivery's digest


@dataclass(frozen=True)
class Envelopes:
    """A worker's envelopes to a job's committee, as posted (EnvelopesPosted)."""

    point: Point  # the worker's W = w G
    recipients: list[str]  # the committee's members by seat (ZERO_ADDRESS: an empty seat)
    envelopes: list[bytes]

    def as_args(self) -> tuple[tuple[int, int], list[str], list[bytes]]:
        return ((self.point.x, self.point.y), self.recipients, self.envelopes)


@dataclass(frozen=True)
class Delivery:
    """The winner's key delivered to the requester's job key (KeyDelivered)."""

    point: Point
    envelope: bytes


class ExchangeClient:
    """The SealedExchange of `market`, sending from the market client's account."""

    def __init__(self, market: MarketClient) -> None:
        self.market = market
        self.client = market.client
        self.address = str(market.lens.functions.sealedExchange().call())  # the market's creation
        self.contract: Contract = self.client.contract(CONTRACT, self.address)

    # ----- requester -----
    def post_sealed_job(self, job_key: KeyPair, terms: JobTerms) -> int:
        """Post a sealed job ({MarketClient.post_job}'s `terms`, `proof` and `pooled` included:
        the same post call, sent through postSealedCall): register `job_key` for the id the post
        will take, then post under seal. Another post can take that id first: then the key is
        registered for the next id and the post tried again (POST_TRIES in all). Keep the key's
        secret durably first: the winner's key is delivered to it."""
        name, args = self.market.post_call(terms)
        post = self.market.contract.encode_abi(name, args=args)
        for _ in range(POST_TRIES):
            job_id = self.market.job_count() + 1
            if self.job_key_of(job_id, self.client.address) == ZERO_ADDRESS:
                self.register_job_key(job_id, job_key.public)
            try:
                fn = self.market.contract.functions.postSealedCall(post)
                receipt = self.client.transact(fn, value=terms.reward + deposit_of(terms.reward))
            except TransactionError as exc:
                if NO_JOB_KEY in str(exc):
                    continue
                raise
            return self.market._posted_job_id(receipt)
        raise TransactionError(f"postSealedCall: {POST_TRIES} posts in a row lost their job id to others")

    def register_job_key(self, job_id: int, key: Point) -> TxReceipt:
        return self.client.transact(self.contract.functions.registerJobKey(job_id, (key.x, key.y)))

    def open_delivery(self, job_id: int, job_key: KeyPair) -> bytes:
        """The key the winner delivered, opened with the requester's job key."""
        delivery = self.delivery(job_id)
        if delivery is None:
            raise InvalidInputError(f"job {job_id}: no key delivered yet")
        return open_envelope(delivery.envelope, shared_point(job_key.secret, delivery.point))

    def dispute_key(self, job_id: int, header: SealHeader, job_key: KeyPair) -> TxReceipt:
        """Prove that the delivered key is not the committed one (the shared point, proven)."""
        delivery = self.delivery(job_id)
        if delivery is None:
            raise InvalidInputError(f"job {job_id}: no key delivered to dispute")
        proof = prove(job_key.secret, delivery.point).as_args()
        key = (job_key.public.x, job_key.public.y)
        point = (delivery.point.x, delivery.point.y)
        fn = self.contract.functions.disputeKey(job_id, header.as_args(), key, point, delivery.envelope, proof)
        return self.client.transact(fn)

    def dispute_chunk(self, job_id: int, header: SealHeader, key: bytes, evidence: ChunkEvidence) -> TxReceipt:
        """Prove that the committed key does not open chunk `evidence.index` to its committed
        leaf (offchain.sealed.evidence.first_bad_chunk finds one)."""
        return self.client.transact(
            self.contract.functions.disputeChunk(job_id, header.as_args(), key, evidence.as_args())
        )

    def refund_undelivered(self, job_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.refundUndelivered(job_id))

    # ----- worker -----
    def publish_seal(self, job_id: int, header: SealHeader) -> TxReceipt:
        """Publish the seal (before the reveal, which a sealed job refuses without it)."""
        return self.client.transact(self.contract.functions.publishSeal(job_id, header.as_args()))

    def post_envelopes(self, job_id: int, key: bytes) -> TxReceipt:
        """Post `key`'s envelope to each seat of the job's drawn committee (before the reveal
        deadline), under a fresh point and each member's registered encryption key. A member
        that registered none can open nothing: its seats get an empty envelope, and the other
        seats still get theirs (a worker that posted none would forfeit to every seat)."""
        w = new_key_pair()
        envelopes = []
        # Every seat, empty ones included (MarketClient.committee drops those): the chain wants one each.
        for member in self.market.lens.functions.committee(job_id).call():
            if member == ZERO_ADDRESS:
                envelopes.append(bytes(32))  # an empty seat: ignored
                continue
            public = self.encryption_key(member)
            envelopes.append(bytes(32) if public is None else seal_envelope(key, shared_point(w.secret, public)))
        return self.client.transact(self.contract.functions.postEnvelopes(job_id, (w.public.x, w.public.y), envelopes))

    def deliver_key(self, job_id: int, key: bytes) -> TxReceipt:
        """Deliver `key` to the requester's job key (the winner, once its claim opened the exchange)."""
        exchange = self.exchange(job_id)
        public = self.job_key(job_id, exchange.requester)
        if public is None:
            raise InvalidInputError(f"job {job_id}: the requester registered no job key")
        w = new_key_pair()
        envelope = seal_envelope(key, shared_point(w.secret, public))
        return self.client.transact(self.contract.functions.deliverKey(job_id, (w.public.x, w.public.y), envelope))

    def claim(self, job_id: int) -> TxReceipt:
        """Credit the worker its prize and deposit once the dispute window ended undisputed."""
        return self.client.transact(self.contract.functions.claim(job_id))

    def withdraw(self) -> TxReceipt:
        return self.client.transact(self.contract.functions.withdraw())

    # ----- committee member -----
    def register_encryption_key(self, key: Point) -> TxReceipt:
        """Register the member's encryption key (once; keep its secret durably first)."""
        return self.client.transact(self.contract.functions.registerEncryptionKey((key.x, key.y)))

    def open_envelope(self, job_id: int, worker: str, member: KeyPair) -> bytes:
        """The key in the envelope `worker` sent to the caller's first seat."""
        posted = self.envelopes(job_id, worker)
        if posted is None:
            raise InvalidInputError(f"job {job_id}: {worker} posted no envelopes")
        seat = self._seat(job_id, posted)
        return open_envelope(posted.envelopes[seat], shared_point(member.secret, posted.point))

    def prove_bad_envelope(self, job_id: int, worker: str, header: SealHeader, member: KeyPair) -> TxReceipt:
        """Prove that the envelope `worker` sent the caller does not hold the committed key
        (before the attest deadline): the submission is then unverifiable."""
        posted = self.envelopes(job_id, worker)
        if posted is None:
            raise InvalidInputError(f"job {job_id}: {worker} posted no envelopes")
        fn = self.contract.functions.proveBadEnvelope(
            job_id,
            parse_address(worker),
            header.as_args(),
            *posted.as_args(),
            self._seat(job_id, posted),
            (member.public.x, member.public.y),
            prove(member.secret, posted.point).as_args(),
        )
        return self.client.transact(fn)

    def _seat(self, job_id: int, posted: Envelopes) -> int:
        me = self.client.address.lower()
        for seat, recipient in enumerate(posted.recipients):
            if recipient.lower() == me:
                return seat
        raise InvalidInputError(f"job {job_id}: {self.client.address} holds no seat the envelopes name")

    # ----- reads -----
    def exchange(self, job_id: int, block: BlockIdentifier = "latest") -> Exchange:
        """Job `job_id`'s exchange at `block` ("pending": with the transactions the node holds
        for the next block, as anvil and geth answer; a provider without them answers "latest")."""
        fn = self.contract.functions.exchangeOf(job_id)
        worker, since, state, requester, prize, deposit, word = fn.call(block_identifier=block)
        return Exchange(str(worker), int(since), State(state), str(requester), int(prize), int(deposit), bytes(word))

    def delivery_window(self) -> int:
        """Seconds the winner has to deliver its key once its exchange opened."""
        return int(self.contract.functions.deliveryWindow().call())

    def dispute_window(self) -> int:
        """Seconds the requester has to dispute a delivery."""
        return int(self.contract.functions.disputeWindow().call())

    def claimed(self, job_id: int) -> bool:
        """True once the exchange paid its worker (ExchangeClaimed); a closed exchange that was
        not claimed refunded the requester."""
        return bool(self._logs("ExchangeClaimed", jobId=job_id))

    def refunded(self, job_id: int) -> int | None:
        """What a proven dispute refunded the requester (DeliveryDisputed), or None."""
        logs = self._logs("DeliveryDisputed", jobId=job_id)
        return int(logs[0]["args"]["refunded"]) if logs else None

    def job_key_of(self, job_id: int, requester: str) -> str:
        return str(self.contract.functions.jobKeyOf(job_id, parse_address(requester)).call())

    def seal_of(self, job_id: int, worker: str) -> bytes:
        return bytes(self.contract.functions.sealOf(job_id, parse_address(worker)).call())

    def bad_envelope(self, job_id: int, worker: str) -> bool:
        return bool(self.contract.functions.badEnvelope(job_id, parse_address(worker)).call())

    def pending(self, account: str) -> int:
        return int(self.contract.functions.pendingOf(parse_address(account)).call())

    def encryption_key(self, account: str) -> Point | None:
        """`account`'s registered encryption key (from its EncryptionKeyRegistered event)."""
        logs = self._logs("EncryptionKeyRegistered", account=parse_address(account))
        return Point(int(logs[0]["args"]["x"]), int(logs[0]["args"]["y"])) if logs else None

    def job_key(self, job_id: int, requester: str) -> Point | None:
        logs = self._logs("JobKeyRegistered", jobId=job_id, requester=parse_address(requester))
        return Point(int(logs[0]["args"]["x"]), int(logs[0]["args"]["y"])) if logs else None

    def envelopes(self, job_id: int, worker: str) -> Envelopes | None:
        logs = self._logs("EnvelopesPosted", jobId=job_id, worker=parse_address(worker))
        if not logs:
            return None
        args = logs[0]["args"]
        recipients = [str(r) for r in args["recipients"]]
        return Envelopes(Point(int(args["x"]), int(args["y"])), recipients, [bytes(e) for e in args["envelopes"]])

    def seal(self, job_id: int, worker: str) -> SealHeader | None:
        """The seal `worker` published for `job_id` (its SealPublished event)."""
        logs = self._logs("SealPublished", jobId=job_id, worker=parse_address(worker))
        if not logs:
            return None
        seal = logs[0]["args"]["seal"]
        return SealHeader(
            model_hash=bytes(seal["modelHash"]),
            cipher_root=bytes(seal["cipherRoot"]),
            plain_root=bytes(seal["plainRoot"]),
            key_commitment=bytes(seal["keyCommitment"]),
            size=int(seal["size"]),
        )

    def delivery(self, job_id: int) -> Delivery | None:
        logs = self._logs("KeyDelivered", jobId=job_id)
        if not logs:
            return None
        args = logs[0]["args"]
        return Delivery(Point(int(args["x"]), int(args["y"])), bytes(args["envelope"]))

    def _logs(self, event: str, **filters: object) -> list:
        return list(
            contract_events(getattr(self.contract.events, event)(), self.market.from_block, "latest", **filters)
        )
