// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITrainingMarket} from "../interfaces/ITrainingMarket.sol";
import {ScoreSheet} from "./ScoreSheet.sol";

/// @dev Most submissions per job ({JobBook-MAX_SUBMISSIONS} is this): a job holding this many is full.
uint8 constant SUBMISSION_CAP = 16;

/// @title Judgment
/// @notice The market's one definition of a job's phase, of how a submission is judged, of
/// what it is paid, and of who wins: {TrainingMarket} settles with it and {MarketLens}
/// shows with it, so a rule changes here and nowhere else (the off-chain code reads the lens).
/// @dev Pure functions over a job record and a {ScoreSheet}; the protocol's parameters come
/// in as arguments (the market's immutables, or the lens's copy of its config).
library Judgment {
    using ScoreSheet for uint256;

    /// @notice Basis points in one.
    uint256 internal constant BPS = 10_000;
    /// @notice {winnerOf}'s answer when no submission wins.
    uint256 internal constant NO_WINNER = type(uint256).max;

    /// @notice The job's phase at `time`: its status, or for an active job the window `time` is in.
    function phase(ITrainingMarket.Job memory j, uint256 time) internal pure returns (ITrainingMarket.Phase) {
        if (j.status == ITrainingMarket.Status.Finalized) return ITrainingMarket.Phase.Finalized;
        if (j.status == ITrainingMarket.Status.Cancelled) return ITrainingMarket.Phase.Cancelled;
        if (time < j.commitDeadline) return ITrainingMarket.Phase.Open;
        if (time < j.revealDeadline) return ITrainingMarket.Phase.Revealing;
        if (time < j.attestDeadline) return ITrainingMarket.Phase.Attesting;
        if (time < j.settleDeadline) return ITrainingMarket.Phase.Settling;
        return ITrainingMarket.Phase.Finalizable;
    }

    /// @notice The job's phase at `time` when its appeal's vote takes commits until
    /// `commitUntil` and reveals until `revealUntil` (both zero: no appeal): the vote's windows
    /// stand in for Settling and Finalizable, since finalize waits for the vote ({Appeals-verdictOf}).
    function phase(ITrainingMarket.Job memory j, uint256 time, uint256 commitUntil, uint256 revealUntil)
        internal
        pure
        returns (ITrainingMarket.Phase p)
    {
        p = phase(j, time);
        if (p < ITrainingMarket.Phase.Settling || p > ITrainingMarket.Phase.Finalizable || time >= revealUntil) return p;
        return time < commitUntil ? ITrainingMarket.Phase.AppealVoting : ITrainingMarket.Phase.AppealRevealing;
    }

    /// @notice When the job's attestation reveals close and its appeals open: the middle of its
    /// settle window ({Appeals}): an appeal sees every revealed attestation, and the job still
    /// finalizes at its settle deadline when nobody appeals.
    function appealsOpenAt(uint256 attestDeadline, uint256 settleDeadline) internal pure returns (uint256) {
        return attestDeadline + (settleDeadline - attestDeadline) / 2; // deadlines ascend (postJob)
    }

    /// @notice How a settled sheet is judged, with its attestation count and verified score.
    /// Never Won nor Pending: who wins is {leads}'s, pending the lens's.
    /// @dev The verdict is the drawn seats' strict majority's ({ScoreSheet-verified}, over the
    /// `drawn` filled seats; an absent seat counts for neither side). The verified score is the
    /// highest score a strict majority attests at or above (the lower median when every seat
    /// attests). Dishonest only when a strict majority attests below the claim less the
    /// tolerance; confirmed when a strict majority attests at or above it; neither (a tie, or
    /// too many absent seats for either side to be a majority): Undecided, which convicts
    /// nobody, returns the stake, cannot win, and neither pays nor slashes the members who
    /// attested it ({Settlement-_settleValidators}).
    function judge(ITrainingMarket.Job memory j, uint256 sheet, uint256 drawn, uint256 quorum, uint256 toleranceBps)
        internal
        pure
        returns (ITrainingMarket.Outcome, uint256 count, uint16 score)
    {
        if (!sheet.revealed()) return (ITrainingMarket.Outcome.Unrevealed, 0, 0);
        // The requester's failures: a set never opened, or a committee drawn below the quorum
        // (excluded bond wastes no try, so only a market short of eligible bond, or a draw nobody
        // made, leaves one): the revealed workers share the reward ({Settlement-finalize}).
        if (!j.evaluationRevealed || drawn < quorum) return (ITrainingMarket.Outcome.Forfeited, 0, 0);
        // A member proved the key envelope the worker sent it bad (sealed jobs): nobody could
        // check the submission as sent, so it forfeits like one too few attested.
        if (sheet.badEnvelope()) return (ITrainingMarket.Outcome.Unverified, 0, 0);
        uint16 low;
        (count, score, low) = sheet.verified(drawn);
        if (count < quorum) return (ITrainingMarket.Outcome.Unverified, count, score);
        // Only over-claims are dishonest: workers never see the evaluation set, so an honest
        // claim is an estimate from their own held-out split, and a conservative one harms
        // nobody (the winner is chosen by verified score, never by claim).
        uint256 claimed = sheet.claimed();
        // Fewer than a strict majority attested: neither side can be one.
        if (2 * count <= drawn) return (ITrainingMarket.Outcome.Undecided, count, score);
        // A strict majority attests below the claim less the tolerance.
        if (claimed > uint256(low) + toleranceBps) return (ITrainingMarket.Outcome.Dishonest, count, score);
        // Neither convicted nor confirmed by a strict majority: a tie, or absent seats.
        if (claimed > uint256(score) + toleranceBps) return (ITrainingMarket.Outcome.Undecided, count, score);
        if (!reachesMinimum(j, score)) return (ITrainingMarket.Outcome.BelowMinimum, count, score);
        return (ITrainingMarket.Outcome.Honest, count, score);
    }

    /// @notice True when attestations on a sheet judged `outcome` are paid or slashed against
    /// its verified score: every outcome but Undecided, whose split verdict slashes nobody.
    function settlesAttestations(ITrainingMarket.Outcome outcome) internal pure returns (bool) {
        return outcome != ITrainingMarket.Outcome.Undecided;
    }

    /// @notice True when the attestations on `sheet` are paid or slashed at all: revealed, and
    /// no member proved its key envelope bad (then nobody is slashed for not attesting it).
    function counted(uint256 sheet) internal pure returns (bool) {
        return sheet.revealed() && !sheet.badEnvelope();
    }

    /// @notice True when a verified score of `scoreBps` reaches the job's minimum: below it an
    /// honest submission cannot win and pays the forfeit.
    function reachesMinimum(ITrainingMarket.Job memory j, uint256 scoreBps) internal pure returns (bool) {
        return scoreBps >= j.minScoreBps;
    }

    /// @notice What submission `index` (committed with `stake`, judged `outcome`) is paid:
    /// the part of its stake returned and its share of `j.reward`. Unrevealed and dishonest:
    /// nothing. Forfeit: stake + the share in `j.reward`. Honest: stake (+ the prize in
    /// `j.reward` for the winner). Undecided: the stake (nobody convicted it). Unverified or
    /// below the minimum: the stake less the forfeit ({forfeitOf}), so junk that fills the
    /// submission cap costs more than the prize it could win.
    /// @dev The stake not returned is the requester's ({Settlement-_settleWorkers}).
    function payout(
        ITrainingMarket.Job memory j,
        uint256 index,
        uint256 stake,
        ITrainingMarket.Outcome outcome,
        uint256 forfeitBps
    ) internal pure returns (uint256 returned, uint256 share) {
        if (outcome == ITrainingMarket.Outcome.Unrevealed || outcome == ITrainingMarket.Outcome.Dishonest) return (0, 0);
        if (outcome == ITrainingMarket.Outcome.Forfeited) return (stake, j.reward);
        // Undecided never wins ({leads}): its share is zero.
        if (outcome == ITrainingMarket.Outcome.Honest || outcome == ITrainingMarket.Outcome.Undecided) {
            return (stake, j.winnerPlusOne == index + 1 ? j.reward : 0);
        }
        uint256 fee = forfeitOf(j, forfeitBps);
        return (stake > fee ? stake - fee : 0, 0);
    }

    /// @notice True when a submission judged `outcome` with verified score `median` takes the
    /// lead from the best so far (`best`, scored `bestScore`): honest at or above the minimum,
    /// and strictly better, so on a tie the earlier commit (lower index) keeps the lead.
    function leads(ITrainingMarket.Outcome outcome, uint256 median, uint256 best, uint256 bestScore)
        internal
        pure
        returns (bool)
    {
        return outcome == ITrainingMarket.Outcome.Honest && (best == NO_WINNER || median > bestScore);
    }

    /// @notice True when an attested score is within the tolerance of the verified score: the
    /// attestation earns its share of the pool instead of costing its holder part of its bond.
    function near(uint16 attested, uint16 median, uint256 toleranceBps) internal pure returns (bool) {
        return ScoreSheet.distance(attested, median) <= toleranceBps;
    }

    /// @notice The forfeit of a submission not verified honest at or above the minimum:
    /// `forfeitBps` of the job's minimum stake, or all of it on a full job. Filling the cap takes
    /// 15 such submissions beside the filler's own, and postJob makes 15 minimum stakes cover the
    /// reward, so a filler pays more than any prize (issue 20 item 6). Both inputs are fixed once
    /// commits close, so finalize, claim and the lens agree.
    function forfeitOf(ITrainingMarket.Job memory j, uint256 forfeitBps) internal pure returns (uint256) {
        if (j.submissionCount == SUBMISSION_CAP) return j.minStake;
        return uint256(j.minStake) * forfeitBps / BPS;
    }

    /// @notice The requester's deposit on a job of `reward`, posted beside it and burned when the
    /// job is the requester's failure (issue 20 item 7): equal to the reward. The requester's
    /// Sybil workers recover at most the whole reward through the forfeit's shares, so failing
    /// costs it at least the deposit, which is at least the winner's prize (reward - fee),
    /// however many of the 16 submissions are its own.
    function depositOf(uint256 reward) internal pure returns (uint256) {
        return reward;
    }

    /// @notice The validators' share of `reward`: paid only when something was revealed to check.
    function validatorFee(uint256 reward, uint256 revealed, uint256 feeBps) internal pure returns (uint256) {
        return revealed == 0 ? 0 : reward * feeBps / BPS;
    }
}
