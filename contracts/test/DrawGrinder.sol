// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITrainingMarket} from "../interfaces/ITrainingMarket.sol";

/// @title DrawGrinder
/// @notice Test-only: issue 20 item 2's attacker. In one transaction it tries one bond after
/// another: join the validator set, draw the job's committee, and keep the try only when it
/// holds a seat (every other try reverts, so the draw happens once, on the tree that suits it).
contract DrawGrinder {
    error DrawGrinderNotSeated();

    ITrainingMarket private immutable _market;

    constructor(ITrainingMarket market_) {
        _market = market_;
    }

    /// @notice Up to `tries` tries, bonds `bond`, `bond` + 1 gwei, ...; true when one kept a seat.
    function grind(uint256 jobId, uint256 tries, uint256 bond) external payable returns (bool) {
        for (uint256 i; i < tries; ++i) {
            try this.attempt(jobId, bond + i * 1 gwei) {
                return true;
            } catch {}
        }
        return false;
    }

    /// @notice One try: join, draw, revert unless seated (called by {grind} only).
    function attempt(uint256 jobId, uint256 bond) external {
        require(msg.sender == address(this), "self only");
        _market.joinValidators{value: bond}();
        _market.drawCommittee(jobId);
        uint256 mine = _market.validator(address(this)).leafPlusOne;
        uint256[2] memory c = _market.committeeWords(jobId);
        for (uint256 s; s < 15; ++s) {
            if ((c[s >> 3] >> (32 * (s & 7))) & type(uint32).max == mine) return;
        }
        revert DrawGrinderNotSeated();
    }
}
