// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title SumTree
/// @notice A growing 4-ary sum tree over leaf weights: draw a leaf with probability
/// proportional to its weight in O(log4 N) storage reads, update a weight in O(log4 N) writes;
/// draws read the tree as it stood when the current epoch began (a snapshot), so no change
/// made during an epoch moves a draw made in it.
/// @dev After Kleros' sortition sum trees, packed: a word holds four 56-bit lanes and, in its
/// top 32 bits, the epoch of its last write.
///   level 0, word i   lanes = weights of leaves 4i .. 4i+3
///   level l, word i   lanes = sums of the level l-1 words 4i .. 4i+3
/// The top level (`levels - 1`) has the single word 0; the tree holds up to 4**levels leaves
/// and grows by one level (the old top becomes lane 0 of the new top) when a push needs it.
/// Leaves are never removed: a leaving member's weight is set to zero, so leaf numbers stay
/// valid for committees drawn earlier. With 1,000 leaves a draw reads 5 words.
/// The snapshot (the role of Kleros' staking phases, without freezing anyone's stake): the
/// first write to a word in an epoch keeps the word's lanes as they were in `past`, so a word
/// written this epoch reads its `past` and any other word reads itself; the level count is
/// kept the same way. Only the current epoch's start can be read: the caller draws in the
/// epoch whose snapshot it wants.
library SumTree {
    uint256 private constant LANE_BITS = 56;
    uint256 private constant LANE_MASK = type(uint56).max;
    uint256 private constant LANES_MASK = type(uint224).max; // the four lanes of a word
    uint256 private constant EPOCH_SHIFT = 224; // a word's top 32 bits: the epoch of its last write
    /// @notice The largest total weight: a lane holds any sum of weights.
    uint256 internal constant MAX_TOTAL = type(uint56).max;

    struct Tree {
        uint128 leaves; // leaves pushed so far
        uint64 levels; // 0 before the first push
        uint32 epoch; // the epoch of the last push
        uint32 pastLevels; // the levels when that epoch began
        mapping(uint256 key => uint256 word) words; // key = level << 128 | index
        mapping(uint256 key => uint256 lanes) past; // a word's lanes when the epoch of its last write began
    }

    /// @notice Appends a leaf with `weight` in epoch `epoch` (the current one); returns its number.
    function push(Tree storage t, uint64 weight, uint256 epoch) internal returns (uint256 leaf) {
        leaf = t.leaves;
        uint256 levels = t.levels;
        uint256 pastLevels = t.epoch == epoch ? t.pastLevels : levels; // first push this epoch: keep the count
        if (levels == 0) {
            levels = 1;
        } else if (leaf == 4 ** levels) {
            // Full: the old top word becomes lane 0 of a new top word one level up.
            uint256 top = _key(levels, 0);
            _write(t, top, _sum(t.words[_key(levels - 1, 0)]), t.words[top], epoch);
            ++levels;
        }
        // < 2**128 pushes, < 2**64 levels, epochs and levels < 2**32 (ValidatorSet's epochs are minutes)
        (t.leaves, t.levels, t.epoch, t.pastLevels) = (uint128(leaf + 1), uint64(levels), uint32(epoch), uint32(pastLevels));
        set(t, leaf, weight, epoch);
    }

    /// @notice Sets leaf `leaf`'s weight (the leaf must exist) in epoch `epoch` (the current one).
    function set(Tree storage t, uint256 leaf, uint64 weight, uint256 epoch) internal {
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
            // below the total, which the caller keeps under MAX_TOTAL (see ValidatorSet).
            uint256 updated = lane + weight - old;
            _write(t, key, (word & LANES_MASK & ~(LANE_MASK << shift)) | (updated << shift), word, epoch);
        }
    }

    /// @dev Writes `lanes` to the word at `key` (now `word`) in `epoch`; its first write in an
    /// epoch first keeps its lanes as they were when the epoch began.
    function _write(Tree storage t, uint256 key, uint256 lanes, uint256 word, uint256 epoch) private {
        if (word >> EPOCH_SHIFT != epoch) t.past[key] = word & LANES_MASK;
        t.words[key] = lanes | (epoch << EPOCH_SHIFT);
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

    /// @notice The sum of all weights when epoch `epoch` (the current one) began.
    function totalAt(Tree storage t, uint256 epoch) internal view returns (uint256) {
        uint256 levels = _levelsAt(t, epoch);
        return levels == 0 ? 0 : _sum(_lanesAt(t, _key(levels - 1, 0), epoch));
    }

    /// @notice The leaf whose cumulative weight interval contains `r` (requires r < totalAt) in
    /// the tree as it stood when epoch `epoch` (the current one) began, with that interval: its
    /// `start` (the weights of the leaves before it) and its `weight`.
    function drawAt(Tree storage t, uint256 r, uint256 epoch)
        internal
        view
        returns (uint256 index, uint256 start, uint256 weight)
    {
        start = r;
        // Unchecked: r < the sum of the current word's lanes (true at the top, kept by each
        // step), so `r -= w` only runs when r >= w and the lane loop stops by the fourth lane;
        // index < 4**levels <= 4**128 and l counts down from levels to 1; r ends <= start.
        unchecked {
            for (uint256 l = _levelsAt(t, epoch); l != 0; --l) {
                uint256 word = _lanesAt(t, ((l - 1) << 128) | index, epoch);
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

    /// @dev The word at `key` as it stood when epoch `epoch` (the current one) began.
    function _lanesAt(Tree storage t, uint256 key, uint256 epoch) private view returns (uint256) {
        uint256 word = t.words[key];
        return word >> EPOCH_SHIFT == epoch ? t.past[key] : word & LANES_MASK;
    }

    /// @dev The level count when epoch `epoch` (the current one) began.
    function _levelsAt(Tree storage t, uint256 epoch) private view returns (uint256) {
        return t.epoch == epoch ? t.pastLevels : t.levels;
    }

    function _key(uint256 level, uint256 index) private pure returns (uint256) {
        return (level << 128) | index;
    }

    function _lane(uint256 word, uint256 lane) private pure returns (uint256) {
        return (word >> (LANE_BITS * lane)) & LANE_MASK;
    }

    function _sum(uint256 word) private pure returns (uint256) {
        return (word & LANE_MASK) + ((word >> 56) & LANE_MASK) + ((word >> 112) & LANE_MASK)
            + ((word >> 168) & LANE_MASK);
    }
}
