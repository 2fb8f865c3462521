// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISealedExchange} from "../interfaces/ISealedExchange.sol";
import {ITrainingMarket} from "../interfaces/ITrainingMarket.sol";

/// @notice Test-only stand-in for the market a {SealedExchange} reads: a committee the test
/// sets (seat s holds leaf s), windows that never close, and a record of bad-envelope flags,
/// so the exchange's own tests need no job, draw or validator set. Never deployed by the product.
contract SealedMarketStub {
    address[] private _seats;
    mapping(uint256 jobId => mapping(address worker => bool)) public flagged;

    /// @notice Seat the committee of every job: `members[s]` at seat s.
    function setCommittee(address[] calldata members) external {
        _seats = members;
    }

    /// @notice Open `jobId`'s exchange on `exchange` as the market does for a winner.
    function openOn(ISealedExchange exchange, uint256 jobId, address worker, address requester, uint256 deposit)
        external
        payable
    {
        exchange.openExchange{value: msg.value}(jobId, worker, requester, deposit);
    }

    /// @notice The job as far as the exchange reads it: the committee's size, the reveal
    /// deadline (envelopes) and the attest deadline (bad-envelope proofs, never here).
    function job(uint256) external view returns (ITrainingMarket.Job memory j) {
        j.commitDeadline = 1;
        j.revealDeadline = type(uint32).max;
        j.attestDeadline = type(uint32).max;
        j.committeeSize = uint8(_seats.length);
    }

    /// @notice Seat s holds leaf s (lanes hold leaf + 1, as the market's).
    function committeeWords(uint256) external view returns (uint256[2] memory c) {
        for (uint256 s; s < _seats.length; ++s) {
            c[s / 8] |= (s + 1) << (32 * (s % 8));
        }
    }

    function validatorAt(uint256 leaf) external view returns (address) {
        return _seats[leaf];
    }

    function flagEnvelopeProvenBad(uint256 jobId, address worker) external {
        flagged[jobId][worker] = true;
    }
}
