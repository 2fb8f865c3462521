// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title MarketHashes
/// @notice The market's commitments and seals, defined once: {TrainingMarket} checks them and
/// {MarketLens} shows them (offchain/eth/commitment.py computes the same bytes).
library MarketHashes {
    /// @notice A worker's commitment: keccak256(abi.encode(jobId, worker, modelHash, scoreBps, salt)).
    function commitment(uint256 jobId, address worker, bytes32 modelHash, uint16 scoreBps, bytes32 salt)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(jobId, worker, modelHash, scoreBps, salt));
    }

    /// @notice A committee member's seal: its scores for every submission in commit order,
    /// bound to the job and to the validator.
    function attestationSeal(uint256 jobId, address validator, uint16[] calldata scores, bytes32 salt)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(jobId, validator, scores, salt));
    }

    /// @notice What a worker's commitment slot holds after its reveal: binds the model to its URI.
    function result(bytes32 modelHash, string calldata uri) internal pure returns (bytes32) {
        return keccak256(abi.encode(modelHash, keccak256(bytes(uri))));
    }

    /// @notice A requester's seal of its evaluation set: keccak256(abi.encode(evaluationSet, salt)).
    function evaluationSeal(bytes32 evaluationSet, bytes32 salt) internal pure returns (bytes32) {
        return keccak256(abi.encode(evaluationSet, salt));
    }
}
