// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "forge-std/Base.sol";
import {StdAssertions} from "forge-std/StdAssertions.sol";
import {ISealedExchange} from "../../../contracts/interfaces/ISealedExchange.sol";
import {SealedExchange} from "../../../contracts/SealedExchange.sol";
import {SealedCurve} from "../../../contracts/libraries/SealedCurve.sol";
import {SealedMarketStub} from "../../../contracts/test/SealedMarketStub.sol";
import {SealedKeys} from "../market/SealedKeys.sol";

/// @notice A SealedExchange whose market is the stub (a committee of three the test seats, windows
/// that close only at 2**32 - 1 s), a worker's honest one-chunk seal published to job JOB, and the
/// parties' scalars: the concrete sealed suites build on it, as the brownie suite's conftest does
/// (tests/contracts/sealed), so no job, draw or validator set is needed.
abstract contract SealedFixture is TestBase, StdAssertions, SealedKeys {
    bool public IS_TEST = true;

    uint256 internal constant JOB = 7;
    uint256 internal constant DELIVERY_WINDOW = 1 hours;
    uint256 internal constant DISPUTE_WINDOW = 2 hours;
    /// @dev The stub's deadlines: envelopes and bad-envelope proofs close there.
    uint256 internal constant STUB_DEADLINE = type(uint32).max;
    address internal constant WORKER = address(0xC0DE);
    address internal constant REQUESTER = address(0xBEEF);
    address internal constant STRANGER = address(0x5717);
    bytes32 internal constant KEY = keccak256("the worker's key");
    bytes32 internal constant MODEL = keccak256("model");
    uint256 internal constant W = 0x5EA1ED; // the worker's envelope scalar: its point W = w G
    uint256 internal constant R = 0xB0B; // the requester's job key scalar
    uint256 internal constant NONCE = 0x7EA; // the proofs' nonce t

    SealedMarketStub internal stub;
    SealedExchange internal exchange;
    ISealedExchange.Seal internal seal;
    bytes internal cipher;
    bytes32 internal plainLeaf;

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        stub = new SealedMarketStub();
        exchange = new SealedExchange(address(stub), DELIVERY_WINDOW, DISPUTE_WINDOW);
        (seal, cipher, plainLeaf) = _sealOf(KEY, MODEL, false);
        vm.prank(WORKER);
        exchange.publishSeal(JOB, seal);
    }

    function _member(uint256 i) internal pure returns (address) {
        return address(uint160(0xE000 + i));
    }

    /// @dev Member i's encryption key scalar.
    function _secret(uint256 i) internal pure returns (uint256) {
        return _scalar(abi.encode("member", i));
    }
}
