// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {MarketAccounts} from "./MarketAccounts.sol";
import {ScoreSheet} from "./libraries/ScoreSheet.sol";

/// @title JobBook
/// @notice The market's job and submission storage, its configuration, validation and views.
/// @dev Abstract: {TrainingMarket} holds the mutators. Views derive a job's phase from its
/// status and the block time, and judge submissions with the same {_judge} finalize uses.
abstract contract JobBook is MarketAccounts {
    using ScoreSheet for uint256;

    /// @notice Most submissions per job: bounds finalize's loop.
    uint8 public constant MAX_SUBMISSIONS = 16;
    uint16 internal constant BPS = 10_000;
    uint256 internal constant NO_WINNER = type(uint256).max;

    /// @dev A submission in commit order: one slot.
    struct Entry {
        address worker;
        uint80 stake;
    }

    IModelRegistry internal immutable _registry;
    uint256 internal immutable _quorum;
    uint256 internal immutable _toleranceBps;
    uint256 internal immutable _feeBps;

    // Starts at 1: job 0 would read as "registered directly" in the ModelRegistry, and
    // a non-zero counter makes every postJob an update instead of a fresh write.
    uint256 internal _nextJobId = 1;
    mapping(uint256 jobId => Job) internal _jobs;
    mapping(uint256 jobId => Entry[MAX_SUBMISSIONS]) internal _entries;
    mapping(uint256 jobId => mapping(address worker => bytes32)) internal _sealed;
    mapping(uint256 jobId => mapping(address worker => uint256)) internal _sheets;

    constructor(address registry_, uint256 quorum_, uint256 toleranceBps_, uint256 feeBps_) {
        if (registry_ == address(0)) revert TrainingMarketZeroAddress();
        if (quorum_ == 0 || quorum_ > MAX_VALIDATORS) revert TrainingMarketInvalidQuorum(quorum_);
        if (toleranceBps_ > BPS) revert TrainingMarketBpsTooHigh(toleranceBps_);
        if (feeBps_ > BPS) revert TrainingMarketBpsTooHigh(feeBps_);
        _registry = IModelRegistry(registry_);
        _quorum = quorum_;
        _toleranceBps = toleranceBps_;
        _feeBps = feeBps_;
    }

    /// @notice The commitment a worker sends to {commit}; {reveal} recomputes it.
    function commitmentOf(uint256 jobId, address worker, bytes32 modelHash, uint16 scoreBps, bytes32 salt)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(jobId, worker, modelHash, scoreBps, salt));
    }

    /// @notice The stored job; reverts for an unknown id.
    function job(uint256 jobId) external view returns (Job memory) {
        return _existing(jobId);
    }

    /// @notice Number of jobs posted; ids run from 1 to this.
    function jobCount() external view returns (uint256) {
        return _nextJobId - 1;
    }

    /// @notice The job's phase: its status, or for an active job the window the clock is in.
    function phase(uint256 jobId) external view returns (Phase) {
        Job storage j = _existing(jobId);
        if (j.status == Status.Finalized) return Phase.Finalized;
        if (j.status == Status.Cancelled) return Phase.Cancelled;
        if (block.timestamp < j.commitDeadline) return Phase.Open;
        if (block.timestamp < j.revealDeadline) return Phase.Revealing;
        if (block.timestamp < j.attestDeadline) return Phase.Attesting;
        return Phase.Finalizable;
    }

    /// @notice Every submission of a job in commit order, judged as finalize does (or will).
    function submissions(uint256 jobId) external view returns (Submission[] memory list) {
        Job storage j = _existing(jobId);
        bool finalized = j.status == Status.Finalized;
        list = new Submission[](j.submissionCount);
        for (uint256 i; i < list.length; ++i) {
            Entry memory entry = _entries[jobId][i];
            uint256 sheet = _sheets[jobId][entry.worker];
            (Outcome outcome, uint256 count, uint16 verified) = _judge(sheet);
            if (!finalized) outcome = Outcome.Pending;
            else if (j.winnerPlusOne == i + 1) outcome = Outcome.Won;
            list[i] = Submission({
                worker: entry.worker,
                stake: entry.stake,
                sealedHash: _sealed[jobId][entry.worker],
                revealed: sheet.revealed(),
                claimedScoreBps: sheet.revealed() ? sheet.claimed() : 0,
                attestationCount: uint8(count), // count <= 15
                verifiedScoreBps: verified,
                outcome: outcome
            });
        }
    }

    /// @notice The attestations of `worker`'s submission to `jobId`, by validator seat.
    function attestations(uint256 jobId, address worker) external view returns (Attestation[] memory list) {
        uint256 sheet = _sheets[jobId][worker];
        list = new Attestation[](MAX_VALIDATORS);
        uint256 length;
        for (uint256 seat; seat < MAX_VALIDATORS; ++seat) {
            if (sheet.hasAttestation(seat)) list[length++] = Attestation(uint8(seat), sheet.attestation(seat));
        }
        // Trim to the entries written: shrink the array's length word in place.
        assembly ("memory-safe") {
            mstore(list, length)
        }
    }

    /// @notice The ModelRegistry where winners are registered.
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @notice Attestations needed to verify a submission.
    function quorum() external view returns (uint256) {
        return _quorum;
    }

    /// @notice Largest honest distance between a claimed and a verified score, in bps.
    function toleranceBps() external view returns (uint256) {
        return _toleranceBps;
    }

    /// @notice Share of a reward paid to the validators near the winner's median, in bps.
    function feeBps() external view returns (uint256) {
        return _feeBps;
    }

    /// @dev The stored job, or a revert for an id never posted.
    function _existing(uint256 jobId) internal view returns (Job storage j) {
        j = _jobs[jobId];
        // Slot 0, which commit and reveal read anyway; every posted job has a deadline.
        if (j.commitDeadline == 0) revert TrainingMarketUnknownJob(jobId);
    }

    /// @dev How finalize judges a sheet; the caller turns Honest into Won for the winner.
    function _judge(uint256 sheet) internal view returns (Outcome outcome, uint256 count, uint16 verified) {
        if (!sheet.revealed()) return (Outcome.Unrevealed, 0, 0);
        (count, verified) = sheet.verified();
        if (count < _quorum) outcome = Outcome.Unverified;
        else if (ScoreSheet.distance(sheet.claimed(), verified) > _toleranceBps) outcome = Outcome.Dishonest;
        else outcome = Outcome.Honest;
    }

    /// @dev postJob's checks on everything but the deadlines.
    function _validateJob(
        bytes32 baseModel,
        bytes32 trainingSet,
        bytes32 evaluationSet,
        bytes32 spec,
        uint16 minScoreBps,
        uint96 minStake
    ) internal view {
        if (msg.value == 0) revert TrainingMarketZeroReward();
        if (msg.value > type(uint96).max) revert TrainingMarketAmountTooLarge(msg.value, type(uint96).max);
        if (trainingSet == bytes32(0) || evaluationSet == bytes32(0) || spec == bytes32(0)) {
            revert TrainingMarketZeroHash();
        }
        if (minScoreBps > BPS) revert TrainingMarketBpsTooHigh(minScoreBps);
        // A free commit would let anyone fill the submission cap at no cost.
        if (minStake == 0) revert TrainingMarketZeroStake();
        if (minStake > type(uint80).max) revert TrainingMarketAmountTooLarge(minStake, type(uint80).max);
        if (!_registry.isRegistered(baseModel)) revert TrainingMarketUnknownBaseModel(baseModel);
    }

    /// @dev now < commit < reveal < attest <= now + MAX_JOB_DURATION (see ValidatorSet).
    function _validateDeadlines(uint40 commitDeadline, uint40 revealDeadline, uint40 attestDeadline) internal view {
        if (block.timestamp >= commitDeadline || commitDeadline >= revealDeadline || revealDeadline >= attestDeadline) {
            revert TrainingMarketBadDeadlines(commitDeadline, revealDeadline, attestDeadline);
        }
        if (attestDeadline - block.timestamp > MAX_JOB_DURATION) {
            revert TrainingMarketJobTooLong(attestDeadline - block.timestamp, MAX_JOB_DURATION);
        }
    }
}
