// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISealedExchange} from "./interfaces/ISealedExchange.sol";
import {ITrainingMarket} from "./interfaces/ITrainingMarket.sol";
import {Committee} from "./libraries/Committee.sol";
import {SealedCurve} from "./libraries/SealedCurve.sol";
import {SealedCipher} from "./libraries/SealedCipher.sol";

/// @title SealedRecords
/// @notice The committee's side of sealed submissions: encryption keys, seals, the key's
/// envelopes to the committee, and a member's proof that its envelope is bad.
/// @dev Each record is one word: a key's id (its address), a seal's or an envelope list's
/// keccak256; the values travel in events and calldata and are checked against the word. The
/// market is read for a job's committee (the envelopes' recipients) and told of a proven bad
/// envelope, which it records in the submission's sheet ({SealedJobs-flagEnvelopeProvenBad}).
abstract contract SealedRecords is ISealedExchange {
    using SealedCurve for SealedCurve.Point;

    /// @notice The market whose jobs these records serve (it alone opens exchanges).
    address public immutable market;

    /// @dev What an envelope list's word becomes once a member proved its envelope bad.
    bytes32 internal constant BAD_ENVELOPES = bytes32(uint256(1));

    mapping(address account => address) private _encryptionKeys;
    mapping(uint256 jobId => mapping(address requester => address)) private _jobKeys;
    mapping(uint256 jobId => mapping(address worker => bytes32)) private _seals;
    mapping(uint256 jobId => mapping(address worker => bytes32)) private _envelopes;

    constructor(address market_) {
        market = market_;
    }

    /// @notice Register the caller's encryption key (once: envelopes already sent to it must
    /// stay provable). Committee members call it when they join.
    /// @dev Emits {EncryptionKeyRegistered}.
    function registerEncryptionKey(SealedCurve.Point calldata key) external {
        if (_encryptionKeys[msg.sender] != address(0)) revert SealedExchangeKeyAlreadyRegistered(msg.sender);
        address keyId = _validKey(key);
        _encryptionKeys[msg.sender] = keyId;
        emit EncryptionKeyRegistered(msg.sender, keyId, key.x, key.y);
    }

    /// @notice Register the caller's key for job `jobId`, to which the winner delivers its key
    /// (once; a fresh key per job keeps the requester's jobs unlinkable).
    /// @dev Emits {JobKeyRegistered}.
    function registerJobKey(uint256 jobId, SealedCurve.Point calldata key) external {
        if (_jobKeys[jobId][msg.sender] != address(0)) revert SealedExchangeKeyAlreadyRegistered(msg.sender);
        address keyId = _validKey(key);
        _jobKeys[jobId][msg.sender] = keyId;
        emit JobKeyRegistered(jobId, msg.sender, keyId, key.x, key.y);
    }

    /// @notice Publish the seal of the caller's submission to `jobId` (once: the committee
    /// checks it and the requester's dispute is judged against it).
    /// @dev Emits {SealPublished}.
    function publishSeal(uint256 jobId, Seal calldata seal) external {
        if (_seals[jobId][msg.sender] != 0) revert SealedExchangeSealAlreadyPublished(jobId, msg.sender);
        if (seal.size == 0 || seal.size > SealedCipher.MAX_SIZE) revert SealedExchangeInvalidSeal(jobId, msg.sender);
        _seals[jobId][msg.sender] = keccak256(abi.encode(seal));
        emit SealPublished(jobId, msg.sender, seal);
    }

    /// @notice Post the key's envelopes to the job's committee, one per seat in seat order
    /// (an empty seat's is ignored), each under the ECDH point of `point` and the seat's
    /// member's registered key (once).
    /// @dev The recipients are the market's committee, not the worker's list, so no member can
    /// be left out to attest a submission it cannot open; after the draw and before the reveal
    /// deadline, so every member sees the same envelopes when attestations open. Emits
    /// {EnvelopesPosted}. On chain, so a missing envelope is as visible as a bad one.
    function postEnvelopes(uint256 jobId, SealedCurve.Point calldata point, bytes32[] calldata envelopes) external {
        if (_seals[jobId][msg.sender] == 0) revert SealedExchangeInvalidSeal(jobId, msg.sender);
        if (_envelopes[jobId][msg.sender] != 0) revert SealedExchangeEnvelopesAlreadyPosted(jobId, msg.sender);
        address[] memory recipients = _committee(jobId);
        if (recipients.length != envelopes.length) revert SealedExchangeBadEnvelopes(jobId, msg.sender);
        _validKey(point);
        _envelopes[jobId][msg.sender] = keccak256(abi.encode(point.x, point.y, recipients, envelopes));
        emit EnvelopesPosted(jobId, msg.sender, point.x, point.y, recipients, envelopes);
    }

    /// @notice Prove that the envelope `worker` posted to the caller does not hold the key its
    /// seal commits to. The submission is then unverifiable (the market forfeits it) and no
    /// member is slashed for not attesting it. Only while the market takes it: on a sealed job,
    /// the worker revealed, before the attest deadline.
    /// @dev Reveals the shared point (and so whatever the envelope holds): a wrong key, when
    /// the proof holds. Emits {BadEnvelopeProven}.
    function proveBadEnvelope(
        uint256 jobId,
        address worker,
        Seal calldata seal,
        SealedCurve.Point calldata point,
        address[] calldata recipients,
        bytes32[] calldata envelopes,
        uint256 seat,
        SealedCurve.Point calldata memberKey,
        SealedCurve.Proof calldata proof
    ) external {
        bytes32 word = _envelopes[jobId][worker];
        if (word != keccak256(abi.encode(point.x, point.y, recipients, envelopes))) {
            revert SealedExchangeBadEnvelopes(jobId, worker);
        }
        if (seat >= recipients.length || recipients[seat] != msg.sender) revert SealedExchangeNotRecipient(jobId, msg.sender);
        if (SealedCurve.id(memberKey) != _encryptionKeys[msg.sender]) revert SealedExchangeNoEncryptionKey(msg.sender);
        _checkSeal(jobId, worker, seal);
        if (!SealedCurve.verifyShared(memberKey, point, proof)) revert SealedExchangeInvalidProof(jobId);
        bytes32 key = SealedCurve.openEnvelope(envelopes[seat], proof.shared);
        if (SealedCipher.keyCommitment(key) == seal.keyCommitment) revert SealedExchangeEnvelopeOpens(jobId, worker);
        _requireAttesting(jobId);
        _envelopes[jobId][worker] = BAD_ENVELOPES;
        // The market marks the submission unverifiable (on a sealed job, once revealed).
        ITrainingMarket(market).flagEnvelopeProvenBad(jobId, worker);
        emit BadEnvelopeProven(jobId, worker, msg.sender);
    }

    /// @notice The id (address) of `account`'s encryption key; zero when none.
    function encryptionKeyOf(address account) external view returns (address) {
        return _encryptionKeys[account];
    }

    /// @notice The id of the key `requester` registered for `jobId`; zero when none.
    function jobKeyOf(uint256 jobId, address requester) public view returns (address) {
        return _jobKeys[jobId][requester];
    }

    /// @notice keccak256(abi.encode(seal)) of `worker`'s submission to `jobId`; zero when none.
    function sealOf(uint256 jobId, address worker) public view returns (bytes32) {
        return _seals[jobId][worker];
    }

    /// @notice keccak256(abi.encode(W.x, W.y, recipients, envelopes)) of `worker`'s envelopes to
    /// `jobId`: zero when none, 1 once one was proven bad.
    function envelopesOf(uint256 jobId, address worker) external view returns (bytes32) {
        return _envelopes[jobId][worker];
    }

    /// @notice True once `worker` posted envelopes to `jobId` and none was proven bad.
    function envelopesPosted(uint256 jobId, address worker) external view returns (bool) {
        bytes32 word = _envelopes[jobId][worker];
        return word != 0 && word != BAD_ENVELOPES;
    }

    /// @notice True when a member proved its envelope from `worker` on `jobId` bad.
    function badEnvelope(uint256 jobId, address worker) external view returns (bool) {
        return _envelopes[jobId][worker] == BAD_ENVELOPES;
    }

    /// @dev The members of job `jobId`'s committee by seat (zero: an empty seat), read from the
    /// market while envelopes may be posted: drawn, before the reveal deadline.
    function _committee(uint256 jobId) private view returns (address[] memory seats) {
        ITrainingMarket m = ITrainingMarket(market);
        ITrainingMarket.Job memory j = m.job(jobId);
        uint256[2] memory c = m.committeeWords(jobId);
        if (c[0] == 0 && c[1] == 0) revert SealedExchangeNoCommittee(jobId);
        if (block.timestamp >= j.revealDeadline) revert SealedExchangeWindowClosed(jobId, j.revealDeadline);
        seats = new address[](j.committeeSize);
        for (uint256 s; s < seats.length; ++s) {
            if (Committee.filled(c, s)) seats[s] = m.validatorAt(Committee.leafAt(c, s));
        }
    }

    /// @dev Reverts from job `jobId`'s attest deadline on (the market's): a bad-envelope proof
    /// closes with the attestation window, so the market's flag is settled before any
    /// attestation is revealed, and finalize, claim, appeals and the lens read one answer.
    /// A function of its own: proveBadEnvelope's frame has no stack slot left (legacy pipeline).
    function _requireAttesting(uint256 jobId) private view {
        uint256 closes = ITrainingMarket(market).job(jobId).attestDeadline;
        if (block.timestamp >= closes) revert SealedExchangeWindowClosed(jobId, closes);
    }

    /// @dev Reverts unless `seal` is what `worker` published to `jobId`.
    function _checkSeal(uint256 jobId, address worker, Seal calldata seal) internal view {
        bytes32 word = _seals[jobId][worker];
        if (word == 0 || word != keccak256(abi.encode(seal))) revert SealedExchangeInvalidSeal(jobId, worker);
    }

    /// @dev The id of `key`, which must be usable with ecrecover.
    function _validKey(SealedCurve.Point calldata key) internal pure returns (address) {
        if (!SealedCurve.usable(key)) revert SealedExchangeInvalidPoint(key.x, key.y);
        return SealedCurve.id(key);
    }
}
