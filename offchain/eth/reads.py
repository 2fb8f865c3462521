"""Contract reads that fail like writes do: one typed error with the contract's decoded
custom error, and a named stale deployment instead of web3's BadFunctionCallOutput.

`Client.contract()` builds its handles from `DecodingContract`, so every
`contract.functions.f(...).call()` of every client class gets this without change.
"""

from __future__ import annotations

from typing import Any

from web3.contract import Contract
from web3.contract.base_contract import BaseContractFunctions
from web3.contract.contract import ContractFunction, ContractFunctions
from web3.exceptions import BadFunctionCallOutput

from offchain.eth.build import decode_revert
from offchain.eth.errors import CallRevertedError, StaleDeploymentError
from offchain.eth.failures import stale_deployment_message
from offchain.eth.reverts import revert_data, revert_errors


class DecodingFunction(ContractFunction):
    """A contract function whose `call()` raises CallRevertedError / StaleDeploymentError."""

    def call(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().call(*args, **kwargs)
        except revert_errors() as exc:
            raise CallRevertedError(self.fn_name, decode_revert(revert_data(exc))) from None
        except BadFunctionCallOutput:
            if not self.w3.eth.get_code(self.address):
                raise StaleDeploymentError(stale_deployment_message(self.address, self.w3.eth.chain_id)) from None
            raise


class DecodingFunctions(ContractFunctions):
    def __init__(self, abi: Any, w3: Any, address: Any = None, decode_tuples: bool | None = False) -> None:
        BaseContractFunctions.__init__(self, abi, w3, DecodingFunction, address, decode_tuples)


class DecodingContract(Contract):
    """web3's Contract with DecodingFunction as the class of its functions."""

    def __init__(self, address: Any = None) -> None:
        super().__init__(address)
        self.functions = DecodingFunctions(self.abi, self.w3, self.address, decode_tuples=self.decode_tuples)
