// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ITrainingMarket
/// @notice Every function others call on the fine-tuning market (the roles, the explorer, the
/// scripts, {MarketLens}), and its types, events and errors.
/// @dev Every failure is a custom error `TrainingMarket<Problem>(context)`; every external
/// mutator emits one past-tense event right after its write (finalize adds one
/// {ValidatorSettled} per committee seat). The judged views (phase, submissions with their
/// outcomes and payouts, the committee, the winner) are {IMarketLens}'s. NatSpec of each
/// function is at its implementation.
interface ITrainingMarket {
    /// @notice The protocol's parameters, fixed at deployment.
    struct Config {
        uint96 minBond; // smallest validator bond, wei (at least 1 gwei: weights are in gwei)
        uint8 quorum; // attestations needed to verify a submission
        uint16 toleranceBps; // largest honest claim above the median; largest paid attestation distance from it
        uint16 feeBps; // share of the reward paid to validators per attestation within tolerance
        uint16 slashBps; // share of its bond a validator loses per attestation outside tolerance or missing
        uint16 forfeitBps; // share of the job's minimum stake a worker loses when not verified honest >= minimum
        uint32 minWindow; // shortest commit, reveal, attest and settle window, seconds
    }

    /// @notice What the contract stores of a job: five slots.
    struct Job {
        // slot 0: everything commit and reveal need, so each reads one slot
        uint32 commitDeadline; // worker commits in [posted, commitDeadline); non-zero once posted
        uint32 revealDeadline; // worker reveals, the evaluation reveal and the draw in [commit, reveal)
        uint32 attestDeadline; // attestation commits in [reveal, attest)
        uint32 settleDeadline; // attestation reveals in [attest, settle); finalize from settle on
        uint80 minStake;
        uint16 minScoreBps; // the winner's verified score must reach this
        uint8 submissionCount;
        uint8 committeeSize; // odd, 1..15
        Status status;
        bool evaluationRevealed; // false again after finalize when a majority attested the set unavailable
        // slot 1
        address requester;
        uint80 reward; // after finalize: the winner's prize, or each revealed worker's share on a forfeit
        uint8 winnerPlusOne; // 1 + index of the winning submission; 0: no winner (yet)
        bool trainingSetAnchored; // posted with a relay-verified anchor proof of the training set
        // slots 2 to 4
        bytes32 baseModel;
        bytes32 trainingSet;
        bytes32 evaluationSeal; // keccak256(abi.encode(evaluationSet, salt)); the hash itself once revealed
    }

    /// @notice The stored state of a job; the phase adds the clock to it.
    enum Status {
        Active,
        Finalized,
        Cancelled
    }

    /// @notice A job's phase, derived from its status and the block time.
    enum Phase {
        Open, // worker commits
        Revealing, // worker reveals, evaluation reveal, committee draw
        Attesting, // attestation commits
        Settling, // attestation reveals
        AppealVoting, // an appeal's vote commits (from its filing): finalize waits ({Appeals})
        AppealRevealing, // its vote reveals
        Finalizable,
        Finalized,
        Cancelled
    }

    /// @notice How finalize judged (or will judge, while pending) a submission.
    enum Outcome {
        Pending, // the job is not finalized yet
        Unrevealed, // slashed
        Unverified, // fewer attestations than the quorum: pays the forfeit, cannot win
        Dishonest, // a strict majority of the drawn seats attests below the claim less the tolerance: slashed
        Honest, // verified at or above the minimum score, claim within tolerance: stake returned
        Won, // honest, best verified score at or above the minimum: paid the prize
        Forfeited, // the requester never revealed the evaluation set: shares the reward
        BelowMinimum, // honest, verified below the job's minimum score: pays the forfeit, cannot win
        Undecided // no strict majority of the drawn seats convicts or confirms (a tie, absent seats): stake returned, cannot win
    }

    /// @notice One submission as the views show it.
    struct Submission {
        address worker;
        uint96 stake; // zero once claimed
        bytes32 sealedHash; // the commitment until revealed, then keccak256(abi.encode(modelHash, keccak256(bytes(uri))))
        bool revealed;
        uint16 claimedScoreBps;
        uint8 attestationCount;
        uint16 verifiedScoreBps; // median of the attestations (0 when there are none)
        Outcome outcome;
        uint256 payout; // what {claim} pays the worker (valid once finalized)
    }

    /// @notice A submission as stored (see {submissionAt}); the lens judges it.
    struct SubmissionRecord {
        address worker;
        uint96 stake; // zero once claimed
        bytes32 sealedHash; // the commitment until revealed, then keccak256(abi.encode(modelHash, keccak256(bytes(uri))))
        uint256 sheet; // its ScoreSheet: the claim and every seat's attestation
    }

    /// @notice A ledger anchor transaction and its Merkle proof in a ledger block, as
    /// `offchain ledger prove` writes them (hashes in internal byte order).
    struct AnchorProof {
        bytes transaction; // the raw anchor transaction
        bytes32 blockHash;
        uint256 index; // the transaction's position in the block
        bytes32[] branch;
    }

    /// @notice A validator's membership: one slot.
    struct Validator {
        uint96 bond;
        uint88 earned; // fees credited, paid by {withdraw}
        uint32 leafPlusOne; // 1 + its leaf in the sortition tree; 0: not a member
        uint32 unlocksAt; // 0 while active; else when withdrawBond may release the bond (uint32: until 2106)
        uint8 unsettledSeats; // seats on drawn committees of jobs not finalized yet: the bond stays while any
    }

    event JobPosted(
        uint256 indexed jobId,
        address indexed requester,
        bytes32 indexed baseModel,
        bytes32 trainingSet,
        bytes32 evaluationSeal,
        bytes32 spec,
        uint16 minScoreBps,
        uint32[4] deadlines,
        uint80 minStake,
        uint8 committeeSize,
        uint88 reward
    );
    /// @notice Job `jobId`'s training set was proven anchored in ledger block `ledgerBlock` (height
    /// `height`, `confirmations` on the relay's main chain at post, `work` their chain work: what
    /// undoing them costs in expected hashes) by ledger account `account`.
    event TrainingSetAnchored(
        uint256 indexed jobId,
        bytes32 indexed ledgerBlock,
        address indexed account,
        uint256 height,
        uint256 confirmations,
        uint256 work
    );
    event JobCancelled(uint256 indexed jobId, address indexed requester, uint88 refund);
    event Committed(uint256 indexed jobId, address indexed worker, uint8 index, bytes32 commitment, uint96 stake);
    event Revealed(uint256 indexed jobId, address indexed worker, bytes32 modelHash, uint16 scoreBps, string uri);
    event EvaluationRevealed(uint256 indexed jobId, bytes32 evaluationSet, string uri);
    /// @notice The job's committee will be drawn from the hash of block `seedBlock` (this one),
    /// on the weights of epoch `epoch`'s start, by a call in a later block of that epoch.
    event CommitteeSeedBlockSet(uint256 indexed jobId, uint256 seedBlock, uint256 epoch);
    event CommitteeDrawn(uint256 indexed jobId, address[] seats, uint256 seed);
    event AttestationCommitted(uint256 indexed jobId, address indexed validator, bytes32 seal);
    /// @notice A member attested that the opened evaluation set could not be fetched or does
    /// not match its hash (issue 20): it attests no scores on this job.
    event EvaluationUnavailable(uint256 indexed jobId, address indexed validator);
    event AttestationRevealed(uint256 indexed jobId, address indexed validator, uint16[] scores);
    /// @notice `winner` is zero when nobody won; `refund` went back to the requester (its own
    /// money: the reward when nobody won, an unearned fee); `burned` (slashed stakes, forfeits,
    /// slashed bonds nobody earned, dust) was credited to nobody (`pendingOf(address(0))`).
    event Finalized(
        uint256 indexed jobId,
        address indexed winner,
        bytes32 modelHash,
        uint16 verifiedScoreBps,
        uint256 prize,
        uint256 validatorPay,
        uint256 validatorSlashed,
        uint256 refund,
        uint256 burned
    );
    /// @notice A committee seat's settlement (finalize emits one per seat that attested or had to):
    /// attestations within tolerance (`good`) and outside it or missing (`bad`), the pay
    /// credited and the bond slashed.
    event ValidatorSettled(
        uint256 indexed jobId, address indexed validator, uint8 seat, uint8 good, uint8 bad, uint256 paid, uint256 slashed
    );
    /// @notice Job `jobId` was posted sealed: its workers publish seals and envelopes on the
    /// market's exchange ({MarketLens-sealedExchange}), and its winner is paid there for the key.
    event JobSealed(uint256 indexed jobId);
    /// @notice Job `jobId` is pooled: the hash of block `seedBlock` splits the pool its training
    /// set names (issue 20); from that block on, a cancel or no commitment refunds nothing.
    event JobPooled(uint256 indexed jobId, uint256 seedBlock);
    event Claimed(uint256 indexed jobId, address indexed worker, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event ValidatorJoined(address indexed validator, uint32 leaf, uint96 bond);
    event ValidatorExitRequested(address indexed validator, uint40 unlocksAt);
    event BondWithdrawn(address indexed validator, uint96 bond);
    event BondToppedUp(address indexed validator, uint256 amount, uint256 bond);

    error TrainingMarketZeroAddress();
    error TrainingMarketBadConfig();
    error TrainingMarketBpsTooHigh(uint256 bps);
    error TrainingMarketZeroReward();
    /// @notice msg.value is not a reward plus its deposit ({Judgment-depositOf}: an even amount).
    error TrainingMarketDepositMismatch(uint256 value);
    error TrainingMarketAmountTooLarge(uint256 amount, uint256 max);
    error TrainingMarketUnknownBaseModel(bytes32 baseModel);
    error TrainingMarketZeroHash();
    error TrainingMarketNoRelay();
    error TrainingMarketPayloadMismatch(bytes32 trainingSet, bytes32 payload);
    error TrainingMarketBadDeadlines(uint32 commitDeadline, uint32 revealDeadline, uint32 attestDeadline, uint32 settleDeadline);
    error TrainingMarketWindowTooShort(uint256 window, uint256 minWindow);
    error TrainingMarketJobTooLong(uint256 duration, uint256 maxDuration);
    error TrainingMarketBadCommitteeSize(uint256 size);
    error TrainingMarketStakeTooSmall(uint256 minStake);
    error TrainingMarketUnknownJob(uint256 jobId);
    error TrainingMarketNotRequester(uint256 jobId, address account);
    error TrainingMarketJobClosed(uint256 jobId);
    error TrainingMarketHasSubmissions(uint256 jobId);
    error TrainingMarketCommitClosed(uint256 jobId, uint32 commitDeadline);
    error TrainingMarketStakeTooLow(uint256 jobId, uint256 stake, uint80 minStake);
    error TrainingMarketSubmissionsFull(uint256 jobId);
    error TrainingMarketAlreadyCommitted(uint256 jobId, address worker);
    error TrainingMarketNotRevealing(uint256 jobId);
    error TrainingMarketNotCommitted(uint256 jobId, address worker);
    error TrainingMarketAlreadyRevealed(uint256 jobId, address worker);
    error TrainingMarketCommitmentMismatch(uint256 jobId, address worker);
    error TrainingMarketBaseModelResubmitted(uint256 jobId);
    error TrainingMarketEvaluationMismatch(uint256 jobId);
    error TrainingMarketEvaluationAlreadyRevealed(uint256 jobId);
    error TrainingMarketEvaluationNotRevealed(uint256 jobId);
    error TrainingMarketAlreadyDrawn(uint256 jobId);
    error TrainingMarketSeedNotReady(uint256 jobId, uint256 seedBlock);
    error TrainingMarketNotAttesting(uint256 jobId);
    error TrainingMarketNotSettling(uint256 jobId);
    error TrainingMarketNotInCommittee(uint256 jobId, address account);
    error TrainingMarketAttestationAlreadyCommitted(uint256 jobId, address validator);
    error TrainingMarketAttestationMismatch(uint256 jobId, address validator);
    error TrainingMarketWrongScoreCount(uint256 jobId, uint256 count, uint256 expected);
    error TrainingMarketTooEarly(uint256 jobId, uint32 settleDeadline);
    error TrainingMarketNotAppeals(address caller);
    error TrainingMarketWrongResult(uint256 jobId, address winner);
    error TrainingMarketUriTooLong(uint256 length, uint256 maxLength);
    error TrainingMarketNoSubmission(uint256 jobId, uint256 index);
    error TrainingMarketNotYourSubmission(uint256 jobId, uint256 index, address account);
    error TrainingMarketNotFinalized(uint256 jobId);
    error TrainingMarketNothingToWithdraw(address account);
    error TrainingMarketTransferFailed(address account, uint256 amount);
    error TrainingMarketNotValidator(address account);
    error TrainingMarketAlreadyValidator(address validator);
    error TrainingMarketBondTooLow(uint256 bond, uint256 minBond);
    error TrainingMarketExitAlreadyRequested(address validator);
    error TrainingMarketExitNotRequested(address validator);
    error TrainingMarketStillUnbonding(address validator, uint40 unlocksAt);
    error TrainingMarketUnsettledSeats(address validator, uint256 seats);
    /// @notice A sealed job's post found no job key of the requester's for its id.
    error TrainingMarketNoJobKey(uint256 jobId);
    /// @notice A sealed post of a call that posted no job (none of the market's posts).
    error TrainingMarketNotAPost();
    /// @notice A reveal to a sealed job before the worker published its seal.
    error TrainingMarketNoSeal(uint256 jobId);
    /// @notice A bad-envelope record not from the exchange, or on an unsealed job, an
    /// unrevealed submission, or from the attest deadline on.
    error TrainingMarketBadEnvelopeRefused(uint256 jobId, address worker);

    // ----- requester -----
    /// @notice Post a job; msg.value is the reward. See {TrainingMarket-postJob}.
    function postJob(
        bytes32 baseModel,
        bytes32 trainingSet,
        bytes32 evaluationSeal,
        bytes32 spec,
        uint16 minScoreBps,
        uint32[4] calldata deadlines,
        uint80 minStake,
        uint8 committeeSize
    ) external payable returns (uint256 jobId);
    /// @notice {postJob} with a proof that the training set was anchored in the ledger.
    function postJobWithProvenance(
        bytes32 baseModel,
        bytes32 trainingSet,
        bytes32 evaluationSeal,
        bytes32 spec,
        uint16 minScoreBps,
        uint32[4] calldata deadlines,
        uint80 minStake,
        uint8 committeeSize,
        AnchorProof calldata proof
    ) external payable returns (uint256 jobId);
    /// @notice A sealed job (issue 26): `post`, one of the posts' call data, posted under seal;
    /// the requester's job key must be registered.
    function postSealedCall(bytes calldata post) external payable returns (uint256 jobId);
    /// @notice {postJob} for a pooled job (issue 20): block (post + SEED_DELAY) splits its pool.
    function postPooledJob(
        bytes32 baseModel,
        bytes32 trainingSet,
        bytes32 evaluationSeal,
        bytes32 spec,
        uint16 minScoreBps,
        uint32[4] calldata deadlines,
        uint80 minStake,
        uint8 committeeSize
    ) external payable returns (uint256 jobId);
    /// @notice {postPooledJob} with a proof that the pool's manifest was anchored in the ledger.
    function postPooledAnchoredJob(
        bytes32 baseModel,
        bytes32 trainingSet,
        bytes32 evaluationSeal,
        bytes32 spec,
        uint16 minScoreBps,
        uint32[4] calldata deadlines,
        uint80 minStake,
        uint8 committeeSize,
        AnchorProof calldata proof
    ) external payable returns (uint256 jobId);
    /// @notice Cancel a job nobody has committed to.
    function cancelJob(uint256 jobId) external;
    /// @notice Publish the evaluation set sealed at post.
    function revealEvaluation(uint256 jobId, bytes32 evaluationSet, bytes32 salt, string calldata uri) external;

    // ----- worker -----
    /// @notice Commit to a result with a stake.
    function commit(uint256 jobId, bytes32 commitment) external payable;
    /// @notice Reveal a committed result.
    function reveal(uint256 jobId, bytes32 modelHash, uint16 scoreBps, bytes32 salt, string calldata uri) external;
    /// @notice Pull a submission's outcome after finalize.
    function claim(uint256 jobId, uint256 index) external;

    // ----- validator -----
    /// @notice Join the validator set with a bond.
    function joinValidators() external payable;
    function topUpBond() external payable;
    /// @notice Stop being drawn and start the unbonding delay.
    function requestExit() external;
    /// @notice Take the bond back after the unbonding delay.
    function withdrawBond() external;
    /// @notice Draw the job's committee: the first call fixes the seed block, a later one draws.
    function drawCommittee(uint256 jobId) external;
    /// @notice Commit the seal of a committee member's scores.
    function commitAttestation(uint256 jobId, bytes32 seal) external;

    function attestUnavailable(uint256 jobId) external;
    /// @notice Reveal the sealed scores.
    function revealAttestation(uint256 jobId, uint16[] calldata scores, bytes32 salt) external;

    // ----- anyone -----
    /// @notice Settle a job after its settle deadline.
    function finalize(uint256 jobId, bytes32 modelHash, string calldata uri) external;
    /// @notice Send the caller everything credited to it.
    function withdraw() external;

    // ----- raw reads (the lens judges them) -----
    /// @notice The protocol's parameters.
    function config() external view returns (Config memory);
    /// @notice The ModelRegistry where winners are registered.
    function registry() external view returns (address);
    /// @notice The stored job; reverts for an unknown id.
    function job(uint256 jobId) external view returns (Job memory);
    /// @notice Number of jobs posted; ids run from 1 to this.
    function jobCount() external view returns (uint256);
    /// @notice Submission `index` of `jobId` as stored.
    function submissionAt(uint256 jobId, uint256 index) external view returns (SubmissionRecord memory);
    /// @notice The job's committee as stored (two words of seat lanes).
    function committeeWords(uint256 jobId) external view returns (uint256[2] memory);
    /// @notice What `validator_` committed for `jobId`.
    function attestationSeal(uint256 jobId, address validator_) external view returns (bytes32);
    /// @notice Wei credited to `account` and not yet withdrawn.
    function pendingOf(address account) external view returns (uint256);
    /// @notice The smallest validator bond.
    function minBond() external view returns (uint256);
    /// @notice The membership record of `account`.
    function validator(address account) external view returns (Validator memory);
    /// @notice The validator that owns sortition leaf `leaf`.
    function validatorAt(uint256 leaf) external view returns (address);
    /// @notice A bond (gwei) `account` held at least at every moment from `time` to now.
    function leastBondSince(address account, uint256 time) external view returns (uint256);
    /// @notice Sortition weight in gwei.
    function totalWeight() external view returns (uint256);
    /// @notice The sortition weight a draw made now reads (the epoch's start).
    function epochWeightNow() external view returns (uint256);

    function appealsContractAddress() external view returns (address);

    function slashNonVotingMember(address voter, uint256 amount) external;
    /// @notice The exchange's word that a member proved a worker's key envelope bad.
    function flagEnvelopeProvenBad(uint256 jobId, address worker) external;
    /// @notice Most submissions per job.
    function MAX_SUBMISSIONS() external view returns (uint8);
    /// @notice Longest artifact URI a reveal takes.
    function MAX_URI_BYTES() external view returns (uint256);
    /// @notice Longest job, from posting to its settle deadline.
    function MAX_JOB_DURATION() external view returns (uint256);
    /// @notice Time between an exit request and the bond's release.
    function UNBONDING_DELAY() external view returns (uint256);
}
