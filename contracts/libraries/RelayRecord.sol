// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILedgerRelay} from "../interfaces/ILedgerRelay.sol";

/// @title RelayRecord
/// @notice The two storage words LedgerRelay keeps per block, packed and unpacked.
/// @dev A record (every stored block), bits from the top:
///   255..128  the first 16 bytes of the block's Merkle root (what {LedgerRelay-verifyTx} compares)
///   127..96   height
///    95..64   time
///    63..32   bits
///    31..0    time of the first block of its difficulty period (on its own branch)
/// A record is never zero: a stored header's bits are never zero, so zero means "unknown".
/// A link (side blocks, and main blocks once a reorganisation disconnects them):
///   255..128  the parent's key
///   127..0    chain work up to and including the block
library RelayRecord {
    function pack(bytes32 merkleRoot, uint32 blockHeight, uint32 blockTime, uint32 blockBits, uint32 startTime)
        internal
        pure
        returns (uint256)
    {
        return (uint256(merkleRoot) >> 128 << 128) | (uint256(blockHeight) << 96) | (uint256(blockTime) << 64)
            | (uint256(blockBits) << 32) | startTime;
    }

    function root(uint256 record) internal pure returns (bytes16) {
        return bytes16(bytes32(record));
    }

    function height(uint256 record) internal pure returns (uint32) {
        return uint32(record >> 96);
    }

    function time(uint256 record) internal pure returns (uint32) {
        return uint32(record >> 64);
    }

    function bits(uint256 record) internal pure returns (uint32) {
        return uint32(record >> 32);
    }

    function periodStart(uint256 record) internal pure returns (uint32) {
        return uint32(record);
    }

    /// @notice A link; reverts if the work does not fit 128 bits (2^128 hashes: never, in practice).
    function link(bytes16 parentKey, uint256 chainWork) internal pure returns (uint256) {
        if (chainWork >> 128 != 0) revert ILedgerRelay.LedgerRelayWorkOverflow();
        return (uint256(uint128(parentKey)) << 128) | chainWork;
    }

    function parent(uint256 linked) internal pure returns (bytes16) {
        return bytes16(bytes32(linked));
    }

    function work(uint256 linked) internal pure returns (uint256) {
        return uint128(linked);
    }
}
