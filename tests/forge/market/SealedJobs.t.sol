// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISealedExchange} from "../../../contracts/interfaces/ISealedExchange.sol";
import {ITrainingMarket} from "../../../contracts/interfaces/ITrainingMarket.sol";
import {MarketHashes} from "../../../contracts/libraries/MarketHashes.sol";
import {SealedCurve} from "../../../contracts/libraries/SealedCurve.sol";
import {ScoreSheet} from "../../../contracts/libraries/ScoreSheet.sol";
import {SealedExchange} from "../../../contracts/SealedExchange.sol";
import {MarketFixture} from "./MarketFixture.sol";
import {SealedKeys} from "./SealedKeys.sol";

/// @notice SealedJobs' guards, concrete: a sealed post must post and carry its job key, a
/// sealed job's reveal needs the worker's published seal, and only the exchange flags a bad
/// envelope, on a sealed job, of a revealed submission. Each refusal asserts its error.
contract SealedJobsTest is MarketFixture, SealedKeys {
    using ScoreSheet for uint256;

    uint256 internal constant REWARD = 10 ether;
    uint256 internal constant R = 0xB0B; // the requester's job key scalar

    SealedExchange internal exchange;

    function setUp() public override {
        super.setUp();
        exchange = SealedExchange(lens.sealedExchange());
    }

    // ------------------------------------------------------------------ posting under seal

    function test_aSealedPostOfTheNextIdIsSealed() external {
        uint256 next = market.jobCount() + 1;
        _registerJobKey(next);
        uint256 held = address(market).balance;

        vm.expectEmit(address(market));
        emit ITrainingMarket.JobSealed(next);
        uint256 id = _postSealed();

        assertEq(id, next);
        assertEq(market.jobCount(), next);
        assertEq(address(market).balance - held, 2 * REWARD);
    }

    /// @dev A view answers without posting: its answer could name another requester's job.
    function test_aSealedPostMustPost() external {
        vm.expectRevert(ITrainingMarket.TrainingMarketNotAPost.selector);
        vm.prank(REQUESTER);
        market.postSealedCall(abi.encodeCall(market.jobCount, ()));
        assertEq(market.jobCount(), 0);
    }

    function test_aSealedPostNeedsTheRequestersJobKey() external {
        SealedCurve.Point memory key = _pointOf(R);
        uint256 held = address(market).balance;
        vm.prank(_worker(9)); // a key for the next id, but not the requester's
        exchange.registerJobKey(1, key);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNoJobKey.selector, 1));
        _postSealed();
        assertEq(market.jobCount(), 0);
        assertEq(address(market).balance, held);
    }

    // ------------------------------------------------------------------ reveals under seal

    function test_aSealedJobsRevealNeedsThePublishedSeal() external {
        uint256 id = _sealedJobWithCommit();
        vm.warp(market.job(id).commitDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNoSeal.selector, id));
        _reveal(id, 1, 8000);
        assertFalse(market.submissionAt(id, 0).sheet.revealed());

        _publishSeal(id, 1);
        _reveal(id, 1, 8000);
        assertTrue(market.submissionAt(id, 0).sheet.revealed());
    }

    // ------------------------------------------------------------------ bad-envelope flags

    function test_onlyTheExchangeFlagsABadEnvelope() external {
        uint256 id = _sealedJobWithReveal();
        _refuseFlag(_worker(9), id, _worker(1));
        _refuseFlag(address(market), id, _worker(1));

        vm.prank(address(exchange));
        market.flagEnvelopeProvenBad(id, _worker(1));
        assertTrue(market.submissionAt(id, 0).sheet.badEnvelope());
    }

    function test_aBadEnvelopeIsFlaggedOnlyOnASealedJob() external {
        uint256 id = _post(market, REWARD);
        _commit(id, 1, 8000);
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);

        _refuseFlag(address(exchange), id, _worker(1));
        assertFalse(market.submissionAt(id, 0).sheet.badEnvelope());
    }

    function test_aBadEnvelopeIsFlaggedOnlyOnARevealedSubmission() external {
        uint256 id = _sealedJobWithCommit();
        _refuseFlag(address(exchange), id, _worker(1)); // committed, not revealed
        _refuseFlag(address(exchange), id, _worker(2)); // never committed
        assertEq(market.submissionAt(id, 0).sheet, 0);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev Posts {MarketFixture-_post}'s job through postSealedCall.
    function _postSealed() internal returns (uint256 id) {
        bytes memory post = abi.encodeCall(
            market.postJob,
            (BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 5000, _deadlines(), MIN_STAKE, 3)
        );
        vm.prank(REQUESTER);
        id = market.postSealedCall{value: 2 * REWARD}(post);
    }

    /// @dev A sealed job (its key registered) with worker 1's commit.
    function _sealedJobWithCommit() internal returns (uint256 id) {
        _registerJobKey(market.jobCount() + 1);
        id = _postSealed();
        _commit(id, 1, 8000);
    }

    /// @dev A sealed job whose worker 1 published its seal and revealed.
    function _sealedJobWithReveal() internal returns (uint256 id) {
        id = _sealedJobWithCommit();
        _publishSeal(id, 1);
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);
    }

    /// @dev The requester registers its job key for job `id` (computed before the prank).
    function _registerJobKey(uint256 id) internal {
        SealedCurve.Point memory key = _pointOf(R);
        vm.prank(REQUESTER);
        exchange.registerJobKey(id, key);
    }

    function _publishSeal(uint256 id, uint160 i) internal {
        (ISealedExchange.Seal memory s,,) = _sealOf(keccak256(abi.encode("key", i)), _model(i), false);
        vm.prank(_worker(i));
        exchange.publishSeal(id, s);
    }

    function _refuseFlag(address caller, uint256 id, address worker) internal {
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketBadEnvelopeRefused.selector, id, worker)
        );
        vm.prank(caller);
        market.flagEnvelopeProvenBad(id, worker);
    }
}
