// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {JobBook} from "./JobBook.sol";
import {ScoreSheet} from "./libraries/ScoreSheet.sol";
import {ValidatorSet} from "./ValidatorSet.sol";

/// @title TrainingMarket
/// @notice Escrowed fine-tuning jobs: workers commit then reveal results with a stake,
/// bonded validators attest measured scores, finalize pays the best honest result,
/// slashes dishonest ones and registers the winner in the ModelRegistry.
/// @dev Storage per job: the four-slot {Job}. Per submission: `_entries[job][i]` (worker and
/// stake, in commit order), `_sealed[job][worker]` (the commitment, overwritten by the model
/// hash on reveal) and `_sheets[job][worker]` (claimed and attested scores, one word, see
/// {ScoreSheet}). A commit writes two fresh slots, a reveal one, an attestation none.
/// Time windows are half-open: commit in [post, commitDeadline), reveal in
/// [commitDeadline, revealDeadline), attest in [revealDeadline, attestDeadline), finalize from
/// attestDeadline on. Money leaves only through {withdraw} and {withdrawBond}.
/// Reentrancy: the functions that call out (withdraw, withdrawBond, finalize) are
/// `nonReentrant`. The others send no ether and make no state-changing call (postJob only
/// reads the registry through a static call), so they cannot be interrupted half-way; entering one from a withdraw callback is the same as a fresh
/// transaction (the balance is already zero), and skipping the guard keeps commit and
/// reveal within their gas goals.
contract TrainingMarket is JobBook {
    using ScoreSheet for uint256;

    /// @param registry_ The ModelRegistry; this contract needs its MARKET_ROLE.
    /// @param minBond_ Smallest validator bond, in wei.
    /// @param quorum_ Attestations needed to verify a submission (1..MAX_VALIDATORS).
    /// @param toleranceBps_ Largest honest distance between a claim and the median, in bps.
    /// @param feeBps_ Share of the reward paid to validators near the winner's median, in bps.
    constructor(address registry_, uint256 minBond_, uint256 quorum_, uint256 toleranceBps_, uint256 feeBps_)
        ValidatorSet(minBond_)
        JobBook(registry_, quorum_, toleranceBps_, feeBps_)
    {}

    /// @notice Post a job; msg.value is the reward, escrowed until finalize or cancel.
    /// @dev The evaluation-set and spec hashes are not stored: workers and validators read
    /// them from {JobPosted}. Requirements: reward > 0, base model registered, non-zero hashes,
    /// minimum score <= 10000, now < commit < reveal < attest deadline <= now +
    /// MAX_JOB_DURATION, 0 < minStake <= 2**80 - 1. Emits {JobPosted}.
    function postJob(
        bytes32 baseModel,
        bytes32 trainingSet,
        bytes32 evaluationSet,
        bytes32 spec,
        uint16 minScoreBps,
        uint40 commitDeadline,
        uint40 revealDeadline,
        uint40 attestDeadline,
        uint96 minStake
    ) external payable returns (uint256 jobId) {
        _validateJob(baseModel, trainingSet, evaluationSet, spec, minScoreBps, minStake);
        _validateDeadlines(commitDeadline, revealDeadline, attestDeadline);
        jobId = _nextJobId++;
        _jobs[jobId] = Job({
            commitDeadline: commitDeadline,
            revealDeadline: revealDeadline,
            attestDeadline: attestDeadline,
            minStake: uint80(minStake), // range checked in _validateJob, like the reward
            minScoreBps: minScoreBps,
            submissionCount: 0,
            status: Status.Active,
            winnerPlusOne: 0,
            requester: msg.sender,
            reward: uint96(msg.value),
            baseModel: baseModel,
            trainingSet: trainingSet
        });
        emit JobPosted(
            jobId, msg.sender, baseModel, trainingSet, evaluationSet, spec, minScoreBps,
            commitDeadline, revealDeadline, attestDeadline, uint80(minStake), uint96(msg.value)
        );
    }

    /// @notice Cancel a job nobody has committed to; the reward is credited back.
    /// @dev Only the requester, while the job is active and has no submission.
    /// Emits {JobCancelled}.
    function cancelJob(uint256 jobId) external {
        Job storage job = _existing(jobId);
        if (job.requester != msg.sender) revert TrainingMarketNotRequester(jobId, msg.sender);
        if (job.status != Status.Active) revert TrainingMarketJobClosed(jobId);
        if (job.submissionCount != 0) revert TrainingMarketHasSubmissions(jobId);
        job.status = Status.Cancelled;
        _credit(msg.sender, job.reward);
        emit JobCancelled(jobId, msg.sender, job.reward);
    }

    /// @notice Commit to a result with a stake (msg.value >= the job's minimum stake).
    /// @dev `commitment` = {commitmentOf}(jobId, msg.sender, modelHash, scoreBps, salt); it binds
    /// the job and the sender, so a copied commitment cannot be revealed by anyone else.
    /// One per worker per job, at most MAX_SUBMISSIONS per job. Emits {Committed}.
    function commit(uint256 jobId, bytes32 commitment) external payable {
        Job storage job = _jobs[jobId];
        // Read slot 0 once, before any branch, so the optimizer shares one SLOAD.
        (uint40 commitDeadline, Status status, uint80 minStake, uint8 index) =
            (job.commitDeadline, job.status, job.minStake, job.submissionCount);
        if (commitDeadline == 0) revert TrainingMarketUnknownJob(jobId);
        if (status != Status.Active) revert TrainingMarketJobClosed(jobId);
        if (block.timestamp >= commitDeadline) revert TrainingMarketCommitClosed(jobId, commitDeadline);
        if (commitment == bytes32(0)) revert TrainingMarketZeroHash();
        if (msg.value < minStake) revert TrainingMarketStakeTooLow(jobId, msg.value, minStake);
        if (msg.value > type(uint80).max) revert TrainingMarketAmountTooLarge(msg.value, type(uint80).max);
        if (index == MAX_SUBMISSIONS) revert TrainingMarketSubmissionsFull(jobId);
        if (_sealed[jobId][msg.sender] != bytes32(0)) revert TrainingMarketAlreadyCommitted(jobId, msg.sender);
        job.submissionCount = index + 1;
        _entries[jobId][index] = Entry({worker: msg.sender, stake: uint80(msg.value)}); // checked above
        _sealed[jobId][msg.sender] = commitment;
        emit Committed(jobId, msg.sender, index, commitment, uint80(msg.value));
    }

    /// @notice Reveal a committed result: model hash, claimed score, salt and artifact URI.
    /// @dev Between the commit and the reveal deadline; must hash to the commitment. The URI
    /// is not stored: validators read it from {Revealed}. Emits {Revealed}.
    function reveal(uint256 jobId, bytes32 modelHash, uint16 scoreBps, bytes32 salt, string calldata uri)
        external
    {
        Job storage job = _existing(jobId); // slot 0 holds all that reveal needs
        if (block.timestamp < job.commitDeadline || block.timestamp >= job.revealDeadline) {
            revert TrainingMarketNotRevealing(jobId);
        }
        bytes32 sealedHash = _sealed[jobId][msg.sender];
        if (sealedHash == bytes32(0)) revert TrainingMarketNotCommitted(jobId, msg.sender);
        if (_sheets[jobId][msg.sender].revealed()) revert TrainingMarketAlreadyRevealed(jobId, msg.sender);
        if (modelHash == bytes32(0)) revert TrainingMarketZeroHash();
        if (scoreBps > BPS) revert TrainingMarketBpsTooHigh(scoreBps);
        if (commitmentOf(jobId, msg.sender, modelHash, scoreBps, salt) != sealedHash) {
            revert TrainingMarketCommitmentMismatch(jobId, msg.sender);
        }
        // The commitment has served its purpose: reuse its slot (an update, not a new slot).
        _sealed[jobId][msg.sender] = modelHash;
        _sheets[jobId][msg.sender] = ScoreSheet.withClaim(scoreBps);
        emit Revealed(jobId, msg.sender, modelHash, scoreBps, uri);
    }

    /// @notice Attest the score you measured for `worker`'s revealed submission.
    /// @dev Active validators only, between the reveal and the attest deadline, never the
    /// job's requester nor the worker itself, once per validator per submission.
    /// Emits {Attested}.
    function attest(uint256 jobId, address worker, uint16 scoreBps) external {
        Job storage job = _existing(jobId);
        if (block.timestamp < job.revealDeadline || block.timestamp >= job.attestDeadline) {
            revert TrainingMarketNotAttesting(jobId);
        }
        if (msg.sender == job.requester) revert TrainingMarketRequesterCannotAttest(jobId, msg.sender);
        if (msg.sender == worker) revert TrainingMarketWorkerCannotAttest(jobId, msg.sender);
        if (scoreBps > BPS) revert TrainingMarketBpsTooHigh(scoreBps);
        uint8 seat = _activeSeat(msg.sender);
        uint256 sheet = _sheets[jobId][worker];
        if (!sheet.revealed()) revert TrainingMarketNotRevealed(jobId, worker);
        if (sheet.hasAttestation(seat)) revert TrainingMarketAlreadyAttested(jobId, worker, msg.sender);
        _sheets[jobId][worker] = sheet.withAttestation(seat, scoreBps);
        emit Attested(jobId, worker, msg.sender, seat, scoreBps);
    }

    /// @notice Settle a job after its attest deadline; anyone may call it, once.
    /// @dev Slashes unrevealed and dishonest stakes to the requester, returns the others,
    /// pays the best honest verified score at or above the minimum (ties: earliest commit)
    /// the reward less the validator fee, and registers its model. No winner: the reward
    /// goes back to the requester. All credits are pulled later. Emits {Finalized}.
    function finalize(uint256 jobId) external nonReentrant {
        Job storage job = _existing(jobId);
        if (job.status != Status.Active) revert TrainingMarketJobClosed(jobId);
        uint40 attestDeadline = job.attestDeadline;
        if (block.timestamp < attestDeadline) revert TrainingMarketTooEarly(jobId, attestDeadline);
        job.status = Status.Finalized; // before any credit or call: a finalized job never changes
        (uint256 best, uint16 score, uint256 slashed) = _settleStakes(jobId, job.submissionCount, job.minScoreBps);
        uint256 reward = job.reward;
        if (best == NO_WINNER) {
            _credit(job.requester, reward + slashed);
            emit Finalized(jobId, address(0), bytes32(0), 0, 0, 0, slashed, reward);
            return;
        }
        job.winnerPlusOne = uint8(best + 1); // best < MAX_SUBMISSIONS
        address winner = _entries[jobId][best].worker;
        uint256 fees = _payValidators(_sheets[jobId][winner], score, reward, attestDeadline);
        // The winner also takes fee shares nobody can claim and the division dust.
        _credit(winner, reward - fees);
        _count(winner, true);
        _credit(job.requester, slashed);
        bytes32 modelHash = _sealed[jobId][winner];
        // Someone may have registered this model already (directly, or through another job):
        // skip instead of reverting, or anyone could block finalize by registering first.
        if (!_registry.isRegistered(modelHash)) {
            _registry.registerFromMarket(modelHash, job.baseModel, job.trainingSet, score, jobId, "");
        }
        emit Finalized(jobId, winner, modelHash, score, reward - fees, fees, slashed, 0);
    }

    /// @dev Credits back every stake that is not slashed and finds the winner.
    function _settleStakes(uint256 jobId, uint256 count, uint16 minScore)
        private
        returns (uint256 best, uint16 bestScore, uint256 slashed)
    {
        best = NO_WINNER;
        for (uint256 i; i < count; ++i) {
            Entry memory entry = _entries[jobId][i];
            (Outcome outcome,, uint16 score) = _judge(_sheets[jobId][entry.worker]);
            if (outcome == Outcome.Unrevealed || outcome == Outcome.Dishonest) {
                slashed += entry.stake;
                _count(entry.worker, false);
                continue;
            }
            _credit(entry.worker, entry.stake);
            // Strictly greater: on a tie the earlier commit (lower index) keeps the lead.
            if (outcome == Outcome.Honest && score >= minScore && (best == NO_WINNER || score > bestScore)) {
                (best, bestScore) = (i, score);
            }
        }
    }

    /// @dev Shares the fee equally among validators whose attestation of the winner is within
    /// the tolerance of the median; returns what was credited.
    function _payValidators(uint256 sheet, uint16 median, uint256 reward, uint40 attestDeadline)
        private
        returns (uint256 paid)
    {
        uint256 nearSeats = 0; // bitmap of seats near the median
        uint256 near = 0;
        for (uint256 seat; seat < MAX_VALIDATORS; ++seat) {
            if (sheet.hasAttestation(seat) && ScoreSheet.distance(sheet.attestation(seat), median) <= _toleranceBps) {
                nearSeats |= 1 << seat;
                ++near;
            }
        }
        // An even count's median is a mean, which may be far from every attestation at a
        // small tolerance: then nobody earned the fee and it stays with the winner.
        if (near == 0) return 0;
        uint256 share = reward * _feeBps / BPS / near;
        for (uint256 seat; seat < MAX_VALIDATORS; ++seat) {
            if (nearSeats & (1 << seat) == 0) continue;
            address attester = _attesterAt(seat, attestDeadline);
            if (attester == address(0)) continue; // left the set before finalize: see ValidatorSet
            _credit(attester, share);
            paid += share;
        }
    }
}
