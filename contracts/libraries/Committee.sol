// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Committee
/// @notice A job's committee: up to 15 seats, each naming the validator-set leaf drawn for it,
/// packed into two words.
/// @dev Layout: seat s lives in word s / 8, lane s % 8, as 32 bits holding leaf + 1
/// (0: seat empty). Seats are drawn by bond, so a member may hold several: its seat bitmap
/// ({Attestations-_seatsOf}) lets its one score fill each of its lanes. The draw's helpers
/// live here too.
library Committee {
    /// @notice Most seats: lanes 1..15 of a ScoreSheet.
    uint256 internal constant MAX_SEATS = 15;
    uint256 private constant LANE_BITS = 32;
    uint256 private constant LANE_MASK = type(uint32).max;

    /// @notice The committee with `seat` set to `leaf` (the seat must be empty).
    function withSeat(uint256[2] memory c, uint256 seat, uint256 leaf) internal pure returns (uint256[2] memory) {
        // leaf < 2**32 - 1 (the validator set's cap), so leaf + 1 fits a lane.
        c[seat >> 3] |= (leaf + 1) << (LANE_BITS * (seat & 7));
        return c;
    }

    /// @notice True when `seat` is filled.
    function filled(uint256[2] memory c, uint256 seat) internal pure returns (bool) {
        return (c[seat >> 3] >> (LANE_BITS * (seat & 7))) & LANE_MASK != 0;
    }

    /// @notice The number of filled seats among the first `size`: the drawn seats whose
    /// strict majority decides a verdict ({Judgment-judge}).
    /// @dev Seats below `size` only: the "drawn, nobody eligible" mark sits in a lane that is
    /// never a seat.
    function drawn(uint256[2] memory c, uint256 size) internal pure returns (uint256 n) {
        for (uint256 seat; seat < size; ++seat) {
            if (filled(c, seat)) ++n;
        }
    }

    /// @notice The leaf in `seat`; only meaningful when {filled}.
    function leafAt(uint256[2] memory c, uint256 seat) internal pure returns (uint256) {
        unchecked {
            // A filled lane holds leaf + 1 >= 1.
            return ((c[seat >> 3] >> (LANE_BITS * (seat & 7))) & LANE_MASK) - 1;
        }
    }

    /// @notice The random word of draw try `nonce` from `seed`: keccak256(abi.encode(seed, nonce)).
    /// @dev Hashed in the scratch space, so the draw loop allocates no memory per try.
    function tryHash(uint256 seed, uint256 nonce) internal pure returns (uint256 h) {
        assembly ("memory-safe") {
            mstore(0x00, seed)
            mstore(0x20, nonce)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @notice Inserts `value` into the first `n` entries of `list`, sorted ascending (n < length).
    function insertSorted(uint256[] memory list, uint256 n, uint256 value) internal pure {
        // Unchecked: i counts down from n >= 0 and stops at 0.
        unchecked {
            uint256 i = n;
            for (; i != 0 && list[i - 1] > value; --i) {
                list[i] = list[i - 1];
            }
            list[i] = value;
        }
    }

    /// @notice True when one of the first `n` entries of `list` is `account`.
    function includes(address[] memory list, uint256 n, address account) internal pure returns (bool) {
        for (uint256 i; i < n; ++i) {
            if (list[i] == account) return true;
        }
        return false;
    }
}
