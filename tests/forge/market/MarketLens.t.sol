// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITrainingMarket} from "../../../contracts/interfaces/ITrainingMarket.sol";
import {MarketHashes} from "../../../contracts/libraries/MarketHashes.sol";
import {MarketLens} from "../../../contracts/MarketLens.sol";
import {ModelRegistry} from "../../../contracts/ModelRegistry.sol";
import {TrainingMarket} from "../../../contracts/TrainingMarket.sol";
import {FakeRelay} from "../FakeRelay.sol";
import {MarketFixture} from "./MarketFixture.sol";

/// @notice The lens's views on fixed jobs, each value asserted: phases, the settlement's
/// judgments and sums, a training set's provenance, and the hashes it computes for clients.
contract MarketLensTest is MarketFixture {
    uint256 internal constant REWARD = 10 ether;

    function test_theLensNamesItsMarket() external view {
        assertEq(address(lens.market()), address(market));
    }

    // ------------------------------------------------------------------ phases

    function test_phaseFollowsTheWindowsThenTheStatus() external {
        uint256 id = _post(market, REWARD);
        uint256 cancelled = _post(market, REWARD);
        vm.prank(REQUESTER);
        market.cancelJob(cancelled);
        ITrainingMarket.Job memory j = market.job(id);
        uint32[5] memory times = [uint32(block.timestamp), j.commitDeadline, j.revealDeadline, j.attestDeadline, j.settleDeadline];
        for (uint256 p; p < 5; ++p) {
            vm.warp(times[p]);
            // Open, Revealing, Attesting, Settling, then (no appeal: no vote) Finalizable
            assertEq(uint256(lens.phase(id)), p < 4 ? p : uint256(ITrainingMarket.Phase.Finalizable));
        }
        uint256[] memory ids = new uint256[](2);
        (ids[0], ids[1]) = (cancelled, id);
        ITrainingMarket.Phase[] memory list = lens.phases(ids);
        assertEq(list.length, 2);
        assertEq(uint256(list[0]), uint256(ITrainingMarket.Phase.Cancelled));
        assertEq(uint256(list[1]), uint256(ITrainingMarket.Phase.Finalizable));
    }

    function test_phaseOfAJobNeverPostedReverts() external {
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketUnknownJob.selector, 9));
        lens.phase(9);
    }

    // ------------------------------------------------------------------ settlement

    /// @dev Four workers: 1 honest at 80 % (two seats attest 80 %, one 70 %), 2 over-claims 95 %
    /// against 80 %, 3 never reveals, 4 is honest at 40 %, below the 50 % minimum.
    function _settled() internal returns (uint256 id) {
        id = _post(market, REWARD);
        (uint16[4] memory claims) = [uint16(8000), 9500, 7000, 4000];
        for (uint160 i = 1; i <= 4; ++i) {
            _commit(id, i, claims[i - 1]);
        }
        vm.warp(market.job(id).commitDeadline);
        for (uint160 i = 1; i <= 4; ++i) {
            if (i != 3) _reveal(id, i, claims[i - 1]);
        }
        vm.prank(REQUESTER);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
        _draw(id);
        vm.warp(market.job(id).revealDeadline);
        uint16[][3] memory scores = [_scores(8000, 8000, 0, 4000), _scores(8000, 8000, 0, 4000), _scores(7000, 8000, 0, 4000)];
        for (uint160 v = 1; v <= 3; ++v) {
            _seal(id, v, scores[v - 1]);
        }
        vm.warp(market.job(id).attestDeadline);
        for (uint160 v = 1; v <= 3; ++v) {
            _open(id, v, scores[v - 1]);
        }
        vm.warp(market.job(id).settleDeadline);
    }

    function _stakes(uint256 n) internal pure returns (uint256[] memory s) {
        s = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            s[i] = MIN_STAKE;
        }
    }

    function test_settlementOfJudgesEachSubmissionAsFinalizeWill() external {
        uint256 id = _settled();

        (MarketLens.Judged[] memory list, MarketLens.Totals memory totals) = lens.settlementOf(id, _stakes(4), REWARD);

        assertEq(uint256(list[0].outcome), uint256(ITrainingMarket.Outcome.Honest)); // Won only once finalized
        assertTrue(list[0].verified);
        assertEq(list[0].verifiedScoreBps, 8000);
        assertEq(list[0].stakeReturned, MIN_STAKE);
        assertEq(list[0].stakeLost, 0);
        assertEq(uint256(list[1].outcome), uint256(ITrainingMarket.Outcome.Dishonest));
        assertEq(list[1].stakeReturned, 0);
        assertEq(list[1].stakeLost, MIN_STAKE);
        assertEq(list[1].share, 0);
        assertEq(uint256(list[2].outcome), uint256(ITrainingMarket.Outcome.Unrevealed));
        assertFalse(list[2].verified);
        assertEq(list[2].stakeLost, MIN_STAKE);
        assertEq(uint256(list[3].outcome), uint256(ITrainingMarket.Outcome.BelowMinimum));
        assertEq(list[3].stakeLost, MIN_STAKE / 10); // the forfeit: 10 % of the minimum stake
        assertEq(totals.stakesSlashed, 2 * MIN_STAKE); // the over-claim's and the unrevealed stake
        assertEq(totals.forfeits, MIN_STAKE / 10);
        assertEq(totals.validatorFee, REWARD * 500 / 10_000); // 5 %: three revealed, something to check
    }

    function test_nearSeatsMarkTheSeatsWithinToleranceOfTheVerifiedScore() external {
        uint256 id = _settled();
        address[] memory seats = lens.committee(id);
        uint16 expected;
        for (uint256 s; s < seats.length; ++s) {
            if (seats[s] != _validator(3)) expected |= uint16(1 << s); // validator 3 attested 70 %
        }

        (MarketLens.Judged[] memory list,) = lens.settlementOf(id, _stakes(4), REWARD);

        assertEq(seats.length, 3);
        assertEq(list[0].nearSeats, expected);
        assertEq(list[1].nearSeats, 7); // every seat attested the over-claim at the verified 80 %
        assertEq(list[2].nearSeats, 0); // unrevealed: no attestation
    }

    function test_settlementOfAFinalizedJobNamesTheWinnerAndItsPrize() external {
        uint256 id = _settled();
        market.finalize(id, _model(1), "u");

        (MarketLens.Judged[] memory list,) = lens.settlementOf(id, _stakes(4), REWARD);

        assertEq(uint256(list[0].outcome), uint256(ITrainingMarket.Outcome.Won));
        assertEq(list[0].share, market.job(id).reward); // finalize stored the prize
        assertGt(list[0].share, 0);
        assertEq(lens.winnerOf(id), 0);
    }

    function test_aForfeitedJobHasNoFeeAndSlashesNothing() external {
        uint256 id = _post(market, REWARD);
        _commit(id, 1, 8000);
        _commit(id, 2, 8000);
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000); // worker 2 never reveals; the requester never opens its set

        (MarketLens.Judged[] memory list, MarketLens.Totals memory totals) = lens.settlementOf(id, _stakes(2), REWARD);

        assertEq(uint256(list[0].outcome), uint256(ITrainingMarket.Outcome.Forfeited));
        assertEq(list[0].stakeReturned, MIN_STAKE);
        assertEq(list[0].share, REWARD); // shares the reward
        assertEq(uint256(list[1].outcome), uint256(ITrainingMarket.Outcome.Unrevealed));
        assertEq(totals.stakesSlashed, 0);
        assertEq(totals.forfeits, 0);
        assertEq(totals.validatorFee, 0);
        assertEq(lens.winnerOf(id), type(uint256).max);
    }

    function test_aSplitVerdictMarksNoSeatNear() external {
        uint256 id = _post(market, REWARD);
        _commit(id, 1, 8000);
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);
        vm.prank(REQUESTER);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "e");
        _draw(id);
        vm.warp(market.job(id).revealDeadline);
        uint16[] memory high = new uint16[](1);
        uint16[] memory low = new uint16[](1);
        (high[0], low[0]) = (8000, 6000);
        _seal(id, 1, high);
        _seal(id, 2, low); // validator 3 stays silent: one for, one against, one absent
        vm.warp(market.job(id).attestDeadline);
        _open(id, 1, high);
        _open(id, 2, low);

        (MarketLens.Judged[] memory list,) = lens.settlementOf(id, _stakes(1), REWARD);

        assertEq(uint256(list[0].outcome), uint256(ITrainingMarket.Outcome.Undecided));
        assertTrue(list[0].verified); // the quorum of two attested
        assertEq(list[0].nearSeats, 0);
        assertEq(list[0].stakeReturned, MIN_STAKE); // nobody convicted it
    }

    function test_settlementOfNeedsOneStakePerSubmission() external {
        uint256 id = _post(market, REWARD);
        _commit(id, 1, 8000);
        vm.expectRevert(abi.encodeWithSelector(MarketLens.MarketLensWrongStakeCount.selector, id, 2, 1));
        lens.settlementOf(id, _stakes(2), REWARD);
    }

    function test_reachesMinimumComparesWithTheJobsMinimum() external {
        uint256 id = _post(market, REWARD); // minimum 50 %
        assertTrue(lens.reachesMinimum(id, 5000));
        assertFalse(lens.reachesMinimum(id, 4999));
    }

    // ------------------------------------------------------------------ hashes for clients

    function test_theHashesAreTheMarketsOwn() external view {
        uint16[] memory scores = _scores(1, 2, 3, 4);
        bytes32 model = keccak256("m");
        assertEq(lens.commitmentOf(7, address(0xB0B), model, 8000, SALT), MarketHashes.commitment(7, address(0xB0B), model, 8000, SALT));
        assertEq(lens.commitmentOf(7, address(0xB0B), model, 8000, SALT), keccak256(abi.encode(7, address(0xB0B), model, uint16(8000), SALT)));
        assertEq(lens.attestationSealOf(7, address(0xB0B), scores, SALT), keccak256(abi.encode(7, address(0xB0B), scores, SALT)));
        assertEq(lens.resultHashOf(model, "u"), keccak256(abi.encode(model, keccak256("u"))));
        assertEq(lens.evaluationSealOf(EVAL, EVAL_SALT), keccak256(abi.encode(EVAL, EVAL_SALT)));
    }

    // ------------------------------------------------------------------ provenance

    function test_provenanceWithoutARelayIsAllZero() external {
        uint256 id = _post(market, REWARD);
        ITrainingMarket.AnchorProof memory proof;
        MarketLens.Provenance memory p = lens.trainingSetProvenance(id, proof);
        assertFalse(p.proven);
        assertEq(p.account, address(0));
    }

    function test_provenanceReadsTheRelayLive() external {
        FakeRelay relay = new FakeRelay();
        ModelRegistry r = _registry(address(relay));
        TrainingMarket m = _market(r);
        MarketLens l = new MarketLens(m);
        uint256 id = _post(m, REWARD);
        ITrainingMarket.AnchorProof memory proof;
        proof.blockHash = keccak256("block");

        relay.setAnchor(keccak256("t"), address(0xACC), 12, proof.blockHash, 3); // the job's training set
        MarketLens.Provenance memory p = l.trainingSetProvenance(id, proof);
        assertTrue(p.proven);
        assertEq(p.account, address(0xACC));
        assertEq(p.height, 12);
        assertEq(p.confirmations, 3);
        assertEq(p.work, 300);

        relay.setAnchor(keccak256("another set"), address(0xACC), 12, proof.blockHash, 3);
        p = l.trainingSetProvenance(id, proof);
        assertFalse(p.proven); // anchors another hash
        assertEq(p.account, address(0));
        assertEq(p.height, 0);
        assertEq(p.work, 0);

        relay.setAnchor(keccak256("t"), address(0xACC), 12, proof.blockHash, 3);
        relay.refuse();
        p = l.trainingSetProvenance(id, proof);
        assertFalse(p.proven); // the relay refuses the proof now (off the main chain, too shallow)
        assertEq(p.confirmations, 0);
    }
}
