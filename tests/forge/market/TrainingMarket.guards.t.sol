// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITrainingMarket} from "../../../contracts/interfaces/ITrainingMarket.sol";
import {MarketHashes} from "../../../contracts/libraries/MarketHashes.sol";
import {TrainingMarket} from "../../../contracts/TrainingMarket.sol";
import {FakeRelay} from "../FakeRelay.sol";
import {MarketFixture} from "./MarketFixture.sol";

/// @notice Every guard of the market, one call each, reverting with its own error: the
/// campaigns' handler tries forbidden calls at random and only asks that they revert; these
/// pin which guard answers (and so fail when one is removed: the mutation check's survivors).
/// @dev On {MarketFixture}'s market (its config and three validators); windows of 1,000 s.
contract TrainingMarketGuardsTest is MarketFixture {
    address internal constant WORKER = address(0xB0B);
    address internal constant STRANGER = address(0x5EE);

    function setUp() public override {
        super.setUp();
        vm.deal(WORKER, 1000 ether);
        vm.deal(STRANGER, 1000 ether);
    }

    // ------------------------------------------------------------------ construction

    function test_constructorRefusesAZeroRegistry() external {
        vm.expectRevert(ITrainingMarket.TrainingMarketZeroAddress.selector);
        new TrainingMarket(address(0), _config());
    }

    function test_constructorRefusesEachZeroParameter() external {
        ITrainingMarket.Config memory c;
        for (uint256 i; i < 5; ++i) {
            c = _config();
            if (i == 0) c.quorum = 0;
            if (i == 1) c.quorum = 16; // above the 15 seats a committee can have
            if (i == 2) c.forfeitBps = 0;
            if (i == 3) c.slashBps = 0;
            if (i == 4) c.minWindow = 0;
            vm.expectRevert(ITrainingMarket.TrainingMarketBadConfig.selector);
            new TrainingMarket(address(registry), c);
        }
    }

    function test_constructorRefusesEachShareAboveOneHundredPercent() external {
        for (uint256 i; i < 4; ++i) {
            ITrainingMarket.Config memory c = _config();
            if (i == 0) c.toleranceBps = 10_001;
            if (i == 1) c.feeBps = 10_001;
            if (i == 2) c.slashBps = 10_001;
            if (i == 3) c.forfeitBps = 10_001;
            vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketBpsTooHigh.selector, 10_001));
            new TrainingMarket(address(registry), c);
        }
    }

    function test_constructorAcceptsSharesOfExactlyOneHundredPercent() external {
        ITrainingMarket.Config memory c = _config();
        (c.toleranceBps, c.feeBps, c.slashBps, c.forfeitBps) = (10_000, 10_000, 10_000, 10_000);
        new TrainingMarket(address(registry), c);
    }

    function test_constructorRefusesAMinimumBondBelowOneGwei() external {
        ITrainingMarket.Config memory c = _config();
        c.minBond = 1 gwei - 1;
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketBondTooLow.selector, 1 gwei - 1, 1 gwei));
        new TrainingMarket(address(registry), c);
        c.minBond = 1 gwei; // the weight unit itself is accepted
        new TrainingMarket(address(registry), c);
    }

    // ------------------------------------------------------------------ posting

    function test_postRefusesARewardAboveWhatTheRecordHolds() external {
        uint256 value = uint256(type(uint80).max) + 1;
        vm.deal(REQUESTER, 2 * value); // the reward and its deposit
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketAmountTooLarge.selector, value, type(uint80).max)
        );
        _postWith(value, keccak256("t"), 0, _deadlines(), 3);
    }

    function test_postRefusesAValueThatIsNotARewardAndItsDeposit() external {
        vm.deal(REQUESTER, 3);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketDepositMismatch.selector, 3));
        vm.prank(REQUESTER);
        market.postJob{value: 3}(BASE, keccak256("t"), _evalSeal(), keccak256("s"), 0, _deadlines(), MIN_STAKE, 3);
    }

    function test_postRefusesEachZeroHash() external {
        bytes32[3] memory hashes = [keccak256("t"), _evalSeal(), keccak256("s")];
        for (uint256 i; i < 3; ++i) {
            bytes32[3] memory h = hashes;
            h[i] = 0;
            vm.expectRevert(ITrainingMarket.TrainingMarketZeroHash.selector);
            vm.prank(REQUESTER);
            market.postJob{value: 2 ether}(BASE, h[0], h[1], h[2], 0, _deadlines(), MIN_STAKE, 3);
        }
    }

    /// @dev Issue 20 item 6: a full job's 15 junk forfeits (a minimum stake each) cover the reward.
    function test_postRefusesARewardAboveFifteenMinimumStakes() external {
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketStakeTooSmall.selector, MIN_STAKE));
        _postWith(15 * uint256(MIN_STAKE) + 1, keccak256("t"), 0, _deadlines(), 3);
    }

    function test_postAcceptsARewardOfExactlyFifteenMinimumStakes() external {
        _postWith(15 * uint256(MIN_STAKE), keccak256("t"), 0, _deadlines(), 3);
    }

    function test_postRefusesAMinimumScoreAboveOneHundredPercent() external {
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketBpsTooHigh.selector, 10_001));
        _postWith(1 ether, keccak256("t"), 10_001, _deadlines(), 3);
    }

    function test_postAcceptsAMinimumScoreOfExactlyOneHundredPercent() external {
        _postWith(1 ether, keccak256("t"), 10_000, _deadlines(), 3);
    }

    function test_postRefusesAWindowShorterThanTheMinimum() external {
        uint32[4] memory d = _deadlines();
        d[1] = d[0] + 99;
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketWindowTooShort.selector, 99, 100));
        _postWith(1 ether, keccak256("t"), 0, d, 3);
    }

    function test_postAcceptsAWindowOfExactlyTheMinimum() external {
        uint32[4] memory d = _deadlines();
        d[1] = d[0] + 100;
        _postWith(1 ether, keccak256("t"), 0, d, 3);
    }

    function test_postRefusesAJobLongerThanThirtyDays() external {
        uint32[4] memory d = _deadlines();
        uint256 longest = market.MAX_JOB_DURATION();
        d[3] = uint32(block.timestamp + longest + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketJobTooLong.selector, longest + 1, longest)
        );
        _postWith(1 ether, keccak256("t"), 0, d, 3);
    }

    function test_postAcceptsAJobOfExactlyThirtyDays() external {
        uint32[4] memory d = _deadlines();
        d[3] = uint32(block.timestamp + market.MAX_JOB_DURATION());
        _postWith(1 ether, keccak256("t"), 0, d, 3);
    }

    function test_postWithProvenanceNeedsARelay() external {
        ITrainingMarket.AnchorProof memory proof;
        vm.expectRevert(ITrainingMarket.TrainingMarketNoRelay.selector);
        vm.prank(REQUESTER);
        market.postJobWithProvenance{value: 2 ether}(
            BASE, keccak256("t"), _evalSeal(), keccak256("s"), 0, _deadlines(), MIN_STAKE, 3, proof
        );
    }

    function test_postWithProvenanceRefusesAProofOfAnotherPayload() external {
        TrainingMarket m = _marketAnchoring(keccak256("other"));
        ITrainingMarket.AnchorProof memory proof;
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketPayloadMismatch.selector, keccak256("t"), keccak256("other"))
        );
        vm.prank(REQUESTER);
        m.postJobWithProvenance{value: 2 ether}(
            BASE, keccak256("t"), _evalSeal(), keccak256("s"), 0, _deadlines(), MIN_STAKE, 3, proof
        );
    }

    function test_postWithProvenancePassesOnPostJobsOwnError() external {
        // The proof holds; the post itself, reached by a delegatecall, refuses the value.
        TrainingMarket m = _marketAnchoring(keccak256("t"));
        ITrainingMarket.AnchorProof memory proof;
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketDepositMismatch.selector, 2 ether + 1));
        vm.prank(REQUESTER);
        m.postJobWithProvenance{value: 2 ether + 1}(
            BASE, keccak256("t"), _evalSeal(), keccak256("s"), 0, _deadlines(), MIN_STAKE, 3, proof
        );
    }

    /// @dev A market whose relay proves any anchor of `payload` by the requester.
    function _marketAnchoring(bytes32 payload) private returns (TrainingMarket m) {
        FakeRelay relay = new FakeRelay();
        m = _market(_registry(address(relay)));
        relay.setAnchor(payload, REQUESTER, 1, bytes32(0), 6);
    }

    // ------------------------------------------------------------------ cancel

    function test_aCancelledJobCannotBeCancelledAgain() external {
        uint256 id = _post();
        vm.prank(REQUESTER);
        market.cancelJob(id);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketJobClosed.selector, id));
        vm.prank(REQUESTER);
        market.cancelJob(id);
    }

    // ------------------------------------------------------------------ commit

    function test_commitToAnUnknownJob() external {
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketUnknownJob.selector, 7));
        vm.prank(WORKER);
        market.commit{value: MIN_STAKE}(7, keccak256("c"));
    }

    function test_commitToACancelledJob() external {
        uint256 id = _post();
        vm.prank(REQUESTER);
        market.cancelJob(id);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketJobClosed.selector, id));
        vm.prank(WORKER);
        market.commit{value: MIN_STAKE}(id, keccak256("c"));
    }

    function test_commitRefusesAZeroCommitment() external {
        uint256 id = _post();
        vm.expectRevert(ITrainingMarket.TrainingMarketZeroHash.selector);
        vm.prank(WORKER);
        market.commit{value: MIN_STAKE}(id, 0);
    }

    function test_commitRefusesAStakeAboveWhatTheEntryHolds() external {
        uint256 id = _post();
        uint256 value = uint256(type(uint80).max) + 1;
        vm.deal(WORKER, value);
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketAmountTooLarge.selector, value, type(uint80).max)
        );
        vm.prank(WORKER);
        market.commit{value: value}(id, keccak256("c"));
    }

    function test_theSeventeenthCommitIsRefused() external {
        uint256 id = _post();
        uint256 cap = market.MAX_SUBMISSIONS();
        for (uint160 i; i < cap; ++i) {
            address w = address(0x2000 + i);
            vm.deal(w, MIN_STAKE);
            vm.prank(w);
            market.commit{value: MIN_STAKE}(id, keccak256(abi.encode(i)));
        }
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketSubmissionsFull.selector, id));
        vm.prank(WORKER);
        market.commit{value: MIN_STAKE}(id, keccak256("c"));
    }

    // ------------------------------------------------------------------ reveal

    function test_revealWithoutACommit() external {
        uint256 id = _post();
        _toReveal(id);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotCommitted.selector, id, STRANGER));
        vm.prank(STRANGER);
        market.reveal(id, keccak256("m"), 8000, bytes32(0), "u");
    }

    function test_revealRefusesAZeroModel() external {
        uint256 id = _committed(bytes32(0), 8000);
        vm.expectRevert(ITrainingMarket.TrainingMarketZeroHash.selector);
        vm.prank(WORKER);
        market.reveal(id, bytes32(0), 8000, keccak256("salt"), "u");
    }

    function test_revealRefusesTheBaseModelItself() external {
        uint256 id = _committed(BASE, 8000);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketBaseModelResubmitted.selector, id));
        vm.prank(WORKER);
        market.reveal(id, BASE, 8000, keccak256("salt"), "u");
    }

    function test_revealRefusesWhatItsCommitmentDoesNotSeal() external {
        uint256 id = _committed(keccak256("m"), 8000);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketCommitmentMismatch.selector, id, WORKER));
        vm.prank(WORKER);
        market.reveal(id, keccak256("m"), 8000, keccak256("another salt"), "u");
    }

    function test_revealRefusesAScoreAboveOneHundredPercent() external {
        uint256 id = _committed(keccak256("m"), 10_001);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketBpsTooHigh.selector, 10_001));
        vm.prank(WORKER);
        market.reveal(id, keccak256("m"), 10_001, keccak256("salt"), "u");
    }

    function test_revealAcceptsAScoreOfExactlyOneHundredPercent() external {
        uint256 id = _committed(keccak256("m"), 10_000);
        vm.prank(WORKER);
        market.reveal(id, keccak256("m"), 10_000, keccak256("salt"), "u");
    }

    function test_revealRefusesAUriAboveTheLimit() external {
        uint256 id = _committed(keccak256("m"), 8000);
        uint256 limit = market.MAX_URI_BYTES();
        bytes memory uri = new bytes(limit + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketUriTooLong.selector, limit + 1, limit)
        );
        vm.prank(WORKER);
        market.reveal(id, keccak256("m"), 8000, keccak256("salt"), string(uri));
    }

    function test_revealAcceptsAUriOfExactlyTheLimit() external {
        uint256 id = _committed(keccak256("m"), 8000);
        bytes memory uri = new bytes(market.MAX_URI_BYTES()); // read before the prank, which the next call takes
        vm.prank(WORKER);
        market.reveal(id, keccak256("m"), 8000, keccak256("salt"), string(uri));
    }

    // ------------------------------------------------------------------ the evaluation set

    function test_theEvaluationSetIsOpenedOnce() external {
        uint256 id = _committed(keccak256("m"), 8000);
        vm.prank(REQUESTER);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketEvaluationAlreadyRevealed.selector, id));
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
    }

    function test_theEvaluationSetOfACancelledJob() external {
        uint256 id = _post();
        vm.prank(REQUESTER);
        market.cancelJob(id);
        _toReveal(id);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketJobClosed.selector, id));
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
    }

    // ------------------------------------------------------------------ the committee

    function test_aCancelledJobIsNeverDrawn() external {
        uint256 id = _post();
        vm.prank(REQUESTER);
        market.cancelJob(id);
        _toReveal(id);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketJobClosed.selector, id));
        market.drawCommittee(id);
    }

    function test_aDrawNeedsValidators() external {
        TrainingMarket empty = new TrainingMarket(address(registry), _config());
        uint32[4] memory d = _deadlines();
        vm.prank(REQUESTER);
        uint256 id = empty.postJob{value: 2 ether}(BASE, keccak256("t"), _evalSeal(), keccak256("s"), 0, d, MIN_STAKE, 3);
        vm.warp(d[0]);
        empty.drawCommittee(id); // fixes the seed block
        vm.roll(block.number + 1);
        vm.setBlockhash(block.number - 1, keccak256("seed"));
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotValidator.selector, address(0)));
        empty.drawCommittee(id);
    }

    function test_aCommitteeOfNineUsesItsSecondWord() external {
        for (uint160 i = 4; i <= 9; ++i) {
            address v = address(0x1000 + i);
            vm.deal(v, 1 ether);
            vm.prank(v);
            market.joinValidators{value: 1 ether}();
        }
        uint256 id = _postWith(1 ether, keccak256("t"), 0, _deadlines(), 9);
        _toReveal(id);
        _draw(id);
        uint256[2] memory words = market.committeeWords(id);
        assertTrue(words[1] != 0, "seat 8 lives in word 1");
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketAlreadyDrawn.selector, id));
        market.drawCommittee(id);
    }

    // ------------------------------------------------------------------ attestations

    function test_attestationsRefuseAZeroSeal() external {
        vm.expectRevert(ITrainingMarket.TrainingMarketZeroHash.selector);
        market.commitAttestation(1, 0);
    }

    function test_attestationsWaitForTheEvaluationSet() external {
        uint256 id = _committed(keccak256("m"), 8000);
        _draw(id);
        vm.warp(market.job(id).revealDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketEvaluationNotRevealed.selector, id));
        vm.prank(address(0x1001));
        market.commitAttestation(id, keccak256("seal"));
    }

    function test_aStrangerCannotAttestUnavailable() external {
        uint256 id = _attesting();
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotInCommittee.selector, id, STRANGER));
        vm.prank(STRANGER);
        market.attestUnavailable(id);
    }

    function test_aMemberAttestsOnce() external {
        uint256 id = _attesting();
        address member = _seat0(id);
        vm.prank(member);
        market.attestUnavailable(id);
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketAttestationAlreadyCommitted.selector, id, member)
        );
        vm.prank(member);
        market.commitAttestation(id, keccak256("seal"));
    }

    function test_aRevealMustCarryOneScorePerSubmission() external {
        uint256 id = _attesting();
        address member = _seat0(id);
        uint16[] memory scores = new uint16[](2); // one submission
        bytes32 salt = keccak256("attestation salt");
        vm.prank(member);
        market.commitAttestation(id, keccak256(abi.encode(id, member, scores, salt)));
        vm.warp(market.job(id).attestDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketWrongScoreCount.selector, id, 2, 1));
        vm.prank(member);
        market.revealAttestation(id, scores, salt);
    }

    function test_aRevealedScoreAboveOneHundredPercentIsRefused() external {
        uint256 id = _attesting();
        address member = _seat0(id);
        uint16[] memory scores = new uint16[](1);
        scores[0] = 10_001;
        bytes32 salt = keccak256("attestation salt");
        vm.prank(member);
        market.commitAttestation(id, keccak256(abi.encode(id, member, scores, salt)));
        vm.warp(market.job(id).attestDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketBpsTooHigh.selector, 10_001));
        vm.prank(member);
        market.revealAttestation(id, scores, salt);
    }

    // ------------------------------------------------------------------ finalize and claim

    function test_finalizeNeedsTheWinnersOwnResult() external {
        uint256 id = _attesting();
        uint16[] memory scores = new uint16[](1);
        scores[0] = 8000;
        bytes32 salt = keccak256("attestation salt");
        for (uint160 i = 1; i <= 3; ++i) {
            address v = address(0x1000 + i);
            if (!_seated(id, v)) continue;
            vm.prank(v);
            market.commitAttestation(id, keccak256(abi.encode(id, v, scores, salt)));
        }
        vm.warp(market.job(id).attestDeadline);
        for (uint160 i = 1; i <= 3; ++i) {
            if (!_seated(id, address(0x1000 + i))) continue;
            vm.prank(address(0x1000 + i));
            market.revealAttestation(id, scores, salt);
        }
        vm.warp(market.job(id).settleDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketWrongResult.selector, id, WORKER));
        market.finalize(id, keccak256("m"), "another uri");
        market.finalize(id, keccak256("m"), "u");
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketJobClosed.selector, id));
        market.finalize(id, keccak256("m"), "u");
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotYourSubmission.selector, id, 1, WORKER));
        vm.prank(WORKER);
        market.claim(id, 1);
    }

    function test_submissionAtRefusesAnIndexPastTheSubmissions() external {
        uint256 id = _committed(keccak256("m"), 8000);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNoSubmission.selector, id, 1));
        market.submissionAt(id, 1);
    }

    // ------------------------------------------------------------------ validators

    function test_aBondOverflowingTheTreeIsRefused() external {
        uint256 value = uint256(type(uint64).max) * 1 gwei; // with the 3 ETH bonded, past a lane
        vm.deal(STRANGER, value);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketAmountTooLarge.selector, value, 0));
        vm.prank(STRANGER);
        market.joinValidators{value: value}();
        vm.deal(address(0x1001), value);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketAmountTooLarge.selector, value, 0));
        vm.prank(address(0x1001));
        market.topUpBond{value: value}();
    }

    function test_aNonMemberCannotWithdrawABond() external {
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotValidator.selector, STRANGER));
        vm.prank(STRANGER);
        market.withdrawBond();
    }

    function test_aBondLeavesWhenItsUnbondingDelayEndsAndNotBefore() external {
        address member = _validator(1);
        vm.prank(member);
        market.requestExit();
        uint40 unlocksAt = market.validator(member).unlocksAt;
        vm.warp(unlocksAt - 1);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketStillUnbonding.selector, member, unlocksAt));
        vm.prank(member);
        market.withdrawBond();

        vm.warp(unlocksAt);
        vm.prank(member);
        market.withdrawBond();
        assertEq(member.balance, 1 ether);
    }

    function test_aSeatedMemberKeepsItsBondUntilFinalize() external {
        uint256 id = _committed(keccak256("m"), 8000);
        _draw(id);
        address member = _seat0(id);
        vm.prank(member);
        market.requestExit();
        vm.warp(market.validator(member).unlocksAt);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketUnsettledSeats.selector, member, market.validator(member).unsettledSeats));
        vm.prank(member);
        market.withdrawBond();
    }

    function test_aPayeeThatRefusesEtherFailsItsOwnWithdrawalOnly() external {
        Refuser refuser = new Refuser();
        vm.deal(address(refuser), 1 ether);
        vm.prank(address(refuser));
        market.joinValidators{value: 1 ether}();
        vm.prank(address(refuser));
        market.requestExit();
        vm.warp(market.validator(address(refuser)).unlocksAt);
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketTransferFailed.selector, address(refuser), 1 ether)
        );
        vm.prank(address(refuser));
        market.withdrawBond();
    }

    // ------------------------------------------------------------------ helpers

    function _evalSeal() internal pure returns (bytes32) {
        return keccak256(abi.encode(EVAL, EVAL_SALT));
    }

    function _postWith(uint256 value, bytes32 trainingSet, uint16 minScore, uint32[4] memory d, uint8 size)
        internal
        returns (uint256 id)
    {
        vm.prank(REQUESTER);
        id = market.postJob{value: 2 * value}(BASE, trainingSet, _evalSeal(), keccak256("s"), minScore, d, MIN_STAKE, size);
    }

    function _post() internal returns (uint256) {
        return _postWith(1 ether, keccak256("t"), 0, _deadlines(), 3);
    }

    function _toReveal(uint256 id) internal {
        vm.warp(market.job(id).commitDeadline);
    }

    /// @dev A job with WORKER's commitment to `model` at `score` (salt "salt"), in its reveal window.
    function _committed(bytes32 model, uint16 score) internal returns (uint256 id) {
        id = _post();
        bytes32 salt = keccak256("salt");
        vm.prank(WORKER);
        market.commit{value: MIN_STAKE}(id, MarketHashes.commitment(id, WORKER, model, score, salt));
        _toReveal(id);
    }

    /// @dev The member in seat 0 of `id`'s committee (seats by bond: a member may hold several
    /// seats and a validator none, so tests name a seated member rather than a fixed one).
    function _seat0(uint256 id) internal view returns (address) {
        return market.validatorAt((market.committeeWords(id)[0] & type(uint32).max) - 1);
    }

    /// @dev Whether `v` holds a seat of `id`'s committee (seats 0..2: the guards' jobs have 3).
    function _seated(uint256 id, address v) internal view returns (bool) {
        uint256 word = market.committeeWords(id)[0];
        for (uint256 s; s < 3; ++s) {
            if ((word >> (32 * s)) & type(uint32).max != 0 && market.validatorAt(((word >> (32 * s)) & type(uint32).max) - 1) == v) return true;
        }
        return false;
    }

    /// @dev A job in its attestation window: WORKER revealed 8000, the set is open, its
    /// committee drawn (seats by bond: among the three validators, possibly repeated).
    function _attesting() internal returns (uint256 id) {
        id = _committed(keccak256("m"), 8000);
        vm.prank(WORKER);
        market.reveal(id, keccak256("m"), 8000, keccak256("salt"), "u");
        vm.prank(REQUESTER);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
        _draw(id);
        vm.warp(market.job(id).revealDeadline);
    }
}

/// @dev A contract with no way to receive ether.
contract Refuser {}
