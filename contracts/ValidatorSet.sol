// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ITrainingMarket} from "./interfaces/ITrainingMarket.sol";
import {CommitteeDraw} from "./libraries/CommitteeDraw.sol";
import {SumTree} from "./libraries/SumTree.sol";

/// @dev {ValidatorSet-UNBONDING_DELAY}, at file level so {Appeals} reads the same fact: the
/// longest job (30 days, {ValidatorSet-MAX_JOB_DURATION}) and a week.
uint256 constant UNBONDING_SECONDS = 30 days + 7 days;

/// @title ValidatorSet
/// @notice The market's bonded validators, unbounded in number: join with a bond, request exit,
/// withdraw the bond after an unbonding delay that outlasts any job. Committees are drawn
/// from them with probability proportional to bond ({CommitteeDraw-drawSeats}).
/// @dev Each member owns one leaf of a {SumTree} whose weight is its bond in gwei while it is
/// active and zero once it asks to leave. Leaves are never reused, so a committee's leaf
/// numbers name the same validators for ever. Why the delay makes slashing safe: a validator
/// drawn for a job was active at the draw, which happens before the job's settle deadline,
/// at most MAX_JOB_DURATION after posting; its bond stays locked UNBONDING_DELAY (longer)
/// after its exit request, so a finalize within a week of the settle deadline still finds it
/// (a later one slashes what is left, possibly nothing).
/// Draws read the weights as they stood when the current epoch began ({SumTree-drawAt}): a
/// join, exit or slash takes effect for draws from the next epoch on, so nothing done after
/// an epoch began, in any transaction, moves a draw made in that epoch (issue 20 item 2).
abstract contract ValidatorSet is ITrainingMarket, ReentrancyGuardTransient {
    using SumTree for SumTree.Tree;

    /// @notice Longest job: from posting to its settle deadline.
    uint256 public constant MAX_JOB_DURATION = 30 days;
    /// @notice Time between an exit request and the bond's release; > MAX_JOB_DURATION.
    uint256 public constant UNBONDING_DELAY = UNBONDING_SECONDS;
    /// @dev Sortition weights are in gwei, so a tree lane (64 bits) holds 1.8e10 ether.
    uint256 internal constant WEIGHT_UNIT = 1 gwei;

    uint256 internal immutable _minBond;
    /// @dev Seconds an epoch lasts: half the shortest job window, so the window in which a
    /// job's committee is drawn holds a whole epoch.
    uint256 internal immutable _epochLength;
    SumTree.Tree private _tree;
    /// @dev A leaf's owner (bits 0-159) and its bond's growth ({leastBondSince}), one slot: when
    /// it last grew (a join or a top-up; bits 160-191) and, in gwei, the least bond it had before
    /// a growth since its growths began (bits 192-255): a growth within UNBONDING_DELAY of the one
    /// before continues them, and a join grows from zero.
    mapping(uint256 leaf => uint256 word) private _leaves;
    mapping(address account => Validator) internal _validators;

    constructor(uint256 minBond_, uint256 minWindow_) {
        if (minBond_ < WEIGHT_UNIT) revert TrainingMarketBondTooLow(minBond_, WEIGHT_UNIT);
        _minBond = minBond_;
        _epochLength = minWindow_ < 2 ? 1 : minWindow_ / 2;
    }

    /// @notice Join the validator set with a bond of at least {minBond} (msg.value).
    /// @dev Appends a sortition leaf weighted by the bond. Emits {ValidatorJoined}.
    function joinValidators() external payable {
        if (_validators[msg.sender].leafPlusOne != 0) revert TrainingMarketAlreadyValidator(msg.sender);
        if (msg.value < _minBond) revert TrainingMarketBondTooLow(msg.value, _minBond);
        uint256 weight = msg.value / WEIGHT_UNIT;
        // The total weight must fit a tree lane; 2**56 gwei (72M ether) is over half of all ether.
        if (weight > SumTree.MAX_TOTAL - _tree.total()) revert TrainingMarketAmountTooLarge(msg.value, 0);
        uint256 leaf = _tree.push(uint64(weight), _epoch()); // checked just above
        if (leaf >= type(uint32).max - 1) revert TrainingMarketAmountTooLarge(leaf, type(uint32).max - 1);
        _leaves[leaf] = uint160(msg.sender) | (block.timestamp << 160); // grown from a floor of zero
        Validator storage v = _validators[msg.sender];
        // Keep fees earned as a former member; bond < 2**64 gwei < 2**96 wei (checked above).
        (v.bond, v.leafPlusOne, v.unlocksAt) = (uint96(msg.value), uint32(leaf + 1), 0);
        emit ValidatorJoined(msg.sender, uint32(leaf), uint96(msg.value));
    }

    /// @notice Add msg.value to the caller's bond: a member slashed below {minBond} is drawn
    /// again once its bond reaches it (joining again is refused to a member).
    /// @dev Weight follows the bond as in {_slashBond}. Emits {BondToppedUp}.
    function topUpBond() external payable {
        Validator storage v = _validators[msg.sender];
        if (v.leafPlusOne == 0) revert TrainingMarketNotValidator(msg.sender);
        if (v.unlocksAt != 0) revert TrainingMarketExitAlreadyRequested(msg.sender);
        uint256 bond = v.bond + msg.value;
        uint256 leaf = v.leafPlusOne - 1;
        uint256 weight = bond < _minBond ? 0 : bond / WEIGHT_UNIT;
        // The total weight must fit a tree lane, as at join; this also bounds the bond below 2**96 wei.
        if (weight > SumTree.MAX_TOTAL - (_tree.total() - _tree.weightOf(leaf))) {
            revert TrainingMarketAmountTooLarge(msg.value, 0);
        }
        uint256 word = _leaves[leaf];
        (uint256 floor, uint256 before) = (word >> 192, v.bond / WEIGHT_UNIT);
        // Growths a delay apart start afresh; else the floor keeps the least bond before any.
        if (block.timestamp >= uint32(word >> 160) + UNBONDING_DELAY || before < floor) floor = before;
        _leaves[leaf] = uint160(word) | (block.timestamp << 160) | (floor << 192); // times fit 32 bits until 2106
        v.bond = uint96(bond);
        _tree.set(leaf, uint64(weight), _epoch()); // drawn on from the next epoch, as a join
        emit BondToppedUp(msg.sender, msg.value, bond);
    }

    /// @notice Stop being drawn into committees and start the unbonding delay.
    /// @dev Seats already drawn stay the validator's to fill. Emits {ValidatorExitRequested}.
    function requestExit() external {
        Validator storage v = _validators[msg.sender];
        if (v.leafPlusOne == 0) revert TrainingMarketNotValidator(msg.sender);
        if (v.unlocksAt != 0) revert TrainingMarketExitAlreadyRequested(msg.sender);
        _tree.set(v.leafPlusOne - 1, 0, _epoch());
        v.unlocksAt = uint32(block.timestamp + UNBONDING_DELAY); // fits until 2106
        emit ValidatorExitRequested(msg.sender, v.unlocksAt);
    }

    /// @notice After the unbonding delay, once every job whose committee it sits on is
    /// finalized: leave the set and receive the bond.
    /// @dev The delay alone does not keep a slash from being escaped (finalize may come any
    /// time after the settle deadline), so the member's count of unsettled seats must be zero
    /// ({TrainingMarketUnsettledSeats}); anyone may finalize a job past its settle deadline,
    /// the member included. Effects before the transfer, under the reentrancy guard.
    /// Emits {BondWithdrawn}.
    function withdrawBond() external nonReentrant {
        Validator storage v = _validators[msg.sender];
        if (v.leafPlusOne == 0) revert TrainingMarketNotValidator(msg.sender);
        uint40 unlocksAt = v.unlocksAt;
        if (unlocksAt == 0) revert TrainingMarketExitNotRequested(msg.sender);
        if (block.timestamp < unlocksAt) revert TrainingMarketStillUnbonding(msg.sender, unlocksAt);
        // A seat on a job not finalized yet may still owe a slash: a late finalize must find the bond.
        uint8 seats = v.unsettledSeats;
        if (seats != 0) revert TrainingMarketUnsettledSeats(msg.sender, seats);
        uint96 bond = v.bond;
        (v.bond, v.leafPlusOne, v.unlocksAt) = (0, 0, 0); // `earned` stays for withdraw
        if (bond != 0) _sendToCaller(bond);
        emit BondWithdrawn(msg.sender, bond);
    }

    /// @notice The smallest bond accepted by {joinValidators}.
    function minBond() external view returns (uint256) {
        return _minBond;
    }

    /// @notice The membership record of `account` (leafPlusOne 0 when it is not a validator).
    function validator(address account) external view returns (Validator memory) {
        return _validators[account];
    }

    /// @notice The validator that owns sortition leaf `leaf` (zero for an unused leaf).
    function validatorAt(uint256 leaf) external view returns (address) {
        return _ownerOf(leaf);
    }

    /// @notice A bond, in gwei, that `account` held at least at every moment from `time` (at
    /// most UNBONDING_DELAY ago) to now: its bond, or if it grew since `time` (a join counts),
    /// the least it had before a growth since its growths began ({Appeals} weighs votes so:
    /// bond added after an appeal's filing does not count).
    /// @dev Why it holds: between growths a bond only falls (slashes), and the first growth after
    /// `time` continues the latest growths (one more than UNBONDING_DELAY after the growth before
    /// it would be later than now), so the floor is at most the bond just before it.
    /// Named so its selector (0xf953fa99) sorts after commit's, as {epochWeightNow}'s.
    function leastBondSince(address account, uint256 time) external view returns (uint256) {
        Validator storage v = _validators[account];
        uint256 bond = v.bond / WEIGHT_UNIT;
        uint256 word;
        // Unchecked: no leaf (a non-member) wraps to a leaf never used, whose word is zero.
        unchecked {
            word = _leaves[uint256(v.leafPlusOne) - 1];
        }
        uint256 floor = word >> 192;
        return uint32(word >> 160) < time || bond < floor ? bond : floor;
    }

    /// @notice Sortition weight in gwei: the bonds of active validators.
    function totalWeight() external view returns (uint256) {
        return _tree.total();
    }

    /// @notice The sortition weight that draws made now read: the active bonds when the current
    /// epoch began.
    /// @dev Named so its selector (0xff6cb401) sorts after commit's: the IR dispatcher compares
    /// selectors in ascending order, and one more before commit's would cost commit 22 gas of
    /// the 26 it has left under its 75,000 goal.
    function epochWeightNow() external view returns (uint256) {
        return _tree.totalAt(_epoch());
    }

    /// @dev The committee {CommitteeDraw-drawSeats} seats from `seed` on the weights of the
    /// current epoch's start (the job's workers have a seal in `seals`), each seat then counted
    /// as one more unsettled seat of its member: its bond now answers for the job until finalize.
    function _drawSeats(
        mapping(address => bytes32) storage seals,
        uint256 size,
        uint256 seed,
        address[] memory excluded,
        bool workersListed
    ) internal returns (uint256[2] memory c, address[] memory seats) {
        (c, seats) = CommitteeDraw.drawSeats(
            _tree, _leaves, _validators, seals, CommitteeDraw.Terms(_epoch(), size, seed, workersListed, excluded)
        );
        // Unchecked: the draw seats a member only below its cap, counting the seats it takes.
        unchecked {
            for (uint256 i; i < size && seats[i] != address(0); ++i) {
                ++_validators[seats[i]].unsettledSeats;
            }
        }
    }

    /// @dev The current epoch: the weights a draw reads are those of its start.
    function _epoch() internal view returns (uint256) {
        return block.timestamp / _epochLength;
    }

    /// @dev The owner of `leaf`.
    function _ownerOf(uint256 leaf) internal view returns (address) {
        return address(uint160(_leaves[leaf]));
    }

    /// @dev Takes up to `amount` from `account`'s bond and returns what was taken; an active
    /// validator's sortition weight follows its bond, and leaves the tree below the minimum.
    function _slashBond(address account, uint256 amount) internal returns (uint256 taken) {
        Validator storage v = _validators[account];
        uint96 bond = v.bond;
        taken = amount < bond ? amount : bond;
        // Nothing taken: an exact zero by design (the amount may come from an appeal's slash).
        // slither-disable-next-line incorrect-equality
        if (taken == 0) return 0;
        bond -= uint96(taken); // taken <= bond
        v.bond = bond;
        // slither-disable-next-line incorrect-equality
        if (v.unlocksAt == 0 && v.leafPlusOne != 0) {
            _tree.set(v.leafPlusOne - 1, bond < _minBond ? 0 : uint64(bond / WEIGHT_UNIT), _epoch());
        }
    }

    /// @dev The one way ether leaves the contract: a plain call to the caller, who pulls.
    function _sendToCaller(uint256 amount) internal {
        // False positive: the destination is always msg.sender, paid what it is owed.
        // slither-disable-next-line arbitrary-send-eth,low-level-calls
        (bool ok,) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert TrainingMarketTransferFailed(msg.sender, amount);
    }
}
