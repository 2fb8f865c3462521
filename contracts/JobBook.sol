// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILedgerRelay} from "./interfaces/ILedgerRelay.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {MarketAccounts} from "./MarketAccounts.sol";
import {Committee} from "./libraries/Committee.sol";
import {ScoreSheet} from "./libraries/ScoreSheet.sol";

/// @title JobBook
/// @notice The market's job, submission, committee and attestation storage, its
/// configuration, the rules that judge a submission, and the views.
/// @dev Abstract: the mutators live in {TrainingMarket}, {Attestations} and {Settlement}.
/// Views judge submissions with the same {_judge} and {_payout} that finalize and claim use.
abstract contract JobBook is MarketAccounts {
    using ScoreSheet for uint256;

    /// @notice Most submissions per job: bounds every per-job loop.
    uint8 public constant MAX_SUBMISSIONS = 16;
    /// @notice Longest artifact URI a reveal takes: finalize passes the winner's again, so an
    /// unbounded one could price finalize out of every block and lock the job's money.
    uint256 public constant MAX_URI_BYTES = 1024;
    uint16 internal constant BPS = 10_000;
    uint256 internal constant NO_WINNER = type(uint256).max;
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

    /// @notice The commitment a worker sends to {commit}; {reveal} recomputes it.
    function commitmentOf(uint256 jobId, address worker, bytes32 modelHash, uint16 scoreBps, bytes32 salt)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(jobId, worker, modelHash, scoreBps, salt));
    }

    /// @notice The seal a committee member sends to {commitAttestation}: its scores for every
    /// submission in commit order, bound to the job and to the validator.
    function attestationSealOf(uint256 jobId, address validator_, uint16[] memory scores, bytes32 salt)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(jobId, validator_, scores, salt));
    }

    /// @notice What the commitment slot holds after a reveal: binds the model to its URI.
    function resultHashOf(bytes32 modelHash, string calldata uri) public pure returns (bytes32) {
        return keccak256(abi.encode(modelHash, keccak256(bytes(uri))));
    }

    /// @notice The seal a requester sends to {postJob} for its evaluation set.
    function evaluationSealOf(bytes32 evaluationSet, bytes32 salt) public pure returns (bytes32) {
        return keccak256(abi.encode(evaluationSet, salt));
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

    /// @notice The job's phase: its status, or for an active job the window the clock is in.
    function phase(uint256 jobId) external view returns (Phase) {
        Job storage j = _existing(jobId);
        if (j.status == Status.Finalized) return Phase.Finalized;
        if (j.status == Status.Cancelled) return Phase.Cancelled;
        if (block.timestamp < j.commitDeadline) return Phase.Open;
        if (block.timestamp < j.revealDeadline) return Phase.Revealing;
        if (block.timestamp < j.attestDeadline) return Phase.Attesting;
        if (block.timestamp < j.settleDeadline) return Phase.Settling;
        return Phase.Finalizable;
    }

    /// @notice The committee's seats in order (a validator may hold several); empty before the draw.
    function committee(uint256 jobId) public view returns (address[] memory seats) {
        uint256[2] memory c = _committees[jobId];
        seats = new address[](_existing(jobId).committeeSize);
        for (uint256 s; s < seats.length; ++s) {
            if (Committee.filled(c, s)) seats[s] = _ownerOf(Committee.leafAt(c, s));
        }
    }

    /// @notice What `validator_` committed for `jobId`: zero if nothing, 1 once revealed; else
    /// the seal's upper 240 bits with the member's seat bitmap in the low 16.
    function attestationSeal(uint256 jobId, address validator_) external view returns (bytes32) {
        return _attestationSeals[jobId][validator_];
    }

    /// @notice Every submission of a job in commit order, judged as finalize does (or will).
    function submissions(uint256 jobId) external view returns (Submission[] memory list) {
        Job memory j = _existing(jobId);
        list = new Submission[](j.submissionCount);
        for (uint256 i; i < list.length; ++i) {
            Entry memory e = _entries[jobId][i];
            uint256 sheet = _sheets[jobId][e.worker];
            (Outcome outcome, uint256 count, uint16 median) = _judge(j, sheet);
            if (j.status != Status.Finalized) outcome = Outcome.Pending;
            else if (j.winnerPlusOne == i + 1) outcome = Outcome.Won;
            list[i] = Submission({
                worker: e.worker,
                stake: e.stake,
                sealedHash: _sealed[jobId][e.worker],
                revealed: sheet.revealed(),
                claimedScoreBps: sheet.revealed() ? sheet.claimed() : 0,
                attestationCount: uint8(count), // count <= 15
                verifiedScoreBps: median,
                outcome: outcome,
                payout: j.status == Status.Finalized ? _payout(j, i, e.stake, sheet) : 0
            });
        }
    }

    /// @dev The stored job, or a revert for an id never posted.
    function _existing(uint256 jobId) internal view returns (Job storage j) {
        j = _jobs[jobId];
        // Slot 0, which every caller reads anyway; every posted job has a deadline.
        if (j.commitDeadline == 0) revert TrainingMarketUnknownJob(jobId);
    }

    /// @dev How a sheet is judged once settled (Won is the caller's; Pending the view's).
    function _judge(Job memory j, uint256 sheet) internal view returns (Outcome, uint256 count, uint16 median) {
        if (!sheet.revealed()) return (Outcome.Unrevealed, 0, 0);
        if (!j.evaluationRevealed) return (Outcome.Forfeited, 0, 0);
        (count, median) = sheet.verified();
        if (count < _quorum) return (Outcome.Unverified, count, median);
        // Only over-claims are dishonest: workers never see the evaluation set, so an honest
        // claim is an estimate from their own held-out split, and a conservative one harms
        // nobody (the winner is chosen by verified score, never by claim).
        if (sheet.claimed() > uint256(median) + _toleranceBps) return (Outcome.Dishonest, count, median);
        return (Outcome.Honest, count, median);
    }

    /// @dev What submission `index` (stake `stake`, sheet `sheet`) of a finalized job is owed.
    /// Unrevealed and dishonest: nothing. Forfeit: stake + the share in `j.reward`. Honest at or
    /// above the minimum: stake (+ the prize in `j.reward` for the winner). Otherwise the
    /// stake less the forfeit, so junk that fills the cap costs real money.
    function _payout(Job memory j, uint256 index, uint256 stake, uint256 sheet) internal view returns (uint256) {
        (Outcome outcome,, uint16 median) = _judge(j, sheet);
        if (outcome == Outcome.Unrevealed || outcome == Outcome.Dishonest) return 0;
        if (outcome == Outcome.Forfeited) return stake + j.reward;
        if (outcome == Outcome.Honest && median >= j.minScoreBps) {
            return j.winnerPlusOne == index + 1 ? stake + j.reward : stake;
        }
        uint256 fee = _forfeitOf(j);
        return stake > fee ? stake - fee : 0;
    }

    /// @dev The forfeit of a submission not verified honest at or above the minimum.
    function _forfeitOf(Job memory j) internal view returns (uint256) {
        return uint256(j.minStake) * _forfeitBps / BPS;
    }
}
