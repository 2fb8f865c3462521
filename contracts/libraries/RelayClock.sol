// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RelayClock
/// @notice LedgerRelay's clock and the tip's last 11 header times, in one storage word, and the
/// median-time-past window a batch of headers is checked against.
/// @dev The word, bits from the top:
///   255..224  the clock C at the last batch (seconds)
///   223..192  the EVM block of the last batch
///   191..160  the tip's time (0: no window cached; the relay reads the ancestors from storage)
///   159..0    ten int16: tip time - time of the k-th ancestor (k = 1..10 from the low bits);
///             -32768 marks "no such ancestor stored" (the checkpoint is the oldest known block)
/// A window whose gaps do not fit int16 (about 9 hours) is not cached; the relay then reads it.
library RelayClock {
    uint256 internal constant SPAN = 11;
    uint256 private constant ABSENT = 0x8000; // int16 min as 16 bits
    uint256 private constant OFFSETS = 10;

    /// @dev Up to 11 times; `head` is the oldest's slot once all 11 are held.
    struct Window {
        uint256[SPAN] times;
        uint256 count;
        uint256 head;
    }

    /// @notice Adds the newest time, dropping the oldest of a full window.
    function push(Window memory w, uint256 time) internal pure {
        uint256 count = w.count;
        if (count < SPAN) {
            _set(w, count, time);
            w.count = count + 1;
        } else {
            uint256 head = w.head;
            _set(w, head, time);
            w.head = head == SPAN - 1 ? 0 : head + 1;
        }
    }

    /// @dev w.times[j] = v for j < SPAN (callers' indices are in range), without the bounds check.
    function _set(Window memory w, uint256 j, uint256 v) private pure {
        assembly ("memory-safe") {
            mstore(add(mload(w), mul(j, 0x20)), v) // w's first member points to the array
        }
    }

    /// @notice Whether `time` is above the window's median (`GetMedianTimePast`, the upper median):
    /// more than half of the times are below it, so no sort is needed.
    function aboveMedian(Window memory w, uint256 time) internal pure returns (bool) {
        uint256 count = w.count;
        uint256 below;
        assembly ("memory-safe") {
            let times := mload(w) // w's first member points to the array
            for { let end := add(times, mul(count, 0x20)) } lt(times, end) { times := add(times, 0x20) } {
                below := add(below, lt(mload(times), time)) // at most 11 rounds
            }
        }
        return below > count / 2;
    }

    /// @notice The median itself (sorted[count / 2]), for error messages: an insertion sort of <= 11.
    function median(Window memory w) internal pure returns (uint256) {
        uint256 n = w.count;
        uint256[] memory s = new uint256[](n);
        // The window is in storage order (a ring): sorting a copy gives the median whatever the order.
        for (uint256 j; j < n; ++j) {
            uint256 v = w.times[j];
            uint256 k = j;
            for (; k > 0 && s[k - 1] > v; --k) {
                s[k] = s[k - 1];
            }
            s[k] = v;
        }
        return s[n / 2];
    }

    /// @notice The relay's clock now: min(block.timestamp, C + elapsed EVM blocks * `perBlock`).
    /// A warp of block.timestamp alone does not move it.
    function clockNow(uint256 word, uint256 perBlock) internal view returns (uint256) {
        uint256 last = word >> 224;
        uint256 elapsed = block.number - ((word >> 192) & type(uint32).max);
        // Both factors are below 2^32 (the constructor bounds perBlock): no overflow.
        uint256 bound = last + elapsed * perBlock;
        return block.timestamp < bound ? block.timestamp : bound;
    }

    /// @notice The word with a new clock, the cached window kept.
    function setTime(uint256 word, uint256 time, uint256 evmBlock) internal pure returns (uint256) {
        return (time << 224) | (uint256(uint32(evmBlock)) << 192) | (word & ((1 << 192) - 1));
    }

    /// @notice The first word: the clock at `time`, a window of the checkpoint's time alone.
    function initial(uint256 time, uint256 evmBlock, uint256 checkpointTime) internal pure returns (uint256 word) {
        word = (time << 224) | (uint256(uint32(evmBlock)) << 192) | (checkpointTime << 160);
        for (uint256 k; k < OFFSETS; ++k) {
            word |= ABSENT << (16 * k);
        }
    }

    /// @notice A word holding the clock and the window ending at the last of `headers` (80 bytes
    /// each, after `start`, a chronological window); not cached where its gaps do not fit int16.
    function pack(uint256 time, uint256 evmBlock, Window memory start, bytes calldata headers)
        internal
        pure
        returns (uint256 word)
    {
        word = (time << 224) | (uint256(uint32(evmBlock)) << 192);
        // unchecked: indices are below count or n, both checked first; times are 32-bit, gaps fit int256.
        unchecked {
            uint256 count = headers.length / 80;
            uint256 n = start.count;
            uint256 newest = _nth(headers, count, start, n, 0);
            uint256 offsets = 0;
            for (uint256 k = 1; k <= OFFSETS; ++k) {
                uint256 field = ABSENT;
                if (k < count + n) {
                    int256 gap = int256(newest) - int256(_nth(headers, count, start, n, k));
                    if (gap <= -0x8000 || gap >= 0x8000) return word; // not cached: read from storage next time
                    field = uint256(gap) & 0xffff; // two's complement in 16 bits
                }
                offsets |= field << (16 * (k - 1));
            }
            return word | (newest << 160) | offsets;
        }
    }

    /// @dev The k-th newest time (0: the last header's) of `start` followed by the batch.
    function _nth(bytes calldata headers, uint256 count, Window memory start, uint256 n, uint256 k)
        private
        pure
        returns (uint256 v)
    {
        // unchecked: callers pass k < count + n, so both indices are in range.
        unchecked {
            if (k < count) {
                uint256 at = (count - 1 - k) * 80 + 68; // the time field
                assembly ("memory-safe") {
                    v := shr(224, calldataload(add(headers.offset, at)))
                }
                // The field is little-endian.
                v = ((v >> 24) & 0xff) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | ((v << 24) & 0xff000000);
            } else {
                v = start.times[n - 1 - (k - count)];
            }
        }
    }

    /// @notice Fills an empty window from the word (oldest first); returns its latest time, or
    /// 0 where none is cached.
    function cached(uint256 word, Window memory w) internal pure returns (uint256 latestTime) {
        uint256 newest = (word >> 160) & type(uint32).max;
        if (newest == 0) return 0;
        latestTime = newest;
        // unchecked: k stays in 0..10, and a cached gap came from two 32-bit times.
        unchecked {
            uint256 k;
            while (k < OFFSETS && (word >> (16 * k)) & 0xffff != ABSENT) {
                ++k;
            }
            for (uint256 j; j < k; ++j) {
                int256 gap = int16(uint16(word >> (16 * (k - 1 - j))));
                if (gap < 0) latestTime = uint256(int256(newest) - gap) > latestTime ? uint256(int256(newest) - gap) : latestTime;
                _set(w, j, uint256(int256(newest) - gap));
            }
            _set(w, k, newest);
            w.count = k + 1; // the oldest is at 0, so head stays 0
        }
    }
}
