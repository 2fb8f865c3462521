// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AppealRuling} from "./AppealRuling.sol";
import {SealedExchange} from "./SealedExchange.sol";
import {ISealedExchange} from "./interfaces/ISealedExchange.sol";
import {ScoreSheet} from "./libraries/ScoreSheet.sol";

/// @title SealedJobs
/// @notice The market's side of sealed submissions (issue 26, docs/market.md): a job posted
/// sealed takes only reveals whose seal is published, a member's proven bad envelope makes
/// its submission unverifiable, and its winner's prize and stake go to the {SealedExchange},
/// which pays the winner only once the requester holds the key.
/// @dev The records and the fair exchange live in the exchange, which this market creates in
/// its constructor, as it creates its {Appeals}: neither has an administrator and each trusts
/// only the other, so no deploy order or setter can link a market to another's exchange.
/// Its two functions are named so their selectors sort after commit's (0xf2f03877), as
/// {AppealRuling-appealsContractAddress}: the dispatcher compares selectors in order, and
/// commit, reveal and claim would each pay 22 gas per selector placed before theirs.
abstract contract SealedJobs is AppealRuling {
    using ScoreSheet for uint256;

    /// @dev The market's exchange, set once by the constructor (windows of the protocol's
    /// shortest, minWindow, each). In storage, not immutable: an immutable is 33 bytes of code
    /// at each of its uses, a storage read 3 (EIP-170 room), and only sealed paths read it.
    ISealedExchange internal _exchange;
    mapping(uint256 jobId => bool) internal _sealedJobs;

    constructor() {
        _exchange = ISealedExchange(address(new SealedExchange(address(this), _minWindow, _minWindow)));
    }

    /// @notice Post a sealed job: `post` is the call data of one of the market's posts
    /// ({postJob}, {TrainingMarket-postJobWithProvenance}, {PooledJobs-postPooledJob} or
    /// {PooledJobs-postPooledAnchoredJob}), which posts it as it would, with the value sent here;
    /// then reveals need a published seal, and the winner is paid through the exchange for the
    /// key. The requester registers its job key first ({SealedRecords-registerJobKey} for the id
    /// this post takes: `jobCount() + 1`).
    /// @dev One sealed entry for every kind of post (a pooled job's seed block, an anchor's
    /// proof), not one per kind: the post runs through a delegatecall to this contract, as
    /// {TrainingMarket-postJobWithProvenance} posts. Reverts {TrainingMarketNotAPost} for a call
    /// that posted no job (its answer, a view's, could name another requester's job or the next
    /// one, which a job key anyone may register for it would then seal), {TrainingMarketNoJobKey}
    /// without the key (a post that took another id than the key's). Emits the post's events
    /// and {JobSealed}.
    function postSealedCall(bytes calldata post) external payable returns (uint256 jobId) {
        jobId = _delegatePost(post);
        // The call must have posted, and only a post writes _nextJobId: its one job is `jobId`.
        if (_nextJobId == jobId) revert TrainingMarketNotAPost();
        if (_exchange.jobKeyOf(jobId, msg.sender) == address(0)) revert TrainingMarketNoJobKey(jobId);
        _sealedJobs[jobId] = true;
        emit JobSealed(jobId);
    }

    /// @notice Mark `worker`'s submission to `jobId` unverifiable: a committee member proved
    /// the key envelope it was sent bad.
    /// @dev Reverts {TrainingMarketBadEnvelopeRefused} unless called by the exchange
    /// ({SealedRecords-proveBadEnvelope}, which closes with this job's attest deadline and
    /// emits {ISealedExchange-BadEnvelopeProven}), on a sealed job, once the worker revealed:
    /// the flag is settled before any attestation is revealed, so finalize, claim, appeals
    /// and the lens all read one answer ({Judgment-judge}).
    function flagEnvelopeProvenBad(uint256 jobId, address worker) external {
        uint256 sheet = _sheets[jobId][worker];
        // One error for every refusal (EIP-170 room): the exchange's own proof says the rest.
        if (
            msg.sender != address(_exchange) || !_sealedJobs[jobId] || sheet == 0 // unrevealed: scores are written to revealed sheets only
        ) revert TrainingMarketBadEnvelopeRefused(jobId, worker);
        _sheets[jobId][worker] = sheet.withBadEnvelope();
    }

    /// @dev Reverts for a reveal of the caller to a sealed job `jobId` with no published seal.
    function _requireSeal(uint256 jobId) internal view {
        if (_sealedJobs[jobId] && _exchange.sealOf(jobId, msg.sender) == 0) {
            revert TrainingMarketNoSeal(jobId); // the caller is the worker: it knows who it is
        }
    }

    /// @dev Posts the job of this call's arguments through the post function `selector` names
    /// ({postJob}, or {TrainingMarket-postJobWithProvenance} for a pooled job's proof; postJob's
    /// decoder ignores the words after its own), so {_post}'s body is compiled once
    /// ({TrainingMarket-postJobWithProvenance} says why).
    function _postByDelegate(bytes4 selector) internal returns (uint256) {
        return _delegatePost(bytes.concat(selector, msg.data[4:]));
    }

    /// @dev Runs post call `post` through a delegatecall to this contract (OpenZeppelin
    /// Multicall's idiom: the sender and the value stay the requester's); returns the id a post
    /// takes, read before the call (the post's own read of it is then warm), not the call's
    /// answer: a call that is no post answers what it likes ({postSealedCall} checks it posted).
    function _delegatePost(bytes memory post) private returns (uint256 jobId) {
        jobId = _nextJobId;
        // slither-disable-next-line controlled-delegatecall,low-level-calls
        (bool ok, bytes memory posted) = address(this).delegatecall(post);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(posted, 32), mload(posted)) // the post's own error
            }
        }
    }
}
