"""`offchain demo` (`make demo`): the whole product on an embedded local chain, narrated.

A local anvil chain; the registry and market deployed; the digits transfer task prepared
as artifacts and served over HTTP; a base model pretrained on digits 0-4 and registered; a
requester posting a fine-tuning job on digits 5-9 with a reward; two workers (one honest,
one that over-claims) and three validators, each its own process; the job finalized; the
balances, outcomes and lineage shown; the data set and winning model anchored in the
bundled proof-of-work ledger with their Merkle proofs verified. The report folder keeps a
markdown summary and the training curves.

The chain's clock is moved forward (evm_increaseTime) as soon as every expected commit,
reveal or attestation is in, so the demo does not sit out the job's windows.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from offchain.errors import OffchainError
from offchain.eth.build import PROJECT_ROOT
from offchain.eth.localchain import LocalChain
from offchain.ml.config import SOURCE_TASK_RECIPE, TARGET_TASK_RECIPE
from offchain.netproxy import TcpRelay

DEFAULT_OUT = PROJECT_ROOT / "reports" / "demo"
ETHER = 10**18
REWARD = 1 * ETHER
MIN_STAKE = ETHER // 10
MIN_BOND = ETHER
MIN_SCORE_BPS = 8000
OVERCLAIM_BPS = 1500  # the dishonest worker claims this much more than it measured
WINDOW_S = 3600  # each job window; the demo moves the clock instead of waiting
# anvil dev accounts by role (index into the dev mnemonic)
DEPLOYER, REQUESTER, HONEST, OVERCLAIMER = 0, 1, 2, 3
VALIDATORS = (4, 5, 6)
TAMPERER = 7  # only in the fault-injection run of the end-to-end tests
OUTAGE_S = 8.0  # the chain is down this long in the fault-injection run
# The job's spec: the ML engine's measured target-task recipe (its data keys are the job's).
SPEC = {"arch": "resnet18", "stem": "imagenet", "metric": "accuracy",
        **{k: v for k, v in TARGET_TASK_RECIPE.items() if k not in ("dataset", "classes", "per_class")}}
PRETRAIN = {k: v for k, v in SOURCE_TASK_RECIPE.items() if k not in ("dataset", "classes")}


@dataclass
class DemoConfig:
    """Budgets of a demo run; the end-to-end tests use smaller ones."""

    spec: dict[str, Any] = field(default_factory=lambda: dict(SPEC))
    pretrain: dict[str, Any] = field(default_factory=lambda: dict(PRETRAIN))
    per_class: int = 20  # labelled images per class of the target task
    overclaim_bps: int = OVERCLAIM_BPS
    min_score_bps: int = MIN_SCORE_BPS
    faults: bool = False  # tests: kill -9 a worker, tamper an artifact, take the chain down


class DemoError(OffchainError):
    """A step of the demo failed; the message names it."""


class Narrator:
    """Numbered steps with elapsed time, so a person can follow a long run."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.step = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def __call__(self, message: str) -> None:
        self.step += 1
        print(f"[{self.elapsed():6.1f}s] {self.step:>2}. {message}", flush=True)

    def detail(self, message: str) -> None:
        print(f"{'':>13}{message}", flush=True)


@dataclass
class Role:
    name: str
    account: int
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)


def _pump(role: Role) -> None:
    assert role.process.stdout is not None
    for line in role.process.stdout:
        role.lines.append(line.rstrip())
        print(f"    [{role.name:<11}] {line.rstrip()}", flush=True)


def spawn(name: str, account: int, argv: list[str], threads: int) -> Role:
    # Five processes share the machine: cap each one's torch threads so that they do not
    # oversubscribe the cores (spinning OpenMP threads slow everyone down many times over).
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    process = subprocess.Popen(
        [sys.executable, "-m", "offchain", *argv], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, bufsize=1, env=env,
    )
    role = Role(name, account, process)
    threading.Thread(target=_pump, args=(role,), daemon=True).start()
    return role


def wait_until(predicate: Callable[[], bool], what: str, timeout_s: float, roles: list[Role]) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        dead = [r for r in roles if r.process.poll() not in (None, 0)]
        if dead:
            raise DemoError(f"{dead[0].name} exited with code {dead[0].process.returncode} while waiting for {what}")
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.5)


def warp_to(w3: Any, timestamp: int) -> None:
    """Move the local chain's clock to `timestamp` and mine a block there."""
    now = int(w3.eth.get_block("latest")["timestamp"])
    if timestamp > now:
        w3.provider.make_request("evm_increaseTime", [timestamp - now])
        w3.provider.make_request("evm_mine", [])


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("demo", help="run the full demo on an embedded local chain")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report folder (recreated)")
    parser.add_argument("--epochs", type=int, default=SPEC["epochs"], help="fine-tuning epochs in the job spec")
    parser.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from offchain.eth.localchain import local_chain

    out: Path = args.out
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    say = Narrator()
    say("starting a local chain (anvil, one block a second)")
    config = DemoConfig(spec=dict(SPEC, epochs=args.epochs))
    with local_chain(block_time=1, log_file=out / "anvil.log") as chain:
        demo = Demo(chain, out, say, config)
        try:
            demo.run()
        finally:
            demo.stop_roles()
    say(f"done in {say.elapsed():.0f} s; report: {out / 'summary.md'}")
    return 0


class Demo:
    def __init__(self, chain: LocalChain, out: Path, say: Narrator, config: DemoConfig) -> None:
        from offchain.eth.client import connect
        from offchain.eth.localchain import dev_private_key

        self.chain = chain
        self.out = out
        self.say = say
        self.config = config
        self.spec = config.spec
        self.keys = {i: dev_private_key(i) for i in (DEPLOYER, REQUESTER, HONEST, OVERCLAIMER, TAMPERER, *VALIDATORS)}
        self.client = connect(chain.url, self.keys[DEPLOYER])
        self.roles: list[Role] = []
        self.relay: TcpRelay | None = None
        self.summary: list[str] = []

    def as_account(self, index: int) -> Any:
        from offchain.eth.keys import account_from_key

        return self.client.with_account(account_from_key(self.keys[index]))

    def run(self) -> None:
        self.deploy()
        self.prepare_data()
        self.pretrain_base()
        self.post_job()
        self.run_market()
        self.show_results()
        self.anchor_in_ledger()
        self.write_report()

    # ---------------------------------------------------------------- steps

    def deploy(self) -> None:
        from offchain.eth.deploy import deploy_all
        from offchain.eth.market import MarketClient
        from offchain.eth.registry import RegistryClient

        self.deployment = deploy_all(self.client, self.out / "deployments", min_bond=MIN_BOND)
        self.registry = RegistryClient(self.client, self.deployment.contract("ModelRegistry").address)
        self.market = MarketClient(self.client, self.deployment.contract("TrainingMarket").address)
        self.say(f"deployed ModelRegistry at {self.registry.address}, TrainingMarket at {self.market.address}")
        self.say.detail(
            f"quorum {self.market.quorum()}, tolerance {self.market.tolerance_bps()} bps, "
            f"validator fee {self.market.fee_bps()} bps, minimum bond {MIN_BOND / ETHER:g} ETH"
        )

    def prepare_data(self) -> None:
        from offchain.artifacts.server import ArtifactServer
        from offchain.artifacts.store import ArtifactStore
        from offchain.ml.data import export_dataset, load_data

        data_dir = self.out / "data"
        data_dir.mkdir()
        self.sets = {
            "source": load_data("digits", "train", "0-4"),
            "train": load_data("digits", "train", "5-9", per_class=self.config.per_class),
            "eval": load_data("digits", "test", "5-9"),
        }
        self.server = ArtifactServer(ArtifactStore(self.out / "store"))
        self.server.start_in_thread()
        self.paths: dict[str, Path] = {}
        self.hashes: dict[str, str] = {}
        for name, data in self.sets.items():
            path, digest = export_dataset(data, data_dir / f"digits-{name}.npz")
            self.server.store.put_file(path)
            self.paths[name], self.hashes[name] = path, digest
        self.spec_path = data_dir / "spec.json"
        self.spec_path.write_text(json.dumps(self.spec, indent=2, sort_keys=True))
        self.say(f"digits transfer task as artifacts, served at {self.server.url}")
        for name, data in self.sets.items():
            self.say.detail(f"{name:<6} {len(data):>4} images of classes {','.join(data.classes)}  "
                            f"sha256:{self.hashes[name][:16]}...")

    def pretrain_base(self) -> None:
        from offchain.ml.config import TrainConfig
        from offchain.ml.train import train

        recipe = self.config.pretrain
        self.say(f"pretraining the base model (ResNet-18) on digits 0-4, {recipe['epochs']} epochs")
        # The base must have the architecture the job's spec fine-tunes, or its stem is re-initialised.
        config = TrainConfig(dataset=str(self.paths["source"]), eval_dataset="none", device="cpu",
                             arch=self.spec["arch"], stem=self.spec["stem"], **recipe)
        result = train(config, self.out / "base", quiet=True, on_epoch_end=lambda m: self.say.detail(
            f"epoch {m.epoch}: loss {m.train_loss:.3f}, {m.images_per_second:.0f} images/s"))
        self.base_hash = result.fingerprint
        digest = self.server.store.put_file(self.out / "base" / "model.safetensors")
        receipt = self.registry.register(
            self.base_hash, None, bytes.fromhex(self.hashes["source"]), 0, self.server.uri_for(digest)
        )
        self.say(f"registered base model 0x{self.base_hash.hex()[:16]}... (gas {receipt['gasUsed']})")

    def post_job(self) -> None:
        from offchain.eth.market import MarketClient

        requester = MarketClient(self.as_account(REQUESTER), self.market.address)
        now = int(self.client.w3.eth.get_block("latest")["timestamp"])
        self.deadlines = (now + WINDOW_S, now + 2 * WINDOW_S, now + 3 * WINDOW_S)
        self.post_block = int(self.client.w3.eth.block_number)  # balances are read at this block
        self.balances_before = self.balances(self.post_block)
        spec_digest = self.server.store.put_file(self.spec_path)
        self.job_id = requester.post_job(
            base_model=self.base_hash, training_set=bytes.fromhex(self.hashes["train"]),
            evaluation_set=bytes.fromhex(self.hashes["eval"]), spec=bytes.fromhex(spec_digest),
            min_score_bps=self.config.min_score_bps, commit_deadline=self.deadlines[0],
            reveal_deadline=self.deadlines[1], attest_deadline=self.deadlines[2], min_stake=MIN_STAKE, reward=REWARD,
        )
        self.say(f"requester posted job {self.job_id}: reward {REWARD / ETHER:g} ETH escrowed, minimum score "
                 f"{self.config.min_score_bps / 100:.0f} %, stake {MIN_STAKE / ETHER:g} ETH, "
                 f"{self.spec['epochs']} epochs")

    def run_market(self) -> None:
        from offchain.eth.market import MarketClient

        # In the fault run the roles reach the chain through a relay that can be cut.
        self.relay = TcpRelay(self.chain.port) if self.config.faults else None
        rpc = self.relay.url if self.relay else self.chain.url
        common = ["--rpc", rpc, "--deployments", str(self.out / "deployments"), "--source",
                  self.server.url, "--poll", "0.5", "--confirmations", "0"]
        overclaim = ["--overclaim-bps", str(self.config.overclaim_bps)]
        workers = [("honest", HONEST, []), ("overclaimer", OVERCLAIMER, overclaim)]
        if self.config.faults:
            workers.append(("tamperer", TAMPERER, []))
        threads = max(1, (os.cpu_count() or 2) // len(workers))  # the workers train side by side
        self.worker_args = {
            name: (account, ["worker", *common, "--dev-account", str(account), "--home", str(self.out / name),
                             "--publish", self.server.url, "--max-jobs", "1", "--device", "cpu",
                             "--seed", str(account), *extra], threads)
            for name, account, extra in workers
        }
        self.say(f"starting {len(workers)} workers and {len(VALIDATORS)} validators, each its own process")
        self.roles = [spawn(name, *spec) for name, spec in self.worker_args.items()] + [
            spawn(f"validator-{i + 1}", account, ["validator", *common, "--dev-account", str(account), "--home",
                                                  str(self.out / f"validator-{i + 1}"), "--once"], 1)
            for i, account in enumerate(VALIDATORS)
        ]
        job, count = self.job_id, len(workers)
        wait_until(lambda: len(self.market.submissions(job)) == count, "every commit", 600, self.roles)
        self.say("every worker committed")
        if self.config.faults:
            self.kill_and_restart("honest")
        self.say("moving the chain clock to the reveal window")
        warp_to(self.client.w3, self.deadlines[0])
        wait_until(lambda: all(s.revealed for s in self.market.submissions(job)), "every reveal", 120, self.roles)
        if self.config.faults:
            self.tamper_artifact("tamperer")
        self.say("every reveal is in; moving the chain clock to the attest window")
        warp_to(self.client.w3, self.deadlines[1])
        if self.config.faults:
            self.chain_outage(OUTAGE_S)
        wait_until(lambda: all(s.attestation_count == len(VALIDATORS) for s in self.market.submissions(job)),
                   "all attestations", 300, self.roles)
        self.say("every validator attested every submission; moving the clock past the attest deadline")
        warp_to(self.client.w3, self.deadlines[2])
        for role in self.roles:
            role.process.wait(timeout=180)
            if role.process.returncode != 0:
                raise DemoError(f"{role.name} exited with code {role.process.returncode}")
        self.say("the job is finalized and every role has withdrawn and exited")
        requester = MarketClient(self.as_account(REQUESTER), self.market.address)
        owed = requester.pending(requester.client.address)
        if owed:
            requester.withdraw()
            self.say(f"the requester withdrew {owed / ETHER:g} ETH (slashed stakes)")

    # ---------------------------------------------------------------- faults (end-to-end tests)

    def kill_and_restart(self, name: str) -> None:
        """kill -9 a worker after its commit, then start it again on the same journal."""
        role = next(r for r in self.roles if r.name == name)
        role.process.kill()
        role.process.wait()
        self.roles.remove(role)
        self.say(f"fault: killed {name} (SIGKILL) after its commit; restarting it")
        self.roles.append(spawn(name, *self.worker_args[name]))

    def tamper_artifact(self, name: str) -> None:
        """Replace the bytes the server holds for `name`'s revealed weights."""
        account = self.worker_args[name][0]
        worker = self.as_account(account).address
        event = next(e for e in self.market.revealed_events(self.post_block) if e.worker == worker)
        digest = event.uri.rstrip("/").rsplit("/", 1)[-1]
        path = self.server.store.get(digest)
        path.write_bytes(path.read_bytes()[:-64] + bytes(64))
        self.say(f"fault: the artifact server now serves tampered weights for {name}")

    def chain_outage(self, seconds: float) -> None:
        """Cut the roles' link to the chain (the relay refuses and drops connections)."""
        assert self.relay is not None
        self.say(f"fault: the chain is unreachable for {seconds:.0f} s")
        self.relay.outage(seconds)
        self.say("the chain is reachable again")

    def show_results(self) -> None:
        from offchain.eth.values import hash_hex

        after = self.balances()
        final = self.market.finalized_event(self.job_id)
        if final is None or final.winner is None:
            raise DemoError(f"job {self.job_id} ended without a winner")
        self.winner_hash = final.model_hash
        self.say(f"job {self.job_id} settled: winner {final.winner}, verified {final.verified_score_bps / 100:.2f} %")
        rows = ["| account | role | before (ETH) | after (ETH) | change (ETH) |", "|---|---|---:|---:|---:|"]
        for name, (address, before) in self.balances_before.items():
            change = after[name][1] - before
            rows.append(f"| `{address}` | {name} | {before / ETHER:.6f} | {after[name][1] / ETHER:.6f} | "
                        f"{change / ETHER:+.6f} |")
        outcomes = ["| worker | claimed | verified | outcome | stake |", "|---|---:|---:|---|---:|"]
        for sub in self.market.submissions(self.job_id):
            outcomes.append(f"| `{sub.worker}` | {sub.claimed_score_bps / 100:.2f} % | "
                            f"{sub.verified_score_bps / 100:.2f} % | {sub.outcome.name.lower()} | "
                            f"{sub.stake / ETHER:g} ETH |")
        record = self.registry.record(self.winner_hash)
        lineage = self.registry.lineage(self.winner_hash)
        for line in outcomes + [""] + rows:
            self.say.detail(line)
        self.say.detail(f"payout {final.payout / ETHER:.6f} ETH, validator fees {final.validator_fees / ETHER:.6f} "
                        f"ETH, slashed {final.slashed / ETHER:.6f} ETH (balances include gas; "
                        f"validators' {MIN_BOND / ETHER:g} ETH bonds stay in the market)")
        self.say.detail(f"registry: {record.model_hash} score {record.score_bps} bps, job {record.job_id}, "
                        f"parent {record.parent_hash}")
        self.say.detail("lineage: " + " <- ".join(h[:18] + "..." for h in lineage))
        self.summary += [
            f"# Demo run, job {self.job_id}", "",
            f"Winner `{final.winner}` with a verified accuracy of {final.verified_score_bps / 100:.2f} % "
            f"(minimum {self.config.min_score_bps / 100:.0f} %); the over-claimer's stake was slashed.", "",
            "## Submissions", "", *outcomes, "", "## Balances (gas included)", "", *rows, "",
            f"Payout {final.payout} wei; validator fees {final.validator_fees} wei; slashed {final.slashed} wei.", "",
            "## Lineage (registry)", "", *[f"{i}. `{h}`" for i, h in enumerate(lineage)], "",
            f"Base model `{hash_hex(self.base_hash)}`.", "",
        ]

    def anchor_in_ledger(self) -> None:
        from offchain.ledger import api as ledger

        datadir = self.out / "ledger"
        ledger.init_chain(datadir, "devnet")
        ledger.fund(datadir, processes=1)  # fees: the key's first coinbase must mature
        payloads = {"dataset": bytes.fromhex(self.hashes["train"]), "model": self.winner_hash}
        txids = {tag: ledger.anchor(datadir, payload, tag) for tag, payload in payloads.items()}
        self.say("anchoring the training set hash and the winning model hash in the proof-of-work ledger (devnet)")
        mined = ledger.mine(datadir, 3, processes=1)
        self.say.detail(f"mined {len(mined)} blocks; tip {ledger.status(datadir)['tip']}")
        self.summary += ["## Anchored in the proof-of-work ledger", ""]
        for tag, txid in txids.items():
            proof: dict[str, Any] = ledger.prove(datadir, txid)
            ok = ledger.verify_proof(proof, datadir=datadir)
            self.say.detail(f"{tag:<8} txid {txid} in block {proof['height']}, branch of {len(proof['branch'])}: "
                            f"{'verified' if ok else 'INVALID'}")
            if not ok:
                raise DemoError(f"the Merkle proof of the {tag} anchor does not verify")
            self.summary += [f"- {tag}: txid `{txid}`, block {proof['height']}, root `{proof['merkle_root']}`, "
                             "proof verified", "", "```json", json.dumps(proof, indent=2), "```", ""]

    def write_report(self) -> None:
        for name in ("honest", "overclaimer"):
            for curves in (self.out / name).rglob("curves.png"):
                shutil.copyfile(curves, self.out / f"curves-{name}.png")
        if (self.out / "base" / "curves.png").exists():
            shutil.copyfile(self.out / "base" / "curves.png", self.out / "curves-base.png")
        self.summary += ["## Training curves", "", "![base](curves-base.png) ![honest](curves-honest.png)", ""]
        (self.out / "summary.md").write_text("\n".join(self.summary))

    # ---------------------------------------------------------------- helpers

    def balances(self, block: int | None = None) -> dict[str, tuple[str, int]]:
        names = {"requester": REQUESTER, "honest worker": HONEST, "over-claimer": OVERCLAIMER}
        if self.config.faults:
            names["tamperer"] = TAMPERER
        names.update({f"validator {i + 1}": a for i, a in enumerate(VALIDATORS)})
        result = {}
        for name, index in names.items():
            address = self.as_account(index).address
            result[name] = (address, self._balance(address, block))
        result["market contract"] = (self.market.address, self._balance(self.market.address, block))
        return result

    def _balance(self, address: str, block: int | None) -> int:
        return int(self.client.w3.eth.get_balance(address, block_identifier=block or "latest"))  # type: ignore[arg-type]

    def stop_roles(self) -> None:
        for role in self.roles:
            if role.process.poll() is None:
                role.process.terminate()
                try:
                    role.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    role.process.kill()
