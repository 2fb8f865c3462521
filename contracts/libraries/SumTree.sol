// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title SumTree
/// @notice A growing 4-ary sum tree over leaf weights: draw a leaf with probability
/// proportional to its weight in O(log4 N) storage reads, update a weight in O(log4 N) writes.
/// @dev After Kleros' sortition sum trees, packed: a word holds four 64-bit lanes.
///   level 0, word i   lanes = weights of leaves 4i .. 4i+3
///   level l, word i   lanes = sums of the level l-1 words 4i .. 4i+3
/// The top level (`levels - 1`) has the single word 0; the tree holds up to 4**levels leaves
/// and grows by one level (the old top becomes lane 0 of the new top) when a push needs it.
/// Leaves are never removed: a leaving member's weight is set to zero, so leaf numbers stay
/// valid for committees drawn earlier. With 1,000 leaves a draw reads 5 words.
library SumTree {
    uint256 private constant LANE_BITS = 64;
    uint256 private constant LANE_MASK = type(uint64).max;

    struct Tree {
        uint128 leaves; // leaves pushed so far
        uint128 levels; // 0 before the first push
        mapping(uint256 key => uint256 word) words; // key = level << 128 | index
    }

    /// @notice Appends a leaf with `weight`; returns its number.
    function push(Tree storage t, uint64 weight) internal returns (uint256 leaf) {
        leaf = t.leaves;
        uint256 levels = t.levels;
        if (levels == 0) {
            levels = 1;
        } else if (leaf == 4 ** levels) {
            // Full: the old top word becomes lane 0 of a new top word one level up.
            t.words[_key(levels, 0)] = _sum(t.words[_key(levels - 1, 0)]);
            ++levels;
        }
        (t.leaves, t.levels) = (uint128(leaf + 1), uint128(levels)); // < 2**128 pushes
        set(t, leaf, weight);
    }

    /// @notice Sets leaf `leaf`'s weight (the leaf must exist).
    function set(Tree storage t, uint256 leaf, uint64 weight) internal {
        uint256 levels = t.levels;
        uint256 bottom = t.words[_key(0, leaf >> 2)];
        uint256 old = _lane(bottom, leaf & 3);
        if (old == weight) return;
        for (uint256 l; l < levels; ++l) {
            uint256 key = _key(l, leaf >> (2 * l + 2));
            uint256 shift = LANE_BITS * ((leaf >> (2 * l)) & 3);
            uint256 word = t.words[key];
            uint256 lane = (word >> shift) & LANE_MASK;
            // A lane is the sum of the weights under it, so it is >= old and the new sum stays
            // below the total, which the caller keeps under 2**64 (see ValidatorSet).
            uint256 updated = lane + weight - old;
            t.words[key] = (word & ~(LANE_MASK << shift)) | (updated << shift);
        }
    }

    /// @notice The weight of leaf `leaf`.
    function weightOf(Tree storage t, uint256 leaf) internal view returns (uint64) {
        return uint64(_lane(t.words[_key(0, leaf >> 2)], leaf & 3));
    }

    /// @notice The sum of all weights.
    function total(Tree storage t) internal view returns (uint256) {
        uint256 levels = t.levels;
        return levels == 0 ? 0 : _sum(t.words[_key(levels - 1, 0)]);
    }

    /// @notice The leaf whose cumulative weight interval contains `r` (requires r < total),
    /// with that interval: its `start` (the weights of the leaves before it) and its `weight`.
    function draw(Tree storage t, uint256 r) internal view returns (uint256 index, uint256 start, uint256 weight) {
        start = r;
        // Unchecked: r < the sum of the current word's lanes (true at the top, kept by each
        // step), so `r -= w` only runs when r >= w and the lane loop stops by the fourth lane;
        // index < 4**levels <= 4**128 and l counts down from levels to 1; r ends <= start.
        unchecked {
            for (uint256 l = t.levels; l != 0; --l) {
                uint256 word = t.words[((l - 1) << 128) | index];
                uint256 lane = 0;
                uint256 w = word & LANE_MASK;
                for (; lane < 3 && r >= w; w = (word >> (LANE_BITS * lane)) & LANE_MASK) {
                    r -= w;
                    ++lane;
                }
                (index, weight) = ((index << 2) | lane, w); // the last level's lane is the leaf's weight
            }
            start -= r; // r is now the offset within the leaf's interval
        }
    }

    function _key(uint256 level, uint256 index) private pure returns (uint256) {
        return (level << 128) | index;
    }

    function _lane(uint256 word, uint256 lane) private pure returns (uint256) {
        return (word >> (LANE_BITS * lane)) & LANE_MASK;
    }

    function _sum(uint256 word) private pure returns (uint256) {
        return (word & LANE_MASK) + ((word >> 64) & LANE_MASK) + ((word >> 128) & LANE_MASK) + (word >> 192);
    }
}
