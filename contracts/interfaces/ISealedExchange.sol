// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SealedCurve} from "../libraries/SealedCurve.sol";

/// @title ISealedExchange
/// @notice Sealed submissions' records and their fair exchange: types, events and errors.
/// docs/market.md ("Sealed submissions") gives the protocol.
interface ISealedExchange {
    /// @notice What the chain holds of a sealed submission (as one keccak256 of its abi.encode).
    struct Seal {
        bytes32 modelHash; // the tensor fingerprint the committee attests
        bytes32 cipherRoot; // over the ciphertext chunks
        bytes32 plainRoot; // over the salted plaintext chunks (the committee attests it too)
        bytes32 keyCommitment; // keccak256("sealed-key/v1" || key)
        uint64 size; // bytes of the weights file (= of its ciphertext)
    }

    /// @notice One ciphertext chunk with its branch, and the committed plaintext leaf at the
    /// same index with its branch: the requester's evidence that the committed key does not
    /// open that chunk to that leaf.
    struct ChunkEvidence {
        uint256 index;
        bytes cipherChunk;
        bytes32[] cipherBranch;
        bytes32 plainLeaf;
        bytes32[] plainBranch;
    }

    /// @notice The states of a winner's exchange.
    enum State {
        None,
        AwaitingKey, // opened: the worker must deliver the key before the delivery window ends
        Delivered, // the requester may dispute until the dispute window ends
        Closed // paid to the worker, or refunded to the requester
    }

    event EncryptionKeyRegistered(address indexed account, address keyId, uint256 x, uint256 y);
    event JobKeyRegistered(uint256 indexed jobId, address indexed requester, address keyId, uint256 x, uint256 y);
    event SealPublished(uint256 indexed jobId, address indexed worker, Seal seal);
    event EnvelopesPosted(
        uint256 indexed jobId, address indexed worker, uint256 x, uint256 y, address[] recipients, bytes32[] envelopes
    );
    event BadEnvelopeProven(uint256 indexed jobId, address indexed worker, address indexed member);
    event ExchangeOpened(uint256 indexed jobId, address indexed worker, address requester, uint256 prize, uint256 deposit);
    event KeyDelivered(uint256 indexed jobId, address indexed worker, uint256 x, uint256 y, bytes32 envelope);
    event DeliveryDisputed(uint256 indexed jobId, address indexed requester, uint256 refunded, uint256 burned);
    event ExchangeClaimed(uint256 indexed jobId, address indexed worker, uint256 amount);
    event DeliveryMissed(uint256 indexed jobId, address indexed requester, uint256 refunded, uint256 burned);
    event Withdrawn(address indexed account, uint256 amount);

    error SealedExchangeNotMarket(address caller);
    error SealedExchangeInvalidPoint(uint256 x, uint256 y);
    error SealedExchangeKeyAlreadyRegistered(address account);
    error SealedExchangeNoEncryptionKey(address account);
    error SealedExchangeSealAlreadyPublished(uint256 jobId, address worker);
    error SealedExchangeInvalidSeal(uint256 jobId, address worker);
    error SealedExchangeBadEnvelopes(uint256 jobId, address worker);
    error SealedExchangeEnvelopesAlreadyPosted(uint256 jobId, address worker);
    error SealedExchangeNotRecipient(uint256 jobId, address caller);
    error SealedExchangeInvalidProof(uint256 jobId);
    error SealedExchangeEnvelopeOpens(uint256 jobId, address worker);
    error SealedExchangeWrongState(uint256 jobId, State state);
    error SealedExchangeNotParty(uint256 jobId, address caller);
    error SealedExchangeWindowOpen(uint256 jobId, uint256 endsAt);
    error SealedExchangeWindowClosed(uint256 jobId, uint256 endedAt);
    error SealedExchangeDeliveryMismatch(uint256 jobId);
    error SealedExchangeKeyIsCommitted(uint256 jobId);
    error SealedExchangeKeyNotCommitted(uint256 jobId);
    error SealedExchangeBadEvidence(uint256 jobId);
    error SealedExchangeChunkOpens(uint256 jobId, uint256 index);
    error SealedExchangeNothingToWithdraw(address account);
    error SealedExchangeTooMuch(uint256 amount);
    /// @notice Envelopes posted to a job whose committee is not drawn (or drew nobody).
    error SealedExchangeNoCommittee(uint256 jobId);

    /// @notice The id of the key `requester` registered for `jobId`; zero when none.
    function jobKeyOf(uint256 jobId, address requester) external view returns (address);
    /// @notice keccak256(abi.encode(seal)) of `worker`'s submission to `jobId`; zero when none.
    function sealOf(uint256 jobId, address worker) external view returns (bytes32);
    /// @notice Open job `jobId`'s exchange (the market only): `msg.value` less `deposit` is the prize.
    function openExchange(uint256 jobId, address worker, address requester, uint256 deposit) external payable;
}
