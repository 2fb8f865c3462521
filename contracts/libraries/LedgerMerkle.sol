// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {LedgerHeader} from "./LedgerHeader.sol";

/// @title LedgerMerkle
/// @notice Bitcoin's Merkle branch: the root a transaction id and its siblings lead to.
/// @dev Nodes are double SHA-256 of left || right, in internal byte order, the same as
/// offchain/ledger/merkle.py `branch_root`. WARNING (as there): an inner node is the hash of
/// 64 bytes, so a 64-byte "transaction" could pose as one, and a branch cannot tell how many
/// transactions the block holds (Bitcoin's CVE-2012-2459 duplicated tail included). Prove a
/// transaction by its bytes where the format allows, as {LedgerRelay-verifyAnchor} does, or hold a
/// bare txid's branch to a depth proven from such bytes ({LedgerRelay-proveMerkleDepth}).
library LedgerMerkle {
    /// @notice The size of an inner node's preimage (two hashes): no transaction proven by its bytes may have it.
    uint256 internal constant INNER_NODE_PREIMAGE = 64;

    /// @notice The root `leaf` at position `index` reaches through `branch`, and false where
    /// `index` has bits beyond the branch's depth (no such position).
    function root(bytes32 leaf, uint256 index, bytes32[] calldata branch) internal view returns (bytes32, bool) {
        bytes32 node = leaf;
        for (uint256 i; i < branch.length; ++i) {
            node = index & 1 == 1 ? LedgerHeader.hashPair(branch[i], node) : LedgerHeader.hashPair(node, branch[i]);
            index >>= 1;
        }
        return (node, index == 0);
    }
}
