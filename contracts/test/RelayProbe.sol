// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILedgerRelay} from "../interfaces/ILedgerRelay.sol";

/// @notice Test-only: flips every bit of a header against a relay, and measures what a calling
/// contract pays for {ILedgerRelay-verifyTx}. Used through eth_call; nothing here is deployed.
contract RelayProbe {
    /// @notice How many of the 640 single-bit flips of `header` the relay accepts.
    function acceptedFlips(ILedgerRelay relay, bytes calldata header) external returns (uint256 accepted) {
        bytes memory flipped = header;
        for (uint256 bit; bit < header.length * 8; ++bit) {
            bytes1 mask = bytes1(uint8(1 << (bit % 8)));
            flipped[bit / 8] ^= mask;
            try relay.submitHeaders(flipped) {
                ++accepted;
            } catch {}
            flipped[bit / 8] ^= mask;
        }
    }

    /// @notice verifyTx's answer and the gas a contract calling it spends (call included).
    function verifyTxGas(ILedgerRelay relay, bytes32 txid, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        external
        view
        returns (bool ok, uint256 gasUsed)
    {
        uint256 before = gasleft();
        ok = relay.verifyTx(txid, blockHash, index, branch);
        gasUsed = before - gasleft();
    }
}
