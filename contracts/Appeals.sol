// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IAppeals} from "./interfaces/IAppeals.sol";
import {ITrainingMarket} from "./interfaces/ITrainingMarket.sol";
import {Committee} from "./libraries/Committee.sol";
import {Judgment} from "./libraries/Judgment.sol";
import {ScoreSheet} from "./libraries/ScoreSheet.sol";
import {UNBONDING_SECONDS} from "./ValidatorSet.sol";

/// @title Appeals
/// @notice One appeal per job, to the whole validator bond (issue 20 item 5): anyone may appeal
/// a job's committee verdict with a deposit; every validator that was a member when it was filed
/// (less the requester and the job's workers) then commits and reveals, per submission, whether
/// it over-claims and whether the committee's verified score overstates it, tallied by bond. The market settles the job on the vote's verdicts
/// ({AppealRuling}): the seats that attested against an overturned verdict lose their whole bond.
/// @dev Created by the market's constructor and trusted by it only for {verdictOf}; it trusts
/// the market only for {rule}. No administrator. Windows, from the job's deadlines: appeals in
/// the second half of the settle window (attestation reveals close at its middle,
/// {Judgment-appealsOpenAt}), vote commits until the settle deadline + L, reveals until + 2L,
/// L = the settle window, at most MAX_VOTE_WINDOW; an appealed job finalizes after that.
contract Appeals is IAppeals, ReentrancyGuardTransient {
    using ScoreSheet for uint256;

    /// @notice Longest vote window: a member asking to exit after the appeal was filed is still
    /// bonded (the unbonding delay, 37 days) when the vote closes, so its absence can be slashed.
    uint256 public constant MAX_VOTE_WINDOW = 7 days;
    /// @notice Leaves that may join between the count an appellant read and its filing: each is
    /// counted. Blocking a filing then takes more joins than this in one block, a fresh minimum
    /// bond each, locked for the unbonding delay (at 1 per block, a captor could block it for good).
    uint256 public constant MAX_LATE_JOINS = 16;
    /// @dev An exit's request time is its unlock less this.
    uint256 private constant UNBONDING_DELAY = UNBONDING_SECONDS;
    uint256 private constant BPS = 10_000;
    uint8 private constant REFUNDED = 1;
    // What the vote does to a submission's verdict ({_overturned}).
    uint256 private constant STANDS = 0;
    uint256 private constant HONEST = 1;
    uint256 private constant OVER_CLAIMED = 2;
    uint256 private constant INFLATED = 3;
    uint8 private constant TO_VOTERS = 2;
    /// @notice The vote's bit saying the opened evaluation set could not be fetched or does not
    /// match its seal: a member that cannot evaluate votes this alone, and abstains on every
    /// submission's verdict. Unless a strict majority of the bond that voted sets it, the set
    /// counts as served, and a committee majority that attested it unavailable is overruled; when
    /// one does, the job is the requester's failure ({verdictOf}).
    uint64 public constant UNSERVED = 1 << 32;
    /// @dev {verdictOf}'s `lost`: bit SERVED says the vote overrules an unavailable majority,
    /// bit NOT_SERVED that a strict majority of the voting bond could not get the set;
    /// byte MISSING_SHIFT / 8 + s counts the lanes of absent seat s that the ruling filled.
    uint256 private constant SERVED = 1 << 255;
    uint256 private constant NOT_SERVED = 1 << 254;
    uint256 private constant MISSING_SHIFT = 16;
    /// @dev Committee word 1's bits from here mark the seats that attested unavailable ({Attestations}).
    uint256 private constant UNAVAILABLE_SHIFT = 224;
    /// @dev What a voter's seal becomes once revealed, or once its absence was slashed.
    bytes32 private constant REVEALED = bytes32(uint256(1));
    bytes32 private constant SLASHED = bytes32(uint256(2));

    ITrainingMarket private immutable _market;
    mapping(uint256 jobId => Appeal) private _appeals;
    /// @dev Gwei of bond that set bit b of its vote (b < 16: submission b over-claims; b >= 16:
    /// submission b - 16's verified score is inflated; b = 32: the set was not served): word
    /// b / 4, 64-bit lane b % 4 (a lane holds every bond: the validator set's total is below
    /// 2**56 gwei).
    // Written through a storage pointer in revealVote, which slither does not follow.
    // slither-disable-next-line uninitialized-state
    mapping(uint256 jobId => uint256[9]) private _against;
    mapping(uint256 jobId => mapping(address voter => bytes32)) private _votes;
    mapping(uint256 jobId => mapping(address voter => uint256)) private _weights;

    constructor(address market_) {
        _market = ITrainingMarket(market_);
    }

    /// @notice Appeal the committee's verdict on every submission of `jobId` with a deposit
    /// (msg.value) of at least the job's minimum stake; `members` is the number of validator
    /// leaves now (the members who vote: {ITrainingMarket-validatorAt} is non-zero below it, zero at
    /// it); up to {MAX_LATE_JOINS} leaves joined since it was read are counted too.
    /// @dev Once per job with a submission, in the second half of its settle window, once the
    /// evaluation set is opened. The deposit comes back when the vote overturns a verdict, else the voters share
    /// it by bond. `members` is checked, not trusted (leaves are never reused nor cleared), and
    /// saves the market a view. Emits {AppealFiled}.
    function fileAppeal(uint256 jobId, uint256 members) external payable {
        ITrainingMarket.Job memory j = _market.job(jobId);
        // No submission: nothing to appeal, and its requester may still cancel it, which no
        // finalize would follow: the deposit would stay here for good.
        if (j.status != ITrainingMarket.Status.Active || !j.evaluationRevealed || j.submissionCount == 0) {
            revert AppealsNotAppealing(jobId);
        }
        if (block.timestamp < Judgment.appealsOpenAt(j.attestDeadline, j.settleDeadline) || block.timestamp >= j.settleDeadline) {
            revert AppealsNotAppealing(jobId);
        }
        Appeal storage a = _appeals[jobId];
        if (a.appellant != address(0)) revert AppealsAlreadyFiled(jobId);
        if (msg.value < j.minStake) revert AppealsDepositTooLow(jobId, msg.value, j.minStake);
        if (members == 0 || _market.validatorAt(members - 1) == address(0)) revert AppealsWrongMembers(jobId, members);
        for (uint256 late; _market.validatorAt(members) != address(0); ++late) {
            if (late == MAX_LATE_JOINS) revert AppealsWrongMembers(jobId, members);
            ++members; // joined since the appellant counted: it votes too
        }
        uint256 window = j.settleDeadline - j.attestDeadline;
        if (window > MAX_VOTE_WINDOW) window = MAX_VOTE_WINDOW;
        // Deadlines fit uint32 (the market's); a deposit above 2**96 wei is more ether than exists.
        (a.appellant, a.filedAt, a.commitUntil, a.submissions) =
            (msg.sender, uint32(block.timestamp), uint32(j.settleDeadline + window), j.submissionCount);
        (a.deposit, a.members, a.revealUntil, a.requester) =
            (uint96(msg.value), uint128(members), uint32(j.settleDeadline + 2 * window), j.requester);
        emit AppealFiled(jobId, msg.sender, msg.value, a.commitUntil, a.revealUntil);
    }

    /// @notice Commit your vote on an appealed job: `seal` = keccak256(abi.encode(jobId,
    /// msg.sender, uint64 vote, salt)); bit i of `vote`: submission i over-claims (your measured
    /// score + the tolerance is below its claim); bit 16 + i: the committee's verified score of
    /// submission i overstates it (your measured score + the tolerance is below it); bit 32
    /// ({UNSERVED}): you could not fetch the opened evaluation set, or it does not match its seal.
    /// @dev Eligible members only ({eligible}), once, from the filing to the commit deadline:
    /// sealed so that nobody votes by copying the tally. Emits {VoteCommitted}.
    function commitVote(uint256 jobId, bytes32 seal) external {
        Appeal storage a = _appeals[jobId];
        if (a.appellant == address(0) || block.timestamp >= a.commitUntil) revert AppealsNotVoting(jobId);
        if (seal == bytes32(0) || seal == REVEALED || seal == SLASHED) revert AppealsVoteMismatch(jobId, msg.sender);
        if (!_eligible(a, jobId, msg.sender)) revert AppealsNotEligible(jobId, msg.sender);
        if (_votes[jobId][msg.sender] != bytes32(0)) revert AppealsAlreadyVoted(jobId, msg.sender);
        _votes[jobId][msg.sender] = seal;
        emit VoteCommitted(jobId, msg.sender, seal);
    }

    /// @notice Reveal the vote you sealed; it counts with your bond as it is now, or if it grew
    /// since the filing, as it was before ({ITrainingMarket-leastBondSince}).
    /// @dev Between the commit and the reveal deadline. O(submissions / 4) writes, no loop over
    /// voters: the tally is a sum per submission. Emits {VoteRevealed}.
    function revealVote(uint256 jobId, uint64 vote, bytes32 salt) external {
        Appeal storage a = _appeals[jobId];
        if (block.timestamp < a.commitUntil || block.timestamp >= a.revealUntil) revert AppealsNotVoting(jobId);
        if (keccak256(abi.encode(jobId, msg.sender, vote, salt)) != _votes[jobId][msg.sender]) {
            revert AppealsVoteMismatch(jobId, msg.sender);
        }
        uint256 unused = ~((uint256(1) << a.submissions) - 1) & 0xffff; // bits of no submission
        // UNSERVED goes alone: its voter abstains on every submission ({votesOf}).
        if ((vote & UNSERVED != 0 && vote != UNSERVED) || vote > UNSERVED || vote & (unused | (unused << 16)) != 0) {
            revert AppealsBadVote(jobId, vote);
        }
        // Gwei, the sortition's unit; bond added after the filing would let a captor that saw
        // the filing outvote the honest bond with money never at stake when it captured.
        uint256 weight = _market.leastBondSince(msg.sender, a.filedAt);
        _votes[jobId][msg.sender] = REVEALED;
        _weights[jobId][msg.sender] = weight;
        a.total += weight;
        uint256[9] storage against = _against[jobId];
        // Unchecked: a lane sums bonds of distinct members, below 2**56 gwei (the tree's cap).
        unchecked {
            for (uint256 b; vote >> b != 0; ++b) {
                if ((vote >> b) & 1 != 0) against[b >> 2] += weight << (64 * (b & 3));
            }
        }
        emit VoteRevealed(jobId, msg.sender, vote, weight);
    }

    /// @notice Slash an eligible member that revealed no vote on an appealed job, as the
    /// market slashes a silent seat (its slash share of the bond, burned); anyone may call it.
    /// @dev After the reveal deadline, once per member. Turnout is the appeal's attack surface:
    /// a vote that honest members could skip for free would be decided by whoever shows up.
    /// Emits {AbsentVoterSlashed}.
    function slashAbsent(uint256 jobId, address voter) external {
        Appeal storage a = _appeals[jobId];
        if (a.appellant == address(0)) revert AppealsNotVoting(jobId);
        if (block.timestamp < a.revealUntil) revert AppealsVoteOpen(jobId, a.revealUntil);
        if (!_eligible(a, jobId, voter)) revert AppealsNotEligible(jobId, voter);
        bytes32 vote = _votes[jobId][voter];
        if (vote == REVEALED || vote == SLASHED) revert AppealsAlreadyVoted(jobId, voter);
        _votes[jobId][voter] = SLASHED;
        // A silent seat's share of the bond ({Settlement-_settleValidators}'s slash per missing attestation).
        uint256 amount = uint256(_market.validator(voter).bond) * _market.config().slashBps / BPS;
        _market.slashNonVotingMember(voter, amount);
        emit AbsentVoterSlashed(jobId, voter);
    }

    /// @notice Pull what the appeal owes you: the deposit (appellant, verdict overturned) or
    /// your share of it by bond (a voter, verdict upheld).
    /// @dev Reads, zeroes, sends, under the reentrancy guard. Emits {AppealPaid}.
    function collect(uint256 jobId) external nonReentrant {
        uint256 amount = owedTo(jobId, msg.sender);
        if (amount == 0) revert AppealsNothingOwed(jobId, msg.sender);
        // What was owed is spent: the appellant's deposit, or this voter's weight.
        if (_refunded(_appeals[jobId])) _appeals[jobId].deposit = 0;
        else _weights[jobId][msg.sender] = 0;
        // slither-disable-next-line arbitrary-send-eth,low-level-calls
        (bool ok,) = payable(msg.sender).call{value: amount}("");
        if (!ok) revert AppealsTransferFailed(msg.sender, amount);
        emit AppealPaid(jobId, msg.sender, amount);
    }

    /// @notice The vote's verdicts, per submission i: bit i of `decided` when a strict majority
    /// of the bond that voted agrees on its claim, bit i of `dishonest` when that majority says
    /// it over-claims, bit i of `inflated` when a strict majority says the committee's verified
    /// score overstates it.
    /// @dev A tie, or no vote at all, decides nothing (the committee's verdict stands). A voter
    /// that could not get the set ({UNSERVED}) abstains: its bond is not in these majorities.
    function votesOf(uint256 jobId) public view returns (uint256 decided, uint256 dishonest, uint256 inflated) {
        Appeal storage a = _appeals[jobId];
        uint256 total = a.total - _lane(jobId, 32); // the UNSERVED lane sums bonds within the total
        for (uint256 i; i < a.submissions; ++i) {
            uint256 over = _lane(jobId, i);
            if (2 * over > total) (decided, dishonest) = (decided | (1 << i), dishonest | (1 << i));
            else if (2 * over < total) decided |= 1 << i;
            if (2 * _lane(jobId, 16 + i) > total) inflated |= 1 << i;
        }
    }

    /// @notice What the market's finalize applies: the appellant (zero: no appeal), the seats
    /// on the losing side of an overturned verdict (`lost`, bit s: seat s; they lose their whole
    /// bond), and per overturned submission i its sheet as the vote rules it (`ruled[i]`, zero
    /// where the committee's verdict stands).
    /// @dev Two overturns ({_overturned}, {_rewrite}), against the committee's verdict as finalize judges it
    /// ({Judgment-judge}): of its honesty, when the vote decides the claim the other way than the
    /// committee (or the committee was Undecided): every attesting seat then holds the claim (the
    /// vote says honest) or 0 (dishonest), and the seats on the other side lose; of its score,
    /// when the claim stands honest but the vote says the verified score overstates it (junk
    /// with a modest claim lifted to win): every attesting seat then holds the claim, and the
    /// seats that attested the verified score or above lose. Every drawn seat's lane of a
    /// ruled sheet holds the vote's score, an absent seat's too, so the vote decides a submission
    /// the committee left Undecided or Unverified (silent captors cannot hold it short of a
    /// majority); each lane filled for an absent seat counts as a missing attestation (byte 2 + s
    /// of `lost`: the market slashes it as it slashes any missing one, not the whole bond).
    /// When a strict majority of the drawn seats attested the set unavailable and the vote says
    /// it was served (fewer than half the bond that voted set {UNSERVED}), bit 255 of `lost` is
    /// set and those seats lose their whole bond: the market then judges the job instead of
    /// forfeiting it. When the committee had no such majority but more than half of the bond that
    /// voted could not get the set, bit 254 is set and nothing is ruled: the job forfeits as the
    /// requester's failure (its Sybil seats scored a set nobody else could fetch). Reverts
    /// {AppealsVoteOpen} until the reveal deadline: finalize waits for the vote.
    function verdictOf(uint256 jobId) external view returns (address appellant, uint256 lost, uint256[16] memory ruled) {
        Appeal storage a = _appeals[jobId];
        appellant = a.appellant;
        if (appellant == address(0)) return (appellant, 0, ruled);
        if (block.timestamp < a.revealUntil) revert AppealsVoteOpen(jobId, a.revealUntil);
        (uint256 decided, uint256 dishonest, uint256 inflated) = votesOf(jobId);
        (lost, ruled) = _rule(jobId, decided | (dishonest << 16) | (inflated << 32));
    }

    /// @notice The vote a member who measured `measured[i]` on submission i casts, by the
    /// contract's own rule (the validators' roles ask here rather than copy it): bit i when the
    /// claim is above the measurement plus the tolerance, bit 16 + i when the committee's
    /// verified score ({Judgment-judge}, as finalize judges it) is. Unrevealed submissions: 0.
    function ballotOf(uint256 jobId, uint16[] calldata measured) external view returns (uint32 vote) {
        ITrainingMarket.Job memory j = _market.job(jobId);
        ITrainingMarket.Config memory c = _market.config();
        uint256 drawn = Committee.drawn(_market.committeeWords(jobId), j.committeeSize);
        if (measured.length != j.submissionCount) revert AppealsVoteMismatch(jobId, msg.sender);
        for (uint256 i; i < measured.length; ++i) {
            uint256 sheet = _market.submissionAt(jobId, i).sheet;
            if (!sheet.revealed()) continue;
            uint256 ceiling = uint256(measured[i]) + c.toleranceBps;
            if (sheet.claimed() > ceiling) vote |= uint32(1 << i);
            // slither-disable-next-line unused-return
            (,, uint16 verified) = Judgment.judge(j, sheet, drawn, c.quorum, c.toleranceBps);
            if (verified > ceiling) vote |= uint32(1 << (16 + i));
        }
    }

    /// @dev {verdictOf}'s work for `votes` (bits 0-15 decided, 16-31 over-claimed, 32-47 inflated).
    function _rule(uint256 jobId, uint256 votes) private view returns (uint256 lost, uint256[16] memory ruled) {
        ITrainingMarket.Job memory j = _market.job(jobId);
        (uint256 committee, bool forfeits, uint256 overruled) = _committeeOf(jobId, j.committeeSize);
        if (forfeits) return (overruled, ruled); // the set unavailable: nothing is judged
        lost = overruled;
        for (uint256 i; i < j.submissionCount; ++i) {
            if (((votes | (votes >> 32)) >> i) & 1 == 0) continue; // neither decided nor inflated
            uint256 losing;
            uint256 missing;
            (ruled[i], losing, missing) = _ruleOne(j, _market.submissionAt(jobId, i).sheet, committee, votes >> i);
            // Seats' bits are or-ed; the missing bytes (above them) are summed: at most 16 a byte.
            lost = (lost | losing) + missing;
        }
    }

    /// @dev The committee: its filled seats (bit s: seat s) and, from bit 16, their number;
    /// and {_served}'s answer.
    function _committeeOf(uint256 jobId, uint256 size)
        private
        view
        returns (uint256 committee, bool forfeits, uint256 overruled)
    {
        uint256[2] memory words = _market.committeeWords(jobId);
        for (uint256 seat; seat < size; ++seat) {
            if (Committee.filled(words, seat)) committee = (committee | (1 << seat)) + (1 << 16);
        }
        (forfeits, overruled) = _served(jobId, words[1], committee >> 16);
    }

    /// @dev A submission's sheet as the vote (`vote`, shifted to its bits) rules it, with its
    /// losing seats and its filled lanes ({_overturned}, {_rewrite}); zeros where it stands.
    /// `committee` is {_committeeOf}'s.
    function _ruleOne(ITrainingMarket.Job memory j, uint256 sheet, uint256 committee, uint256 vote)
        private
        view
        returns (uint256 ruled, uint256 lost, uint256 missing)
    {
        ITrainingMarket.Config memory c = _market.config();
        (uint256 mode, uint256 score) = _overturned(j, sheet, committee >> 16, c, vote);
        if (mode != STANDS) (ruled, lost, missing) = _rewrite(sheet, score, mode, c.toleranceBps, committee & 0xffff);
    }

    /// @dev The set's verdict. When a strict majority of the `drawn` seats attested the set
    /// unavailable (`word1`, committee word 1, holds {Attestations-attestUnavailable}'s marks):
    /// SERVED and those seats if fewer than half of the bond that voted says the set was not
    /// served, else `forfeits` (a majority or a tie of the vote, or no vote, leaves the committee's
    /// word). Otherwise `forfeits` and NOT_SERVED when more than half of the voting bond could not
    /// get it (the requester's failure, whatever its committee attested), else nothing.
    function _served(uint256 jobId, uint256 word1, uint256 drawn) private view returns (bool forfeits, uint256 verdict) {
        uint256 unavailable = (word1 >> UNAVAILABLE_SHIFT) & 0x7fff; // seats 0..14
        uint256 n = 0;
        for (uint256 seats = unavailable; seats != 0; seats >>= 1) {
            n += seats & 1;
        }
        (uint256 unserved, uint256 total) = (2 * _lane(jobId, 32), _appeals[jobId].total);
        if (2 * n <= drawn) return unserved > total ? (true, NOT_SERVED) : (false, 0);
        if (unserved >= total) return (true, 0);
        return (false, SERVED | unavailable);
    }

    /// @dev How the vote (`vote`: bit 0 decided, bit 16 over-claimed, bit 32 inflated) treats a
    /// submission the committee judged from `sheet` ({Judgment-judge}, as finalize judges it),
    /// and the committee's verified score: STANDS where the vote agrees or the committee judged
    /// nothing (unrevealed, a forfeit, a proven bad envelope); HONEST or OVER_CLAIMED where the vote decides the claim
    /// the other way than the committee (or the committee was Undecided or Unverified); INFLATED where
    /// the claim stands honest but the vote says the verified score overstates the submission.
    function _overturned(
        ITrainingMarket.Job memory j,
        uint256 sheet,
        uint256 drawn,
        ITrainingMarket.Config memory c,
        uint256 vote
    ) private pure returns (uint256 mode, uint256 score) {
        // The attestation count is not the vote's business (the outcome says Unverified).
        // slither-disable-next-line unused-return
        (ITrainingMarket.Outcome outcome,, uint16 verified) = Judgment.judge(j, sheet, drawn, c.quorum, c.toleranceBps);
        score = verified;
        bool confirmed = outcome == ITrainingMarket.Outcome.Honest || outcome == ITrainingMarket.Outcome.BelowMinimum;
        // Undecided or Unverified: too few seats attested (a tie, silent seats) to decide it. Not
        // a proven bad envelope (sealed jobs): nobody could check the submission as sent, so it
        // stays Unverified; a ruled sheet, rebuilt from the claim, would drop the flag and slash
        // its prover as absent on the lanes the ruling fills.
        bool open = outcome == ITrainingMarket.Outcome.Undecided
            || (outcome == ITrainingMarket.Outcome.Unverified && !sheet.badEnvelope());
        if (!confirmed && !open && outcome != ITrainingMarket.Outcome.Dishonest) return (STANDS, score);
        bool honest = (vote >> 16) & 1 == 0;
        if (vote & 1 != 0 && (open || confirmed != honest)) {
            return (honest ? HONEST : OVER_CLAIMED, score);
        }
        if (honest && confirmed && (vote >> 32) & 1 != 0) return (INFLATED, score);
        return (STANDS, score);
    }

    /// @dev `sheet` as the vote rules it (`mode`, not STANDS): every drawn seat (bit s of
    /// `seats`) holds the claim (HONEST, INFLATED) or 0 (OVER_CLAIMED), so the sheet has a
    /// majority whatever the committee left silent. The seats on the losing side (`lost`): those
    /// that confirmed or convicted the claim against the vote, or (INFLATED) stood behind the
    /// overstated verified score `score`. A drawn seat that never attested: one in its byte of
    /// `missing` (byte 2 + s), slashed as a missing attestation, as it would be unruled.
    function _rewrite(uint256 sheet, uint256 score, uint256 mode, uint256 toleranceBps, uint256 seats)
        private
        pure
        returns (uint256 ruled, uint256 lost, uint256 missing)
    {
        uint256 claimed = sheet.claimed();
        bool honest = mode != OVER_CLAIMED;
        ruled = ScoreSheet.withClaim(uint16(claimed));
        for (uint256 seat; seat < ScoreSheet.SEATS; ++seat) {
            if (!sheet.hasAttestation(seat)) {
                if ((seats >> seat) & 1 == 0) continue; // an empty seat
                missing |= 1 << (MISSING_SHIFT + 8 * seat);
            } else {
                uint256 attested = sheet.attestation(seat);
                if (mode == INFLATED ? attested >= score : (claimed <= attested + toleranceBps) != honest) lost |= 1 << seat;
            }
            ruled = ruled.withAttestation(seat, honest ? uint16(claimed) : 0);
        }
    }

    /// @dev Gwei of bond that set bit `b` of its vote.
    function _lane(uint256 jobId, uint256 b) private view returns (uint256) {
        return (_against[jobId][b >> 2] >> (64 * (b & 3))) & type(uint64).max;
    }

    /// @notice The market's finalize records whether the vote overturned a verdict (the deposit
    /// goes back to the appellant, who was also credited `appellantShare` of the captors' bonds)
    /// or not (the voters share it).
    /// @dev The market only, once, for an appealed job. Emits {AppealRuled}.
    function rule(uint256 jobId, bool overturned, uint256 appellantShare) external {
        if (msg.sender != address(_market)) revert AppealsNotMarket(msg.sender);
        _appeals[jobId].ruling = overturned ? REFUNDED : TO_VOTERS;
        emit AppealRuled(jobId, overturned, appellantShare);
    }

    /// @notice The appeal of `jobId` as stored (appellant zero: none).
    function appealOf(uint256 jobId) external view returns (Appeal memory) {
        return _appeals[jobId];
    }

    /// @notice [appeals open, appeals close (the settle deadline), vote commits close, vote
    /// reveals close] of `jobId`; the last two are the filed appeal's (0 before one is filed).
    function windowsOf(uint256 jobId) external view returns (uint256[4] memory w) {
        ITrainingMarket.Job memory j = _market.job(jobId);
        Appeal storage a = _appeals[jobId];
        (w[0], w[1], w[2], w[3]) = (Judgment.appealsOpenAt(j.attestDeadline, j.settleDeadline), j.settleDeadline, a.commitUntil, a.revealUntil);
    }

    /// @notice Gwei of bond that set bit `bit` of its vote (submission `bit` over-claims; bit
    /// 16 + i: submission i's verified score is inflated; bit 32: the set was not served), and
    /// of all revealed votes.
    function tallyOf(uint256 jobId, uint256 bit) external view returns (uint256 against, uint256 total) {
        return (_lane(jobId, bit), _appeals[jobId].total);
    }

    /// @notice What `voter` committed on `jobId`'s appeal: zero if nothing, 1 once revealed, 2
    /// once slashed as absent, else its seal.
    function voteOf(uint256 jobId, address voter) external view returns (bytes32) {
        return _votes[jobId][voter];
    }

    /// @notice What {collect} would pay `account` for `jobId`'s appeal now.
    function owedTo(uint256 jobId, address account) public view returns (uint256) {
        Appeal storage a = _appeals[jobId];
        if (_refunded(a)) return account == a.appellant ? a.deposit : 0;
        if (a.ruling != TO_VOTERS) return 0;
        return uint256(a.deposit) * _weights[jobId][account] / a.total; // equal shares per gwei; dust stays
    }

    /// @notice True when `account` may vote on `jobId`'s appeal (and is slashed if it does not).
    function eligible(uint256 jobId, address account) external view returns (bool) {
        Appeal storage a = _appeals[jobId];
        return a.appellant != address(0) && _eligible(a, jobId, account);
    }

    /// @notice The market this contract serves.
    function market() external view returns (address) {
        return address(_market);
    }

    /// @dev The deposit goes back to the appellant: the vote overturned a verdict, or it upheld
    /// them all with no vote revealed (nobody evaluated, so nobody earned it; else it was locked).
    function _refunded(Appeal storage a) private view returns (bool) {
        return a.ruling == REFUNDED || (a.ruling == TO_VOTERS && a.total == 0);
    }

    /// @dev A member when the appeal was filed (its leaf is older: leaves are never reused, so
    /// a bond withdrawn and joined again is a new, ineligible leaf), that had not asked to exit
    /// before it (its bond then outlasts the vote), neither the requester nor a worker of the job.
    function _eligible(Appeal storage a, uint256 jobId, address account) private view returns (bool) {
        ITrainingMarket.Validator memory v = _market.validator(account);
        if (v.leafPlusOne == 0 || v.leafPlusOne > a.members) return false;
        if (v.unlocksAt != 0 && v.unlocksAt < a.filedAt + UNBONDING_DELAY) return false;
        if (account == a.requester) return false;
        for (uint256 i; i < a.submissions; ++i) {
            if (_market.submissionAt(jobId, i).worker == account) return false;
        }
        return true;
    }
}
