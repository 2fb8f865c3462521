"""One line for each web3 failure a user can act on, instead of a traceback.

`describe(exc)` is the single translation table: the client raises typed EthErrors with
these messages where it knows the context (contract, address, account), and the command
line uses it as a safety net for anything that still escapes.
"""

from __future__ import annotations

from typing import Any

from web3.exceptions import BadFunctionCallOutput, ContractLogicError, Web3RPCError

from offchain.eth.build import decode_revert

INSUFFICIENT_FUNDS = -32003  # JSON-RPC code geth and anvil use for "insufficient funds"


def rpc_error_code(exc: BaseException) -> int | None:
    """The JSON-RPC error code of a Web3RPCError, if it carries one."""
    response: Any = getattr(exc, "rpc_response", None)
    error = response.get("error") if isinstance(response, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), int):
        return int(error["code"])
    return None


OUT_OF_GAS_WORDS = ("out of gas", "gas required exceeds", "exceeds block gas limit", "outofgas")


def is_out_of_gas(exc: BaseException) -> bool:
    """A transaction that needs more gas than it may have (a block's limit, or its allowance):
    nodes sometimes report it in words about funds, so it is told apart first."""
    return isinstance(exc, Web3RPCError) and any(word in str(exc).lower() for word in OUT_OF_GAS_WORDS)


def is_insufficient_funds(exc: BaseException) -> bool:
    return (
        isinstance(exc, Web3RPCError)
        and not is_out_of_gas(exc)
        and (rpc_error_code(exc) == INSUFFICIENT_FUNDS or "insufficient funds" in str(exc).lower())
    )


def stale_deployment_message(address: str, chain_id: int | str) -> str:
    return (
        f"no contract at {address} on chain {chain_id}: was the chain restarted? "
        "deploy again: brownie run scripts/deploy.py"  # not `make demo`: it deploys on an anvil of its own
    )


def describe(exc: BaseException) -> str | None:
    """A one-line message for `exc`, or None when it is not a failure the user can fix."""
    if isinstance(exc, ContractLogicError):
        return f"contract call reverted: {decode_revert(_data(exc))}"
    if isinstance(exc, BadFunctionCallOutput):
        return "a contract call returned no data: was the chain restarted? run the deploy"
    if is_out_of_gas(exc):
        return "out of gas: the transaction needs more gas than a block (or its allowance) holds"
    if is_insufficient_funds(exc):
        return "insufficient funds for the value plus gas: fund the account or lower the amount"
    return None


def _data(exc: BaseException) -> str | bytes | None:
    data = getattr(exc, "data", None)
    return data if isinstance(data, str | bytes) else None
