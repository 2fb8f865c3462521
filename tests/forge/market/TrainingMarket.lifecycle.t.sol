// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITrainingMarket} from "../../../contracts/interfaces/ITrainingMarket.sol";
import {MarketCampaign} from "./TrainingMarket.invariants.t.sol";

/// @notice The handler itself, checked on one fixed sequence: a job it drives reaches a
/// committee's verdict and a winner, so the campaigns' ghosts judge real settlements.
contract TrainingMarketLifecycleTest is MarketCampaign {
    function test_theHandlerDrivesAJobToAWinner() external {
        // The draw's randomness, fixed so the committee is three evaluating members (the draw
        // samples without replacement since issue 20 item 3; forge's default drew a Sybil).
        vm.prevrandao(bytes32(uint256(3)));
        handler.postJob(0, 10 ether, 0, 1 ether, 0, 0); // windows 0: its set served, not sealed
        for (uint256 i; i < 4; ++i) {
            handler.commit(0, i, 8000, 0, 0);
        }
        for (uint256 i; i < 200 && market.job(1).status == ITrainingMarket.Status.Active; ++i) {
            handler.advance(uint256(keccak256(abi.encode(i))));
        }

        ITrainingMarket.Submission[] memory list = handler.lens().submissions(1);
        assertEq(uint256(market.job(1).status), uint256(ITrainingMarket.Status.Finalized));
        assertEq(handler.winners(), 1);
        assertEq(list[0].attestationCount, 3); // the whole committee attested
        uint256 won;
        for (uint256 i; i < list.length; ++i) {
            if (list[i].outcome == ITrainingMarket.Outcome.Won) ++won;
        }
        assertEq(won, 1);
        assertEq(address(market).balance, handler.owedByViews());
    }

    /// @notice A sealed job (windows 3: served, sealed) reaches a winner whose claim opens the
    /// exchange; the key delivered and undisputed, the exchange pays the worker.
    function test_theHandlerDrivesASealedJobThroughItsExchange() external {
        vm.prevrandao(bytes32(uint256(3)));
        handler.postJob(0, 10 ether, 0, 1 ether, 0, 3);
        assertEq(handler.sealedPosts(), 1);
        for (uint256 i; i < 4; ++i) {
            handler.commit(0, i, 8000, 0, 0);
        }
        for (uint256 i; i < 200 && market.job(1).status == ITrainingMarket.Status.Active; ++i) {
            handler.advance(uint256(keccak256(abi.encode(i))));
        }
        assertEq(handler.winners(), 1);
        for (uint256 i; i < 4; ++i) {
            handler.claim(0, i);
        }

        assertEq(handler.exchangeEscrow(), address(handler.exchange()).balance);
        assertGt(handler.exchangeEscrow(), 0);
        handler.deliverKey(0);
        handler.claimExchange(0);
        assertEq(handler.exchangesPaid() + handler.exchangesRefunded(), 1);
        assertEq(handler.exchangeEscrow(), 0);
        assertEq(handler.exchangeMismatches(), 0);
        assertEq(handler.honestDisputesAccepted(), 0);
    }
}
