// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Judgment} from "./libraries/Judgment.sol";
import {MarketHashes} from "./libraries/MarketHashes.sol";
import {ScoreSheet} from "./libraries/ScoreSheet.sol";
import {PooledJobs} from "./PooledJobs.sol";

/// @title Settlement
/// @notice Finalize settles a job once its attestations are revealed; each worker then claims
/// its own outcome.
/// @dev Finalize writes no per-worker slot: workers' payouts are recomputed by {claim} from
/// the settled sheets (which never change after the settle deadline) with {Judgment-payout}, so
/// finalize pays no fresh-slot cost for up to 16 workers. Validators are paid and slashed
/// in their own records (slots they already own). The requester is credited only its own
/// money back (its deposit unless the job is its failure, the reward when nobody wins, an
/// unearned fee); slashed stakes, forfeits, slashed bonds nobody earned, division dust and a
/// failed requester's deposit are burned ({MarketAccounts-BURNED}): the requester can cause
/// every one of them (its own Sybil workers, a withheld evaluation set, its Sybil members),
/// so none may reach it (issue 20).
abstract contract Settlement is PooledJobs {
    using ScoreSheet for uint256;

    /// @dev The registry's role for market writers ({ModelRegistry-MARKET_ROLE}).
    bytes32 private constant MARKET_ROLE = keccak256("MARKET_ROLE");

    /// @dev Per-seat tallies and the job-wide sums finalize builds.
    struct Tally {
        uint256 good; // attestations within tolerance of the median, over all seats
        uint256 burned; // slashed stakes, forfeits, slashed bonds nobody earned, dust
        uint256 pool; // validator fee + slashed bonds, shared per good attestation
        uint256 slashedBonds;
        uint256 paid; // credited to validators
        uint256 revealed; // revealed submissions
        uint256 fee; // the validators' share of the reward
        uint256 undecided; // bit i: submission i judged Undecided (its attestations settle nothing)
        uint256 prize; // the winner's, or each revealed worker's share on a forfeit
        uint256 refund; // the requester's own money back: its deposit, the reward when nobody won, an unearned fee
        uint256 overturned; // bit i: the appeal's vote overturned submission i's verdict
        // {Appeals-verdictOf}'s: bit s, seat s on an overturned verdict's losing side (its whole
        // bond); byte 2 + s, the lanes filled for it absent (missing); bits 255/254, the set
        // served / not served by the vote's word.
        uint256 lost;
        uint256 lostBonds; // the whole bonds those seats lost: a share to the appellant, the rest burned
    }



    /// @notice Settle a job after its settle deadline; anyone may call it, once.
    /// @dev `modelHash` and `uri` are the winner's, as revealed (checked against the stored
    /// result hash; ignored when nobody wins; {winnerOf} tells who wins). Forfeit (evaluation
    /// never revealed, or a committee drawn below the quorum: the requester's failures, issue
    /// 20 item 3): the reward and unrevealed stakes are shared by the revealed workers and the
    /// requester's deposit is burned (item 7). Otherwise the deposit goes back. Either way each member's seat is released ({ValidatorSet-withdrawBond}).
    /// Otherwise: medians, the winner, validator pay per attestation within tolerance and
    /// slashing per attestation outside it or missing; the winner is registered with parent =
    /// base, this job, publisher = the winner and its URI, over a younger direct record; while
    /// the market holds the registry's MARKET_ROLE (revoked: the job settles unregistered).
    /// Emits {Finalized}.
    function finalize(uint256 jobId, bytes32 modelHash, string calldata uri) external nonReentrant {
        Job storage js = _existing(jobId);
        if (js.status != Status.Active) revert TrainingMarketJobClosed(jobId);
        if (block.timestamp < js.settleDeadline) revert TrainingMarketTooEarly(jobId, js.settleDeadline);
        // Zeroed memory, filled below; slither cannot tell.
        // slither-disable-next-line uninitialized-local
        Tally memory t;
        // An appeal's verdicts; reverts while its vote runs (a view of the market's own Appeals).
        // slither-disable-next-line uninitialized-local
        address appellant;
        uint256[16] memory ruled;
        (appellant, t.lost, ruled) = _appeals.verdictOf(jobId);
        js.status = Status.Finalized; // before any credit or call: a finalized job never changes
        Job memory j = js;
        // Zero unless somebody wins (set below); slither cannot tell.
        // slither-disable-next-line uninitialized-local
        address winner;
        // slither-disable-next-line uninitialized-local
        uint16 score;
        uint256 best = NO_WINNER;
        if (!j.evaluationRevealed || _requesterFailed(jobId, js, j.committeeSize, t.lost)) {
            t = _forfeit(jobId, js, j);
            t.overturned = 1; // the requester's failure: nothing was judged, the appeal's deposit goes back
        } else {
            (best, score) = _settle(jobId, j, ruled, t);
            uint256 prize = j.reward - t.fee; // the winner's, or the refund when nobody wins
            t.refund += Judgment.depositOf(j.reward); // no failure of the requester's: its deposit back
            if (best == NO_WINNER) {
                t.refund += prize;
            } else {
                (js.winnerPlusOne, js.reward) = (uint8(best + 1), uint80(prize)); // best < 16, prize <= reward
                t.prize = prize;
            }
        }
        if (appellant != address(0)) _payAppellant(appellant, t);
        // A pooled job whose requester walked away from its split: its money back is burned.
        if (_walkedAway(jobId, j.submissionCount)) (t.burned, t.refund) = (t.burned + t.refund, 0);
        _credit(j.requester, t.refund);
        _credit(BURNED, t.burned);
        // The ruling (the deposit's fate) after every credit: the market's own Appeals, no reentry.
        if (appellant != address(0)) _appeals.rule(jobId, t.overturned != 0, t.lostBonds / 2);
        // The registry's call last: every write of this settlement is made before it.
        if (best != NO_WINNER) winner = _register(jobId, js, best, score, modelHash, uri);
        // One event for the three endings (a forfeit, no winner, a winner), one emit site.
        emit Finalized(
            jobId, winner, winner == address(0) ? bytes32(0) : modelHash, score, t.prize, t.paid, t.slashedBonds,
            t.refund, t.burned
        );
    }

    /// @dev The appeal's money: half the bonds it took from the captors to the appellant, the
    /// rest burned (a captor that appeals its own verdict, say front-running the honest
    /// appellant, still loses half).
    function _payAppellant(address appellant, Tally memory t) private {
        uint256 share = t.lostBonds / 2;
        (t.burned, t.slashedBonds) = (t.burned + t.lostBonds - share, t.slashedBonds + t.lostBonds);
        _credit(appellant, share);
    }

    /// @notice Pull your submission's outcome: stake back (less the forfeit when not verified
    /// honest at or above the minimum), the prize if you won, your share on a forfeit. The
    /// winner of a sealed job is paid its prize and stake by the exchange once it delivered
    /// its key undisputed ({SealedExchange-claim}).
    /// @dev Once per submission, after finalize. Emits {Claimed}.
    function claim(uint256 jobId, uint256 index) external nonReentrant {
        Job memory j = _existing(jobId);
        if (j.status != Status.Finalized) revert TrainingMarketNotFinalized(jobId);
        if (index >= j.submissionCount) revert TrainingMarketNotYourSubmission(jobId, index, msg.sender);
        Entry memory e = _entries[jobId][index];
        // A sealed job's winner is paid through the exchange, for its key: anyone may open it,
        // so a winner that never claims cannot keep the requester from its refund.
        bool forKey = j.winnerPlusOne == index + 1 && _sealedJobs[jobId];
        if (e.worker != msg.sender && !forKey) revert TrainingMarketNotYourSubmission(jobId, index, msg.sender);
        if (e.stake == 0) revert TrainingMarketNothingToWithdraw(msg.sender);
        uint256 drawn = _drawnSeats(jobId, j.committeeSize);
        (Outcome outcome,,) = _judge(j, _sheets[jobId][e.worker], drawn);
        (uint256 returned, uint256 share) = Judgment.payout(j, index, e.stake, outcome, _forfeitBps);
        uint256 amount = returned + share;
        _entries[jobId][index].stake = 0;
        // The exchange pays the worker once the requester holds the key, or refunds the requester.
        if (forKey) _exchange.openExchange{value: amount}(jobId, e.worker, j.requester, returned);
        else if (amount != 0) _sendToCaller(amount);
        emit Claimed(jobId, e.worker, amount);
    }

    /// @dev True when the job's evaluation, though opened, is the requester's failure: its
    /// committee was drawn below the quorum ({Judgment-judge} says Forfeited), or a strict
    /// majority of the drawn seats attested the set unavailable and no appeal's vote says it was
    /// served (bit 255 of `lost`, {Appeals-verdictOf}), or the vote says it was not (bit 254),
    /// which is then recorded as never opened (`evaluationRevealed` false), so claim and the
    /// lens judge the forfeit too.
    function _requesterFailed(uint256 jobId, Job storage js, uint256 size, uint256 lost) private returns (bool) {
        uint256 drawn = _drawnSeats(jobId, size);
        if (drawn < _quorum) return true;
        uint256 set = lost >> 254; // the vote's word on the set: 2 served, 1 not, 0 none
        if (set == 2 || (set == 0 && !_unavailableByMajority(jobId, drawn))) return false;
        js.evaluationRevealed = false;
        return true;
    }

    /// @dev Checks the winner's revealed model and URI and records them in the registry.
    function _register(uint256 jobId, Job storage js, uint256 best, uint16 score, bytes32 modelHash, string calldata uri)
        private
        returns (address winner)
    {
        winner = _entries[jobId][best].worker;
        if (MarketHashes.result(modelHash, uri) != _sealed[jobId][winner]) revert TrainingMarketWrongResult(jobId, winner);
        // A revoked grant skips the record, never the settlement: no administrator can freeze
        // finalize (a view, not a try/catch, which a caller short of gas could make skip it).
        if (!IAccessControl(address(_registry)).hasRole(MARKET_ROLE, address(this))) return winner;
        // Cannot revert: the base is registered (checked at post, records are never removed),
        // and a record the registry keeps (history, a possible ancestor) is skipped, not refused.
        _registry.registerFromMarket(modelHash, js.baseModel, js.trainingSet, score, jobId, winner, uri);
    }

    /// @dev Judges the workers, then pays and slashes the committee; returns the winner (or
    /// NO_WINNER), its verified score and the tallies.
    function _settle(uint256 jobId, Job memory j, uint256[16] memory ruled, Tally memory t)
        private
        returns (uint256 best, uint16 score)
    {
        (address[15] memory owners, uint256 drawn) = _releaseSeats(jobId, j.committeeSize);
        // The vote's verdicts first: the overturned sheets are then judged as the vote says.
        t.overturned = _applyVerdicts(jobId, ruled);
        // slither-disable-next-line uninitialized-local
        uint16[MAX_SUBMISSIONS] memory medians; // zeroed memory, filled by _settleWorkers
        best = _settleWorkers(jobId, j, t, medians, drawn);
        // An overturned sheet's rewritten attestations settle nothing: its losing seats lose
        // their whole bond instead (below), its winning ones are neither paid nor slashed for it.
        t.undecided |= t.overturned;
        // Validators are paid for checking whatever was revealed, winner or not.
        t.fee = Judgment.validatorFee(j.reward, t.revealed, _feeBps);
        t.pool = t.fee;
        _settleValidators(jobId, j, t, medians, owners);
        if (best != NO_WINNER) score = medians[best];
    }

    /// @dev The job is settled: each member's count of unsettled seats loses this job's seat,
    /// so its bond may leave once its other jobs settle too ({ValidatorSet-withdrawBond}).
    /// Returns each seat's member (zero: empty) and the number of drawn seats.
    function _releaseSeats(uint256 jobId, uint256 size) internal returns (address[15] memory owners, uint256 drawn) {
        uint256 word = _committees[jobId][0];
        // Unchecked: seat < size <= 15, drawn <= seat, a lane holds leaf + 1 >= 1 when filled,
        // and each count was raised at the draw (once per seat held), so it is >= 1.
        unchecked {
            for (uint256 seat; seat < size; ++seat) {
                if (seat == 8) word = _committees[jobId][1]; // read only for committees above 8
                uint256 lane = (word >> (32 * (seat & 7))) & type(uint32).max;
                if (lane == 0) continue; // an empty seat
                address owner = _ownerOf(lane - 1);
                (owners[seat], drawn) = (owner, drawn + 1);
                --_validators[owner].unsettledSeats;
            }
        }
    }

    /// @dev The requester never revealed the evaluation set, or its committee is below the
    /// quorum: revealed workers share the reward and the unrevealed stakes; the division dust and
    /// the requester's deposit are burned (issue 20 item 7: its own Sybil workers may hold any
    /// number of the shares, so only money no worker can reach makes failing cost it). Nobody
    /// revealed: nobody was harmed, the reward and the deposit go back to the requester and
    /// the unrevealed stakes are burned (never the requester's).
    function _forfeit(uint256 jobId, Job storage js, Job memory j) private returns (Tally memory t) {
        // The committee checked nothing: its members' seats are released, nobody is paid.
        // slither-disable-next-line unused-return
        _releaseSeats(jobId, j.committeeSize);
        uint256 revealed = 0;
        uint256 stakes = 0;
        for (uint256 i; i < j.submissionCount; ++i) {
            Entry memory e = _entries[jobId][i];
            if (_sheets[jobId][e.worker].revealed()) ++revealed;
            else stakes += e.stake;
        }
        uint256 deposit = Judgment.depositOf(j.reward);
        if (revealed == 0) {
            (js.reward, t.refund, t.burned) = (0, j.reward + deposit, stakes);
            return t;
        }
        uint256 pot = j.reward + stakes;
        uint256 share = pot / revealed;
        // A share above 2**80 - 1 wei (1.2M ETH) can only come from slashed stakes (the reward
        // itself fits): the excess is burned with them, so a forfeit never reverts.
        if (share > type(uint80).max) share = type(uint80).max;
        js.reward = uint80(share); // bounded above
        // The remainder of the division on purpose: the dust is burned.
        // slither-disable-next-line divide-before-multiply
        (t.prize, t.burned) = (share, pot - share * revealed + deposit);
    }

    /// @dev Judges every submission ({Judgment}): fills `medians`, adds the stakes it does not
    /// return (slashed, forfeits) to `t.burned`, returns the winner ({Judgment-leads}).
    function _settleWorkers(
        uint256 jobId,
        Job memory j,
        Tally memory t,
        uint16[MAX_SUBMISSIONS] memory medians,
        uint256 drawn
    ) private view returns (uint256 best) {
        best = NO_WINNER;
        uint256 bestScore = 0;
        for (uint256 i; i < j.submissionCount; ++i) {
            Entry memory e = _entries[jobId][i];
            (Outcome outcome,, uint16 median) = _judge(j, _sheets[jobId][e.worker], drawn);
            medians[i] = median;
            if (!Judgment.settlesAttestations(outcome)) t.undecided |= 1 << i;
            if (outcome != Outcome.Unrevealed) ++t.revealed;
            // The share is the claim's business (the winner is not known yet); the stake not
            // returned is burned: its requester may have caused it (issue 20).
            // slither-disable-next-line unused-return
            (uint256 returned,) = Judgment.payout(j, i, e.stake, outcome, _forfeitBps);
            t.burned += e.stake - returned; // returned <= stake
            if (Judgment.leads(outcome, median, best, bestScore)) (best, bestScore) = (i, median);
        }
    }

    /// @dev `seat`'s attestations within tolerance of the verified scores (`good`) and its
    /// others, missing ones included (`bad`), over the revealed submissions but those with a
    /// proven bad envelope ({Judgment-counted}: nobody could check them as sent); an
    /// attestation of an Undecided submission (bit set in `undecided`) counts as neither.
    function _countSeat(
        uint256 jobId,
        uint256 count,
        uint256 undecided,
        uint16[MAX_SUBMISSIONS] memory medians,
        uint256 seat
    ) private view returns (uint256 good, uint256 bad) {
        for (uint256 i; i < count; ++i) {
            uint256 sheet = _sheets[jobId][_entries[jobId][i].worker]; // warm: read by _settleWorkers
            if (!Judgment.counted(sheet)) continue;
            bool attested = sheet.hasAttestation(seat);
            if (attested && (undecided >> i) & 1 != 0) continue; // a split verdict: settles nothing
            if (attested && Judgment.near(sheet.attestation(seat), medians[i], _toleranceBps)) ++good;
            else ++bad;
        }
    }

    /// @dev Per committee seat: attestations within tolerance earn a share of the pool (fee +
    /// slashed bonds); each one outside it, or missing for a revealed submission, costs
    /// slashBps of the holder's bond; an attestation of an Undecided submission (a split
    /// verdict) neither earns nor costs, so a tie or an absent colleague slashes no honest
    /// member. When nobody earned the pool the fee goes back to the requester (its own money)
    /// and the slashed bonds are burned; the division dust is burned. Emits one {ValidatorSettled} per
    /// seat that had anything to attest, so nobody re-derives the split.
    function _settleValidators(
        uint256 jobId,
        Job memory j,
        Tally memory t,
        uint16[MAX_SUBMISSIONS] memory medians,
        address[15] memory owners
    ) private {
        // Per seat, packed: its attestations within tolerance in byte `seat`, its others in
        // byte 16 + `seat` (each at most 16 submissions, so a byte never carries).
        uint256 counts = 0;
        // slither-disable-next-line uninitialized-local
        uint256[15] memory taken; // memory starts zeroed; slither cannot tell
        for (uint256 seat; seat < j.committeeSize; ++seat) {
            address owner = owners[seat];
            if (owner == address(0)) continue; // an empty seat
            (uint256 good, uint256 bad) = _countSeat(jobId, j.submissionCount, t.undecided, medians, seat);
            // Lanes an appeal's ruling filled for this seat, which never attested: missing ones.
            bad += (t.lost >> (16 + 8 * seat)) & 0xff;
            bool lost = (t.lost >> seat) & 1 != 0;
            if (lost) good = 0; // a captor of an overturned verdict earns nothing
            counts |= (good << (8 * seat)) | (bad << (8 * (16 + seat)));
            t.good += good;
            if (bad != 0) {
                taken[seat] = _slashBond(owner, uint256(_validators[owner].bond) * _slashBps * bad / BPS);
                t.slashedBonds += taken[seat];
            }
            if (!lost) continue;
            // The whole bond: capture must cost more than a verdict can pay (issue 20 item 5).
            uint256 whole = _slashBond(owner, _validators[owner].bond);
            (taken[seat], t.lostBonds) = (taken[seat] + whole, t.lostBonds + whole);
        }
        t.pool += t.slashedBonds;
        // Nobody attested within tolerance: nobody earned the pool.
        uint256 perGood = t.good == 0 ? 0 : t.pool / t.good;
        for (uint256 seat; seat < j.committeeSize; ++seat) {
            uint256 good = (counts >> (8 * seat)) & 0xff;
            uint256 bad = (counts >> (8 * (16 + seat))) & 0xff;
            if (good == 0 && bad == 0 && taken[seat] == 0) continue; // empty, or nothing was revealed
            address owner = owners[seat];
            // Equal shares per good attestation on purpose; the dust is handled below.
            // slither-disable-next-line divide-before-multiply
            uint256 pay = perGood * good;
            _creditValidator(owner, pay);
            emit ValidatorSettled(jobId, owner, uint8(seat), uint8(good), uint8(bad), pay, taken[seat]);
        }
        // slither-disable-next-line divide-before-multiply
        t.paid = perGood * t.good; // what was credited
        // Nobody earned the pool: the fee is the requester's own money, the slashed bonds
        // never reach it (its Sybil members or a withheld set can cause them); nor does the
        // fee when an appeal overturned a verdict (its captors may be the requester's).
        if (t.good == 0 && t.overturned == 0) t.refund = t.fee;
        t.burned += t.pool - t.paid - t.refund; // the slashed bonds nobody earned, or the division dust
    }
}
