// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "forge-std/Base.sol";
import {StdAssertions} from "forge-std/StdAssertions.sol";
import {Vm} from "forge-std/Vm.sol";
import {ILedgerRelay} from "../../../contracts/interfaces/ILedgerRelay.sol";
import {LedgerRelay} from "../../../contracts/LedgerRelay.sol";
import {LedgerHeader} from "../../../contracts/libraries/LedgerHeader.sol";
import {HeaderMiner} from "./HeaderMiner.sol";

/// @notice The relay's constructor refusals, time rules, retargets, Merkle depth proofs and a
/// reorganisation longer than one step, each with its error, event or values.
/// @dev Consensus as the campaigns' (no retarget, bits 0x2003ffff) but with Bitcoin's two-hour
/// future limit; a checkpoint at genesis, so the median-time rule applies from the first header.
contract LedgerRelayTest is TestBase, StdAssertions, HeaderMiner {
    bool public IS_TEST = true;

    bytes4 internal constant MAGIC = bytes4("fuzz");
    uint32 internal constant T0 = 1_700_000_000;
    LedgerRelay internal relay;
    bytes internal checkpoint;
    bytes32 internal genesis;

    function setUp() external {
        vm.warp(T0);
        checkpoint = _header(0, bytes32(0), bytes32(0), T0, BITS, 0);
        relay = new LedgerRelay(checkpoint, 0, LedgerHeader.work(LIMIT), T0, _consensus(), 2);
        genesis = LedgerHeader.hash256Memory(checkpoint);
    }

    function _consensus() internal pure returns (ILedgerRelay.Consensus memory) {
        return ILedgerRelay.Consensus(1e9, 4, LIMIT, MAGIC, 600, 1, 7200, 12);
    }

    // ------------------------------------------------------------------ construction

    function test_theConstructorRefusesEachBadParameter() external {
        for (uint256 i; i < 7; ++i) {
            ILedgerRelay.Consensus memory c = _consensus();
            uint256 confirmations = 2;
            if (i == 0) c.retargetInterval = 0;
            if (i == 1) c.targetTimespan = 3;
            if (i == 2) c.powLimit = 0;
            if (i == 3) c.powLimit = type(uint256).max / (16 * c.targetTimespan) + 1; // the retarget would overflow
            if (i == 4) c.maxFuture = uint256(type(uint32).max) + 1;
            if (i == 5) c.evmBlockSeconds = uint256(type(uint32).max) + 1;
            if (i == 6) confirmations = 0;
            vm.expectRevert(ILedgerRelay.LedgerRelayBadParameters.selector);
            new LedgerRelay(checkpoint, 0, 1, T0, c, confirmations);
        }
    }

    function test_theConstructorRefusesEachBadCheckpoint() external {
        bytes[6] memory headers = [
            new bytes(79), // not a header
            checkpoint, // with no chain work
            checkpoint, // with chain work past 128 bits
            _header(0, bytes32(0), bytes32(0), T0, 0x20800000, 0), // bits with the sign bit: invalid
            _header(0, bytes32(0), bytes32(0), T0, 0x2100ffff, 0), // a target easier than the limit
            checkpoint // a period's first block whose period starts at another time
        ];
        uint256[6] memory work = [uint256(1), 0, 1 << 128, 1, 1, 1];
        for (uint256 i; i < headers.length; ++i) {
            vm.expectRevert(ILedgerRelay.LedgerRelayBadCheckpoint.selector);
            new LedgerRelay(headers[i], 0, work[i], i == 5 ? T0 - 1 : T0, _consensus(), 2);
        }
    }

    function test_theCheckpointIsTheFirstTip() external view {
        (bytes32 tip, uint256 height, uint256 work) = relay.bestTip();
        assertEq(tip, genesis);
        assertEq(height, 0);
        assertEq(work, LedgerHeader.work(LIMIT));
        assertEq(relay.checkpointHeight(), 0);
        assertEq(relay.clock(), T0);
    }

    // ------------------------------------------------------------------ time rules

    function test_aHeaderTooFarAheadOfTheClockIsRefused() external {
        bytes memory late = _mine(genesis, 0, T0 + 7201, BITS, 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRelay.LedgerRelayTimeTooNew.selector, 0, T0 + 7201, T0 + 7200));
        relay.submitHeaders(late);
        relay.submitHeaders(_mine(genesis, 0, T0 + 7200, BITS, 1)); // exactly the limit
    }

    function test_aHeaderAtOrBelowTheMedianTimePastIsRefused() external {
        (bytes memory batch, bytes32 tip) = _chain(genesis, 3, T0 + 10, 10, 1); // times T0 .. T0 + 30
        relay.submitHeaders(batch);
        // The median of four times is the upper middle one, T0 + 20 (Core's times[n / 2], sorted).
        bytes memory old = _mine(tip, 0, T0 + 20, BITS, 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRelay.LedgerRelayTimeTooOld.selector, 0, T0 + 20, T0 + 20));
        relay.submitHeaders(old);
        relay.submitHeaders(_mine(tip, 0, T0 + 21, BITS, 1)); // below its parent, above the median
    }

    /// @dev A relay retargeting every 4 blocks (4-second span): the periods here run long, so each
    /// retarget clamps at the limit and the bits stay; the fourth block starts a period.
    function test_aPeriodsFirstBlockFarBelowItsParentIsATimeWarp() external {
        ILedgerRelay.Consensus memory c = _consensus();
        c.retargetInterval = 4;
        LedgerRelay r = new LedgerRelay(checkpoint, 0, LedgerHeader.work(LIMIT), T0, c, 2);
        (bytes memory batch, bytes32 tip) = _chain(genesis, 3, T0 + 1000, 1000, 2); // heights 1 to 3
        r.submitHeaders(batch);
        bytes memory warped = _mine(tip, 0, T0 + 3000 - 601, BITS, 1); // 601 s below its parent, limit 600
        vm.expectRevert(abi.encodeWithSelector(ILedgerRelay.LedgerRelayTimeWarp.selector, 0, T0 + 2399, T0 + 3000));
        r.submitHeaders(warped);

        bytes memory fine = _mine(tip, 0, T0 + 3000 - 600, BITS, 1);
        r.submitHeaders(fine); // height 4: the retarget demanded the limit's bits again
        (, uint256 height,) = r.bestTip();
        assertEq(height, 4);
    }

    function test_aRetargetDemandsItsBits() external {
        ILedgerRelay.Consensus memory c = _consensus();
        c.retargetInterval = 4;
        LedgerRelay r = new LedgerRelay(checkpoint, 0, LedgerHeader.work(LIMIT), T0, c, 2);
        (bytes memory batch, bytes32 tip) = _chain(genesis, 3, T0 + 1, 1, 3);
        r.submitHeaders(batch);
        // Three seconds for a 4-second span: the next target is 3/4 of the limit's.
        uint32 expected = LedgerHeader.compact(LIMIT * 3 / 4);
        bytes memory stale = _mine(tip, 0, T0 + 4, BITS, 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRelay.LedgerRelayUnexpectedBits.selector, 0, BITS, expected));
        r.submitHeaders(stale);
        r.submitHeaders(_mine(tip, 0, T0 + 4, expected, 1));
    }

    // ------------------------------------------------------------------ work and depth

    function test_confirmationWorkSumsTheBlocksFromItToTheTip() external {
        (bytes memory batch,) = _chain(genesis, 3, T0 + 60, 60, 4);
        relay.submitHeaders(batch);
        bytes32 first = LedgerHeader.hash256Memory(_slice(batch, 0));
        assertEq(relay.confirmations(first), 3);
        assertEq(relay.confirmationWork(first), 3 * LedgerHeader.work(LIMIT));
        assertEq(relay.confirmationWork(keccak256("unknown")), 0);
    }

    function test_aMerkleDepthIsProvenOnce() external {
        bytes memory txBytes = "a transaction of the ledger";
        bytes memory header = _mine(genesis, LedgerHeader.hash256Memory(txBytes), T0 + 60, BITS, 1);
        relay.submitHeaders(header);
        bytes32 blockHash = LedgerHeader.hash256Memory(header);
        (bool proven, uint256 depth) = relay.merkleDepth(blockHash);
        assertFalse(proven);

        vm.expectEmit(address(relay));
        emit ILedgerRelay.MerkleDepthProven(blockHash, 0);
        relay.proveMerkleDepth(txBytes, blockHash, 0, new bytes32[](0));
        (proven, depth) = relay.merkleDepth(blockHash);
        assertTrue(proven);
        assertEq(depth, 0);

        vm.recordLogs();
        relay.proveMerkleDepth(txBytes, blockHash, 0, new bytes32[](0)); // again: nothing to record
        assertEq(vm.getRecordedLogs().length, 0);
    }

    function test_aMerkleDepthProofMustHold() external {
        bytes memory txBytes = "a transaction of the ledger";
        bytes32 txid = LedgerHeader.hash256Memory(txBytes);
        vm.expectRevert(ILedgerRelay.LedgerRelayInnerNodeSize.selector);
        relay.proveMerkleDepth(new bytes(64), genesis, 0, new bytes32[](0));
        vm.expectRevert(abi.encodeWithSelector(ILedgerRelay.LedgerRelayUnproven.selector, txid, genesis));
        relay.proveMerkleDepth(txBytes, genesis, 0, new bytes32[](0)); // not the checkpoint's root
        vm.expectRevert(abi.encodeWithSelector(ILedgerRelay.LedgerRelayUnproven.selector, txid, keccak256("x")));
        relay.proveMerkleDepth(txBytes, keccak256("x"), 0, new bytes32[](0)); // no such block
    }

    function test_anAnchorMustBeWellFormedAndSigned() external {
        // kind 2 | nonce | fee | payload | tag "t" | r = 0 | s = 0 | v = 0: no signer recovers
        bytes memory unsigned = abi.encodePacked(uint8(2), uint64(0), uint64(0), keccak256("p"), uint8(1), "t");
        bytes memory anchor = abi.encodePacked(unsigned, bytes32(0), bytes32(0), uint8(0));
        bytes memory header = _mine(genesis, LedgerHeader.hash256Memory(anchor), T0 + 60, BITS, 1);
        bytes32 blockHash = LedgerHeader.hash256Memory(header);
        (bytes memory onTop,) = _chain(blockHash, 2, T0 + 120, 60, 5);
        relay.submitHeaders(bytes.concat(header, onTop));
        vm.expectRevert(ILedgerRelay.LedgerRelayMalformedAnchor.selector);
        relay.verifyAnchor(anchor, blockHash, 0, new bytes32[](0));
        vm.expectRevert(ILedgerRelay.LedgerRelayMalformedAnchor.selector);
        relay.verifyAnchor(unsigned, blockHash, 0, new bytes32[](0)); // no signature at all
    }

    function test_aMalformedAnchorIsRefusedBeforeAnyProof() external {
        bytes memory signature = abi.encodePacked(bytes32(uint256(1)), bytes32(uint256(1)), uint8(0));
        bytes[3] memory bad = [
            abi.encodePacked(uint8(3), uint64(0), uint64(0), keccak256("p"), uint8(1), "t", signature), // kind 3
            abi.encodePacked(uint8(2), uint64(0), uint64(0), keccak256("p"), uint8(2), "t", signature), // tag length 2
            abi.encodePacked(uint8(2), uint64(0), uint64(0), keccak256("p"), uint8(1), "!", signature) // a tag character
        ];
        for (uint256 i; i < bad.length; ++i) {
            assertEq(bad[i].length, 116); // a one-character tag's size: only the named field is wrong
            vm.expectRevert(ILedgerRelay.LedgerRelayMalformedAnchor.selector);
            relay.verifyAnchor(bad[i], genesis, 0, new bytes32[](0));
        }
    }

    /// @dev A block of two transactions: the root is hash256(a || b), each proven by the other.
    function test_aTwoTransactionBlockProvesEachByItsSibling() external {
        bytes memory a = "transaction a";
        bytes memory b = "transaction b";
        (bytes32 ida, bytes32 idb) = (LedgerHeader.hash256Memory(a), LedgerHeader.hash256Memory(b));
        bytes memory header = _mine(genesis, LedgerHeader.hash256Memory(bytes.concat(ida, idb)), T0 + 60, BITS, 1);
        (bytes memory onTop,) = _chain(LedgerHeader.hash256Memory(header), 1, T0 + 120, 60, 8);
        relay.submitHeaders(bytes.concat(header, onTop));
        bytes32 blockHash = LedgerHeader.hash256Memory(header);
        bytes32[] memory branch = new bytes32[](1);

        branch[0] = idb;
        relay.proveMerkleDepth(a, blockHash, 0, branch);
        (, uint256 depth) = relay.merkleDepth(blockHash);
        assertEq(depth, 1);
        assertTrue(relay.verifyTx(ida, blockHash, 0, branch));
        branch[0] = ida;
        assertTrue(relay.verifyTx(idb, blockHash, 1, branch));
        assertFalse(relay.verifyTx(idb, blockHash, 3, branch)); // a position past the branch's depth
        assertFalse(relay.verifyTx(idb, blockHash, 0, branch)); // the wrong side
        assertFalse(relay.verifyTx(LedgerHeader.hash256Memory(bytes.concat(ida, idb)), blockHash, 0, new bytes32[](0)));
    }

    // ------------------------------------------------------------------ reorganisations

    function test_resumeNeedsAPendingReorganization() external {
        (bool pending, uint256 cursor) = relay.reorganizing();
        assertFalse(pending);
        assertEq(cursor, 0);
        vm.expectRevert(ILedgerRelay.LedgerRelayNotReorganizing.selector);
        relay.resumeReorganization();
    }

    /// @dev A main chain of REORG_STEP + 1 blocks outgrown from genesis: the first step rewrites
    /// REORG_STEP heights, and until a resume ends it nothing is confirmed and nothing is accepted.
    function test_aReorganizationLongerThanAStepIsResumed() external {
        uint256 n = relay.REORG_STEP() + 1;
        (bytes memory main, bytes32 oldTip) = _chain(genesis, n, T0 + 1, 1, 6);
        relay.submitHeaders(main);
        bytes32 oldFirst = LedgerHeader.hash256Memory(_slice(main, 0));
        (bytes memory fork, bytes32 newTip) = _chain(genesis, n + 1, T0 + 1, 1, 7);

        vm.expectEmit(address(relay));
        emit ILedgerRelay.ReorganizationStarted(oldTip, newTip);
        relay.submitHeaders(fork);

        (bool pending, uint256 cursor) = relay.reorganizing();
        assertTrue(pending);
        assertEq(cursor, n + 1 - relay.REORG_STEP()); // rewritten from n + 1 down, REORG_STEP heights
        assertEq(relay.confirmations(newTip), 0); // nothing confirmed while the index is rewritten
        assertEq(relay.confirmationWork(newTip), 0);
        bytes memory next = _mine(newTip, 0, T0 + uint32(n) + 2, BITS, 1);
        vm.expectRevert(abi.encodeWithSelector(ILedgerRelay.LedgerRelayReorganizing.selector, cursor));
        relay.submitHeaders(next);

        vm.expectEmit(address(relay));
        emit ILedgerRelay.ChainReorganized(oldTip, newTip, 0);
        relay.resumeReorganization();
        (pending,) = relay.reorganizing();
        assertFalse(pending);
        (bytes32 tip, uint256 height,) = relay.bestTip();
        assertEq(tip, newTip);
        assertEq(height, n + 1);
        assertEq(relay.confirmations(oldFirst), 0); // a side block now
        assertEq(relay.confirmations(LedgerHeader.hash256Memory(_slice(fork, 0))), n + 1);
        relay.submitHeaders(next);
    }

    function _slice(bytes memory batch, uint256 i) internal pure returns (bytes memory header) {
        header = new bytes(80);
        for (uint256 k; k < 80; ++k) {
            header[k] = batch[80 * i + k];
        }
    }
}
