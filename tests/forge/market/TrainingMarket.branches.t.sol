// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITrainingMarket} from "../../../contracts/interfaces/ITrainingMarket.sol";
import {MarketHashes} from "../../../contracts/libraries/MarketHashes.sol";
import {ModelRegistry} from "../../../contracts/ModelRegistry.sol";
import {TrainingMarket} from "../../../contracts/TrainingMarket.sol";
import {FakeRelay} from "../FakeRelay.sol";
import {MarketFixture} from "./MarketFixture.sol";

/// @notice The market's branches the guard tests and the campaigns leave: the relay's own
/// refusal passed through, a pooled anchored post, a second reveal, a wrong evaluation salt, a draw in its seed block, closed jobs'
/// attestations, an evaluation set attested unavailable, a committee of nine settled, and the
/// validator set's refusals; each asserts its error or its values.
contract TrainingMarketBranchesTest is MarketFixture {
    uint256 internal constant REWARD = 10 ether;

    // ------------------------------------------------------------------ posting

    function test_aPostRefusesDeadlinesOutOfOrder() external {
        uint32[4] memory d = _deadlines();
        for (uint256 k; k < 2; ++k) {
            d[1] = k == 0 ? d[0] : d[0] - 1; // equal, then earlier (unchecked, it would wrap)
            vm.expectRevert(
                abi.encodeWithSelector(ITrainingMarket.TrainingMarketBadDeadlines.selector, d[0], d[1], d[2], d[3])
            );
            vm.prank(REQUESTER);
            market.postJob{value: 2 ether}(
                BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 0, d, MIN_STAKE, 3
            );
        }
    }

    function test_aProvenancePostPassesTheRelaysRefusalOn() external {
        FakeRelay relay = new FakeRelay();
        TrainingMarket m = _market(_registry(address(relay)));
        relay.refuse();
        ITrainingMarket.AnchorProof memory proof;
        vm.expectRevert(bytes("unproven"));
        vm.prank(REQUESTER);
        m.postJobWithProvenance{value: 2 ether}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 0, _deadlines(), MIN_STAKE, 3, proof
        );
    }

    /// @dev PooledJobs' anchored post: postJobWithProvenance's checks, then the seed block.
    function test_aPooledAnchoredPostIsAnchoredAndSplitByTheNextBlock() external {
        FakeRelay relay = new FakeRelay();
        TrainingMarket m = _market(_registry(address(relay)));
        bytes32 ledgerBlock = keccak256("ledger block");
        relay.setAnchor(keccak256("t"), REQUESTER, 10, ledgerBlock, 3);
        ITrainingMarket.AnchorProof memory proof = ITrainingMarket.AnchorProof("", ledgerBlock, 0, new bytes32[](0));

        vm.expectEmit(address(m));
        emit ITrainingMarket.JobPooled(1, block.number + 1);
        vm.prank(REQUESTER);
        uint256 id = m.postPooledAnchoredJob{value: 2 ether}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 0, _deadlines(), MIN_STAKE, 3, proof
        );

        assertEq(id, 1);
        assertTrue(m.job(id).trainingSetAnchored);
        assertEq(m.job(id).trainingSet, keccak256("t"));
        assertEq(address(m).balance, 2 ether);
    }

    function test_aPostNeedsAReward() external {
        vm.expectRevert(ITrainingMarket.TrainingMarketZeroReward.selector);
        _post(market, 0);
    }

    /// @dev The forfeit (10 % of the minimum stake) must be at least one wei: 10 wei is the least
    /// minimum stake, whose fifteen cover a reward of 150 wei.
    function test_theLeastMinimumStakeHasAForfeitOfOneWei() external {
        uint32[4] memory d = _deadlines();
        bytes32 seal = MarketHashes.evaluationSeal(EVAL, EVAL_SALT);
        vm.startPrank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketStakeTooSmall.selector, 9));
        market.postJob{value: 2 * 135}(BASE, keccak256("t"), seal, keccak256("s"), 0, d, 9, 3);
        uint256 id = market.postJob{value: 2 * 150}(BASE, keccak256("t"), seal, keccak256("s"), 0, d, 10, 3);
        vm.stopPrank();
        assertEq(market.job(id).minStake, 10);
    }

    // ------------------------------------------------------------------ commit and reveal

    function test_aWorkerCommitsOnce() external {
        uint256 id = _post(market, REWARD);
        _commit(id, 1, 8000);
        vm.deal(_worker(1), MIN_STAKE);
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketAlreadyCommitted.selector, id, _worker(1))
        );
        vm.prank(_worker(1));
        market.commit{value: MIN_STAKE}(id, keccak256("another commitment"));
        assertEq(market.job(id).submissionCount, 1);
    }

    function test_aStakeOfExactlyWhatTheEntryHoldsIsAccepted() external {
        uint256 id = _post(market, REWARD);
        uint256 stake = type(uint80).max;
        vm.deal(_worker(1), stake);
        vm.prank(_worker(1));
        market.commit{value: stake}(id, keccak256("c"));
        assertEq(market.submissionAt(id, 0).stake, stake);
    }

    function test_revealsCloseAtTheRevealDeadline() external {
        uint256 id = _post(market, REWARD);
        _commit(id, 1, 8000);
        vm.warp(market.job(id).revealDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotRevealing.selector, id));
        vm.prank(_worker(1));
        market.reveal(id, _model(1), 8000, SALT, "u");
    }

    function test_aWorkerRevealsOnce() external {
        uint256 id = _post(market, REWARD);
        _commit(id, 1, 8000);
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketAlreadyRevealed.selector, id, _worker(1))
        );
        _reveal(id, 1, 8000);
        assertEq(market.submissionAt(id, 0).sealedHash, keccak256(abi.encode(_model(1), keccak256("u")))); // MarketHashes.result
    }

    function test_aClaimPastTheSubmissionsIsNobodys() external {
        uint256 id = _finalized();
        for (uint256 index = 1; index <= 16; index += 15) {
            vm.expectRevert(
                abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotYourSubmission.selector, id, index, _worker(1))
            );
            vm.prank(_worker(1));
            market.claim(id, index);
        }
    }

    function test_withdrawRefusesAnEmptyAccount() external {
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNothingToWithdraw.selector, _worker(1)));
        vm.prank(_worker(1));
        market.withdraw();
    }

    // ------------------------------------------------------------------ the evaluation set

    function test_theEvaluationSetMustMatchItsSeal() external {
        uint256 id = _post(market, REWARD);
        _commit(id, 1, 8000);
        vm.warp(market.job(id).commitDeadline);
        vm.startPrank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketEvaluationMismatch.selector, id));
        market.revealEvaluation(id, EVAL, keccak256("another salt"), "e");
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketEvaluationMismatch.selector, id));
        market.revealEvaluation(id, bytes32(0), EVAL_SALT, "e");
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
        vm.stopPrank();
        assertTrue(market.job(id).evaluationRevealed);
    }

    function test_aDrawWaitsForABlockAfterItsSeedBlock() external {
        uint256 id = _post(market, REWARD);
        vm.warp(market.job(id).commitDeadline);
        market.drawCommittee(id); // fixes this block as the seed block
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketSeedNotReady.selector, id, block.number)
        );
        market.drawCommittee(id);
    }

    // ------------------------------------------------------------------ attestations

    /// @dev A finalized job of one worker whose three members all attested 80 %.
    function _finalized() internal returns (uint256 id) {
        id = _attesting(1);
        uint16[] memory s = new uint16[](1);
        s[0] = 8000;
        for (uint160 v = 1; v <= 3; ++v) {
            _seal(id, v, s);
        }
        vm.warp(market.job(id).attestDeadline);
        for (uint160 v = 1; v <= 3; ++v) {
            _open(id, v, s);
        }
        vm.warp(market.job(id).settleDeadline);
        market.finalize(id, _model(1), "u");
    }

    /// @dev A job with `workers` revealed submissions at 80 %, its set open, its committee drawn,
    /// in its attestation window.
    function _attesting(uint160 workers) internal returns (uint256 id) {
        id = _post(market, REWARD);
        for (uint160 i = 1; i <= workers; ++i) {
            _commit(id, i, 8000);
        }
        vm.warp(market.job(id).commitDeadline);
        for (uint160 i = 1; i <= workers; ++i) {
            _reveal(id, i, 8000);
        }
        vm.prank(REQUESTER);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
        _draw(id);
        vm.warp(market.job(id).revealDeadline);
    }

    function test_aFinalizedJobTakesNoAttestations() external {
        uint256 id = _finalized();
        uint16[] memory s = new uint16[](1);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketJobClosed.selector, id));
        vm.prank(_validator(1));
        market.commitAttestation(id, keccak256("seal"));
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketJobClosed.selector, id));
        vm.prank(_validator(1));
        market.revealAttestation(id, s, SALT);
    }

    function test_anAttestationRevealMustMatchItsSeal() external {
        uint256 id = _attesting(1);
        uint16[] memory sealed_ = new uint16[](1);
        uint16[] memory other = new uint16[](1);
        (sealed_[0], other[0]) = (8000, 7000);
        _seal(id, 1, sealed_);
        vm.warp(market.job(id).attestDeadline);
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketAttestationMismatch.selector, id, _validator(1))
        );
        _open(id, 1, other);
        _open(id, 1, sealed_);
    }

    function test_aMajorityAttestingTheSetUnavailableIsTheRequestersFailure() external {
        uint256 id = _attesting(1);
        vm.prank(_validator(1));
        market.attestUnavailable(id);
        vm.prank(_validator(2));
        market.attestUnavailable(id); // two of three seats: a strict majority
        vm.warp(market.job(id).settleDeadline);

        market.finalize(id, _model(1), "u");

        ITrainingMarket.Job memory j = market.job(id);
        assertEq(uint256(j.status), uint256(ITrainingMarket.Status.Finalized));
        assertFalse(j.evaluationRevealed); // judged as a set never opened
        assertEq(uint256(lens.submissions(id)[0].outcome), uint256(ITrainingMarket.Outcome.Forfeited));
        assertEq(lens.submissions(id)[0].payout, MIN_STAKE + REWARD); // the only revealed worker takes it all
    }

    function test_aMinorityAttestingTheSetUnavailableChangesNothing() external {
        uint256 id = _attesting(1);
        vm.prank(_validator(1));
        market.attestUnavailable(id);
        uint16[] memory s = new uint16[](1);
        s[0] = 8000;
        _seal(id, 2, s);
        _seal(id, 3, s);
        vm.warp(market.job(id).attestDeadline);
        _open(id, 2, s);
        _open(id, 3, s);
        vm.warp(market.job(id).settleDeadline);

        market.finalize(id, _model(1), "u");

        assertTrue(market.job(id).evaluationRevealed);
        assertEq(uint256(lens.submissions(id)[0].outcome), uint256(ITrainingMarket.Outcome.Won));
    }

    function test_aCommitteeOfNineSettlesEverySeat() external {
        for (uint160 i = 4; i <= 9; ++i) {
            vm.deal(_validator(i), 1 ether);
            vm.prank(_validator(i));
            market.joinValidators{value: 1 ether}();
        }
        vm.prank(REQUESTER);
        uint256 id = market.postJob{value: 2 * REWARD}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 5000, _deadlines(), MIN_STAKE, 9
        );
        _commit(id, 1, 8000);
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);
        vm.prank(REQUESTER);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
        _draw(id);
        uint16[] memory s = new uint16[](1);
        s[0] = 8000;
        _attestAll(id, 9, s);

        market.finalize(id, _model(1), "u");

        assertEq(lens.submissions(id)[0].attestationCount, 9);
        uint256 fee = REWARD * 500 / 10_000;
        for (uint160 v = 1; v <= 9; ++v) {
            assertEq(market.validator(_validator(v)).earned, fee / 9); // every seat, word 1's too, is paid
            assertEq(market.validator(_validator(v)).unsettledSeats, 0);
        }
    }

    /// @dev The largest committee: fifteen seats, held by the three members, each settled and paid.
    function test_aCommitteeOfFifteenSettlesEverySeat() external {
        vm.prank(REQUESTER);
        uint256 id = market.postJob{value: 2 * REWARD}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 5000, _deadlines(), MIN_STAKE, 15
        );
        _commit(id, 1, 8000);
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);
        vm.prank(REQUESTER);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
        _drawAmong(id, 3);
        uint16[] memory s = new uint16[](1);
        s[0] = 8000;
        _attestAll(id, 3, s);

        market.finalize(id, _model(1), "u");

        assertEq(lens.submissions(id)[0].attestationCount, 15);
        uint256 paid = 0;
        for (uint160 v = 1; v <= 3; ++v) {
            paid += market.validator(_validator(v)).earned;
            assertEq(market.validator(_validator(v)).unsettledSeats, 0);
        }
        assertEq(paid, REWARD * 500 / 10_000 / 15 * 15); // every seat's one attestation paid
    }

    // ------------------------------------------------------------------ validators

    function test_aMemberJoinsOnceWithAtLeastTheMinimumBond() external {
        vm.deal(_validator(1), 2 ether);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketAlreadyValidator.selector, _validator(1)));
        vm.prank(_validator(1));
        market.joinValidators{value: 1 ether}();
        address newcomer = _validator(7);
        vm.deal(newcomer, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketBondTooLow.selector, 1 ether - 1, 1 ether));
        vm.prank(newcomer);
        market.joinValidators{value: 1 ether - 1}();
        assertEq(market.totalWeight(), 3 ether / 1 gwei); // weights in gwei: the three members' bonds
    }

    function test_onlyAMemberRequestsAnExit() external {
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotValidator.selector, _worker(1)));
        vm.prank(_worker(1));
        market.requestExit();
        vm.prank(_validator(1));
        market.requestExit();
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketExitAlreadyRequested.selector, _validator(1))
        );
        vm.prank(_validator(1));
        market.requestExit();
    }

    function test_onlyAnActiveMemberTopsUp() external {
        address stranger = _validator(7);
        vm.deal(stranger, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotValidator.selector, stranger));
        vm.prank(stranger);
        market.topUpBond{value: 1 ether}();
        vm.prank(_validator(1));
        market.requestExit();
        vm.deal(_validator(1), 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketExitAlreadyRequested.selector, _validator(1))
        );
        vm.prank(_validator(1));
        market.topUpBond{value: 1 ether}();
        assertEq(market.totalWeight(), 2 ether / 1 gwei); // the leaving member no longer weighs
    }
}
