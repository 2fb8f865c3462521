// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILedgerRelay} from "./interfaces/ILedgerRelay.sol";
import {Committee} from "./libraries/Committee.sol";
import {Judgment} from "./libraries/Judgment.sol";
import {MarketHashes} from "./libraries/MarketHashes.sol";
import {ScoreSheet} from "./libraries/ScoreSheet.sol";
import {Settlement} from "./Settlement.sol";
import {JobBook} from "./JobBook.sol";
import {ValidatorSet} from "./ValidatorSet.sol";

/// @title TrainingMarket
/// @notice Escrowed fine-tuning jobs with a sealed evaluation set: workers commit then reveal
/// results with a stake, the requester reveals the evaluation set once commits close, a
/// committee drawn by bond commits then reveals measured scores, and finalize pays the best
/// honest result and registers it in the ModelRegistry.
/// @dev Windows are half-open: commit in [post, commit), reveal, evaluation reveal and the
/// committee draw in [commit, reveal), attestation commits in [reveal, attest), attestation
/// reveals in [attest, settle), finalize from settle on. This contract holds the job's first
/// half; {Attestations} and {Settlement} the rest. Money leaves only through {withdraw},
/// {claim} and {withdrawBond}, all `nonReentrant`. The others send no ether and make no
/// state-changing call, and skipping the guard keeps commit and reveal within their gas goals.
contract TrainingMarket is Settlement {
    using ScoreSheet for uint256;

    /// @param registry_ The ModelRegistry; this contract needs its MARKET_ROLE.
    /// @param config_ The protocol's parameters (see {ITrainingMarket.Config}).
    constructor(address registry_, Config memory config_) ValidatorSet(config_.minBond, config_.minWindow) JobBook(registry_, config_) {}

    /// @notice Post a job; msg.value is the reward and the requester's deposit, an equal amount
    /// ({Judgment-depositOf}), escrowed until finalize or cancel.
    /// @dev `evaluationSeal` = {MarketHashes-evaluationSeal}(evaluation set hash, salt): workers never see
    /// the set before commits close. `deadlines` = [commit, reveal, attest, settle]; each
    /// window lasts at least the protocol's minimum, the whole job at most MAX_JOB_DURATION.
    /// `committeeSize` is odd, at least the quorum, at most 15. The minimum stake must make a
    /// non-zero forfeit, and 15 of them must cover the reward (a full job's forfeits). The
    /// reward is at most 2**80 - 1 wei (1.2M ETH). The deposit comes back at finalize unless the
    /// job is the requester's failure ({Settlement-finalize}: then it is burned, issue 20 item 7).
    /// Emits {JobPosted}.
    function postJob(
        bytes32 baseModel,
        bytes32 trainingSet,
        bytes32 evaluationSeal,
        bytes32 spec,
        uint16 minScoreBps,
        uint32[4] calldata deadlines,
        uint80 minStake,
        uint8 committeeSize
    ) external payable returns (uint256 jobId) {
        return _post(baseModel, trainingSet, evaluationSeal, spec, minScoreBps, deadlines, minStake, committeeSize);
    }

    /// @notice {postJob} with a proof that the training set was anchored in the proof-of-work
    /// ledger: the anchor transaction's payload must be `trainingSet`, and the registry's
    /// LedgerRelay must hold its block on its main chain with at least its minimum confirmations.
    /// @dev The job records only that it was proven ({Job.trainingSetAnchored}, a flag packed
    /// into slot 1, which postJob writes anyway); the ledger block, its height, its confirmations
    /// at post with their work and the anchoring account go to {TrainingSetAnchored}. Storing the
    /// block hash would take a fresh slot (22.1k gas) for what an indexer reads from the event.
    /// Measured (benchmarks/gas_market.md): 193,583 gas with a 2-level branch against postJob's
    /// 155,593 with the same arguments, within issue 14's postJob + 40k; the relay's checks
    /// (double SHA-256s, ecrecover, the branch, two cold slots) and the calldata are most of it.
    /// The job is posted by {postJob} itself, through a delegatecall to this contract (OpenZeppelin
    /// Multicall's idiom: the sender and the value stay the requester's): a second caller of
    /// {_post} made the optimizer inline its body twice, 1,255 bytes of EIP-170 room (issue 20
    /// item 7's deposit needed them); the delegatecall costs this path about 2,000 gas.
    /// Reverts {TrainingMarketNoRelay} when the registry has anchoring off, the relay's errors
    /// for an unproven or malformed anchor. Emits {JobPosted} and {TrainingSetAnchored}.
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
    ) external payable returns (uint256 jobId) {
        bytes memory proven = _provenAnchor(proof, trainingSet);
        jobId = _postByDelegate(this.postJob.selector); // postJob's decoder ignores the proof after its arguments
        _jobs[jobId].trainingSetAnchored = true; // slot 1, written by the post just above: a warm update
        (, address account, uint256 height, uint256 confirmations, uint256 work) =
            abi.decode(proven, (bytes32, address, uint256, uint256, uint256));
        emit TrainingSetAnchored(jobId, proof.blockHash, account, height, confirmations, work);
    }

    /// @dev The relay's {ILedgerRelay-provenAnchor} answer for `proof`, whose payload must be
    /// `trainingSet`. AnchorProof's ABI encoding is exactly provenAnchor's argument list (its
    /// offsets are relative to the struct's start), so the call forwards the struct's calldata
    /// as it came and the relay decodes and checks it: the market carries no decoder or
    /// encoder for the proof's dynamic parts (EIP-170 leaves it little room).
    function _provenAnchor(AnchorProof calldata proof, bytes32 trainingSet) private view returns (bytes memory answer) {
        address relay_ = address(_relay);
        if (relay_ == address(0)) revert TrainingMarketNoRelay();
        // The slice's offset and length, set once each (slither reads the two fields as one variable).
        // slither-disable-next-line write-after-write
        bytes calldata encoded;
        assembly ("memory-safe") {
            encoded.offset := proof
            encoded.length := sub(calldatasize(), proof)
        }
        bool ok;
        (ok, answer) = relay_.staticcall(bytes.concat(ILedgerRelay.provenAnchor.selector, encoded));
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(answer, 32), mload(answer)) // the relay's reason: unproven, malformed
            }
        }
        bytes32 payload = abi.decode(answer, (bytes32));
        if (payload != trainingSet) revert TrainingMarketPayloadMismatch(trainingSet, payload);
    }

    /// @dev The body of {postJob} ({postJobWithProvenance} reaches it through postJob).
    function _post(
        bytes32 baseModel,
        bytes32 trainingSet,
        bytes32 evaluationSeal,
        bytes32 spec,
        uint16 minScoreBps,
        uint32[4] calldata deadlines,
        uint80 minStake,
        uint8 committeeSize
    ) private returns (uint256 jobId) {
        uint256 reward = msg.value / 2; // the other half is the deposit
        if (reward + Judgment.depositOf(reward) != msg.value) revert TrainingMarketDepositMismatch(msg.value);
        if (reward == 0) revert TrainingMarketZeroReward();
        if (reward > type(uint80).max) revert TrainingMarketAmountTooLarge(reward, type(uint80).max);
        if (trainingSet == 0 || evaluationSeal == 0 || spec == 0) revert TrainingMarketZeroHash();
        if (minScoreBps > BPS) revert TrainingMarketBpsTooHigh(minScoreBps);
        // The forfeit is what filling the submission cap costs per seat: it must be real, and
        // a full job's 15 junk forfeits (a minimum stake each) must cover the reward (issue 20
        // item 6, {Judgment-forfeitOf}). Unchecked: both products are below 2**94.
        unchecked {
            if (uint256(minStake) * _forfeitBps < BPS || uint256(minStake) * (MAX_SUBMISSIONS - 1) < reward) {
                revert TrainingMarketStakeTooSmall(minStake);
            }
        }
        if (committeeSize % 2 == 0 || committeeSize < _quorum || committeeSize > Committee.MAX_SEATS) {
            revert TrainingMarketBadCommitteeSize(committeeSize);
        }
        _validateDeadlines(deadlines);
        if (!_registry.isRegistered(baseModel)) revert TrainingMarketUnknownBaseModel(baseModel);
        jobId = _nextJobId;
        unchecked {
            _nextJobId = jobId + 1; // one per transaction: 2**256 posts never happen
        }
        _jobs[jobId] = Job({
            commitDeadline: deadlines[0],
            revealDeadline: deadlines[1],
            attestDeadline: deadlines[2],
            settleDeadline: deadlines[3],
            minStake: minStake,
            minScoreBps: minScoreBps,
            submissionCount: 0,
            committeeSize: committeeSize,
            status: Status.Active,
            evaluationRevealed: false,
            requester: msg.sender,
            reward: uint80(reward), // checked above
            winnerPlusOne: 0,
            trainingSetAnchored: false, // set by postJobWithProvenance once its proof passed
            baseModel: baseModel,
            trainingSet: trainingSet,
            evaluationSeal: evaluationSeal
        });
        emit JobPosted(
            jobId, msg.sender, baseModel, trainingSet, evaluationSeal, spec, minScoreBps, deadlines, minStake,
            committeeSize, uint88(reward)
        );
    }

    /// @notice Cancel a job nobody has committed to; the reward and the deposit are credited back,
    /// but for a pooled job from its seed block on: then they are burned ({PooledJobs}).
    /// @dev Only the requester, while the job is active and has no submission; the seats of
    /// a committee drawn for it are released. Emits {JobCancelled}.
    function cancelJob(uint256 jobId) external {
        Job storage j = _existing(jobId);
        if (j.requester != msg.sender) revert TrainingMarketNotRequester(jobId, msg.sender);
        if (j.status != Status.Active) revert TrainingMarketJobClosed(jobId);
        if (j.submissionCount != 0) revert TrainingMarketHasSubmissions(jobId);
        // A committee drawn for it will judge nothing: its members' seats are released.
        // slither-disable-next-line unused-return
        _releaseSeats(jobId, j.committeeSize);
        j.status = Status.Cancelled;
        uint256 refund = j.reward + Judgment.depositOf(j.reward);
        // A pooled job from its seed block on: the requester has seen the split ({PooledJobs}).
        if (_walkedAway(jobId, 0)) {
            _credit(BURNED, refund);
            refund = 0; // the event reports what the requester got back
        }
        _credit(msg.sender, refund);
        emit JobCancelled(jobId, msg.sender, uint88(refund)); // two uint80s fit
    }

    /// @notice Commit to a result with a stake (msg.value >= the job's minimum stake).
    /// @dev `commitment` = {MarketHashes-commitment}(jobId, msg.sender, modelHash, scoreBps, salt); it binds
    /// the job and the sender. One per worker per job, at most MAX_SUBMISSIONS. Emits {Committed}.
    function commit(uint256 jobId, bytes32 commitment) external payable {
        Job storage j = _jobs[jobId];
        // Read slot 0 once, before any branch, so the optimizer shares one SLOAD.
        (uint32 commitDeadline, Status status, uint80 minStake, uint8 index) =
            (j.commitDeadline, j.status, j.minStake, j.submissionCount);
        if (commitDeadline == 0) revert TrainingMarketUnknownJob(jobId);
        if (status != Status.Active) revert TrainingMarketJobClosed(jobId);
        if (block.timestamp >= commitDeadline) revert TrainingMarketCommitClosed(jobId, commitDeadline);
        if (commitment == bytes32(0)) revert TrainingMarketZeroHash();
        if (msg.value < minStake) revert TrainingMarketStakeTooLow(jobId, msg.value, minStake);
        if (msg.value > type(uint80).max) revert TrainingMarketAmountTooLarge(msg.value, type(uint80).max);
        if (index == MAX_SUBMISSIONS) revert TrainingMarketSubmissionsFull(jobId);
        mapping(address => bytes32) storage seals = _sealed[jobId]; // one hash for the read and the write
        if (seals[msg.sender] != bytes32(0)) revert TrainingMarketAlreadyCommitted(jobId, msg.sender);
        unchecked {
            j.submissionCount = index + 1; // index < MAX_SUBMISSIONS: checked above
        }
        // Entry{worker: msg.sender, stake: msg.value} in one SSTORE: the IR pipeline writes a
        // struct literal field by field, which costs commit a second write to its fresh slot.
        Entry[MAX_SUBMISSIONS] storage entries = _entries[jobId];
        assembly ("memory-safe") {
            sstore(add(entries.slot, index), or(caller(), shl(160, callvalue()))) // value < 2**80: checked above
        }
        seals[msg.sender] = commitment;
        emit Committed(jobId, msg.sender, index, commitment, uint96(msg.value));
    }

    /// @notice Reveal a committed result: model hash, claimed score, salt and artifact URI.
    /// @dev Between the commit and the reveal deadline; must hash to the commitment; never the
    /// job's base model ({TrainingMarketBaseModelResubmitted}); the URI at
    /// most MAX_URI_BYTES (finalize passes the winner's again). The slot of
    /// the commitment then holds keccak256(abi.encode(modelHash, uri)), which finalize checks
    /// before registering the winner with its URI. Emits {Revealed}.
    function reveal(uint256 jobId, bytes32 modelHash, uint16 scoreBps, bytes32 salt, string calldata uri)
        external
    {
        Job storage j = _existing(jobId); // slot 0 holds all that reveal needs
        if (block.timestamp < j.commitDeadline || block.timestamp >= j.revealDeadline) {
            revert TrainingMarketNotRevealing(jobId);
        }
        bytes32 sealedHash = _sealed[jobId][msg.sender];
        if (sealedHash == bytes32(0)) revert TrainingMarketNotCommitted(jobId, msg.sender);
        if (_sheets[jobId][msg.sender].revealed()) revert TrainingMarketAlreadyRevealed(jobId, msg.sender);
        if (modelHash == bytes32(0)) revert TrainingMarketZeroHash();
        // The base itself is no fine-tune of it: registered as its own child it would make
        // the registry's lineage cycle.
        if (modelHash == j.baseModel) revert TrainingMarketBaseModelResubmitted(jobId);
        if (scoreBps > BPS) revert TrainingMarketBpsTooHigh(scoreBps);
        if (bytes(uri).length > MAX_URI_BYTES) revert TrainingMarketUriTooLong(bytes(uri).length, MAX_URI_BYTES);
        if (MarketHashes.commitment(jobId, msg.sender, modelHash, scoreBps, salt) != sealedHash) {
            revert TrainingMarketCommitmentMismatch(jobId, msg.sender);
        }
        _requireSeal(jobId); // a sealed job's committee checks the seal, not the weights
        // The commitment has served its purpose: reuse its slot (an update, not a new slot).
        _sealed[jobId][msg.sender] = MarketHashes.result(modelHash, uri);
        _sheets[jobId][msg.sender] = ScoreSheet.withClaim(scoreBps);
        emit Revealed(jobId, msg.sender, modelHash, scoreBps, uri);
    }

    /// @notice Publish the evaluation set sealed at post, once commits have closed.
    /// @dev Anyone holding the preimage may send it (the requester's daemon does); between the
    /// commit and the reveal deadline. Without it the job forfeits: finalize shares the reward
    /// among the workers who revealed. Emits {EvaluationRevealed}.
    function revealEvaluation(uint256 jobId, bytes32 evaluationSet, bytes32 salt, string calldata uri) external {
        Job storage j = _existing(jobId);
        if (j.status != Status.Active) revert TrainingMarketJobClosed(jobId);
        if (block.timestamp < j.commitDeadline || block.timestamp >= j.revealDeadline) {
            revert TrainingMarketNotRevealing(jobId);
        }
        if (j.evaluationRevealed) revert TrainingMarketEvaluationAlreadyRevealed(jobId);
        if (evaluationSet == 0 || MarketHashes.evaluationSeal(evaluationSet, salt) != j.evaluationSeal) {
            revert TrainingMarketEvaluationMismatch(jobId);
        }
        j.evaluationRevealed = true;
        j.evaluationSeal = evaluationSet; // the seal slot now holds the set's hash
        emit EvaluationRevealed(jobId, evaluationSet, uri);
    }

    /// @notice Draw the job's committee, by bond, in two calls between the commit and the reveal
    /// deadline (anyone): the first fixes this block as the seed block, a call in a later block
    /// of the same epoch draws from that block's hash.
    /// @dev One committee per job (issue 20 item 2): the seed is keccak256(blockhash(seed
    /// block), jobId), unknown to everyone but that block's proposer until the block is out, and
    /// the draw reads the validators' weights as they stood when the epoch began
    /// ({CommitteeDraw-drawSeats}), before the seed block: no join, exit, slash or
    /// reverted transaction after it changes the committee, and the call after the seed block
    /// draws, it cannot fix another. A seed block is fixed again only when its epoch has ended
    /// or its hash has left the EVM's 256-block horizon with nobody drawing (then the weights of
    /// that epoch's start are gone). Seats by bond ({CommitteeDraw-drawSeats}): each seat is drawn in proportion
    /// to bond and a seated member stays in the draw, so a member may hold several seats and
    /// Sybils split from one bond draw no more seats than it; a leaf that cannot sit (the
    /// requester, the job's workers, a member at its cap of unsettled seats) leaves the draw, so
    /// excluded bond wastes no try and no whale can empty a committee (issue 20 item 3): seats
    /// stay empty only when the eligible validators' seat caps are fewer than the seats (verdicts
    /// then need a strict majority of the seats filled, {Judgment-judge}; below the quorum the job
    /// is the requester's failure, {Settlement-finalize}). Each seat counts one more unsettled
    /// seat of its member, which keeps its bond until finalize ({withdrawBond}).
    /// Emits {CommitteeSeedBlockSet} (first call) or {CommitteeDrawn}.
    function drawCommittee(uint256 jobId) external {
        Job storage j = _existing(jobId);
        (uint32 commitDeadline, uint32 revealDeadline, uint256 size, uint256 count) =
            (j.commitDeadline, j.revealDeadline, j.committeeSize, j.submissionCount);
        if (j.status != Status.Active) revert TrainingMarketJobClosed(jobId);
        if (block.timestamp < commitDeadline || block.timestamp >= revealDeadline) revert TrainingMarketNotRevealing(jobId);
        // Seats 8.. live in word 1, which a committee of at most 7 (sizes are odd) never uses.
        uint256[2] memory c;
        c[0] = _committees[jobId][0];
        if (size > 8) c[1] = _committees[jobId][1];
        if (c[0] != 0 || c[1] != 0) revert TrainingMarketAlreadyDrawn(jobId);
        uint256 seed = _seedOf(jobId);
        if (seed == 0) return; // the seed block is fixed now
        // The requester, then the workers when they are no more than the seats: read once into
        // memory, each draw then excludes them with no storage read (else one read per draw).
        address[] memory excluded = new address[](count <= size ? count + 1 : 1);
        excluded[0] = j.requester;
        for (uint256 i = 1; i < excluded.length; ++i) {
            excluded[i] = _entries[jobId][i - 1].worker;
        }
        address[] memory seats;
        (c, seats) = _drawSeats(_sealed[jobId], size, seed, excluded, count <= size);
        if (c[0] != 0) _committees[jobId][0] = c[0];
        if (c[1] != 0) _committees[jobId][1] = c[1];
        emit CommitteeDrawn(jobId, seats, seed);
    }

    /// @dev The draw's seed, or 0 after fixing this block as the seed block (first call, or a
    /// seed block whose epoch has ended or whose hash is out of reach). Reverts
    /// {TrainingMarketSeedNotReady} in the seed block itself.
    function _seedOf(uint256 jobId) private returns (uint256) {
        uint256 epoch = _epoch();
        uint256 armed = _seedBlocks[jobId];
        uint256 seedBlock = uint64(armed);
        // Exact matches by design: the seed block's own epoch, and the seed block itself (whose hash is not out).
        // slither-disable-next-line incorrect-equality
        if (armed != 0 && armed >> 64 == epoch) {
            // slither-disable-next-line incorrect-equality
            if (block.number == seedBlock) revert TrainingMarketSeedNotReady(jobId, seedBlock);
            bytes32 hash = blockhash(seedBlock); // zero beyond 256 blocks: fixed again below
            if (hash != 0) return uint256(keccak256(abi.encode(hash, jobId)));
        }
        _seedBlocks[jobId] = block.number | (epoch << 64); // block numbers fit 64 bits
        emit CommitteeSeedBlockSet(jobId, block.number, epoch);
        return 0;
    }

    /// @dev now < commit < reveal < attest < settle <= now + MAX_JOB_DURATION, every window
    /// at least the protocol minimum (a one-second window admits no block).
    function _validateDeadlines(uint32[4] calldata d) private view {
        uint256 previous = block.timestamp;
        for (uint256 i; i < 4; ++i) {
            uint256 next = d[i];
            if (next <= previous) revert TrainingMarketBadDeadlines(d[0], d[1], d[2], d[3]);
            unchecked {
                // next > previous: checked just above (the checks cost plain postJob's gas goal)
                if (next - previous < _minWindow) revert TrainingMarketWindowTooShort(next - previous, _minWindow);
            }
            previous = next;
        }
        if (previous - block.timestamp > MAX_JOB_DURATION) {
            revert TrainingMarketJobTooLong(previous - block.timestamp, MAX_JOB_DURATION);
        }
    }
}
