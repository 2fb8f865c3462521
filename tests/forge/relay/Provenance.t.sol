// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Campaign} from "../Campaign.sol";
import {HeaderMiner} from "./HeaderMiner.sol";
import {ILedgerRelay} from "../../../contracts/interfaces/ILedgerRelay.sol";
import {IModelRegistry} from "../../../contracts/interfaces/IModelRegistry.sol";
import {ITrainingMarket} from "../../../contracts/interfaces/ITrainingMarket.sol";
import {LedgerRelay} from "../../../contracts/LedgerRelay.sol";
import {LedgerHeader} from "../../../contracts/libraries/LedgerHeader.sol";
import {ModelRegistry} from "../../../contracts/ModelRegistry.sol";
import {TrainingMarket} from "../../../contracts/TrainingMarket.sol";

/// @notice Anchors end to end at the Solidity level: a ledger anchor transaction signed here
/// (vm.sign, the ledger's sighash), mined alone in a block (its txid is the Merkle root), two
/// blocks on top; then the relay's proofs, the market's provenance post and the registry's
/// mark. Also each header rule the relay enforces, one refused header each.
contract ProvenanceTest is Campaign, HeaderMiner {
    uint256 internal constant KEY = 0xA11CE;
    bytes4 internal constant MAGIC = bytes4("fuzz");
    uint32 internal constant T0 = 1_700_000_000;

    LedgerRelay internal relay;
    ModelRegistry internal registry;
    TrainingMarket internal market;
    bytes32 internal genesis;
    bytes32 internal base = keccak256("base");
    bytes32 internal train = keccak256("train");

    function setUp() public {
        bytes memory checkpoint = _header(0, bytes32(0), bytes32(0), T0, BITS, 0);
        relay = new LedgerRelay(
            checkpoint, 0, LedgerHeader.work(LIMIT), T0, ILedgerRelay.Consensus(1e9, 4, LIMIT, MAGIC, 600, 1, type(uint32).max, 12), 2
        );
        genesis = LedgerHeader.hash256Memory(checkpoint);
        registry = new ModelRegistry(address(this), address(relay));
        registry.register(base, bytes32(0), keccak256("pretrain"), 5000, "file:///base");
        market = new TrainingMarket(address(registry), ITrainingMarket.Config(1 ether, 2, 100, 500, 1000, 1000, 100));
        registry.grantRole(registry.MARKET_ROLE(), address(market));
        vm.warp(T0);
    }

    function test_anAnchoredTrainingSetIsProvenToTheRelayTheMarketAndTheRegistry() external {
        (bytes memory anchor, bytes32 blockHash) = _anchorBlock(train, 3);

        (bytes32 payload, address account) = relay.verifyAnchor(anchor, blockHash, 0, new bytes32[](0));
        assertEq(payload, train);
        assertEq(account, vm.addr(KEY));
        assertFalse(relay.verifyTx(_hash(anchor), blockHash, 0, new bytes32[](0))); // depth not proven yet
        relay.proveMerkleDepth(anchor, blockHash, 0, new bytes32[](0));
        assertTrue(relay.verifyTx(_hash(anchor), blockHash, 0, new bytes32[](0)));
        assertFalse(relay.verifyTx(_hash(anchor), blockHash, 1, new bytes32[](0))); // no such position
        uint256 id = _postWithProvenance(train, anchor, blockHash);
        assertTrue(market.job(id).trainingSetAnchored);
    }

    function test_aProofOfAnotherPayloadIsRefused() external {
        (bytes memory anchor, bytes32 blockHash) = _anchorBlock(keccak256("other"), 3);
        vm.expectRevert(
            abi.encodeWithSelector(ITrainingMarket.TrainingMarketPayloadMismatch.selector, train, keccak256("other"))
        );
        _postWithProvenance(train, anchor, blockHash);
    }

    function test_anUnconfirmedAnchorIsUnproven() external {
        (bytes memory anchor, bytes32 blockHash) = _anchorBlock(train, 1);
        relay.proveMerkleDepth(anchor, blockHash, 0, new bytes32[](0));
        assertFalse(relay.verifyTx(_hash(anchor), blockHash, 0, new bytes32[](0)));
        vm.expectRevert();
        relay.verifyAnchor(anchor, blockHash, 0, new bytes32[](0));
    }

    function test_theRegistryMarksAnAnchoredModelOnceUnlessAStrongerProofComes() external {
        (bytes memory anchor, bytes32 blockHash) = _anchorBlock(base, 3);
        registry.markAnchored(base, anchor, blockHash, 0, new bytes32[](0));
        IModelRegistry.Anchor memory a = registry.anchorOf(base);
        assertEq(a.blockHash, blockHash);
        assertEq(a.account, vm.addr(KEY));
        vm.expectRevert();
        registry.markAnchored(base, anchor, blockHash, 0, new bytes32[](0)); // not stronger
        vm.expectRevert();
        registry.markAnchored(keccak256("unregistered"), anchor, blockHash, 0, new bytes32[](0));
    }

    function test_theRegistryRefusesWhatItMustRefuse() external {
        assertEq(registry.relay(), address(relay));
        bytes32 role = registry.MARKET_ROLE();
        vm.expectRevert();
        vm.prank(address(0xBAD));
        registry.revokeRole(role, address(market)); // only the administrator (issue 20 item 8: revocable)
        vm.expectRevert();
        registry.recordOf(keccak256("unknown"));
        vm.expectRevert();
        registry.lineage(base, 0);
        vm.expectRevert();
        registry.register(keccak256("x"), keccak256("no parent"), bytes32(0), 1, "");
        vm.expectRevert();
        registry.register(keccak256("x"), bytes32(0), bytes32(0), 10_001, "");
        vm.expectRevert();
        registry.register(bytes32(0), bytes32(0), bytes32(0), 1, "");
    }

    function test_theMarketsViewsAndConfig() external view {
        ITrainingMarket.Config memory c = market.config();
        assertEq(c.minBond, 1 ether);
        assertEq(c.quorum, 2);
        assertEq(market.registry(), address(registry));
        assertEq(market.jobCount(), 0);
        assertEq(market.minBond(), 1 ether);
        assertEq(market.validatorAt(0), address(0));
        assertEq(market.attestationSeal(1, address(this)), bytes32(0));
    }

    function test_eachHeaderRuleRefusesItsHeader() external {
        bytes memory good = _mine(genesis, bytes32(uint256(1)), T0 + 60, BITS, 1);
        // Built first: the precompile calls of mining would meet vm.expectRevert.
        bytes[6] memory bad = [
            new bytes(79), // not a whole header
            _mine(keccak256("nobody"), bytes32(0), T0 + 60, BITS, 1), // unknown parent
            _mine(genesis, bytes32(0), T0 + 60, 0x1f0fffff, 1), // bits the chain does not demand
            _unmined(genesis, T0 + 60), // hash above the target
            _mine(genesis, bytes32(0), T0 + 60, BITS, 0), // version below the floor
            bytes.concat(good, good) // the second does not link to the first
        ];
        for (uint256 i; i < bad.length; ++i) {
            vm.expectRevert();
            relay.submitHeaders(bad[i]);
        }
        relay.submitHeaders(good);
        (bool known, uint256 height) = relay.heightOf(LedgerHeader.hash256Memory(good));
        assertTrue(known);
        assertEq(height, 1);
    }

    // ----- helpers -----

    function _postWithProvenance(bytes32 trainingSet, bytes memory anchor, bytes32 blockHash)
        private
        returns (uint256)
    {
        ITrainingMarket.AnchorProof memory proof = ITrainingMarket.AnchorProof(anchor, blockHash, 0, new bytes32[](0));
        return market.postJobWithProvenance{value: 2 ether}(
            base, trainingSet, keccak256("seal"), keccak256("spec"), 0, _deadlines(), 1 ether, 3, proof
        );
    }

    function _deadlines() private view returns (uint32[4] memory d) {
        for (uint256 i; i < 4; ++i) {
            d[i] = uint32(block.timestamp + 100 * (i + 1));
        }
    }

    /// @dev A block holding only `anchor` of `payload` on the checkpoint, `depth - 1` blocks on top.
    function _anchorBlock(bytes32 payload, uint256 depth) private returns (bytes memory anchor, bytes32 blockHash) {
        anchor = _anchor(payload);
        bytes memory header = _mine(genesis, _hash(anchor), T0 + 60, BITS, 1);
        blockHash = LedgerHeader.hash256Memory(header);
        bytes memory batch = header;
        bytes32 prev = blockHash;
        for (uint256 i = 1; i < depth; ++i) {
            bytes memory next = _mine(prev, bytes32(i), uint32(T0 + 60 + 60 * i), BITS, 1);
            batch = bytes.concat(batch, next);
            prev = LedgerHeader.hash256Memory(next);
        }
        relay.submitHeaders(batch);
    }

    /// @dev offchain/ledger/tx.py's anchor: kind 2 | nonce u64 | fee u64 | payload | tag | r | s | v.
    function _anchor(bytes32 payload) private pure returns (bytes memory) {
        bytes memory unsigned = abi.encodePacked(uint8(2), uint64(0), uint64(0), payload, uint8(1), "t");
        bytes32 digest = sha256(abi.encodePacked(sha256(abi.encodePacked("offchain-ledger-tx", MAGIC, unsigned))));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(KEY, digest);
        return abi.encodePacked(unsigned, r, s, uint8(v - 27));
    }

    function _hash(bytes memory data) private pure returns (bytes32) {
        return LedgerHeader.hash256Memory(data);
    }

    function _unmined(bytes32 prev, uint32 time) private pure returns (bytes memory header) {
        for (uint32 nonce;; ++nonce) {
            header = _header(1, prev, bytes32(0), time, BITS, nonce);
            if (LedgerHeader.hashValue(LedgerHeader.hash256Memory(header)) > LIMIT) return header;
        }
    }
}
