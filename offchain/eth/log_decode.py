"""Decoding a contract's logs with eth_abi directly: web3's `process_log` spends about a
millisecond a log in its generic formatters, which made a page of 100 jobs cost more than its
300 ms budget (issue 25). The answer has the shape of web3's EventData (event, args,
blockNumber, logIndex, transactionHash), addresses checksummed as web3 gives them, so
offchain.eth.market_events.to_event reads either; tests compare the two on every event kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi import decode
from eth_utils import event_abi_to_log_topic, to_checksum_address


@dataclass(frozen=True)
class _Event:
    name: str
    inputs: tuple[tuple[str, str, bool], ...]  # (name, type, indexed), in declaration order
    data_types: tuple[str, ...]  # the types of the non-indexed inputs, in order


class LogDecoder:
    """Decodes the logs of the events in `abi` (a contract's ABI)."""

    def __init__(self, abi: Sequence[dict[str, Any]]) -> None:
        self._events: dict[bytes, _Event] = {}
        self._topics: dict[str, bytes] = {}
        for item in abi:
            if item.get("type") != "event" or item.get("anonymous"):
                continue
            inputs = tuple((i["name"], i["type"], bool(i["indexed"])) for i in item["inputs"])
            data_types = tuple(t for _, t, indexed in inputs if not indexed)
            topic = bytes(event_abi_to_log_topic(item))  # type: ignore[arg-type]
            self._events[topic] = _Event(item["name"], inputs, data_types)
            self._topics[item["name"]] = topic

    def topic_of(self, name: str) -> bytes:
        """The topic0 of the event `name` (KeyError for an event not in the ABI)."""
        return self._topics[name]

    def name_of(self, log: Any) -> str | None:
        """The event's name, or None for an event not in the ABI."""
        event = self._events.get(bytes(log["topics"][0])) if log["topics"] else None
        return event.name if event else None

    def decode(self, log: Any) -> dict[str, Any]:
        """`log` (web3's form, or JSON-RPC's hex strings) as web3's EventData."""
        event = self._events[_bytes(log["topics"][0])]
        values = iter(decode(list(event.data_types), _bytes(log["data"])))
        topics = iter(log["topics"][1:])
        args: dict[str, Any] = {}
        for name, kind, indexed in event.inputs:
            # Indexed value types sit whole in a topic (dynamic ones would be hashes: none here).
            value = decode([kind], _bytes(next(topics)))[0] if indexed else next(values)
            args[name] = _checksummed(kind, value)
        return {
            "event": event.name,
            "args": args,
            "blockNumber": _int(log["blockNumber"]),
            "logIndex": _int(log["logIndex"]),
            "transactionHash": _bytes(log["transactionHash"]),
        }


def _checksummed(kind: str, value: Any) -> Any:
    if kind == "address":
        return _checksum(value)
    if kind.startswith("address["):
        return [_checksum(v) for v in value]
    return list(value) if kind.endswith("]") else value


def _bytes(value: Any) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


@lru_cache(maxsize=4096)  # a page names the same few accounts many times; each costs a keccak
def _checksum(address: str) -> str:
    return str(to_checksum_address(address))
