"""An account page costs what that account did, and a page of the jobs list what it shows, not
what the market did (issue 25).

The account page once decoded every market log and rebuilt the view of every finalized job it
took part in, by reading the whole history; the jobs list decoded every JobPosted, Committed and
Finalized log to show a page of 100: the logs they read must not grow when others post jobs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3
from web3.middleware import Web3Middleware

from offchain.eth.client import Client, in_process
from offchain.eth.commitment import evaluation_seal
from offchain.eth.deploy import deploy_all
from offchain.eth.job_terms import JobTerms
from offchain.eth.market import MarketClient
from offchain.eth.registry import RegistryClient
from offchain.explorer.market_view import MarketView

ETH = 10**18
WINDOW_S = 60
BASE = bytes([1]) * 32
CROWD_JOBS = 4  # jobs other accounts post between the two measurements


class LogCounter(Web3Middleware):
    """Counts the logs eth_getLogs answers carry (what the page reads and decodes)."""

    seen = 0

    def wrap_make_request(self, make_request: Callable[..., Any]) -> Callable[..., Any]:
        def middleware(method: Any, params: Any) -> Any:
            answer = make_request(method, params)
            if method == "eth_getLogs" and isinstance(answer.get("result"), list):
                LogCounter.seen += len(answer["result"])
            return answer

        return middleware


def _post(market: MarketClient, client: Client, deadlines_from: int) -> int:
    now = int(client.w3.eth.get_block("latest")["timestamp"]) + deadlines_from
    deadlines = (now + 2 * WINDOW_S, now + 3 * WINDOW_S, now + 4 * WINDOW_S, now + 5 * WINDOW_S)
    seal = evaluation_seal(bytes([2]) * 32, bytes([3]) * 32)
    terms = JobTerms(
        base_model=BASE, training_set=bytes([4]) * 32, evaluation_seal=seal, spec=bytes([5]) * 32, min_score_bps=0,
        deadlines=deadlines, min_stake=ETH // 10, committee_size=3, reward=ETH,
    )  # fmt: skip
    return market.post_job(terms)


def _logs_read(view: MarketView, address: str) -> tuple[int, Any]:
    LogCounter.seen = 0
    page = view.account(address)
    return LogCounter.seen, page


@pytest.fixture
def client() -> Client:
    return in_process()


def test_an_account_page_reads_no_more_logs_when_other_accounts_post_jobs(client: Client, tmp_path: Path) -> None:
    deployment = deploy_all(client, tmp_path, min_window=WINDOW_S, ledger_chain=None)
    RegistryClient(client, deployment.contract("ModelRegistry").address).register(BASE, None, bytes(32), 0, "x")
    market = MarketClient.of(client, deployment)
    accounts = client.w3.eth.accounts
    probe, crowd = (
        market.as_sender(client.with_account(accounts[2])),
        market.as_sender(client.with_account(accounts[1])),
    )
    settled = _post(probe, client, 0)  # finalized with nobody committed: its refund is a settlement row
    probe.cancel_job(_post(probe, client, 0))
    for _ in range(CROWD_JOBS):
        _post(crowd, client, 10 * WINDOW_S)
    client.w3.testing.timeTravel(int(client.w3.eth.get_block("latest")["timestamp"]) + 6 * WINDOW_S)
    client.w3.testing.mine(1)
    market.finalize(settled)
    client.w3.middleware_onion.add(LogCounter, name="count-logs")
    view = MarketView(client, market.address, market.lens_address, deployment.contract("TrainingMarket").block)

    before, page = _logs_read(view, Web3.to_checksum_address(accounts[2]))
    for _ in range(CROWD_JOBS):
        _post(crowd, client, 10 * WINDOW_S)
    after, again = _logs_read(view, Web3.to_checksum_address(accounts[2]))

    assert [r.what for r in page.history] == ["reward and deposit escrowed"] * 2 + ["refund"] * 2
    assert again.history == page.history
    assert after == before, f"the page read {before} logs, then {after} after {CROWD_JOBS} more jobs of others"


def test_a_page_of_the_jobs_list_reads_no_more_logs_when_more_jobs_are_posted(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("offchain.explorer.market_view.MAX_LIST", 2)
    deployment = deploy_all(client, tmp_path, min_window=WINDOW_S, ledger_chain=None)
    RegistryClient(client, deployment.contract("ModelRegistry").address).register(BASE, None, bytes(32), 0, "x")
    market = MarketClient.of(client, deployment)
    for _ in range(3):
        _post(market, client, 0)
    client.w3.middleware_onion.add(LogCounter, name="count-logs")
    view = MarketView(client, market.address, market.lens_address, deployment.contract("TrainingMarket").block)
    now = view.now()

    LogCounter.seen = 0
    rows, total = view.jobs(now)
    before = LogCounter.seen
    for _ in range(CROWD_JOBS):
        _post(market, client, 0)
    LogCounter.seen = 0
    later, later_total = view.jobs(now, page=1)

    assert ([r.job_id for r in rows], total) == ([3, 2], 3)
    assert ([r.job_id for r in later], later_total) == ([5, 4], 3 + CROWD_JOBS)
    assert LogCounter.seen == before, f"a page read {before} logs, then {LogCounter.seen} with {CROWD_JOBS} more jobs"


class RequestCounter(Web3Middleware):
    """Counts the requests a page makes, by method (the in-process tester has no batches:
    every call goes through web3's middlewares)."""

    seen: dict[str, int] = {}

    def wrap_make_request(self, make_request: Callable[..., Any]) -> Callable[..., Any]:
        def middleware(method: Any, params: Any) -> Any:
            RequestCounter.seen[method] = RequestCounter.seen.get(method, 0) + 1
            return make_request(method, params)

        return middleware


def test_a_page_of_the_validators_reads_the_chain_for_its_own_members_only(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With 1,000 validators the page read each one's bond and credit: 2,000 calls, 12 s; then
    # every ValidatorJoined log for the leaves' owners: 0.8 s.
    monkeypatch.setattr("offchain.explorer.market_view.VALIDATORS_PER_PAGE", 2, raising=False)
    deployment = deploy_all(client, tmp_path, min_window=WINDOW_S, ledger_chain=None)
    market = MarketClient.of(client, deployment)
    members = client.w3.eth.accounts[1:6]
    for member in members:
        market.as_sender(client.with_account(member)).join_validators(ETH)
    client.w3.middleware_onion.add(RequestCounter, name="count-requests")
    view = MarketView(client, market.address, market.lens_address, deployment.contract("TrainingMarket").block)
    seen = RequestCounter.seen = {}

    rows, total = view.validators(page=0)
    first = dict(seen)
    seen.clear()
    again, _ = view.validators(page=0)
    last, _ = view.validators(page=2)

    assert ([r.leaf for r in rows], total) == ([0, 1], 5)
    assert [r.address for r in rows + last] == [members[0], members[1], members[4]]
    assert again == rows
    assert "eth_getLogs" not in first and "eth_getLogs" not in seen
    # Each row: its leaf's owner, the owner's record and credit. The count of leaves: doubling
    # from 0 to a free leaf (0, 1, 2, 4, 8), then halving (6, 5): 7 calls, and 1 once known.
    assert first["eth_call"] <= 3 * 2 + 7, f"a page of 2 validators made {first['eth_call']} calls"
    assert seen["eth_call"] == (1 + 3 * 2) + (1 + 3 * 1)


def test_a_page_of_the_accounts_list_names_its_jobs_accounts_and_reads_no_more_when_more_jobs_are_posted(
    client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The list named every account of every market log: 6.8 s at 10,000 jobs (issue 25).
    monkeypatch.setattr("offchain.explorer.market_view.MAX_LIST", 2)
    deployment = deploy_all(client, tmp_path, min_window=WINDOW_S, ledger_chain=None)
    RegistryClient(client, deployment.contract("ModelRegistry").address).register(BASE, None, bytes(32), 0, "x")
    market = MarketClient.of(client, deployment)
    accounts = [Web3.to_checksum_address(a) for a in client.w3.eth.accounts[1:5]]
    requesters = [market.as_sender(client.with_account(a)) for a in accounts]
    for requester in requesters[:3]:
        _post(requester, client, 0)  # jobs 1, 2 and 3
    client.w3.middleware_onion.add(LogCounter, name="count-logs")
    view = MarketView(client, market.address, market.lens_address, deployment.contract("TrainingMarket").block)

    LogCounter.seen = 0
    first, total = view.accounts()
    before = LogCounter.seen
    second, _ = view.accounts(page=1)
    for _ in range(CROWD_JOBS):
        _post(requesters[3], client, 0)
    LogCounter.seen = 0
    again, later_total = view.accounts(page=2)  # jobs 3 and 2 again, now two pages down

    assert (first, total) == ([accounts[2], accounts[1]], 3)  # the newest jobs' accounts first
    assert second == [accounts[0]]
    assert (again, later_total) == (first, 3 + CROWD_JOBS)
    assert LogCounter.seen == before, f"a page read {before} logs, then {LogCounter.seen} with {CROWD_JOBS} more jobs"
