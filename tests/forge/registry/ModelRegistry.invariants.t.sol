// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Campaign} from "../Campaign.sol";
import {ModelRegistry} from "../../../contracts/ModelRegistry.sol";
import {RegistryHandler} from "./RegistryHandler.sol";

abstract contract RegistryCampaign is Campaign {
    ModelRegistry internal registry;
    RegistryHandler internal handler;

    function _deploy(bool marketReusesHashes) internal {
        registry = new ModelRegistry(address(this), address(0));
        handler = new RegistryHandler(registry, marketReusesHashes);
        registry.grantRole(registry.MARKET_ROLE(), address(handler));
        targetContract(address(handler));
    }

    function afterInvariant() external {
        // Under a profile named in a suite's inline config forge 1.7.1 loses fs_permissions:
        // the count is then missing from the log, and the campaign goes on.
        try vm.writeLine("build/forge/calls.log", string.concat("registry ", vm.toString(handler.stateChangingCalls()))) {} catch {}
    }

    /// @dev True when `h`'s lineage reaches a base model within 64 entries (handlers build far
    /// shallower trees, so a longer walk is a cycle).
    function _lineageIsAcyclic(bytes32 h) internal view returns (bool) {
        bytes32[] memory path = registry.lineage(h, 64);
        return path.length < 64 && registry.recordOf(path[path.length - 1]).parentHash == bytes32(0);
    }
}

/// forge-config: default.invariant.depth = 64
/// @notice The registry as today's market uses it: direct registrations and market records of new models.
contract ModelRegistryInvariants is RegistryCampaign {
    function setUp() public {
        _deploy(false);
    }

    /// @notice A registered model stays registered; its parent is registered.
    function invariant_recordsAreNeverLost() external view {
        for (uint256 i; i < handler.hashCount(); ++i) {
            bytes32 h = handler.hashes(i);
            assertTrue(registry.isRegistered(h), "a record disappeared");
            bytes32 parent = registry.recordOf(h).parentHash;
            assertTrue(parent == bytes32(0) || registry.isRegistered(parent), "a parent is unknown");
        }
    }

    /// @notice A direct registration never overwrites a record (it reverts and changes nothing).
    function invariant_aDirectRegistrationNeverOverwrites() external view {
        assertEq(handler.directOverwrites(), 0, "a direct register overwrote a record");
    }

    /// @notice Every lineage ends at a base model: no cycle.
    function invariant_lineageNeverCycles() external view {
        for (uint256 i; i < handler.hashCount(); ++i) {
            assertTrue(_lineageIsAcyclic(handler.hashes(i)), "a lineage cycles");
        }
    }
}

/// forge-config: default.invariant.depth = 64
/// @notice Issue 20, item 8: with a market whose winners may be any registered hash (public
/// weights resubmitted, the base model or one of its ancestors), no market record overwrites
/// another job's and no lineage cycles (pending until the registry's guards landed).
contract ModelRegistryV3Invariants is RegistryCampaign {
    function setUp() public {
        _deploy(true);
    }

    function invariant_noMarketRecordOverwritesAnotherJobs() external view {
        assertEq(handler.jobRecordsOverwritten(), 0, "a market record replaced another job's");
    }

    function invariant_lineageNeverCycles() external view {
        for (uint256 i; i < handler.hashCount(); ++i) {
            assertTrue(_lineageIsAcyclic(handler.hashes(i)), "a lineage cycles");
        }
    }
}
