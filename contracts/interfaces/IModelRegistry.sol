// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IModelRegistry
/// @notice What the market and off-chain clients use of the model registry.
interface IModelRegistry {
    /// @notice A model's on-chain record: two storage slots.
    struct Record {
        bytes32 parentHash; // zero for a base model
        address publisher; // the registering account (the winning worker for market records)
        uint16 scoreBps; // claimed (base) or verified (market) accuracy, basis points
        uint40 jobId; // the market job that produced it, 0 when registered directly
        uint40 registeredBlock; // where {ModelRegistered} with the data set and uri is found
    }

    /// @notice Where a model's hash was anchored in the proof-of-work ledger, proven through the
    /// registry's LedgerRelay: two slots. All zero when the model was never marked.
    struct Anchor {
        bytes32 blockHash; // the ledger block (internal byte order, as the relay takes it)
        address account; // the ledger account that signed the anchor transaction
        uint64 height; // the block's ledger height
        uint32 markedAt; // EVM time of the mark (kept when the same account marks again): final ANCHOR_DELAY later
    }

    /// @notice A model was registered; carries everything an indexer needs.
    event ModelRegistered(
        bytes32 indexed modelHash,
        bytes32 indexed parentHash,
        address indexed publisher,
        bytes32 datasetHash,
        uint16 scoreBps,
        uint256 jobId,
        string uri
    );

    /// @notice `modelHash` was proven anchored in ledger block `ledgerBlock` (height `height`,
    /// `confirmations` on the relay's main chain when marked, `work` their chain work: what undoing
    /// them costs in expected hashes) by the ledger account `account`.
    event ModelAnchored(
        bytes32 indexed modelHash,
        bytes32 indexed ledgerBlock,
        address indexed account,
        uint256 height,
        uint256 confirmations,
        uint256 work
    );

    error ModelRegistryZeroHash();
    error ModelRegistryAlreadyRegistered(bytes32 modelHash);
    error ModelRegistryUnknownParent(bytes32 parentHash);
    error ModelRegistryUnknownModel(bytes32 modelHash);
    error ModelRegistryScoreTooHigh(uint16 scoreBps);
    error ModelRegistryZeroDepth();
    error ModelRegistryJobIdTooLarge(uint256 jobId);
    error ModelRegistryNoRelay();
    error ModelRegistryPayloadMismatch(bytes32 modelHash, bytes32 payload);
    error ModelRegistryAnchorNotStronger(bytes32 modelHash, uint256 recordedHeight, uint256 height);
    error ModelRegistryAnchorHeld(bytes32 modelHash, address account);
    error ModelRegistryMigrationClosed();

    /// @notice `modelHash`'s record was carried over from the registry `predecessor` replaced.
    event ModelMigrated(bytes32 indexed modelHash, address indexed predecessor);
    /// @notice No record will be carried over any more ({ModelRegistry-closeMigration}).
    event MigrationClosed();

    /// @notice Records a model derived by a market job, over any earlier record (MARKET_ROLE only).
    function registerFromMarket(
        bytes32 modelHash,
        bytes32 parentHash,
        bytes32 datasetHash,
        uint16 scoreBps,
        uint256 jobId,
        address publisher,
        string calldata uri
    ) external;

    /// @notice A model's recorded anchor read live: its block's confirmations and their work on the
    /// relay's main chain now, whether that meets the relay's minimum (false once it left it), and
    /// whether the record is final (its delay has passed: no other account replaces it).
    function anchorStatus(bytes32 modelHash)
        external
        view
        returns (Anchor memory anchor, uint256 confirmations, uint256 work, bool proven, bool isFinal);

    /// @notice The record of a registered model; reverts for an unknown one.
    function recordOf(bytes32 modelHash) external view returns (Record memory);

    /// @notice True when `modelHash` is registered.
    function isRegistered(bytes32 modelHash) external view returns (bool);

    /// @notice The LedgerRelay that proves anchors, fixed at construction; zero: anchoring is off.
    function relay() external view returns (address);
}
