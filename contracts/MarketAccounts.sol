// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ValidatorSet} from "./ValidatorSet.sol";

/// @title MarketAccounts
/// @notice Pull payments and per-account counters of the market: everything owed is credited
/// here and leaves only through {withdraw}.
/// @dev The idea of OpenZeppelin v4's Escrow/PullPayment (removed in v5): credit, then let the
/// payee pull. Balance and counters share one slot, so a payee's counters keep the slot
/// non-zero after a withdrawal and the next credit is an update, not a fresh write.
abstract contract MarketAccounts is ValidatorSet {
    struct Account {
        uint128 pending; // wei owed; 2**128 wei is far above all ether in existence
        uint32 wins;
        uint32 slashes;
    }

    mapping(address account => Account) private _accounts;

    /// @notice Send the caller everything credited to it.
    /// @dev Reads, zeroes, then sends (checks-effects-interactions, under the reentrancy
    /// guard); forwards all gas, so a contract payee may run code, but it finds its balance
    /// already zero and every guarded function locked. Emits {Withdrawn}.
    function withdraw() external nonReentrant {
        uint256 amount = _accounts[msg.sender].pending;
        if (amount == 0) revert TrainingMarketNothingToWithdraw(msg.sender);
        _accounts[msg.sender].pending = 0;
        _sendToCaller(amount);
        emit Withdrawn(msg.sender, amount);
    }

    /// @notice Wei credited to `account` and not yet withdrawn.
    function pendingOf(address account) external view returns (uint256) {
        return _accounts[account].pending;
    }

    /// @notice Jobs won and submissions slashed by `account` as a worker.
    function workerStats(address account) external view returns (uint32 wins, uint32 slashes) {
        Account memory a = _accounts[account];
        return (a.wins, a.slashes);
    }

    /// @dev The one write path for balances owed. Callers emit the domain event.
    function _credit(address account, uint256 amount) internal {
        if (amount == 0) return;
        // Checked cast and sum: ether held here cannot reach 2**128 wei; if it did, revert.
        _accounts[account].pending += SafeCast.toUint128(amount);
    }

    /// @dev Counts a win or a slash for a worker.
    function _count(address account, bool won) internal {
        // Checked increments: 2**32 jobs per worker will not happen, but never wrap.
        if (won) ++_accounts[account].wins;
        else ++_accounts[account].slashes;
    }
}
