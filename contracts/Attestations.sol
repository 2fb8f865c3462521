// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {JobBook} from "./JobBook.sol";
import {Judgment} from "./libraries/Judgment.sol";
import {MarketHashes} from "./libraries/MarketHashes.sol";
import {ScoreSheet} from "./libraries/ScoreSheet.sol";

/// @title Attestations
/// @notice Committee members commit to the scores they measured, then reveal them.
/// @dev A member seals all its scores for a job at once: one seal per (job, validator),
/// {MarketHashes-attestationSeal} binds the job, the validator and every score in commit order (so
/// each score is bound to its worker). Plaintext never appears before the commit window
/// closes, so copying another member's scores is impossible, and copying the claims is
/// exactly as good as the claims are: a lazy member who copies an over-claim lands outside
/// the tolerance of the median and loses part of its bond at finalize (see {Settlement}).
abstract contract Attestations is JobBook {
    using ScoreSheet for uint256;

    /// @dev The bits of a stored seal that hold the keccak; the low 16 hold the seat bitmap.
    bytes32 private constant SEAL_MASK = ~bytes32(uint256(0xffff));
    /// @dev A member's seal once it attested the evaluation set unavailable: no seal bits, so
    /// no reveal matches it, and non-zero, so no seal can be committed after it.
    bytes32 private constant UNAVAILABLE = bytes32(uint256(2));
    /// @dev Bit UNAVAILABLE_SHIFT + s of committee word 1 is set when seat s attested the set
    /// unavailable: lane 7 of word 1 is seat 15, which no committee has (at most 15 seats).
    uint256 private constant UNAVAILABLE_SHIFT = 224;

    /// @notice Commit the seal of your scores for every submission of `jobId`.
    /// @dev Committee members only, on an active job, between the reveal and the attest
    /// deadline, once the evaluation set is revealed, once per job. Emits {AttestationCommitted}.
    function commitAttestation(uint256 jobId, bytes32 seal) external {
        if (seal == bytes32(0)) revert TrainingMarketZeroHash();
        uint256 seats = _attestingSeats(jobId);
        // Keep the seat bitmap in the seal's low 16 bits, so the reveal need not read the
        // committee again; 240 bits of keccak still bind (collisions cost 2**120 work).
        _attestationSeals[jobId][msg.sender] = (seal & SEAL_MASK) | bytes32(seats);
        emit AttestationCommitted(jobId, msg.sender, seal);
    }

    /// @notice Attest that the evaluation set the requester opened could not be fetched or
    /// does not match its hash, instead of committing scores.
    /// @dev As {commitAttestation}: committee members only, once per job, in its window. A
    /// strict majority of the drawn seats attesting it makes the job the requester's failure at
    /// finalize (the unopened-set path: the revealed workers share the reward, nobody is
    /// slashed); short of a majority each such seat is slashed as a missing attestation.
    /// Emits {EvaluationUnavailable}.
    function attestUnavailable(uint256 jobId) external {
        uint256 seats = _attestingSeats(jobId);
        _attestationSeals[jobId][msg.sender] = UNAVAILABLE; // no scores may follow
        _committees[jobId][1] |= seats << UNAVAILABLE_SHIFT;
        emit EvaluationUnavailable(jobId, msg.sender);
    }

    /// @dev The caller's seats on `jobId`, checked to attest now: an active job, its
    /// attestation window, the set opened, a committee member with nothing committed yet.
    function _attestingSeats(uint256 jobId) private view returns (uint256 seats) {
        Job storage j = _existing(jobId);
        (uint32 revealDeadline, uint32 attestDeadline, bool evaluated, uint256 size, Status status) =
            (j.revealDeadline, j.attestDeadline, j.evaluationRevealed, j.committeeSize, j.status);
        if (status != Status.Active) revert TrainingMarketJobClosed(jobId); // cancelled: nothing to attest
        if (block.timestamp < revealDeadline || block.timestamp >= attestDeadline) {
            revert TrainingMarketNotAttesting(jobId);
        }
        if (!evaluated) revert TrainingMarketEvaluationNotRevealed(jobId);
        seats = _seatsOf(jobId, msg.sender, size);
        // slither-disable-next-line incorrect-equality
        if (seats == 0) revert TrainingMarketNotInCommittee(jobId, msg.sender);
        if (_attestationSeals[jobId][msg.sender] != bytes32(0)) {
            revert TrainingMarketAttestationAlreadyCommitted(jobId, msg.sender);
        }
    }

    /// @dev True when a strict majority of the job's `drawn` seats attested its evaluation set
    /// unavailable ({attestUnavailable}).
    function _unavailableByMajority(uint256 jobId, uint256 drawn) internal view returns (bool) {
        uint256 votes = (_committees[jobId][1] >> UNAVAILABLE_SHIFT) & 0x7fff; // seats 0..14
        uint256 n = 0;
        // Unchecked: at most 15 bits are counted.
        unchecked {
            for (; votes != 0; votes >>= 1) {
                n += votes & 1;
            }
        }
        return 2 * n > drawn;
    }

    /// @notice Reveal the scores you sealed: one per submission in commit order (the score
    /// of an unrevealed submission is ignored), and the salt.
    /// @dev On an active job, between the attest deadline and the middle of the settle window
    /// ({Judgment-appealsOpenAt}). Each score is written to the lane of
    /// every seat the caller holds. Emits {AttestationRevealed}.
    function revealAttestation(uint256 jobId, uint16[] calldata scores, bytes32 salt) external {
        Job storage j = _existing(jobId);
        (uint32 attestDeadline, uint32 settleDeadline, uint256 count, Status status) =
            (j.attestDeadline, j.settleDeadline, j.submissionCount, j.status);
        if (status != Status.Active) revert TrainingMarketJobClosed(jobId);
        // Reveals close at the settle window's middle: its second half is the appeals' ({Appeals}).
        if (block.timestamp < attestDeadline || block.timestamp >= Judgment.appealsOpenAt(attestDeadline, settleDeadline)) {
            revert TrainingMarketNotSettling(jobId);
        }
        bytes32 stored = _attestationSeals[jobId][msg.sender];
        // A missing seal (zero) and a revealed one (REVEALED) have no seal bits, which a
        // keccak output has (but for a 2**-240 chance).
        if (stored & SEAL_MASK != MarketHashes.attestationSeal(jobId, msg.sender, scores, salt) & SEAL_MASK) {
            revert TrainingMarketAttestationMismatch(jobId, msg.sender);
        }
        if (scores.length != count) revert TrainingMarketWrongScoreCount(jobId, scores.length, count);
        _attestationSeals[jobId][msg.sender] = REVEALED;
        _writeScores(jobId, scores, uint256(stored & ~SEAL_MASK)); // the seats, non-zero: checked at commit
        emit AttestationRevealed(jobId, msg.sender, scores);
    }

    /// @dev Writes `scores[i]` to submission i's sheet in the lane of every seat in `mask`.
    function _writeScores(uint256 jobId, uint16[] calldata scores, uint256 mask) private {
        for (uint256 i; i < scores.length; ++i) {
            address worker = _entries[jobId][i].worker;
            uint256 sheet = _sheets[jobId][worker];
            if (!sheet.revealed()) continue;
            uint16 score = scores[i];
            if (score > BPS) revert TrainingMarketBpsTooHigh(score);
            for (uint256 seat; mask >> seat != 0; ++seat) {
                if ((mask >> seat) & 1 != 0) sheet = sheet.withAttestation(seat, score);
            }
            _sheets[jobId][worker] = sheet;
        }
    }

    /// @dev Bitmap of the committee seats `account` holds on `jobId` (bit s: seat s).
    function _seatsOf(uint256 jobId, address account, uint256 size) internal view returns (uint256 mask) {
        uint256 leafPlusOne = _validators[account].leafPlusOne;
        // slither-disable-next-line incorrect-equality
        if (leafPlusOne == 0) return 0; // not a member (a leaf number, not a balance)
        uint256 word = _committees[jobId][0];
        // Unchecked: seat < size <= 15. A lane holds leaf + 1 (0: empty), compared as stored,
        // in the words as they lie (no copy to memory); word 1 is read only for seats 8...
        unchecked {
            for (uint256 seat; seat < size; ++seat) {
                if (seat == 8) word = _committees[jobId][1];
                // slither-disable-next-line incorrect-equality
                if ((word >> (32 * (seat & 7))) & type(uint32).max == leafPlusOne) mask |= 1 << seat;
            }
        }
    }
}
