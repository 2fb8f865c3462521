"""Connection to a chain and sending of transactions.

`connect(url)` talks to any JSON-RPC node (anvil, a testnet, mainnet); `in_process()`
runs an EVM inside this process (eth-tester with py-evm), which the tests use. Either way,
`Client.transact` estimates gas first so that a revert is reported with the contract's
decoded custom error instead of a failed transaction, then sends (signing locally when
the client holds a key, else through the node's unlocked account) and waits for the
receipt.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3Exception, Web3RPCError
from web3.types import TxReceipt

from offchain.eth.build import decode_revert, load_artifact
from offchain.eth.errors import CallRevertedError, EthError, InvalidInputError, RPCUnavailableError, TransactionError
from offchain.eth.failures import is_insufficient_funds, is_out_of_gas
from offchain.eth.inclusion import DELAYS
from offchain.eth.keys import KEY_ENV, account_from_key
from offchain.eth.reads import DecodingContract
from offchain.eth.reverts import revert_data, revert_errors
from offchain.eth.sender import FeePolicy, send_signed
from offchain.eth.values import parse_address

DEFAULT_RPC = "http://127.0.0.1:8545"
RPC_TIMEOUT_S = 10
RECEIPT_TIMEOUT_S = 120
GAS_MARGIN = 1.25  # estimates can fall short when state moves between estimate and mining


def default_rpc() -> str:
    return os.environ.get("OFFCHAIN_RPC", DEFAULT_RPC)


@dataclass
class Client:
    """A web3 connection plus the account that sends transactions."""

    w3: Web3
    address: str
    account: LocalAccount | None = None  # None: the node signs for an unlocked account
    fees: FeePolicy = field(default_factory=FeePolicy)  # pricing and replacement of signed transactions
    libraries: dict[str, str] = field(default_factory=dict)  # linked libraries this client deployed: name -> address

    @property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    def contract(self, name: str, address: str) -> Contract:
        """A handle on deployed contract `name` at `address`, with the built ABI."""
        return self.w3.eth.contract(  # type: ignore[call-overload,no-any-return]
            address=parse_address(address), abi=load_artifact(name).abi, ContractFactoryClass=DecodingContract
        )

    def with_account(self, address_or_account: str | LocalAccount) -> Client:
        """The same connection sending from another account."""
        if isinstance(address_or_account, str):
            return Client(self.w3, parse_address(address_or_account), fees=self.fees)
        return Client(self.w3, address_or_account.address, address_or_account, self.fees)

    def balance(self, address: str | None = None) -> int:
        return int(self.w3.eth.get_balance(parse_address(address or self.address)))

    def transact(self, call: Any, value: int = 0, gas: int | None = None, estimate_on: str = "latest") -> TxReceipt:
        """Send contract call `call` (e.g. `c.functions.f(x)`) and return the mined receipt; its
        gas is estimated on block `estimate_on` ("pending" for a call that must run in a later
        block than the latest, as the committee draw's second call)."""
        params: dict[str, Any] = {"from": self.address, "value": value}
        name = getattr(call, "fn_name", "transaction")
        if gas is None:
            try:
                gas = int(_estimate(call, params, estimate_on) * GAS_MARGIN)
            except revert_errors() as exc:
                raise TransactionError(f"{name} would revert: {decode_revert(revert_data(exc))}") from None
            except Web3RPCError as exc:
                raise self._rpc_failure(name, value, exc) from None
        params["gas"] = gas
        sent_at = time.monotonic()
        try:
            if self.account is None:  # the node signs and keeps the nonces (a dev chain)
                tx_hash = call.transact(params)
                receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, RECEIPT_TIMEOUT_S)
            else:  # nonce and fees are the sender's (offchain.eth.sender): placeholders here
                tx = call.build_transaction({**params, "nonce": 0, "maxFeePerGas": 0, "maxPriorityFeePerGas": 0})
                unsigned = {k: v for k, v in tx.items() if k not in ("nonce", "maxFeePerGas", "maxPriorityFeePerGas")}
                receipt = send_signed(self.w3, self.account, unsigned, self.fees)
                tx_hash = receipt["transactionHash"]
        except revert_errors() as exc:
            raise TransactionError(f"{name} reverted: {decode_revert(revert_data(exc))}") from None
        except Web3RPCError as exc:
            raise self._rpc_failure(name, value, exc) from None
        except Web3Exception as exc:
            raise TransactionError(f"{name} failed: {exc}") from None
        DELAYS.record(self.w3, time.monotonic() - sent_at)  # windows are checked against it
        if receipt["status"] != 1:
            raise TransactionError(
                f"{name} reverted in transaction {tx_hash.hex()}: {self._why_mined_revert(call, params, receipt)}"
            )
        return receipt

    def _why_mined_revert(self, call: Any, params: dict[str, Any], receipt: TxReceipt) -> str:
        """A transaction that passed its estimate and reverted once mined: the chain moved in
        between (another account acted first, a tree grew). Say what, from the receipt and a
        replay on the state the block left."""
        if int(receipt["gasUsed"]) >= int(params["gas"]):
            return f"ran out of gas (all {params['gas']} used: the state changed after the estimate)"
        try:
            call.call({k: v for k, v in params.items() if k != "nonce"}, block_identifier=receipt["blockNumber"])
        except CallRevertedError as exc:  # contract handles decode their reads' reverts
            return f"{exc.reason} (replayed after its block)"
        except revert_errors() as exc:
            return f"{decode_revert(revert_data(exc))} (replayed after its block)"
        except Web3Exception:
            pass
        return "no reason given"

    def _rpc_failure(self, name: str, value: int, exc: Web3RPCError) -> TransactionError:
        if is_out_of_gas(exc):
            return TransactionError(f"{name}: out of gas: it needs more than a block (or its allowance) holds")
        if is_insufficient_funds(exc):
            return TransactionError(
                f"{name}: insufficient funds: {self.address} holds {self.balance() / 1e18:.6f} ETH, "
                f"the transaction sends {value / 1e18:.6f} ETH plus gas"
            )
        message = exc.message if isinstance(exc.message, str) else str(exc)
        return TransactionError(f"{name} failed: {message}")

    def deploy(self, name: str, *args: Any) -> tuple[Contract, TxReceipt]:
        """Deploy contract `name` from the build folder; returns its handle and receipt. The
        external libraries it links (TrainingMarket's CommitteeDraw) are deployed first, once
        per client, and their addresses written over brownie's placeholders."""
        artifact = load_artifact(name)
        bytecode = artifact.bytecode
        for library in dict.fromkeys(LIBRARY_PLACEHOLDER.findall(bytecode)):
            bytecode = bytecode.replace(f"__{library}".ljust(40, "_"), self._library(library)[2:].lower())
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=bytecode)
        receipt = self.transact(factory.constructor(*args))
        address = receipt["contractAddress"]
        if address is None:
            raise TransactionError(f"deployment of {name} produced no contract address")
        return self.contract(name, address), receipt

    def _library(self, name: str) -> str:
        """The address of library `name`, deployed by this client on its first use."""
        if name not in self.libraries:
            self.libraries[name] = self.deploy(name)[0].address
        return self.libraries[name]


# brownie's placeholder for a linked library: "__" + its name, padded with "_" to 40 characters.
LIBRARY_PLACEHOLDER = re.compile(r"__([A-Za-z][A-Za-z0-9]*)_{2,}")


def _estimate(call: Any, params: dict[str, Any], block: str) -> int:
    """`call`'s gas estimate on `block`; a node without estimates on "pending" (eth-tester,
    which runs each call in a block of its own anyway) is asked on the latest."""
    try:
        return int(call.estimate_gas(params, block_identifier=block))
    except Web3RPCError as exc:
        if block == "latest" or "not been implemented" not in str(exc):
            raise
        return int(call.estimate_gas(params))


def connect(url: str | None = None, private_key: str | None = None) -> Client:
    """Connect to a JSON-RPC node; raises RPCUnavailableError if it does not answer.

    The sender is the account of `private_key`, else of $OFFCHAIN_PRIVATE_KEY, else the
    node's first unlocked account (local dev chains).
    """
    url = url or default_rpc()
    if url.startswith(("http://", "https://")):
        provider: Any = Web3.HTTPProvider(url, request_kwargs={"timeout": RPC_TIMEOUT_S})
    elif Path(url).exists():  # a path: the node's IPC socket
        provider = Web3.IPCProvider(url)
    else:
        hint = f": did you mean http://{url}?" if re.fullmatch(r"[\w.-]+:\d+", url) else ""
        raise InvalidInputError(f"RPC {url} is neither an http(s):// URL nor an IPC socket file{hint}")
    w3 = Web3(provider)
    try:
        w3.eth.chain_id  # noqa: B018 - the cheapest call that proves the node answers
    except Exception as exc:  # requests, socket and JSON errors all mean "unreachable"
        raise RPCUnavailableError(url, type(exc).__name__) from None
    return _with_sender(w3, private_key or os.environ.get(KEY_ENV))


def in_process() -> Client:
    """An in-process EVM (eth-tester + py-evm) with funded unlocked test accounts."""
    from web3 import EthereumTesterProvider

    return _with_sender(Web3(EthereumTesterProvider()), None)


def _with_sender(w3: Web3, private_key: str | None) -> Client:
    if private_key:
        account = account_from_key(private_key)
        return Client(w3, account.address, account)
    accounts = w3.eth.accounts
    if not accounts:
        raise EthError("the node has no unlocked account: set OFFCHAIN_PRIVATE_KEY or use a keystore")
    return Client(w3, parse_address(accounts[0]))
