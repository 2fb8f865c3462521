// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SealedRecords} from "./SealedRecords.sol";
import {SealedCurve} from "./libraries/SealedCurve.sol";
import {SealedCipher} from "./libraries/SealedCipher.sol";

/// @title SealedExchange
/// @notice The winner's key for the requester's payment, as an optimistic fair exchange
/// (FairSwap, OptiSwap): the market escrows the prize and the winner's deposit here; the winner
/// delivers its key under ECDH with the requester's job key; the requester has a dispute window
/// to prove, with one check the chain can make, that the delivery does not open the committed
/// ciphertext to the committed weights; no dispute, and the winner claims.
/// @dev One exchange per job (its winner). Payments are pulled ({withdraw}). A proven dispute
/// refunds the prize and burns the deposit (credited to address(0), never withdrawn), so no
/// party that can cause a dispute is paid by it.
contract SealedExchange is SealedRecords, ReentrancyGuardTransient {
    /// @dev Where burned deposits are credited: the zero address never sends a transaction.
    address private constant BURNED = address(0);

    /// @dev Slot 0: worker, the time the current window started, the state. Slot 1: requester,
    /// prize. Slot 2: deposit. Slot 3: the requester's key id until delivery, then the
    /// delivery's digest (written at open, so delivery updates it instead of paying a fresh slot).
    struct Exchange {
        address worker;
        uint64 since;
        State state;
        address requester;
        uint96 prize;
        uint256 deposit;
        bytes32 word;
    }

    /// @notice Seconds the winner has to deliver its key once the exchange opens.
    uint256 public immutable deliveryWindow;
    /// @notice Seconds the requester has to dispute a delivery.
    uint256 public immutable disputeWindow;

    mapping(uint256 jobId => Exchange) private _exchanges;
    mapping(address account => uint256) private _pending;

    /// @dev The market creates its exchange ({SealedJobs}): `market_` is the creator.
    constructor(address market_, uint256 deliveryWindow_, uint256 disputeWindow_) SealedRecords(market_) {
        deliveryWindow = deliveryWindow_;
        disputeWindow = disputeWindow_;
    }

    /// @notice Open job `jobId`'s exchange: `msg.value` less `deposit` is the prize.
    /// @dev Only the market, once per job, for a worker that published a seal. A requester
    /// with no job key has nothing to deliver to: the exchange opens delivered (nothing to
    /// dispute) and the worker claims after the dispute window. Emits {ExchangeOpened}.
    function openExchange(uint256 jobId, address worker, address requester, uint256 deposit) external payable {
        if (msg.sender != market) revert SealedExchangeNotMarket(msg.sender);
        Exchange storage e = _exchanges[jobId];
        if (e.state != State.None) revert SealedExchangeWrongState(jobId, e.state);
        if (sealOf(jobId, worker) == 0) revert SealedExchangeInvalidSeal(jobId, worker);
        if (deposit > msg.value) revert SealedExchangeTooMuch(deposit);
        uint256 prize = msg.value - deposit;
        if (prize > type(uint96).max) revert SealedExchangeTooMuch(prize);
        address keyId = jobKeyOf(jobId, requester);
        State state = keyId == address(0) ? State.Delivered : State.AwaitingKey;
        // A word that no delivery digest equals when there is no key: nothing can be disputed.
        bytes32 word = keyId == address(0) ? bytes32(uint256(1)) : bytes32(uint256(uint160(keyId)));
        _exchanges[jobId] = Exchange(worker, uint64(block.timestamp), state, requester, uint96(prize), deposit, word);
        emit ExchangeOpened(jobId, worker, requester, prize, deposit);
    }

    /// @notice Deliver the key to the requester: `envelope` = key XOR pad(w * requester's job
    /// key), with `point` = w G.
    /// @dev Only the exchange's worker, before the delivery window ends. Emits {KeyDelivered}.
    function deliverKey(uint256 jobId, SealedCurve.Point calldata point, bytes32 envelope) external {
        Exchange storage e = _exchanges[jobId];
        if (e.state != State.AwaitingKey) revert SealedExchangeWrongState(jobId, e.state);
        if (msg.sender != e.worker) revert SealedExchangeNotParty(jobId, msg.sender);
        if (block.timestamp > e.since + deliveryWindow) revert SealedExchangeWindowClosed(jobId, e.since + deliveryWindow);
        _validKey(point);
        e.word = keccak256(abi.encode(address(uint160(uint256(e.word))), point.x, point.y, envelope));
        e.since = uint64(block.timestamp);
        e.state = State.Delivered;
        emit KeyDelivered(jobId, msg.sender, point.x, point.y, envelope);
    }

    /// @notice Dispute a delivered key that is not the committed one: the shared point of the
    /// requester's job key and the worker's point, with its proof, opens the envelope to a key
    /// whose commitment differs from the seal's.
    /// @dev Only the requester, in the dispute window. Emits {DeliveryDisputed}.
    function disputeKey(
        uint256 jobId,
        Seal calldata seal,
        SealedCurve.Point calldata requesterKey,
        SealedCurve.Point calldata point,
        bytes32 envelope,
        SealedCurve.Proof calldata proof
    ) external {
        Exchange storage e = _disputable(jobId, seal);
        bytes32 digest = keccak256(abi.encode(SealedCurve.id(requesterKey), point.x, point.y, envelope));
        if (digest != e.word) revert SealedExchangeDeliveryMismatch(jobId);
        if (!SealedCurve.verifyShared(requesterKey, point, proof)) revert SealedExchangeInvalidProof(jobId);
        bytes32 key = SealedCurve.openEnvelope(envelope, proof.shared);
        if (SealedCipher.keyCommitment(key) == seal.keyCommitment) revert SealedExchangeKeyIsCommitted(jobId);
        _refund(jobId, e);
    }

    /// @notice Dispute a seal the committed key does not open: `key` matches the commitment,
    /// yet chunk `evidence.index` of the committed ciphertext decrypts to a chunk whose leaf is
    /// not the committed plaintext leaf at that index.
    /// @dev Only the requester, in the dispute window. Reveals `key`, which opens only what
    /// the worker sealed wrongly. Emits {DeliveryDisputed}.
    function disputeChunk(uint256 jobId, Seal calldata seal, bytes32 key, ChunkEvidence calldata evidence) external {
        Exchange storage e = _disputable(jobId, seal);
        if (SealedCipher.keyCommitment(key) != seal.keyCommitment) revert SealedExchangeKeyNotCommitted(jobId);
        uint256 n = SealedCipher.chunkCount(seal.size);
        uint256 d = SealedCipher.depth(n);
        uint256 i = evidence.index;
        // Full-length branches bind each leaf to its index; the chunk must have its exact length.
        if (i >= n || evidence.cipherBranch.length != d || evidence.plainBranch.length != d) {
            revert SealedExchangeBadEvidence(jobId);
        }
        if (evidence.cipherChunk.length != SealedCipher.chunkLength(seal.size, i)) revert SealedExchangeBadEvidence(jobId);
        bytes32 cipherLeaf = SealedCipher.cipherLeaf(evidence.cipherChunk);
        if (SealedCipher.rootOf(cipherLeaf, i, evidence.cipherBranch) != seal.cipherRoot) {
            revert SealedExchangeBadEvidence(jobId);
        }
        if (SealedCipher.rootOf(evidence.plainLeaf, i, evidence.plainBranch) != seal.plainRoot) {
            revert SealedExchangeBadEvidence(jobId);
        }
        bytes memory plain = SealedCipher.decryptChunk(key, i, evidence.cipherChunk);
        if (SealedCipher.plainLeaf(key, i, plain) == evidence.plainLeaf) revert SealedExchangeChunkOpens(jobId, i);
        _refund(jobId, e);
    }

    /// @notice Pay the worker its prize and deposit once the dispute window ended undisputed.
    /// @dev Anyone may call. Emits {ExchangeClaimed}.
    function claim(uint256 jobId) external {
        Exchange storage e = _exchanges[jobId];
        if (e.state != State.Delivered) revert SealedExchangeWrongState(jobId, e.state);
        uint256 endsAt = e.since + disputeWindow;
        if (block.timestamp <= endsAt) revert SealedExchangeWindowOpen(jobId, endsAt);
        e.state = State.Closed;
        uint256 amount = uint256(e.prize) + e.deposit;
        _pending[e.worker] += amount;
        emit ExchangeClaimed(jobId, e.worker, amount);
    }

    /// @notice Refund the requester when the worker let the delivery window pass; the deposit
    /// is burned. Anyone may call.
    /// @dev Emits {DeliveryMissed}.
    function refundUndelivered(uint256 jobId) external {
        Exchange storage e = _exchanges[jobId];
        if (e.state != State.AwaitingKey) revert SealedExchangeWrongState(jobId, e.state);
        uint256 endsAt = e.since + deliveryWindow;
        if (block.timestamp <= endsAt) revert SealedExchangeWindowOpen(jobId, endsAt);
        e.state = State.Closed;
        _pending[e.requester] += e.prize;
        _pending[BURNED] += e.deposit;
        emit DeliveryMissed(jobId, e.requester, e.prize, e.deposit);
    }

    /// @notice Send the caller everything credited to it.
    /// @dev Reads, zeroes, then sends, under the reentrancy guard. Emits {Withdrawn}.
    function withdraw() external nonReentrant {
        uint256 amount = _pending[msg.sender];
        if (amount == 0) revert SealedExchangeNothingToWithdraw(msg.sender);
        _pending[msg.sender] = 0;
        (bool ok,) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert SealedExchangeNothingToWithdraw(msg.sender);
        emit Withdrawn(msg.sender, amount);
    }

    /// @notice Job `jobId`'s exchange.
    function exchangeOf(uint256 jobId) external view returns (Exchange memory) {
        return _exchanges[jobId];
    }

    /// @notice Wei credited to `account` and not yet withdrawn (address(0): everything burned).
    function pendingOf(address account) external view returns (uint256) {
        return _pending[account];
    }

    /// @dev The exchange, once the caller is its requester, the window open and `seal` the
    /// worker's published one.
    function _disputable(uint256 jobId, Seal calldata seal) private view returns (Exchange storage e) {
        e = _exchanges[jobId];
        if (e.state != State.Delivered) revert SealedExchangeWrongState(jobId, e.state);
        if (msg.sender != e.requester) revert SealedExchangeNotParty(jobId, msg.sender);
        uint256 endsAt = e.since + disputeWindow;
        if (block.timestamp > endsAt) revert SealedExchangeWindowClosed(jobId, endsAt);
        _checkSeal(jobId, e.worker, seal);
    }

    /// @dev A proven dispute: the prize back to the requester, the deposit burned.
    function _refund(uint256 jobId, Exchange storage e) private {
        e.state = State.Closed;
        _pending[e.requester] += e.prize;
        _pending[BURNED] += e.deposit;
        emit DeliveryDisputed(jobId, e.requester, e.prize, e.deposit);
    }
}
