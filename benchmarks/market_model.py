"""A Python model of TrainingMarket's committee draw and settlement, to the wei.

The economics benchmark (`benchmarks/economics_bench.py`) prices attacks with it;
`tests/contracts/market/test_economics_model.py` drives the same scenarios through the real
contract and asserts that this model's credits equal the chain's, so the two cannot drift.
Rules mirrored (read them there, not here): `Judgment.judge` / `payout` / `leads` /
`validatorFee`, `ScoreSheet.verified`, `Settlement.finalize` / `_forfeit` /
`_settleValidators` / `_payAppellant`, `Attestations._unavailableByMajority`, an appeal's
ruling (`Appeals.verdictOf`: `_served`, `_overturned`, `_rewrite`, for a vote carried by a bond
majority that measured the submissions), `CommitteeDraw.drawSeats` and `CommitteeDraw._leafWithout`
over `SumTree.draw`.

Parameters come from one place each: the market's configuration from the deployment defaults
(`offchain.eth.deploy`), the demo's job from `offchain.demo.scenario`, the largest reward from
the ABI's type of `Job.reward`, and the contract constants the ABI does not carry
(MAX_SUBMISSIONS, Committee.MAX_SEATS) from their Solidity declarations (`contract_constant`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from eth_abi import encode
from eth_utils import keccak

from offchain.eth import deploy

ROOT = Path(__file__).resolve().parent.parent
BPS = 10_000
UINT80_MAX = 2**80 - 1
WEIGHT_UNIT = 10**9  # ValidatorSet.WEIGHT_UNIT: sortition weights are bonds in gwei


def contract_constant(source: str, name: str) -> int:
    """The integer value of `<type> ... constant NAME = value;` in contracts/`source`."""
    text = (ROOT / "contracts" / source).read_text()
    match = re.search(rf"constant {name} = ([\d_]+);", text)
    if match is None:
        raise LookupError(f"no constant {name} in contracts/{source}")
    return int(match.group(1).replace("_", ""))


def abi_uint_max(contract: str, function: str, component: str) -> int:
    """The largest value of a uintN `component` of `function`'s returned struct, from brownie's ABI."""
    abi = json.loads((ROOT / "build" / "contracts" / f"{contract}.json").read_text())["abi"]
    for entry in abi:
        if entry.get("name") == function:
            for part in entry["outputs"][0]["components"]:
                if part["name"] == component:
                    return int(2 ** int(part["type"].removeprefix("uint")) - 1)
    raise LookupError(f"no {component} in {contract}.{function}'s ABI")


MAX_SUBMISSIONS = contract_constant("libraries/Judgment.sol", "SUBMISSION_CAP")
MAX_SEATS = contract_constant("libraries/Committee.sol", "MAX_SEATS")


@dataclass(frozen=True)
class Params:
    """A market's configuration and one job's terms (wei and basis points)."""

    reward: int
    min_stake: int
    min_score_bps: int
    committee_size: int
    min_bond: int = deploy.MIN_BOND
    quorum: int = deploy.QUORUM
    tolerance_bps: int = deploy.TOLERANCE_BPS
    fee_bps: int = deploy.FEE_BPS
    slash_bps: int = deploy.SLASH_BPS
    forfeit_bps: int = deploy.FORFEIT_BPS

    def forfeit(self, submissions: int) -> int:
        """Judgment.forfeitOf: what a submission not verified honest at or above the minimum
        loses, on a job of `submissions`: the whole minimum stake on a full job (issue 20 item 6)."""
        if submissions == MAX_SUBMISSIONS:
            return self.min_stake
        return self.min_stake * self.forfeit_bps // BPS


def largest_reward() -> int:
    """The largest reward postJob accepts: the range of Job.reward (uint80)."""
    return abi_uint_max("TrainingMarket", "job", "reward")


class Outcome(Enum):
    """ITrainingMarket.Outcome, less Won and Pending (the lens's)."""

    UNREVEALED = "unrevealed"
    FORFEITED = "forfeited"
    UNVERIFIED = "unverified"
    UNDECIDED = "undecided"
    DISHONEST = "dishonest"
    BELOW_MINIMUM = "below minimum"
    HONEST = "honest"


@dataclass(frozen=True)
class Submission:
    """A commit in commit order: its worker, stake, and claim (None: never revealed)."""

    worker: str
    stake: int
    claim: int | None


UNAVAILABLE = "unavailable"  # a seat's plan: attestUnavailable instead of scores


@dataclass(frozen=True)
class Seat:
    """A drawn seat: its member, its bond at finalize, and what it revealed: one score (None:
    absent) per submission, None for a silent member, or UNAVAILABLE."""

    member: str
    bond: int
    scores: tuple[int | None, ...] | str | None


@dataclass
class Settled:
    """Every credit a job's finalize and claims make (wei), keyed by party."""

    requester: int = 0
    burned: int = 0
    claims: dict[str, int] = field(default_factory=dict)  # worker -> what its claim pays
    pay: dict[str, int] = field(default_factory=dict)  # member -> fees credited
    slashed: dict[str, int] = field(default_factory=dict)  # member -> bond taken
    outcomes: list[Outcome] = field(default_factory=list)
    winner: int | None = None
    appellant: int = 0  # an appeal's appellant: half the whole bonds its vote took

    def net(self, party: str) -> int:
        """What `party` ends with, less what it put in, from this job's credits alone."""
        return self.claims.get(party, 0) + self.pay.get(party, 0) - self.slashed.get(party, 0)


def verified(scores: list[int], drawn: int) -> tuple[int, int, int]:
    """ScoreSheet.verified: (count, high, low) a strict majority of `drawn` seats stands behind."""
    if not scores:
        return 0, 0, 0
    ordered, count, majority = sorted(scores), len(scores), drawn // 2 + 1
    high, low = ((count - 1) // 2, (count - 1) // 2) if count < majority else (count - majority, majority - 1)
    return count, ordered[high], ordered[low]


def judge(
    p: Params, claim: int | None, scores: list[int], drawn: int, evaluation_revealed: bool
) -> tuple[Outcome, int]:
    """Judgment.judge: a submission's outcome and its verified score."""
    if claim is None:
        return Outcome.UNREVEALED, 0
    if not evaluation_revealed or drawn < p.quorum:
        return Outcome.FORFEITED, 0
    count, high, low = verified(scores, drawn)
    if count < p.quorum:
        return Outcome.UNVERIFIED, high
    if 2 * count <= drawn:
        return Outcome.UNDECIDED, high
    if claim > low + p.tolerance_bps:
        return Outcome.DISHONEST, high
    if claim > high + p.tolerance_bps:
        return Outcome.UNDECIDED, high
    if high < p.min_score_bps:
        return Outcome.BELOW_MINIMUM, high
    return Outcome.HONEST, high


def deposit_of(reward: int) -> int:
    """Judgment.depositOf: the requester's deposit, posted beside the reward (issue 20 item 7)."""
    return reward


def returned_stake(p: Params, stake: int, outcome: Outcome, submissions: int) -> int:
    """Judgment.payout's stake part: what a submission judged `outcome` gets back on a job of
    `submissions`."""
    if outcome in (Outcome.UNREVEALED, Outcome.DISHONEST):
        return 0
    if outcome in (Outcome.FORFEITED, Outcome.HONEST, Outcome.UNDECIDED):
        return stake
    forfeit = p.forfeit(submissions)
    return stake - forfeit if stake > forfeit else 0


def settle(
    p: Params,
    submissions: list[Submission],
    seats: list[Seat],
    evaluation_revealed: bool,
    appeal: tuple[int, ...] | None = None,
) -> Settled:
    """Settlement.finalize, then every worker's claim: who is credited what. `appeal`: the job was
    appealed and a strict majority of the voting bond fetched the set and measured submission i
    at `appeal[i]` (Appeals.ballotOf's bits; Appeals.verdictOf's ruling applied)."""
    drawn = len(seats)
    unavailable = {n for n, s in enumerate(seats) if s.scores == UNAVAILABLE}
    captured = 2 * len(unavailable) > drawn
    if not evaluation_revealed or drawn < p.quorum or (captured and appeal is None):
        return _forfeit(p, submissions)
    # Appeals._served: a vote that got the set overrules an unavailable majority, whose seats lose.
    lost = set(unavailable) if captured else set()
    missing = [0] * drawn
    out = Settled()
    medians: list[int] = []
    sheets: list[list[int | None]] = []
    undecided: set[int] = set()
    overturned: set[int] = set()
    best: int | None = None
    for i, sub in enumerate(submissions):
        lanes: list[int | None] = [seat.scores[i] if isinstance(seat.scores, tuple) else None for seat in seats]
        ruled = None if appeal is None or sub.claim is None else _ruled(p, sub.claim, lanes, appeal[i], lost, missing)
        if ruled is not None:
            lanes = ruled
            overturned.add(i)  # an overturned sheet's attestations settle nothing
        sheets.append(lanes)
        outcome, median = judge(p, sub.claim, [x for x in lanes if x is not None], drawn, True)
        out.outcomes.append(outcome)
        medians.append(median)
        if outcome == Outcome.UNDECIDED or i in overturned:
            undecided.add(i)
        returned = returned_stake(p, sub.stake, outcome, len(submissions))
        out.burned += sub.stake - returned
        out.claims[sub.worker] = returned
        if outcome == Outcome.HONEST and (best is None or median > medians[best]):
            best = i
    revealed = [i for i, s in enumerate(submissions) if s.claim is not None]
    fee = p.reward * p.fee_bps // BPS if revealed else 0
    ruling = Ruling(lost, missing, bool(overturned))  # no appeal: nobody lost, nothing missing
    out.requester += _settle_members(p, seats, sheets, revealed, undecided, medians, fee, out, ruling)
    prize = p.reward - fee
    out.requester += deposit_of(p.reward)  # no failure of the requester's: its deposit back
    if best is None:
        out.requester += prize
    else:
        out.winner = best
        out.claims[submissions[best].worker] += prize
    return out


@dataclass(frozen=True)
class Ruling:
    """What an appeal's ruling does to the seats (Appeals.verdictOf's `lost`): the seats that lose
    their whole bond, the lanes filled for each absent seat (missing attestations), and whether
    any sheet was overturned (its unearned fee is then burned, never refunded)."""

    lost: set[int] = field(default_factory=set)
    missing: list[int] = field(default_factory=list)
    overturned: bool = False


def _ruled(
    p: Params, claim: int, lanes: list[int | None], measured: int, lost: set[int], missing: list[int]
) -> list[int | None] | None:
    """Appeals._overturned and _rewrite for a vote that measured `measured`: the ruled lanes
    (every drawn seat holds the claim or 0), or None where the committee's verdict stands; adds
    the losing seats to `lost` and each filled absent lane to `missing`."""
    drawn = len(lanes)
    outcome, verified_score = judge(p, claim, [x for x in lanes if x is not None], drawn, True)
    over = claim > measured + p.tolerance_bps  # ballotOf's bit i
    inflated = verified_score > measured + p.tolerance_bps  # bit 16 + i
    confirmed = outcome in (Outcome.HONEST, Outcome.BELOW_MINIMUM)
    open_ = outcome in (Outcome.UNDECIDED, Outcome.UNVERIFIED)
    if not (confirmed or open_ or outcome == Outcome.DISHONEST):
        return None
    if open_ or confirmed == over:
        mode = "over-claimed" if over else "honest"
    elif confirmed and inflated:
        mode = "inflated"
    else:
        return None
    honest = mode != "over-claimed"
    for seat, attested in enumerate(lanes):
        if attested is None:
            missing[seat] += 1
        elif attested >= verified_score if mode == "inflated" else (claim <= attested + p.tolerance_bps) != honest:
            lost.add(seat)
    return [claim if honest else 0] * drawn


def _attested(seats: list[Seat], i: int) -> list[int]:
    """The scores revealed for submission `i`, seat by seat (absent, silent and unavailable seats give none)."""
    found: list[int] = []
    for seat in seats:
        score = seat.scores[i] if isinstance(seat.scores, tuple) else None
        if score is not None:
            found.append(score)
    return found


def _settle_members(
    p: Params,
    seats: list[Seat],
    sheets: list[list[int | None]],
    revealed: list[int],
    undecided: set[int],
    medians: list[int],
    fee: int,
    out: Settled,
    ruling: Ruling,
) -> int:
    """Settlement._settleValidators (and _payAppellant): pay per good attestation, slash per bad
    one, a losing seat's whole bond; returns the fee refunded to the requester (nobody earned
    the pool, no verdict overturned) and adds the burned rest to `out`."""
    counts = []
    slashed_total = lost_bonds = 0
    bonds: dict[str, int] = {}  # a member's bond as its seats settle: each seat slashes what is left
    for n, seat in enumerate(seats):
        good, bad = 0, ruling.missing[n]  # lanes an appeal filled for this absent seat: missing
        for i in revealed:
            score = sheets[i][n]
            if score is not None and i in undecided:
                continue  # a split or overturned verdict settles nothing
            if score is not None and abs(score - medians[i]) <= p.tolerance_bps:
                good += 1
            else:
                bad += 1
        lost = n in ruling.lost
        counts.append(0 if lost else good)  # a captor of an overturned verdict earns nothing
        bond = bonds.get(seat.member, seat.bond)
        taken = min(bond * p.slash_bps * bad // BPS, bond) if bad else 0
        whole = bond - taken if lost else 0
        bonds[seat.member] = bond - taken - whole
        if taken + whole:
            out.slashed[seat.member] = out.slashed.get(seat.member, 0) + taken + whole
        slashed_total += taken
        lost_bonds += whole
    pool = fee + slashed_total
    good_total = sum(counts)
    per_good = pool // good_total if good_total else 0
    for seat, good in zip(seats, counts, strict=True):
        if good:
            out.pay[seat.member] = out.pay.get(seat.member, 0) + per_good * good
    refund = fee if good_total == 0 and not ruling.overturned else 0
    out.appellant = lost_bonds // 2
    out.burned += pool - per_good * good_total - refund + lost_bonds - out.appellant
    return refund


def _forfeit(p: Params, submissions: list[Submission]) -> Settled:
    """Settlement._forfeit: the revealed workers share the reward and the unrevealed stakes; the
    requester's deposit is burned (it comes back only when nobody revealed)."""
    out = Settled()
    revealed = [s for s in submissions if s.claim is not None]
    stakes = sum(s.stake for s in submissions if s.claim is None)
    out.outcomes = [Outcome.FORFEITED if s.claim is not None else Outcome.UNREVEALED for s in submissions]
    if not revealed:
        out.requester, out.burned = p.reward + deposit_of(p.reward), stakes
        return out
    pot = p.reward + stakes
    share = min(pot // len(revealed), UINT80_MAX)
    out.burned = pot - share * len(revealed) + deposit_of(p.reward)
    for s in submissions:
        out.claims[s.worker] = s.stake + share if s.claim is not None else 0
    return out


# --- the draw -----------------------------------------------------------------------------


def try_hash(seed: int, nonce: int) -> int:
    """Committee.tryHash: keccak256(abi.encode(seed, nonce))."""
    return int.from_bytes(keccak(encode(["uint256", "uint256"], [seed, nonce])), "big")


def draw_seed(seed_block_hash: int, job_id: int) -> int:
    """drawCommittee's seed: keccak256(abi.encode(blockhash(seedBlock), jobId)), the seed block
    being the block of the draw's first call (issue 20 item 2)."""
    return int.from_bytes(keccak(encode(["uint256", "uint256"], [seed_block_hash, job_id])), "big")


def draw_exact(seed: int, weights: list[int], owners: list[str], excluded: set[str], size: int) -> list[str]:
    """CommitteeDraw.drawSeats over a tree of `weights` (gwei, leaf order; 0: exited): the
    seated owners in seat order. Seats by bond: a seated leaf stays in the draw (a member may
    hold several seats), an excluded one leaves it."""
    starts = [sum(weights[:i]) for i in range(len(weights))]
    total = sum(weights)
    gone: list[tuple[int, int]] = []  # (start, weight), sorted
    seats: list[str] = []
    n = 0
    while len(seats) < size and n < 2 * size + MAX_SUBMISSIONS + 1 and total != 0:
        r = try_hash(seed, n) % total
        for start, weight in gone:  # step over each gone interval at or below the point
            if r < start:
                break
            r += weight
        leaf = next(i for i in range(len(weights)) if weights[i] and starts[i] <= r < starts[i] + weights[i])
        n += 1
        if owners[leaf] not in excluded:
            seats.append(owners[leaf])
            continue
        total -= weights[leaf]
        gone.append((starts[leaf], weights[leaf]))
        gone.sort()
    return seats
