// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILedgerRelay} from "./interfaces/ILedgerRelay.sol";
import {LedgerAnchor} from "./libraries/LedgerAnchor.sol";
import {LedgerHeader} from "./libraries/LedgerHeader.sol";
import {LedgerMerkle} from "./libraries/LedgerMerkle.sol";
import {RelayRecord} from "./libraries/RelayRecord.sol";

/// @title LedgerRelay
/// @notice The EVM's view of the bundled proof-of-work ledger (or, with Bitcoin's parameters,
/// of Bitcoin): headers checked as offchain/ledger checks them, fork choice by cumulative work,
/// and Merkle proofs of transactions on the main chain.
/// @dev Checked per header: the link to its parent, the bits the retargeting rule demands
/// (Bitcoin Core's off-by-one and x4 clamp), a valid compact encoding no easier than the limit,
/// a double SHA-256 at or below the target, a version no lower than `minVersion`, and BIP94's
/// limit on a period's first block stamped below its parent (the devnet's time-warp rule). NOT checked, though the Python ledger checks them:
///  - median time past (a time above the median of the previous 11): it needs eleven stored
///    times per branch, and a relay's safety rests on work, not clocks; times only steer the
///    retarget, whose result is checked and clamped x4 per period;
///  - a time at most 2 hours ahead of the clock: that rule depends on when a node looks, and
///    a relay never forgets a header, so it would make acceptance depend on the relayer's timing;
///  - version floors by height (BIP34/66/65): one floor, `minVersion`, holds for every header after
///    the checkpoint, exact for a Bitcoin checkpoint past 388,381 (where all three are active);
///  - block bodies (coinbase, maturity, signatures, fees, balances, Merkle mutation): a relay sees headers only
///    and trusts that the heaviest chain is valid, as an SPV client does; ask for confirmations.
/// As in the ledger, equal work keeps the tip seen first. The checkpoint given to the constructor
/// is trusted, and nothing before it is known. Limits: a reorganisation is done by the batch that
/// makes the other branch heavier, at roughly 35k gas per block of depth (disconnected blocks get
/// links, the main index is rewritten), so one deeper than a transaction's gas (some 800 blocks at
/// 30M gas) cannot be relayed; building on a main block below the tip sums work back from the tip.
/// Storage (one record per header, the main chain two heights per word) keeps a header under
/// 45k gas in batches: blocks are keyed by a 128-bit digest of their hash, keccak256(hash)'s
/// first 16 bytes, and records keep the merkle root's first 16 bytes; forging either takes a
/// 2^128 second-preimage search (a collision between two of one's own headers, 2^64 searches
/// each needing proof of work, gains nothing: both blocks are the attacker's).
contract LedgerRelay is ILedgerRelay {
    // Layouts of a record and a link (side blocks only): see RelayRecord.
    mapping(bytes16 => uint256) private _records;
    mapping(bytes16 => uint256) private _links;
    mapping(uint256 => uint256) private _main; // height / 2 -> keys at the even (high) and odd height
    bytes32 private _tipHash;
    uint256 private _tipWork;

    /// @notice Blocks per difficulty period (Bitcoin: 2016).
    uint256 public immutable retargetInterval;
    /// @notice Intended seconds per period (Bitcoin: 1,209,600).
    uint256 public immutable targetTimespan;
    /// @notice The easiest target allowed.
    uint256 public immutable powLimit;
    /// @notice The chain's four magic bytes, bound into every ledger signature.
    bytes4 public immutable magic;
    /// @notice Confirmations {verifyTx} and {verifyAnchor} require.
    uint256 public immutable minConfirmations;
    /// @notice BIP94: how far below its parent a period's first block may be stamped (max: no rule).
    uint256 public immutable maxTimewarp;
    /// @notice The least version a header may carry.
    uint32 public immutable minVersion;

    /// @param checkpoint a trusted 80-byte header; @param height its height; @param chainWork work up
    /// to and including it; @param periodStartTime time of the first block of its difficulty period
    constructor(
        bytes memory checkpoint,
        uint32 height,
        uint256 chainWork,
        uint32 periodStartTime,
        Consensus memory consensus,
        uint256 confirmationsRequired
    ) {
        (uint256 interval, uint256 timespan, uint256 limit) =
            (consensus.retargetInterval, consensus.targetTimespan, consensus.powLimit);
        // limit * 4 * timespan must fit a word (the retarget multiplies before dividing).
        if (interval == 0 || timespan < 4 || limit == 0 || limit > type(uint256).max / (4 * timespan)) {
            revert LedgerRelayBadParameters();
        }
        if (confirmationsRequired == 0) revert LedgerRelayBadParameters();
        if (checkpoint.length != LedgerHeader.SIZE || chainWork == 0 || chainWork >> 128 != 0) {
            revert LedgerRelayBadCheckpoint();
        }
        (retargetInterval, targetTimespan, powLimit, magic, minConfirmations) =
            (interval, timespan, limit, consensus.magic, confirmationsRequired);
        (maxTimewarp, minVersion) = (consensus.maxTimewarp, consensus.minVersion);
        bytes32 hash = _storeCheckpoint(checkpoint, height, periodStartTime, interval, limit);
        (_tipHash, _tipWork) = (hash, chainWork);
        emit HeadersAdded(hash, 1, hash, height);
    }

    /// @inheritdoc ILedgerRelay
    function submitHeaders(bytes calldata headers) external {
        uint256 count = headers.length / LedgerHeader.SIZE;
        if (count == 0 || headers.length % LedgerHeader.SIZE != 0) revert LedgerRelayBadLength(headers.length);
        (bytes32 oldTip, uint256 oldWork) = (_tipHash, _tipWork);
        bytes32 hash = LedgerHeader.word(headers, 4);
        bytes16 key = _key(hash);
        uint256 record = _records[key];
        if (record == 0) revert LedgerRelayUnknownParent(hash);
        bool extendsTip = hash == oldTip;
        uint256 work = extendsTip ? oldWork : _workOf(key, record, oldTip, oldWork);
        for (uint256 i; i < count; ++i) {
            bytes calldata header = headers[i * LedgerHeader.SIZE:(i + 1) * LedgerHeader.SIZE];
            if (LedgerHeader.word(header, 4) != hash) revert LedgerRelayBrokenLink(i);
            bytes16 parentKey = key;
            (hash, record, work) = _check(i, header, record, work);
            key = _key(hash);
            if (_records[key] != 0) continue; // already stored (a resubmission): nothing to write
            _records[key] = record;
            if (extendsTip) _setMain(RelayRecord.height(record), key);
            else _links[key] = RelayRecord.link(parentKey, work);
        }
        if (extendsTip) {
            (_tipHash, _tipWork) = (hash, work);
        } else if (work > oldWork) {
            _reorganize(oldTip, oldWork, hash, work);
        }
        (bytes32 tip, uint256 tipHeight,) = bestTip();
        emit HeadersAdded(hash, count, tip, tipHeight);
    }

    /// @inheritdoc ILedgerRelay
    function bestTip() public view returns (bytes32 blockHash, uint256 height, uint256 chainWork) {
        blockHash = _tipHash;
        return (blockHash, RelayRecord.height(_records[_key(blockHash)]), _tipWork);
    }

    /// @inheritdoc ILedgerRelay
    function confirmations(bytes32 blockHash) public view returns (uint256) {
        bytes16 key = _key(blockHash);
        uint256 record = _records[key];
        if (record == 0 || _mainKey(RelayRecord.height(record)) != key) return 0; // heights above the tip hold 0
        return RelayRecord.height(_records[_key(_tipHash)]) - RelayRecord.height(record) + 1;
    }

    /// @inheritdoc ILedgerRelay
    function heightOf(bytes32 blockHash) external view returns (bool known, uint256 height) {
        uint256 record = _records[_key(blockHash)];
        return (record != 0, RelayRecord.height(record));
    }

    /// @inheritdoc ILedgerRelay
    function verifyTx(bytes32 txid, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        public
        view
        returns (bool)
    {
        if (confirmations(blockHash) < minConfirmations) return false;
        (bytes32 root, bool inTree) = LedgerMerkle.root(txid, index, branch);
        return inTree && bytes16(root) == RelayRecord.root(_records[_key(blockHash)]);
    }

    /// @inheritdoc ILedgerRelay
    /// @dev The transaction is proven by its bytes, never 64 long, so no inner Merkle node can pose as it.
    function verifyAnchor(bytes calldata txBytes, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        external
        view
        returns (bytes32 payload, address account)
    {
        return _verifyAnchor(txBytes, blockHash, index, branch);
    }

    /// @inheritdoc ILedgerRelay
    function provenAnchor(bytes calldata txBytes, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        external
        view
        returns (bytes32 payload, address account, uint256 height, uint256 blockConfirmations)
    {
        (payload, account) = _verifyAnchor(txBytes, blockHash, index, branch);
        blockConfirmations = confirmations(blockHash);
        height = RelayRecord.height(_records[_key(_tipHash)]) + 1 - blockConfirmations; // on the main chain
    }

    /// @dev {verifyAnchor}'s body.
    function _verifyAnchor(bytes calldata txBytes, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        private
        view
        returns (bytes32 payload, address account)
    {
        if (!LedgerAnchor.wellFormed(txBytes)) revert LedgerRelayMalformedAnchor();
        bytes32 txid = LedgerHeader.hash256(txBytes);
        if (!verifyTx(txid, blockHash, index, branch)) revert LedgerRelayUnproven(txid, blockHash);
        account = LedgerAnchor.signer(txBytes, magic);
        if (account == address(0)) revert LedgerRelayMalformedAnchor();
        return (LedgerAnchor.payload(txBytes), account);
    }

    /// @dev Checks header `i` against its parent's record; returns its hash, record and chain work.
    function _check(uint256 i, bytes calldata header, uint256 parent, uint256 parentWork)
        private
        view
        returns (bytes32 hash, uint256 record, uint256 work)
    {
        uint32 version = LedgerHeader.u32(header, 0);
        if (version < minVersion) revert LedgerRelayBadVersion(i, version); // unsigned, as the ledger reads it
        uint32 bits = LedgerHeader.u32(header, 72);
        uint32 expected = _expectedBits(parent);
        if (bits != expected) revert LedgerRelayUnexpectedBits(i, bits, expected);
        (uint256 target, bool valid) = LedgerHeader.target(bits);
        if (!valid || target > powLimit) revert LedgerRelayInvalidBits(i, bits);
        hash = LedgerHeader.hash256(header);
        if (LedgerHeader.hashValue(hash) > target) revert LedgerRelayInsufficientWork(i, hash);
        work = parentWork + LedgerHeader.work(target);
        record = _childRecord(header, parent, bits);
        if ((RelayRecord.height(parent) + 1) % retargetInterval == 0) {
            _checkTimewarp(i, RelayRecord.time(record), RelayRecord.time(parent));
        }
    }

    /// @dev BIP94: a period's first block stamped far below its parent would make the next span look long.
    function _checkTimewarp(uint256 i, uint32 time, uint32 parentTime) private view {
        if (parentTime > maxTimewarp && time < parentTime - maxTimewarp) {
            revert LedgerRelayTimeWarp(i, time, parentTime);
        }
    }

    /// @dev `GetNextWorkRequired`: the parent's bits, or a retarget where a period starts.
    function _expectedBits(uint256 parent) private view returns (uint32) {
        if ((RelayRecord.height(parent) + 1) % retargetInterval != 0) return RelayRecord.bits(parent);
        return LedgerHeader.nextBits(
            RelayRecord.bits(parent), RelayRecord.periodStart(parent), RelayRecord.time(parent), targetTimespan, powLimit
        );
    }

    function _childRecord(bytes calldata header, uint256 parent, uint32 bits) private view returns (uint256) {
        uint32 height = RelayRecord.height(parent) + 1;
        uint32 time = LedgerHeader.u32(header, 68);
        uint32 start = height % retargetInterval == 0 ? time : RelayRecord.periodStart(parent);
        return RelayRecord.pack(LedgerHeader.word(header, 36), height, time, bits, start);
    }

    /// @dev Chain work up to a stored block: kept for side blocks, summed back from the tip for main ones.
    function _workOf(bytes16 key, uint256 record, bytes32 tip, uint256 tipWork) private view returns (uint256 work) {
        uint256 height = RelayRecord.height(record);
        if (_mainKey(height) != key) return RelayRecord.work(_links[key]);
        work = tipWork;
        for (uint256 h = RelayRecord.height(_records[_key(tip)]); h > height; --h) {
            work -= _blockWork(_mainKey(h)); // bounded by the depth below the tip the caller builds on
        }
    }

    /// @dev Makes the branch ending at `newTip` the main chain: the old blocks above the fork get links
    /// (they are side blocks now), the index is rewritten up to the new tip and cleared above it.
    function _reorganize(bytes32 oldTip, uint256 oldWork, bytes32 newTip, uint256 newWork) private {
        uint256 oldHeight = RelayRecord.height(_records[_key(oldTip)]);
        bytes16 key = _key(newTip);
        uint256 newHeight = RelayRecord.height(_records[key]);
        uint256 fork = newHeight;
        for (; fork > oldHeight || _mainKey(fork) != key; --fork) {
            key = RelayRecord.parent(_links[key]); // every side block has a link (the walk ends at the fork)
        }
        uint256 work = oldWork;
        for (uint256 h = oldHeight; h > fork; --h) {
            bytes16 old = _mainKey(h);
            if (_links[old] == 0) _links[old] = RelayRecord.link(_mainKey(h - 1), work);
            work -= _blockWork(old);
        }
        key = _key(newTip);
        for (uint256 h = newHeight; h > fork; --h) {
            _setMain(h, key);
            key = RelayRecord.parent(_links[key]);
        }
        for (uint256 h = newHeight + 1; h <= oldHeight; ++h) {
            _setMain(h, 0);
        }
        (_tipHash, _tipWork) = (newTip, newWork);
        emit ChainReorganized(oldTip, newTip, fork);
    }

    /// @dev Stores the trusted checkpoint as the first main-chain block; returns its hash.
    function _storeCheckpoint(bytes memory checkpoint, uint32 height, uint32 periodStart, uint256 interval, uint256 limit)
        private
        returns (bytes32 hash)
    {
        uint32 time = uint32(_le32(checkpoint, 68));
        uint32 bits = uint32(_le32(checkpoint, 72));
        (uint256 target, bool valid) = LedgerHeader.target(bits);
        if (!valid || target > limit || (height % interval == 0 && periodStart != time)) {
            revert LedgerRelayBadCheckpoint();
        }
        hash = LedgerHeader.hash256Memory(checkpoint);
        bytes16 key = _key(hash);
        bytes32 root;
        assembly ("memory-safe") {
            root := mload(add(checkpoint, 68)) // 32 (length word) + 36 (version, prev)
        }
        _records[key] = RelayRecord.pack(root, height, time, bits, periodStart);
        _setMain(height, key);
    }

    function _setMain(uint256 height, bytes16 key) private {
        uint256 word = _main[height >> 1];
        _main[height >> 1] = height & 1 == 0
            ? (word & type(uint128).max) | (uint256(uint128(key)) << 128)
            : (word & ~uint256(type(uint128).max)) | uint128(key);
    }

    function _mainKey(uint256 height) private view returns (bytes16) {
        uint256 word = _main[height >> 1];
        return bytes16(bytes32(height & 1 == 0 ? word : word << 128));
    }

    function _blockWork(bytes16 key) private view returns (uint256) {
        return LedgerHeader.work(LedgerHeader.storedTarget(RelayRecord.bits(_records[key])));
    }

    function _key(bytes32 blockHash) private pure returns (bytes16 key) {
        assembly ("memory-safe") {
            mstore(0x00, blockHash) // scratch space: no allocation per header
            key := and(keccak256(0x00, 0x20), not(sub(shl(128, 1), 1)))
        }
    }

    function _le32(bytes memory data, uint256 offset) private pure returns (uint256 v) {
        for (uint256 i; i < 4; ++i) {
            v |= uint256(uint8(data[offset + i])) << (8 * i);
        }
    }
}
