"""Chunked log reads: every log of a range arrives once, in order, whatever the provider's cap."""

from __future__ import annotations

from typing import Any

import pytest

from offchain.eth.errors import RPCRateLimitedError
from offchain.eth.logs import LogFilter, LogRangeError, is_range_refusal, read_chunked, read_logs
from offchain.eth.polling import with_retries


class Capped:
    """A provider holding one log per listed block, refusing ranges over `max_range` blocks
    or answers over `max_results` logs."""

    def __init__(self, blocks: list[int], max_range: int, max_results: int = 10_000) -> None:
        self.blocks, self.max_range, self.max_results = blocks, max_range, max_results
        self.calls = 0

    def __call__(self, start: int, end: int) -> list[int]:
        self.calls += 1
        if end - start + 1 > self.max_range:
            raise ValueError({"code": -32005, "message": f"query exceeds max block range {self.max_range}"})
        found = [b for b in self.blocks if start <= b <= end]
        if len(found) > self.max_results:
            raise ValueError({"code": -32005, "message": f"query returned more than {self.max_results} results"})
        return found


@pytest.mark.parametrize("max_range", [1, 7, 1_000, 5_000, 100_000])
def test_every_log_arrives_once_in_order_under_a_range_cap(max_range: int) -> None:
    blocks = list(range(0, 20_000, 13))
    provider = Capped(blocks, max_range)

    assert read_chunked(provider, 0, 19_999) == blocks


def test_a_dense_stretch_is_split_until_the_result_cap_holds() -> None:
    blocks = sorted([*range(500, 530), *range(0, 20_000, 1_000)])  # 30 logs in 30 blocks
    provider = Capped(blocks, max_range=10_000, max_results=4)

    assert read_chunked(provider, 0, 19_999) == blocks


def test_a_sparse_history_costs_few_requests_after_a_refusal() -> None:
    provider = Capped([5, 19_000], max_range=1_000)

    assert read_chunked(provider, 0, 19_999) == [5, 19_000]
    assert provider.calls < 60  # 20 windows of 1,000 blocks, plus the halvings to find the cap


def test_a_single_block_over_the_result_cap_is_one_clear_error() -> None:
    provider = Capped([7, 7, 7], max_range=10, max_results=2)

    with pytest.raises(LogRangeError, match="block 7"):
        read_chunked(provider, 0, 9)


def test_other_errors_are_not_mistaken_for_a_range_refusal() -> None:
    def broken(start: int, end: int) -> list[int]:
        raise ConnectionError("connection refused")

    assert not is_range_refusal(ConnectionError("connection refused"))
    with pytest.raises(ConnectionError):
        read_chunked(broken, 0, 10)


@pytest.mark.parametrize(
    "message",
    [
        "query exceeds max block range 1000",
        "query returned more than 10000 results",
        "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range",
        "eth_getLogs is limited to a 10,000 range",
        "block range is too wide",
        "Exceeded maximum block range: 800",
    ],
)
def test_the_common_providers_refusals_are_recognised(message: str) -> None:
    assert is_range_refusal(ValueError({"code": -32005, "message": message}))


@pytest.mark.parametrize(
    "message",
    [
        "project ID request rate exceeded",  # Infura, code -32005 like its result cap
        "daily request count exceeded, request rate limited",
        "Too Many Requests",
        "Your app has exceeded its compute units per second capacity",  # Alchemy, code 429
    ],
)
def test_a_rate_limit_is_not_read_as_a_refusal_nor_halved_into_more_requests(message: str) -> None:
    calls = []

    def limited(start: int, end: int) -> list[int]:
        calls.append((start, end))
        raise ValueError({"code": -32005, "message": message})

    assert not is_range_refusal(ValueError({"code": -32005, "message": message}))
    with pytest.raises(RPCRateLimitedError, match="rate"):
        read_chunked(limited, 0, 9_999)
    assert len(calls) == 1  # halving a rate-limited range would multiply the requests


def test_a_rate_limited_read_is_retried_after_a_pause() -> None:
    answers: list[Any] = [ValueError({"code": -32005, "message": "project ID request rate exceeded"}), [3]]

    def once_limited(start: int, end: int) -> list[int]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert with_retries(lambda: read_chunked(once_limited, 0, 9), "logs", first_delay_s=0.01) == [3]


# ----- one block over a result cap: narrower filters (per event, then per contract) --------
A, B = "0x" + "aa" * 20, "0x" + "bb" * 20
T1, T2, T3 = ("0x" + byte * 32 for byte in ("a1", "b2", "c3"))


class Node:
    """A provider of `logs` (address, topic0) in one block, refusing an answer over
    `max_results` logs with Infura's message; `queries` records every filter asked."""

    def __init__(self, logs: list[tuple[str, str]], max_results: int) -> None:
        self.logs = [{"address": a, "topics": [t], "blockNumber": 9, "logIndex": i} for i, (a, t) in enumerate(logs)]
        self.max_results = max_results
        self.queries: list[dict[str, Any]] = []

    def __call__(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        self.queries.append(query)
        addresses = query["address"] if isinstance(query["address"], list) else [query["address"]]
        first = (query.get("topics") or [None])[0]
        options = first if isinstance(first, list) else [first]
        found = [
            log
            for log in self.logs
            if query["fromBlock"] <= log["blockNumber"] <= query["toBlock"]
            and log["address"] in addresses
            and (first is None or log["topics"][0] in options)
        ]
        if len(found) > self.max_results:
            raise ValueError({"code": -32005, "message": f"query returned more than {self.max_results} results"})
        return found


def positions(logs: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(log["blockNumber"], log["logIndex"]) for log in logs]


def test_a_dense_block_is_read_per_event_when_each_event_fits() -> None:
    node = Node([(A, T1), (A, T2), (A, T1), (A, T3), (A, T2), (A, T2)], max_results=3)

    logs = read_logs(node, LogFilter(A, [[T1, T2, T3]]), 0, 20)

    assert positions(logs) == [(9, i) for i in range(6)]  # every log, in order, once
    assert len(node.queries) <= 20 + 3  # the range halvings, then one query per event


def test_a_filter_on_any_event_is_split_over_the_events_it_names() -> None:
    node = Node([(A, T1), (A, T2), (A, T1), (A, T2)], max_results=2)

    logs = read_logs(node, LogFilter(A), 9, 9, events=(T1, T2))

    assert positions(logs) == [(9, i) for i in range(4)]


def test_an_event_still_over_the_cap_is_split_per_contract() -> None:
    node = Node([(A, T1), (B, T1), (A, T1), (B, T1), (A, T2)], max_results=2)

    logs = read_logs(node, LogFilter([A, B]), 9, 9, events=(T1, T2))

    assert positions(logs) == [(9, i) for i in range(5)]
    per_contract = [(q["address"], q["topics"][0]) for q in node.queries if isinstance(q["address"], str)]
    assert per_contract == [(A, T1), (B, T1)]  # only the event still over the cap


def test_one_event_of_one_contract_over_the_cap_names_the_block_filter_and_cap() -> None:
    node = Node([(A, T1), (A, T1), (A, T1), (B, T2)], max_results=2)

    with pytest.raises(LogRangeError) as raised:
        read_logs(node, LogFilter([A, B]), 0, 20, events=(T1, T2))

    message = str(raised.value)
    assert "block 9" in message and A in message and T1 in message
    assert "more than 2 results" in message


def test_without_the_events_a_filter_on_any_event_is_split_per_contract_only() -> None:
    node = Node([(A, T1), (A, T2), (B, T1)], max_results=2)

    assert positions(read_logs(node, LogFilter([A, B]), 9, 9)) == [(9, 0), (9, 1), (9, 2)]
    with pytest.raises(LogRangeError, match="block 9"):
        read_logs(Node([(A, T1), (A, T2), (A, T3)], max_results=2), LogFilter(A), 9, 9)


def test_the_same_event_named_twice_is_asked_once() -> None:
    node = Node([(A, T1), (A, T1), (A, T2)], max_results=2)

    logs = read_logs(node, LogFilter(A, [[T1, T2, "0x" + T1[2:].upper()]]), 9, 9)

    assert positions(logs) == [(9, 0), (9, 1), (9, 2)]  # no log twice
