"""The market's Appeals contract (issue 20 item 5): one appeal per job to the whole validator
bond. Anyone appeals a job's committee verdicts with a deposit in the second half of its settle
window; every eligible validator then commits and reveals a per-submission honest/dishonest
vote; finalize applies the vote (docs/market.md, "Appeals").

The market created its Appeals in its constructor: `AppealsClient.of(market)` finds it.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3.contract import Contract
from web3.types import TxReceipt

from offchain.eth.market import ZERO_ADDRESS, MarketClient
from offchain.eth.values import parse_address

CONTRACT = "Appeals"
VOTE_NONE = bytes(32)  # voteOf before a commit
VOTE_REVEALED = bytes(31) + b"\1"
VOTE_SLASHED = bytes(31) + b"\2"


@dataclass(frozen=True)
class Appeal:
    appellant: str  # ZERO_ADDRESS: the job was not appealed
    filed_at: int
    commit_until: int  # votes are committed until then
    submissions: int
    ruling: int  # 0 pending, 1 overturned (deposit refunded), 2 upheld (deposit to the voters)
    deposit: int
    members: int
    reveal_until: int  # votes are revealed until then; finalize from then on
    requester: str
    total: int  # gwei of bond that revealed a vote

    @property
    def filed(self) -> bool:
        return self.appellant != ZERO_ADDRESS


@dataclass(frozen=True)
class Windows:
    opens: int  # appeals open (the settle window's middle: attestation reveals are closed)
    closes: int  # appeals close (the settle deadline)
    commit_until: int  # 0 before an appeal is filed
    reveal_until: int


class AppealsClient:
    """The Appeals of `market`, sending from the market client's account."""

    def __init__(self, market: MarketClient) -> None:
        self.market = market
        self.client = market.client
        self.address = str(market.contract.functions.appealsContractAddress().call())
        self.contract: Contract = self.client.contract(CONTRACT, self.address)

    # ----- reads -----
    def appeal(self, job_id: int) -> Appeal:
        return Appeal(*self.contract.functions.appealOf(job_id).call())

    def windows(self, job_id: int) -> Windows:
        return Windows(*self.contract.functions.windowsOf(job_id).call())

    def eligible(self, job_id: int, account: str) -> bool:
        return bool(self.contract.functions.eligible(job_id, parse_address(account)).call())

    def vote_of(self, job_id: int, voter: str) -> bytes:
        return bytes(self.contract.functions.voteOf(job_id, parse_address(voter)).call())

    def ballot(self, job_id: int, measured: list[int]) -> int:
        """The vote for scores `measured` (one per submission, basis points) by the contract's
        rule: bit i when submission i over-claims, bit 16 + i when its verified score is inflated."""
        return int(self.contract.functions.ballotOf(job_id, measured).call())

    def unserved_vote(self) -> int:
        """The vote of a member that cannot fetch the opened evaluation set, or finds it does not
        match its seal (Appeals.UNSERVED): unless most of the voting bond casts it, the set counts
        as served, and a committee majority that attested it unavailable is overruled."""
        return int(self.contract.functions.UNSERVED().call())

    def owed_to(self, job_id: int, account: str) -> int:
        return int(self.contract.functions.owedTo(job_id, parse_address(account)).call())

    def members_now(self) -> int:
        """The validator set's leaves now: the first leaf with no owner (leaves are never
        cleared), found by doubling then bisecting over validatorAt."""
        at = self.market.contract.functions.validatorAt

        def taken(leaf: int) -> bool:
            return str(at(leaf).call()) != ZERO_ADDRESS

        high = 1
        while taken(high - 1):
            high *= 2
        low = high // 2  # leaves below low are taken (or low is 0)
        while low < high:
            mid = (low + high) // 2
            if taken(mid):
                low = mid + 1
            else:
                high = mid
        return low

    # ----- writes -----
    def file_appeal(self, job_id: int, deposit: int) -> TxReceipt:
        """Appeal every verdict of `job_id` with `deposit` wei (at least the job's minimum stake)."""
        return self.client.transact(self.contract.functions.fileAppeal(job_id, self.members_now()), value=deposit)

    def commit_vote(self, job_id: int, seal: bytes) -> TxReceipt:
        """Commit a vote's seal (offchain.eth.commitment.vote_seal); save the salt first."""
        return self.client.transact(self.contract.functions.commitVote(job_id, seal))

    def reveal_vote(self, job_id: int, vote: int, salt: bytes) -> TxReceipt:
        return self.client.transact(self.contract.functions.revealVote(job_id, vote, salt))

    def slash_absent(self, job_id: int, voter: str) -> TxReceipt:
        return self.client.transact(self.contract.functions.slashAbsent(job_id, parse_address(voter)))

    def collect(self, job_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.collect(job_id))
