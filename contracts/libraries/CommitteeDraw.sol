// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITrainingMarket} from "../interfaces/ITrainingMarket.sol";
import {Committee} from "./Committee.sol";
import {SUBMISSION_CAP} from "./Judgment.sol";
import {SumTree} from "./SumTree.sol";

/// @title CommitteeDraw
/// @notice Which validators a job's seed seats: the committee draw's reads, as a linked library.
/// @dev External functions, so the market reaches them by DELEGATECALL and its own code stays
/// under EIP-170 with issue 19's headroom (this moved 1,076 bytes out of TrainingMarket). The
/// storage references are the market's: the draw reads its sortition tree, leaf owners,
/// validator records and the job's seals, and writes nothing; the market counts the seats it
/// returns ({ValidatorSet-_drawSeats}).
library CommitteeDraw {
    using SumTree for SumTree.Tree;

    /// @dev The most unsettled seats a member holds (its record's uint8): one more and the draw skips it
    /// instead of overflowing its count.
    uint8 private constant MAX_UNSETTLED_SEATS = type(uint8).max;

    /// @notice A draw's terms: one struct, one stack slot (forge's legacy pipeline ran out of stack).
    struct Terms {
        uint256 epoch; // the weights are those of its start
        uint256 size; // seats
        uint256 seed;
        bool workersListed; // the job's workers are all in `excluded`: no seal to read
        address[] excluded; // who may not sit: the requester, and the workers when listed
    }

    /// @notice Seats by bond from `d.seed`, on the weights of `d.epoch`'s start: each seat goes to a
    /// validator with probability proportional to its bond, so a seat is a share of bond, not an
    /// identity, and splitting a bond into Sybils buys no seats (issue 20, seats by bond).
    /// @dev A seated leaf stays in the draw (a member may hold several seats); a leaf that cannot
    /// sit (in `excluded`, or unless `workersListed` a worker of the job, one with a seal in
    /// `seals`, or a member at its cap of unsettled seats, counting those it took in this draw)
    /// leaves it (its weight joins `gone`), so excluded bond wastes no try (issue 20 item 3). The
    /// tries end when the seats are full, no weight is left, or every workers' and capped
    /// members' leaf could have left besides the seats (`gone`'s length). Returns the committee
    /// words and each seat's member (zero past the last filled seat).
    function drawSeats(
        SumTree.Tree storage tree,
        mapping(uint256 => uint256) storage leaves,
        mapping(address => ITrainingMarket.Validator) storage validators,
        mapping(address => bytes32) storage seals,
        Terms memory d
    ) external view returns (uint256[2] memory c, address[] memory seats) {
        uint256 total = tree.totalAt(d.epoch); // read once: the epoch's start, which nothing changes
        // Nobody bonded when the epoch began: nothing to draw (an exact zero, not a threshold).
        // slither-disable-next-line incorrect-equality
        if (total == 0) revert ITrainingMarket.TrainingMarketNotValidator(address(0));
        seats = new address[](d.size);
        // Tries: the seats, the requester, every worker, and as many members at their cap as
        // seats. `gone` holds the intervals that left the draw, sorted (`out` of them).
        uint256[] memory gone = new uint256[](2 * d.size + SUBMISSION_CAP + 1);
        uint256 filled = 0;
        uint256 out = 0;
        for (uint256 n; filled < d.size && n < gone.length && total != 0; ++n) {
            (uint256 leaf, uint256 interval) = _leafWithout(tree, d, n, total, gone, out);
            address owner = address(uint160(leaves[leaf])); // the leaf word's low bits ({ValidatorSet-_leaves})
            if (_sits(validators, seals, d, seats, filled, owner)) {
                c = Committee.withSeat(c, filled, leaf); // stays in the draw: seats by bond
                seats[filled++] = owner;
                continue;
            }
            // Out of the draw: its weight <= total, the sum it was drawn from.
            total -= interval & type(uint64).max;
            Committee.insertSorted(gone, out++, interval);
        }
        // "Drawn, nobody eligible": lane 7 of the last word the size uses is never a seat.
        if (filled == 0) c[d.size > 8 ? 1 : 0] = 1 << 255;
    }

    /// @dev True unless `owner` is in `excluded`, or (unless `workersListed`) a worker of the job,
    /// or a member at its cap of unsettled seats counting the `seats` this draw gave it.
    function _sits(
        mapping(address => ITrainingMarket.Validator) storage validators,
        mapping(address => bytes32) storage seals,
        Terms memory d,
        address[] memory seats,
        uint256 filled,
        address owner
    ) private view returns (bool) {
        if (Committee.includes(d.excluded, d.excluded.length, owner)) return false;
        if (!d.workersListed && seals[owner] != bytes32(0)) return false; // a worker has a seal
        return uint256(validators[owner].unsettledSeats) + _taken(seats, filled, owner) < MAX_UNSETTLED_SEATS;
    }

    /// @dev The seats among the first `filled` that `owner` holds: the ones this draw took.
    function _taken(address[] memory seats, uint256 filled, address owner) private pure returns (uint256 n) {
        // Unchecked: at most 15 seats.
        unchecked {
            for (uint256 i; i < filled; ++i) {
                if (seats[i] == owner) ++n;
            }
        }
    }

    /// @dev A leaf drawn with probability proportional to weight from try `nonce` of `d.seed`, in
    /// the tree as it stood when `d.epoch` began, among the leaves whose intervals are not in `gone` (its first
    /// `n` entries, `start << 64 | weight`, sorted), whose weights sum to `total` (non-zero):
    /// sampling without replacement with no storage write. Returns the leaf and its interval,
    /// packed as `gone` holds it. A point of the remaining weight maps to the tree's line by
    /// stepping over each gone interval at or below it, in ascending order (they are disjoint).
    function _leafWithout(
        SumTree.Tree storage tree,
        Terms memory d,
        uint256 nonce,
        uint256 total,
        uint256[] memory gone,
        uint256 n
    ) private view returns (uint256 leaf, uint256 interval) {
        // The seed is a block hash fixed before it was known, on weights fixed before that block:
        // docs/market.md ("The committee draw's bias") says what it leaves to a proposer.
        // slither-disable-next-line weak-prng
        uint256 r = Committee.tryHash(d.seed, nonce) % total;
        // Unchecked: r stays below the tree's total (< 2**64): each step adds a gone weight.
        unchecked {
            for (uint256 k; k < n && r >= gone[k] >> 64; ++k) {
                r += gone[k] & type(uint64).max;
            }
        }
        uint256 start;
        uint256 weight;
        (leaf, start, weight) = tree.drawAt(r, d.epoch);
        interval = (start << 64) | weight;
    }
}
