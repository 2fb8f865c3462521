// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LedgerHeader} from "../../../contracts/libraries/LedgerHeader.sol";

/// @notice Ledger headers built and mined in Solidity for the relay's concrete tests, at the
/// campaigns' bits 0x2003ffff (about 1 hash in 64 meets the target).
abstract contract HeaderMiner {
    uint32 internal constant BITS = 0x2003ffff;
    uint256 internal constant LIMIT = uint256(0x03ffff) << 232;

    /// @dev `count` headers on `prev`, the first stamped `time`, each `step` seconds after the last;
    /// roots from `salt` (distinct branches); returns the batch and its last hash.
    function _chain(bytes32 prev, uint256 count, uint32 time, uint32 step, uint256 salt)
        internal
        pure
        returns (bytes memory batch, bytes32 last)
    {
        batch = new bytes(80 * count);
        last = prev;
        for (uint256 i; i < count; ++i) {
            bytes memory h = _mine(last, keccak256(abi.encode(salt, i)), time + uint32(i) * step, BITS, 1);
            for (uint256 k; k < 80; ++k) {
                batch[80 * i + k] = h[k];
            }
            last = LedgerHeader.hash256Memory(h);
        }
    }

    function _mine(bytes32 prev, bytes32 root, uint32 time, uint32 bits, uint32 version)
        internal
        pure
        returns (bytes memory header)
    {
        (uint256 target,) = LedgerHeader.target(bits);
        for (uint32 nonce;; ++nonce) {
            header = _header(version, prev, root, time, bits, nonce);
            if (LedgerHeader.hashValue(LedgerHeader.hash256Memory(header)) <= target) return header;
        }
    }

    function _header(uint32 version, bytes32 prev, bytes32 root, uint32 time, uint32 bits, uint32 nonce)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodePacked(_le32(version), prev, root, _le32(time), _le32(bits), _le32(nonce));
    }

    function _le32(uint32 v) internal pure returns (bytes4) {
        return bytes4(((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24));
    }
}
