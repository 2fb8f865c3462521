// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {IModelRegistry} from "../../../contracts/interfaces/IModelRegistry.sol";
import {ModelRegistry} from "../../../contracts/ModelRegistry.sol";

/// @notice Publishers register base models and children directly; a market (this handler,
/// holding MARKET_ROLE) records job winners. Ghosts: every hash ever registered, its first
/// record, and which job (0: direct) the registry holds for it.
/// @dev `marketReusesHashes` off: a market records fresh model hashes only (what the market's
/// v2 reveal happens to give when workers publish new weights). On: a winner may be any
/// registered hash, the base model included (issue 20, item 8: overwrites and cycles).
contract RegistryHandler is CommonBase, StdUtils {
    ModelRegistry public immutable registry;
    bool public immutable marketReusesHashes;

    uint256 internal constant MAX_HASHES = 64;

    bytes32[] public hashes;
    mapping(bytes32 => uint256) public writtenByJob; // 0: direct
    mapping(bytes32 => address) public firstPublisher;
    address[3] internal _publishers = [address(0xA11CE), address(0xB0B), address(0xCA401)];
    uint256 internal _nextJob = 1;
    uint256 public stateChangingCalls;
    uint256 public directOverwrites; // a direct register changed an existing record
    uint256 public jobRecordsOverwritten; // issue 20: a market record replaced another job's

    constructor(ModelRegistry registry_, bool marketReusesHashes_) {
        (registry, marketReusesHashes) = (registry_, marketReusesHashes_);
    }

    /// @notice A publisher registers a base model (no parent).
    function registerBase(uint256 who, uint256 salt) external {
        _direct(who, keccak256(abi.encode("base", salt, hashes.length)), bytes32(0), salt);
    }

    /// @notice A publisher registers a model derived from a registered one.
    function registerChild(uint256 who, uint256 parent, uint256 salt) external {
        if (hashes.length == 0) return _direct(who, keccak256(abi.encode("base", salt)), bytes32(0), salt);
        _direct(who, keccak256(abi.encode("child", salt, hashes.length)), hashes[parent % hashes.length], salt);
    }

    /// @notice A publisher tries to register a hash already registered: it must revert and
    /// leave the record as it was.
    function registerAgain(uint256 who, uint256 pick, uint256 parent) external {
        if (hashes.length == 0) return;
        bytes32 h = hashes[pick % hashes.length];
        IModelRegistry.Record memory before = registry.recordOf(h);
        vm.prank(_publishers[who % 3]);
        try registry.register(h, hashes[parent % hashes.length], keccak256("data"), 1, "") {
            ++directOverwrites;
        } catch {}
        IModelRegistry.Record memory afterwards = registry.recordOf(h);
        if (keccak256(abi.encode(before)) != keccak256(abi.encode(afterwards))) ++directOverwrites;
    }

    /// @notice The market records a job's winner as a child of the job's base model.
    function recordWinner(uint256 who, uint256 base, uint256 model, uint16 score) external {
        if (hashes.length == 0) return;
        if (hashes.length >= MAX_HASHES && !marketReusesHashes) return; // bounds the invariants' loops
        bytes32 parent = hashes[base % hashes.length];
        bytes32 h = marketReusesHashes && model % 2 == 0
            ? hashes[model % hashes.length]
            : keccak256(abi.encode("winner", model, hashes.length));
        uint256 job = _nextJob++;
        registry.registerFromMarket(
            h, parent, keccak256("data"), uint16(_bound(score, 0, 10_000)), job, _publishers[who % 3], "uri"
        );
        _remember(h, _publishers[who % 3]);
        // What the registry now holds for h: a record of another job replaced one is an overwrite.
        uint256 held = registry.recordOf(h).jobId;
        if (writtenByJob[h] != 0 && held != writtenByJob[h]) ++jobRecordsOverwritten;
        writtenByJob[h] = held;
        ++stateChangingCalls;
        vm.roll(block.number + 1); // each registration in its own block, as on a chain
    }

    function _direct(uint256 who, bytes32 h, bytes32 parent, uint256 salt) private {
        if (hashes.length >= MAX_HASHES) return; // bounds the invariants' loops
        address publisher = _publishers[who % 3];
        vm.prank(publisher);
        registry.register(h, parent, keccak256(abi.encode("data", salt)), uint16(salt % 10_001), "file:///m");
        _remember(h, publisher);
        ++stateChangingCalls;
        vm.roll(block.number + 1); // a later market record may then rewrite it (issue 10 item 7)
    }

    function _remember(bytes32 h, address publisher) private {
        if (firstPublisher[h] != address(0)) return;
        firstPublisher[h] = publisher;
        hashes.push(h);
    }

    function hashCount() external view returns (uint256) {
        return hashes.length;
    }
}
