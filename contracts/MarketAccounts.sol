// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ValidatorSet} from "./ValidatorSet.sol";

/// @title MarketAccounts
/// @notice Pull payments of the market: what is owed to requesters (refunds, slashed stakes,
/// forfeits) and validators (fees, in their records) leaves only through {withdraw}.
/// @dev The idea of OpenZeppelin v4's Escrow/PullPayment (removed in v5): credit, then let the
/// payee pull. Workers pull their own outcomes with {Settlement.claim} instead, so finalize
/// never pays a fresh slot per worker.
abstract contract MarketAccounts is ValidatorSet {
    /// @dev Where slashed stakes, forfeits and unearned slashed bonds are credited: the zero
    /// address, which never sends a transaction, so they are burned (held for ever, still
    /// counted as owed: `pendingOf(address(0))` is everything burned).
    address internal constant BURNED = address(0);

    mapping(address account => uint256) private _pending;

    /// @notice Send the caller everything credited to it, validator fees included.
    /// @dev Reads, zeroes, then sends (checks-effects-interactions, under the reentrancy
    /// guard); forwards all gas, so a contract payee may run code, but it finds its balance
    /// already zero and every guarded function locked. Emits {Withdrawn}.
    function withdraw() external nonReentrant {
        uint256 pending = _pending[msg.sender];
        uint256 earned = _validators[msg.sender].earned;
        uint256 amount = pending + earned;
        if (amount == 0) revert TrainingMarketNothingToWithdraw(msg.sender);
        if (pending != 0) _pending[msg.sender] = 0;
        if (earned != 0) _validators[msg.sender].earned = 0;
        _sendToCaller(amount);
        emit Withdrawn(msg.sender, amount);
    }

    /// @notice Wei credited to `account` and not yet withdrawn (validator fees included).
    function pendingOf(address account) external view returns (uint256) {
        return _pending[account] + _validators[account].earned;
    }

    /// @dev Credits fees to a validator's record (an update of a slot it already owns). The
    /// record's `earned` is a uint88 (3.1e8 ETH); a credit that would not fit goes to the
    /// account's unbounded balance instead, so every wei counted as paid is owed (never
    /// truncated), and {withdraw} pays both.
    function _creditValidator(address account, uint256 amount) internal {
        if (amount == 0) return;
        uint256 earned = _validators[account].earned + amount;
        // Past the record's uint88 the whole credit goes to the unbounded balance instead.
        if (earned > type(uint88).max) return _credit(account, amount);
        _validators[account].earned = uint88(earned); // fits: checked just above
    }

    /// @dev The one write path for balances owed to non-validators. Callers emit the event.
    function _credit(address account, uint256 amount) internal {
        // Nothing to credit: an exact zero by design (slither reads a slash amount as a balance).
        // slither-disable-next-line incorrect-equality
        if (amount == 0) return;
        _pending[account] += amount; // checked: the ether held here bounds every sum
    }
}
