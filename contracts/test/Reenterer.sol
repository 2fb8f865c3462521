// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Reenterer
/// @notice Test-only attacker: when the market pays it, it calls back into the market
/// (withdraw or finalize) and records how that call ended. Never deployed outside tests.
contract Reenterer {
    enum Mode {
        None,
        Withdraw,
        Finalize
    }

    address public immutable market;
    Mode public mode;
    uint256 public targetJob;
    /// @notice Selector of the error the re-entrant call reverted with (zero if it succeeded).
    bytes4 public reentryError;
    /// @notice True when the re-entrant call succeeded.
    bool public reentered;

    constructor(address market_) {
        market = market_;
    }

    /// @notice Choose what to call when paid.
    function arm(Mode mode_, uint256 jobId) external {
        mode = mode_;
        targetJob = jobId;
    }

    /// @notice Forward any call to the market with value (post, cancel, commit, withdraw...).
    function call(bytes calldata data) external payable returns (bytes memory) {
        (bool ok, bytes memory ret) = market.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    receive() external payable {
        if (mode == Mode.None) return;
        bytes memory data = mode == Mode.Withdraw
            ? abi.encodeWithSignature("withdraw()")
            : abi.encodeWithSignature("finalize(uint256,bytes32,string)", targetJob, bytes32(0), "");
        mode = Mode.None; // one attempt
        (bool ok, bytes memory ret) = market.call(data);
        reentered = ok;
        if (!ok && ret.length >= 4) reentryError = bytes4(ret);
    }
}
