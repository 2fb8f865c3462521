// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAppeals} from "../../../contracts/interfaces/IAppeals.sol";
import {MarketFixture} from "./MarketFixture.sol";

/// @notice Tests for the Appeals mutants that the guards suite let through (issue 24, `make
/// mutation` with MUTANT_TARGETS, README's Measured section): each names the line it holds.
/// The fixture's three 1-ETH validators hold one seat each of a committee of three.
contract AppealsMutantsTest is MarketFixture {
    IAppeals internal appeals;

    function setUp() public override {
        super.setUp();
        appeals = IAppeals(market.appealsContractAddress());
    }

    /// ballotOf puts submission i's inflated verdict in bit 16 + i (Appeals 223's `16 + i`: with
    /// one submission, `16 - i` is the same bit).
    function test_ballotOfMarksEachSubmissionsOwnBits() external {
        uint256 id = _judgedTwo(8000, 9000);
        uint16[] memory measured = new uint16[](2);
        (measured[0], measured[1]) = (8000, 1000); // submission 1 is junk lifted to its claim

        assertEq(appeals.ballotOf(id, measured), (1 << 1) | (1 << 17));
    }

    /// A verified score exactly at the measurement plus the tolerance is not inflated (Appeals
    /// 223's `verified > ceiling`), as a claim there is not an over-claim.
    function test_ballotOfLeavesAVerifiedScoreAtTheToleranceAlone() external {
        uint256 id = _judgedTwo(8000, 9000);
        uint16[] memory measured = new uint16[](2);
        (measured[0], measured[1]) = (8000, uint16(9000 - market.config().toleranceBps));

        assertEq(appeals.ballotOf(id, measured), 0);

        measured[1] -= 1;
        assertEq(appeals.ballotOf(id, measured), (1 << 1) | (1 << 17));
    }

    /// @dev A job with workers 1 and 2's submissions at `claim1` and `claim2`, every seat
    /// attesting the claims, at the settle deadline.
    function _judgedTwo(uint16 claim1, uint16 claim2) internal returns (uint256 id) {
        id = _post(market, 1 ether);
        _commit(id, 1, claim1);
        _commit(id, 2, claim2);
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, claim1);
        _reveal(id, 2, claim2);
        vm.prank(REQUESTER);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "");
        _draw(id);
        uint16[] memory scores = new uint16[](2);
        (scores[0], scores[1]) = (claim1, claim2);
        _attestAll(id, 3, scores);
    }
}
