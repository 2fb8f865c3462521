// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ValidatorSwarm
/// @notice Test-only: bonds many validators in one transaction (each a tiny contract that
/// joins on construction), so gas can be measured against a large validator set.
contract ValidatorSwarm {
    /// @notice Deploys `n` members, each joining `market` with msg.value / n.
    function join(address market, uint256 n) external payable {
        uint256 bond = msg.value / n;
        for (uint256 i; i < n; ++i) {
            new SwarmMember{value: bond}(market);
        }
    }
}

/// @title SwarmMember
/// @notice Test-only: one validator of a {ValidatorSwarm}.
contract SwarmMember {
    constructor(address market) payable {
        (bool ok,) = market.call{value: msg.value}(abi.encodeWithSignature("joinValidators()"));
        require(ok, "join failed");
    }
}
