"""Event logs read the way public JSON-RPC providers allow: in bounded block ranges.

Providers cap `eth_getLogs` by block range (1,000 to 10,000 blocks) or by result count
(10,000 logs), each with its own message. `read_chunked` walks [from_block, to_block] in
ranges of at most `max_range` blocks; a range the provider refuses with one of the messages
below is halved and tried again, down to a single block, so a dense stretch of history
costs more requests instead of failing. The range grows back after each success.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from web3 import Web3

from offchain.eth.errors import EthError

T = TypeVar("T")

MAX_RANGE_BLOCKS = 5_000  # the first try; providers' caps seen: 500 to 10,000 blocks
# Lower-case pieces of the refusals of common providers and nodes (geth, erigon, Infura,
# Alchemy, QuickNode, Ankr, Cloudflare, Chainstack, and 'query exceeds max block range').
# A range cap is the same for every window: the span that passed is kept for the rest of
# the read. A result cap depends on how dense the logs are: the span grows back after it.
RANGE_REFUSALS = (
    "block range",
    "blocks range",
    "range is too wide",
    "range too large",
    "range limit",
    "maximum block",
    "requested blocks",
    "limited to",
)
COUNT_REFUSALS = ("more than", "max results", "too many", "response size", "query timeout", "-32005")


class LogRangeError(EthError):
    """The provider refuses even a single block's logs."""


def _refusal(exc: BaseException) -> str | None:
    """ "range" or "count" for a provider's refusal of a log query, None for any other error."""
    text = str(exc).lower()
    if any(piece in text for piece in RANGE_REFUSALS):
        return "range"
    if any(piece in text for piece in COUNT_REFUSALS):
        return "count"
    return None


def is_range_refusal(exc: BaseException) -> bool:
    """True when `exc` is a provider's 'range too large' or 'too many results' answer."""
    return _refusal(exc) is not None


def resolve_block(w3: Web3, block: int | str) -> int:
    """A block number for `block` ("latest" is the head at the time of the call)."""
    if isinstance(block, int):
        return block
    if block == "latest":
        return int(w3.eth.block_number)
    if block == "earliest":
        return 0
    raise EthError(f"unsupported block tag {block!r} (use a number, 'latest' or 'earliest')")


def read_chunked(
    fetch: Callable[[int, int], Sequence[T]],
    from_block: int,
    to_block: int,
    max_range: int = MAX_RANGE_BLOCKS,
) -> list[T]:
    """Everything `fetch(start, end)` returns over [from_block, to_block], range by range."""
    found: list[T] = []
    ceiling = span = max(1, max_range)
    start = max(0, from_block)
    while start <= to_block:
        end = min(to_block, start + span - 1)
        try:
            found.extend(fetch(start, end))
        except Exception as exc:  # web3 raises several types for the same refusal
            refusal = _refusal(exc)
            if refusal is None:
                raise
            if end == start:
                raise LogRangeError(f"the node refuses the logs of block {start}: {exc}") from None
            span = max(1, (end - start + 1) // 2)
            if refusal == "range":
                ceiling = span  # never ask a wider range again in this read
            continue
        start = end + 1
        span = min(ceiling, span * 2)  # past a dense stretch: fewer requests again
    return found


def contract_events(event: Any, from_block: int, to_block: int | str, **filters: Any) -> list[Any]:
    """A web3 contract event's decoded logs over a block range of any length."""
    w3 = event.w3
    end = resolve_block(w3, to_block)
    return read_chunked(
        lambda start, stop: event.get_logs(from_block=start, to_block=stop, argument_filters=filters or None),
        from_block,
        end,
    )
