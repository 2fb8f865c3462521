// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title SealedCipher
/// @notice The keystream cipher and the chunk trees of sealed submissions, for one chunk at a
/// time: what a dispute recomputes. offchain/sealed/cipher.py and merkle.py define the same
/// bytes (tests/contracts/sealed/test_differential.py compares them).
/// @dev A file of `size` bytes is cut into 1,024-byte chunks (the last may be short). Word w
/// of chunk i is XORed with keccak256(key || uint256(32 i + w)). Leaves and nodes:
///   ciphertext leaf  keccak256(0x00 || chunk)
///   plaintext leaf   keccak256(0x00 || salt_i || chunk), salt_i = keccak256("sealed-salt/v1" || key || uint256(i))
///   node             keccak256(0x01 || left || right)
/// in the perfect binary tree of depth ceil(log2 n) padded with zero leaves, so a branch of
/// that length proves a leaf at its index (the keystream and the salt depend on the index).
library SealedCipher {
    uint256 internal constant CHUNK_BYTES = 1024;
    uint256 internal constant WORDS_PER_CHUNK = 32;
    /// @notice Largest sealed file: 2**40 bytes (2**30 chunks, a 30-level tree).
    uint256 internal constant MAX_SIZE = 1 << 40;

    /// @notice keccak256("sealed-key/v1" || key): the commitment the chain holds.
    function keyCommitment(bytes32 key) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked("sealed-key/v1", key));
    }

    /// @notice Chunks of a file of `size` bytes.
    function chunkCount(uint256 size) internal pure returns (uint256) {
        return (size + CHUNK_BYTES - 1) / CHUNK_BYTES;
    }

    /// @notice Bytes of chunk `index` (< chunkCount(size)): 1,024 but for a short last one.
    function chunkLength(uint256 size, uint256 index) internal pure returns (uint256) {
        uint256 rest = size - index * CHUNK_BYTES; // index < chunkCount: positive
        return rest < CHUNK_BYTES ? rest : CHUNK_BYTES;
    }

    /// @notice The tree's depth over `n` >= 1 leaves: ceil(log2 n).
    function depth(uint256 n) internal pure returns (uint256 d) {
        while ((1 << d) < n) ++d;
    }

    /// @notice Chunk `index` decrypted (or encrypted: XOR with the keystream is its own inverse).
    function decryptChunk(bytes32 key, uint256 index, bytes calldata chunk) internal pure returns (bytes memory plain) {
        plain = chunk;
        uint256 counter = index * WORDS_PER_CHUNK;
        uint256 length = chunk.length;
        // The pad of each word is hashed in the scratch space (no allocation per word). Bytes a
        // short last word XORs past `length` lie in the allocation's padding and are zeroed after.
        assembly ("memory-safe") {
            let data := add(plain, 0x20)
            for { let w := 0 } lt(mul(w, 0x20), length) { w := add(w, 1) } {
                mstore(0x00, key)
                mstore(0x20, add(counter, w))
                let at := add(data, mul(w, 0x20))
                mstore(at, xor(mload(at), keccak256(0x00, 0x40)))
            }
            let tail := mod(length, 0x20)
            if tail {
                let at := add(data, sub(length, tail))
                mstore(at, and(mload(at), not(shr(mul(tail, 8), not(0)))))
            }
        }
    }

    /// @notice keccak256(0x00 || chunk).
    function cipherLeaf(bytes calldata chunk) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x00), chunk));
    }

    /// @notice keccak256(0x00 || salt || chunk) with the salt of `key` at `index`.
    function plainLeaf(bytes32 key, uint256 index, bytes memory chunk) internal pure returns (bytes32) {
        bytes32 salt = keccak256(abi.encodePacked("sealed-salt/v1", key, index));
        return keccak256(abi.encodePacked(bytes1(0x00), salt, chunk));
    }

    /// @notice The root that `leaf` at `index` leads to through `siblings` (bottom up); bit l
    /// of `index` says whether level l's node is a right child.
    function rootOf(bytes32 leaf, uint256 index, bytes32[] calldata siblings) internal pure returns (bytes32 node) {
        node = leaf;
        for (uint256 level; level < siblings.length; ++level) {
            node = (index >> level) & 1 == 1
                ? keccak256(abi.encodePacked(bytes1(0x01), siblings[level], node))
                : keccak256(abi.encodePacked(bytes1(0x01), node, siblings[level]));
        }
    }
}
