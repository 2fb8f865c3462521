// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ILedgerRelay} from "./interfaces/ILedgerRelay.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IAppeals} from "./interfaces/IAppeals.sol";
import {ITrainingMarket} from "./interfaces/ITrainingMarket.sol";
import {Committee} from "./libraries/Committee.sol";
import {Judgment} from "./libraries/Judgment.sol";
import {MarketHashes} from "./libraries/MarketHashes.sol";
import {ScoreSheet} from "./libraries/ScoreSheet.sol";

/// @title MarketLens
/// @notice The judged views of one {TrainingMarket}: a job's phase, its submissions with their
/// outcomes and payouts, its committee, its winner, and what each party is owed. Read-only:
/// it holds no state but the market's address and its fixed parameters.
/// @dev Judges with the market's own {Judgment} library over the market's raw reads
/// ({ITrainingMarket-job}, {ITrainingMarket-submissionAt}, {ITrainingMarket-committeeWords}),
/// so what it shows is what finalize and claim do. It lives apart from the market to leave
/// the market's bytecode room under EIP-170's 24,576 bytes.
contract MarketLens {
    using ScoreSheet for uint256;

    /// @notice A submission judged as finalize does (or will, as things stand), with what
    /// claim pays for a given committed stake.
    struct Judged {
        ITrainingMarket.Outcome outcome; // as judged now (Won only once finalized; never Pending)
        bool verified; // at least the quorum attested
        uint16 verifiedScoreBps; // lower median of the attestations (0 when there are none)
        uint16 nearSeats; // bit s: seat s attested within tolerance of the verified score
        uint256 stakeReturned; // the part of the stake claim returns
        uint256 stakeLost; // the rest: slashed, or the forfeit
        uint256 share; // the prize for the winner, the share of the reward on a forfeit
    }

    /// @notice A training set's anchor read live ({trainingSetProvenance}); all zero when unproven.
    struct Provenance {
        bool proven;
        address account; // the ledger account that signed the anchor
        uint256 height; // the anchor block's ledger height
        uint256 confirmations; // on the relay's main chain now
        uint256 work; // their chain work (ILedgerRelay.confirmationWork)
    }

    /// @notice A finalized job's sums for the requester and the committee.
    struct Totals {
        uint256 stakesSlashed; // stakes of unrevealed and dishonest submissions, to the requester
        uint256 forfeits; // forfeits of submissions not verified honest at or above the minimum
        uint256 validatorFee; // the committee's share of the reward (its pool before slashed bonds)
    }

    /// @notice {settlementOf} got `count` stakes for a job of `expected` submissions.
    error MarketLensWrongStakeCount(uint256 jobId, uint256 count, uint256 expected);

    ITrainingMarket private immutable _market;
    IAppeals private immutable _appeals;
    uint256 private immutable _quorum;
    uint256 private immutable _toleranceBps;
    uint256 private immutable _feeBps;
    uint256 private immutable _forfeitBps;

    /// @param market_ The market this lens reads; its parameters are fixed at its deployment,
    /// so the lens copies them once.
    constructor(ITrainingMarket market_) {
        _market = market_;
        _appeals = IAppeals(market_.appealsContractAddress());
        ITrainingMarket.Config memory c = market_.config();
        (_quorum, _toleranceBps, _feeBps, _forfeitBps) = (c.quorum, c.toleranceBps, c.feeBps, c.forfeitBps);
    }

    /// @notice The market this lens reads.
    function market() external view returns (ITrainingMarket) {
        return _market;
    }

    /// @notice Whether job `jobId`'s training set is anchored on the relay's main chain now, by
    /// `proof` (the one {ITrainingMarket-TrainingSetAnchored} names, or any other of the same hash):
    /// the anchoring account, the block's height, its confirmations and their work. Read live, not
    /// recorded: an anchor whose block left the main chain (or any while the relay reorganises)
    /// reads unproven, all zero, where the job's `trainingSetAnchored` flag says only that the
    /// post carried a proof that held then.
    function trainingSetProvenance(uint256 jobId, ITrainingMarket.AnchorProof calldata proof)
        external
        view
        returns (Provenance memory p)
    {
        bytes32 trainingSet = _market.job(jobId).trainingSet;
        ILedgerRelay relay = ILedgerRelay(IModelRegistry(_market.registry()).relay());
        if (address(relay) == address(0)) return p;
        try relay.provenAnchor(proof.transaction, proof.blockHash, proof.index, proof.branch) returns (
            bytes32 payload, address signer, uint256 height, uint256 confirmations, uint256 work
        ) {
            if (payload == trainingSet) p = Provenance(true, signer, height, confirmations, work);
        } catch {} // unproven now: off the main chain, too shallow, malformed
    }

    /// @notice The job's phase: its status, or for an active job the window the clock is in
    /// (an appeal's vote included: AppealVoting, AppealRevealing, then Finalizable).
    /// @dev Reverts {ITrainingMarket.TrainingMarketUnknownJob} for an id never posted.
    function phase(uint256 jobId) external view returns (ITrainingMarket.Phase) {
        return _phase(jobId);
    }

    /// @notice The phase of each of `jobIds`, in order (a page of a job list in one call).
    function phases(uint256[] calldata jobIds) external view returns (ITrainingMarket.Phase[] memory list) {
        list = new ITrainingMarket.Phase[](jobIds.length);
        for (uint256 i; i < list.length; ++i) {
            list[i] = _phase(jobIds[i]);
        }
    }

    /// @dev The job's phase, its appeal's vote included (AppealVoting, AppealRevealing): the
    /// phase in which finalize would revert {IAppeals-AppealsVoteOpen} is not Finalizable.
    function _phase(uint256 jobId) private view returns (ITrainingMarket.Phase) {
        IAppeals.Appeal memory a = _appeals.appealOf(jobId);
        return Judgment.phase(_market.job(jobId), block.timestamp, a.commitUntil, a.revealUntil);
    }

    /// @notice The market's SealedExchange (sealed submissions, issue 26): the market's second
    /// creation (CREATE from its address at nonce 2; its Appeals is the first), computed here
    /// because the market has no code room for the view.
    function sealedExchange() external view returns (address) {
        // RLP of [market, 2]: a 22-byte list (0xd6) of a 20-byte string (0x94) and the byte 0x02.
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xd6), bytes1(0x94), address(_market), bytes1(0x02))))));
    }

    /// @notice The committee's seats in order (a validator may hold several); empty before the draw.
    function committee(uint256 jobId) external view returns (address[] memory seats) {
        uint256[2] memory c = _market.committeeWords(jobId);
        seats = new address[](_market.job(jobId).committeeSize);
        for (uint256 s; s < seats.length; ++s) {
            if (Committee.filled(c, s)) seats[s] = _market.validatorAt(Committee.leafAt(c, s));
        }
    }

    /// @notice Every submission of a job in commit order, judged as finalize does (or will):
    /// outcome Pending until the job is finalized; payout is what {TrainingMarket-claim} pays
    /// now (zero before finalize, and once claimed, since claim zeroes the stake).
    function submissions(uint256 jobId) external view returns (ITrainingMarket.Submission[] memory list) {
        ITrainingMarket.Job memory j = _market.job(jobId);
        bool finalized = j.status == ITrainingMarket.Status.Finalized;
        list = new ITrainingMarket.Submission[](j.submissionCount);
        uint256 drawn = _drawn(jobId, j);
        uint256[16] memory ruled = _ruled(jobId, j);
        for (uint256 i; i < list.length; ++i) {
            ITrainingMarket.SubmissionRecord memory r = _market.submissionAt(jobId, i);
            if (ruled[i] != 0) r.sheet = ruled[i];
            (ITrainingMarket.Outcome outcome, uint256 count, uint16 median) =
                Judgment.judge(j, r.sheet, drawn, _quorum, _toleranceBps);
            (uint256 returned, uint256 share) = Judgment.payout(j, i, r.stake, outcome, _forfeitBps);
            list[i] = ITrainingMarket.Submission({
                worker: r.worker,
                stake: r.stake,
                sealedHash: r.sealedHash,
                revealed: r.sheet.revealed(),
                claimedScoreBps: r.sheet.revealed() ? r.sheet.claimed() : 0,
                attestationCount: uint8(count), // count <= 15
                verifiedScoreBps: median,
                outcome: finalized ? _final(j, i, outcome) : ITrainingMarket.Outcome.Pending,
                payout: finalized ? returned + share : 0
            });
        }
    }

    /// @notice The index of the submission finalize will (or did) pay, or 2**256-1 for none.
    function winnerOf(uint256 jobId) external view returns (uint256 best) {
        ITrainingMarket.Job memory j = _market.job(jobId);
        best = Judgment.NO_WINNER;
        if (!j.evaluationRevealed) return best; // a forfeit has no winner
        uint256 bestScore = 0;
        uint256 drawn = _drawn(jobId, j);
        uint256[16] memory ruled = _ruled(jobId, j);
        for (uint256 i; i < j.submissionCount; ++i) {
            uint256 sheet = ruled[i] != 0 ? ruled[i] : _market.submissionAt(jobId, i).sheet;
            // The attestation count does not choose the winner (the outcome already says Unverified).
            // slither-disable-next-line unused-return
            (ITrainingMarket.Outcome outcome,, uint16 median) =
                Judgment.judge(j, sheet, drawn, _quorum, _toleranceBps);
            if (Judgment.leads(outcome, median, best, bestScore)) (best, bestScore) = (i, median);
        }
    }

    /// @notice Every submission judged as finalize does (or will), with what claim pays for
    /// the stakes as committed, and the job's sums for the requester and the committee.
    /// @dev Claim zeroes a stored stake and finalize overwrites the stored reward with the
    /// prize, so the caller passes `stakes` (one per submission, in commit order) and `reward`
    /// as posted (the Committed and JobPosted events hold them). On a forfeit (evaluation set
    /// never revealed) the totals are zero: the revealed workers share the reward and the
    /// unrevealed stakes, and no validator is paid. Reverts {MarketLensWrongStakeCount} unless
    /// there is one stake per submission.
    function settlementOf(uint256 jobId, uint256[] calldata stakes, uint256 reward)
        external
        view
        returns (Judged[] memory list, Totals memory totals)
    {
        ITrainingMarket.Job memory j = _market.job(jobId);
        if (stakes.length != j.submissionCount) {
            revert MarketLensWrongStakeCount(jobId, stakes.length, j.submissionCount);
        }
        list = new Judged[](stakes.length);
        uint256 revealed = 0;
        uint256 drawn = _drawn(jobId, j);
        uint256[16] memory ruled = _ruled(jobId, j);
        for (uint256 i; i < list.length; ++i) {
            uint256 sheet = ruled[i] != 0 ? ruled[i] : _market.submissionAt(jobId, i).sheet;
            list[i] = _judged(j, i, sheet, stakes[i], drawn);
            ITrainingMarket.Outcome o = list[i].outcome;
            if (o != ITrainingMarket.Outcome.Unrevealed) ++revealed;
            if (o == ITrainingMarket.Outcome.Unrevealed || o == ITrainingMarket.Outcome.Dishonest) {
                totals.stakesSlashed += list[i].stakeLost;
            } else {
                totals.forfeits += list[i].stakeLost;
            }
        }
        // A forfeit (a set never opened, a committee below the quorum): no fee, nothing slashed.
        if (!j.evaluationRevealed || drawn < _quorum) return (list, Totals(0, 0, 0));
        totals.validatorFee = Judgment.validatorFee(reward, revealed, _feeBps);
    }

    /// @notice True when a verified score of `scoreBps` would reach job `jobId`'s minimum (a
    /// worker asks before it stakes on its own held-out estimate).
    function reachesMinimum(uint256 jobId, uint16 scoreBps) external view returns (bool) {
        return Judgment.reachesMinimum(_market.job(jobId), scoreBps);
    }

    /// @notice The commitment a worker sends to {TrainingMarket-commit}.
    function commitmentOf(uint256 jobId, address worker, bytes32 modelHash, uint16 scoreBps, bytes32 salt)
        external
        pure
        returns (bytes32)
    {
        return MarketHashes.commitment(jobId, worker, modelHash, scoreBps, salt);
    }

    /// @notice The seal a committee member sends to {TrainingMarket-commitAttestation}.
    function attestationSealOf(uint256 jobId, address validator, uint16[] calldata scores, bytes32 salt)
        external
        pure
        returns (bytes32)
    {
        return MarketHashes.attestationSeal(jobId, validator, scores, salt);
    }

    /// @notice What a worker's commitment slot holds after its reveal.
    function resultHashOf(bytes32 modelHash, string calldata uri) external pure returns (bytes32) {
        return MarketHashes.result(modelHash, uri);
    }

    /// @notice The seal a requester sends to {TrainingMarket-postJob} for its evaluation set.
    function evaluationSealOf(bytes32 evaluationSet, bytes32 salt) external pure returns (bytes32) {
        return MarketHashes.evaluationSeal(evaluationSet, salt);
    }

    /// @dev The sheets an appeal's closed vote overturns ({Appeals-verdictOf}), as finalize
    /// will store them; none once finalized (the market stored them) or while the vote runs.
    function _ruled(uint256 jobId, ITrainingMarket.Job memory j) private view returns (uint256[16] memory ruled) {
        if (j.status != ITrainingMarket.Status.Active) return ruled;
        // The vote still open (AppealsVoteOpen): the committee's verdict, as things stand.
        // Only the ruled sheets are the lens's business (the seats' bonds are finalize's).
        // slither-disable-next-line unused-return
        try _appeals.verdictOf(jobId) returns (address, uint256, uint256[16] memory r) {
            ruled = r;
        } catch {}
    }

    /// @dev Submission `i` (sheet `sheet`, committed with `stake`) judged, with its payout.
    function _judged(ITrainingMarket.Job memory j, uint256 i, uint256 sheet, uint256 stake, uint256 drawn)
        private
        view
        returns (Judged memory d)
    {
        (ITrainingMarket.Outcome outcome, uint256 count, uint16 median) =
            Judgment.judge(j, sheet, drawn, _quorum, _toleranceBps);
        (uint256 returned, uint256 share) = Judgment.payout(j, i, stake, outcome, _forfeitBps);
        d = Judged(_final(j, i, outcome), count >= _quorum, median, 0, returned, stake - returned, share);
        // A split verdict, or a proven bad envelope (no attestation counts): no seat is near.
        if (!Judgment.settlesAttestations(outcome) || !Judgment.counted(sheet)) return d;
        for (uint256 seat; seat < ScoreSheet.SEATS; ++seat) {
            if (sheet.hasAttestation(seat) && Judgment.near(sheet.attestation(seat), median, _toleranceBps)) {
                d.nearSeats |= uint16(1 << seat);
            }
        }
    }

    /// @dev The number of the job's filled committee seats, whose strict majority decides.
    function _drawn(uint256 jobId, ITrainingMarket.Job memory j) private view returns (uint256) {
        return Committee.drawn(_market.committeeWords(jobId), j.committeeSize);
    }

    /// @dev `outcome` with Won for the winner of a finalized job.
    function _final(ITrainingMarket.Job memory j, uint256 i, ITrainingMarket.Outcome outcome)
        private
        pure
        returns (ITrainingMarket.Outcome)
    {
        return j.winnerPlusOne == i + 1 ? ITrainingMarket.Outcome.Won : outcome;
    }
}
