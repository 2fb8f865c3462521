// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title LedgerHeader
/// @notice Bitcoin's 80-byte block header on the EVM: field parsing, double SHA-256 through
/// the sha256 precompile, compact `bits` to target and back, work, and retargeting.
/// @dev The same rules as offchain/ledger/pow.py, which follows Bitcoin Core:
///   header   version u32 | prev 32 | merkle root 32 | time u32 | bits u32 | nonce u32,
///            integers little-endian, hashes in internal byte order (as hashed);
///   target   `arith_uint256::SetCompact`: a size byte and a 23-bit mantissa; a set sign bit
///            (0x00800000) or a mantissa shifted past 256 bits makes the encoding invalid;
///   work     2^256 / (target + 1), `GetBlockProof`;
///   retarget `CalculateNextWorkRequired`: the last target scaled by the time from the first
///            to the last block of the period (interval - 1 spacings: Bitcoin's off-by-one),
///            clamped to [timespan / 4, timespan * 4], never easier than the limit.
library LedgerHeader {
    uint256 internal constant SIZE = 80;
    uint256 private constant SIGN_BIT = 0x00800000;
    uint256 private constant MANTISSA_MASK = 0x007fffff;
    uint256 private constant CLAMP = 4;

    /// @notice Bitcoin's `Hash`: SHA-256 of SHA-256, in internal byte order (memory bytes).
    function hash256Memory(bytes memory data) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(sha256(data)));
    }

    /// @notice {hash256Memory} of calldata bytes, through the precompile without allocating memory
    /// (a batch hashes every header: Solidity never frees memory, so copies would add up).
    function hash256(bytes calldata data) internal view returns (bytes32 digest) {
        assembly ("memory-safe") {
            let ptr := mload(0x40) // unallocated memory, used as a temporary and left as it was
            calldatacopy(ptr, data.offset, data.length)
            // Precompile 2 is SHA-256; the first hash's 32 bytes land in scratch space and are hashed again.
            if iszero(staticcall(gas(), 2, ptr, data.length, 0x00, 0x20)) { revert(0, 0) }
            if iszero(staticcall(gas(), 2, 0x00, 0x20, 0x00, 0x20)) { revert(0, 0) }
            digest := mload(0x00)
        }
    }

    /// @notice {hash256} of `left || right` (a Merkle inner node), in scratch space.
    function hashPair(bytes32 left, bytes32 right) internal view returns (bytes32 digest) {
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            if iszero(staticcall(gas(), 2, 0x00, 0x40, 0x00, 0x20)) { revert(0, 0) }
            if iszero(staticcall(gas(), 2, 0x00, 0x20, 0x00, 0x20)) { revert(0, 0) }
            digest := mload(0x00)
        }
    }

    /// @notice The 32-byte field at `offset` of an 80-byte header in calldata (4: prev, 36: root).
    /// @dev Reads without a bounds check: callers pass an 80-byte slice and a constant offset <= 48.
    function word(bytes calldata header, uint256 offset) internal pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := calldataload(add(header.offset, offset))
        }
    }

    /// @notice The little-endian u32 at `offset` (0: version, 68: time, 72: bits).
    /// @dev As {word}: an 80-byte slice and a constant offset <= 76.
    function u32(bytes calldata header, uint256 offset) internal pure returns (uint32 v) {
        uint256 b;
        assembly ("memory-safe") {
            b := shr(224, calldataload(add(header.offset, offset)))
        }
        // Reverse the four bytes: calldata is read big-endian, the field is little-endian.
        v = uint32(((b >> 24) & 0xff) | ((b >> 8) & 0xff00) | ((b << 8) & 0xff0000) | ((b << 24) & 0xff000000));
    }

    /// @notice The number a hash stands for when compared with a target (its bytes reversed).
    function hashValue(bytes32 digest) internal pure returns (uint256 v) {
        v = uint256(digest);
        // Swap bytes, then 2-byte pairs, 4-byte groups ... 16-byte halves: a full reversal.
        v = ((v >> 8) & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)
            | ((v & 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff) << 8);
        v = ((v >> 16) & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff)
            | ((v & 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff) << 16);
        v = ((v >> 32) & 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff)
            | ((v & 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff) << 32);
        v = ((v >> 64) & 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff)
            | ((v & 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff) << 64);
        v = (v >> 128) | (v << 128);
    }

    /// @notice `SetCompact`: the target `bits` encodes, and whether the encoding is valid
    /// (not negative, not overflowing, not zero).
    function target(uint32 bits) internal pure returns (uint256 value, bool valid) {
        uint256 size = bits >> 24;
        uint256 mantissa = bits & MANTISSA_MASK;
        if (size <= 3) {
            mantissa >>= 8 * (3 - size); // in place, as Bitcoin Core: the flags see the shifted word
            value = mantissa;
        } else {
            value = mantissa << (8 * (size - 3)); // shifts past 256 give 0; flagged just below
        }
        bool negative = mantissa != 0 && (bits & SIGN_BIT) != 0;
        bool overflow = mantissa != 0
            && (size > 34 || (mantissa > 0xff && size > 33) || (mantissa > 0xffff && size > 32));
        valid = !negative && !overflow && value != 0;
    }

    /// @notice The target of `bits` that were validated when their header was stored.
    function storedTarget(uint32 bits) internal pure returns (uint256 value) {
        bool valid;
        (value, valid) = target(bits);
        assert(valid); // only bits that passed {target} are ever stored
    }

    /// @notice `GetCompact`: the shortest `bits` for a target (precision past 3 bytes dropped).
    function compact(uint256 value) internal pure returns (uint32) {
        uint256 size = 0;
        for (uint256 v = value; v != 0; v >>= 8) {
            ++size; // at most 32 rounds
        }
        uint256 c = size <= 3 ? value << (8 * (3 - size)) : value >> (8 * (size - 3));
        if (c & SIGN_BIT != 0) {
            // The mantissa is signed: move one byte into the exponent instead.
            c >>= 8;
            ++size;
        }
        return uint32(c | (size << 24));
    }

    /// @notice Expected hashes to meet `value`: 2^256 / (value + 1), as `GetBlockProof`.
    function work(uint256 value) internal pure returns (uint256) {
        // 2^256 does not fit a word: ~t / (t + 1) + 1 equals it (t < 2^256 - 1, see the relay).
        return (~value / (value + 1)) + 1;
    }

    /// @notice `CalculateNextWorkRequired`: the bits of the first block of a new period.
    /// @param lastBits bits of the period's last block (the new block's parent)
    /// @param firstTime time of the period's first block
    /// @param lastTime time of the period's last block
    function nextBits(uint32 lastBits, uint32 firstTime, uint32 lastTime, uint256 timespan, uint256 powLimit)
        internal
        pure
        returns (uint32)
    {
        // Times are unsigned but may run backwards; a negative span clamps to the minimum.
        uint256 actual = lastTime > firstTime ? uint256(lastTime - firstTime) : 0;
        if (actual < timespan / CLAMP) actual = timespan / CLAMP;
        if (actual > timespan * CLAMP) actual = timespan * CLAMP;
        uint256 last = storedTarget(lastBits);
        // The relay's constructor checks powLimit * 4 * timespan < 2^256, so this cannot overflow.
        uint256 next = last * actual / timespan;
        if (next > powLimit) next = powLimit;
        return compact(next);
    }
}
