// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Attestations} from "./Attestations.sol";
import {Committee} from "./libraries/Committee.sol";
import {Judgment} from "./libraries/Judgment.sol";
import {MarketHashes} from "./libraries/MarketHashes.sol";
import {ScoreSheet} from "./libraries/ScoreSheet.sol";

/// @title Settlement
/// @notice Finalize settles a job once its attestations are revealed; each worker then claims
/// its own outcome.
/// @dev Finalize writes no per-worker slot: workers' payouts are recomputed by {claim} from
/// the settled sheets (which never change after the settle deadline) with {Judgment-payout}, so
/// finalize pays no fresh-slot cost for up to 16 workers. Validators are paid and slashed
/// in their own records (slots they already own). The requester is credited what stays with it.
abstract contract Settlement is Attestations {
    using ScoreSheet for uint256;

    /// @dev Per-seat tallies and the job-wide sums finalize builds.
    struct Tally {
        uint256 good; // attestations within tolerance of the median, over all seats
        uint256 toRequester; // slashed stakes, forfeits, refund and undistributed fees
        uint256 pool; // validator fee + slashed bonds, shared per good attestation
        uint256 slashedBonds;
        uint256 paid; // credited to validators
        uint256 revealed; // revealed submissions
        uint256 fee; // the validators' share of the reward
    }

    /// @notice Settle a job after its settle deadline; anyone may call it, once.
    /// @dev `modelHash` and `uri` are the winner's, as revealed (checked against the stored
    /// result hash; ignored when nobody wins; {winnerOf} tells who wins). Forfeit (evaluation
    /// never revealed): the reward and unrevealed stakes are shared by the revealed workers.
    /// Otherwise: medians, the winner, validator pay per attestation within tolerance and
    /// slashing per attestation outside it or missing; the winner is registered with parent =
    /// base, this job, publisher = the winner and its URI, whatever was registered before.
    /// Emits {Finalized}.
    function finalize(uint256 jobId, bytes32 modelHash, string calldata uri) external nonReentrant {
        Job storage js = _existing(jobId);
        if (js.status != Status.Active) revert TrainingMarketJobClosed(jobId);
        if (block.timestamp < js.settleDeadline) revert TrainingMarketTooEarly(jobId, js.settleDeadline);
        js.status = Status.Finalized; // before any credit or call: a finalized job never changes
        Job memory j = js;
        if (!j.evaluationRevealed) return _forfeit(jobId, js, j);
        (uint256 best, uint16 score, Tally memory t) = _settle(jobId, j);
        uint256 prize = j.reward - t.fee; // the winner's, or the refund when nobody wins
        if (best == NO_WINNER) {
            _credit(j.requester, t.toRequester + prize);
            emit Finalized(jobId, address(0), bytes32(0), 0, 0, t.paid, t.slashedBonds, prize);
            return;
        }
        (js.winnerPlusOne, js.reward) = (uint8(best + 1), uint80(prize)); // best < 16, prize <= reward
        _credit(j.requester, t.toRequester);
        address winner = _register(jobId, js, best, score, modelHash, uri);
        emit Finalized(jobId, winner, modelHash, score, prize, t.paid, t.slashedBonds, 0);
    }

    /// @notice Pull your submission's outcome: stake back (less the forfeit when not verified
    /// honest at or above the minimum), the prize if you won, your share on a forfeit.
    /// @dev Once per submission, after finalize. Emits {Claimed}.
    function claim(uint256 jobId, uint256 index) external nonReentrant {
        Job memory j = _existing(jobId);
        if (j.status != Status.Finalized) revert TrainingMarketNotFinalized(jobId);
        if (index >= j.submissionCount) revert TrainingMarketNotYourSubmission(jobId, index, msg.sender);
        Entry memory e = _entries[jobId][index];
        if (e.worker != msg.sender) revert TrainingMarketNotYourSubmission(jobId, index, msg.sender);
        if (e.stake == 0) revert TrainingMarketNothingToWithdraw(msg.sender);
        (Outcome outcome,,) = _judge(j, _sheets[jobId][msg.sender]);
        (uint256 returned, uint256 share) = Judgment.payout(j, index, e.stake, outcome, _forfeitBps);
        uint256 amount = returned + share;
        _entries[jobId][index].stake = 0;
        if (amount != 0) _sendToCaller(amount);
        emit Claimed(jobId, msg.sender, amount);
    }

    /// @dev Checks the winner's revealed model and URI and records them in the registry.
    function _register(uint256 jobId, Job storage js, uint256 best, uint16 score, bytes32 modelHash, string calldata uri)
        private
        returns (address winner)
    {
        winner = _entries[jobId][best].worker;
        if (MarketHashes.result(modelHash, uri) != _sealed[jobId][winner]) revert TrainingMarketWrongResult(jobId, winner);
        // Cannot revert: the base is registered (checked at post, records are never removed),
        // a market record overwrites any earlier one, and MARKET_ROLE cannot be revoked.
        _registry.registerFromMarket(modelHash, js.baseModel, js.trainingSet, score, jobId, winner, uri);
    }

    /// @dev Judges the workers, then pays and slashes the committee; returns the winner (or
    /// NO_WINNER), its verified score and the tallies.
    function _settle(uint256 jobId, Job memory j) private returns (uint256 best, uint16 score, Tally memory t) {
        // slither-disable-next-line uninitialized-local
        uint16[MAX_SUBMISSIONS] memory medians; // zeroed memory, filled by _settleWorkers
        best = _settleWorkers(jobId, j, t, medians);
        // Validators are paid for checking whatever was revealed, winner or not.
        t.fee = Judgment.validatorFee(j.reward, t.revealed, _feeBps);
        t.pool = t.fee;
        _settleValidators(jobId, j, t, medians);
        if (best != NO_WINNER) score = medians[best];
    }

    /// @dev The requester never revealed the evaluation set: revealed workers share the reward
    /// and the unrevealed stakes (dust and "nobody revealed" go back to the requester).
    function _forfeit(uint256 jobId, Job storage js, Job memory j) private {
        uint256 revealed = 0;
        uint256 pot = j.reward;
        for (uint256 i; i < j.submissionCount; ++i) {
            Entry memory e = _entries[jobId][i];
            if (_sheets[jobId][e.worker].revealed()) ++revealed;
            else pot += e.stake;
        }
        uint256 share = revealed == 0 ? 0 : pot / revealed;
        // A share above 2**80 - 1 wei (1.2M ETH) can only come from slashed stakes (the reward
        // itself fits): the excess goes to the requester, as slashed stakes do in a settled job,
        // so a forfeit never reverts.
        if (share > type(uint80).max) share = type(uint80).max;
        js.reward = uint80(share); // bounded above
        // The remainder of the division on purpose: the dust goes back to the requester.
        // slither-disable-next-line divide-before-multiply
        uint256 refund = pot - share * revealed;
        _credit(j.requester, refund);
        emit Finalized(jobId, address(0), bytes32(0), 0, share, 0, 0, refund);
    }

    /// @dev Judges every submission ({Judgment}): fills `medians`, adds the stakes it does not
    /// return (slashed, forfeits) to `t.toRequester`, returns the winner ({Judgment-leads}).
    function _settleWorkers(uint256 jobId, Job memory j, Tally memory t, uint16[MAX_SUBMISSIONS] memory medians)
        private
        view
        returns (uint256 best)
    {
        best = NO_WINNER;
        uint256 bestScore = 0;
        for (uint256 i; i < j.submissionCount; ++i) {
            Entry memory e = _entries[jobId][i];
            (Outcome outcome,, uint16 median) = _judge(j, _sheets[jobId][e.worker]);
            medians[i] = median;
            if (outcome != Outcome.Unrevealed) ++t.revealed;
            // The share is the claim's business (the winner is not known yet); the stake not
            // returned is the requester's.
            // slither-disable-next-line unused-return
            (uint256 returned,) = Judgment.payout(j, i, e.stake, outcome, _forfeitBps);
            t.toRequester += e.stake - returned; // returned <= stake
            if (Judgment.leads(outcome, median, best, bestScore)) (best, bestScore) = (i, median);
        }
    }

    /// @dev Per committee seat: attestations within tolerance earn a share of the pool (fee +
    /// slashed bonds); each one outside it, or missing for a revealed submission, costs
    /// slashBps of the holder's bond. Undistributed pool goes to the requester. Emits one
    /// {ValidatorSettled} per seat that had anything to attest, so nobody re-derives the split.
    function _settleValidators(uint256 jobId, Job memory j, Tally memory t, uint16[MAX_SUBMISSIONS] memory medians)
        private
    {
        uint256[2] memory c = _committees[jobId];
        // Memory starts zeroed; slither cannot tell.
        // slither-disable-next-line uninitialized-local
        uint256[15] memory good;
        // slither-disable-next-line uninitialized-local
        uint256[15] memory bad;
        // slither-disable-next-line uninitialized-local
        uint256[15] memory taken;
        for (uint256 seat; seat < j.committeeSize; ++seat) {
            if (!Committee.filled(c, seat)) continue;
            for (uint256 i; i < j.submissionCount; ++i) {
                uint256 sheet = _sheets[jobId][_entries[jobId][i].worker]; // warm: read by _settleWorkers
                if (!sheet.revealed()) continue;
                if (sheet.hasAttestation(seat) && Judgment.near(sheet.attestation(seat), medians[i], _toleranceBps)) {
                    ++good[seat];
                } else {
                    ++bad[seat];
                }
            }
            t.good += good[seat];
            if (bad[seat] == 0) continue;
            address owner = _ownerOf(Committee.leafAt(c, seat));
            taken[seat] = _slashBond(owner, uint256(_validators[owner].bond) * _slashBps * bad[seat] / BPS);
            t.slashedBonds += taken[seat];
        }
        t.pool += t.slashedBonds;
        // Nobody attested within tolerance: nobody earned the pool.
        uint256 perGood = t.good == 0 ? 0 : t.pool / t.good;
        for (uint256 seat; seat < j.committeeSize; ++seat) {
            if (good[seat] == 0 && bad[seat] == 0) continue; // empty, or nothing was revealed
            address owner = _ownerOf(Committee.leafAt(c, seat));
            // Equal shares per good attestation on purpose; the dust is handled below.
            // slither-disable-next-line divide-before-multiply
            uint256 pay = perGood * good[seat];
            _creditValidator(owner, pay);
            emit ValidatorSettled(jobId, owner, uint8(seat), uint8(good[seat]), uint8(bad[seat]), pay, taken[seat]);
        }
        // slither-disable-next-line divide-before-multiply
        t.paid = perGood * t.good; // what was credited; the division dust goes to the requester
        t.toRequester += t.pool - t.paid; // division dust, or all of it
    }
}
