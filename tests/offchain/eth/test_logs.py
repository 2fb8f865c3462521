"""Chunked log reads: every log of a range arrives once, in order, whatever the provider's cap."""

from __future__ import annotations

import pytest

from offchain.eth.logs import LogRangeError, is_range_refusal, read_chunked


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
