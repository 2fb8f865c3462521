"""What a reverted call or transaction carries: the exception types web3 and eth-tester raise
for a revert, and the raw revert data inside them (offchain.eth.build.decode_revert names it).

Shared by Client.transact and the decoding reads (offchain.eth.reads), so neither imports the other.
"""

from __future__ import annotations

import ast
import sys

from web3.exceptions import ContractCustomError, ContractLogicError


def revert_errors() -> tuple[type[Exception], ...]:
    """The exception types a revert arrives as. eth-tester's own (the in-process EVM raises it
    with the raw data) counts only once eth-tester is loaded: importing it pulls in py-evm, half
    a second of every CLI's start, and only `in_process()` (which loads it) can raise it."""
    tester = sys.modules.get("eth_tester.exceptions")
    if tester is None:
        return _WEB3_REVERTS
    return (*_WEB3_REVERTS, tester.TransactionFailed)


_WEB3_REVERTS: tuple[type[Exception], ...] = (ContractCustomError, ContractLogicError)


def revert_data(exc: Exception) -> str | bytes | None:
    data = getattr(exc, "data", None)
    if data is None and exc.args:
        data = _tester_revert_bytes(str(exc.args[0]))
    if isinstance(data, str | bytes) or data is None:
        return data
    return str(data)


def _tester_revert_bytes(message: str) -> bytes | None:
    # web3's eth-tester provider reports custom-error data as the repr of a bytes object.
    prefix = "execution reverted: "
    if not message.startswith(prefix + "b"):
        return None
    try:
        value = ast.literal_eval(message[len(prefix) :])
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, bytes) else None
