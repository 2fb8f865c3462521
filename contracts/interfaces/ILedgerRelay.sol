// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title ILedgerRelay
/// @notice The EVM's view of a proof-of-work ledger with Bitcoin's consensus encoding: headers
/// checked and stored by work, and Merkle proofs against the heaviest chain.
interface ILedgerRelay {
    /// @notice A chain's consensus numbers, as offchain/ledger/params.py names them.
    struct Consensus {
        uint256 retargetInterval; // blocks per difficulty period (Bitcoin: 2016)
        uint256 targetTimespan; // intended seconds per period (Bitcoin: 1,209,600)
        uint256 powLimit; // the easiest target allowed
        bytes4 magic; // bound into every ledger signature
        uint256 maxTimewarp; // BIP94: a period's first block at most this below its parent (max: no rule)
        uint32 minVersion; // the least header version (BIP34/66/65 floors that hold after the checkpoint), as int32
        uint256 maxFuture; // how far ahead of the relay's clock a header may be stamped (Bitcoin: 7200)
        uint256 evmBlockSeconds; // the most the relay's clock advances per EVM block (see LedgerRelay)
    }

    /// @notice A batch of headers was stored; `bestTip` is the heaviest chain's tip after it.
    event HeadersAdded(bytes32 indexed last, uint256 count, bytes32 bestTip, uint256 bestHeight);
    /// @notice A heavier branch became the tip; the main-chain index is rewritten (see {reorganizing}).
    event ReorganizationStarted(bytes32 indexed oldTip, bytes32 indexed newTip);
    /// @notice A heavier branch replaced the main chain above `forkHeight` (the index is rewritten).
    event ChainReorganized(bytes32 indexed oldTip, bytes32 indexed newTip, uint256 forkHeight);
    /// @notice Block `blockHash`'s Merkle tree was proven `depth` levels deep ({proveMerkleDepth}).
    event MerkleDepthProven(bytes32 indexed blockHash, uint256 depth);

    error LedgerRelayBadParameters();
    error LedgerRelayBadCheckpoint();
    error LedgerRelayBadLength(uint256 length);
    error LedgerRelayUnknownParent(bytes32 prevHash);
    error LedgerRelayBrokenLink(uint256 index);
    error LedgerRelayUnexpectedBits(uint256 index, uint32 bits, uint32 expected);
    error LedgerRelayInvalidBits(uint256 index, uint32 bits);
    error LedgerRelayInsufficientWork(uint256 index, bytes32 blockHash);
    error LedgerRelayTimeWarp(uint256 index, uint32 time, uint32 parentTime);
    error LedgerRelayBadVersion(uint256 index, uint32 version);
    error LedgerRelayWorkOverflow();
    error LedgerRelayWorkTooLow(uint256 index, uint32 bits);
    error LedgerRelayTimeTooOld(uint256 index, uint32 time, uint256 medianTimePast);
    error LedgerRelayTimeTooNew(uint256 index, uint32 time, uint256 limit);
    error LedgerRelayReorganizing(uint256 cursorHeight);
    error LedgerRelayNotReorganizing();
    error LedgerRelayMalformedAnchor();
    error LedgerRelayUnproven(bytes32 txid, bytes32 blockHash);
    error LedgerRelayInnerNodeSize();

    /// @notice Check and store a batch of consecutive 80-byte headers, the first naming a stored
    /// header as its parent; the heaviest chain becomes the main chain.
    function submitHeaders(bytes calldata headers) external;

    /// @notice Continue a pending reorganisation (anyone may): at most REORG_STEP heights.
    function resumeReorganization() external;

    /// @notice Whether a reorganisation is pending, and the height its rewrite has reached.
    function reorganizing() external view returns (bool pending, uint256 cursorHeight);

    /// @notice The relay's clock: headers may be stamped at most `maxFuture` above it.
    function clock() external view returns (uint256);

    /// @notice The heaviest chain's tip: its hash (internal byte order), height and chain work.
    function bestTip() external view returns (bytes32 blockHash, uint256 height, uint256 chainWork);

    /// @notice 1 for the tip, 2 for its parent ...; 0 for unknown blocks, blocks off the main chain,
    /// and every block while a reorganisation is pending.
    function confirmations(bytes32 blockHash) external view returns (uint256);

    /// @notice Confirmations counted in work: the chain work of the main chain from `blockHash` up to
    /// the tip, both included; 0 where {confirmations} is 0. What undoing the block costs a reorganiser.
    function confirmationWork(bytes32 blockHash) external view returns (uint256);

    /// @notice Confirmations {verifyTx}, {verifyAnchor} and {provenAnchor} require.
    function minConfirmations() external view returns (uint256);

    /// @notice Whether the relay stores `blockHash` (on any branch), and its height.
    function heightOf(bytes32 blockHash) external view returns (bool known, uint256 height);

    /// @notice Prove how deep block `blockHash`'s Merkle tree is with any of its transactions by its
    /// raw bytes (never 64 long, so it is a leaf, not an inner node): every leaf of Bitcoin's tree
    /// sits at the same depth. Anyone may call it, once per block; {verifyTx} needs it.
    function proveMerkleDepth(bytes calldata txBytes, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        external;

    /// @notice Whether block `blockHash`'s Merkle depth was proven, and the depth.
    function merkleDepth(bytes32 blockHash) external view returns (bool proven, uint256 depth);

    /// @notice Whether `txid` sits at `index` of the block's Merkle tree, the block being on the
    /// main chain with at least {minConfirmations}. The branch must be as deep as the block's proven
    /// Merkle depth ({proveMerkleDepth}; false before it is proven), so no inner node passes as a txid.
    function verifyTx(bytes32 txid, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        external
        view
        returns (bool);

    /// @notice The payload and signer of an anchor transaction proven as {verifyTx}; reverts otherwise.
    function verifyAnchor(bytes calldata txBytes, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        external
        view
        returns (bytes32 payload, address account);

    /// @notice {verifyAnchor}, with the block's height, its confirmations on the main chain (at
    /// least {minConfirmations}) and their work ({confirmationWork}): what a contract recording
    /// provenance emits.
    function provenAnchor(bytes calldata txBytes, bytes32 blockHash, uint256 index, bytes32[] calldata branch)
        external
        view
        returns (bytes32 payload, address account, uint256 height, uint256 blockConfirmations, uint256 work);
}
