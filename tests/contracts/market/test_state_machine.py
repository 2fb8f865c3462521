"""Random sequences of market actions by several actors against a Python model (v3).

Actors: two requesters (one may bond as a validator), sixteen workers (enough to reach
the submission cap; one of them is a validator), the three fixture validators plus
validators that join and exit. Committee members behave honestly (true score +- 50 bps),
lie, copy the claim, or never reveal. The requester reveals the evaluation set, or does
not (a forfeit). Every action is predicted by the model (succeeds or reverts) and checked
against the contract; finalize's credits are recomputed by a naive reference, in which a
strict majority of the drawn seats decides a verdict and a member's seats hold its bond.
Examples: MARKET_SM_EXAMPLES, else 1000 under HYPOTHESIS_PROFILE=long (make test-stateful-long),
else 10 (make test: it has a 10-minute budget on 2 cores).
"""

import os

import brownie
import pytest
from brownie import chain, web3
from brownie.test import strategy
from hashes import h
from market_helpers import (
    EVAL,
    EVAL_SALT,
    FEE_BPS,
    FORFEIT_BPS,
    MIN_BOND,
    QUORUM,
    SLASH_BPS,
    TOLERANCE_BPS,
    URI,
    attestation_seal,
    deposit_of,
    draw,
    eval_seal,
    lens_of,
    next_time,
    salt_of,
    sealed,
)
from stateful_runner import run_state_machine

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
EXAMPLES = int(os.environ.get("MARKET_SM_EXAMPLES", 1000 if LONG else 10))
TRACE = bool(os.environ.get("MARKET_SM_TRACE"))  # print each settlement (run with -s)
STEPS = 50
UNBONDING = 37 * 86400
STAKE = 10**17
BPS = 10_000
NOISE = 50
ZERO_ADDR = "0x" + "00" * 20
BEHAVIOURS = ["honest", "honest", "honest", "liar", "copier", "silent"]


def lower_median(scores):
    s = sorted(scores)
    return s[(len(s) - 1) // 2]


def majority_scores(scores, drawn):
    """(high, low): the highest score a strict majority of the `drawn` seats attests at or
    above, the lowest one it attests at or below; the lower median twice when fewer than a
    strict majority attested (market v3, Judgment.judge)."""
    s, m = sorted(scores), drawn // 2 + 1
    if len(s) < m:
        return lower_median(s), lower_median(s)
    return s[len(s) - m], s[m - 1]


class MarketMachine:
    st_pick = strategy("uint8")
    st_score = strategy("uint16", min_value=0, max_value=10_000)
    st_lie = strategy("uint16", min_value=0, max_value=400)
    st_noise = strategy("int16", min_value=-NOISE, max_value=NOISE)
    st_extra = strategy("uint8", max_value=15)
    st_jump = strategy("uint8", max_value=5)

    def __init__(cls, market, accounts, requester, alice, bob, carol, mallory, validators):
        cls.market = market
        cls.requesters = [requester, mallory]
        extra = [accounts.add() for _ in range(13)]
        for a in extra:
            requester.transfer(a, 5 * MIN_BOND)
        cls.workers = [alice, bob, carol, validators[0], *extra[:12]]
        cls.joiners = [extra[12], requester]  # a fresh validator, and the requester itself
        cls.validators = list(validators)
        everyone = [*cls.requesters, *cls.workers, *cls.validators, *cls.joiners]
        cls.actors = list({a.address: a for a in everyone}.values())

    def setup(self):
        self.jobs = []
        self.pending = {a.address: self.market.pendingOf(a) for a in self.actors}
        self.burned = self.market.pendingOf(ZERO_ADDR)  # credited to nobody (issue 20)
        self.withdrawn = dict.fromkeys(self.pending, 0)
        self.members = {}
        for v in [*self.validators, *self.joiners]:
            m = self.market.validator(v)
            if m["leafPlusOne"]:
                self.members[v.address] = dict(bond=m["bond"], unlocks=m["unlocksAt"])
        self.base_balance = self.market.balance() - self._owed()
        self.rule_post(0, 7000, 0)  # start every example with a job

    # ----- helpers -----
    def _owed(self):
        escrow = sum(j["reward"] + deposit_of(j["reward"]) for j in self.jobs if j["status"] == "active")
        stakes = sum(s["stake"] for j in self.jobs if j["status"] == "active" for s in j["subs"])
        unclaimed = sum(
            s["payout"] for j in self.jobs if j["status"] == "finalized" for s in j["subs"] if not s["claimed"]
        )
        bonds = sum(m["bond"] for m in self.members.values())
        return escrow + stakes + unclaimed + bonds + sum(self.pending.values()) + self.burned

    def _job(self, pick):
        return self.jobs[pick % len(self.jobs)] if self.jobs else None

    def _expect(self, ok, send):
        if ok:
            return send()
        with brownie.reverts():
            send()
        return None

    # ----- rules -----
    def rule_post(self, st_pick, st_score, st_extra):
        """A requester posts a job with the shortest windows the protocol allows."""
        who = self.requesters[st_pick % 2]
        now = next_time()
        reward = 10**18 + st_extra % 5 * 10**17 + st_pick  # at most 15 minimum stakes (issue 20 item 6)
        d = [now + 100, now + 200, now + 300, now + 400]
        tx = self.market.postJob(
            h("base"), h("train"), eval_seal(), h("spec"), st_score % 9000, d, STAKE, 3,
            {"from": who, "value": reward + deposit_of(reward)},
        )  # fmt: skip
        self.jobs.append(
            dict(id=tx.return_value, requester=who.address, d=d, reward=reward, min_score=st_score % 9000,
                 status="active", subs=[], evaluated=False, committee=None, plans={}, revealed={})
        )  # fmt: skip

    def rule_cancel(self, st_pick):
        """The requester (or someone else) tries to cancel."""
        job = self._job(st_pick)
        if job is None:
            return
        who = self.requesters[st_pick % 2]
        next_time()
        ok = who.address == job["requester"] and job["status"] == "active" and not job["subs"]
        if self._expect(ok, lambda: self.market.cancelJob(job["id"], {"from": who})):
            job["status"] = "cancelled"
            self.pending[who.address] += job["reward"] + deposit_of(job["reward"])

    def rule_commit(self, st_pick, st_score, st_lie, st_extra):
        """A worker commits to a result it truly scores `st_score`, claiming it plus `st_lie`."""
        job = self._job(st_pick)
        if job is None:
            return
        worker = self.workers[st_extra % len(self.workers)]
        now = next_time()
        claim = min(10_000, st_score + (st_lie if st_lie > 200 else 0))
        stake = STAKE + st_pick
        ok = (
            job["status"] == "active"
            and now < job["d"][0]
            and len(job["subs"]) < 16
            and all(s["worker"] != worker.address for s in job["subs"])
        )
        c = sealed(job["id"], worker, claim)
        if self._expect(ok, lambda: self.market.commit(job["id"], c, {"from": worker, "value": stake})):
            job["subs"].append(dict(worker=worker.address, acct=worker, stake=stake, claim=claim, true=st_score,
                                    revealed=False, payout=0, claimed=False))  # fmt: skip

    def rule_reveal(self, st_pick, st_extra):
        """A committed worker reveals (sometimes too late, or twice)."""
        job = self._job(st_pick)
        if job is None or not job["subs"]:
            return
        sub = job["subs"][st_extra % len(job["subs"])]
        now = next_time()
        ok = job["status"] == "active" and job["d"][0] <= now < job["d"][1] and not sub["revealed"]
        model = h(f"model-{sub['worker']}")
        args = (job["id"], model, sub["claim"], salt_of(sub["acct"]), URI, {"from": sub["acct"]})
        if self._expect(ok, lambda: self.market.reveal(*args)):
            sub["revealed"] = True

    def rule_reveal_evaluation(self, st_pick):
        """The requester's daemon reveals the evaluation set (a requester that never does forfeits)."""
        job = self._job(st_pick)
        if job is None or st_pick % 5 == 0:
            return
        now = next_time()
        ok = job["status"] == "active" and job["d"][0] <= now < job["d"][1] and not job["evaluated"]
        send = lambda: self.market.revealEvaluation(job["id"], EVAL, EVAL_SALT, "", {"from": self.requesters[0]})  # noqa: E731
        if self._expect(ok, send):
            job["evaluated"] = True

    def rule_draw(self, st_pick):
        """Anyone draws the committee; the requester and the job's workers are never drawn."""
        job = self._job(st_pick)
        if job is None:
            return
        now = next_time()
        # The draw reads the weights of the epoch's start (SumTree.drawAt): the contract's own sum
        # of them decides whether anyone can be drawn (this model does not replay epochs).
        weight = self.market.epochWeightNow()
        ok = job["status"] == "active" and job["d"][0] <= now < job["d"][1] and job["committee"] is None and weight > 0
        if self._expect(ok, lambda: draw(self.market, job["id"], self.workers[1])):
            seats = [a for a in lens_of(self.market).committee(job["id"])]
            job["committee"] = seats
            drawn = [a for a in seats if a != ZERO_ADDR]  # seats by bond: a member may hold several
            assert job["requester"] not in drawn
            assert not {s["worker"] for s in job["subs"]} & set(drawn)
            for a in drawn:
                m = self.members[a]
                assert m["unlocks"] == 0 and m["bond"] >= MIN_BOND

    def rule_attest(self, st_pick, st_extra, st_noise):
        """A committee member commits its scores: honest, a liar, a copier of the claims, or silent."""
        job = self._job(st_pick)
        if job is None or not job["committee"]:
            return
        seat = job["committee"][st_extra % len(job["committee"])]
        if seat == ZERO_ADDR:
            return
        v = next(a for a in self.actors if a.address == seat)
        behaviour = BEHAVIOURS[(st_pick + st_extra) % len(BEHAVIOURS)]
        scores = []
        for i, s in enumerate(job["subs"]):
            if behaviour == "liar":
                scores.append((s["true"] + 3000 + 37 * i) % 10_001)
            elif behaviour == "copier":
                scores.append(s["claim"])
            else:
                scores.append(max(0, min(10_000, s["true"] + st_noise)))
        now = next_time()
        ok = (
            job["status"] == "active"
            and job["d"][1] <= now < job["d"][2]
            and job["evaluated"]
            and seat not in job["plans"]
        )
        seal = attestation_seal(job["id"], v, scores)
        if self._expect(ok, lambda: self.market.commitAttestation(job["id"], seal, {"from": v})):
            job["plans"][seat] = (v, scores, behaviour)

    def rule_reveal_attestation(self, st_pick, st_extra):
        """A member reveals what it committed (silent members never do)."""
        job = self._job(st_pick)
        if job is None or not job["plans"]:
            return
        seat = sorted(job["plans"])[st_extra % len(job["plans"])]
        v, scores, behaviour = job["plans"][seat]
        if behaviour == "silent":
            return
        now = next_time()
        ok = job["status"] == "active" and job["d"][2] <= now < job["d"][3] and seat not in job["revealed"]
        send = lambda: self.market.revealAttestation(job["id"], scores, salt_of(v), {"from": v})  # noqa: E731
        if self._expect(ok, send):
            job["revealed"][seat] = (scores, behaviour)

    def rule_finalize(self, st_pick):
        """Anyone finalizes; the model recomputes every credit."""
        job = self._job(st_pick)
        if job is None:
            return
        now = next_time()
        ok = job["status"] == "active" and now >= job["d"][3]
        best = lens_of(self.market).winnerOf(job["id"]) if ok else 2**256 - 1
        model, uri = (h("x"), "") if best == 2**256 - 1 else (h(f"model-{job['subs'][best]['worker']}"), URI)
        tx = self._expect(ok, lambda: self.market.finalize(job["id"], model, uri, {"from": self.workers[1]}))
        if tx is None:
            return
        job["status"] = "finalized"
        expected_best = self._settle(job)
        if TRACE:
            outcomes = [s.get("outcome", "forfeit") for s in job["subs"]]
            members = {a[:8]: b for a, (_, b) in job["revealed"].items()}
            print(
                f"\nSETTLED evaluated={job['evaluated']} outcomes={outcomes} revealed={members} winner={expected_best}"
            )
        assert tx.events["Finalized"]["winner"] == (
            ZERO_ADDR if expected_best is None else job["subs"][expected_best]["worker"]
        )
        for i, s in enumerate(lens_of(self.market).submissions(job["id"])):
            assert s["payout"] == job["subs"][i]["payout"]

    def _settle(self, job):
        """The reference settlement: credits self.pending, bonds and each submission's payout."""
        subs, req = job["subs"], job["requester"]
        seats = [a for a in (job["committee"] or []) if a != ZERO_ADDR]
        # A set never opened, or a committee below the quorum: the requester's failures (issue 20).
        if not job["evaluated"] or len(seats) < QUORUM:
            revealed = [s for s in subs if s["revealed"]]
            pot = job["reward"] + sum(s["stake"] for s in subs if not s["revealed"])
            share = pot // len(revealed) if revealed else 0
            for s in revealed:
                s["payout"] = s["stake"] + share
            if revealed:  # the dust and the requester's deposit are burned (issue 20 item 7)
                self.burned += pot - share * len(revealed) + deposit_of(job["reward"])
            else:  # the reward and deposit back; the unrevealed stakes are burned, never the requester's
                self.pending[req] += job["reward"] + deposit_of(job["reward"])
                self.burned += pot - job["reward"]
            return None
        # A full job's forfeit is the whole minimum stake (issue 20 item 6: filling never pays).
        forfeit = STAKE if len(subs) == 16 else STAKE * FORFEIT_BPS // BPS
        burned, best, best_score = 0, None, -1
        for i, s in enumerate(subs):
            # An unrevealed submission has no lanes (`make test-long` found the invariant below
            # misreading the lanes it was once given).
            # Lanes by seat: a member holding several seats fills each with its one attestation.
            s["lanes"] = (
                {k: job["revealed"][a][0][i] for k, a in enumerate(seats) if a in job["revealed"]}
                if s["revealed"]
                else {}
            )
            lanes = list(s["lanes"].values())
            s["median"], low = majority_scores(lanes, len(seats)) if lanes else (0, 0)
            majority = 2 * len(lanes) > len(seats)
            if not s["revealed"]:
                s["outcome"], s["payout"] = "unrevealed", 0
                burned += s["stake"]
            elif len(lanes) < QUORUM:
                s["outcome"], s["payout"] = "unverified", s["stake"] - min(forfeit, s["stake"])
                burned += min(forfeit, s["stake"])
            elif not majority or s["claim"] - s["median"] > TOLERANCE_BPS:
                if majority and s["claim"] - low > TOLERANCE_BPS:  # a strict majority attests below
                    s["outcome"], s["payout"] = "dishonest", 0
                    burned += s["stake"]
                else:  # a tie, or absent seats: nobody convicts, nobody confirms
                    s["outcome"], s["payout"] = "undecided", s["stake"]
            elif s["median"] >= job["min_score"]:
                s["outcome"], s["payout"] = "honest", s["stake"]
                if s["median"] > best_score:
                    best, best_score = i, s["median"]
            else:
                s["outcome"], s["payout"] = "low", s["stake"] - min(forfeit, s["stake"])
                burned += min(forfeit, s["stake"])
        revealed = [s for s in subs if s["revealed"]]
        fee = job["reward"] * FEE_BPS // BPS if revealed else 0
        good, slashed = [], 0
        for k, a in enumerate(seats):  # per seat, as Settlement settles them: a second seat's slash on what is left
            good.append(sum(1 for s in revealed if k in s["lanes"] and abs(s["lanes"][k] - s["median"]) <= TOLERANCE_BPS
                            and s["outcome"] != "undecided"))  # fmt: skip
            # An attestation of an undecided submission settles nothing; a missing one still costs.
            bad = sum(1 for s in revealed if k not in s["lanes"] or s["outcome"] != "undecided") - good[k]
            if bad:
                m = self.members[a]
                taken = min(m["bond"] * SLASH_BPS * bad // BPS, m["bond"])
                m["bond"] -= taken
                slashed += taken
        pool, total = fee + slashed, sum(good)
        per = pool // total if total else 0
        for k, a in enumerate(seats):
            self.pending[a] += per * good[k]
        refund = 0 if total else fee  # nobody earned the pool: the fee back, the slashed bonds burned
        self.burned += burned + pool - per * total - refund
        prize = job["reward"] - fee
        refund += deposit_of(job["reward"])  # no failure of the requester's: its deposit back
        if best is None:
            refund += prize
        else:
            subs[best]["payout"] += prize
        self.pending[req] += refund
        return best

    def rule_claim(self, st_pick, st_extra):
        """A worker claims its outcome (once, after finalize)."""
        job = self._job(st_pick)
        if job is None or not job["subs"]:
            return
        i = st_extra % len(job["subs"])
        s = job["subs"][i]
        next_time()
        ok = job["status"] == "finalized" and not s["claimed"]
        tx = self._expect(ok, lambda: self.market.claim(job["id"], i, {"from": s["acct"]}))
        if tx is not None:
            assert tx.events["Claimed"]["amount"] == s["payout"]
            s["claimed"] = True

    def rule_withdraw(self, st_pick):
        """Someone pulls what is owed."""
        who = self.actors[st_pick % len(self.actors)]
        next_time()
        amount = self.pending[who.address]
        tx = self._expect(amount > 0, lambda: self.market.withdraw({"from": who}))
        if tx is not None:
            assert tx.events["Withdrawn"]["amount"] == amount
            self.pending[who.address] = 0

    def rule_join(self, st_pick):
        """A fresh validator, or the requester itself, bonds."""
        who = self.joiners[st_pick % 2]
        next_time()
        ok = who.address not in self.members
        if self._expect(ok, lambda: self.market.joinValidators({"from": who, "value": MIN_BOND})):
            self.members[who.address] = dict(bond=MIN_BOND, unlocks=0)

    def rule_exit(self, st_pick):
        """A validator asks to leave (rarely, so that committees keep forming)."""
        if st_pick % 8:
            return
        v = [*self.validators, *self.joiners][st_pick % 5]
        m = self.members.get(v.address)
        tx = self._expect(m is not None and m["unlocks"] == 0, lambda: self.market.requestExit({"from": v}))
        if tx is not None:
            m["unlocks"] = tx.timestamp + UNBONDING

    def rule_withdraw_bond(self, st_pick):
        """A validator takes its bond back after the delay."""
        v = [*self.validators, *self.joiners][st_pick % 5]
        m = self.members.get(v.address)
        now = next_time()
        ok = m is not None and m["unlocks"] != 0 and now >= m["unlocks"]
        # A seat on a job not finalized yet keeps the bond (market v3: no slash escaped).
        ok = ok and not any(j["status"] == "active" and v.address in (j["committee"] or []) for j in self.jobs)
        if self._expect(ok, lambda: self.market.withdrawBond({"from": v})):
            del self.members[v.address]

    def rule_sleep(self, st_jump, st_pick):
        """Time passes: to an active job's next deadline, a little, or past the unbonding delay."""
        now = chain[-1].timestamp
        t = now + [1, 1, 1, 1, 50, UNBONDING][st_jump]
        active = [j for j in self.jobs if j["status"] == "active" and j["d"][3] > now]
        if st_jump < 4 and active:
            job = active[st_pick % len(active)]
            t = min(d for d in job["d"] if d > now) - 1 + (st_jump % 2)
        web3.provider.make_request("evm_setNextBlockTimestamp", [t])
        chain.mine()

    def _progress(self, pick, score, lie, noise):
        """Take the natural next step of the oldest active job, so examples reach finalize."""
        now = chain[-1].timestamp + 1
        active = [j for j in self.jobs if j["status"] == "active"]
        if not active:
            return self.rule_post(pick, score, pick % 4)
        job = active[0]
        i = self.jobs.index(job)
        if now >= job["d"][3]:
            return self.rule_finalize(i)
        job["steps"] = job.get("steps", 0) + 1
        if job["steps"] % 6 == 0:  # every sixth step, move on to this job's next deadline
            web3.provider.make_request("evm_setNextBlockTimestamp", [min(d for d in job["d"] if d >= now)])
            return chain.mine()
        if now < job["d"][0]:
            return self.rule_commit(i, score, lie, pick)
        if now < job["d"][1]:
            step = job["steps"] % 3
            if step == 0 and job["committee"] is None:
                return self.rule_draw(i)
            if step == 1 and not job["evaluated"]:
                return self.rule_reveal_evaluation(i + (pick % 7 != 0))
            return self.rule_reveal(i, pick)
        if now < job["d"][2]:
            return self.rule_attest(i, pick, noise)
        return self.rule_reveal_attestation(i, pick)

    def rule_progress(self, st_pick, st_score, st_lie, st_noise):
        """Advance a job (weighted: three rules share this body)."""
        self._progress(st_pick, st_score, st_lie, st_noise)

    def rule_progress_2(self, st_pick, st_score, st_lie, st_noise):
        """Advance a job."""
        self._progress(st_pick, st_score, st_lie, st_noise)

    def rule_progress_3(self, st_pick, st_score, st_lie, st_noise):
        """Advance a job."""
        self._progress(st_pick, st_score, st_lie, st_noise)

    # ----- invariants -----
    def invariant_balance_equals_what_is_owed(self):
        """Escrowed rewards + active stakes + unclaimed payouts + bonds + pending == balance."""
        assert self.market.balance() == self.base_balance + self._owed()

    def invariant_pending_matches_the_model(self):
        """Every actor is owed exactly what the reference credited it."""
        for a in self.actors:
            assert self.market.pendingOf(a) == self.pending[a.address]

    def invariant_burned_matches_the_model(self):
        """Slashed stakes, forfeits, unearned slashed bonds and dust are burned, exactly as the
        reference burned them (so none reaches the requester, whose pending the model checks)."""
        assert self.market.pendingOf(ZERO_ADDR) == self.burned

    def invariant_bonds_match_the_model(self):
        """Slashing took exactly what the reference took."""
        for a, m in self.members.items():
            assert self.market.validator(a)["bond"] == m["bond"]

    def invariant_an_honest_majority_is_never_outvoted(self):
        """Where honest members revealed for a strict majority of the drawn seats, the verified
        score is within the honest noise of the true score."""
        for job in self.jobs[-3:]:
            if job["status"] != "finalized" or not job["evaluated"]:
                continue
            seats = [a for a in job["committee"] or [] if a != ZERO_ADDR]
            drawn = len(seats)
            for s in job["subs"]:
                lanes = s.get("lanes", {})
                honest = [k for k in lanes if job["revealed"][seats[k]][1] == "honest"]
                if lanes and 2 * len(honest) > drawn:
                    assert abs(s["median"] - s["true"]) <= NOISE

    def invariant_a_tie_convicts_nobody(self):
        """A submission is dishonest only where a strict majority of the drawn seats attested
        below its claim less the tolerance (counted from the lanes, not the model's ladder)."""
        for job in self.jobs[-3:]:
            if job["status"] != "finalized" or not job["evaluated"]:
                continue
            drawn = sum(1 for a in job["committee"] or [] if a != ZERO_ADDR)
            for s in job["subs"]:
                if s.get("outcome") == "dishonest":
                    below = sum(1 for v in s["lanes"].values() if s["claim"] - v > TOLERANCE_BPS)
                    assert 2 * below > drawn


@pytest.mark.stateful
def test_market_state_machine(market, accounts, requester, alice, bob, carol, mallory, validators):
    run_state_machine(
        MarketMachine, market, accounts, requester, alice, bob, carol, mallory, validators,
        max_examples=EXAMPLES, step_count=STEPS,
    )  # fmt: skip
