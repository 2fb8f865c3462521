"""Does any attack pay below half of the bond? A Monte-Carlo of the draw and the payoffs.

    python -m benchmarks economics            # demo's job and the largest reward, 4,000 jobs a row
    python -m benchmarks.economics_bench --jobs 500

For each share of all validator bond held by the attacker (5 % to 49 %), thousands of jobs
are drawn as `CommitteeDraw.drawSeats` draws (seats by bond: a seated leaf stays in the draw,
the requester's and the workers' leaves drawn and taken out, at most 2 x seats + 17 tries), and
each job is settled by `benchmarks.market_model` (the contract's rules to the wei, checked
against the chain by tests/contracts/market/test_economics_model.py). The attacker is the
requester (wants the model without paying) or a worker with junk (wants the reward), and plays
its best response among the strategies below; its **profit** is what it ends with less what
honest play of the same bond and role ends with, on the same jobs (so fees its members earn
honestly are not counted as an attack's gain). The model the requester gains is valued at the
reward in both; gas is counted for the transactions an attack adds, at GAS_PRICE.

Strategies: `majority` (deviate only when holding a strict majority of the drawn seats),
`always` (deviate on every job), `abstain` (stay silent after the draw when the honest seats
are no strict majority without the attacker's), `tie` (deviate when holding exactly half the
drawn seats), `grind` (choose the best of G committees, then `majority`; G = 1 under the
one-committee guard, GRIND_UNGUARDED where one transaction joins, draws and reverts),
`whale` (the bond under the requester's or the worker's own address, which the draw skips),
`sybil workers` (the requester never opens its evaluation set and fills the submissions with
its own workers, who share the forfeited reward with the honest one).

Appeals (issue 20 item 5, contracts/Appeals.sol): a deviation or a silence that changes the
verdict (a conviction of the honest worker, junk winning, a tie or silent seats that deny the
prize) is appealed by the honest party (its best response: the deposit comes back and it
recovers its stake and prize), and the vote of the whole bond (the attacker holds less than half
of it, so the honest members' measurement carries it) rules as `Appeals.verdictOf` does, priced
by `benchmarks.market_model.settle(appeal=...)`: every deviating seat loses its whole bond and
earns nothing, every silent seat's lane is filled and slashed as a missing attestation, and the
fee nobody earned is burned; each of the attacker's members votes, paying a vote's gas.
`--no-appeals` prices the market without them.

Exits 1 when any share below one half has an attack whose profit's 95 % interval lies above
zero (under the guard, G = 1), or when an honest validator's expected profit is not positive.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.market_model import (
    MAX_SUBMISSIONS,
    Params,
    Seat,
    Settled,
    Submission,
    deposit_of,
    largest_reward,
    settle,
)
from offchain.demo import scenario
from offchain.demo.sybil import HONEST_BOND
from offchain.eth.deploy import MIN_BOND

ETHER = 10**18
SHARES = (0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.49)
JOBS = 4000  # jobs per share and scenario
SEED = 20
HONEST_VALIDATORS = 100  # honest members of a larger market, each bonding the minimum
DEMO_VALIDATORS = len(scenario.VALIDATORS)  # the demo's members, each at its honest bond (offchain.demo.sybil)
TRUE_SCORE = 9000  # what the honest worker's model scores on the evaluation set (demo minimum: 8000)
HONEST_CLAIM = 8900  # its claim: its held-out estimate, under the truth (docs/market.md)
JUNK_SCORE = 1000  # what the attacker's junk scores
GAS_PRICE = 20 * 10**9  # wei a gas unit (stated: 20 gwei)
CPU_PRICE = 0.05 / 3600 / 3000  # ETH a CPU-second: $0.05 a core-hour at $3,000 an ETH (stated)
EVAL_IMAGES = 500  # the Fashion-MNIST demo's evaluation set: 100 images x 5 classes
# Issue 20 item 2: a contract that joins, draws and reverts samples about 140 committees per
# 30M-gas transaction on today's main (tests/contracts/market DrawGrinder); G = 1 once the
# one-committee guard lands.
GRIND_UNGUARDED = 140
GRIND_GAS = 30_000_000 // GRIND_UNGUARDED  # gas a committee ground
GAS_TABLE = Path(__file__).resolve().parent / "gas_market.md"  # from tests/contracts/market/test_gas.py
GAS_ROWS = {
    "commit": "commit",
    "reveal": "reveal (64-byte uri)",
    "claim": "claim (per worker, fresh account)",
    "commitAttestation": "commitAttestation",
    "revealAttestation": "revealAttestation, 1 submission",
    "withdraw": "withdraw",
    "commitVote": "commitVote (first voter, 1 worker)",
    "revealVote": "revealVote (a later voter)",
}
APPEALS = True  # the market has Appeals (--no-appeals: priced without them)


def measured_gas(text: str | None = None) -> dict[str, int]:
    """The gas of the calls in GAS_ROWS, from benchmarks/gas_market.md's table."""
    text = GAS_TABLE.read_text() if text is None else text
    found = {}
    for key, name in GAS_ROWS.items():
        match = re.search(rf"^\| {re.escape(name)} \| ([\d,]+) \|", text, re.M)
        if match is None:
            raise LookupError(f"no row {name!r} in {GAS_TABLE.name}")
        found[key] = int(match.group(1).replace(",", ""))
    return found


def demo_params() -> Params:
    """The demo's job (offchain.demo.scenario) on the deployment defaults."""
    return Params(scenario.REWARD, scenario.MIN_STAKE, scenario.MIN_SCORE_BPS, scenario.DemoConfig().committee_size)


def largest_params() -> Params:
    """The demo's job at the largest reward postJob accepts, with the smallest minimum stake it
    accepts for that reward (15 minimum stakes cover the reward: issue 20 item 6)."""
    reward = largest_reward()
    min_stake = max(scenario.MIN_STAKE, -(-reward // (MAX_SUBMISSIONS - 1)))
    return Params(reward, min_stake, scenario.MIN_SCORE_BPS, scenario.DemoConfig().committee_size)


# --- the draw, by class counts ------------------------------------------------------------


@dataclass(frozen=True)
class Population:
    """Validators by class: `attackers` leaves of `attacker_bond` each, `honest` of `honest_bond`,
    and the leaves the draw skips (the requester's own bond, a whale's), one bond each."""

    attackers: int
    attacker_bond: int
    honest: int = HONEST_VALIDATORS
    honest_bond: int = MIN_BOND
    excluded: tuple[int, ...] = (MIN_BOND,)  # the demo's requester bonds the minimum too


@dataclass(frozen=True)
class Honest:
    """The honest members: how many, each bonding how much."""

    count: int = HONEST_VALIDATORS
    bond: int = MIN_BOND


def population(share: float, honest: Honest, whale: bool = False) -> Population:
    """The attacker holds `share` of all validator bond beside the honest members' bonds, as
    Sybils of at least the minimum bond each (none when it holds less than one), or (whale) as
    one bond under the address the draw skips."""
    bond = round(share / (1 - share) * honest.count * honest.bond)
    if whale:
        return Population(0, 0, honest.count, honest.bond, excluded=(MIN_BOND, bond))
    count = bond // MIN_BOND
    return Population(count, bond // count if count else 0, honest.count, honest.bond)


def sample_seats(rng: np.random.Generator, jobs: int, pop: Population, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(attacker seats, drawn seats) of `jobs` draws. Leaves of one class weigh the same, so the
    class of each try is all the seat count needs: exactly _drawSeats' distribution (seats by
    bond: each try uniform over the weight not excluded yet, a seated leaf staying in the draw;
    r = seed % total's bias is below 2**-190)."""
    taken_a = np.zeros(jobs, dtype=np.int64)
    taken_h = np.zeros(jobs, dtype=np.int64)
    excluded_left = np.tile(np.array([b // 10**9 for b in pop.excluded], dtype=np.float64), (jobs, 1))
    wa, wh = pop.attacker_bond // 10**9, pop.honest_bond // 10**9
    for _ in range(2 * size + MAX_SUBMISSIONS + 1):
        left_a = np.full(jobs, pop.attackers * float(wa))  # seated leaves stay in the draw
        left_h = np.full(jobs, pop.honest * float(wh))
        cumulative = (left_a + left_h)[:, None] + np.cumsum(excluded_left, axis=1)
        total = cumulative[:, -1]
        active = (taken_a + taken_h < size) & (total > 0)
        r = rng.random(jobs) * total
        to_a = active & (r < left_a)
        to_h = active & ~to_a & (r < left_a + left_h)
        # Which skipped leaf the point fell in: it leaves the draw, no seat filled.
        hit = (r[:, None] < cumulative) & (r[:, None] >= cumulative - excluded_left)
        excluded_left[(active & ~to_a & ~to_h)[:, None] & hit] = 0.0
        taken_a += to_a
        taken_h += to_h
    return taken_a, taken_a + taken_h


def best_of(
    rng: np.random.Generator, jobs: int, pop: Population, size: int, choices: int, value: np.ndarray
) -> np.ndarray:
    """Per job, the most the attacker ends with among `choices` committees (grinding), each
    worth `value[attacker seats, drawn seats]`."""
    a, d = sample_seats(rng, jobs * choices, pop, size)
    return value[a, d].reshape(jobs, choices).max(axis=1)


# --- payoffs of one job, by seat counts ---------------------------------------------------


def _seats(
    pop: Population, k: int, d: int, attacker: tuple[int | None, ...] | None, honest: tuple[int | None, ...]
) -> list[Seat]:
    """`k` attacker seats then `d - k` honest ones, each with its class's bond and plan."""
    return [Seat(f"a{i}", pop.attacker_bond, attacker) for i in range(k)] + [
        Seat(f"h{i}", pop.honest_bond, honest) for i in range(d - k)
    ]


def _members(s: Settled, k: int) -> int:
    """What the attacker's `k` members end with: pay less slashes."""
    return sum(s.net(f"a{i}") for i in range(k))


def requester_payoff(p: Params, pop: Population, k: int, d: int, plan: str, gas: dict[str, int]) -> int:
    """Wei the attacking requester ends with (its model valued at the reward) with `k` of `d`
    seats, playing `plan`: honest, deviate (attest the honest worker 0), silent, or sybil workers."""
    honest = Submission("worker", p.min_stake, HONEST_CLAIM)
    posted = p.reward + deposit_of(p.reward)  # what postJob escrows; the model is valued at the reward
    if plan == "sybil workers":
        sybils = [Submission(f"sybil{i}", p.min_stake, 0) for i in range(MAX_SUBMISSIONS - 1)]
        s = settle(p, [honest, *sybils], _seats(pop, k, d, None, (TRUE_SCORE,) * 16), evaluation_revealed=False)
        back = sum(s.claims[x.worker] - x.stake for x in sybils)
        cost = len(sybils) * (gas["commit"] + gas["reveal"] + gas["claim"]) * GAS_PRICE
        # The model, less the reward and the deposit, plus what it and its workers take back.
        return p.reward - posted + s.requester + back - cost
    mine = {"honest": (TRUE_SCORE,), "deviate": (0,), "silent": None}[plan]
    seats = _seats(pop, k, d, mine, (TRUE_SCORE,))
    s = settle(p, [honest], seats, evaluation_revealed=True)
    if plan != "honest" and APPEALS:
        truth = settle(p, [honest], _seats(pop, k, d, (TRUE_SCORE,), (TRUE_SCORE,)), evaluation_revealed=True)
        if _captured(s, truth):
            a = settle(p, [honest], seats, evaluation_revealed=True, appeal=(TRUE_SCORE,))
            return p.reward - posted + a.requester + _members(a, k) - _voted(pop, gas)
    return p.reward - posted + s.requester + _members(s, k)


def worker_payoff(p: Params, pop: Population, k: int, d: int, plan: str, gas: dict[str, int]) -> int:
    """Wei the attacking worker ends with with `k` of `d` seats, playing `plan`: honest (no junk,
    its members attest the truth), or with junk claiming 0 committed before the draw: deviate
    (its members attest the junk 10000), silent, or fallback (its members attest the truth:
    the junk pays the forfeit)."""
    honest = Submission("worker", p.min_stake, HONEST_CLAIM)
    if plan == "honest":
        s = settle(p, [honest], _seats(pop, k, d, (TRUE_SCORE,), (TRUE_SCORE,)), evaluation_revealed=True)
        return _members(s, k)
    # Claiming 0 is never dishonest (an under-claim); the verified score is what a majority attests.
    junk = Submission("junk", p.min_stake, 0)
    mine = {"fallback": (TRUE_SCORE, JUNK_SCORE), "deviate": (TRUE_SCORE, 10_000), "silent": None}[plan]
    seats = _seats(pop, k, d, mine, (TRUE_SCORE, JUNK_SCORE))
    s = settle(p, [honest, junk], seats, evaluation_revealed=True)
    cost = (gas["commit"] + gas["reveal"] + gas["claim"]) * GAS_PRICE
    if plan != "fallback" and APPEALS:
        truth = settle(p, [honest, junk], _seats(pop, k, d, (TRUE_SCORE, JUNK_SCORE), (TRUE_SCORE, JUNK_SCORE)), True)
        if _captured(s, truth):
            a = settle(p, [honest, junk], seats, True, appeal=(TRUE_SCORE, JUNK_SCORE))
            return a.claims["junk"] - junk.stake + _members(a, k) - cost - _voted(pop, gas)
    return s.claims["junk"] - junk.stake + _members(s, k) - cost


def _captured(s: Settled, truth: Settled) -> bool:
    """True when a deviation or a silence changed the verdict: the honest party appeals it."""
    return s.outcomes != truth.outcomes or s.winner != truth.winner


def _voted(pop: Population, gas: dict[str, int]) -> int:
    """The gas of an appeal's vote by each of the attacker's members (a silent one loses a seat's
    slash share instead, which costs more). What the ruling takes from its seats (the deviating
    ones' whole bonds, the silent ones' missing shares) is the model's (`settle(appeal=...)`)."""
    return pop.attackers * (gas["commitVote"] + gas["revealVote"]) * GAS_PRICE


Payoff = Callable[[Params, Population, int, int, str, dict[str, int]], int]
ROLES: dict[str, Payoff] = {"requester": requester_payoff, "worker": worker_payoff}


def _table(p: Params, pop: Population, role: str, plan: str, gas: dict[str, int]) -> np.ndarray:
    """ETH the attacker ends with in `pop`, by (attacker seats, drawn seats)."""
    t = np.zeros((p.committee_size + 1, p.committee_size + 1))
    for d in range(p.committee_size + 1):
        for k in range(d + 1):
            t[k, d] = ROLES[role](p, pop, k, d, plan, gas) / ETHER
    return t


@dataclass(frozen=True)
class Estimate:
    """An attack's profit per job in ETH: mean and 95 % interval."""

    strategy: str
    mean: float
    low: float
    high: float

    @property
    def profitable(self) -> bool:
        return self.low > 0


def _estimate(strategy: str, gains: np.ndarray) -> Estimate:
    mean = float(gains.mean())
    half = 1.96 * float(gains.std(ddof=1)) / len(gains) ** 0.5 if len(gains) > 1 else 0.0
    return Estimate(strategy, mean, mean - half, mean + half)


def strategies(
    p: Params,
    role: str,
    share: float,
    jobs: int,
    rng: np.random.Generator,
    choices: int,
    gas: dict[str, int],
    honest: Honest = Honest(),
) -> list[Estimate]:
    """Every strategy's profit over honest play for `role` at `share`, on `jobs` jobs; `grind`
    only where the attacker can choose among `choices` > 1 committees (with 1 it is `majority`)."""
    # A worker's junk is committed before the draw: its fallback keeps the junk (and its forfeit).
    fallback = "fallback" if role == "worker" else "honest"
    size = p.committee_size
    pop = population(share, honest)
    tables = {plan: _table(p, pop, role, plan, gas) for plan in {"honest", "deviate", "silent", fallback}}
    k, d = sample_seats(rng, jobs, pop, size)
    base, rest = tables["honest"][k, d], tables[fallback][k, d]
    found = [
        _estimate("majority", np.where(2 * k > d, tables["deviate"][k, d], rest) - base),
        _estimate("always", tables["deviate"][k, d] - base),
        _estimate("abstain", np.where(2 * k >= d, tables["silent"][k, d], rest) - base),
        _estimate("tie", np.where(2 * k == d, tables["deviate"][k, d], rest) - base),
    ]
    if choices > 1:
        seats = np.arange(size + 1)
        value = np.where(2 * seats[:, None] > seats[None, :], tables["deviate"], tables[fallback])
        ground = best_of(rng, jobs, pop, size, choices, value)
        found.append(_estimate(f"grind G={choices}", ground - GRIND_GAS * choices * GAS_PRICE / ETHER - base))
    wk, wd = sample_seats(rng, jobs, population(share, honest, whale=True), size)
    found.append(_estimate("whale", tables[fallback][wk, wd] - base))
    if role == "requester":
        found.append(_estimate("sybil workers", _table(p, pop, role, "sybil workers", gas)[k, d] - base))
    return found


HONEST = Estimate("honest", 0.0, 0.0, 0.0)  # no attack: nothing gained over honest play


def best_response(estimates: list[Estimate]) -> Estimate:
    """The strategy with the highest mean profit, honest play when no attack gains."""
    return max([HONEST, *estimates], key=lambda e: e.mean)


@dataclass(frozen=True)
class Row:
    share: float
    best: dict[str, Estimate]  # role -> best response under the guard (G = 1)
    ground: dict[str, Estimate]  # role -> best response when G = GRIND_UNGUARDED
    all: dict[str, list[Estimate]]


def sweep(
    p: Params,
    jobs: int,
    seed: int = SEED,
    shares: tuple[float, ...] = SHARES,
    gas: dict[str, int] | None = None,
    honest: Honest = Honest(),
) -> list[Row]:
    """The best responses at each share beside `honest` members, under the guard and without it."""
    gas = measured_gas() if gas is None else gas
    rng = np.random.default_rng(seed)
    rows = []
    for share in shares:
        best, ground, every = {}, {}, {}
        for role in ROLES:
            guarded = strategies(p, role, share, jobs, rng, 1, gas, honest)
            unguarded = strategies(p, role, share, jobs, rng, GRIND_UNGUARDED, gas, honest)
            best[role], ground[role], every[role] = best_response(guarded), best_response(unguarded), guarded
        rows.append(Row(share, best, ground, every))
    return rows


# --- the honest validator ------------------------------------------------------------------


@dataclass(frozen=True)
class ValidatorEconomics:
    fee: float  # ETH earned on a seat of an honest job
    gas_units: int  # gas a seat costs: commit and reveal the attestation, withdraw
    cpu: float  # ETH of CPU a seat costs
    seat_odds: float  # seats a member holds a job, on average (gas counted per seat: an upper bound)

    @property
    def gas(self) -> float:
        return self.gas_units * GAS_PRICE / ETHER

    @property
    def per_seat(self) -> float:
        return self.fee - self.gas - self.cpu

    @property
    def per_job(self) -> float:
        return self.seat_odds * self.per_seat

    def break_even_gwei(self) -> float:
        """The gas price at which the seat's fee no longer pays its gas and CPU."""
        return (self.fee - self.cpu) * ETHER / self.gas_units / 10**9


def validator_economics(
    p: Params, cpu_seconds: float, gas: dict[str, int], honest: Honest = Honest()
) -> ValidatorEconomics:
    """An honest member's profit on a job with one honest submission among the `honest`
    members, every seat honest."""
    size = p.committee_size  # seats by bond: every seat filled, a member may hold several
    seats = _seats(population(0.0, honest), 0, size, None, (TRUE_SCORE,))
    s = settle(p, [Submission("worker", p.min_stake, HONEST_CLAIM)], seats, True)
    return ValidatorEconomics(
        fee=s.net("h0") / ETHER,
        gas_units=gas["commitAttestation"]
        + gas["revealAttestation"]
        + gas["withdraw"],  # a withdraw a job: the worst case
        cpu=cpu_seconds * CPU_PRICE,
        seat_odds=size / honest.count,
    )


def evaluation_cpu_seconds() -> float:
    """CPU seconds of one evaluation: ResNet-18 (the demo's architecture) over EVAL_IMAGES images."""
    import torch
    import torchvision

    model = torchvision.models.resnet18(num_classes=5).eval()
    images = torch.rand(EVAL_IMAGES, 3, 32, 32)
    start = time.process_time()
    with torch.no_grad():
        for batch in images.split(100):
            model(batch)
    return time.process_time() - start


# --- the report -----------------------------------------------------------------------------


def _eth(e: Estimate, reward: int) -> str:
    scale = reward / ETHER
    if scale >= 1000:
        return f"{e.mean / scale:+.4f} R [{e.low / scale:+.4f}, {e.high / scale:+.4f}]"
    return f"{e.mean:+.4f} [{e.low:+.4f}, {e.high:+.4f}]"


def table(rows: list[Row], p: Params) -> list[str]:
    """The markdown table: per share, each role's best response and its profit per job."""
    unit = "R (the reward)" if p.reward >= 1000 * ETHER else "ETH"
    lines = [
        f"| attacker's bond | requester: best (G=1) | profit, {unit} [95 %] | worker: best (G=1) | profit [95 %] "
        f"| best with G={GRIND_UNGUARDED} (no guard) | profit [95 %] |",
        "|---:|---|---|---|---|---|---|",
    ]
    for row in rows:
        ground = max(row.ground.values(), key=lambda e: e.mean)
        lines.append(
            f"| {row.share:.0%} | {row.best['requester'].strategy} | {_eth(row.best['requester'], p.reward)} "
            f"| {row.best['worker'].strategy} | {_eth(row.best['worker'], p.reward)} "
            f"| {ground.strategy} | {_eth(ground, p.reward)} |"
        )
    return lines


def detail(rows: list[Row], role: str, p: Params) -> list[str]:
    """Every strategy's mean profit per job for `role` under the guard (ETH, or R at the largest reward)."""
    scale = p.reward / ETHER if p.reward >= 1000 * ETHER else 1.0
    names = [e.strategy for e in rows[0].all[role]]
    lines = [f"| {role} | " + " | ".join(names) + " |", "|---:|" + "---:|" * len(names)]
    for row in rows:
        lines.append(f"| {row.share:.0%} | " + " | ".join(f"{e.mean / scale:+.4f}" for e in row.all[role]) + " |")
    return lines


def profitable(rows: list[Row]) -> list[str]:
    """'share role strategy' of every profitable best response below one half, under the guard."""
    return [
        f"{row.share:.0%} {role}: {e.strategy}"
        for row in rows
        for role, e in row.best.items()
        if row.share < 0.5 and e.profitable
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks economics")
    parser.add_argument("--jobs", type=int, default=JOBS, help=f"jobs per share and scenario (default {JOBS})")
    parser.add_argument("--no-appeals", action="store_true", help="price the market without Appeals")
    args = parser.parse_args(argv or [])
    global APPEALS
    APPEALS = not args.no_appeals
    start = time.monotonic()
    gas = measured_gas()
    cpu = evaluation_cpu_seconds()
    print(
        f"{args.jobs} jobs a share; the attacker's bond as Sybils of at least {MIN_BOND / ETHER:g} ETH "
        f"(whale: under its own address); gas {GAS_PRICE / 10**9:g} gwei; CPU {CPU_PRICE:.2e} ETH/s; "
        "profit = the attacker's end less honest play's, per job"
    )
    failed = []
    ten = Honest(HONEST_VALIDATORS // 10, 10 * MIN_BOND)  # the same honest bond in fewer, larger bonds
    scenarios = (
        ("demo's job, the demo's validators", demo_params(), Honest(DEMO_VALIDATORS, HONEST_BOND)),
        ("demo's job", demo_params(), Honest()),
        ("demo's job, honest bond in large bonds", demo_params(), ten),
        ("largest reward", largest_params(), Honest()),
    )
    for name, p, honest in scenarios:
        print(
            f"\n{name}: {honest.count} honest validators of {honest.bond / ETHER:g} ETH; "
            f"reward {p.reward / ETHER:g} ETH, min stake {p.min_stake / ETHER:g} ETH, {p.committee_size} seats, "
            f"quorum {p.quorum}, tolerance {p.tolerance_bps}, fee {p.fee_bps}, slash {p.slash_bps}, "
            f"forfeit {p.forfeit_bps} bps, bond {p.min_bond / ETHER:g} ETH"
        )
        rows = sweep(p, args.jobs, gas=gas, honest=honest)
        print("\n".join(table(rows, p)))
        for role in ROLES:
            print("\n".join(["", *detail(rows, role, p)]))
        found = profitable(rows)
        if found:
            print(f"PROFITABLE below one half ({name}): " + "; ".join(found))
            failed.append(name)
        v = validator_economics(p, cpu, gas, honest)
        print(
            f"honest validator: fee {v.fee:.6f} ETH a seat - gas {v.gas:.6f} - CPU {v.cpu:.2e} ({cpu:.2f} s) = "
            f"{v.per_seat:+.6f} ETH a seat, {v.per_job:+.6f} a job posted ({v.seat_odds:.2f} seats a job); "
            f"break-even at {v.break_even_gwei():,.1f} gwei"
        )
        if v.per_seat <= 0:
            print(f"honest validator loses money ({name})")
            failed.append(f"{name} validator")
    print(f"({time.monotonic() - start:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
