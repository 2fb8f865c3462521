// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "forge-std/Base.sol";
import {StdAssertions} from "forge-std/StdAssertions.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IModelRegistry} from "../../../contracts/interfaces/IModelRegistry.sol";
import {ModelRegistry} from "../../../contracts/ModelRegistry.sol";
import {FakeRelay} from "../FakeRelay.sol";

/// @notice The registry's refusals, lineage, roles, migration and anchors, each with its error or
/// its values; the relay is a {FakeRelay}, so an anchor's depth and main-chain state are set.
contract ModelRegistryTest is TestBase, StdAssertions {
    bool public IS_TEST = true;

    ModelRegistry internal registry;
    FakeRelay internal relay;
    bytes32 internal constant BASE = keccak256("base");
    bytes32 internal constant CHILD = keccak256("child");
    bytes32 internal constant GRANDCHILD = keccak256("grandchild");
    bytes32 internal constant DATA = keccak256("data");
    bytes32 internal constant BLOCK = keccak256("ledger block");
    address internal constant MARKET = address(0x3A);
    address internal constant STRANGER = address(0x5EE);

    function setUp() external {
        relay = new FakeRelay();
        registry = new ModelRegistry(address(this), address(relay));
        registry.grantRole(registry.MARKET_ROLE(), MARKET);
        registry.register(BASE, bytes32(0), DATA, 5000, "b");
        vm.roll(block.number + 1);
        registry.register(CHILD, BASE, DATA, 6000, "c");
        vm.roll(block.number + 1);
        registry.register(GRANDCHILD, CHILD, DATA, 7000, "g");
    }

    // ------------------------------------------------------------------ registration

    function test_registerRefusesAZeroHash() external {
        vm.expectRevert(IModelRegistry.ModelRegistryZeroHash.selector);
        registry.register(bytes32(0), bytes32(0), DATA, 0, "");
    }

    function test_registerRefusesAnUnknownParent() external {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryUnknownParent.selector, keccak256("x")));
        registry.register(keccak256("y"), keccak256("x"), DATA, 0, "");
    }

    function test_registerRefusesAScoreAboveOneHundredPercent() external {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryScoreTooHigh.selector, 10_001));
        registry.register(keccak256("y"), BASE, DATA, 10_001, "");
        registry.register(keccak256("y"), BASE, DATA, 10_000, ""); // exactly 100 %: accepted
    }

    function test_registerRefusesAHashTwice() external {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryAlreadyRegistered.selector, CHILD));
        vm.prank(STRANGER);
        registry.register(CHILD, bytes32(0), DATA, 0, "");
    }

    function test_registerRecordsTheCallerAsPublisher() external {
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelRegistered(keccak256("y"), BASE, STRANGER, DATA, 4200, 0, "u");
        vm.prank(STRANGER);
        registry.register(keccak256("y"), BASE, DATA, 4200, "u");
        IModelRegistry.Record memory r = registry.recordOf(keccak256("y"));
        assertEq(r.parentHash, BASE);
        assertEq(r.publisher, STRANGER);
        assertEq(r.scoreBps, 4200);
        assertEq(r.jobId, 0);
        assertEq(r.registeredBlock, block.number);
        assertTrue(registry.isRegistered(keccak256("y")));
        assertFalse(registry.isRegistered(keccak256("z")));
    }

    function test_recordOfAnUnknownModelReverts() external {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryUnknownModel.selector, keccak256("z")));
        registry.recordOf(keccak256("z"));
    }

    // ------------------------------------------------------------------ the market's records

    function test_onlyTheMarketRoleRegistersFromTheMarket() external {
        bytes32 role = registry.MARKET_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, STRANGER, role)
        );
        vm.prank(STRANGER);
        registry.registerFromMarket(keccak256("w"), BASE, DATA, 8000, 1, STRANGER, "w");
    }

    function test_aMarketRecordOverwritesAYoungerDirectRecord() external {
        vm.prank(MARKET);
        registry.registerFromMarket(GRANDCHILD, BASE, DATA, 8000, 4, address(0xB0B), "w");
        IModelRegistry.Record memory r = registry.recordOf(GRANDCHILD);
        assertEq(r.parentHash, BASE);
        assertEq(r.publisher, address(0xB0B));
        assertEq(r.jobId, 4);
    }

    function test_aMarketRecordKeepsADirectRecordNoYoungerThanTheParent() external {
        vm.prank(MARKET); // BASE is CHILD's parent and older: rewriting it as CHILD's child would cycle
        registry.registerFromMarket(BASE, CHILD, DATA, 8000, 4, address(0xB0B), "w");
        IModelRegistry.Record memory r = registry.recordOf(BASE);
        assertEq(r.parentHash, bytes32(0));
        assertEq(r.publisher, address(this));
        assertEq(r.jobId, 0);
    }

    function test_aMarketRecordIsNeverOverwritten() external {
        vm.startPrank(MARKET);
        registry.registerFromMarket(keccak256("w"), BASE, DATA, 8000, 4, address(0xB0B), "w");
        registry.registerFromMarket(keccak256("w"), CHILD, DATA, 9000, 5, address(0xCAFE), "w");
        vm.stopPrank();
        IModelRegistry.Record memory r = registry.recordOf(keccak256("w"));
        assertEq(r.parentHash, BASE);
        assertEq(r.jobId, 4);
        assertEq(r.publisher, address(0xB0B));
    }

    function test_aJobIdBeyondFortyBitsIsRefused() external {
        uint256 jobId = uint256(type(uint40).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryJobIdTooLarge.selector, jobId));
        vm.prank(MARKET);
        registry.registerFromMarket(keccak256("w"), BASE, DATA, 8000, jobId, address(0xB0B), "w");
    }

    // ------------------------------------------------------------------ lineage

    function test_lineageWalksBackToTheBase() external view {
        bytes32[] memory path = registry.lineage(GRANDCHILD, 10);
        assertEq(path.length, 3);
        assertEq(path[0], GRANDCHILD);
        assertEq(path[1], CHILD);
        assertEq(path[2], BASE);
    }

    function test_lineageStopsAtItsDepth() external view {
        bytes32[] memory path = registry.lineage(GRANDCHILD, 2);
        assertEq(path.length, 2);
        assertEq(path[1], CHILD); // its parent, BASE, is where a caller continues
    }

    function test_lineageRefusesAnUnknownModelAndAZeroDepth() external {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryUnknownModel.selector, keccak256("z")));
        registry.lineage(keccak256("z"), 1);
        vm.expectRevert(IModelRegistry.ModelRegistryZeroDepth.selector);
        registry.lineage(BASE, 0);
    }

    // ------------------------------------------------------------------ migration

    function test_migrateCarriesTheRecordOver() external {
        ModelRegistry next = new ModelRegistry(address(this), address(0));
        next.migrate(registry, BASE, DATA, "b");
        vm.expectEmit(address(next));
        emit IModelRegistry.ModelMigrated(CHILD, address(registry));
        next.migrate(registry, CHILD, DATA, "c");
        IModelRegistry.Record memory r = next.recordOf(CHILD);
        assertEq(r.parentHash, BASE);
        assertEq(r.publisher, address(this));
        assertEq(r.scoreBps, 6000);
    }

    function test_migrateSkipsAHashAlreadyHere() external {
        ModelRegistry next = new ModelRegistry(address(this), address(0));
        vm.prank(STRANGER);
        next.register(BASE, bytes32(0), DATA, 1, "mine");
        next.migrate(registry, BASE, DATA, "b");
        assertEq(next.recordOf(BASE).publisher, STRANGER);
        assertEq(next.recordOf(BASE).scoreBps, 1);
    }

    function test_migrateNeedsTheParentFirst() external {
        ModelRegistry next = new ModelRegistry(address(this), address(0));
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryUnknownParent.selector, BASE));
        next.migrate(registry, CHILD, DATA, "c");
    }

    function test_migrationIsTheAdministratorsUntilClosed() external {
        ModelRegistry next = new ModelRegistry(address(this), address(0));
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, STRANGER, bytes32(0))
        );
        vm.prank(STRANGER);
        next.migrate(registry, BASE, DATA, "b");
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, STRANGER, bytes32(0))
        );
        vm.prank(STRANGER);
        next.closeMigration();

        vm.expectEmit(address(next));
        emit IModelRegistry.MigrationClosed();
        next.closeMigration();
        vm.expectRevert(IModelRegistry.ModelRegistryMigrationClosed.selector);
        next.migrate(registry, BASE, DATA, "b");
    }

    // ------------------------------------------------------------------ anchors

    function test_markAnchoredNeedsARelay() external {
        ModelRegistry bare = new ModelRegistry(address(this), address(0));
        bare.register(BASE, bytes32(0), DATA, 0, "");
        vm.expectRevert(IModelRegistry.ModelRegistryNoRelay.selector);
        _mark(bare, BASE, BLOCK);
        (IModelRegistry.Anchor memory a, uint256 confirmations, uint256 work, bool proven, bool isFinal) =
            bare.anchorStatus(BASE);
        assertEq(a.blockHash, bytes32(0));
        assertEq(confirmations + work, 0);
        assertFalse(proven);
        assertFalse(isFinal);
    }

    function test_markAnchoredNeedsARegisteredModel() external {
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryUnknownModel.selector, keccak256("z")));
        _mark(registry, keccak256("z"), BLOCK);
    }

    function test_markAnchoredNeedsTheModelsHashAsPayload() external {
        relay.setAnchor(CHILD, address(0xACC), 10, BLOCK, 3);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryPayloadMismatch.selector, BASE, CHILD));
        _mark(registry, BASE, BLOCK);
    }

    function test_markAnchoredRecordsTheAnchorAndItsStatusIsReadLive() external {
        relay.setAnchor(BASE, address(0xACC), 10, BLOCK, 3);
        vm.expectEmit(address(registry));
        emit IModelRegistry.ModelAnchored(BASE, BLOCK, address(0xACC), 10, 3, 300);
        _mark(registry, BASE, BLOCK);

        (IModelRegistry.Anchor memory a, uint256 confirmations, uint256 work, bool proven, bool isFinal) =
            registry.anchorStatus(BASE);
        assertEq(a.blockHash, BLOCK);
        assertEq(a.account, address(0xACC));
        assertEq(a.height, 10);
        assertEq(confirmations, 3);
        assertEq(work, 300);
        assertTrue(proven);
        assertFalse(isFinal); // final only a day after its mark
        assertEq(registry.anchorOf(BASE).blockHash, BLOCK);

        vm.warp(block.timestamp + registry.ANCHOR_DELAY());
        relay.setBlock(BLOCK, 1, 100); // below the relay's two confirmations now
        (,,, proven, isFinal) = registry.anchorStatus(BASE);
        assertFalse(proven);
        assertTrue(isFinal);
        (, confirmations,,,) = registry.anchorStatus(CHILD); // never marked
        assertEq(confirmations, 0);
    }

    function test_onTheMainChainOnlyALowerHeightMarksAgain() external {
        relay.setAnchor(BASE, address(0xACC), 10, BLOCK, 3);
        _mark(registry, BASE, BLOCK);
        bytes32 other = keccak256("other block");
        relay.setAnchor(BASE, address(0xE71), 10, other, 3);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryAnchorNotStronger.selector, BASE, 10, 10));
        _mark(registry, BASE, other);

        relay.setAnchor(BASE, address(0xE71), 9, other, 4);
        _mark(registry, BASE, other);
        assertEq(registry.anchorOf(BASE).account, address(0xE71));
        assertEq(registry.anchorOf(BASE).height, 9);
    }

    /// @dev Once final (a day after its mark) and off the main chain, the record is its account's.
    function test_aFinalRecordOffTheMainChainIsMarkedAgainOnlyByItsAccount() external {
        relay.setAnchor(BASE, address(0xACC), 10, BLOCK, 3);
        _mark(registry, BASE, BLOCK);
        uint32 markedAt = registry.anchorOf(BASE).markedAt;
        vm.warp(block.timestamp + registry.ANCHOR_DELAY());
        relay.setBlock(BLOCK, 0, 0); // the recorded block left the main chain
        bytes32 other = keccak256("other block");
        relay.setAnchor(BASE, address(0xE71), 20, other, 3);
        vm.expectRevert(abi.encodeWithSelector(IModelRegistry.ModelRegistryAnchorHeld.selector, BASE, address(0xACC)));
        _mark(registry, BASE, other);

        relay.setAnchor(BASE, address(0xACC), 20, other, 3); // its own anchor, mined again elsewhere
        _mark(registry, BASE, other);
        assertEq(registry.anchorOf(BASE).blockHash, other);
        assertEq(registry.anchorOf(BASE).height, 20);
        assertEq(registry.anchorOf(BASE).markedAt, markedAt); // its delay keeps running
    }

    /// @dev Before it is final, a record whose block left the main chain goes to any proof.
    function test_aPendingRecordOffTheMainChainGoesToAnyProof() external {
        relay.setAnchor(BASE, address(0xACC), 10, BLOCK, 3);
        _mark(registry, BASE, BLOCK);
        relay.setBlock(BLOCK, 0, 0);
        bytes32 other = keccak256("other block");
        relay.setAnchor(BASE, address(0xE71), 20, other, 3);
        _mark(registry, BASE, other);
        assertEq(registry.anchorOf(BASE).account, address(0xE71));
    }

    function _mark(ModelRegistry r, bytes32 model, bytes32 blockHash) internal {
        r.markAnchored(model, "", blockHash, 0, new bytes32[](0));
    }
}
