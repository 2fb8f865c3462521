// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "forge-std/Base.sol";
import {StdAssertions} from "forge-std/StdAssertions.sol";
import {LedgerHeader} from "../../../contracts/libraries/LedgerHeader.sol";

/// @notice Bitcoin's compact targets, both ways, on Bitcoin Core's own vectors
/// (src/test/arith_uint256_tests.cpp, `bignum_SetCompact`): the short exponents, the sign
/// bit, overflow, and GetCompact moving a byte into the exponent for a signed mantissa.
contract LedgerHeaderTest is TestBase, StdAssertions {
    bool public IS_TEST = true;

    function test_setCompactOnCoresVectors() external pure {
        uint32[7] memory bits = [uint32(0x01123456), 0x02123456, 0x03123456, 0x04123456, 0x05009234, 0x20123456, 0x02008000];
        uint256[7] memory values = [uint256(0x12), 0x1234, 0x123456, 0x12345600, 0x92340000, uint256(0x123456) << 232, 0x80];
        uint32[7] memory compacts = [uint32(0x01120000), 0x02123400, 0x03123456, 0x04123456, 0x05009234, 0x20123456, 0x02008000];
        for (uint256 i; i < bits.length; ++i) {
            (uint256 value, bool valid) = LedgerHeader.target(bits[i]);
            assertTrue(valid);
            assertEq(value, values[i]);
            assertEq(LedgerHeader.compact(value), compacts[i]);
        }
    }

    function test_negativeZeroAndOverflowingBitsAreInvalid() external pure {
        uint32[5] memory bits = [uint32(0x01fedcba), 0x04923456, 0x00123456, 0x01003456, 0xff123456];
        for (uint256 i; i < bits.length; ++i) {
            (, bool valid) = LedgerHeader.target(bits[i]);
            assertFalse(valid);
        }
    }

    function test_compactOfZeroIsZero() external pure {
        assertEq(LedgerHeader.compact(0), 0);
    }
}
