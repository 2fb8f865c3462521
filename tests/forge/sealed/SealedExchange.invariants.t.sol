// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Campaign} from "../Campaign.sol";
import {SealedExchange} from "../../../contracts/SealedExchange.sol";
import {SealedHandler} from "./SealedHandler.sol";

/// forge-config: default.invariant.depth = 64
/// @notice SealedExchange's money: it holds exactly the open escrow plus what it owes, each
/// party is owed what the ghosts say, and no honest seal is ever refunded by a chunk dispute.
contract SealedExchangeInvariants is Campaign {
    SealedExchange internal exchange;
    SealedHandler internal handler;

    function setUp() public {
        // The handler is the market; its address is known before it exists (the next nonce).
        address predicted = vm.computeCreateAddress(address(this), vm.getNonce(address(this)) + 1);
        exchange = new SealedExchange(predicted, 1 hours, 2 hours);
        handler = new SealedHandler(exchange);
        require(address(handler) == predicted, "handler address");
        targetContract(address(handler));
    }

    function afterInvariant() external {
        try vm.writeLine("build/forge/calls.log", string.concat("sealed ", vm.toString(handler.stateChangingCalls()))) {} catch {}
    }

    /// @notice The exchange's balance is the open escrow plus every balance owed (burned included).
    function invariant_holdsEscrowPlusWhatItOwes() external view {
        uint256 owedSum = exchange.pendingOf(address(0));
        for (uint256 i; i < 3; ++i) owedSum += exchange.pendingOf(handler.workers(i));
        for (uint256 i; i < 2; ++i) owedSum += exchange.pendingOf(handler.requesters(i));
        assertEq(address(exchange).balance, handler.escrow() + owedSum, "balance != escrow + owed");
    }

    /// @notice Each party is owed what the ghosts credited it.
    function invariant_eachPartyIsOwedWhatTheGhostsSay() external view {
        for (uint256 i; i < 3; ++i) {
            assertEq(exchange.pendingOf(handler.workers(i)), handler.owed(handler.workers(i)), "worker");
        }
        for (uint256 i; i < 2; ++i) {
            assertEq(exchange.pendingOf(handler.requesters(i)), handler.owed(handler.requesters(i)), "requester");
        }
        assertEq(exchange.pendingOf(address(0)), handler.owed(address(0)), "burned");
    }

    /// @notice A seal whose chunk opens to its committed leaf is never refunded.
    function invariant_noHonestSealIsRefunded() external view {
        assertEq(handler.honestRefunds(), 0, "an honest seal was refunded");
    }
}
