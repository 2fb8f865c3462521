"""Many view calls of one contract in one JSON-RPC batch, encoded and decoded with eth_abi.

web3's contract call spends about 2 ms of Python a call (its formatters and middlewares), so
the explorer's page of 50 validators, three reads each, took 300 ms of a 300 ms budget (issue
25). Here a call is a selector and eth_abi's encoding, sent in one batch straight to the
provider (none of the middlewares answers an eth_call). A provider without batches (web3's
in-process tester, whose calls need its own defaults) gets web3's calls one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eth_abi import decode, encode
from eth_utils.abi import function_abi_to_4byte_selector, get_abi_input_types, get_abi_output_types
from web3.contract import Contract

from offchain.eth.errors import EthError


def call_many(contract: Contract, calls: Sequence[tuple[str, tuple[Any, ...]]]) -> list[Any]:
    """What each (function name, arguments) of `calls` returns at the latest block (one value,
    or the tuple of several), in order; EthError names the first call that failed."""
    provider: Any = contract.w3.provider
    if not calls:
        return []
    if not hasattr(provider, "make_batch_request"):
        return [getattr(contract.functions, name)(*args).call() for name, args in calls]
    abi: list[Any] = list(contract.abi)
    functions = {item["name"]: item for item in abi if item.get("type") == "function"}
    requests: list[tuple[Any, Any]] = []
    for name, args in calls:
        data = function_abi_to_4byte_selector(functions[name]) + encode(get_abi_input_types(functions[name]), args)
        requests.append(("eth_call", [{"to": contract.address, "data": "0x" + data.hex()}, "latest"]))
    answers: Any = provider.make_batch_request(requests)
    if not isinstance(answers, list):  # the node refused the whole batch
        raise EthError(f"the node refused a batch of {len(requests)} calls: {answers.get('error', answers)}")
    out = []
    for (name, args), answer in zip(calls, answers, strict=True):
        if "error" in answer:
            raise EthError(f"{name}{args} failed: {answer['error']}")
        values = decode(get_abi_output_types(functions[name]), bytes.fromhex(str(answer["result"])[2:]))
        out.append(values[0] if len(values) == 1 else values)
    return out
