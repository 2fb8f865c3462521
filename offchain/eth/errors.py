"""Errors of the Ethereum client; each prints as one line for the user."""

from offchain.errors import OffchainError


class EthError(OffchainError):
    """Root of the Ethereum client's errors."""


class RPCUnavailableError(EthError):
    """The RPC endpoint does not answer."""

    def __init__(self, url: str, reason: str = "") -> None:
        detail = f" ({reason})" if reason else ""
        super().__init__(f"cannot reach the Ethereum RPC at {url}{detail}; is the node running?")


class RPCRateLimitedError(EthError):
    """The RPC endpoint refuses for now: its request rate or quota is spent (retried later)."""


class BuildArtifactError(EthError):
    """A contract's compiled artifact is missing or unreadable."""


class DeploymentError(EthError):
    """No usable deployment record for this chain or contract."""


class StaleDeploymentError(DeploymentError):
    """The deployment record names an address where the chain holds no code (a restarted chain)."""


class CallRevertedError(EthError):
    """A contract read reverted; the message names the decoded custom error."""

    def __init__(self, function: str, reason: str) -> None:
        super().__init__(f"{function} reverted: {reason}")
        self.reason = reason


class InvalidInputError(EthError):
    """A value from the command line or a file is malformed (address, hash, number)."""


class TransactionError(EthError):
    """A transaction reverted or could not be sent; the message names the contract error."""
