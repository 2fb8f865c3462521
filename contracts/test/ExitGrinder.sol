// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITrainingMarket} from "../interfaces/ITrainingMarket.sol";

/// @title ExitGrinder
/// @notice Test-only: issue 20 item 2's attacker with bond in the draw. It owns several members;
/// once the seed is out it tries one subset of exits after another (an exit zeroes a leaf and
/// moves every later leaf's interval), draws, and keeps the try only when its members hold at
/// least `want` seats and the committee is not `avoid`'s (every other try reverts, so the draw
/// happens once, on the tree it chose).
contract ExitGrinder {
    error ExitGrinderTooFewSeats(uint256 seats);
    error ExitGrinderSameCommittee();

    ITrainingMarket private immutable _market;
    GrinderMember[] private _members;

    constructor(ITrainingMarket market_) {
        _market = market_;
    }

    /// @notice Bonds `n` members with msg.value / n each.
    function enlist(uint256 n) external payable {
        for (uint256 i; i < n; ++i) {
            _members.push(new GrinderMember{value: msg.value / n}(_market));
        }
    }

    /// @notice Tries the exit subsets 0 .. 2**members - 1 in order; the subset kept plus one,
    /// or 0 when none gave `want` seats in a committee whose words do not hash to `avoid`.
    function grind(uint256 jobId, uint256 want, bytes32 avoid) external returns (uint256) {
        for (uint256 mask; mask < 1 << _members.length; ++mask) {
            try this.attempt(jobId, mask, want, avoid) {
                return mask + 1;
            } catch {}
        }
        return 0;
    }

    /// @notice One try: the members in `mask` exit, then draw; reverts below `want` seats or on
    /// the committee `avoid`.
    function attempt(uint256 jobId, uint256 mask, uint256 want, bytes32 avoid) external {
        require(msg.sender == address(this), "self only");
        for (uint256 i; i < _members.length; ++i) {
            if (mask >> i & 1 == 1) _members[i].exit();
        }
        _market.drawCommittee(jobId);
        uint256 seats = seatsHeld(jobId);
        if (seats < want) revert ExitGrinderTooFewSeats(seats);
        if (keccak256(abi.encode(_market.committeeWords(jobId))) == avoid) revert ExitGrinderSameCommittee();
    }

    /// @notice What a draw now gives: the committee words and the seats its members hold (for
    /// eth_call: it draws).
    function preview(uint256 jobId) external returns (uint256[2] memory words, uint256 seats) {
        _market.drawCommittee(jobId);
        (words, seats) = (_market.committeeWords(jobId), seatsHeld(jobId));
    }

    /// @notice The seats of `jobId`'s committee its members hold.
    function seatsHeld(uint256 jobId) public view returns (uint256 seats) {
        uint256[2] memory c = _market.committeeWords(jobId);
        for (uint256 s; s < 15; ++s) {
            uint256 leafPlusOne = (c[s >> 3] >> (32 * (s & 7))) & type(uint32).max;
            for (uint256 i; leafPlusOne != 0 && i < _members.length; ++i) {
                if (_market.validator(address(_members[i])).leafPlusOne == leafPlusOne) ++seats;
            }
        }
    }
}

/// @title GrinderMember
/// @notice Test-only: one member of an {ExitGrinder}, which alone may make it exit.
contract GrinderMember {
    ITrainingMarket private immutable _market;
    address private immutable _owner;

    constructor(ITrainingMarket market_) payable {
        (_market, _owner) = (market_, msg.sender);
        market_.joinValidators{value: msg.value}();
    }

    /// @notice Leave the validator set (the owner only).
    function exit() external {
        require(msg.sender == _owner, "owner only");
        _market.requestExit();
    }
}
