// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITrainingMarket} from "./interfaces/ITrainingMarket.sol";
import {SealedJobs} from "./SealedJobs.sol";

/// @title PooledJobs
/// @notice The market's side of pooled jobs (issue 20, docs/market.md "Re-rolling the split"):
/// a block after the post splits the requester's pool into training and evaluation shards,
/// and the requester, who sees the split first, must stand by it: walking away from it costs
/// its whole escrow, more than the worst split for the workers can win it.
/// @dev The split itself is off-chain (offchain/ml/pool.py): the hash of the seed block ranks
/// the manifest's shards, and workers check the training shards they are served against it.
/// The market knows only the seed block, which {TrainingMarket-cancelJob} and
/// {Settlement-finalize} read. The posts are named so their selectors (0xfed518bd, 0xfe72e02f)
/// sort after commit's, as {SealedJobs}' are: commit, reveal and claim pay 22 gas per selector placed
/// before theirs.
abstract contract PooledJobs is SealedJobs {
    /// @dev Blocks from a pooled job's post to its seed block (the pool manifest's seed delay,
    /// offchain/ml/pool.py MIN_SEED_DELAY): an argument would cost the decoder {postJob}'s
    /// shares (EIP-170 room). {JobPooled} names the block.
    uint256 private constant SEED_DELAY = 1;

    /// @dev A pooled job's seed block; zero: not pooled.
    mapping(uint256 jobId => uint256) private _seedBlocksOfSplits;

    /// @notice {postJob} for a pooled job: the hash of the next block (the seed block) splits
    /// the pool its training-set hash names. In this block the requester may still cancel it
    /// with everything back; from the seed block on, a cancel or a job nobody committed to
    /// refunds it nothing ({_walkedAway}).
    /// @dev Posted by {postJob} itself, as {TrainingMarket-postJobWithProvenance} posts.
    /// Emits {JobPosted} and {JobPooled}.
    function postPooledJob(
        bytes32, // baseModel
        bytes32, // trainingSet: the pool's manifest
        bytes32, // evaluationSeal: seals the manifest's hash too
        bytes32, // spec
        uint16, // minScoreBps
        uint32[4] calldata, // deadlines
        uint80, // minStake
        uint8 // committeeSize
    ) external payable returns (uint256 jobId) {
        jobId = _pooled(_postByDelegate(this.postJob.selector));
    }

    /// @notice {postPooledJob} with a proof that the pool's manifest (the training-set hash) was
    /// anchored in the proof-of-work ledger, as {TrainingMarket-postJobWithProvenance} takes it.
    /// @dev Posted by postJobWithProvenance itself (its selector sorts after commit's too).
    /// Emits {JobPosted}, {TrainingSetAnchored} and {JobPooled}.
    function postPooledAnchoredJob(
        bytes32, // baseModel
        bytes32, // trainingSet: the pool's manifest
        bytes32, // evaluationSeal: seals the manifest's hash too
        bytes32, // spec
        uint16, // minScoreBps
        uint32[4] calldata, // deadlines
        uint80, // minStake
        uint8, // committeeSize
        AnchorProof calldata // proof
    ) external payable returns (uint256 jobId) {
        jobId = _pooled(_postByDelegate(ITrainingMarket.postJobWithProvenance.selector));
    }

    /// @dev Records job `jobId`'s seed block, the next one; returns `jobId`.
    function _pooled(uint256 jobId) private returns (uint256) {
        uint256 seedBlock = block.number + SEED_DELAY;
        _seedBlocksOfSplits[jobId] = seedBlock;
        emit JobPooled(jobId, seedBlock);
        return jobId;
    }

    /// @dev True when pooled job `jobId`, with `submissions` commitments, refunds its requester
    /// nothing: its seed block is out (the requester may have seen the split) and nobody
    /// committed. Re-rolling the split (walking away from one, posting the pool again with fresh
    /// salts) then costs the whole escrow, twice what the worst split can win (the reward it
    /// keeps by convicting every honest claim). A job nobody committed to is no exception: the
    /// chain cannot tell it from a split whose training shards its requester never served, so
    /// workers could not train. With a commitment the job runs as any other.
    function _walkedAway(uint256 jobId, uint256 submissions) internal view returns (bool) {
        if (submissions != 0) return false; // first: a finalize with submissions reads no more
        uint256 seedBlock = _seedBlocksOfSplits[jobId];
        return seedBlock != 0 && block.number >= seedBlock;
    }
}
