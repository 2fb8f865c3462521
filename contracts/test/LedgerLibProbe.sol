// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LedgerHeader} from "../libraries/LedgerHeader.sol";
import {LedgerMerkle} from "../libraries/LedgerMerkle.sol";

/// @notice Test-only: the header and Merkle libraries as external calls, for comparison with
/// offchain/ledger/pow.py and merkle.py.
contract LedgerLibProbe {
    function target(uint32 bits) external pure returns (uint256, bool) {
        return LedgerHeader.target(bits);
    }

    function compact(uint256 value) external pure returns (uint32) {
        return LedgerHeader.compact(value);
    }

    function work(uint256 value) external pure returns (uint256) {
        return LedgerHeader.work(value);
    }

    function nextBits(uint32 lastBits, uint32 firstTime, uint32 lastTime, uint256 timespan, uint256 powLimit)
        external
        pure
        returns (uint32)
    {
        return LedgerHeader.nextBits(lastBits, firstTime, lastTime, timespan, powLimit);
    }

    function merkleRoot(bytes32 leaf, uint256 index, bytes32[] calldata branch) external view returns (bytes32, bool) {
        return LedgerMerkle.root(leaf, index, branch);
    }
}
