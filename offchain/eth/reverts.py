"""What a reverted call or transaction carries: the exception types web3 and eth-tester raise
for a revert, and the raw revert data inside them (offchain.eth.build.decode_revert names it).

Shared by Client.transact and the decoding reads (offchain.eth.reads), so neither imports the other.
"""

from __future__ import annotations

import ast

from web3.exceptions import ContractCustomError, ContractLogicError


def _tester_failure() -> tuple[type[Exception], ...]:
    try:  # eth-tester (the in-process EVM) raises its own exception with the raw data
        from eth_tester.exceptions import TransactionFailed
    except ImportError:
        return ()
    return (TransactionFailed,)


REVERT_ERRORS: tuple[type[Exception], ...] = (ContractCustomError, ContractLogicError, *_tester_failure())


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
