"""A market job driven through its phases on a local anvil chain, step by step, for the
explorer's browser tests: no training, just the contract calls the roles would make.

Accounts (anvil's dev accounts): 0 deploys, 1 requests, 2 is the honest worker, 3 the
over-claimer (its URI carries a script tag), 4 commits and never reveals, 5-7 validate.
"""

from __future__ import annotations

from pathlib import Path

from offchain.eth.client import Client, connect
from offchain.eth.commitment import commitment, new_salt
from offchain.eth.deploy import MIN_BOND, deploy_all
from offchain.eth.deployments import Deployment
from offchain.eth.market import MarketClient
from offchain.eth.registry import RegistryClient

ETH = 10**18
REWARD = 2 * ETH
STAKE = ETH // 10
WINDOW_S = 600
BASE, TRAIN, EVAL, SPEC = (bytes([i]) * 32 for i in (1, 2, 3, 4))
HONEST_MODEL, OVERCLAIM_MODEL, SILENT_MODEL = (bytes([i]) * 32 for i in (0xA1, 0xA2, 0xA3))
HONEST_CLAIM, OVERCLAIM, TRUE_OVERCLAIMER = 7000, 9000, 6000
HOSTILE_URI = "http://127.0.0.1:1/sha256/aa<script>window.__xss = 1</script>"
HONEST_URI = 'http://127.0.0.1:1/sha256/bb?<img src=x onerror="window.__xss = 2">'


def warp(client: Client, timestamp: int) -> None:
    """Move anvil's clock to `timestamp` and mine a block there."""
    now = int(client.w3.eth.get_block("latest")["timestamp"])
    if timestamp > now:
        client.w3.provider.make_request("evm_increaseTime", [timestamp - now])  # type: ignore[arg-type]
    client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


class MarketScenario:
    def __init__(self, rpc: str, deployments: Path) -> None:
        self.rpc, self.deployments = rpc, deployments
        self.admin = connect(rpc)
        self.deployment: Deployment = deploy_all(self.admin, deployments)
        self.market = MarketClient(self.admin, self.deployment.contract("TrainingMarket").address)
        self.registry = RegistryClient(self.admin, self.deployment.contract("ModelRegistry").address)
        accounts = [self.admin.with_account(a) for a in self.admin.w3.eth.accounts]
        self.requester, self.honest, self.overclaimer, self.silent = accounts[1:5]
        self.validators = accounts[5:8]
        self.salts: dict[str, bytes] = {}
        self.job_id = 0
        self.deadlines = (0, 0, 0)

    def now(self) -> int:
        return int(self.admin.w3.eth.get_block("latest")["timestamp"])

    def setup(self) -> None:
        """The base model is registered and three validators have bonded."""
        self.registry.register(BASE, None, TRAIN, 5000, "file:///models/base.safetensors")
        for v in self.validators:
            self.market.as_sender(v).join_validators(MIN_BOND)

    def post_job(self) -> int:
        now = self.now()
        self.deadlines = (now + WINDOW_S, now + 2 * WINDOW_S, now + 3 * WINDOW_S)
        self.job_id = self.market.as_sender(self.requester).post_job(
            BASE, TRAIN, EVAL, SPEC, 1000, *self.deadlines, STAKE, REWARD
        )
        return self.job_id

    def post_more_jobs(self, count: int) -> None:
        """`count` more jobs, sent without waiting for each receipt (anvil mines each at once)."""
        now = self.now()
        contract = self.market.contract
        last = b""
        for i in range(count):
            call = contract.functions.postJob(
                BASE, TRAIN, EVAL, SPEC, 1000, now + WINDOW_S + i, now + 2 * WINDOW_S, now + 3 * WINDOW_S, STAKE
            )
            last = call.transact({"from": self.requester.address, "value": ETH // 100, "gas": 500_000})
        self.admin.w3.eth.wait_for_transaction_receipt(last, timeout=60)

    def commit_all(self) -> None:
        for who, model, claim in self._workers():
            salt = new_salt()
            self.salts[who.address] = salt
            sealed = commitment(self.job_id, who.address, model, claim, salt)
            self.market.as_sender(who).commit(self.job_id, sealed, STAKE)

    def reveal(self) -> None:
        """Into the reveal window; the honest worker and the over-claimer reveal."""
        warp(self.admin, self.deadlines[0])
        for who, model, claim in self._workers()[:2]:
            uri = HONEST_URI if who is self.honest else HOSTILE_URI
            self.market.as_sender(who).reveal(self.job_id, model, claim, self.salts[who.address], uri)

    def attest(self) -> None:
        """Into the attest window; every validator measures both revealed submissions."""
        warp(self.admin, self.deadlines[1])
        for offset, v in zip((0, 10, -10), self.validators, strict=True):
            self.market.as_sender(v).attest(self.job_id, self.honest.address, HONEST_CLAIM + offset)
            self.market.as_sender(v).attest(self.job_id, self.overclaimer.address, TRUE_OVERCLAIMER + offset)

    def finalize(self) -> None:
        warp(self.admin, self.deadlines[2])
        self.market.finalize(self.job_id)

    def _workers(self) -> list[tuple[Client, bytes, int]]:
        return [
            (self.honest, HONEST_MODEL, HONEST_CLAIM),
            (self.overclaimer, OVERCLAIM_MODEL, OVERCLAIM),
            (self.silent, SILENT_MODEL, 5000),
        ]
