// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ILedgerRelay} from "./interfaces/ILedgerRelay.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";

/// @title ModelRegistry
/// @notice Content-addressed model records with lineage (base model -> fine-tuned model).
/// @dev A model is identified by the canonical fingerprint of its tensors. Records keep only
/// what lineage and attribution need on chain (two storage slots); the data set hash and the
/// artifact URI travel in {ModelRegistered}, where indexers read them, which keeps a
/// registration under 90k gas. A model's hash anchored in the proof-of-work ledger can be
/// marked from an anchor proof that the registry's LedgerRelay verifies ({markAnchored}).
contract ModelRegistry is AccessControl, IModelRegistry {
    /// @notice Role of the market contract, which registers the winners of its jobs.
    bytes32 public constant MARKET_ROLE = keccak256("MARKET_ROLE");
    /// @notice Highest score: 100.00 % in basis points.
    uint16 public constant MAX_SCORE_BPS = 10_000;
    /// @notice How long a marked anchor stays open to another account's main-chain proof should its
    /// block leave the relay's main chain: a reorganiser keeps a record only by holding the heaviest
    /// chain this long (docs/relay.md says why a day).
    uint256 public constant ANCHOR_DELAY = 1 days;

    /// @dev Immutable on purpose: an administrator who could swap the relay could mark any
    /// model "anchored" through a fake one.
    ILedgerRelay private immutable _relay;

    mapping(bytes32 modelHash => Record) private _records;
    mapping(bytes32 modelHash => Anchor) private _anchors;
    bool private _migrationClosed;

    /// @param admin Account that may grant MARKET_ROLE (to the market, once it exists).
    /// @param relay_ The LedgerRelay that proves anchors (the market reads it from here);
    /// address(0) turns anchoring off: {markAnchored} and the market's provenance posts revert.
    constructor(address admin, address relay_) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _relay = ILedgerRelay(relay_);
    }

    /// @notice Mark a registered model as anchored in the proof-of-work ledger: the anchor
    /// transaction `txBytes`, at `index` of ledger block `blockHash` with its Merkle `branch`,
    /// must carry `modelHash` as its payload, and the relay must hold the block on its main
    /// chain with at least its minimum confirmations.
    /// @dev Anyone may send a proof: it stands on its own. Records the block, its height, the
    /// anchoring account and when it was marked ({anchorOf}); whether it still holds is read live
    /// ({anchorStatus}). A model already marked is marked again only by a stronger proof, and,
    /// once the record is final ({ANCHOR_DELAY} after its mark), only one of the recorded account:
    /// - while the recorded block is on the relay's main chain, a lower ledger height (an earlier
    ///   anchor on that same chain);
    /// - once it has left the main chain, any main-chain proof (the recorded account's: its anchor
    ///   mined again elsewhere).
    /// The registry cannot tell a reorganiser's branch from the honest one (on a minimum-difficulty
    /// devnet anyone out-mines the honest node for a while), so time tells them apart: a record
    /// nobody replaced for the whole delay is final, and a reorganisation never hands a final
    /// record to another account (it reads unproven until its chain returns instead). A
    /// reorganiser who marks first, or over a pending record, loses it to the honest proof once
    /// the honest chain returns within the delay (anyone may send that proof): it keeps the record
    /// only by holding the heaviest chain for the whole delay, the majority-of-work assumption.
    /// The anchor proves the hash existed by that block, not who made the model: the recorded
    /// account is whoever anchored the hash earliest (anyone can, once a reveal makes it public);
    /// authorship is the publisher's record. Emits {ModelAnchored}.
    function markAnchored(
        bytes32 modelHash,
        bytes calldata txBytes,
        bytes32 blockHash,
        uint256 index,
        bytes32[] calldata branch
    ) external {
        if (address(_relay) == address(0)) revert ModelRegistryNoRelay();
        if (_records[modelHash].publisher == address(0)) revert ModelRegistryUnknownModel(modelHash);
        (bytes32 payload, address account, uint256 height, uint256 confirmations, uint256 work) =
            _relay.provenAnchor(txBytes, blockHash, index, branch);
        if (payload != modelHash) revert ModelRegistryPayloadMismatch(modelHash, payload);
        // Ledger heights fit 64 bits for longer than any chain will run.
        _anchors[modelHash] = Anchor({
            blockHash: blockHash,
            account: account,
            height: uint64(height),
            markedAt: _markedAt(modelHash, account, height)
        });
        emit ModelAnchored(modelHash, blockHash, account, height, confirmations, work);
    }

    /// @dev {markAnchored}'s rule for a model already marked: reverts unless the proof of `account`
    /// at `height` is stronger than the record; returns when the new record's delay starts.
    function _markedAt(bytes32 modelHash, address account, uint256 height) private view returns (uint32) {
        Anchor memory old = _anchors[modelHash];
        // A zero block is "never marked", not a time compared exactly (slither flags any == beside block.timestamp).
        // slither-disable-next-line incorrect-equality
        if (old.blockHash == bytes32(0)) return uint32(block.timestamp); // EVM seconds fit 32 bits until 2106
        // Final means no other account, ever: an earlier anchor on the main chain included, as that
        // chain may be a reorganiser's, onto which the record's own account was moved first.
        if (account != old.account && _isFinal(old)) revert ModelRegistryAnchorHeld(modelHash, old.account);
        if (_relay.confirmations(old.blockHash) != 0 && height >= old.height) {
            revert ModelRegistryAnchorNotStronger(modelHash, old.height, height);
        }
        // The account's delay keeps running: mining its anchor again elsewhere restarts nothing.
        return account == old.account ? old.markedAt : uint32(block.timestamp);
    }

    /// @inheritdoc IModelRegistry
    function relay() external view returns (address) {
        return address(_relay);
    }

    /// @notice The recorded anchor ({anchorOf}) read live against the relay: the block's confirmations
    /// and their work now, whether it is proven now (at least the relay's minimum confirmations), and
    /// whether the record is final ({ANCHOR_DELAY} after its mark: no other account replaces it).
    /// A block that left the relay's main chain, or any while a reorganisation is pending, reads 0, unproven.
    function anchorStatus(bytes32 modelHash)
        external
        view
        returns (Anchor memory anchor, uint256 confirmations, uint256 work, bool proven, bool isFinal)
    {
        anchor = _anchors[modelHash];
        ILedgerRelay relay_ = _relay;
        // slither-disable-next-line incorrect-equality
        if (anchor.blockHash == bytes32(0) || address(relay_) == address(0)) return (anchor, 0, 0, false, false);
        confirmations = relay_.confirmations(anchor.blockHash);
        work = relay_.confirmationWork(anchor.blockHash);
        proven = confirmations >= relay_.minConfirmations();
        isFinal = _isFinal(anchor);
    }

    /// @notice Where `modelHash` was proven anchored ({markAnchored}); all zero if never.
    function anchorOf(bytes32 modelHash) external view returns (Anchor memory) {
        return _anchors[modelHash];
    }

    /// @notice Registers a base model (parentHash zero) or a model derived from a registered one.
    /// @dev Requirements: non-zero new hash, known parent (or zero), score <= 10000.
    /// Emits {ModelRegistered} with jobId 0; the caller is the publisher.
    function register(
        bytes32 modelHash,
        bytes32 parentHash,
        bytes32 datasetHash,
        uint16 scoreBps,
        string calldata uri
    ) external {
        _register(modelHash, parentHash, datasetHash, scoreBps, 0, uri);
    }

    /// @notice Records the winning model of a market job with its verified score, over any
    /// direct registration of that hash (a direct registration cannot pre-empt it), but never
    /// over another market job's record: a later job that wins with weights an earlier job
    /// already registered (they are public once revealed) leaves the earlier record, its
    /// publisher and its lineage as they are.
    /// @dev Only MARKET_ROLE; `publisher` is the winner and jobId links back to the job.
    /// Never reverts for a market with a registered parent and a score <= 10000, so a
    /// market's settlement cannot be blocked through the registry: a hash that already holds
    /// a market record (jobId != 0; jobs count from 1) is skipped, not refused, and so is a
    /// direct record registered in the parent's block or before it (it may be the parent's
    /// ancestor: lineage never cycles). Emits {ModelRegistered} when it records.
    function registerFromMarket(
        bytes32 modelHash,
        bytes32 parentHash,
        bytes32 datasetHash,
        uint16 scoreBps,
        uint256 jobId,
        address publisher,
        string calldata uri
    ) external onlyRole(MARKET_ROLE) {
        Record memory old = _records[modelHash];
        if (old.jobId != 0) return; // a market record is history: kept
        // A direct record not younger than the parent may be its ancestor (a worker resubmits the
        // base's parent): rewritten as the parent's child it would close a cycle, so it is kept.
        // Only a younger one is rewritten; see docs/market.md for why that never cycles.
        if (old.publisher != address(0) && old.registeredBlock <= _records[parentHash].registeredBlock) return;
        _write(modelHash, parentHash, datasetHash, scoreBps, jobId, publisher, uri);
    }

    /// @notice Carry `modelHash`'s record over from `predecessor`, the registry this one replaces
    /// (its relay is immutable, so a new relay means a new registry and market): parent,
    /// publisher, score and job id are read from the predecessor on chain; the data set hash and
    /// uri, which it keeps only in its {ModelRegistered} event, are the caller's. Parents first
    /// (lineage is checked as at registration); a hash already registered here is skipped.
    /// @dev Administrator only, until {closeMigration}: the administrator may grant MARKET_ROLE,
    /// which writes records, so this adds no trust. A carried market record keeps its job id,
    /// a job of the predecessor's market ({ModelMigrated} names the predecessor), and stays
    /// history here too. Anchors are not carried: they were proven by the old relay; mark them
    /// again with {markAnchored}. Emits {ModelRegistered} and {ModelMigrated}.
    function migrate(IModelRegistry predecessor, bytes32 modelHash, bytes32 datasetHash, string calldata uri)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        if (_migrationClosed) revert ModelRegistryMigrationClosed();
        if (_records[modelHash].publisher != address(0)) return; // carried before, or registered here
        Record memory old = predecessor.recordOf(modelHash);
        _write(modelHash, old.parentHash, datasetHash, old.scoreBps, old.jobId, old.publisher, uri);
        emit ModelMigrated(modelHash, address(predecessor));
    }

    /// @notice End the migration for good: nothing is carried over afterwards. Emits {MigrationClosed}.
    function closeMigration() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _migrationClosed = true;
        emit MigrationClosed();
    }

    /// @notice True when `modelHash` is registered.
    function isRegistered(bytes32 modelHash) external view returns (bool) {
        return _records[modelHash].publisher != address(0);
    }

    /// @inheritdoc IModelRegistry
    function recordOf(bytes32 modelHash) external view returns (Record memory) {
        Record memory rec = _records[modelHash];
        if (rec.publisher == address(0)) revert ModelRegistryUnknownModel(modelHash);
        return rec;
    }

    /// @notice The path from `modelHash` back towards its root, the model itself first.
    /// @dev Bounded by `maxDepth` entries so the call has a known cost; when the path is
    /// longer, the last entry's parent is non-zero and a caller continues from there.
    function lineage(bytes32 modelHash, uint256 maxDepth) external view returns (bytes32[] memory path) {
        if (_records[modelHash].publisher == address(0)) revert ModelRegistryUnknownModel(modelHash);
        if (maxDepth == 0) revert ModelRegistryZeroDepth();
        path = new bytes32[](maxDepth);
        uint256 length;
        bytes32 current = modelHash;
        while (current != bytes32(0) && length < maxDepth) {
            path[length++] = current;
            current = _records[current].parentHash;
        }
        // Trim the array to the entries written: shrink its length word in place.
        assembly ("memory-safe") {
            mstore(path, length)
        }
    }

    /// @dev Whether a recorded anchor has had its whole delay: from then on no other account replaces it.
    function _isFinal(Anchor memory anchor) private view returns (bool) {
        return block.timestamp >= uint256(anchor.markedAt) + ANCHOR_DELAY;
    }

    /// @dev A direct registration: a new hash only.
    function _register(
        bytes32 modelHash,
        bytes32 parentHash,
        bytes32 datasetHash,
        uint16 scoreBps,
        uint256 jobId,
        string calldata uri
    ) private {
        if (_records[modelHash].publisher != address(0)) revert ModelRegistryAlreadyRegistered(modelHash);
        _write(modelHash, parentHash, datasetHash, scoreBps, jobId, msg.sender, uri);
    }

    /// @dev The one write path for records: validates, writes, emits.
    function _write(
        bytes32 modelHash,
        bytes32 parentHash,
        bytes32 datasetHash,
        uint16 scoreBps,
        uint256 jobId,
        address publisher,
        string calldata uri
    ) private {
        if (modelHash == bytes32(0)) revert ModelRegistryZeroHash();
        // Parents are registered before children, so the lineage graph has no cycles.
        if (parentHash != bytes32(0) && _records[parentHash].publisher == address(0)) {
            revert ModelRegistryUnknownParent(parentHash);
        }
        if (scoreBps > MAX_SCORE_BPS) revert ModelRegistryScoreTooHigh(scoreBps);
        if (jobId > type(uint40).max) revert ModelRegistryJobIdTooLarge(jobId);

        _records[modelHash] = Record({
            parentHash: parentHash,
            publisher: publisher,
            scoreBps: scoreBps,
            jobId: uint40(jobId), // checked above
            registeredBlock: uint40(block.number) // 2**40 blocks outlast any chain
        });
        emit ModelRegistered(modelHash, parentHash, publisher, datasetHash, scoreBps, jobId, uri);
    }
}
