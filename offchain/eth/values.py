"""Validation of values that arrive from outside: hashes, addresses, basis points."""

from __future__ import annotations

from eth_typing import ChecksumAddress
from eth_utils import is_address, to_checksum_address

from offchain.eth.errors import InvalidInputError

HASH_BYTES = 32
MAX_BPS = 10_000


def parse_hash32(text: str, what: str = "hash") -> bytes:
    """A 32-byte hash from hex (with or without 0x); raises InvalidInputError."""
    raw = text[2:] if text.lower().startswith("0x") else text
    if len(raw) != 2 * HASH_BYTES:
        raise InvalidInputError(f"{what} must be 32 bytes of hex (64 digits), got {text!r}")
    try:
        return bytes.fromhex(raw)
    except ValueError:
        raise InvalidInputError(f"{what} is not hex: {text!r}") from None


def hash_hex(value: bytes) -> str:
    """The canonical text form of a 32-byte hash: 0x + 64 lower-case hex digits."""
    return "0x" + bytes(value).hex()


def parse_address(text: str, what: str = "address") -> ChecksumAddress:
    """A checksummed address; raises InvalidInputError for anything else."""
    if not is_address(text):
        raise InvalidInputError(f"{what} is not an Ethereum address: {text!r}")
    return to_checksum_address(text)


def validate_bps(value: int, what: str = "score") -> None:
    """Raise unless 0 <= value <= 10000 (basis points)."""
    if not 0 <= value <= MAX_BPS:
        raise InvalidInputError(f"{what} must be 0..{MAX_BPS} basis points, got {value}")


def format_eth(wei: int) -> str:
    """Wei as ether for people: '1.5 ETH', cut (not rounded) after 6 decimals; '0 ETH'."""
    sign = "-" if wei < 0 else ""
    whole, frac = divmod(abs(int(wei)), 10**18)
    text = f"{whole}.{frac:018d}"[: len(str(whole)) + 7].rstrip("0").rstrip(".")
    return f"{sign}{text} ETH"


UNITS = {"wei": 1, "gwei": 10**9, "ether": 10**18, "eth": 10**18}


def parse_amount(text: str | int) -> int:
    """Wei from `123`, `1.5ether`, `20 gwei` (or an int of wei, from Python); raises InvalidInputError."""
    from decimal import Decimal, InvalidOperation

    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise InvalidInputError(f"amount must be a non-negative number of wei: {text}")
        return text
    if not isinstance(text, str):
        raise InvalidInputError(f"not an amount: {text!r} (examples: 1000, '1.5ether', '20gwei')")
    cleaned = text.strip().lower().replace(" ", "")
    unit = next((u for u in sorted(UNITS, key=len, reverse=True) if cleaned.endswith(u)), "wei")
    number = cleaned.removesuffix(unit) if cleaned.endswith(unit) else cleaned
    try:
        value = Decimal(number) * UNITS[unit]
    except InvalidOperation:
        raise InvalidInputError(f"not an amount: {text!r} (examples: 1000, 1.5ether, 20gwei)") from None
    if value < 0 or value != value.to_integral_value():
        raise InvalidInputError(f"amount must be a whole, non-negative number of wei: {text!r}")
    return int(value)
