"""The requester's Python API: what `offchain job ...` does, for scripts.

    from offchain.api import Market, keystore_account

    market = Market.connect("http://127.0.0.1:8545", account=keystore_account("me.json"))
    job = market.post_job(base="0x…", train="train.npz", evaluation="eval.npz", spec="spec.json",
                          reward="1ether", min_score_bps=6000)
    job.wait_for("revealing")      # commits have closed
    job.reveal_evaluation()        # open the sealed evaluation set
    job.wait_for("finalizable")
    job.finalize()
    print(job.status()["submissions"], market.withdraw())

Each call is the command line's own code (`offchain.roles.requester`): the same checks run
before anything is uploaded or sent, the evaluation set is sealed in the same seal book (so
`offchain requester` or `offchain job reveal-eval` can open it too), and errors are the same
`OffchainError`s with the same one-line messages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from offchain.errors import OffchainError
from offchain.eth.client import connect
from offchain.eth.errors import InvalidInputError
from offchain.eth.keys import LOCAL_CHAIN_IDS, account_from_key, dev_private_key, load_keystore
from offchain.eth.market import Phase
from offchain.eth.networks import resolve
from offchain.roles.jobs_view import job_report, validate_job_id
from offchain.roles.requester import PostedJob, Windows, post_job, reveal_evaluation
from offchain.roles.session import DEFAULT_HOME, Session, session_of
from offchain.roles.steps import withdraw_pending

__all__ = ["Job", "Market", "Phase", "WaitTimeoutError", "Windows", "keystore_account"]

MAX_WAIT_S = 7 * 24 * 3600  # a bound on any wait: the longest window a job can have is far less


class WaitTimeoutError(OffchainError):
    """A job did not reach the phase in the time given."""


def keystore_account(path: str | Path, password: str | None = None) -> LocalAccount:
    """The account of a JSON keystore (password: the argument, $OFFCHAIN_KEYSTORE_PASSWORD or a prompt)."""
    return load_keystore(Path(path), password)


@dataclass(frozen=True)
class Job:
    """One job, read live from the chain on every call."""

    market: Market
    id: int

    def phase(self) -> Phase:
        return self.market.session.market.phase(self.id)

    def status(self) -> dict[str, Any]:
        """The job as `offchain job status ID --json` prints it."""
        return job_report(self.market.session, self.id)

    def wait_for(self, phase: Phase | str, timeout_s: float = 3600.0, poll_s: float = 1.0) -> Phase:
        """Block until the job reaches `phase` or a later one; return the phase it is in.
        A job cancelled on the way raises, as does the timeout (at most a week)."""
        target = Phase[phase.upper()] if isinstance(phase, str) else phase
        deadline = time.monotonic() + min(max(timeout_s, 0.0), MAX_WAIT_S)
        while True:
            now = self.phase()
            if now == target or (now != Phase.CANCELLED and now > target):
                return now
            if now == Phase.CANCELLED:
                raise OffchainError(f"job {self.id} was cancelled before reaching {target.name.lower()}")
            if time.monotonic() >= deadline:
                raise WaitTimeoutError(f"job {self.id} is still {now.name.lower()} after {timeout_s:.0f} s")
            time.sleep(min(max(poll_s, 0.05), 60.0))

    def reveal_evaluation(self, publish: str | None = None) -> bool:
        """Open the sealed evaluation set (publishing it to `publish`, an artifact server).
        False while commits are still open."""
        return reveal_evaluation(self.market.session, self.id, publish)

    def finalize(self) -> dict[str, Any]:
        """Settle the job (anyone may, once it is finalizable); returns the receipt."""
        return dict(self.market.session.market.finalize(self.id))

    def cancel(self) -> dict[str, Any]:
        """Cancel the job while it takes commits and none arrived; the reward becomes withdrawable."""
        return dict(self.market.session.market.cancel_job(self.id))


@dataclass(frozen=True)
class Market:
    """A requester's handle on a deployed market."""

    session: Session

    @classmethod
    def connect(
        cls,
        rpc: str | None = None,
        *,
        network: str | None = None,
        account: LocalAccount | None = None,
        dev_account: int | None = None,
        deployments: str | Path | None = None,
        home: str | Path = DEFAULT_HOME,
        sources: tuple[str, ...] = (),
    ) -> Market:
        """The market deployed on the chain at `rpc` or on the named `network` (default
        $OFFCHAIN_RPC or the local chain), signing as `account` (default $OFFCHAIN_PRIVATE_KEY, else the node's first
        unlocked account) or as the local dev chain's account `dev_account`; `home` keeps the
        seal book and the artifact cache."""
        if rpc and network:
            raise InvalidInputError("rpc or network, not both")
        client = connect(resolve(network) if network else rpc)
        if dev_account is not None:
            if account is not None or client.chain_id not in LOCAL_CHAIN_IDS:
                raise InvalidInputError(f"dev_account: only alone, on a local chain (ids {LOCAL_CHAIN_IDS})")
            account = account_from_key(dev_private_key(dev_account))
        if account is not None:
            client = client.with_account(account)
        return cls(session_of(client, Path(deployments) if deployments else None, Path(home), sources))

    @property
    def address(self) -> str:
        """Who signs: the requester."""
        return self.session.client.address

    def post_job(
        self,
        *,
        base: str,
        train: str | Path,
        evaluation: str | Path,
        spec: str | Path,
        reward: str | int,
        min_score_bps: int,
        min_stake: str | int = "0.1ether",
        windows: Windows = Windows(),
        committee: int = 3,
        publish: str | None = None,
        provenance: str | Path | None = None,
        sealed: bool = False,
    ) -> Job:
        """Check, upload, seal and post a job (amounts as `1ether`, `0.1ether` or int wei);
        `sealed`: its submissions too, the winner's key delivered for the reward (issue 26)."""
        posted: PostedJob = post_job(
            self.session,
            base=base,
            train=Path(train),
            evaluation=Path(evaluation),
            spec=Path(spec),
            reward=reward,
            min_score_bps=min_score_bps,
            min_stake=min_stake,
            windows=windows,
            committee=committee,
            publish=publish,
            provenance=Path(provenance) if provenance else None,
            sealed=sealed,
        )
        return Job(self, posted.job_id)

    def job(self, job_id: int) -> Job:
        """A job already on chain (an unknown id raises)."""
        validate_job_id(self.session, job_id)
        return Job(self, job_id)

    def pending(self) -> int:
        """Wei the market owes this account (refunds, pay, bonds released)."""
        return self.session.market.pending(self.address)

    def withdraw(self) -> int:
        """Pull what the market owes this account; returns the wei withdrawn (0: nothing owed)."""
        return withdraw_pending(self.session)
