// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice A stand-in for LedgerRelay where the tests need only its answers, not its ledger:
/// {provenAnchor} answers as set (or refuses, as the relay does for a block off its main chain),
/// and each block's confirmations and work are set per block.
contract FakeRelay {
    bytes32 internal _payload;
    address internal _account;
    uint256 internal _height;
    bool internal _refuse;
    mapping(bytes32 blockHash => uint256) internal _confirmations;
    mapping(bytes32 blockHash => uint256) internal _work;

    /// @notice The anchor {provenAnchor} proves next, in block `blockHash`, now `confirmations_` deep.
    function setAnchor(bytes32 payload, address account, uint256 height, bytes32 blockHash, uint256 confirmations_)
        external
    {
        (_payload, _account, _height, _refuse) = (payload, account, height, false);
        setBlock(blockHash, confirmations_, 100 * confirmations_);
    }

    function setBlock(bytes32 blockHash, uint256 confirmations_, uint256 work) public {
        (_confirmations[blockHash], _work[blockHash]) = (confirmations_, work);
    }

    function refuse() external {
        _refuse = true;
    }

    function provenAnchor(bytes calldata, bytes32 blockHash, uint256, bytes32[] calldata)
        external
        view
        returns (bytes32, address, uint256, uint256, uint256)
    {
        require(!_refuse, "unproven");
        return (_payload, _account, _height, _confirmations[blockHash], _work[blockHash]);
    }

    function confirmations(bytes32 blockHash) external view returns (uint256) {
        return _confirmations[blockHash];
    }

    function confirmationWork(bytes32 blockHash) external view returns (uint256) {
        return _work[blockHash];
    }

    function minConfirmations() external pure returns (uint256) {
        return 2;
    }
}
