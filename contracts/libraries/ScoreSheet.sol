// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ScoreSheet
/// @notice One storage word per submission holding the worker's claimed score and the score
/// attested from every committee seat, and the median over the attestations.
/// @dev Layout of a sheet (a uint256), sixteen 16-bit lanes:
///   lane 0           claimed score + 1 (0: not revealed); bit 15: a member proved the
///                    worker's key envelope bad (sealed jobs, {withBadEnvelope}; scores < 2**14)
///   lane 1 + seat    score attested from committee seat `seat` + 1 (0: no attestation)
/// Storing score + 1 lets zero mean "absent", so no separate bitmap is needed, and a
/// sheet is a single slot: the first write (at reveal) is the only fresh SSTORE, every
/// attestation after it costs an update instead of a new slot.
library ScoreSheet {
    /// @notice Validator seats a sheet can hold: lanes 1..15.
    uint256 internal constant SEATS = 15;
    uint256 private constant LANE_BITS = 16;
    uint256 private constant LANE_MASK = 0xffff;
    /// @dev Lane 0's top bit: a claim + 1 is at most 10,001, below it.
    uint256 private constant BAD_ENVELOPE = 0x8000;

    /// @notice True once the worker revealed (lane 0 is set).
    function revealed(uint256 sheet) internal pure returns (bool) {
        return sheet & LANE_MASK != 0;
    }

    /// @notice The claimed score; only meaningful when {revealed}.
    function claimed(uint256 sheet) internal pure returns (uint16) {
        // A revealed lane holds score + 1 >= 1 under the flag bit; an unrevealed one wraps, never read.
        unchecked {
            return uint16((sheet & (LANE_MASK ^ BAD_ENVELOPE)) - 1);
        }
    }

    /// @notice True once a committee member proved the worker's key envelope bad.
    function badEnvelope(uint256 sheet) internal pure returns (bool) {
        return sheet & BAD_ENVELOPE != 0;
    }

    /// @notice `sheet` (revealed) with its bad-envelope flag set.
    function withBadEnvelope(uint256 sheet) internal pure returns (uint256) {
        return sheet | BAD_ENVELOPE;
    }

    /// @notice The sheet of a fresh reveal: claimed score set, no attestations.
    function withClaim(uint16 scoreBps) internal pure returns (uint256) {
        // scoreBps <= 10000 (checked by the caller), so + 1 fits a lane.
        return uint256(scoreBps) + 1;
    }

    /// @notice True when `seat` has attested on this sheet.
    function hasAttestation(uint256 sheet, uint256 seat) internal pure returns (bool) {
        return (sheet >> (LANE_BITS * (seat + 1))) & LANE_MASK != 0;
    }

    /// @notice `seat`'s attested score; only meaningful when {hasAttestation}.
    function attestation(uint256 sheet, uint256 seat) internal pure returns (uint16) {
        unchecked {
            // Present lanes hold score + 1 >= 1 (see the layout above).
            return uint16(((sheet >> (LANE_BITS * (seat + 1))) & LANE_MASK) - 1);
        }
    }

    /// @notice `sheet` with `seat`'s attestation of `scoreBps` added (lane must be empty).
    function withAttestation(uint256 sheet, uint256 seat, uint16 scoreBps) internal pure returns (uint256) {
        return sheet | ((uint256(scoreBps) + 1) << (LANE_BITS * (seat + 1)));
    }

    /// @notice The number of attestations and the two scores a strict majority of the
    /// `drawn` seats stands behind: `high`, the highest score that a strict majority attests
    /// at or above, and `low`, the lowest score that a strict majority attests at or below
    /// (an absent seat stands behind neither). With every seat attesting, `high` is the (lower)
    /// median. When fewer than a strict majority attested, neither exists: both are then the
    /// lower median of what was attested (0 when nothing was), which decides nothing.
    /// @dev Sorted ascending, the majority m = drawn / 2 + 1: high = sorted[count - m], low =
    /// sorted[m - 1]; count <= drawn < 2m, so high <= low.
    function verified(uint256 sheet, uint256 drawn) internal pure returns (uint256 count, uint16 high, uint16 low) {
        // Memory arrays start zeroed; slither cannot tell. Only the first `count` are read.
        // slither-disable-next-line uninitialized-local
        uint16[SEATS] memory sorted;
        // Unchecked: seat, i and count stay below 16, i - 1 is taken only for i > 0, count - 1
        // only for count >= 1, count - majority only for count >= majority.
        unchecked {
            for (uint256 seat; seat < SEATS; ++seat) {
                if (!hasAttestation(sheet, seat)) continue;
                uint16 score = attestation(sheet, seat);
                // Insertion sort: at most 15 values, so O(n^2) is ~100 comparisons.
                uint256 i = count;
                while (i > 0 && sorted[i - 1] > score) {
                    sorted[i] = sorted[i - 1];
                    --i;
                }
                sorted[i] = score;
                ++count;
            }
            if (count == 0) return (0, 0, 0);
            uint256 majority = drawn / 2 + 1;
            // With no majority: the lower median, for the record only.
            (uint256 h, uint256 l) =
                count < majority ? ((count - 1) / 2, (count - 1) / 2) : (count - majority, majority - 1);
            return (count, sorted[h], sorted[l]);
        }
    }

    /// @notice |a - b| for scores.
    function distance(uint16 a, uint16 b) internal pure returns (uint16) {
        return a > b ? a - b : b - a;
    }
}
