// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ITrainingMarket
/// @notice Types, events and errors of the fine-tuning market and its validator set.
/// @dev Every failure is a custom error `TrainingMarket<Problem>(context)`; every external
/// mutator emits exactly one past-tense event right after its write.
interface ITrainingMarket {
    /// @notice What the contract stores of a job: four slots (see TrainingMarket's layout).
    /// The evaluation-set and spec hashes are not stored: workers and validators read them
    /// from {JobPosted}.
    struct Job {
        // slot 0: everything commit and reveal need, so each reads one slot
        uint40 commitDeadline; // commits in [posted, commitDeadline); non-zero for a posted job
        uint40 revealDeadline; // reveals in [commitDeadline, revealDeadline)
        uint40 attestDeadline; // attestations in [revealDeadline, attestDeadline)
        uint80 minStake;
        uint16 minScoreBps; // the winner's verified score must reach this
        uint8 submissionCount;
        Status status;
        uint8 winnerPlusOne; // 1 + index of the winning submission; 0: no winner (yet)
        // slot 1
        address requester;
        uint96 reward;
        // slots 2 and 3: what finalize hands to the registry
        bytes32 baseModel;
        bytes32 trainingSet;
    }

    /// @notice The stored state of a job; the phase adds the clock to it.
    enum Status {
        Active,
        Finalized,
        Cancelled
    }

    /// @notice A job's phase, derived from its status and the block time.
    enum Phase {
        Open, // commits accepted
        Revealing,
        Attesting,
        Finalizable,
        Finalized,
        Cancelled
    }

    /// @notice How finalize judged (or will judge, while pending) a submission.
    enum Outcome {
        Pending, // the job is not finalized yet
        Unrevealed, // slashed
        Unverified, // fewer attestations than the quorum: stake returned, cannot win
        Dishonest, // claim further than the tolerance from the median: slashed
        Honest, // stake returned
        Won // honest, best verified score at or above the minimum: paid the reward
    }

    /// @notice One submission as the views show it.
    struct Submission {
        address worker;
        uint80 stake;
        bytes32 sealedHash; // the commitment until revealed, then the model hash
        bool revealed;
        uint16 claimedScoreBps;
        uint8 attestationCount;
        uint16 verifiedScoreBps; // median of the attestations (0 when there are none)
        Outcome outcome;
    }

    /// @notice One validator's measured score of a submission; `seat` maps to {validatorAt}.
    struct Attestation {
        uint8 seat;
        uint16 scoreBps;
    }

    /// @notice A validator's membership: one slot.
    struct Validator {
        uint96 bond;
        uint40 joinedAt;
        uint40 exitRequestedAt; // 0 while active
        uint8 seat;
        bool member;
    }

    event JobPosted(
        uint256 indexed jobId,
        address indexed requester,
        bytes32 indexed baseModel,
        bytes32 trainingSet,
        bytes32 evaluationSet,
        bytes32 spec,
        uint16 minScoreBps,
        uint40 commitDeadline,
        uint40 revealDeadline,
        uint40 attestDeadline,
        uint80 minStake,
        uint96 reward
    );
    event JobCancelled(uint256 indexed jobId, address indexed requester, uint96 refund);
    event Committed(uint256 indexed jobId, address indexed worker, uint8 index, bytes32 commitment, uint80 stake);
    event Revealed(uint256 indexed jobId, address indexed worker, bytes32 modelHash, uint16 scoreBps, string uri);
    event Attested(uint256 indexed jobId, address indexed worker, address indexed validator, uint8 seat, uint16 scoreBps);
    /// @notice `winner` is zero when nobody won; then `refund` (the reward) went back to the requester.
    event Finalized(
        uint256 indexed jobId,
        address indexed winner,
        bytes32 modelHash,
        uint16 verifiedScoreBps,
        uint256 payout,
        uint256 validatorFees,
        uint256 slashed,
        uint256 refund
    );
    event Withdrawn(address indexed account, uint256 amount);
    event ValidatorJoined(address indexed validator, uint8 seat, uint96 bond);
    event ValidatorExitRequested(address indexed validator, uint40 unlocksAt);
    event BondWithdrawn(address indexed validator, uint96 bond);

    error TrainingMarketZeroAddress();
    error TrainingMarketInvalidQuorum(uint256 quorum);
    error TrainingMarketBpsTooHigh(uint256 bps);
    error TrainingMarketZeroReward();
    error TrainingMarketAmountTooLarge(uint256 amount, uint256 max);
    error TrainingMarketUnknownBaseModel(bytes32 baseModel);
    error TrainingMarketZeroHash();
    error TrainingMarketBadDeadlines(uint40 commitDeadline, uint40 revealDeadline, uint40 attestDeadline);
    error TrainingMarketJobTooLong(uint256 duration, uint256 maxDuration);
    error TrainingMarketZeroStake();
    error TrainingMarketUnknownJob(uint256 jobId);
    error TrainingMarketNotRequester(uint256 jobId, address account);
    error TrainingMarketJobClosed(uint256 jobId);
    error TrainingMarketHasSubmissions(uint256 jobId);
    error TrainingMarketCommitClosed(uint256 jobId, uint40 commitDeadline);
    error TrainingMarketStakeTooLow(uint256 jobId, uint256 stake, uint80 minStake);
    error TrainingMarketSubmissionsFull(uint256 jobId);
    error TrainingMarketAlreadyCommitted(uint256 jobId, address worker);
    error TrainingMarketNotRevealing(uint256 jobId);
    error TrainingMarketNotCommitted(uint256 jobId, address worker);
    error TrainingMarketAlreadyRevealed(uint256 jobId, address worker);
    error TrainingMarketCommitmentMismatch(uint256 jobId, address worker);
    error TrainingMarketNotAttesting(uint256 jobId);
    error TrainingMarketNotRevealed(uint256 jobId, address worker);
    error TrainingMarketRequesterCannotAttest(uint256 jobId, address requester);
    error TrainingMarketWorkerCannotAttest(uint256 jobId, address worker);
    error TrainingMarketAlreadyAttested(uint256 jobId, address worker, address validator);
    error TrainingMarketTooEarly(uint256 jobId, uint40 attestDeadline);
    error TrainingMarketNothingToWithdraw(address account);
    error TrainingMarketTransferFailed(address account, uint256 amount);
    error TrainingMarketNotValidator(address account);
    error TrainingMarketAlreadyValidator(address validator);
    error TrainingMarketBondTooLow(uint256 bond, uint256 minBond);
    error TrainingMarketValidatorSetFull();
    error TrainingMarketExitAlreadyRequested(address validator);
    error TrainingMarketExitNotRequested(address validator);
    error TrainingMarketStillUnbonding(address validator, uint40 unlocksAt);
    error TrainingMarketUnknownSeat(uint256 seat);
}
