// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILedgerRelay} from "./interfaces/ILedgerRelay.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {MarketAccounts} from "./MarketAccounts.sol";
import {Committee} from "./libraries/Committee.sol";
import {Judgment, SUBMISSION_CAP} from "./libraries/Judgment.sol";

/// @title JobBook
/// @notice The market's job, submission, committee and attestation storage, its
/// configuration, and the raw reads of them.
/// @dev Abstract: the mutators live in {TrainingMarket}, {Attestations} and {Settlement}.
/// The judged views (phase, submissions, committee, winner) live in {MarketLens}, which
/// judges with the same {Judgment} library that finalize and claim use.
abstract contract JobBook is MarketAccounts {
    /// @notice Most submissions per job: bounds every per-job loop.
    uint8 public constant MAX_SUBMISSIONS = SUBMISSION_CAP;
    /// @notice Longest artifact URI a reveal takes: finalize passes the winner's again, so an
    /// unbounded one could price finalize out of every block and lock the job's money.
    uint256 public constant MAX_URI_BYTES = 1024;
    uint16 internal constant BPS = uint16(Judgment.BPS);
    uint256 internal constant NO_WINNER = Judgment.NO_WINNER;
    /// @dev What an attestation seal becomes once revealed: non-zero, so it cannot be re-committed.
    bytes32 internal constant REVEALED = bytes32(uint256(1));

    /// @dev A submission in commit order: one slot. `stake` is zeroed when claimed.
    struct Entry {
        address worker;
        uint96 stake;
    }

    IModelRegistry internal immutable _registry;
    /// @dev The registry's relay, read once: zero when the registry has anchoring off.
    ILedgerRelay internal immutable _relay;
    uint256 internal immutable _quorum;
    uint256 internal immutable _toleranceBps;
    uint256 internal immutable _feeBps;
    uint256 internal immutable _slashBps;
    uint256 internal immutable _forfeitBps;
    uint256 internal immutable _minWindow;

    // Starts at 1: job 0 reads as "registered directly" in the ModelRegistry, and a non-zero
    // counter makes every postJob an update instead of a fresh write.
    uint256 internal _nextJobId = 1;
    mapping(uint256 jobId => Job) internal _jobs;
    mapping(uint256 jobId => Entry[MAX_SUBMISSIONS]) internal _entries;
    mapping(uint256 jobId => mapping(address worker => bytes32)) internal _sealed;
    mapping(uint256 jobId => mapping(address worker => uint256)) internal _sheets;
    mapping(uint256 jobId => uint256[2]) internal _committees;
    mapping(uint256 jobId => mapping(address validator => bytes32)) internal _attestationSeals;

    constructor(address registry_, Config memory c) {
        if (registry_ == address(0)) revert TrainingMarketZeroAddress();
        // A zero forfeit would make filling the submission cap free; a zero window impossible.
        if (
            c.quorum == 0 || c.quorum > Committee.MAX_SEATS || c.forfeitBps == 0 || c.slashBps == 0
                || c.minWindow == 0
        ) revert TrainingMarketBadConfig();
        uint256 highest = c.toleranceBps;
        if (c.feeBps > highest) highest = c.feeBps;
        if (c.slashBps > highest) highest = c.slashBps;
        if (c.forfeitBps > highest) highest = c.forfeitBps;
        if (highest > BPS) revert TrainingMarketBpsTooHigh(highest);
        _registry = IModelRegistry(registry_);
        _relay = ILedgerRelay(IModelRegistry(registry_).relay());
        (_quorum, _toleranceBps, _feeBps) = (c.quorum, c.toleranceBps, c.feeBps);
        (_slashBps, _forfeitBps, _minWindow) = (c.slashBps, c.forfeitBps, c.minWindow);
    }

    /// @notice The protocol's parameters.
    function config() external view returns (Config memory) {
        return Config(
            uint96(_minBond), uint8(_quorum), uint16(_toleranceBps), uint16(_feeBps), uint16(_slashBps),
            uint16(_forfeitBps), uint32(_minWindow)
        );
    }

    /// @notice The ModelRegistry where winners are registered.
    function registry() external view returns (address) {
        return address(_registry);
    }

    /// @notice The stored job; reverts for an unknown id.
    function job(uint256 jobId) external view returns (Job memory) {
        return _existing(jobId);
    }

    /// @notice Number of jobs posted; ids run from 1 to this.
    function jobCount() external view returns (uint256) {
        return _nextJobId - 1;
    }

    /// @notice What `validator_` committed for `jobId`: zero if nothing, 1 once revealed; else
    /// the seal's upper 240 bits with the member's seat bitmap in the low 16.
    function attestationSeal(uint256 jobId, address validator_) external view returns (bytes32) {
        return _attestationSeals[jobId][validator_];
    }

    /// @notice Submission `index` of `jobId` as stored: its worker and stake (zero once
    /// claimed), its commitment (the result hash once revealed) and its {ScoreSheet}.
    /// @dev Raw state for {MarketLens}, which judges it with {Judgment} as finalize does.
    function submissionAt(uint256 jobId, uint256 index) external view returns (SubmissionRecord memory) {
        if (index >= _existing(jobId).submissionCount) revert TrainingMarketNoSubmission(jobId, index);
        Entry memory e = _entries[jobId][index];
        return SubmissionRecord(e.worker, e.stake, _sealed[jobId][e.worker], _sheets[jobId][e.worker]);
    }

    /// @notice The job's committee as stored: two words of 32-bit lanes, seat s in word s / 8,
    /// lane s % 8, holding its validator's sortition leaf + 1 (see {Committee}); zero before the draw.
    function committeeWords(uint256 jobId) external view returns (uint256[2] memory) {
        _existing(jobId);
        return _committees[jobId];
    }

    /// @dev The number of the job's filled seats among its first `size`, whose strict
    /// majority decides a verdict ({Judgment-judge}); word 1 is read only above 8 seats.
    function _drawnSeats(uint256 jobId, uint256 size) internal view returns (uint256 drawn) {
        uint256 word = _committees[jobId][0];
        // Unchecked: seat < size <= 15 and drawn <= seat.
        unchecked {
            for (uint256 seat; seat < size; ++seat) {
                if (seat == 8) word = _committees[jobId][1];
                if ((word >> (32 * (seat & 7))) & type(uint32).max != 0) ++drawn;
            }
        }
    }

    /// @dev The stored job, or a revert for an id never posted.
    function _existing(uint256 jobId) internal view returns (Job storage j) {
        j = _jobs[jobId];
        // Slot 0, which every caller reads anyway; every posted job has a deadline.
        if (j.commitDeadline == 0) revert TrainingMarketUnknownJob(jobId);
    }

    /// @dev {Judgment-judge} with this market's quorum and tolerance, for a committee of `drawn` filled seats.
    function _judge(Job memory j, uint256 sheet, uint256 drawn)
        internal
        view
        returns (Outcome, uint256 count, uint16 median)
    {
        return Judgment.judge(j, sheet, drawn, _quorum, _toleranceBps);
    }
}
