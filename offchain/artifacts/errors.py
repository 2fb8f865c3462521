"""Errors of the artifact store and client."""

from offchain.errors import OffchainError


class ArtifactError(OffchainError):
    """Root of the artifact errors."""


class ArtifactNotFoundError(ArtifactError):
    """No store or URL holds the artifact."""


class HashMismatchError(ArtifactError):
    """Fetched bytes do not hash to the expected SHA-256."""

    def __init__(self, where: str, expected: str, actual: str) -> None:
        super().__init__(f"{where}: content hashes to sha256:{actual}, expected sha256:{expected}")
        self.expected = expected
        self.actual = actual


class ArtifactRefusedError(ArtifactNotFoundError):
    """A source served more bytes, or served them more slowly, than the fetch accepts.

    A verdict, as not-found is (its subclass): a role acts on it and never retries it every
    round, which would let a hostile server hold the role again and again."""


class InvalidURIError(ArtifactError):
    """A URI or hash that cannot be parsed."""


class ArtifactUnreachableError(ArtifactError):
    """A server that might hold the artifact did not answer (refused, timed out, 5xx): try again later."""
