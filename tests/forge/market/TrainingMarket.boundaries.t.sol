// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm} from "forge-std/Vm.sol";
import {ITrainingMarket} from "../../../contracts/interfaces/ITrainingMarket.sol";
import {MarketHashes} from "../../../contracts/libraries/MarketHashes.sol";
import {TrainingMarket} from "../../../contracts/TrainingMarket.sol";
import {MarketFixture} from "./MarketFixture.sol";

/// @notice The market's boundaries (a window's last second, exact limits, a committee drawn at
/// exactly the quorum or below it, a member at its cap of unsettled seats) and its payouts on a
/// forfeit and a double claim: the cases the mutation sample found no test for.
contract TrainingMarketBoundariesTest is MarketFixture {
    uint256 internal constant REWARD = 10 ether;

    // ------------------------------------------------------------------ windows and limits

    function test_commitsCloseAtTheCommitDeadline() external {
        uint256 id = _post(market, REWARD);
        uint32 deadline = market.job(id).commitDeadline;
        vm.warp(deadline);
        vm.deal(_worker(1), MIN_STAKE);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketCommitClosed.selector, id, deadline));
        vm.prank(_worker(1));
        market.commit{value: MIN_STAKE}(id, keccak256("c"));
    }

    function test_attestationRevealsCloseAtTheSettleDeadline() external {
        uint256 id = _jobOf(REQUESTER);
        _draw(id);
        vm.warp(market.job(id).revealDeadline);
        uint16[] memory s = new uint16[](1);
        s[0] = 8000;
        _seal(id, 1, s);
        vm.warp(market.job(id).settleDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotSettling.selector, id));
        _open(id, 1, s);
    }

    function test_drawsCloseAtTheRevealDeadline() external {
        uint256 id = _post(market, REWARD);
        vm.warp(market.job(id).revealDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotRevealing.selector, id));
        market.drawCommittee(id);
    }

    function test_attestationsCloseAtTheAttestDeadline() external {
        uint256 id = _revealedJob(1);
        _draw(id);
        vm.warp(market.job(id).attestDeadline);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotAttesting.selector, id));
        vm.prank(_validator(1));
        market.commitAttestation(id, keccak256("seal"));
    }

    function test_aRewardOfExactlyWhatTheJobHoldsIsAccepted() external {
        uint256 reward = type(uint80).max;
        uint80 minStake = uint80(reward / 15 + 1); // fifteen of them cover the reward
        vm.deal(REQUESTER, 2 * reward); // the reward and its deposit
        vm.prank(REQUESTER);
        uint256 id = market.postJob{value: 2 * reward}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 0, _deadlines(), minStake, 3
        );
        assertEq(market.job(id).reward, reward);
    }

    function test_aCommitteeOfExactlyTheQuorumIsAccepted() external {
        ITrainingMarket.Config memory c = _config();
        c.quorum = 3;
        TrainingMarket m = new TrainingMarket(address(registry), c);
        uint32[4] memory d = _deadlines();
        bytes32 seal = MarketHashes.evaluationSeal(EVAL, EVAL_SALT);
        vm.startPrank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketBadCommitteeSize.selector, 1));
        m.postJob{value: 2 ether}(BASE, keccak256("t"), seal, keccak256("s"), 0, d, MIN_STAKE, 1);
        uint256 id = m.postJob{value: 2 ether}(BASE, keccak256("t"), seal, keccak256("s"), 0, d, MIN_STAKE, 3);
        vm.stopPrank();
        assertEq(m.job(id).committeeSize, 3);
    }

    function test_aBondIsWithdrawnOnlyAfterAnExitRequest() external {
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketExitNotRequested.selector, _validator(1))
        );
        vm.prank(_validator(1));
        market.withdrawBond();
    }

    /// @dev Epochs are half the shortest window (50 s here) and start at multiples of it: a join
    /// weighs in draws from the next epoch's start, not before, and not later.
    function test_aJoinWeighsInDrawsFromTheNextEpoch() external {
        uint256 start = (block.timestamp / 50 + 1) * 50; // the next epoch start
        vm.warp(start);
        vm.deal(_validator(7), 1 ether);
        vm.prank(_validator(7));
        market.joinValidators{value: 1 ether}();
        vm.warp(start + 49);
        assertEq(market.epochWeightNow(), 3 ether / 1 gwei);
        vm.warp(start + 50);
        assertEq(market.epochWeightNow(), 4 ether / 1 gwei);
    }

    /// @dev The tree's total weight must fit 56 bits of gwei: a join may fill it exactly.
    function test_aJoinMayFillTheTreeExactly() external {
        uint256 room = (uint256(type(uint56).max) - market.totalWeight()) * 1 gwei;
        address whale = _validator(7);
        vm.deal(whale, room + 1 gwei);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketAmountTooLarge.selector, room + 1 gwei, 0));
        vm.prank(whale);
        market.joinValidators{value: room + 1 gwei}();
        vm.prank(whale);
        market.joinValidators{value: room}();
        assertEq(market.totalWeight(), type(uint56).max);
    }

    /// @dev A top-up may fill the tree exactly too (its own weight counted once).
    function test_aTopUpMayFillTheTreeExactly() external {
        uint256 room = (uint256(type(uint56).max) - market.totalWeight()) * 1 gwei;
        address member = _validator(1);
        vm.deal(member, room + 1 gwei);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketAmountTooLarge.selector, room + 1 gwei, 0));
        vm.prank(member);
        market.topUpBond{value: room + 1 gwei}();
        vm.prank(member);
        market.topUpBond{value: room}();
        assertEq(market.totalWeight(), type(uint56).max);
    }

    /// @dev The last leaf is number 2**32 - 3 (leaf + 1 fits a committee's 32-bit lane), and
    /// the join after it is refused. Four billion joins are out of a test's reach: the tree's
    /// leaf count is written instead, with 16 levels to hold them.
    function test_theLastLeafIsNumberTwoToThe32LessThree() external {
        _setLeafCount(2 ** 32 - 3);
        vm.deal(_validator(7), 1 ether);
        vm.prank(_validator(7));
        market.joinValidators{value: 1 ether}();
        assertEq(market.validator(_validator(7)).leafPlusOne, 2 ** 32 - 2);

        vm.deal(_validator(8), 1 ether);
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketAmountTooLarge.selector, 2 ** 32 - 2, 2 ** 32 - 2)
        );
        vm.prank(_validator(8));
        market.joinValidators{value: 1 ether}();
    }

    /// @dev "Drawn, nobody eligible" marks lane 7 of a committee of seven with 2**31, which is
    /// also leaf 2**31 - 1's lane (leaf + 1): that member, the requester here, holds no seat.
    function test_theNobodyEligibleMarkSeatsNoMember() external {
        _setLeafCount(2 ** 31 - 1);
        address member = _validator(7);
        vm.deal(member, 1 ether + 2 * REWARD);
        vm.startPrank(member);
        market.joinValidators{value: 1 ether}();
        uint256 id = market.postJob{value: 2 * REWARD}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 5000, _deadlines(), MIN_STAKE, 7
        );
        vm.warp(market.job(id).commitDeadline);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
        vm.stopPrank();
        _drawFrom(id, keccak256("seed block")); // only the requester's bond is drawable
        assertEq(market.validator(member).leafPlusOne, 2 ** 31);
        assertEq(lens.committee(id)[0], address(0)); // drawn, nobody eligible
        vm.warp(market.job(id).revealDeadline);

        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotInCommittee.selector, id, member));
        vm.prank(member);
        market.commitAttestation(id, keccak256("seal"));
    }

    /// @dev Weights are per leaf: member 1's top-up stays on its own leaf (0) when member 3
    /// (leaf 2) leaves.
    function test_aTopUpWeighsOnTheMembersOwnLeaf() external {
        vm.deal(_validator(1), 1 ether);
        vm.prank(_validator(1));
        market.topUpBond{value: 1 ether}();
        vm.prank(_validator(3));
        market.requestExit();
        assertEq(market.totalWeight(), 3 ether / 1 gwei); // 2 (member 1) + 1 (member 2) + 0 (member 3)
        assertEq(market.validator(_validator(1)).bond, 2 ether);
    }

    /// @dev The member in the last seat attests far below the others: it alone loses 10 % of its
    /// bond, and the two near seats share the pool: the 5 % fee and the slashed bond.
    function test_aSeatOutsideTheToleranceIsSlashedWhateverItsPosition() external {
        uint256 id = _jobOf(REQUESTER);
        _draw(id);
        address[] memory seats = lens.committee(id);
        vm.warp(market.job(id).revealDeadline);
        uint16[] memory near = new uint16[](1);
        uint16[] memory far = new uint16[](1);
        (near[0], far[0]) = (8000, 2000);
        for (uint256 k; k < 3; ++k) {
            uint160 v = uint160(seats[k]) - 0x1000;
            _seal(id, v, k == 2 ? far : near);
        }
        vm.warp(market.job(id).attestDeadline);
        for (uint256 k; k < 3; ++k) {
            uint160 v = uint160(seats[k]) - 0x1000;
            _open(id, v, k == 2 ? far : near);
        }
        vm.warp(market.job(id).settleDeadline);

        // Each seat's event counts its own attestations: one good each for seats 0 and 1, paid
        // the fee and the slashed bond in halves; none good and one bad for seat 2, slashed 10 %.
        uint256 pay = (REWARD * 500 / 10_000 + 0.1 ether) / 2;
        vm.expectEmit(address(market));
        emit ITrainingMarket.ValidatorSettled(id, seats[0], 0, 1, 0, pay, 0);
        vm.expectEmit(address(market));
        emit ITrainingMarket.ValidatorSettled(id, seats[1], 1, 1, 0, pay, 0);
        vm.expectEmit(address(market));
        emit ITrainingMarket.ValidatorSettled(id, seats[2], 2, 0, 1, 0, 0.1 ether);
        market.finalize(id, _model(1), "u");

        assertEq(market.validator(seats[2]).bond, 0.9 ether);
        assertEq(market.validator(seats[2]).earned, 0);
        for (uint256 k; k < 2; ++k) {
            assertEq(market.validator(seats[k]).bond, 1 ether);
            assertEq(market.validator(seats[k]).earned, pay);
        }
    }

    function test_onlyTheRequesterCancels() external {
        uint256 id = _post(market, REWARD);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotRequester.selector, id, _worker(1)));
        vm.prank(_worker(1));
        market.cancelJob(id);
    }

    function test_aCommitBelowTheMinimumStakeIsRefused() external {
        uint256 id = _post(market, REWARD);
        vm.deal(_worker(1), MIN_STAKE);
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketStakeTooLow.selector, id, MIN_STAKE - 1, MIN_STAKE)
        );
        vm.prank(_worker(1));
        market.commit{value: MIN_STAKE - 1}(id, keccak256("c"));
    }

    // ------------------------------------------------------------------ the committee's size

    /// @dev The requester is validator 3: its bond is excluded, so two seats are drawn, exactly
    /// the quorum of two, and they judge.
    function test_aCommitteeDrawnAtExactlyTheQuorumJudges() external {
        uint256 id = _jobOf(_validator(3));
        _attestAll(id, 2); // three seats held by members 1 and 2
        market.finalize(id, _model(1), "u");
        assertEq(uint256(lens.submissions(id)[0].outcome), uint256(ITrainingMarket.Outcome.Won));
    }

    /// @dev Requester validator 3, worker validator 2, and validator 1 leaving: no bond to draw
    /// from, no seat filled, below the quorum, so the requester has failed and the revealed
    /// worker shares the reward.
    function test_aCommitteeDrawnBelowTheQuorumIsTheRequestersFailure() external {
        vm.prank(_validator(1));
        market.requestExit();
        vm.deal(_validator(3), 2 * REWARD);
        vm.prank(_validator(3));
        uint256 id = market.postJob{value: 2 * REWARD}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 5000, _deadlines(), MIN_STAKE, 3
        );
        vm.deal(_validator(2), MIN_STAKE);
        vm.prank(_validator(2));
        market.commit{value: MIN_STAKE}(id, MarketHashes.commitment(id, _validator(2), _model(2), 8000, SALT));
        vm.warp(market.job(id).commitDeadline);
        vm.prank(_validator(2));
        market.reveal(id, _model(2), 8000, SALT, "u");
        vm.prank(_validator(3));
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
        _drawAmong(id, 0);
        vm.warp(market.job(id).settleDeadline);

        market.finalize(id, _model(2), "u");

        ITrainingMarket.Submission memory s = lens.submissions(id)[0];
        assertEq(uint256(s.outcome), uint256(ITrainingMarket.Outcome.Forfeited));
        assertEq(s.payout, MIN_STAKE + REWARD);
    }

    /// @dev Three members seated on 255 open jobs are at their cap: the next job draws nobody
    /// (and the count never wraps).
    function test_aMemberAtItsCapOfUnsettledSeatsIsSkipped() external {
        uint256 cap = type(uint8).max;
        uint256[] memory ids = new uint256[](cap + 1);
        for (uint256 k; k <= cap; ++k) {
            ids[k] = _post(market, 1 ether);
        }
        vm.warp(market.job(ids[0]).commitDeadline);
        for (uint256 k; k <= cap; ++k) {
            market.drawCommittee(ids[k]); // every seed block is this block
        }
        vm.roll(block.number + 1);
        vm.setBlockhash(block.number - 1, keccak256("seed block"));
        for (uint256 k; k <= cap; ++k) {
            market.drawCommittee(ids[k]);
        }
        assertEq(market.validator(_validator(1)).unsettledSeats, cap);
        address[] memory last = lens.committee(ids[cap]);
        for (uint256 s; s < last.length; ++s) {
            assertEq(last[s], address(0)); // drawn, nobody eligible
        }
        assertEq(lens.committee(ids[cap - 1])[0] != address(0), true);
    }

    // ------------------------------------------------------------------ payouts

    /// @dev Three workers, two reveal, the set never opens: each revealed worker gets its stake
    /// and half of the reward and the unrevealed stake.
    function test_aForfeitSharesTheRewardAndTheUnrevealedStakes() external {
        uint256 id = _post(market, REWARD);
        for (uint160 i = 1; i <= 3; ++i) {
            _commit(id, i, 8000);
        }
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);
        _reveal(id, 2, 8000);
        vm.warp(market.job(id).settleDeadline);

        market.finalize(id, _model(1), "u");

        ITrainingMarket.Submission[] memory list = lens.submissions(id);
        assertEq(list[0].payout, MIN_STAKE + (REWARD + MIN_STAKE) / 2);
        assertEq(list[1].payout, MIN_STAKE + (REWARD + MIN_STAKE) / 2);
        assertEq(list[2].payout, 0);
        uint256 before = _worker(1).balance;
        vm.prank(_worker(1));
        market.claim(id, 0);
        assertEq(_worker(1).balance - before, list[0].payout);
    }

    /// @dev Sixteen submissions, the cap: finalize judges every one and no entry past them.
    function test_aFullJobFinalizes() external {
        uint256 id = _post(market, REWARD);
        for (uint160 i = 1; i <= 16; ++i) {
            _commit(id, i, 8000);
        }
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);
        vm.prank(REQUESTER);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
        _draw(id);
        uint16[] memory s = new uint16[](16);
        s[0] = 8000;
        _attestAll(id, 3, s);

        market.finalize(id, _model(1), "u");

        assertEq(uint256(market.job(id).status), uint256(ITrainingMarket.Status.Finalized));
        assertEq(market.job(id).winnerPlusOne, 1);
        assertEq(uint256(lens.submissions(id)[15].outcome), uint256(ITrainingMarket.Outcome.Unrevealed));
    }

    /// @dev A seat left empty is skipped at settlement: members 1 and 2 one seat short of their
    /// cap and member 3 at it (counts written) fill two of three seats, the quorum; the two
    /// are paid the fee in halves and keep their bonds.
    function test_anEmptySeatIsSkippedAtSettlement() external {
        uint256 id = _jobOf(REQUESTER);
        _setSeats(_validator(1), 254);
        _setSeats(_validator(2), 254);
        _setSeats(_validator(3), 255);
        _drawFrom(id, keccak256("seed block"));
        assertEq(lens.committee(id)[2], address(0));
        uint16[] memory s = new uint16[](1);
        s[0] = 8000;
        _attestAll(id, 2, s);
        vm.recordLogs();

        market.finalize(id, _model(1), "u");

        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 settled = 0;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == ITrainingMarket.ValidatorSettled.selector) ++settled;
        }
        assertEq(settled, 2); // the empty seat has no settlement, so no missing attestation
        assertEq(uint256(lens.submissions(id)[0].outcome), uint256(ITrainingMarket.Outcome.Won));
        for (uint160 v = 1; v <= 2; ++v) {
            assertEq(market.validator(_validator(v)).earned, REWARD * 500 / 10_000 / 2);
            assertEq(market.validator(_validator(v)).bond, 1 ether);
            assertEq(market.validator(_validator(v)).unsettledSeats, 254);
        }
    }

    /// @dev A forfeit share past what a record holds (2**80 - 1 wei, 1.2M ETH; here one
    /// unrevealed stake of that size) is capped and the excess burned: a forfeit never reverts.
    function test_aForfeitShareIsCappedAtWhatARecordHolds() external {
        uint256 id = _post(market, REWARD);
        _commit(id, 1, 8000);
        vm.deal(_worker(2), type(uint80).max);
        vm.prank(_worker(2));
        market.commit{value: type(uint80).max}(id, keccak256("never revealed"));
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);
        vm.warp(market.job(id).settleDeadline);

        market.finalize(id, _model(1), "u");

        assertEq(lens.submissions(id)[0].payout, uint256(MIN_STAKE) + type(uint80).max);
        assertEq(market.pendingOf(address(0)), 2 * REWARD); // the burned excess of the pot, and the requester's deposit
    }

    /// @dev Sixteen submissions and the set never opened: the one revealed worker takes the
    /// reward and the fifteen unrevealed stakes.
    function test_aFullJobForfeits() external {
        uint256 id = _fullJobOfOneReveal();

        market.finalize(id, _model(1), "u");

        assertEq(lens.submissions(id)[0].payout, MIN_STAKE + REWARD + 15 * MIN_STAKE);
        assertEq(lens.submissions(id)[15].payout, 0);
    }

    function test_aClaimPastAFullJobsEntriesIsNobodys() external {
        uint256 id = _fullJobOfOneReveal();
        market.finalize(id, _model(1), "u");

        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotYourSubmission.selector, id, 16, _worker(1)));
        vm.prank(_worker(1));
        market.claim(id, 16);
    }

    function test_aSubmissionIsClaimedOnceAndItsModelRegistered() external {
        uint256 id = _jobOf(REQUESTER);
        _attestAll(id, 3);
        market.finalize(id, _model(1), "u");
        assertEq(registry.recordOf(_model(1)).jobId, id); // the winner's model, child of the base
        assertEq(registry.recordOf(_model(1)).parentHash, BASE);

        vm.prank(_worker(1));
        market.claim(id, 0);
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNothingToWithdraw.selector, _worker(1)));
        vm.prank(_worker(1));
        market.claim(id, 0);
    }

    /// @dev A validator's fees fill its record's uint88 exactly before any spills to its
    /// unbounded balance: the fee that brings `earned` to 2**88 - 1 stays in the record. (No
    /// test can earn 3.1e8 ETH of fees: `earned` is written, then the same fee credited.)
    function test_feesFillTheValidatorsRecordExactly() external {
        (uint256 id, address member, uint256 fee) = _feeOfMember1();
        _setEarned(member, type(uint88).max - fee);

        market.finalize(id, _model(1), "u");

        assertEq(market.validator(member).earned, type(uint88).max);
        assertEq(market.pendingOf(member), type(uint88).max);
    }

    /// @dev One wei past the record, the whole fee goes to the unbounded balance: still owed.
    function test_aFeePastTheValidatorsRecordIsOwedFromTheBalance() external {
        (uint256 id, address member, uint256 fee) = _feeOfMember1();
        _setEarned(member, type(uint88).max - fee + 1);

        market.finalize(id, _model(1), "u");

        assertEq(market.validator(member).earned, type(uint88).max - fee + 1);
        assertEq(market.pendingOf(member), uint256(type(uint88).max) + 1);
    }

    /// @dev Finalize's one event names the winner and its model.
    function test_theFinalizedEventNamesTheWinnersModel() external {
        uint256 id = _jobOf(REQUESTER);
        _attestAll(id, 3);
        vm.recordLogs();

        market.finalize(id, _model(1), "u");

        (address winner, bytes32 model) = _finalizedEvent();
        assertEq(winner, _worker(1));
        assertEq(model, _model(1));
    }

    /// @dev A forfeit (the set never opened) has no winner: its event names no model, whatever
    /// model the finalizing caller passed.
    function test_aForfeitsFinalizedEventNamesNoModel() external {
        uint256 id = _revealedJob(1);
        vm.warp(market.job(id).settleDeadline);
        vm.recordLogs();

        market.finalize(id, _model(1), "u");

        (address winner, bytes32 model) = _finalizedEvent();
        assertEq(winner, address(0));
        assertEq(model, bytes32(0));
    }

    // ------------------------------------------------------------------ helpers
    /// @dev A job posted by `requester` with worker 1's reveal of 80 %, its set open.
    function _jobOf(address requester) internal returns (uint256 id) {
        vm.deal(requester, 2 * REWARD); // the reward and its deposit
        vm.prank(requester);
        id = market.postJob{value: 2 * REWARD}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 5000, _deadlines(), MIN_STAKE, 3
        );
        _commit(id, 1, 8000);
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);
        vm.prank(requester);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
    }

    /// @dev Sixteen submissions, worker 1's alone revealed, the set never opened; at the settle deadline.
    function _fullJobOfOneReveal() internal returns (uint256 id) {
        id = _post(market, REWARD);
        for (uint160 i = 1; i <= 16; ++i) {
            _commit(id, i, 8000);
        }
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);
        vm.warp(market.job(id).settleDeadline);
    }

    function _revealedJob(uint160 workers) internal returns (uint256 id) {
        id = _post(market, REWARD);
        for (uint160 i = 1; i <= workers; ++i) {
            _commit(id, i, 8000);
        }
        vm.warp(market.job(id).commitDeadline);
        for (uint160 i = 1; i <= workers; ++i) {
            _reveal(id, i, 8000);
        }
    }

    /// @dev A job ready to finalize (worker 1 wins, validators 1 to 3 attest) and the fee it pays
    /// validator 1, read from a finalize that is then undone.
    function _feeOfMember1() internal returns (uint256 id, address member, uint256 fee) {
        id = _jobOf(REQUESTER);
        _attestAll(id, 3);
        member = _validator(1);
        uint256 snapshot = vm.snapshotState();
        market.finalize(id, _model(1), "u");
        fee = market.validator(member).earned;
        vm.revertToState(snapshot);
    }

    /// @dev Writes the sortition tree's leaf count (its first slot's low 128 bits, found as the
    /// slot {totalWeight} reads first) and 16 levels (the next 64), the epoch fields kept.
    function _setLeafCount(uint256 leaves) internal {
        vm.record();
        market.totalWeight();
        (bytes32[] memory reads,) = vm.accesses(address(market));
        uint256 word = uint256(vm.load(address(market), reads[0]));
        assertEq(word & type(uint128).max, 3); // the fixture's three members: the tree's slot
        vm.store(address(market), reads[0], bytes32((word >> 192 << 192) | (16 << 128) | leaves));
    }

    /// @dev Writes `account`'s `earned`: bits 96 to 183 of its validator record's one slot.
    function _setEarned(address account, uint256 earned) internal {
        _setRecordField(account, 96, type(uint88).max, earned);
        assertEq(market.validator(account).earned, earned); // the record's slot, its field
    }

    /// @dev Writes `account`'s count of unsettled seats: the top 8 bits of its record's slot.
    function _setSeats(address account, uint256 seats) internal {
        _setRecordField(account, 248, type(uint8).max, seats);
        assertEq(market.validator(account).unsettledSeats, seats);
    }

    /// @dev Writes `value` into the field at `shift` (of `mask`'s width) of `account`'s validator
    /// record: one slot, found as the slot that the record's getter reads.
    function _setRecordField(address account, uint256 shift, uint256 mask, uint256 value) internal {
        vm.record();
        market.validator(account);
        (bytes32[] memory reads,) = vm.accesses(address(market));
        uint256 word = uint256(vm.load(address(market), reads[0]));
        word = (word & ~(mask << shift)) | (value << shift);
        vm.store(address(market), reads[0], bytes32(word));
    }

    /// @dev The winner and model of the one {Finalized} event recorded.
    function _finalizedEvent() internal returns (address winner, bytes32 model) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == ITrainingMarket.Finalized.selector) {
                winner = address(uint160(uint256(logs[i].topics[2])));
                (model,,,,,,) = abi.decode(logs[i].data, (bytes32, uint16, uint256, uint256, uint256, uint256, uint256));
                return (winner, model);
            }
        }
        revert("no Finalized event");
    }

    /// @dev Draws `id`'s committee; validators 1 .. `members` attest 80 %; to the settle deadline.
    function _attestAll(uint256 id, uint160 members) internal {
        _drawAmong(id, members);
        vm.warp(market.job(id).revealDeadline);
        uint16[] memory s = new uint16[](1);
        s[0] = 8000;
        for (uint160 v = 1; v <= members; ++v) {
            _seal(id, v, s);
        }
        vm.warp(market.job(id).attestDeadline);
        for (uint160 v = 1; v <= members; ++v) {
            _open(id, v, s);
        }
        vm.warp(market.job(id).settleDeadline);
    }
}
