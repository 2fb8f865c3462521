// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Appeals} from "../../../contracts/Appeals.sol";
import {IAppeals} from "../../../contracts/interfaces/IAppeals.sol";
import {ITrainingMarket} from "../../../contracts/interfaces/ITrainingMarket.sol";
import {MarketHashes} from "../../../contracts/libraries/MarketHashes.sol";
import {ScoreSheet} from "../../../contracts/libraries/ScoreSheet.sol";
import {MarketFixture} from "./MarketFixture.sol";

/// @notice Appeals' guards and verdicts, concrete (issue 24's coverage of issue 20 item 5):
/// every revert of fileAppeal, commitVote, revealVote, slashAbsent, collect and rule, the cases
/// of verdictOf, the deposit's two fates and who may vote. One job, worker 1's one submission,
/// the fixture's three 1-ETH validators one seat each; settle window L = 1,000 s.
contract AppealsGuardsTest is MarketFixture {
    using ScoreSheet for uint256;

    address internal constant APPELLANT = address(0xA99E);
    address internal constant OUTSIDER = address(0x0DD);
    bytes32 internal constant VOTE_SALT = keccak256("vote salt");
    uint16 internal constant NONE = type(uint16).max; // a seat that does not attest
    uint16 internal constant GONE = type(uint16).max - 1; // a seat that attests the set unavailable
    uint256 internal constant SERVED = 1 << 255; // verdictOf's lost: the vote says the set was served
    uint32 internal constant OVER_CLAIMS = 1; // bit 0: submission 0 over-claims
    uint32 internal constant INFLATED = 1 << 16; // bit 16: its verified score is inflated
    uint64 internal constant UNSERVED = 1 << 32; // bit 32: the set was not served

    IAppeals internal appeals;

    function setUp() public override {
        super.setUp();
        appeals = IAppeals(market.appealsContractAddress());
        vm.deal(APPELLANT, 10 ether);
    }

    // ---------------------------------------------------------------- fileAppeal

    function test_fileAppealRecordsTheAppealAndItsWindows() external {
        uint256 id = _judged(8000, 8000, 8000, 8000);
        uint256 settle = market.job(id).settleDeadline;

        vm.expectEmit(address(appeals));
        emit IAppeals.AppealFiled(id, APPELLANT, MIN_STAKE, settle + WINDOW, settle + 2 * WINDOW);
        _file(id);

        IAppeals.Appeal memory a = appeals.appealOf(id);
        assertEq(a.appellant, APPELLANT);
        assertEq(a.filedAt, block.timestamp);
        assertEq(a.commitUntil, settle + WINDOW);
        assertEq(a.revealUntil, settle + 2 * WINDOW);
        assertEq(a.submissions, 1);
        assertEq(a.ruling, 0);
        assertEq(a.deposit, MIN_STAKE);
        assertEq(a.members, 3);
        assertEq(a.requester, REQUESTER);
        assertEq(a.total, 0);
        uint256[4] memory w = appeals.windowsOf(id);
        assertEq(w[0], settle - WINDOW / 2); // the settle window's middle
        assertEq(w[1], settle);
        assertEq(w[2], settle + WINDOW);
        assertEq(w[3], settle + 2 * WINDOW);
        assertEq(address(appeals).balance, MIN_STAKE);
        assertEq(appeals.market(), address(market));
    }

    function test_theVoteWindowsAreCappedAtSevenDays() external {
        uint32[4] memory d = _deadlines();
        d[3] = d[2] + 8 days; // a settle window longer than MAX_VOTE_WINDOW
        uint256 id = _judgedWith(d, 8000, 8000, 8000, 8000);

        _file(id);

        assertEq(appeals.appealOf(id).commitUntil, uint256(d[3]) + 7 days);
        assertEq(appeals.appealOf(id).revealUntil, uint256(d[3]) + 14 days);
    }

    function test_fileAppealRevertsBeforeTheEvaluationSetIsOpened() external {
        uint256 id = _post(market, 1 ether);
        _commit(id, 1, 8000);
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);
        vm.warp(appeals.windowsOf(id)[0]);

        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotAppealing.selector, id));
        _file(id);
    }

    /// Found by the market's invariant campaign once it filed appeals: a job nobody committed
    /// to could be appealed, then cancelled by its requester (allowed while it has no
    /// submission), and the deposit stayed in Appeals for good (no finalize ever rules it).
    function test_fileAppealRevertsOnAJobWithoutSubmissionsWhichItsRequesterMayCancel() external {
        uint32[4] memory d = _deadlines();
        vm.prank(REQUESTER);
        uint256 id = market.postJob{value: 1 ether}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 5000, d, MIN_STAKE, 3
        );
        vm.warp(d[0]);
        vm.prank(REQUESTER);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "");
        vm.warp(appeals.windowsOf(id)[0]);

        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotAppealing.selector, id));
        _file(id);
        vm.prank(REQUESTER);
        market.cancelJob(id); // what would have locked the deposit
    }

    function test_fileAppealRevertsOnAFinalizedJobEvenInsideTheWindow() external {
        uint256 id = _judged(8000, 8000, 8000, 8000);
        uint256 open = block.timestamp;
        vm.warp(market.job(id).settleDeadline);
        market.finalize(id, _model(1), "u");
        vm.warp(open); // the status alone refuses it

        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotAppealing.selector, id));
        _file(id);
    }

    function test_fileAppealRevertsOutsideTheSecondHalfOfTheSettleWindow() external {
        uint256 id = _judged(8000, 8000, 8000, 8000);
        uint256 settle = market.job(id).settleDeadline;

        vm.warp(settle - WINDOW / 2 - 1);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotAppealing.selector, id));
        _file(id);
        vm.warp(settle);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotAppealing.selector, id));
        _file(id);

        vm.warp(settle - 1); // its last second
        _file(id);
        assertEq(appeals.appealOf(id).appellant, APPELLANT);
    }

    function test_fileAppealRevertsASecondAppeal() external {
        uint256 id = _judged(8000, 8000, 8000, 8000);
        _file(id);

        vm.deal(OUTSIDER, MIN_STAKE);
        vm.prank(OUTSIDER);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsAlreadyFiled.selector, id));
        appeals.fileAppeal{value: MIN_STAKE}(id, 3);
    }

    function test_fileAppealRevertsADepositBelowTheMinimumStake() external {
        uint256 id = _judged(8000, 8000, 8000, 8000);

        vm.prank(APPELLANT);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsDepositTooLow.selector, id, MIN_STAKE - 1, MIN_STAKE));
        appeals.fileAppeal{value: MIN_STAKE - 1}(id, 3);
    }

    function test_fileAppealRevertsAWrongMemberCount() external {
        uint256 id = _judged(8000, 8000, 8000, 8000);

        uint256[2] memory wrong = [uint256(0), 4]; // none, a leaf that does not exist
        for (uint256 k; k < 2; ++k) {
            vm.prank(APPELLANT);
            vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsWrongMembers.selector, id, wrong[k]));
            appeals.fileAppeal{value: MIN_STAKE}(id, wrong[k]);
        }
        // A leaf left out is counted (as a late join would be): nobody is left out of the vote.
        vm.prank(APPELLANT);
        appeals.fileAppeal{value: MIN_STAKE}(id, 2);
        assertEq(appeals.appealOf(id).members, 3);
    }

    // ---------------------------------------------------------------- commitVote

    function test_commitVoteStoresTheSeal() external {
        uint256 id = _appealed(8000, 8000, 8000, 8000);
        bytes32 seal = _sealOf(id, _validator(1), 0);

        vm.expectEmit(address(appeals));
        emit IAppeals.VoteCommitted(id, _validator(1), seal);
        vm.prank(_validator(1));
        appeals.commitVote(id, seal);

        assertEq(appeals.voteOf(id, _validator(1)), seal);
    }

    function test_commitVoteRevertsWithoutAnAppealAndAfterItsCommitWindow() external {
        uint256 id = _judged(8000, 8000, 8000, 8000);
        vm.prank(_validator(1));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotVoting.selector, id));
        appeals.commitVote(id, keccak256("seal"));

        _file(id);
        vm.warp(appeals.windowsOf(id)[2]);
        vm.prank(_validator(1));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotVoting.selector, id));
        appeals.commitVote(id, keccak256("seal"));
    }

    function test_commitVoteRevertsTheSealsThatMarkAState() external {
        uint256 id = _appealed(8000, 8000, 8000, 8000);

        // Zero (nothing), 1 (revealed) and 2 (slashed) are what voteOf reports: never a seal.
        for (uint256 s; s < 3; ++s) {
            vm.prank(_validator(1));
            vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsVoteMismatch.selector, id, _validator(1)));
            appeals.commitVote(id, bytes32(s));
        }
    }

    function test_commitVoteRevertsASecondSeal() external {
        uint256 id = _appealed(8000, 8000, 8000, 8000);
        _commitVote(id, 1, 0);

        vm.prank(_validator(1));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsAlreadyVoted.selector, id, _validator(1)));
        appeals.commitVote(id, _sealOf(id, _validator(1), 1));
    }

    // ---------------------------------------------------------------- eligibility

    function test_anOutsiderMayNotVote() external {
        uint256 id = _appealed(8000, 8000, 8000, 8000);

        assertFalse(appeals.eligible(id, OUTSIDER));
        vm.prank(OUTSIDER);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotEligible.selector, id, OUTSIDER));
        appeals.commitVote(id, keccak256("seal"));
    }

    function test_theRequesterAndTheWorkersMayNotVoteThoughBonded() external {
        uint256 id = _judged(8000, 8000, 8000, 8000);
        _join(REQUESTER);
        _join(_worker(1));
        vm.prank(APPELLANT);
        appeals.fileAppeal{value: MIN_STAKE}(id, 5);

        assertFalse(appeals.eligible(id, REQUESTER));
        assertFalse(appeals.eligible(id, _worker(1)));
        assertTrue(appeals.eligible(id, _validator(3)));
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotEligible.selector, id, REQUESTER));
        appeals.commitVote(id, keccak256("seal"));
        vm.prank(_worker(1));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotEligible.selector, id, _worker(1)));
        appeals.commitVote(id, keccak256("seal"));
    }

    function test_aMemberThatJoinsAfterTheFilingMayNotVote() external {
        uint256 id = _appealed(8000, 8000, 8000, 8000);
        _join(OUTSIDER);

        assertFalse(appeals.eligible(id, OUTSIDER));
        vm.prank(OUTSIDER);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotEligible.selector, id, OUTSIDER));
        appeals.commitVote(id, keccak256("seal"));
    }

    function test_aMemberExitingBeforeTheFilingMayNotVoteButOneExitingAfterMust() external {
        uint256 id = _judged(8000, 8000, 8000, 8000);
        vm.prank(_validator(3));
        market.requestExit();
        vm.warp(block.timestamp + 1);
        _file(id);
        vm.prank(_validator(2));
        market.requestExit(); // after the filing: still bonded past the vote

        assertFalse(appeals.eligible(id, _validator(3)));
        assertTrue(appeals.eligible(id, _validator(2)));
        assertFalse(appeals.eligible(id + 1, _validator(2))); // no appeal: nobody
        vm.prank(_validator(3));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotEligible.selector, id, _validator(3)));
        appeals.commitVote(id, keccak256("seal"));
        _commitVote(id, 2, 0);
        vm.warp(appeals.windowsOf(id)[3]);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotEligible.selector, id, _validator(3)));
        appeals.slashAbsent(id, _validator(3));
        appeals.slashAbsent(id, _validator(2)); // its seal was never opened
        assertEq(appeals.voteOf(id, _validator(2)), bytes32(uint256(2)));
    }

    // ---------------------------------------------------------------- revealVote

    function test_revealVoteCountsTheBondAtTheFilingInGwei() external {
        vm.warp(block.timestamp + market.UNBONDING_DELAY()); // the members' joins are long past
        uint256 id = _appealed(8000, 8000, 8000, 8000);
        _commitVote(id, 1, OVER_CLAIMS | INFLATED);
        _commitVote(id, 2, 0);
        vm.deal(_validator(1), 1 ether);
        vm.prank(_validator(1));
        market.topUpBond{value: 1 ether}(); // after the filing: does not count (it did before: 2e9)
        vm.warp(appeals.windowsOf(id)[2]);

        vm.expectEmit(address(appeals));
        emit IAppeals.VoteRevealed(id, _validator(1), OVER_CLAIMS | INFLATED, 1e9);
        _revealVote(id, 1, OVER_CLAIMS | INFLATED);
        _revealVote(id, 2, 0);

        assertEq(appeals.voteOf(id, _validator(1)), bytes32(uint256(1)));
        (uint256 against, uint256 total) = appeals.tallyOf(id, 0);
        assertEq(against, 1e9);
        assertEq(total, 2e9);
        (against,) = appeals.tallyOf(id, 16);
        assertEq(against, 1e9);
        (against,) = appeals.tallyOf(id, 1);
        assertEq(against, 0);
        (uint256 decided, uint256 dishonest, uint256 inflated) = appeals.votesOf(id);
        assertEq(decided, 0); // a tie: the top-up would have decided it
        assertEq(dishonest, 0);
        assertEq(inflated, 0);
    }

    function test_revealVoteRevertsOutsideItsWindow() external {
        uint256 id = _appealed(8000, 8000, 8000, 8000);
        _commitVote(id, 1, 0);

        vm.prank(_validator(1));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotVoting.selector, id));
        appeals.revealVote(id, 0, VOTE_SALT); // commits still open
        vm.warp(appeals.windowsOf(id)[3]);
        vm.prank(_validator(1));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotVoting.selector, id));
        appeals.revealVote(id, 0, VOTE_SALT);
    }

    function test_revealVoteRevertsWhatWasNotSealedOrWasRevealed() external {
        uint256 id = _appealed(8000, 8000, 8000, 8000);
        _commitVote(id, 1, 0);
        vm.warp(appeals.windowsOf(id)[2]);

        vm.prank(_validator(1));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsVoteMismatch.selector, id, _validator(1)));
        appeals.revealVote(id, OVER_CLAIMS, VOTE_SALT); // another vote
        vm.prank(_validator(2));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsVoteMismatch.selector, id, _validator(2)));
        appeals.revealVote(id, 0, VOTE_SALT); // never sealed
        _revealVote(id, 1, 0);
        vm.prank(_validator(1));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsVoteMismatch.selector, id, _validator(1)));
        appeals.revealVote(id, 0, VOTE_SALT); // twice
    }

    /// Bits of no submission, a bit past the set's lane, and UNSERVED with other bits (it goes
    /// alone: its voter abstains on the submissions).
    function test_revealVoteRevertsBitsOfNoSubmission() external {
        uint256 id = _appealed(8000, 8000, 8000, 8000);
        // submission 1 does not exist; bit 33 is nothing; UNSERVED may not vote on a submission
        uint64[3] memory bad = [uint64(1 << 17), uint64(1 << 33), UNSERVED | OVER_CLAIMS];
        for (uint160 i = 1; i <= 3; ++i) {
            _commitVote(id, i, bad[i - 1]);
        }
        vm.warp(appeals.windowsOf(id)[2]);

        for (uint160 i = 1; i <= 3; ++i) {
            vm.prank(_validator(i));
            vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsBadVote.selector, id, bad[i - 1]));
            appeals.revealVote(id, bad[i - 1], VOTE_SALT);
        }
    }

    // ---------------------------------------------------------------- slashAbsent

    function test_slashAbsentBurnsASilentSeatsShareOfTheBond() external {
        uint256 id = _appealed(8000, 8000, 8000, 8000);
        vm.warp(appeals.windowsOf(id)[3]);

        vm.expectEmit(address(appeals));
        emit IAppeals.AbsentVoterSlashed(id, _validator(1));
        vm.prank(OUTSIDER); // anyone
        appeals.slashAbsent(id, _validator(1));

        assertEq(market.validator(_validator(1)).bond, 0.9 ether); // slash 10 %
        assertEq(appeals.voteOf(id, _validator(1)), bytes32(uint256(2)));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsAlreadyVoted.selector, id, _validator(1)));
        appeals.slashAbsent(id, _validator(1)); // once
    }

    function test_slashAbsentRevertsWithoutAnAppealWhileTheVoteRunsAndForVotersOrOutsiders() external {
        uint256 id = _judged(8000, 8000, 8000, 8000);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotVoting.selector, id));
        appeals.slashAbsent(id, _validator(1));

        _file(id);
        _commitVote(id, 1, 0);
        uint256 until = appeals.windowsOf(id)[3];
        vm.warp(appeals.windowsOf(id)[2]);
        _revealVote(id, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsVoteOpen.selector, id, until));
        appeals.slashAbsent(id, _validator(2));

        vm.warp(until);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsAlreadyVoted.selector, id, _validator(1)));
        appeals.slashAbsent(id, _validator(1));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotEligible.selector, id, OUTSIDER));
        appeals.slashAbsent(id, OUTSIDER);
        assertEq(market.validator(_validator(1)).bond, 1 ether);
    }

    function test_onlyTheMarketsAppealsSlashesAnAbsentVoter() external {
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketNotAppeals.selector, address(this)));
        market.slashNonVotingMember(_validator(1), 1 ether);
    }

    // ---------------------------------------------------------------- rule and collect

    function test_onlyTheMarketRules() external {
        uint256 id = _appealed(8000, 8000, 8000, 8000);

        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNotMarket.selector, address(this)));
        appeals.rule(id, true, 0);
    }

    function test_anUpheldVerdictSharesTheDepositByBond() external {
        uint256 id = _judged(8000, 8000, 8000, 8000); // confirmed honest
        vm.deal(_validator(2), 2 ether);
        vm.prank(_validator(2));
        market.topUpBond{value: 2 ether}(); // 3 ETH: three quarters of the bond that voted
        vm.warp(block.timestamp + 1); // before the filing: it counts
        _file(id);
        _commitVote(id, 1, 0);
        _commitVote(id, 2, 0);
        vm.prank(_validator(1));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNothingOwed.selector, id, _validator(1)));
        appeals.collect(id); // nothing before the ruling
        _revealAll(id, 0, 0, NONE);

        vm.expectEmit(address(appeals));
        emit IAppeals.AppealRuled(id, false, 0);
        market.finalize(id, _model(1), "u");

        assertEq(appeals.appealOf(id).ruling, 2);
        assertEq(appeals.owedTo(id, APPELLANT), 0);
        assertEq(appeals.owedTo(id, _validator(3)), 0); // absent: slashable, not paid
        assertEq(appeals.owedTo(id, _validator(1)), 0.25 ether);
        assertEq(appeals.owedTo(id, _validator(2)), 0.75 ether);
        uint256 before = _validator(2).balance;
        vm.expectEmit(address(appeals));
        emit IAppeals.AppealPaid(id, _validator(2), 0.75 ether);
        vm.prank(_validator(2));
        appeals.collect(id);
        assertEq(_validator(2).balance - before, 0.75 ether);
        assertEq(appeals.owedTo(id, _validator(2)), 0);
        assertEq(appeals.owedTo(id, _validator(1)), 0.25 ether); // the others' shares keep
        vm.prank(_validator(2));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNothingOwed.selector, id, _validator(2)));
        appeals.collect(id);
        vm.prank(APPELLANT);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNothingOwed.selector, id, APPELLANT));
        appeals.collect(id);
        vm.prank(_validator(1));
        appeals.collect(id);
        assertEq(address(appeals).balance, 0);
    }

    function test_anOverturnedVerdictRefundsTheDepositToTheAppellantAlone() external {
        uint256 id = _appealed(8000, 0, 0, 0); // an honest 8000 convicted by every seat
        _commitVote(id, 1, 0);
        _commitVote(id, 2, 0);
        _revealAll(id, 0, 0, NONE);

        vm.expectEmit(address(appeals));
        emit IAppeals.AppealRuled(id, true, 1.5 ether); // half of the three whole bonds
        market.finalize(id, _model(1), "u");

        assertEq(uint256(lens.submissions(id)[0].outcome), uint256(ITrainingMarket.Outcome.Won));
        for (uint160 i = 1; i <= 3; ++i) {
            assertEq(market.validator(_validator(i)).bond, 0); // the captors' whole bonds
        }
        assertEq(appeals.appealOf(id).ruling, 1);
        assertEq(appeals.owedTo(id, _validator(1)), 0);
        assertEq(appeals.owedTo(id, APPELLANT), MIN_STAKE);
        vm.prank(_validator(1));
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsNothingOwed.selector, id, _validator(1)));
        appeals.collect(id);
        uint256 before = APPELLANT.balance;
        vm.prank(APPELLANT);
        appeals.collect(id);
        assertEq(APPELLANT.balance - before, MIN_STAKE);
        assertEq(appeals.owedTo(id, APPELLANT), 0);
        assertEq(market.pendingOf(APPELLANT), 1.5 ether);
    }

    function test_collectRevertsWhenThePayeeRefusesEther() external {
        uint256 id = _judged(8000, 0, 0, 0);
        appeals.fileAppeal{value: MIN_STAKE}(id, 3); // this contract takes no ether
        _commitVote(id, 1, 0);
        _revealAll(id, 0, NONE, NONE);
        market.finalize(id, _model(1), "u");

        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsTransferFailed.selector, address(this), MIN_STAKE));
        appeals.collect(id);
        assertEq(appeals.owedTo(id, address(this)), MIN_STAKE); // still owed
    }

    // ---------------------------------------------------------------- verdictOf

    function test_verdictOfIsEmptyWithoutAnAppealAndRevertsWhileTheVoteRuns() external {
        uint256 id = _judged(8000, 0, 0, 0);
        (address appellant, uint256 lost, uint256[16] memory ruled) = appeals.verdictOf(id);
        assertEq(appellant, address(0));
        assertEq(lost, 0);
        _assertNothingRuled(ruled);

        _file(id);
        uint256 until = appeals.windowsOf(id)[3];
        vm.warp(until - 1);
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsVoteOpen.selector, id, until));
        appeals.verdictOf(id);
    }

    function test_noVoteRulesNothing() external {
        uint256 id = _appealed(8000, 0, 0, 0);
        vm.warp(appeals.windowsOf(id)[3]);

        _assertVerdict(id, 0, 0);
    }

    function test_aTieRulesNothing() external {
        uint256 id = _appealed(8000, 0, 0, 0);
        _commitVote(id, 1, 0);
        _commitVote(id, 2, OVER_CLAIMS);
        _revealAll(id, 0, OVER_CLAIMS, NONE); // 1 ETH each way

        (uint256 decided,,) = appeals.votesOf(id);
        assertEq(decided, 0);
        _assertVerdict(id, 0, 0);
    }

    function test_aConvictionTheVoteAgreesWithStands() external {
        uint256 id = _appealed(8000, 0, 0, 0);
        _voteAll(id, OVER_CLAIMS, OVER_CLAIMS, 0);

        (uint256 decided, uint256 dishonest,) = appeals.votesOf(id);
        assertEq(decided, 1);
        assertEq(dishonest, 1);
        _assertVerdict(id, 0, 0);
    }

    function test_aConfirmationTheVoteAgreesWithStands() external {
        uint256 id = _appealed(8000, 8000, 8000, 8000);
        _voteAll(id, 0, 0, OVER_CLAIMS);

        _assertVerdict(id, 0, 0);
    }

    function test_anHonestClaimConvictedIsOverturnedAndItsConvictorsLose() external {
        uint256 id = _appealed(8000, 0, 0, 8000); // two seats convict, one confirms

        assertEq(lens.submissions(id)[0].verifiedScoreBps, 0); // the committee's, while the vote runs
        _voteAll(id, 0, 0, 0);

        _assertVerdict(id, _seatsOf(id, 1) | _seatsOf(id, 2), _sheet(id, 8000, [uint16(8000), 8000, 8000]));
        assertEq(lens.submissions(id)[0].verifiedScoreBps, 8000); // the lens shows the vote's before finalize
        _assertLostOnly(id, [true, true, false]);
    }

    function test_anOverClaimConfirmedIsOverturnedAndItsConfirmersLose() external {
        uint256 id = _appealed(8000, 8000, 8000, 0); // two seats confirm, one convicts
        _voteAll(id, OVER_CLAIMS, OVER_CLAIMS, OVER_CLAIMS);

        _assertVerdict(id, _seatsOf(id, 1) | _seatsOf(id, 2), _sheet(id, 8000, [uint16(0), 0, 0]));
        _assertLostOnly(id, [true, true, false]);
    }

    function test_anInflatedScoreIsOverturnedToTheClaimAndItsLiftersLose() external {
        uint256 id = _appealed(6000, 9000, 9000, 6000); // an honest 6000 lifted to a verified 9000
        _voteAll(id, INFLATED, INFLATED, 0);

        (uint256 decided, uint256 dishonest, uint256 inflated) = appeals.votesOf(id);
        assertEq(decided, 1);
        assertEq(dishonest, 0);
        assertEq(inflated, 1);
        _assertVerdict(id, _seatsOf(id, 1) | _seatsOf(id, 2), _sheet(id, 6000, [uint16(6000), 6000, 6000]));
        _assertLostOnly(id, [true, true, false]);
    }

    function test_anInflatedVoteOnAConvictionStands() external {
        uint256 id = _appealed(8000, 0, 0, 0);
        _voteAll(id, OVER_CLAIMS | INFLATED, OVER_CLAIMS | INFLATED, 0);

        _assertVerdict(id, 0, 0); // the score of a conviction is not the vote's business
    }

    /// Every drawn seat of a ruled sheet holds the vote's score, so the sheet has a majority; the
    /// absent seat's lane counts as a missing attestation (its byte in `lost`), not a whole bond.
    function test_anUndecidedVerdictIsDecidedByTheVoteAndAnAbsentSeatCountsAsMissing() external {
        uint256 id = _appealed(8000, 8000, 0, NONE); // a tie of the seats that attested
        _voteAll(id, 0, 0, 0);

        _assertVerdict(id, _seatsOf(id, 2) | _missing(id, 3), _sheet(id, 8000, [uint16(8000), 8000, 8000]));
        _assertLostOnly(id, [false, true, false]);
        assertEq(market.validator(_validator(3)).bond, 0.9 ether); // the missing attestation's slash
    }

    /// Issue 20's abstaining requester: its silent seats left the honest worker below the quorum.
    function test_anUnverifiedSubmissionIsDecidedByTheVote() external {
        uint256 id = _appealed(8000, 8000, NONE, NONE); // below the quorum of two
        _voteAll(id, 0, 0, 0);

        _assertVerdict(id, _missing(id, 2) | _missing(id, 3), _sheet(id, 8000, [uint16(8000), 8000, 8000]));
        _assertLostOnly(id, [false, false, false]);
        assertEq(lens.winnerOf(id), 0);
    }

    /// An "unavailable" majority of the seats stands unless fewer than half of the bond that
    /// voted says the set was not served (bit 32): a majority or a tie of the vote, nothing ruled.
    function test_anUnavailableMajorityStandsUnlessMostOfTheVotingBondGotTheSet() external {
        uint256 id = _appealed(8000, GONE, GONE, 8000);
        _voteAll(id, UNSERVED, UNSERVED, 0); // 2 ETH of 3 could not fetch it

        _assertVerdict(id, 0, 0);

        uint256 tied = _appealed(8000, GONE, GONE, 8000);
        _commitVote(tied, 1, UNSERVED);
        _commitVote(tied, 2, 0);
        _revealAll(tied, UNSERVED, 0, NONE); // 1 ETH each way

        _assertVerdict(tied, 0, 0);
    }

    /// Captors score a withheld set while the honest member attests it unavailable (a minority):
    /// most of the voting bond could not get it, so the job is the requester's failure (bit 254).
    function test_aSetMostOfTheVotingBondCouldNotGetIsTheRequestersFailure() external {
        _topUp(_validator(3), 2 ether); // the honest member: 3 ETH against the captors' 2
        uint256 id = _appealed(8000, 0, 0, GONE);
        _voteAll(id, OVER_CLAIMS, OVER_CLAIMS, UNSERVED);

        _assertVerdict(id, 1 << 254, 0);
        market.finalize(id, bytes32(0), "");
        assertTrue(lens.submissions(id)[0].outcome == ITrainingMarket.Outcome.Forfeited, "the requester's failure");
        assertEq(market.validator(_validator(3)).bond, 3 ether); // its unavailable attestation not slashed
    }

    /// A voter that could not get the set abstains on the submissions: the other voters decide.
    function test_anUnservedVoteAbstainsOnTheSubmissions() external {
        uint256 id = _appealed(8000, 0, 0, 8000); // convicted by two seats
        _voteAll(id, UNSERVED, UNSERVED, 0); // 1 ETH of bond that got the set says honest

        (uint256 decided, uint256 dishonest,) = appeals.votesOf(id);
        assertEq(decided, 1);
        assertEq(dishonest, 0);
    }

    /// A captured "unavailable" majority: the vote says the set was served, so the job is judged
    /// (bit 255), the vote decides the submission, and the seats that attested the set
    /// unavailable lose their whole bond.
    function test_anUnavailableMajorityIsOverruledWhenMostOfTheVotingBondGotTheSet() external {
        _topUp(_validator(3), 2 ether); // the honest member: 3 ETH against the captors' 2
        uint256 id = _appealed(8000, GONE, GONE, 8000);
        _voteAll(id, UNSERVED, UNSERVED, 0);

        uint256 captors = _seatsOf(id, 1) | _seatsOf(id, 2);
        uint256 ruled = _sheet(id, 8000, [uint16(8000), 8000, 8000]);
        _assertVerdict(id, SERVED | captors | _missing(id, 1) | _missing(id, 2), ruled);
        _assertLostOnly(id, [true, true, false]);
        assertTrue(lens.submissions(id)[0].outcome == ITrainingMarket.Outcome.Won, "judged, not forfeited");
    }

    // ---------------------------------------------------------------- helpers

    /// @dev A job where worker 1 claimed `claim` and validators 1 to 3 attested `a1` to `a3`
    /// (NONE: no attestation), at the opening of its appeal window.
    function _judged(uint16 claim, uint16 a1, uint16 a2, uint16 a3) internal returns (uint256) {
        return _judgedWith(_deadlines(), claim, a1, a2, a3);
    }

    function _judgedWith(uint32[4] memory d, uint16 claim, uint16 a1, uint16 a2, uint16 a3) internal returns (uint256 id) {
        vm.prank(REQUESTER);
        id = market.postJob{value: 2 ether}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 5000, d, MIN_STAKE, 3
        );
        _commit(id, 1, claim);
        vm.warp(d[0]);
        _reveal(id, 1, claim);
        vm.prank(REQUESTER);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "");
        _draw(id);
        uint16[3] memory a = [a1, a2, a3];
        uint16[] memory scores = new uint16[](1);
        vm.warp(d[1]);
        for (uint160 i = 1; i <= 3; ++i) {
            scores[0] = a[i - 1];
            if (scores[0] == GONE) {
                vm.prank(_validator(i));
                market.attestUnavailable(id);
            } else if (scores[0] != NONE) {
                _seal(id, i, scores);
            }
        }
        vm.warp(d[2]);
        for (uint160 i = 1; i <= 3; ++i) {
            scores[0] = a[i - 1];
            if (scores[0] != NONE && scores[0] != GONE) _open(id, i, scores);
        }
        vm.warp(appeals.windowsOf(id)[0]);
    }

    function _appealed(uint16 claim, uint16 a1, uint16 a2, uint16 a3) internal returns (uint256 id) {
        id = _judged(claim, a1, a2, a3);
        _file(id);
    }

    function _file(uint256 id) internal {
        vm.prank(APPELLANT);
        appeals.fileAppeal{value: MIN_STAKE}(id, 3);
    }

    function _join(address who) internal {
        vm.deal(who, who.balance + 1 ether);
        vm.prank(who);
        market.joinValidators{value: 1 ether}();
    }

    function _topUp(address who, uint256 amount) internal {
        vm.deal(who, who.balance + amount);
        vm.prank(who);
        market.topUpBond{value: amount}();
    }

    /// @dev verdictOf's byte for validator i's seat: one lane filled for it, a missing attestation.
    function _missing(uint256 id, uint160 i) internal view returns (uint256) {
        return 1 << (16 + 8 * _seatOf(id, i));
    }

    function _sealOf(uint256 id, address voter, uint64 vote) internal pure returns (bytes32) {
        return keccak256(abi.encode(id, voter, vote, VOTE_SALT));
    }

    function _commitVote(uint256 id, uint160 i, uint64 vote) internal {
        vm.prank(_validator(i));
        appeals.commitVote(id, _sealOf(id, _validator(i), vote));
    }

    function _revealVote(uint256 id, uint160 i, uint64 vote) internal {
        vm.prank(_validator(i));
        appeals.revealVote(id, vote, VOTE_SALT);
    }

    /// @dev Reveals validators 1 to 3's votes (NONE: it committed nothing) and closes the vote.
    function _revealAll(uint256 id, uint64 v1, uint64 v2, uint64 v3) internal {
        vm.warp(appeals.windowsOf(id)[2]);
        uint64[3] memory v = [v1, v2, v3];
        for (uint160 i = 1; i <= 3; ++i) {
            if (v[i - 1] != NONE) _revealVote(id, i, v[i - 1]);
        }
        vm.warp(appeals.windowsOf(id)[3]);
    }

    function _voteAll(uint256 id, uint64 v1, uint64 v2, uint64 v3) internal {
        _commitVote(id, 1, v1);
        _commitVote(id, 2, v2);
        _commitVote(id, 3, v3);
        _revealAll(id, v1, v2, v3);
    }

    /// @dev The seat validator `i` holds on `id`'s committee (one each: {_draw}).
    function _seatOf(uint256 id, uint160 i) internal view returns (uint256 s) {
        address[] memory seats = lens.committee(id);
        while (seats[s] != _validator(i)) ++s;
    }

    function _seatsOf(uint256 id, uint160 i) internal view returns (uint256) {
        return 1 << _seatOf(id, i);
    }

    /// @dev Submission 0's sheet with claim `claim` and validator i + 1's seat holding `a[i]`.
    function _sheet(uint256 id, uint16 claim, uint16[3] memory a) internal view returns (uint256 sheet) {
        sheet = ScoreSheet.withClaim(claim);
        for (uint160 i = 1; i <= 3; ++i) {
            sheet = sheet.withAttestation(_seatOf(id, i), a[i - 1]);
        }
    }

    function _assertVerdict(uint256 id, uint256 lost, uint256 sheet) internal view {
        (address appellant, uint256 l, uint256[16] memory ruled) = appeals.verdictOf(id);
        assertEq(appellant, APPELLANT);
        assertEq(l, lost, "lost seats");
        assertEq(ruled[0], sheet, "ruled sheet");
        for (uint256 i = 1; i < 16; ++i) {
            assertEq(ruled[i], 0);
        }
    }

    function _assertNothingRuled(uint256[16] memory ruled) internal pure {
        for (uint256 i; i < 16; ++i) {
            assertEq(ruled[i], 0);
        }
    }

    /// @dev Finalizes `id`: validator i + 1 loses its whole bond exactly when `lost[i]`.
    function _assertLostOnly(uint256 id, bool[3] memory lost) internal {
        market.finalize(id, _model(1), "u");
        for (uint160 i = 1; i <= 3; ++i) {
            if (lost[i - 1]) assertEq(market.validator(_validator(i)).bond, 0, "a losing seat keeps its bond");
            else assertGt(market.validator(_validator(i)).bond, 0.8 ether, "a winning seat lost its bond");
        }
    }

    /// An upheld appeal nobody revealed a vote on: no voter earned the deposit, so it goes back
    /// to the appellant (it was owed to nobody and stayed in Appeals for ever).
    function test_theDepositOfAnUpheldAppealNobodyVotedOnGoesBackToTheAppellant() external {
        uint256 id = _appealed(8000, 8000, 8000, 8000);
        vm.warp(appeals.windowsOf(id)[3]);
        market.finalize(id, _model(1), "u");

        assertEq(appeals.appealOf(id).ruling, 2); // to the voters, of whom there are none
        assertEq(appeals.owedTo(id, APPELLANT), MIN_STAKE);
        for (uint160 i = 1; i <= 3; ++i) {
            assertEq(appeals.owedTo(id, _validator(i)), 0);
        }
        uint256 before = APPELLANT.balance;
        vm.prank(APPELLANT);
        appeals.collect(id);
        assertEq(APPELLANT.balance - before, MIN_STAKE);
        assertEq(address(appeals).balance, 0);
    }

    /// Joins between the appellant's count and its filing (a captor front-running the filing
    /// with fresh minimum bonds) are counted, up to MAX_LATE_JOINS; they vote like the others.
    function test_joinsFrontRunningTheFilingAreCountedNotABlock() external {
        uint256 id = _judged(8000, 0, 0, 0); // a captured conviction
        uint256 late = Appeals(address(appeals)).MAX_LATE_JOINS();
        for (uint160 i; i < late; ++i) {
            _join(address(0xF000 + i));
        }

        vm.prank(APPELLANT);
        appeals.fileAppeal{value: MIN_STAKE}(id, 3); // the count the appellant saw
        assertEq(appeals.appealOf(id).appellant, APPELLANT);
        assertEq(appeals.appealOf(id).members, 3 + late);
        assertTrue(appeals.eligible(id, address(0xF000 + uint160(late) - 1)));
    }

    /// A captor that front-runs the filing with a fresh bond (counted, so that it cannot block
    /// the filing) votes with nothing: a join grows a bond from zero, after the filing.
    function test_aJoinFrontRunningTheFilingVotesButWeighsNothing() external {
        uint256 id = _judged(8000, 0, 0, 0); // a captured conviction: validators 2 and 3 convict
        address whale = address(0xF000);
        vm.deal(whale, 100 ether);
        vm.prank(whale);
        market.joinValidators{value: 100 ether}(); // in the filing's block, after the appellant counted
        vm.prank(APPELLANT);
        appeals.fileAppeal{value: MIN_STAKE}(id, 3);
        vm.prank(whale);
        appeals.commitVote(id, _sealOf(id, whale, OVER_CLAIMS));
        _commitVote(id, 1, 0);

        vm.warp(appeals.windowsOf(id)[2]);
        vm.prank(whale);
        appeals.revealVote(id, OVER_CLAIMS, VOTE_SALT);
        _revealVote(id, 1, 0);

        (uint256 against, uint256 total) = appeals.tallyOf(id, 0);
        assertEq(against, 0); // 100e9 before this guard: the conviction stood
        assertEq(total, 1e9);
    }

    function test_leastBondSinceIsTheBondUnlessItGrewSinceThenTheFloorOfItsGrowths() external {
        address m = address(0xF001);
        _join(m); // t0: a growth from zero
        uint256 t0 = block.timestamp;
        assertEq(market.leastBondSince(m, t0 + 1), 1e9); // no growth since: the bond
        assertEq(market.leastBondSince(m, t0), 0); // joined at t0
        vm.warp(t0 + market.UNBONDING_DELAY());
        _topUp(m, 2 ether); // a delay after the join: its growths start afresh, from 1e9
        uint256 t1 = block.timestamp;
        vm.warp(t1 + 1 days);
        _topUp(m, 4 ether); // within the delay: the floor keeps 1e9
        assertEq(market.leastBondSince(m, t1), 1e9);
        assertEq(market.leastBondSince(m, t1 + 1), 1e9); // the bond was 3e9 then: a lower bound still
        assertEq(market.leastBondSince(m, block.timestamp + 1), 7e9);
        assertEq(market.leastBondSince(address(0xBEEF), t0), 0); // not a member
    }

    function test_moreLateJoinsThanTheBoundRefuseTheFilingWithItsCount() external {
        uint256 id = _judged(8000, 0, 0, 0);
        for (uint160 i; i <= Appeals(address(appeals)).MAX_LATE_JOINS(); ++i) {
            _join(address(0xF000 + i));
        }

        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsWrongMembers.selector, id, 3 + Appeals(address(appeals)).MAX_LATE_JOINS()));
        vm.prank(APPELLANT);
        appeals.fileAppeal{value: MIN_STAKE}(id, 3);
    }

    /// The roles vote what ballotOf says: the contract's rule, not a copy of it off chain.
    function test_ballotOfAppliesTheToleranceToTheClaimAndToTheVerifiedScore() external {
        uint256 tolerance = market.config().toleranceBps;
        uint256 convicted = _judged(8000, 0, 0, 0); // a captured conviction of an honest 8000
        uint256 lifted = _judged(9000, 9000, 9000, 9000); // junk lifted to its claim
        uint16[] memory measured = new uint16[](1);

        measured[0] = uint16(8000 - tolerance); // the claim is within the tolerance: honest
        assertEq(appeals.ballotOf(convicted, measured), 0);
        measured[0] = uint16(8000 - tolerance - 1);
        assertEq(appeals.ballotOf(convicted, measured), 1); // over-claimed, the verified 0 is not inflated
        measured[0] = 1000;
        assertEq(appeals.ballotOf(lifted, measured), 1 | (1 << 16)); // over-claimed, and inflated
        vm.expectRevert(abi.encodeWithSelector(IAppeals.AppealsVoteMismatch.selector, lifted, address(this)));
        appeals.ballotOf(lifted, new uint16[](2));
    }
}
