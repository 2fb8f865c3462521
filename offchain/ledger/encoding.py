"""Little-endian integers and Bitcoin's CompactSize, with a reader that names what is missing."""

from __future__ import annotations

import struct

from offchain.ledger.errors import EncodingError

_U8 = struct.Struct("<B")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
U32_MAX = 0xFFFFFFFF
U64_MAX = 0xFFFFFFFFFFFFFFFF


def u8(value: int) -> bytes:
    return _U8.pack(value)


def u32(value: int) -> bytes:
    return _U32.pack(value)


def u64(value: int) -> bytes:
    return _U64.pack(value)


def compact_size(value: int) -> bytes:
    """Bitcoin's variable-length count prefix (1, 3, 5 or 9 bytes)."""
    if value < 0xFD:
        return _U8.pack(value)
    if value <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", value)
    if value <= U32_MAX:
        return b"\xfe" + _U32.pack(value)
    return b"\xff" + _U64.pack(value)


class Reader:
    """Consumes bytes front to back; every short read raises EncodingError naming the field."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    def read(self, size: int, what: str) -> bytes:
        end = self._pos + size
        if end > len(self._data):
            raise EncodingError(f"truncated {what}: need {size} bytes at offset {self._pos}")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def u8(self, what: str) -> int:
        return int(_U8.unpack(self.read(1, what))[0])

    def u32(self, what: str) -> int:
        return int(_U32.unpack(self.read(4, what))[0])

    def u64(self, what: str) -> int:
        return int(_U64.unpack(self.read(8, what))[0])

    def compact_size(self, what: str) -> int:
        """Read a CompactSize, refusing non-canonical (longer than needed) forms as Bitcoin does."""
        first = self.u8(what)
        if first < 0xFD:
            return first
        if first == 0xFD:
            value, floor = int(struct.unpack("<H", self.read(2, what))[0]), 0xFD
        elif first == 0xFE:
            value, floor = self.u32(what), 0x10000
        else:
            value, floor = self.u64(what), 0x100000000
        if value < floor:
            raise EncodingError(f"non-canonical size for {what}")
        return value

    def at_end(self) -> bool:
        return self._pos == len(self._data)

    def expect_end(self, what: str) -> None:
        if not self.at_end():
            raise EncodingError(f"{len(self._data) - self._pos} trailing bytes after {what}")
