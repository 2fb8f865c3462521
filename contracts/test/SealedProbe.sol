// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SealedCipher} from "../libraries/SealedCipher.sol";
import {SealedCurve} from "../libraries/SealedCurve.sol";

/// @notice Test-only: exposes the sealed libraries so tests compare them with offchain/sealed.
contract SealedProbe {
    function keyCommitment(bytes32 key) external pure returns (bytes32) {
        return SealedCipher.keyCommitment(key);
    }

    function decryptChunk(bytes32 key, uint256 index, bytes calldata chunk) external pure returns (bytes memory) {
        return SealedCipher.decryptChunk(key, index, chunk);
    }

    function cipherLeaf(bytes calldata chunk) external pure returns (bytes32) {
        return SealedCipher.cipherLeaf(chunk);
    }

    function plainLeaf(bytes32 key, uint256 index, bytes calldata chunk) external pure returns (bytes32) {
        return SealedCipher.plainLeaf(key, index, chunk);
    }

    function rootOf(bytes32 leaf, uint256 index, bytes32[] calldata siblings) external pure returns (bytes32) {
        return SealedCipher.rootOf(leaf, index, siblings);
    }

    function depth(uint256 n) external pure returns (uint256) {
        return SealedCipher.depth(n);
    }

    function usable(SealedCurve.Point calldata p) external pure returns (bool) {
        return SealedCurve.usable(p);
    }

    function id(SealedCurve.Point calldata p) external pure returns (address) {
        return SealedCurve.id(p);
    }

    function openEnvelope(bytes32 envelope, SealedCurve.Point calldata shared) external pure returns (bytes32) {
        return SealedCurve.openEnvelope(envelope, shared);
    }

    function verifyShared(SealedCurve.Point calldata key, SealedCurve.Point calldata other, SealedCurve.Proof calldata proof)
        external
        pure
        returns (bool)
    {
        return SealedCurve.verifyShared(key, other, proof);
    }
}
