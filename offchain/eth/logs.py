"""Event logs read the way public JSON-RPC providers allow: in bounded block ranges.

Providers cap `eth_getLogs` by block range (1,000 to 10,000 blocks) or by result count
(10,000 logs), each with its own message. `read_chunked` walks [from_block, to_block] in
ranges of at most `max_range` blocks; a range the provider refuses with one of the messages
below is halved and tried again, down to a single block, so a dense stretch of history
costs more requests instead of failing. The range grows back after each success.

A single block can still hold more logs than a result cap (a finalize of a large committee
emits one log a seat): `read_logs` then asks for that block with narrower filters, one event
(topic0) at a time, then one contract at a time, and merges the answers in (block, logIndex)
order. The filters it splits into are disjoint, so no log arrives twice. One event of one
contract in one block over the cap is the provider's hard limit: LogRangeError names the
block, the filter and the provider's answer (raise the cap, or use another provider).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from eth_abi import encode
from eth_utils import event_abi_to_log_topic
from web3 import Web3

from offchain.eth.errors import EthError, RPCRateLimitedError

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
# A rate limit shares Infura's code -32005 with its result cap and "too many" with others'
# caps: it is read first, and never halved (a narrower range is more requests, not fewer).
RATE_LIMITS = ("rate exceeded", "rate limit", "too many requests", "request count", "per second capacity")
COUNT_REFUSALS = ("more than", "max results", "too many", "response size", "query timeout", "-32005")


class LogRangeError(EthError):
    """The provider refuses even a single block's logs for the narrowest filter."""


@dataclass(frozen=True)
class LogFilter:
    """An eth_getLogs filter less its block range: one contract address or several, and the
    topics (each position None for any, one topic, or a list of options)."""

    address: str | list[str]
    topics: list[Any] = field(default_factory=list)

    def query(self, start: int, end: int) -> dict[str, Any]:
        """The eth_getLogs parameters for blocks [start, end]."""
        return {
            "address": self.address,
            **({"topics": self.topics} if self.topics else {}),
            "fromBlock": start,
            "toBlock": end,
        }

    def per_event(self, events: Sequence[str]) -> list[LogFilter]:
        """One filter per topic0 this one allows (its options, or `events` when it allows any),
        each option once; [] when that is not narrower."""
        first = self.topics[0] if self.topics else None
        options = first if isinstance(first, list) else list(events) if first is None else []
        unique = list(dict.fromkeys(str(option).lower() for option in options))
        return [LogFilter(self.address, [topic, *self.topics[1:]]) for topic in unique] if len(unique) > 1 else []

    def per_address(self) -> list[LogFilter]:
        """One filter per contract, each once; [] for a single contract."""
        spelled: dict[str, str] = {}  # each contract once, as the caller spelled it first
        for address in self.address if isinstance(self.address, list) else []:
            spelled.setdefault(address.lower(), address)
        return [LogFilter(a, self.topics) for a in spelled.values()] if len(spelled) > 1 else []

    def __str__(self) -> str:
        return f"address {self.address} topics {self.topics or 'any'}"


def _refusal(exc: BaseException) -> str | None:
    """ "range" or "count" for a provider's refusal of a log query, None for any other error."""
    text = str(exc).lower()
    if any(piece in text for piece in RATE_LIMITS):
        return None
    if any(piece in text for piece in RANGE_REFUSALS):
        return "range"
    if any(piece in text for piece in COUNT_REFUSALS):
        return "count"
    return None


def _raise_rate_limit(exc: BaseException) -> None:
    """RPCRateLimitedError (transient: `with_retries` pauses and asks again) for a rate limit."""
    if any(piece in str(exc).lower() for piece in RATE_LIMITS):
        raise RPCRateLimitedError(f"the provider limits the request rate: {exc}") from exc


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
        except LogRangeError:
            raise  # already the narrowest question
        except Exception as exc:  # web3 raises several types for the same refusal
            refusal = _refusal(exc)
            if refusal is None:
                _raise_rate_limit(exc)
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


def read_logs(
    get_logs: Callable[[dict[str, Any]], Sequence[T]],
    where: LogFilter,
    from_block: int,
    to_block: int,
    events: Sequence[str] = (),
    max_range: int = MAX_RANGE_BLOCKS,
) -> list[T]:
    """The logs matching `where` over [from_block, to_block] in (block, logIndex) order:
    `get_logs(eth_getLogs parameters)` asked in ranges the provider accepts, and a block it
    refuses whole asked again per event and per contract. `events`: every topic0 the
    contracts can emit (their ABIs), to split a filter that allows any event; without them
    such a filter is split per contract only."""

    def fetch(start: int, end: int) -> list[T]:
        try:
            return list(get_logs(where.query(start, end)))
        except Exception as exc:  # web3 raises several types for the same refusal
            if start != end or _refusal(exc) is None:
                raise  # a range: read_chunked halves it; another error: the caller's
            return _one_block(get_logs, where, start, events, exc)

    return read_chunked(fetch, from_block, to_block, max_range)


def _one_block(
    get_logs: Callable[[dict[str, Any]], Sequence[T]],
    where: LogFilter,
    block: int,
    events: Sequence[str],
    refused: BaseException,
) -> list[T]:
    """Block `block`'s logs of `where`, refused whole, read per event then per contract: at
    most two levels down (a filter split per event is split per contract next, and a filter
    on one event of one contract is not split), so at most len(events) x len(addresses) asks."""
    parts = where.per_event(events) or where.per_address()
    if not parts:
        raise LogRangeError(
            f"the provider refuses the logs of block {block} for {where}, the narrowest filter "
            f"(its answer: {refused}): that is its hard cap on one query's results; "
            "use a provider or a plan with a higher cap"
        ) from None
    found: list[T] = []
    for part in parts:
        try:
            found += get_logs(part.query(block, block))
        except Exception as exc:
            if _refusal(exc) is None:
                raise
            found += _one_block(get_logs, part, block, events, exc)
    return sorted(found, key=_position)  # the parts are disjoint: each log once


def _position(log: Any) -> tuple[int, int]:
    return _int(log["blockNumber"]), _int(log["logIndex"])


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def event_topics(abi: Sequence[Mapping[str, Any]]) -> list[str]:
    """The topic0 (hex) of every non-anonymous event in `abi`."""
    events = [item for item in abi if item.get("type") == "event" and not item.get("anonymous")]
    return ["0x" + bytes(event_abi_to_log_topic(dict(item))).hex() for item in events]  # type: ignore[arg-type]


def contract_events(event: Any, from_block: int, to_block: int | str, **filters: Any) -> list[Any]:
    """A web3 contract event's decoded logs over a block range of any length; `filters` give
    values of its indexed arguments."""
    w3 = event.w3
    where = LogFilter(event.address, [event_topics([event.abi])[0], *_indexed_topics(event.abi, filters)])
    logs = read_logs(w3.eth.get_logs, where, from_block, resolve_block(w3, to_block))
    return [event.process_log(log) for log in logs]


def _indexed_topics(abi: Mapping[str, Any], filters: Mapping[str, Any]) -> list[str | None]:
    """The topics after topic0 that select `filters` (indexed value-type arguments by name)."""
    indexed = [(i["name"], i["type"]) for i in abi["inputs"] if i["indexed"]]
    unknown = sorted(set(filters) - {name for name, _ in indexed})
    if unknown:
        raise EthError(f"{abi['name']} has no indexed argument {unknown}; indexed: {[n for n, _ in indexed]}")
    topics = ["0x" + encode([kind], [filters[name]]).hex() if name in filters else None for name, kind in indexed]
    while topics and topics[-1] is None:
        topics.pop()
    return topics
