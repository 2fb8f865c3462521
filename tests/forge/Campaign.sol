// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "forge-std/Base.sol";
import {StdAssertions} from "forge-std/StdAssertions.sol";
import {StdInvariant} from "forge-std/StdInvariant.sol";

/// @notice The base of every campaign: forge-std's Test without StdChains, StdCheats and
/// StdUtils, which these suites never use and solc-js would compile again for every mutant.
abstract contract Campaign is TestBase, StdAssertions, StdInvariant {
    bool public IS_TEST = true;
}
