// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILedgerRelay} from "./interfaces/ILedgerRelay.sol";
import {LedgerAnchor} from "./libraries/LedgerAnchor.sol";
import {LedgerHeader} from "./libraries/LedgerHeader.sol";
import {LedgerMerkle} from "./libraries/LedgerMerkle.sol";
import {RelayClock} from "./libraries/RelayClock.sol";
import {RelayRecord} from "./libraries/RelayRecord.sol";

/// @title LedgerRelay
/// @notice The EVM's view of the bundled proof-of-work ledger (or, with Bitcoin's parameters,
/// of Bitcoin): headers checked as offchain/ledger checks them, fork choice by cumulative work,
/// and Merkle proofs of transactions on the main chain.
/// @dev Checked per header: the link to its parent, the bits the retargeting rule demands
/// (Bitcoin Core's off-by-one and x4 clamp), a valid compact encoding no easier than the limit,
/// a double SHA-256 at or below the target, a version (read as int32, as Core) no lower than
/// `minVersion`, BIP94's limit on a period's first block stamped below its parent, a time above
/// the median of the previous 11 stored ones (median time past), a time at most `maxFuture`
/// ahead of the relay's clock, and, off the tip, a target at most 16 times the tip's (so cheap
/// low-difficulty branches cannot be stored beside an expensive chain).
/// The relay's clock: min(block.timestamp, C + elapsed EVM blocks * `evmBlockSeconds`), where C is
/// the clock at the previous batch (at deployment: block.timestamp). It trusts that one of the two is
/// not ahead of real time: a dev chain's `chain warp` moves block.timestamp alone and the clock
/// does not follow; a chain that both warps and mines thousands of blocks can move it (a dev chain
/// is trusted by whoever uses it). NOT checked: version floors by height (one floor after the
/// checkpoint), block bodies (the relay trusts that the heaviest chain is valid, as an SPV client).
/// A bare txid proves nothing about its depth, so {verifyTx} holds a branch to the block's Merkle depth,
/// proven once from any transaction's raw bytes ({proveMerkleDepth}).
/// The first 10 headers after a checkpoint other than genesis are checked against fewer than 11 times
/// only where the window is full, so a checkpoint is trusted with its recent past.
/// Reorganisations: a batch that makes another branch heavier moves the tip at once and rewrites
/// the main-chain index top-down, at most REORG_STEP heights per transaction; {resumeReorganization}
/// (anyone) continues it. Until it is done no block reads as confirmed and no header is accepted, so
/// no proof verifies above a pending reorganisation and no branch is too deep to return from.
/// Storage (one record per header, the main chain two heights per word) keeps a header under
/// 45k gas in batches: blocks are keyed by a 128-bit digest of their hash, keccak256(hash)'s
/// first 16 bytes, and records keep the merkle root's first 16 bytes; forging either takes a
/// 2^128 second-preimage search (a collision between two of one's own headers, 2^64 searches
/// each needing proof of work, gains nothing: both blocks are the attacker's).
contract LedgerRelay is ILedgerRelay {
    uint256 private constant MEDIAN_SPAN = 11; // Bitcoin's median-time-past window
    uint256 private constant MIN_WORK_SHIFT = 4; // off the tip, a target at most 2^4 times the tip's
    uint256 private constant PENDING = 1 << 255; // in _tipWork: a reorganisation is under way
    /// @notice Heights of the main-chain index a transaction rewrites at most (about 35k gas each: 7M
    /// in all, so a step and a batch of 20 headers fit the dev chain's 12M-gas blocks).
    uint256 public constant REORG_STEP = 200;

    // Layouts of a record and a link (side blocks only): see RelayRecord.
    mapping(bytes16 => uint256) private _records;
    mapping(bytes16 => uint256) private _links;
    mapping(uint256 => uint256) private _main; // height / 2 -> keys at the even (high) and odd height
    bytes32 private _tipHash;
    uint256 private _tipWork; // bit 255: PENDING; below: the tip's chain work
    uint256 private _clock; // see RelayClock: the clock and the tip's last 11 times
    uint256 private _cursor; // a pending reorganisation: next height (bits 159..128), the new branch's key there
    uint256 private _cursorWork; // a pending reorganisation: the old chain's work at the cursor's height
    bytes32 private _reorgFrom; // a pending reorganisation: the tip it leaves
    mapping(bytes16 => uint256) private _depths; // a block's proven Merkle depth + 1 (0: not proven)

    /// @notice Blocks per difficulty period (Bitcoin: 2016).
    uint256 public immutable retargetInterval;
    /// @notice Intended seconds per period (Bitcoin: 1,209,600).
    uint256 public immutable targetTimespan;
    /// @notice The easiest target allowed.
    uint256 public immutable powLimit;
    /// @notice The chain's four magic bytes, bound into every ledger signature.
    bytes4 public immutable magic;
    /// @inheritdoc ILedgerRelay
    uint256 public immutable minConfirmations;
    /// @notice BIP94: how far below its parent a period's first block may be stamped (max: no rule).
    uint256 public immutable maxTimewarp;
    /// @notice The least version a header may carry (compared as int32).
    uint32 public immutable minVersion;
    /// @notice How far ahead of the relay's clock a header may be stamped.
    uint256 public immutable maxFuture;
    /// @notice The most the relay's clock advances per EVM block.
    uint256 public immutable evmBlockSeconds;
    /// @notice The checkpoint's height: nothing below it is known.
    uint256 public immutable checkpointHeight;

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
        // limit * 16 * timespan must fit a word (the retarget multiplies before dividing; the
        // minimum-work rule multiplies the tip's target by 16).
        if (interval == 0 || timespan < 4 || limit == 0 || limit > type(uint256).max / (16 * timespan)) {
            revert LedgerRelayBadParameters();
        }
        // The clock is kept in 32 bits: both numbers are small (and multiply without overflow).
        if (consensus.maxFuture > type(uint32).max || consensus.evmBlockSeconds > type(uint32).max) {
            revert LedgerRelayBadParameters();
        }
        if (confirmationsRequired == 0) revert LedgerRelayBadParameters();
        if (checkpoint.length != LedgerHeader.SIZE || chainWork == 0 || chainWork >> 128 != 0) {
            revert LedgerRelayBadCheckpoint();
        }
        (retargetInterval, targetTimespan, powLimit, magic, minConfirmations) =
            (interval, timespan, limit, consensus.magic, confirmationsRequired);
        (maxTimewarp, minVersion) = (consensus.maxTimewarp, consensus.minVersion);
        (maxFuture, evmBlockSeconds, checkpointHeight) = (consensus.maxFuture, consensus.evmBlockSeconds, height);
        bytes32 hash = _storeCheckpoint(checkpoint, height, periodStartTime, interval, limit);
        (_tipHash, _tipWork) = (hash, chainWork);
        // The clock starts at the deployment's time, trusted; the window holds the checkpoint alone.
        _clock = RelayClock.initial(block.timestamp, block.number, _le32(checkpoint, 68));
        emit HeadersAdded(hash, 1, hash, height);
    }

    /// @inheritdoc ILedgerRelay
    function submitHeaders(bytes calldata headers) external {
        uint256 count = headers.length / LedgerHeader.SIZE;
        if (count == 0 || headers.length % LedgerHeader.SIZE != 0) revert LedgerRelayBadLength(headers.length);
        (bytes32 oldTip, uint256 oldWork) = (_tipHash, _tipWork);
        if (oldWork & PENDING != 0) revert LedgerRelayReorganizing(_cursorHeight());
        Batch memory b = _startBatch(headers, oldTip, oldWork);
        (bytes32 hash, bytes16 key, uint256 record, uint256 work) = (b.hash, b.key, b.record, b.work);
        for (uint256 i; i < count; ++i) {
            bytes calldata header = headers[i * LedgerHeader.SIZE:(i + 1) * LedgerHeader.SIZE];
            if (LedgerHeader.word(header, 4) != hash) revert LedgerRelayBrokenLink(i);
            bytes16 parentKey = key;
            (hash, record, work) = _check(i, header, record, work, b);
            _checkTime(headers, i, RelayRecord.time(record), b);
            key = _key(hash);
            if (_records[key] != 0) continue; // already stored (a resubmission): nothing to write
            _records[key] = record;
            if (b.extendsTip) {
                _setMain(RelayRecord.height(record), key);
            } else {
                _links[key] = RelayRecord.link(parentKey, work);
                // A branch now the heaviest: its header is the tip the next one is held to (a stored
                // header skipped above was never heavier than the tip, or it would be the tip).
                if (work > oldWork) b.maxTarget = LedgerHeader.storedTarget(RelayRecord.bits(record)) << MIN_WORK_SHIFT;
            }
        }
        (b.hash, b.work) = (hash, work);
        bool moved = b.extendsTip || b.work > oldWork;
        if (b.extendsTip) {
            (_tipHash, _tipWork) = (b.hash, b.work);
        } else if (moved) {
            _startReorganization(oldTip, oldWork, b.hash, b.work);
        }
        // The clock moves to now; the window follows the tip where this batch moved it.
        _clock = moved
            ? RelayClock.pack(b.now, block.number, b.window, headers)
            : RelayClock.setTime(_clock, b.now, block.number);
        (bytes32 tip, uint256 tipHeight,) = bestTip();
        emit HeadersAdded(b.hash, count, tip, tipHeight);
    }

    /// @inheritdoc ILedgerRelay
    function resumeReorganization() external {
        uint256 tipWork = _tipWork;
        if (tipWork & PENDING == 0) revert LedgerRelayNotReorganizing();
        _reorganizeStep(tipWork);
    }

    /// @inheritdoc ILedgerRelay
    function reorganizing() external view returns (bool pending, uint256 cursorHeight) {
        pending = _tipWork & PENDING != 0;
        cursorHeight = pending ? _cursorHeight() : 0;
    }

    /// @inheritdoc ILedgerRelay
    function clock() external view returns (uint256) {
        return RelayClock.clockNow(_clock, evmBlockSeconds);
    }

    /// @inheritdoc ILedgerRelay
    function bestTip() public view returns (bytes32 blockHash, uint256 height, uint256 chainWork) {
        blockHash = _tipHash;
        return (blockHash, RelayRecord.height(_records[_key(blockHash)]), _tipWork & ~PENDING);
    }

    /// @inheritdoc ILedgerRelay
    function confirmations(bytes32 blockHash) public view returns (uint256) {
        if (_tipWork & PENDING != 0) return 0; // the index is being rewritten: nothing is confirmed
        bytes16 key = _key(blockHash);
        uint256 record = _records[key];
        if (record == 0 || _mainKey(RelayRecord.height(record)) != key) return 0; // heights above the tip hold 0
        return RelayRecord.height(_records[_key(_tipHash)]) - RelayRecord.height(record) + 1;
    }

    /// @inheritdoc ILedgerRelay
    /// @dev O(depth / retargetInterval): blocks of a difficulty period share their bits.
    function confirmationWork(bytes32 blockHash) public view returns (uint256) {
        if (confirmations(blockHash) == 0) return 0; // off the main chain, or a reorganisation pending
        bytes16 key = _key(blockHash);
        uint256 tipWork = _tipWork; // not pending: confirmations would be 0
        return tipWork - _workOf(key, _records[key], _tipHash, tipWork) + _blockWork(key);
    }

    /// @inheritdoc ILedgerRelay
    function heightOf(bytes32 blockHash) external view returns (bool known, uint256 height) {
        uint256 record = _records[_key(blockHash)];
        return (record != 0, RelayRecord.height(record));
    }

    /// @inheritdoc ILedgerRelay
    function proveMerkleDepth(bytes calldata txBytes, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        external
    {
        // 64 bytes are an inner node's preimage: a "transaction" of that size could sit higher up.
        if (txBytes.length == LedgerMerkle.INNER_NODE_PREIMAGE) revert LedgerRelayInnerNodeSize();
        bytes32 txid = LedgerHeader.hash256(txBytes);
        bytes16 key = _key(blockHash);
        uint256 record = _records[key];
        (bytes32 root, bool inTree) = LedgerMerkle.root(txid, index, branch);
        if (record == 0 || !inTree || bytes16(root) != RelayRecord.root(record)) {
            revert LedgerRelayUnproven(txid, blockHash);
        }
        if (_depths[key] == branch.length + 1) return; // proven before: a leaf has one depth
        _depths[key] = branch.length + 1;
        emit MerkleDepthProven(blockHash, branch.length);
    }

    /// @inheritdoc ILedgerRelay
    function merkleDepth(bytes32 blockHash) external view returns (bool proven, uint256 depth) {
        uint256 stored = _depths[_key(blockHash)];
        return (stored != 0, stored == 0 ? 0 : stored - 1);
    }

    /// @inheritdoc ILedgerRelay
    function verifyTx(bytes32 txid, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        external
        view
        returns (bool)
    {
        // A shorter branch than the block's leaves have would prove an inner node.
        return _depths[_key(blockHash)] == branch.length + 1 && _onMainChain(txid, blockHash, index, branch);
    }

    /// @dev Whether `txid` reaches the root of a main-chain block with enough confirmations (any depth).
    function _onMainChain(bytes32 txid, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        private
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
        returns (bytes32 payload, address account, uint256 height, uint256 blockConfirmations, uint256 work)
    {
        (payload, account) = _verifyAnchor(txBytes, blockHash, index, branch);
        blockConfirmations = confirmations(blockHash);
        height = RelayRecord.height(_records[_key(_tipHash)]) + 1 - blockConfirmations; // on the main chain
        work = confirmationWork(blockHash);
    }

    /// @dev {verifyAnchor}'s body.
    function _verifyAnchor(bytes calldata txBytes, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        private
        view
        returns (bytes32 payload, address account)
    {
        if (!LedgerAnchor.wellFormed(txBytes)) revert LedgerRelayMalformedAnchor();
        bytes32 txid = LedgerHeader.hash256(txBytes);
        // The anchor's own bytes (never 64 long) make it a leaf: no depth proof needed.
        if (!_onMainChain(txid, blockHash, index, branch)) revert LedgerRelayUnproven(txid, blockHash);
        account = LedgerAnchor.signer(txBytes, magic);
        if (account == address(0)) revert LedgerRelayMalformedAnchor();
        return (LedgerAnchor.payload(txBytes), account);
    }

    /// @dev A batch's running state: the last header's hash, key, record and chain work, the
    /// times of its last 11 ancestors, the clock and the limits every header of the batch meets.
    struct Batch {
        bytes32 hash;
        bytes16 key;
        uint256 record;
        uint256 work;
        bool extendsTip;
        uint256 now;
        uint256 limit; // now + maxFuture: the latest time a header may carry
        uint256 maxTime; // the latest time in the parent's window and the batch so far
        uint256 maxTarget; // off the tip: the easiest target a header may have (type(uint256).max on the tip)
        RelayClock.Window window;
    }

    /// @dev The batch's parent: its record, its chain work and its time window.
    function _startBatch(bytes calldata headers, bytes32 oldTip, uint256 oldWork) private view returns (Batch memory b) {
        b.hash = LedgerHeader.word(headers, 4);
        b.key = _key(b.hash);
        b.record = _records[b.key];
        if (b.record == 0) revert LedgerRelayUnknownParent(b.hash);
        uint256 clockWord = _clock;
        b.now = RelayClock.clockNow(clockWord, evmBlockSeconds);
        b.limit = b.now + maxFuture;
        b.extendsTip = b.hash == oldTip;
        if (b.extendsTip) {
            b.work = oldWork;
            b.maxTarget = type(uint256).max; // the retarget alone bounds a tip's child (x4 a period)
            b.maxTime = RelayClock.cached(clockWord, b.window);
            if (b.maxTime == 0) b.maxTime = _loadWindow(b.key, b.record, b.window);
        } else {
            b.work = _workOf(b.key, b.record, oldTip, oldWork);
            b.maxTarget = LedgerHeader.storedTarget(RelayRecord.bits(_records[_key(oldTip)])) << MIN_WORK_SHIFT;
            b.maxTime = _loadWindow(b.key, b.record, b.window);
        }
    }

    /// @dev Checks header `i` against its parent's record; returns its hash, record and chain work.
    function _check(uint256 i, bytes calldata header, uint256 parent, uint256 parentWork, Batch memory b)
        private
        view
        returns (bytes32 hash, uint256 record, uint256 work)
    {
        uint32 version = LedgerHeader.u32(header, 0);
        // Core reads the version as int32: 0x80000000 and above are negative, below any floor.
        if (int32(version) < int32(minVersion)) revert LedgerRelayBadVersion(i, version);
        uint32 bits = LedgerHeader.u32(header, 72);
        uint32 expected = _expectedBits(parent);
        if (bits != expected) revert LedgerRelayUnexpectedBits(i, bits, expected);
        (uint256 target, bool valid) = LedgerHeader.target(bits);
        if (!valid || target > powLimit) revert LedgerRelayInvalidBits(i, bits);
        if (target > b.maxTarget) revert LedgerRelayWorkTooLow(i, bits);
        hash = LedgerHeader.hash256(header);
        if (LedgerHeader.hashValue(hash) > target) revert LedgerRelayInsufficientWork(i, hash);
        uint32 time = LedgerHeader.u32(header, 68);
        work = parentWork + LedgerHeader.work(target);
        record = _childRecord(header, parent, bits);
        if (RelayRecord.height(record) % retargetInterval == 0) _checkTimewarp(i, time, RelayRecord.time(parent));
    }

    /// @dev Median time past over the stored ancestors (a full window, or any window from genesis)
    /// and the future limit. A time above every earlier one is above their median: only other times
    /// count the window (the batch's earlier headers and the parent's window).
    function _checkTime(bytes calldata headers, uint256 i, uint32 time, Batch memory b) private view {
        if (time > b.limit) revert LedgerRelayTimeTooNew(i, time, b.limit);
        if (time > b.maxTime) {
            b.maxTime = time;
            return;
        }
        RelayClock.Window memory w = _windowAt(headers, i, b.window);
        if ((w.count == MEDIAN_SPAN || checkpointHeight == 0) && !RelayClock.aboveMedian(w, time)) {
            revert LedgerRelayTimeTooOld(i, time, RelayClock.median(w));
        }
    }

    /// @dev The window of header `i`'s parent: the batch's parent's window, then headers 0 .. i-1.
    function _windowAt(bytes calldata headers, uint256 i, RelayClock.Window memory start)
        private
        pure
        returns (RelayClock.Window memory w)
    {
        uint256 fromBatch = i < MEDIAN_SPAN ? i : MEDIAN_SPAN;
        uint256 n = start.count; // chronological from slot 0: a window is loaded oldest first, never rotated
        uint256 fromStart = MEDIAN_SPAN - fromBatch < n ? MEDIAN_SPAN - fromBatch : n;
        for (uint256 j = n - fromStart; j < n; ++j) {
            RelayClock.push(w, start.times[j]);
        }
        for (uint256 j = i - fromBatch; j < i; ++j) {
            RelayClock.push(w, LedgerHeader.u32(headers[j * LedgerHeader.SIZE:(j + 1) * LedgerHeader.SIZE], 68));
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

    /// @dev The times of the block `key` and its stored ancestors, up to 11, oldest first.
    function _loadWindow(bytes16 key, uint256 record, RelayClock.Window memory window)
        private
        view
        returns (uint256 latest)
    {
        uint32[] memory newestFirst = new uint32[](MEDIAN_SPAN);
        uint256 n = 0;
        uint256 low = checkpointHeight;
        while (true) {
            newestFirst[n++] = RelayRecord.time(record);
            uint256 height = RelayRecord.height(record);
            if (n == MEDIAN_SPAN || height == low) break;
            // A main block's parent is the main block below; a side block's, its link's.
            key = _mainKey(height) == key ? _mainKey(height - 1) : RelayRecord.parent(_links[key]);
            record = _records[key];
        }
        for (uint256 j = n; j > 0; --j) {
            RelayClock.push(window, newestFirst[j - 1]);
            if (newestFirst[j - 1] > latest) latest = newestFirst[j - 1];
        }
    }

    /// @dev Chain work up to a stored block: kept for side blocks; for main ones, subtracted from the
    /// tip's a difficulty period at a time (blocks of a period share their bits), O(depth / interval).
    function _workOf(bytes16 key, uint256 record, bytes32 tip, uint256 tipWork) private view returns (uint256 work) {
        uint256 height = RelayRecord.height(record);
        if (_mainKey(height) != key) return RelayRecord.work(_links[key]);
        work = tipWork;
        uint256 interval = retargetInterval;
        for (uint256 h = RelayRecord.height(_records[_key(tip)]); h > height;) {
            uint256 low = h - h % interval; // the period's first height
            if (low <= height) low = height + 1;
            work -= (h - low + 1) * _blockWork(_mainKey(h));
            h = low - 1;
        }
    }

    /// @dev A heavier branch ends at `newTip`: it becomes the tip now, and the index is rewritten from
    /// the higher of the two tips down to the fork, REORG_STEP heights a transaction.
    function _startReorganization(bytes32 oldTip, uint256 oldWork, bytes32 newTip, uint256 newWork) private {
        uint256 oldHeight = RelayRecord.height(_records[_key(oldTip)]);
        uint256 newHeight = RelayRecord.height(_records[_key(newTip)]);
        uint256 top = oldHeight > newHeight ? oldHeight : newHeight;
        // Heights above the old tip have no old block: the old chain's work "at" them is its tip's.
        (_cursor, _cursorWork) = ((top << 128) | uint128(_key(newTip)), oldWork);
        (_tipHash, _reorgFrom) = (newTip, oldTip);
        emit ReorganizationStarted(oldTip, newTip);
        _reorganizeStep(newWork | PENDING);
    }

    /// @dev Up to REORG_STEP heights of the index, top-down: the old block at a height gets a link (it
    /// is a side block now) and the new branch's block (or nothing, above the new tip) takes its place.
    function _reorganizeStep(uint256 tipWork) private {
        uint256 cursor = _cursor;
        uint256 h = cursor >> 128;
        bytes16 key = bytes16(uint128(cursor));
        uint256 oldWork = _cursorWork;
        uint256 newHeight = RelayRecord.height(_records[_key(_tipHash)]);
        for (uint256 steps; steps < REORG_STEP; ++steps) {
            bytes16 old = _mainKey(h);
            bytes16 next = h <= newHeight ? key : bytes16(0);
            if (old == next) {
                emit ChainReorganized(_reorgFrom, _tipHash, h);
                (_tipWork, _cursor, _cursorWork, _reorgFrom) = (tipWork & ~PENDING, 0, 0, 0);
                return;
            }
            if (old != 0) {
                if (_links[old] == 0) _links[old] = RelayRecord.link(_mainKey(h - 1), oldWork);
                oldWork -= _blockWork(old);
            }
            _setMain(h, next);
            if (next != 0) key = RelayRecord.parent(_links[next]); // every block of the new branch has a link
            --h;
        }
        (_tipWork, _cursor, _cursorWork) = (tipWork, (h << 128) | uint128(key), oldWork);
    }

    function _cursorHeight() private view returns (uint256) {
        return _cursor >> 128;
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
