// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ITrainingMarket} from "./interfaces/ITrainingMarket.sol";

/// @title ValidatorSet
/// @notice The market's bonded validators: join with a bond, request exit, withdraw the bond
/// after an unbonding delay that outlasts any job.
/// @dev Validators sit in at most 15 numbered seats (one score lane each, see {ScoreSheet}).
/// Why the delay makes seats safe to reuse: a validator stops attesting when it requests
/// exit and gets its bond (and frees its seat) UNBONDING_DELAY later. Every job it attested
/// was posted before the request and ends at most MAX_JOB_DURATION after posting, which is
/// shorter than UNBONDING_DELAY. So a seat's next holder joins after the attest deadline of
/// every job the previous holder attested: for a job, the seat's attestations belong to the
/// current holder exactly when that holder joined no later than the job's attest deadline.
abstract contract ValidatorSet is ITrainingMarket, ReentrancyGuardTransient {
    /// @notice Most validators at once: one score lane per seat.
    uint256 public constant MAX_VALIDATORS = 15; // = ScoreSheet.SEATS: one score lane per seat
    /// @notice Longest job: from posting to its attest deadline.
    uint256 public constant MAX_JOB_DURATION = 30 days;
    /// @notice Time between an exit request and the bond's release; > MAX_JOB_DURATION.
    uint256 public constant UNBONDING_DELAY = MAX_JOB_DURATION + 1 days;

    /// @dev One slot per seat: the finalize loop reads holder and join time together.
    struct Seat {
        address holder;
        uint40 joinedAt;
    }

    uint256 private immutable _minBond;
    Seat[MAX_VALIDATORS] private _seats;
    mapping(address account => Validator) private _validators;
    uint8 private _validatorCount;

    constructor(uint256 minBond_) {
        if (minBond_ == 0) revert TrainingMarketBondTooLow(0, 1);
        _minBond = minBond_;
    }

    /// @notice Join the validator set with a bond of at least {minBond} (msg.value).
    /// @dev Emits {ValidatorJoined}. Takes the lowest free seat.
    function joinValidators() external payable {
        if (_validators[msg.sender].member) revert TrainingMarketAlreadyValidator(msg.sender);
        if (msg.value < _minBond) revert TrainingMarketBondTooLow(msg.value, _minBond);
        if (msg.value > type(uint96).max) revert TrainingMarketAmountTooLarge(msg.value, type(uint96).max);
        uint8 seat = _freeSeat();
        _seats[seat] = Seat({holder: msg.sender, joinedAt: uint40(block.timestamp)});
        _validators[msg.sender] = Validator({
            bond: uint96(msg.value), // checked above
            joinedAt: uint40(block.timestamp),
            exitRequestedAt: 0,
            seat: seat,
            member: true
        });
        ++_validatorCount;
        emit ValidatorJoined(msg.sender, seat, uint96(msg.value));
    }

    /// @notice Stop attesting and start the unbonding delay.
    /// @dev Emits {ValidatorExitRequested} with the time the bond unlocks.
    function requestExit() external {
        Validator storage v = _validators[msg.sender];
        if (!v.member) revert TrainingMarketNotValidator(msg.sender);
        if (v.exitRequestedAt != 0) revert TrainingMarketExitAlreadyRequested(msg.sender);
        v.exitRequestedAt = uint40(block.timestamp);
        emit ValidatorExitRequested(msg.sender, uint40(block.timestamp + UNBONDING_DELAY));
    }

    /// @notice After the unbonding delay: leave the set, free the seat and receive the bond.
    /// @dev Effects before the transfer, under the reentrancy guard. Emits {BondWithdrawn}.
    function withdrawBond() external nonReentrant {
        Validator memory v = _validators[msg.sender];
        if (!v.member) revert TrainingMarketNotValidator(msg.sender);
        if (v.exitRequestedAt == 0) revert TrainingMarketExitNotRequested(msg.sender);
        uint40 unlocksAt = uint40(v.exitRequestedAt + UNBONDING_DELAY);
        if (block.timestamp < unlocksAt) revert TrainingMarketStillUnbonding(msg.sender, unlocksAt);
        delete _seats[v.seat];
        delete _validators[msg.sender];
        --_validatorCount;
        _sendToCaller(v.bond);
        emit BondWithdrawn(msg.sender, v.bond);
    }

    /// @notice The smallest bond accepted by {joinValidators}.
    function minBond() external view returns (uint256) {
        return _minBond;
    }

    /// @notice The membership record of `account` (member false when it is not a validator).
    function validator(address account) external view returns (Validator memory) {
        return _validators[account];
    }

    /// @notice The holder of `seat` (zero when free) and when it joined.
    function validatorAt(uint256 seat) external view returns (address holder, uint40 joinedAt) {
        if (seat >= MAX_VALIDATORS) revert TrainingMarketUnknownSeat(seat);
        Seat memory s = _seats[seat];
        return (s.holder, s.joinedAt);
    }

    /// @notice Number of validators, exiting ones included until they withdraw their bond.
    function validatorCount() external view returns (uint256) {
        return _validatorCount;
    }

    /// @dev The seat of an active (not exiting) validator; reverts for anyone else.
    function _activeSeat(address account) internal view returns (uint8) {
        Validator memory v = _validators[account];
        if (!v.member || v.exitRequestedAt != 0) revert TrainingMarketNotValidator(account);
        return v.seat;
    }

    /// @dev Who attested from `seat` on a job with `attestDeadline`; zero when that validator
    /// has left (see the contract's @dev for why the join time decides it).
    function _attesterAt(uint256 seat, uint40 attestDeadline) internal view returns (address) {
        Seat memory s = _seats[seat];
        return s.joinedAt <= attestDeadline ? s.holder : address(0);
    }

    /// @dev The one way ether leaves the contract: a plain call to the caller, who pulls.
    function _sendToCaller(uint256 amount) internal {
        // False positive: the destination is always msg.sender, paid what it is owed.
        // slither-disable-next-line arbitrary-send-eth,low-level-calls
        (bool ok,) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert TrainingMarketTransferFailed(msg.sender, amount);
    }

    function _freeSeat() private view returns (uint8) {
        for (uint8 seat; seat < MAX_VALIDATORS; ++seat) {
            if (_seats[seat].holder == address(0)) return seat;
        }
        revert TrainingMarketValidatorSetFull();
    }
}
