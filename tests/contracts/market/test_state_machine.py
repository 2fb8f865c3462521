"""Random sequences of market actions by several actors against a Python model.

Every action is predicted by the model (succeeds or reverts) and checked against the
contract; finalize's credits are recomputed by a naive reference (sorted list median).
Examples: MARKET_SM_EXAMPLES, else 1000 under HYPOTHESIS_PROFILE=long (make test-long),
else 10 (make test: it has a 10-minute budget on 2 cores).
"""

import os

import brownie
import pytest
from brownie import chain, web3
from brownie.test import strategy
from hashes import h
from market_helpers import FEE_BPS, QUORUM, TOLERANCE_BPS, URI, next_time, sealed
from stateful_runner import run_state_machine

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
EXAMPLES = int(os.environ.get("MARKET_SM_EXAMPLES", 1000 if LONG else 10))
STEPS = 50
UNBONDING = 31 * 86400
STAKE = 10**17


def reference_median(scores):
    s = sorted(scores)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) // 2


class MarketMachine:
    st_pick = strategy("uint8")
    st_score = strategy("uint16", min_value=0, max_value=10_000)
    st_lie = strategy("uint16", min_value=0, max_value=400)
    st_noise = strategy("int16", min_value=-150, max_value=150)
    st_extra = strategy("uint8", max_value=3)
    st_jump = strategy("uint8", max_value=5)

    def __init__(cls, market, accounts, requester, alice, bob, carol, mallory, validators):
        cls.market = market
        cls.requesters = [requester, mallory]
        cls.workers = [alice, bob, carol, validators[0]]  # a validator may also work
        cls.validators = list(validators)
        cls.actors = sorted(
            {a.address: a for a in [*cls.requesters, *cls.workers, *cls.validators]}.values(),
            key=lambda a: a.address,
        )

    def setup(self):
        self.jobs = []  # job id - 1 -> dict
        self.pending = {a.address: self.market.pendingOf(a) for a in self.actors}
        self.start_pending = dict(self.pending)
        self.credited = dict.fromkeys(self.pending, 0)
        self.withdrawn = dict.fromkeys(self.pending, 0)
        self.members = {}
        for v in self.validators:
            m = self.market.validator(v)
            self.members[v.address] = dict(bond=m["bond"], seat=m["seat"], joined=m["joinedAt"], exit=0)
        self.seats = {m["seat"]: a for a, m in self.members.items()}
        self.base_balance = (
            self.market.balance() - sum(m["bond"] for m in self.members.values()) - sum(self.pending.values())
        )
        self.frozen = {}
        self.rule_post(0, 7000, 0)  # start every example with a job

    # ----- helpers -----
    def _job(self, pick):
        return self.jobs[pick % len(self.jobs)] if self.jobs else None

    def _credit(self, who, amount):
        self.pending[who] += amount
        self.credited[who] += amount

    def _expect(self, ok, send):
        if ok:
            return send()
        with brownie.reverts():
            send()
        return None

    # ----- rules -----
    def rule_post(self, st_pick, st_score, st_extra):
        """A requester posts a job with short windows."""
        who = self.requesters[st_pick % 2]
        now = next_time()
        reward = 10**18 + st_extra * 10**17 + st_pick
        tx = self.market.postJob(
            h("base"),
            h("train"),
            h("eval"),
            h("spec"),
            st_score % 9000,
            now + 100,
            now + 200,
            now + 300,
            STAKE,
            {"from": who, "value": reward},
        )
        self.jobs.append(
            dict(
                id=tx.return_value,
                requester=who.address,
                commit=now + 100,
                reveal=now + 200,
                attest=now + 300,
                reward=reward,
                min_score=st_score % 9000,
                status="active",
                subs=[],
            )
        )

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
            self._credit(who.address, job["reward"])

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
            and now < job["commit"]
            and len(job["subs"]) < 16
            and all(s["worker"] != worker.address for s in job["subs"])
        )
        c = sealed(job["id"], worker, claim)
        if self._expect(ok, lambda: self.market.commit(job["id"], c, {"from": worker, "value": stake})):
            job["subs"].append(
                dict(
                    worker=worker.address,
                    acct=worker,
                    stake=stake,
                    claim=claim,
                    true=st_score,
                    revealed=False,
                    atts={},
                )
            )

    def rule_reveal(self, st_pick, st_extra):
        """A committed worker (or not) reveals."""
        job = self._job(st_pick)
        if job is None or not job["subs"]:
            return
        hidden = [x for x in job["subs"] if not x["revealed"]] or job["subs"]
        sub = hidden[st_extra % len(hidden)]
        now = next_time()
        ok = job["commit"] <= now < job["reveal"] and not sub["revealed"]
        if self._expect(
            ok,
            lambda: self.market.reveal(
                job["id"],
                h(f"model-{sub['worker']}"),
                sub["claim"],
                h(f"salt-{sub['worker']}"),
                URI,
                {"from": sub["acct"]},
            ),
        ):
            sub["revealed"] = True

    def rule_attest(self, st_pick, st_extra, st_noise):
        """A validator attests the true score plus noise."""
        job = self._job(st_pick)
        if job is None or not job["subs"]:
            return
        shown = [x for x in job["subs"] if x["revealed"]] or job["subs"]
        sub = shown[st_extra % len(shown)]
        v = self.validators[st_pick % 3]
        m = self.members.get(v.address)
        now = next_time()
        score = max(0, min(10_000, sub["true"] + st_noise))
        ok = (
            job["reveal"] <= now < job["attest"]
            and sub["revealed"]
            and m is not None
            and m["exit"] == 0
            and v.address not in (job["requester"], sub["worker"])
            and m["seat"] not in sub["atts"]
        )
        if self._expect(ok, lambda: self.market.attest(job["id"], sub["worker"], score, {"from": v})):
            sub["atts"][m["seat"]] = (v.address, score)

    def rule_finalize(self, st_pick):
        """Anyone finalizes; the model recomputes every credit."""
        job = self._job(st_pick)
        if job is None:
            return
        now = next_time()
        ok = job["status"] == "active" and now >= job["attest"]
        tx = self._expect(ok, lambda: self.market.finalize(job["id"], {"from": self.workers[1]}))
        if tx is None:
            return
        job["status"] = "finalized"
        best, best_score, slashed = None, -1, 0
        for i, s in enumerate(job["subs"]):
            scores = [sc for _, sc in s["atts"].values()]
            s["median"] = reference_median(scores) if scores else 0
            if not s["revealed"] or (len(scores) >= QUORUM and abs(s["claim"] - s["median"]) > TOLERANCE_BPS):
                s["outcome"] = "slashed"
                slashed += s["stake"]
                continue
            self._credit(s["worker"], s["stake"])
            s["outcome"] = "honest" if len(scores) >= QUORUM else "unverified"
            if s["outcome"] == "honest" and s["median"] >= job["min_score"] and s["median"] > best_score:
                best, best_score = i, s["median"]
        ev = tx.events["Finalized"]
        assert ev["slashed"] == slashed
        if best is None:
            assert ev["winner"] == "0x" + "00" * 20
            self._credit(job["requester"], job["reward"] + slashed)
        else:
            win = job["subs"][best]
            honest = [s for s in job["subs"] if s.get("outcome") == "honest" and s["median"] >= job["min_score"]]
            assert ev["winner"] == win["worker"] and best_score == max(s["median"] for s in honest)
            fee = job["reward"] * FEE_BPS // 10_000
            near = [a for a, sc in win["atts"].values() if abs(sc - best_score) <= TOLERANCE_BPS]
            paid = 0
            for a in near:
                if a in self.members:  # still in its seat (the machine never reuses a seat in time)
                    self._credit(a, fee // len(near))
                    paid += fee // len(near)
            self._credit(win["worker"], job["reward"] - paid)
            self._credit(job["requester"], slashed)
        self.frozen[job["id"]] = (
            list(self.market.job(job["id"])),
            [list(s) for s in self.market.submissions(job["id"])],
        )

    def rule_withdraw(self, st_pick):
        """Someone pulls what is owed."""
        who = self.actors[st_pick % len(self.actors)]
        next_time()
        amount = self.pending[who.address]
        tx = self._expect(amount > 0, lambda: self.market.withdraw({"from": who}))
        if tx is not None:
            self.pending[who.address] = 0
            self.withdrawn[who.address] += tx.events["Withdrawn"]["amount"]

    def rule_exit(self, st_pick):
        """A validator asks to leave (rarely, so that attestations keep happening)."""
        if st_pick % 8:
            return
        v = self.validators[st_pick % 3]
        m = self.members.get(v.address)
        now = next_time()
        if self._expect(m is not None and m["exit"] == 0, lambda: self.market.requestExit({"from": v})):
            m["exit"] = now

    def rule_withdraw_bond(self, st_pick):
        """A validator takes its bond back after the delay."""
        v = self.validators[st_pick % 3]
        m = self.members.get(v.address)
        now = next_time()
        ok = m is not None and m["exit"] != 0 and now >= m["exit"] + UNBONDING
        if self._expect(ok, lambda: self.market.withdrawBond({"from": v})):
            del self.seats[m["seat"]]
            del self.members[v.address]

    def rule_sleep(self, st_jump, st_pick):
        """Time passes: to an active job's next deadline, a little, or past the unbonding delay."""
        now = chain[-1].timestamp
        t = now + [1, 1, 1, 1, 50, UNBONDING][st_jump]
        active = [j for j in self.jobs if j["status"] == "active" and j["attest"] > now]
        if st_jump < 4 and active:
            job = active[st_pick % len(active)]
            t = min(d for d in (job["commit"], job["reveal"], job["attest"]) if d > now) - 1 + (st_jump % 2)
        web3.provider.make_request("evm_setNextBlockTimestamp", [t])
        chain.mine()

    def _progress(self, pick, score, lie, noise):
        """Take the natural next step of an active job, so examples reach finalize."""
        now = chain[-1].timestamp + 1
        active = [j for j in self.jobs if j["status"] == "active"]
        if not active:
            return self.rule_post(pick, score, pick % 4)
        job = active[0]  # drive the oldest active job to its end
        i = self.jobs.index(job)
        if now >= job["attest"]:
            return self.rule_finalize(i)
        job["steps"] = job.get("steps", 0) + 1
        if job["steps"] % 5 == 0:  # every fifth step, move on to this job's next deadline
            deadline = min(d for d in (job["commit"], job["reveal"], job["attest"]) if d >= now)
            web3.provider.make_request("evm_setNextBlockTimestamp", [deadline])
            return chain.mine()
        if now < job["commit"]:
            return self.rule_commit(i, score, lie, pick)
        if now < job["reveal"]:
            return self.rule_reveal(i, pick)
        if job["subs"]:
            return self.rule_attest(i, pick, noise)

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
        """Escrowed rewards + active stakes + bonds + pending withdrawals == balance."""
        escrow = sum(j["reward"] for j in self.jobs if j["status"] == "active")
        stakes = sum(s["stake"] for j in self.jobs if j["status"] == "active" for s in j["subs"])
        bonds = sum(m["bond"] for m in self.members.values())
        assert self.market.balance() == self.base_balance + escrow + stakes + bonds + sum(self.pending.values())

    def invariant_nobody_is_paid_twice(self):
        """What each actor withdrew (from Withdrawn events) plus what it is owed equals what
        the model credited it: no payment beyond the credit, none lost."""
        for a in self.actors:
            owed = self.market.pendingOf(a)
            assert owed == self.pending[a.address]
            assert self.withdrawn[a.address] + owed == self.start_pending[a.address] + self.credited[a.address]

    def invariant_finalized_jobs_never_change(self):
        """A finalized job's record and submissions stay as finalize left them."""
        for job_id, (job, subs) in list(self.frozen.items())[-3:]:
            assert list(self.market.job(job_id)) == job
            assert [list(s) for s in self.market.submissions(job_id)] == subs

    def invariant_dishonest_claims_are_slashed(self):
        """Every verified claim beyond the tolerance, and every unrevealed one, was slashed."""
        for job in self.jobs[-3:]:
            if job["status"] != "finalized":
                continue
            for s in job["subs"]:
                lied = len(s["atts"]) >= QUORUM and abs(s["claim"] - s["median"]) > TOLERANCE_BPS
                assert (s["outcome"] == "slashed") == (lied or not s["revealed"])


@pytest.mark.stateful
def test_market_state_machine(market, accounts, requester, alice, bob, carol, mallory, validators):
    run_state_machine(
        MarketMachine,
        market,
        accounts,
        requester,
        alice,
        bob,
        carol,
        mallory,
        validators,
        max_examples=EXAMPLES,
        step_count=STEPS,
    )
