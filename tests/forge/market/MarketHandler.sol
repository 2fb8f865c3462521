// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Vm} from "forge-std/Vm.sol";
import {Appeals} from "../../../contracts/Appeals.sol";
import {IAppeals} from "../../../contracts/interfaces/IAppeals.sol";
import {ITrainingMarket} from "../../../contracts/interfaces/ITrainingMarket.sol";
import {Judgment} from "../../../contracts/libraries/Judgment.sol";
import {MarketLens} from "../../../contracts/MarketLens.sol";
import {SealedExchange} from "../../../contracts/SealedExchange.sol";
import {ISealedExchange} from "../../../contracts/interfaces/ISealedExchange.sol";
import {SealedCurve} from "../../../contracts/libraries/SealedCurve.sol";
import {TrainingMarket} from "../../../contracts/TrainingMarket.sol";
import {SealedKeys} from "./SealedKeys.sol";

/// @notice The actors of the market's invariant campaigns, behind bounded handlers: every
/// handler turns fuzzed numbers into a call that the rules allow (so the campaign runs with
/// fail_on_revert: any revert of a legal call is a liveness failure), and the ghost variables
/// record what the contract owes and what each finalize did.
/// @dev Actors: two requesters (R0 honest; R1 a whale that also bonds 30 ETH as a validator),
/// eight workers (who over-claim by a fuzzed amount, or never reveal), honest validators,
/// two Sybil validators of the requester that attest 0 for everyone, a silent member that
/// never commits its attestations, and a fresh joiner. A quarter of the jobs are sealed (issue
/// 26): their workers publish seals (some forged), post key envelopes to the committee (some
/// with garbage for one honest seat, which proves it bad) and the winner's prize goes through
/// the {SealedExchange}, where the worker delivers its key (or a wrong one, or none) and the
/// requester disputes what it can. Only the market's and its exchange's external mutators are called; every read of a view goes through the "Views" section at the bottom,
/// the one place to re-point when the views move to a lens (issue 19).
contract MarketHandler is CommonBase, StdUtils, SealedKeys {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant TOLERANCE_BPS = 100;
    uint256 internal constant QUORUM = 2; // the campaign's config (TrainingMarket.invariants.t.sol)
    uint256 internal constant FEE_BPS = 500;
    uint256 internal constant SLASH_BPS = 1000;
    uint256 internal constant NOISE = 50; // an honest member's measurement error, bps
    uint256 internal constant MAX_OPEN_JOBS = 12; // jobs that still owe something: bounds the invariant's loops
    uint256 internal constant NO_WINNER = type(uint256).max;
    uint256 internal constant UNBONDING_DELAY = 37 days;
    address internal constant MALLORY = address(0xBAD);

    enum Kind {
        Honest,
        Sybil, // the requester's: attests 0 for every submission
        Silent // drawn, never commits
    }

    struct GJob {
        uint256 id;
        address requester;
        uint32[4] d;
        uint256 reward;
        uint256 minStake;
        uint8 size;
        uint8 status; // 0 active, 1 finalized, 2 cancelled
        bool evaluated;
        bool drawn;
        bool closed; // cancelled, or finalized with every submission claimed: owes nothing more
        bytes32 committeeHash;
        // Issue 20 item 4: the requester opens the seal on chain and never serves the file
        // (honest members attest it unavailable, its Sybils score it 0 all the same); or, on a
        // served set, the Sybils attest it unavailable to forfeit the job.
        bool withheld;
        bool sybilsUnavailable;
        bool sealedJob; // posted under seal (issue 26)
        bool pooled; // posted pooled (issue 20, re-rolling the split): the next block splits its pool
        uint256 seedBlock; // a pooled job's, as posted
    }

    /// @dev A sealed submission's secrets and its worker's plan.
    struct GSealed {
        bytes32 key; // the weights' key
        uint256 w; // the envelopes' scalar (W = w G), the worker's own
        bool forged; // its seal's plaintext leaf is not what its ciphertext opens to
        bool lies; // delivers a wrong key to the requester
        bool hostile; // sends a garbage envelope to the first honest seat
        bool late; // publishes its seal only when it reveals (so posts no envelopes before)
        address victim; // the honest member sent a garbage envelope (zero: none)
        bool proven; // the victim proved it bad
        SealedCurve.Point point; // W, as posted with the envelopes
        bytes32[] envelopes; // as posted, by seat
    }

    /// @dev A proof's arguments in memory (the legacy pipeline has too few stack slots for them).
    struct Proving {
        uint256 id;
        address worker;
        ISealedExchange.Seal seal;
        SealedCurve.Point point; // the worker's W (or the delivery's)
        address[] recipients;
        bytes32[] envelopes;
        uint256 seat;
        SealedCurve.Point key; // the prover's: a member's encryption key, the requester's job key
        SealedCurve.Proof proof;
    }

    /// @dev A sealed winner's exchange: 0 none, 1 awaiting the key, 2 delivered, 3 closed.
    struct GExchange {
        uint8 state;
        uint8 sub; // the winning submission
        uint256 amount; // prize + deposit escrowed
    }

    struct GSub {
        address worker;
        uint16 trueScore; // what an honest member measures (+- NOISE)
        uint16 claim;
        bytes32 salt;
        bool revealed;
        bool claimed;
    }

    struct GAttestation {
        bool committed;
        bool revealed;
        bool unavailable; // attested the set unavailable instead of committing scores
        bytes32 salt;
        uint16[] scores;
    }

    /// @dev A job's appeal (to the whole bond, {Appeals}): who filed it, and the bond (gwei)
    /// that revealed votes, and of it the honest members'.
    struct GAppeal {
        address appellant; // zero: not appealed
        uint256 deposit;
        uint256 honestWeight;
        uint256 weight;
        uint256 unservedWeight; // of it, the votes that the set was not served (UNSERVED)
    }

    TrainingMarket public immutable market;
    MarketLens public immutable lens; // the judged views (issue 19)
    bytes32 public immutable baseModel;

    address[] public requesters;
    address[] public workers;
    address[] public members; // every account that may bond: the validator pool
    address[] public actors; // everyone who can be owed anything
    mapping(address => Kind) public kindOf;

    GJob[] internal _jobs;
    mapping(uint256 jobIndex => GSub[]) internal _subs;
    mapping(uint256 jobIndex => address[]) internal _seats;
    mapping(uint256 jobIndex => mapping(address => GAttestation)) internal _attestations;
    IAppeals public immutable appeals; // the market's, created by its constructor
    uint64 internal immutable UNSERVED; // the vote's set lane, read from Appeals (its one definition)
    mapping(uint256 jobIndex => GAppeal) internal _appealOf;
    mapping(uint256 jobIndex => mapping(address => uint8)) internal _voteOf; // 1 committed, 2 revealed, 3 slashed
    uint256[] internal _appealed; // job indexes, in filing order

    // ----- ghosts -----
    uint256 public ghostIn; // wei sent to the market
    uint256 public ghostOut; // wei the market sent back
    uint256 public stateChangingCalls;
    uint256 public closedJobs; // handler calls that changed the market's state
    uint256 public payoutMismatches; // claim or withdraw paid other than the views promised
    uint256 public slashShortfalls; // a bonded seat outside tolerance not slashed as the rules say
    uint256 public overSlashes; // a member that attested nothing lost its whole bond to an overturned verdict
    uint256 public honestMajorityOutvoted; // a strict honest majority of seats, a median off the truth
    uint256 public secondDrawsAccepted; // a job's committee drawn twice
    uint256 public groundDraws; // a committee that a join or exit after its seed block moved (issue 20 item 2)
    DrawPreviewer private immutable previewer = new DrawPreviewer(); // not a target: the handler's alone
    uint256 public illegalCallsAccepted; // a call the rules forbid went through
    // What the campaign reached (printed to build/forge/calls.log): proof that the ghosts saw real settlements.
    uint256 public settledWithCommittee; // finalized, evaluated, committee drawn
    uint256 public winners;
    uint256 public convictions; // submissions judged dishonest
    uint256 public seatsSlashed;
    // Measured for market v3 (issue 20); today's contracts break these:
    uint256 public tieConvictions; // dishonest without a strict majority of seats below the claim
    uint256 public slashesToRequester; // the requester credited more than its own unspent reward
    uint256 public slashesEscapedByExit; // a seat outside tolerance whose bond had already left
    // Appeals (issue 20 item 5): the deposits sit in Appeals, not the market.
    uint256 public appealIn; // deposits sent to Appeals
    uint256 public appealOut; // what Appeals paid (collect)
    uint256 public appealDust; // what an upheld appeal's shares by bond leave (rounding, < 1 wei a voter)
    uint256 public depositsLocked; // a ruled deposit owed to nobody (beyond the shares' dust)
    uint256 public honestBondOutvoted; // honest bond a strict majority of the vote, the verdict against its ballots
    uint256 public appealsFiled;
    uint256 public appealsOverturned;
    // The set's lane (issue 20 item 4): a job forfeits as the requester's failure exactly when
    // the rule says (a strict majority of drawn seats attested it unavailable and the vote did not
    // say served, or more than half of the voting bond could not get it).
    uint256 public unavailableMisjudged;
    uint256 public unavailableAttested; // reach: attestUnavailable calls
    uint256 public unavailableForfeits; // reach: opened sets forfeited as the requester's failure
    uint256 public forfeitSlashes; // a seat's bond moved by the finalize of a forfeited job
    // Sealed submissions (issue 26): the market's exchange, its escrow and its rules.
    SealedExchange public immutable exchange;
    mapping(uint256 jobIndex => mapping(address worker => GSealed)) internal _sealed;
    mapping(uint256 jobIndex => GExchange) internal _exchangeOf;
    mapping(address member => SealedCurve.Point) internal _encryptionKeys; // registered at construction
    uint256 public sealedPosts; // reach
    uint256 public sealedPooledPosts; // reach: sealed posts that are pooled too (issues 20 and 26)
    uint256 public pooledWalkAways; // reach: pooled jobs cancelled, or finalized with nobody committed, from the seed block on
    uint256 public pooledRefundMismatches; // a pooled job's requester credited other than the walk-away rule says
    uint256[] internal _exchanged; // job indexes whose winner's exchange opened
    uint256 public exchangeEscrow; // prize + deposit of exchanges not closed
    uint256 public exchangeMismatches; // the exchange credited other than its rule, or twice
    uint256 public honestDisputesAccepted; // a dispute of a good key and an honest seal went through
    uint256 public badEnvelopeSlashes; // an honest member lost bond over a submission it proved unopenable
    uint256 public badEnvelopesJudged; // a submission whose envelope was proven bad judged other than Unverified
    uint256 public envelopesProven; // reach
    uint256 public exchangesPaid; // reach: undisputed deliveries claimed
    uint256 public exchangesRefunded; // reach: disputes and missed deliveries

    constructor(TrainingMarket market_, bytes32 baseModel_) {
        market = market_;
        lens = new MarketLens(ITrainingMarket(address(market_)));
        appeals = IAppeals(market_.appealsContractAddress());
        UNSERVED = Appeals(address(appeals)).UNSERVED();
        baseModel = baseModel_;
        exchange = SealedExchange(lens.sealedExchange());
        requesters.push(_addr("requester"));
        requesters.push(_addr("whale")); // also bonds 30 ETH as a validator
        for (uint256 i; i < 8; ++i) {
            workers.push(_addr(string.concat("worker", vm.toString(i))));
        }
        _member("honest0", Kind.Honest);
        _member("honest1", Kind.Honest);
        _member("honest2", Kind.Honest);
        _member("sybil0", Kind.Sybil);
        _member("sybil1", Kind.Sybil);
        _member("silent", Kind.Silent);
        _member("joiner", Kind.Honest);
        members.push(requesters[1]); // the whale validates honestly on others' jobs
        workers.push(members[3]); // a Sybil also works
        for (uint256 i; i < requesters.length; ++i) actors.push(requesters[i]);
        for (uint256 i; i < 8; ++i) actors.push(workers[i]);
        for (uint256 i; i < members.length - 1; ++i) actors.push(members[i]);
        // Members register their encryption keys when they join (once, for good): all now.
        for (uint256 i; i < members.length; ++i) {
            _encryptionKeys[members[i]] = _pointOf(_encryptionSecret(members[i]));
            vm.prank(members[i]);
            exchange.registerEncryptionKey(_encryptionKeys[members[i]]);
        }
        // The starting set: three honest, two Sybils, the silent one, the whale.
        for (uint256 i; i < 6; ++i) _join(members[i], 1 ether + i * 0.25 ether);
        _join(requesters[1], 30 ether);
    }

    /// @dev A named actor's address (forge-std's makeAddr, without StdCheats).
    function _addr(string memory name) private returns (address a) {
        a = address(uint160(uint256(keccak256(bytes(name)))));
        vm.label(a, name);
    }

    function _member(string memory name, Kind kind) private {
        address a = _addr(name);
        members.push(a);
        kindOf[a] = kind;
    }

    // =========================================================================================
    //                                   HANDLERS
    // =========================================================================================

    /// @notice A requester posts a job: fuzzed reward, minimum score, stake, committee, windows.
    function postJob(uint256 who, uint256 reward, uint256 minScore, uint256 minStake, uint256 size, uint256 windows)
        external
    {
        if (_jobs.length - closedJobs >= MAX_OPEN_JOBS) return;
        address requester = requesters[who % 2];
        minStake = _bound(minStake, 0.01 ether, 2 ether);
        // At most 15 minimum stakes: a full job's junk forfeits cover the reward (issue 20 item 6).
        reward = _bound(reward, 1, 15 * minStake);
        _jobs.push();
        GJob storage j = _jobs[_jobs.length - 1];
        (j.requester, j.reward, j.minStake) = (requester, reward, minStake);
        j.size = uint8(3 + 2 * (size % 3)); // 3, 5 or 7 seats, quorum 2
        uint256 fate = uint256(keccak256(abi.encode(windows, "set"))) % 8; // 2 in 8 withheld, 2 Sybil-unavailable
        (j.withheld, j.sybilsUnavailable) = (fate < 2, fate == 2 || fate == 3);
        j.sealedJob = uint256(keccak256(abi.encode(windows, "sealed"))) % 4 == 0;
        j.pooled = uint256(keccak256(abi.encode(windows, "pooled"))) % 3 == 0; // sealed ones too
        uint256 t = block.timestamp;
        for (uint256 i; i < 4; ++i) {
            t += _bound(uint256(keccak256(abi.encode(windows, i))), 100, 600);
            j.d[i] = uint32(t);
        }
        _fund(requester, reward + Judgment.depositOf(reward));
        j.id = _post(j, _jobs.length - 1, uint16(_bound(minScore, 0, 9000)));
        _changed();
    }

    /// @dev Posts job k as its ghost says: under seal (its requester's job key registered first
    /// for the id the post takes) or in the clear.
    function _post(GJob storage j, uint256 k, uint16 minScore) private returns (uint256) {
        if (j.sealedJob) _registerJobKey(j.requester, k);
        if (j.sealedJob) ++sealedPosts;
        if (j.sealedJob && j.pooled) ++sealedPooledPosts;
        if (j.pooled) j.seedBlock = block.number + 1;
        uint256 value = j.reward + Judgment.depositOf(j.reward);
        if (j.sealedJob) {
            // Under seal, pooled or not: the same post's call data through postSealedCall.
            bytes memory post = abi.encodeWithSelector(
                j.pooled ? market.postPooledJob.selector : market.postJob.selector,
                baseModel, keccak256("train"), _evaluationSeal(k), keccak256("spec"), minScore, j.d, uint80(j.minStake), j.size
            );
            vm.prank(j.requester);
            return market.postSealedCall{value: value}(post);
        }
        vm.prank(j.requester);
        if (j.pooled) {
            return market.postPooledJob{value: value}(
                baseModel, keccak256("train"), _evaluationSeal(k), keccak256("spec"), minScore, j.d, uint80(j.minStake), j.size
            );
        }
        return market.postJob{value: value}(
            baseModel, keccak256("train"), _evaluationSeal(k), keccak256("spec"), minScore, j.d, uint80(j.minStake), j.size
        );
    }

    function _evaluationSeal(uint256 k) private pure returns (bytes32) {
        return keccak256(abi.encode(keccak256(abi.encode("eval", k)), _evalSalt(k)));
    }

    /// @dev Job k's requester registers its job key for the id its post takes next.
    function _registerJobKey(address requester, uint256 k) private {
        uint256 next = market.jobCount() + 1; // before the prank: a call
        SealedCurve.Point memory jobKey = _pointOf(_jobKeySecret(k));
        vm.prank(requester);
        exchange.registerJobKey(next, jobKey);
    }

    /// @notice The requester cancels a job nobody committed to; a pooled job's requester may
    /// first wait for its seed block (it has seen the split: the re-roll, issue 20).
    function cancelJob(uint256 pick) external {
        (bool found, uint256 k) = _pick(pick, _cancellable);
        if (!found) return _advance(pick);
        GJob storage j = _jobs[k];
        if (j.pooled && (pick >> 128) % 2 == 0 && block.number < j.seedBlock) vm.roll(j.seedBlock);
        uint256 before = _pendingOf(j.requester);
        vm.prank(j.requester);
        market.cancelJob(j.id);
        _checkPooledRefund(j, _pendingOf(j.requester) - before, j.reward + Judgment.depositOf(j.reward));
        j.status = 2;
        _close(k);
        _changed();
    }

    /// @notice A worker commits with a stake; its claim over-states its true score by `lie`.
    function commit(uint256 pick, uint256 who, uint256 trueScore, uint256 lie, uint256 stake) external {
        (bool found, uint256 k) = _pick(pick, _committable);
        if (!found) return _advance(pick);
        _commit(k, who, trueScore, lie, stake);
    }

    /// @notice A worker reveals its committed result (or never does: the fuzzer decides).
    function reveal(uint256 pick, uint256 which) external {
        (bool found, uint256 k) = _pick(pick, _revealing);
        if (!found) return _advance(pick);
        _reveal(k, which);
    }

    /// @notice The requester opens the evaluation set (or never does: a forfeit).
    function revealEvaluation(uint256 pick) external {
        (bool found, uint256 k) = _pick(pick, _evaluationPending);
        if (!found) return _advance(pick);
        _revealEvaluation(k);
    }

    /// @notice Anyone draws the job's committee; a second draw must revert.
    function drawCommittee(uint256 pick) external {
        (bool found, uint256 k) = _pick(pick, _drawable);
        if (!found) return _advance(pick);
        _draw(k);
    }

    /// @notice A committee member commits its scores (the silent member never does).
    function commitAttestation(uint256 pick, uint256 seat, uint256 noise) external {
        (bool found, uint256 k) = _pick(pick, _attesting);
        if (!found) return _advance(pick);
        _commitAttestation(k, seat, noise);
    }

    /// @notice A committee member reveals the scores it sealed.
    function revealAttestation(uint256 pick, uint256 seat) external {
        (bool found, uint256 k) = _pick(pick, _attestationRevealable);
        if (!found) return _advance(pick);
        _revealAttestation(k, seat);
    }

    /// @notice Anyone finalizes a job past its settle deadline; the ghosts check what it did.
    function finalize(uint256 pick) external {
        (bool found, uint256 k) = _pick(pick, _finalizable);
        if (!found) return _advance(pick);
        _finalize(k);
    }

    /// @notice A worker claims its outcome; it must receive what the views promised.
    function claim(uint256 pick, uint256 which) external {
        (bool found, uint256 k) = _pick(pick, _finalized);
        if (!found) return _advance(pick);
        GSub[] storage subs = _subs[k];
        if (subs.length == 0) return _advance(pick);
        uint256 start = which % subs.length;
        for (uint256 n; n < subs.length; ++n) {
            uint256 i = (start + n) % subs.length;
            if (subs[i].claimed) continue;
            return _claim(k, i, (which >> 8) % 2 == 0);
        }
        _advance(pick);
    }

    /// @dev Submission i of job k is claimed (a sealed winner's by Mallory when `byAnyone`: anyone
    /// may open its exchange): the worker receives what the views promised, a sealed winner
    /// nothing, its payout going to the exchange.
    function _claim(uint256 k, uint256 i, bool byAnyone) private {
        GSub storage sub = _subs[k][i];
        ITrainingMarket.Submission memory view_ = _submissionsOf(_jobs[k].id)[i];
        bool forKey = _jobs[k].sealedJob && view_.outcome == ITrainingMarket.Outcome.Won;
        (uint256 before, uint256 escrowed) = (sub.worker.balance, address(exchange).balance);
        vm.prank(forKey && byAnyone ? MALLORY : sub.worker);
        market.claim(_jobs[k].id, i);
        sub.claimed = true;
        if (_allClaimed(k)) _close(k);
        uint256 paid = sub.worker.balance - before;
        ghostOut += paid;
        if (paid != (forKey ? 0 : view_.payout)) ++payoutMismatches;
        if (forKey) _opened(k, i, address(exchange).balance - escrowed, view_.payout);
        _changed();
    }

    /// @notice Someone pulls what it is owed; it must receive exactly {pendingOf}.
    function withdraw(uint256 who) external {
        uint256 start = who % actors.length;
        for (uint256 n; n < actors.length; ++n) {
            address a = actors[(start + n) % actors.length];
            uint256 owed = _pendingOf(a);
            if (owed == 0) continue;
            uint256 before = a.balance;
            vm.prank(a);
            market.withdraw();
            uint256 paid = a.balance - before;
            ghostOut += paid;
            if (paid != owed) ++payoutMismatches;
            _changed();
            return;
        }
        _advance(who);
    }

    /// @notice A member of the pool that is not bonded joins (the whale with 30 ETH).
    function joinValidators(uint256 who, uint256 bond) external {
        uint256 start = who % members.length;
        for (uint256 n; n < members.length; ++n) {
            address a = members[(start + n) % members.length];
            if (_validatorOf(a).leafPlusOne != 0) continue;
            _join(a, a == requesters[1] ? 30 ether : _bound(bond, 1 ether, 5 ether));
            _changed();
            return;
        }
        _advance(who);
    }

    /// @notice A bonded member that has not asked to leave adds to its bond (one call in four).
    function topUpBond(uint256 who, uint256 amount) external {
        if (who % 4 != 0) return _advance(who);
        who /= 4;
        uint256 start = who % members.length;
        for (uint256 n; n < members.length; ++n) {
            address a = members[(start + n) % members.length];
            ITrainingMarket.Validator memory v = _validatorOf(a);
            if (v.leafPlusOne == 0 || v.unlocksAt != 0) continue;
            amount = _bound(amount, 1 gwei, 2 ether);
            _fund(a, amount);
            vm.prank(a);
            market.topUpBond{value: amount}();
            _changed();
            return;
        }
        _advance(who);
    }

    /// @notice A bonded member asks to leave (one call in four does something, so committees keep forming).
    function requestExit(uint256 who) external {
        if (who % 4 != 0) return _advance(who);
        who /= 4;
        uint256 start = who % members.length;
        for (uint256 n; n < members.length; ++n) {
            address a = members[(start + n) % members.length];
            ITrainingMarket.Validator memory v = _validatorOf(a);
            if (v.leafPlusOne == 0 || v.unlocksAt != 0) continue;
            vm.prank(a);
            market.requestExit();
            _changed();
            return;
        }
        _advance(who);
    }

    /// @notice A member takes its bond back; one call in sixteen waits out the unbonding delay.
    function withdrawBond(uint256 who) external {
        bool wait = who % 16 == 0; // rarely: the wait moves the clock 37 days
        who /= 16;
        uint256 start = who % members.length;
        for (uint256 n; n < members.length; ++n) {
            address a = members[(start + n) % members.length];
            ITrainingMarket.Validator memory v = _validatorOf(a);
            if (v.leafPlusOne == 0 || v.unlocksAt == 0) continue;
            if (v.unsettledSeats != 0) continue; // market v3: a seat on an unsettled job holds the bond
            if (block.timestamp < v.unlocksAt) {
                if (!wait) continue;
                vm.warp(v.unlocksAt);
            }
            uint256 before = a.balance;
            vm.prank(a);
            market.withdrawBond();
            ghostOut += a.balance - before;
            _changed();
            return;
        }
        _advance(who);
    }

    /// @notice An actor appeals a job's verdicts, in the second half of its settle window.
    function fileAppeal(uint256 pick, uint256 who) external {
        (bool found, uint256 k) = _pick(pick, _appealable);
        if (!found || !_fileAppeal(k, who)) _advance(pick);
    }

    /// @notice An eligible member commits its vote on an appeal (the silent one never does).
    function commitVote(uint256 pick, uint256 who) external {
        (bool found, uint256 k) = _pick(pick, _voting);
        if (!found || !_commitVote(k, who)) _advance(pick);
    }

    /// @notice A member reveals the vote it committed.
    function revealVote(uint256 pick, uint256 who) external {
        (bool found, uint256 k) = _pick(pick, _revealingVotes);
        if (!found || !_revealVote(k, who)) _advance(pick);
    }

    /// @notice Anyone slashes an eligible member that revealed no vote, once the vote closed:
    /// it loses exactly a silent seat's share of its bond.
    function slashAbsent(uint256 pick, uint256 who) external {
        (bool found, uint256 k) = _pick(pick, _voteClosed);
        if (!found || !_slashAbsent(k, who)) _advance(pick);
    }

    /// @notice Someone collects what a ruled appeal owes it; it must receive exactly {owedTo}.
    function collect(uint256 pick, uint256 who) external {
        (bool found, uint256 k) = _pick(pick, _ruled);
        if (!found) return _advance(pick);
        uint256 id = _jobs[k].id;
        uint256 start = who % actors.length;
        for (uint256 n; n < actors.length; ++n) {
            address a = actors[(start + n) % actors.length];
            uint256 owed = appeals.owedTo(id, a);
            if (owed == 0) continue;
            uint256 before = a.balance;
            vm.prank(a);
            appeals.collect(id);
            appealOut += a.balance - before;
            if (a.balance - before != owed) ++payoutMismatches;
            _changed();
            return;
        }
        _advance(pick);
    }

    /// @notice Mallory (or a party out of turn) tries a call the rules forbid; it must revert.
    /// Twenty kinds: bad posts, out-of-window or repeated commits, reveals, draws, attestations
    /// and finalizes, wrong preimages, claims and withdrawals of nothing, validator misuse.
    function attack(uint256 kind, uint256 pick) external {
        kind %= 20;
        if (kind < 5) return _attackPost(kind);
        (bool found, uint256 k) = _pick(pick, _active);
        if (kind < 15 && !found) return _advance(pick);
        if (kind < 15) return _attackJob(kind, k, pick);
        _attackAccounts(kind, pick);
    }

    function _attackPost(uint256 kind) private {
        uint32[4] memory d;
        for (uint256 i; i < 4; ++i) {
            d[i] = uint32(block.timestamp + 100 * (i + 1));
        }
        uint256 value = kind == 0 ? 0 : 1 ether;
        uint8 size = kind == 1 ? 4 : 3; // even
        uint80 minStake = kind == 4 ? 9 : 1 ether; // a zero forfeit
        if (kind == 2) d[0] = uint32(block.timestamp); // a commit window of 0 s
        bytes32 base = kind == 3 ? keccak256("unregistered") : baseModel;
        value *= 2; // the reward and its deposit
        _fund(MALLORY, value);
        ghostIn -= value; // refunded by the revert, unless accepted (then the invariants fail anyway)
        vm.prank(MALLORY);
        try market.postJob{value: value}(base, keccak256("t"), keccak256("e"), keccak256("s"), 0, d, minStake, size) {
            _accepted();
        } catch {}
    }

    function _attackJob(uint256 kind, uint256 k, uint256 pick) private {
        GJob storage j = _jobs[k];
        GSub[] storage subs = _subs[k];
        uint256 id = j.id;
        bool hasSub = subs.length != 0;
        GSub memory s = hasSub ? subs[pick % subs.length] : GSub(workers[0], 0, 0, 0, false, false);
        if (kind == 5) {
            // Cancel by someone else, or a job with submissions.
            vm.prank(hasSub ? j.requester : MALLORY);
            try market.cancelJob(id) {
                _accepted();
            } catch {}
        } else if (kind == 6) {
            // Commit: after the deadline, below the minimum stake, or a second time.
            address w = block.timestamp >= j.d[0] || !hasSub ? MALLORY : s.worker;
            uint256 stake = w == MALLORY && block.timestamp < j.d[0] ? j.minStake - 1 : j.minStake;
            vm.deal(w, w.balance + stake);
            vm.prank(w);
            try market.commit{value: stake}(id, keccak256("c")) {
                _accepted();
            } catch {}
        } else if (kind == 7 && hasSub) {
            // Reveal with a wrong salt, or outside the window, or again.
            vm.prank(s.worker);
            try market.reveal(id, _modelOf(k, s.worker), s.claim, bytes32(pick), _uriOf(s.worker)) {
                _accepted();
            } catch {}
        } else if (kind == 8) {
            // The evaluation set with a wrong salt.
            vm.prank(j.requester);
            try market.revealEvaluation(id, keccak256(abi.encode("eval", k)), bytes32(pick | 1), "x") {
                _accepted();
            } catch {}
        } else if (kind == 9) {
            // A draw outside the reveal window, or a second one.
            if (!j.drawn && _in(k, 1)) return _advance(pick);
            try market.drawCommittee(id) {
                _accepted();
            } catch {}
        } else if (kind == 10) {
            // An attestation commit (or an unavailable attestation) by a non-member, or out of its
            // window, or a second one.
            address m = _seats[k].length != 0 && !_in(k, 2) ? _seats[k][pick % _seats[k].length] : MALLORY;
            if (m != MALLORY && m != address(0) && _in(k, 2) && !_attestations[k][m].committed) m = MALLORY;
            vm.prank(m);
            if (pick & 256 == 0) {
                try market.commitAttestation(id, keccak256("seal")) {
                    _accepted();
                } catch {}
            } else {
                // The set's lane has the same gate: seats only, in the window, once, never after scores.
                try market.attestUnavailable(id) {
                    _accepted();
                } catch {}
            }
        } else if (kind == 11) {
            // An attestation reveal whose scores do not match the seal.
            address m = _seats[k].length != 0 ? _seats[k][pick % _seats[k].length] : MALLORY;
            uint16[] memory scores = new uint16[](subs.length);
            if (scores.length != 0) scores[0] = 10_001;
            vm.prank(m);
            try market.revealAttestation(id, scores, bytes32(pick | 1)) {
                _accepted();
            } catch {}
        } else if (kind == 12) {
            // Finalize before the settle deadline.
            if (block.timestamp >= j.d[3]) return _advance(pick);
            try market.finalize(id, bytes32(0), "") {
                _accepted();
            } catch {}
        } else if (kind == 13) {
            // Finalize past the deadline with a model that is not the winner's.
            if (block.timestamp < j.d[3] || _winnerOf(id) == NO_WINNER) return _advance(pick);
            try market.finalize(id, keccak256("not the winner's"), "x") {
                _accepted();
            } catch {}
        } else {
            // A claim before finalize.
            vm.prank(s.worker);
            try market.claim(id, hasSub ? pick % subs.length : 0) {
                _accepted();
            } catch {}
        }
    }

    function _attackAccounts(uint256 kind, uint256 pick) private {
        (bool found, uint256 k) = _pick(pick, _finalized);
        if (kind == 15 && found && _subs[k].length != 0) {
            // A claim of someone else's submission, or of one already claimed.
            GSub storage s = _subs[k][pick % _subs[k].length];
            // Anyone may claim a sealed job's winner (for the exchange): not an attack.
            if (!s.claimed && _jobs[k].sealedJob && _winnerOf(_jobs[k].id) == pick % _subs[k].length) return;
            vm.prank(s.claimed ? s.worker : MALLORY);
            try market.claim(_jobs[k].id, pick % _subs[k].length) {
                _accepted();
            } catch {}
        } else if (kind == 16) {
            vm.prank(MALLORY); // owed nothing, ever
            try market.withdraw() {
                _accepted();
            } catch {}
        } else if (kind == 17) {
            // Join twice, or below the minimum bond.
            address a = members[pick % members.length];
            bool member = _validatorOf(a).leafPlusOne != 0;
            uint256 bond = member ? 1 ether : 1 ether - 1;
            vm.deal(a, a.balance + bond);
            vm.prank(a);
            try market.joinValidators{value: bond}() {
                _accepted();
            } catch {}
        } else if (kind == 18) {
            // Exit by a non-member or a second time.
            address a = members[pick % members.length];
            ITrainingMarket.Validator memory v = _validatorOf(a);
            vm.prank(v.leafPlusOne != 0 && v.unlocksAt == 0 ? MALLORY : a);
            try market.requestExit() {
                _accepted();
            } catch {}
        } else {
            // The bond before the unbonding delay (or without an exit).
            address a = members[pick % members.length];
            ITrainingMarket.Validator memory v = _validatorOf(a);
            if (v.unlocksAt != 0 && block.timestamp >= v.unlocksAt) return _advance(pick);
            vm.prank(a);
            try market.withdrawBond() {
                _accepted();
            } catch {}
        }
    }

    function _accepted() private {
        ++illegalCallsAccepted;
    }

    /// @notice Time passes, a little.
    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + _bound(seconds_, 1, 60));
    }

    /// @notice The oldest active job takes its natural next step (so campaigns reach finalize
    /// with committees that attested): three handlers share this body to weight it.
    function advance(uint256 seed) external {
        _advance(seed);
    }

    /// @notice See {advance}.
    function advanceAgain(uint256 seed) external {
        _advance(seed);
    }

    /// @notice See {advance}.
    function advanceOnceMore(uint256 seed) external {
        _advance(seed);
    }

    // =========================================================================================
    //                                   ACTIONS
    // =========================================================================================

    function _advance(uint256 seed) private {
        // The fuzzer favours small and repeated values; every bit of the seed must vary here.
        seed = uint256(keccak256(abi.encode(seed, stateChangingCalls, block.timestamp)));
        (bool found, uint256 k) = _pick(0, _active);
        if (!found) {
            // No active job: post one, or when too many still owe something, a worker claims
            // (every finalized job still open has an unclaimed submission).
            if (_jobs.length - closedJobs < MAX_OPEN_JOBS) {
                this.postJob(seed, seed >> 8, seed >> 24, seed >> 40, seed >> 56, seed >> 72);
            } else {
                this.claim(seed, seed >> 8);
            }
            return;
        }
        GJob storage j = _jobs[k];
        // One step per window, from its own byte of the seed; a window whose step does nothing
        // moves the clock to its end and the next window's step runs in the same call.
        if (block.timestamp < j.d[0]) {
            if ((seed >> 8) % 8 != 0 && _commit(k, seed >> 16, seed >> 32, (seed >> 48) % 4 == 0 ? seed >> 64 : 0, seed >> 80)) return;
            vm.warp(j.d[0]);
        }
        if (block.timestamp < j.d[1]) {
            uint256 step = (seed >> 96) % 16;
            if (!j.drawn && step < 5 && _draw(k)) return;
            if (!j.evaluated && step < 9 && seed % 13 != 0 && _revealEvaluation(k)) return;
            if (step < 15 && _reveal(k, seed >> 104)) return;
            vm.warp(j.d[1]);
        }
        if (block.timestamp < j.d[2]) {
            if ((seed >> 120) % 16 != 0 && _commitAttestation(k, seed >> 128, seed >> 144)) return;
            vm.warp(j.d[2]);
        }
        if (block.timestamp < j.d[3]) {
            if ((seed >> 160) % 16 != 0 && _revealAttestation(k, seed >> 168)) return;
            if ((seed >> 176) % 4 == 0 && _fileAppeal(k, seed >> 184)) return;
            vm.warp(j.d[3]);
        }
        if (_appealOf[k].appellant != address(0)) {
            IAppeals.Appeal memory a = appeals.appealOf(j.id);
            if (block.timestamp < a.commitUntil) {
                if ((seed >> 200) % 16 != 0 && _commitVote(k, seed >> 208)) return;
                vm.warp(a.commitUntil);
            }
            if (block.timestamp < a.revealUntil) {
                if ((seed >> 224) % 16 != 0 && _revealVote(k, seed >> 232)) return;
                vm.warp(a.revealUntil);
            }
        }
        _finalize(k);
    }

    /// @dev Files job k's appeal from an actor, with the minimum deposit; false when it cannot
    /// be (not evaluated, appealed, or past its window).
    function _fileAppeal(uint256 k, uint256 who) private returns (bool) {
        GJob storage j = _jobs[k];
        if (j.status != 0 || !j.evaluated || _subs[k].length == 0 || _appealOf[k].appellant != address(0)) return false;
        if (block.timestamp >= j.d[3]) return false;
        uint256 opens = Judgment.appealsOpenAt(j.d[2], j.d[3]);
        if (block.timestamp < opens) vm.warp(opens);
        address appellant = actors[who % actors.length];
        uint256 leaves;
        while (market.validatorAt(leaves) != address(0)) ++leaves;
        vm.deal(appellant, appellant.balance + j.minStake);
        appealIn += j.minStake;
        vm.prank(appellant);
        appeals.fileAppeal{value: j.minStake}(j.id, leaves);
        (_appealOf[k].appellant, _appealOf[k].deposit) = (appellant, j.minStake);
        _appealed.push(k);
        ++appealsFiled;
        _changed();
        return true;
    }

    /// @dev An eligible member of the pool (from `who` on) that has not voted commits its ballot.
    function _commitVote(uint256 k, uint256 who) private returns (bool) {
        uint256 id = _jobs[k].id;
        if (_appealOf[k].appellant == address(0) || block.timestamp >= appeals.appealOf(id).commitUntil) return false;
        uint256 start = who % members.length;
        for (uint256 n; n < members.length; ++n) {
            address m = members[(start + n) % members.length];
            if (_voteOf[k][m] != 0 || kindOf[m] == Kind.Silent || !appeals.eligible(id, m)) continue;
            bytes32 seal = keccak256(abi.encode(id, m, _ballot(k, m), _voteSalt(k, m))); // before the prank: a call
            vm.prank(m);
            appeals.commitVote(id, seal);
            _voteOf[k][m] = 1;
            _changed();
            return true;
        }
        return false;
    }

    /// @dev A member that committed (from `who` on) reveals; the weight it got is recorded.
    function _revealVote(uint256 k, uint256 who) private returns (bool) {
        uint256 id = _jobs[k].id;
        if (_appealOf[k].appellant == address(0)) return false;
        IAppeals.Appeal memory a = appeals.appealOf(id);
        if (block.timestamp >= a.revealUntil) return false;
        if (block.timestamp < a.commitUntil) vm.warp(a.commitUntil);
        uint256 start = who % members.length;
        for (uint256 n; n < members.length; ++n) {
            address m = members[(start + n) % members.length];
            if (_voteOf[k][m] != 1) continue;
            uint64 ballot = _ballot(k, m);
            vm.prank(m);
            appeals.revealVote(id, ballot, _voteSalt(k, m));
            _voteOf[k][m] = 2;
            uint256 weight = appeals.appealOf(id).total - a.total;
            _appealOf[k].weight += weight;
            if (kindOf[m] == Kind.Honest) _appealOf[k].honestWeight += weight;
            if (ballot == UNSERVED) _appealOf[k].unservedWeight += weight;
            _changed();
            return true;
        }
        return false;
    }

    /// @dev An eligible member (from `who` on) that revealed no vote is slashed: a silent
    /// seat's share of its bond, exactly.
    function _slashAbsent(uint256 k, uint256 who) private returns (bool) {
        uint256 id = _jobs[k].id;
        uint256 start = who % members.length;
        for (uint256 n; n < members.length; ++n) {
            address m = members[(start + n) % members.length];
            if (_voteOf[k][m] >= 2 || !appeals.eligible(id, m)) continue;
            uint256 bond = _validatorOf(m).bond;
            appeals.slashAbsent(id, m);
            _voteOf[k][m] = 3;
            if (_validatorOf(m).bond != bond - bond * SLASH_BPS / BPS) ++slashShortfalls;
            _changed();
            return true;
        }
        return false;
    }

    /// @dev What member m votes on job k: that the set was not served where it would attest so
    /// ({_saysUnserved}); else an honest member its measurement of each submission (the true
    /// score), a Sybil what its attestations said (0: every claim over-claims).
    function _ballot(uint256 k, address m) private view returns (uint64) {
        if (_saysUnserved(k, m)) return UNSERVED;
        GSub[] storage subs = _subs[k];
        uint16[] memory measured = new uint16[](subs.length);
        if (kindOf[m] != Kind.Sybil) {
            for (uint256 i; i < subs.length; ++i) {
                measured[i] = subs[i].trueScore;
            }
        }
        return appeals.ballotOf(_jobs[k].id, measured);
    }

    /// @dev True when member m says job k's set was not served: an honest member (the silent one
    /// included, were it to speak) of a withheld set, a Sybil of a served set it captures so.
    function _saysUnserved(uint256 k, address m) private view returns (bool) {
        GJob storage j = _jobs[k];
        return j.withheld ? kindOf[m] != Kind.Sybil : j.sybilsUnavailable && kindOf[m] == Kind.Sybil;
    }

    function _voteSalt(uint256 k, address m) private pure returns (bytes32) {
        return keccak256(abi.encode("vote-salt", k, m));
    }

    function _commit(uint256 k, uint256 who, uint256 trueScore, uint256 lie, uint256 stake) private returns (bool) {
        GJob storage j = _jobs[k];
        GSub[] storage subs = _subs[k];
        if (j.status != 0 || block.timestamp >= j.d[0] || subs.length == 16) return false;
        uint256 start = who % workers.length;
        for (uint256 n; n < workers.length; ++n) {
            address w = workers[(start + n) % workers.length];
            if (_hasCommitted(k, w)) continue;
            uint16 truth = uint16(_bound(trueScore, 0, BPS));
            _commitAs(k, w, truth, uint16(_min(BPS, truth + _bound(lie, 0, 400))), _bound(stake, j.minStake, 3 * j.minStake));
            return true;
        }
        return false;
    }

    function _commitAs(uint256 k, address w, uint16 truth, uint16 claimed, uint256 stake) private {
        uint256 id = _jobs[k].id;
        bytes32 salt = keccak256(abi.encode(k, w, "salt"));
        bytes32 commitment = keccak256(abi.encode(id, w, _modelOf(k, w), claimed, salt));
        _fund(w, stake);
        vm.prank(w);
        market.commit{value: stake}(id, commitment);
        _subs[k].push(GSub({worker: w, trueScore: truth, claim: claimed, salt: salt, revealed: false, claimed: false}));
        if (_jobs[k].sealedJob) _publishSeal(k, w);
        _changed();
    }

    function _reveal(uint256 k, uint256 which) private returns (bool) {
        GJob storage j = _jobs[k];
        GSub[] storage subs = _subs[k];
        if (subs.length == 0 || block.timestamp >= j.d[1]) return false;
        if (block.timestamp < j.d[0]) vm.warp(j.d[0]);
        uint256 start = which % subs.length;
        for (uint256 n; n < subs.length; ++n) {
            GSub storage s = subs[(start + n) % subs.length];
            if (s.revealed || s.worker == workers[7]) continue; // worker7 never reveals
            // A reveal before the seal went through (it must not): it is not made twice.
            bool early = j.sealedJob && _sealed[k][s.worker].late && _revealBeforeSeal(k, s);
            if (!early) {
                vm.prank(s.worker);
                market.reveal(j.id, _modelOf(k, s.worker), s.claim, s.salt, _uriOf(s.worker));
            }
            s.revealed = true;
            _changed();
            return true;
        }
        return false;
    }

    /// @dev A sealed job's worker that held its seal back tries to reveal first (which must
    /// revert: the committee checks the seal), then publishes it.
    function _revealBeforeSeal(uint256 k, GSub storage s) private returns (bool revealed) {
        vm.prank(s.worker);
        try market.reveal(_jobs[k].id, _modelOf(k, s.worker), s.claim, s.salt, _uriOf(s.worker)) {
            (revealed, illegalCallsAccepted) = (true, illegalCallsAccepted + 1);
        } catch {}
        _publish(k, s.worker);
    }

    function _revealEvaluation(uint256 k) private returns (bool) {
        GJob storage j = _jobs[k];
        if (j.status != 0 || j.evaluated || block.timestamp >= j.d[1]) return false;
        if (block.timestamp < j.d[0]) vm.warp(j.d[0]);
        vm.prank(j.requester);
        market.revealEvaluation(j.id, keccak256(abi.encode("eval", k)), _evalSalt(k), "file:///eval");
        j.evaluated = true;
        _changed();
        return true;
    }

    function _draw(uint256 k) private returns (bool) {
        GJob storage j = _jobs[k];
        if (j.status != 0 || j.drawn || block.timestamp >= j.d[1]) return false;
        if (block.timestamp < j.d[0]) vm.warp(j.d[0]);
        if (market.epochWeightNow() == 0) return false; // nobody to draw: the market reverts, by design
        market.drawCommittee(j.id); // fixes this block as the seed block
        vm.roll(block.number + 1);
        vm.setBlockhash(block.number - 1, keccak256(abi.encode("seed block", j.id, block.number))); // forge keeps none
        // Grinding (issue 20 item 2): a join and an exit once the seed is out must not move the draw.
        bytes32 previewed = _preview(j.id);
        _grind(uint256(previewed));
        market.drawCommittee(j.id);
        if (keccak256(abi.encode(market.committeeWords(j.id))) != previewed) ++groundDraws;
        j.drawn = true;
        address[] memory seats = _committeeOf(j.id);
        _seats[k] = seats;
        j.committeeHash = keccak256(abi.encode(seats));
        // One committee per job: a second draw, in the same block or later, must fail.
        try market.drawCommittee(j.id) {
            ++secondDrawsAccepted;
        } catch {}
        if (j.sealedJob) _postEnvelopes(k);
        _changed();
        return true;
    }

    /// @dev What a draw of `id` gives now (the hash of its committee words), nothing drawn.
    function _preview(uint256 id) private returns (bytes32) {
        try previewer.preview(market, id) {} catch (bytes memory reason) {
            if (bytes4(reason) == DrawPreviewer.DrawPreviewed.selector) return abi.decode(_tail(reason), (bytes32));
        }
        revert("preview failed");
    }

    /// @dev The bytes after a revert's selector.
    function _tail(bytes memory reason) private pure returns (bytes memory out) {
        out = new bytes(reason.length - 4);
        for (uint256 i; i < out.length; ++i) {
            out[i] = reason[i + 4];
        }
    }

    /// @dev A grinder's moves after the seed block: an unbonded member joins (any bond up to the
    /// whale's) and a bonded one asks to leave, chosen by `pick`.
    function _grind(uint256 pick) private {
        uint256 start = pick % members.length;
        bool joined;
        bool exited;
        for (uint256 n; n < members.length && !(joined && exited); ++n) {
            address a = members[(start + n) % members.length];
            ITrainingMarket.Validator memory v = _validatorOf(a);
            if (!joined && v.leafPlusOne == 0) {
                _join(a, _bound(pick >> 8, 1 ether, 30 ether));
                joined = true;
            } else if (!exited && v.leafPlusOne != 0 && v.unlocksAt == 0) {
                vm.prank(a);
                market.requestExit();
                exited = true;
            }
        }
    }

    function _commitAttestation(uint256 k, uint256 seat, uint256 noise) private returns (bool) {
        GJob storage j = _jobs[k];
        if (j.status != 0 || !j.drawn || !j.evaluated || block.timestamp >= j.d[2]) return false;
        if (block.timestamp < j.d[1]) vm.warp(j.d[1]);
        address[] storage seats = _seats[k];
        uint256 start = seat % seats.length;
        for (uint256 n; n < seats.length; ++n) {
            address m = seats[(start + n) % seats.length];
            GAttestation storage a = _attestations[k][m];
            if (m == address(0) || a.committed || kindOf[m] == Kind.Silent) continue;
            if (j.sealedJob) _proveEnvelopes(k, m);
            if (_saysUnserved(k, m)) {
                (a.committed, a.unavailable) = (true, true);
                vm.prank(m);
                market.attestUnavailable(j.id);
                ++unavailableAttested;
                _changed();
                return true;
            }
            uint16[] memory scores = _scoresOf(k, m, noise);
            bytes32 salt = keccak256(abi.encode(k, m, "attest"));
            (a.committed, a.salt, a.scores) = (true, salt, scores);
            vm.prank(m);
            market.commitAttestation(j.id, keccak256(abi.encode(j.id, m, scores, salt)));
            _changed();
            return true;
        }
        return false;
    }

    /// @dev What member m measures on job k's submissions: the truth within NOISE for an honest
    /// member, 0 for a Sybil (convict everyone) and for a submission whose envelope it could not open.
    function _scoresOf(uint256 k, address m, uint256 noise) private view returns (uint16[] memory scores) {
        GSub[] storage subs = _subs[k];
        scores = new uint16[](subs.length);
        for (uint256 i; i < subs.length; ++i) {
            if (kindOf[m] == Kind.Sybil || _sealed[k][subs[i].worker].victim == m) continue;
            uint256 e = uint256(keccak256(abi.encode(noise, m, i))) % (2 * NOISE + 1);
            uint256 measured = uint256(subs[i].trueScore) + e;
            scores[i] = uint16(_min(BPS, measured < NOISE ? 0 : measured - NOISE));
        }
    }

    function _revealAttestation(uint256 k, uint256 seat) private returns (bool) {
        GJob storage j = _jobs[k];
        // Reveals close at the settle window's middle (its second half is the appeals').
        if (j.status != 0 || !j.drawn || block.timestamp >= Judgment.appealsOpenAt(j.d[2], j.d[3])) return false;
        if (block.timestamp < j.d[2]) vm.warp(j.d[2]);
        address[] storage seats = _seats[k];
        uint256 start = seat % seats.length;
        for (uint256 n; n < seats.length; ++n) {
            address m = seats[(start + n) % seats.length];
            GAttestation storage a = _attestations[k][m];
            if (!a.committed || a.revealed || a.unavailable) continue;
            vm.prank(m);
            market.revealAttestation(j.id, a.scores, a.salt);
            a.revealed = true;
            _changed();
            return true;
        }
        return false;
    }

    /// @dev Snapshot, finalize, then judge what finalize did against the rules (ghosts).
    function _finalize(uint256 k) private {
        GJob storage j = _jobs[k];
        if (j.status != 0) return;
        if (block.timestamp < j.d[3]) vm.warp(j.d[3]);
        GAppeal storage ap = _appealOf[k];
        uint256 lost;
        if (ap.appellant != address(0)) {
            uint256 closes = appeals.appealOf(j.id).revealUntil;
            if (block.timestamp < closes) vm.warp(closes); // finalize waits for the vote
            (, lost,) = appeals.verdictOf(j.id);
        }
        address[] memory seats = _seats[k];
        uint256[] memory bonds = new uint256[](seats.length);
        for (uint256 s; s < seats.length; ++s) {
            if (seats[s] != address(0)) bonds[s] = _validatorOf(seats[s]).bond;
        }
        // Blocks pass with the windows: a pooled job nobody committed to is past its seed block.
        if (j.pooled && _subs[k].length == 0 && block.number < j.seedBlock) vm.roll(j.seedBlock);
        uint256 gain = _pendingOf(j.requester); // before finalize; after it, what finalize credited
        uint256 best = _winnerOf(j.id);
        (bytes32 model, string memory uri) = best == NO_WINNER
            ? (bytes32(0), "")
            : (_modelOf(k, _subs[k][best].worker), _uriOf(_subs[k][best].worker));
        vm.recordLogs();
        market.finalize(j.id, model, uri);
        // The appellant's half of the captors' bonds is a bounty anyone can earn by appealing.
        gain = _pendingOf(j.requester) - gain - (ap.appellant == j.requester ? _appellantShare(vm.getRecordedLogs()) : 0);
        j.status = 1;
        if (_subs[k].length == 0) _close(k);
        _changed();
        ITrainingMarket.Submission[] memory list = _submissionsOf(j.id);
        uint256 filled;
        for (uint256 s; s < seats.length; ++s) {
            if (seats[s] != address(0)) ++filled;
        }
        // A forfeit (a set never opened or attested unavailable, or a committee below the quorum:
        // the requester's failures, issue 20): nothing attested, nobody slashed.
        if (ap.appellant != address(0)) _checkRuling(k);
        bool overruled = _checkTheSet(k, seats, filled);
        _checkRequesterGain(k, gain, list, !j.evaluated || filled < QUORUM);
        if (_subs[k].length == 0) _checkPooledRefund(j, gain, gain); // the requester's own money, unless pooled
        if (!j.evaluated || filled < QUORUM) return _checkNobodySlashed(seats, bonds);
        if (j.drawn) ++settledWithCommittee;
        for (uint256 i; i < list.length; ++i) {
            if (list[i].outcome == ITrainingMarket.Outcome.Won) ++winners;
            if (list[i].outcome == ITrainingMarket.Outcome.Dishonest) ++convictions;
            // A proven bad envelope: nobody could check it as sent, so it is unverifiable (and forfeits).
            if (_sealed[k][list[i].worker].proven && list[i].outcome != ITrainingMarket.Outcome.Unverified) {
                ++badEnvelopesJudged;
            }
        }
        // On a withheld set the honest ballots say UNSERVED, not measurements: _checkTheSet judged it.
        if (ap.appellant != address(0) && !j.withheld) _checkAppealVerdicts(k, list);
        if (appeals.appealOf(j.id).ruling == 1) return _checkOverturned(k, seats, bonds, lost, list.length, overruled);
        _checkSlashes(k, seats, bonds, list, overruled);
        _checkVerdicts(k, seats, list);
    }

    /// @dev Overturned: the sheets were rewritten, so the committee's replay does not apply;
    /// every seat on the losing side lost its whole bond (and a seat of an unavailable majority
    /// the vote `overruled`), and no other seat did: an absent one is slashed as missing (issue
    /// 20: an honest member offline pays its share), which leaves a tenth of the bond or more
    /// while each seat misses at most 9 submissions (`count`: the job's submissions).
    function _checkOverturned(
        uint256 k,
        address[] memory seats,
        uint256[] memory bonds,
        uint256 lost,
        uint256 count,
        bool overruled
    ) private {
        ++appealsOverturned;
        for (uint256 s; s < seats.length; ++s) {
            GAttestation storage a = _attestations[k][seats[s]];
            bool lostTheSet = overruled && a.unavailable; // the vote said served: its whole bond
            if (((lost >> s) & 1 != 0 || lostTheSet) && _validatorOf(seats[s]).bond != 0) ++slashShortfalls;
            // A member that revealed no score attested on no side: it cannot have lost.
            if (count < 10 && bonds[s] != 0 && !a.revealed && !lostTheSet) {
                if (_validatorOf(seats[s]).bond == 0) ++overSlashes;
            }
        }
    }

    /// @dev Right after finalize, the set's lane (issue 20 item 4): the job is the requester's
    /// failure (its opened set recorded as never opened) exactly when a strict majority of the
    /// drawn seats attested the set unavailable and the appeal's vote did not say it was served
    /// (fewer than half the voting bond UNSERVED), or more than half the voting bond could not
    /// get it. A strict honest majority, of seats (no appeal, or one the honest bond decides) or
    /// of the vote's bond, is never outvoted: a withheld set forfeits, a served one is judged.
    /// Returns whether the vote overruled an unavailable majority (those seats lose their bonds).
    function _checkTheSet(uint256 k, address[] memory seats, uint256 filled) private returns (bool overruled) {
        GJob storage j = _jobs[k];
        GAppeal storage ap = _appealOf[k];
        if (!j.evaluated || filled < QUORUM) return false;
        (uint256 unavailable, uint256 honestUnavailable, uint256 honestScored) = _seatCounts(k, seats);
        bool majority = 2 * unavailable > filled;
        uint256 unserved = 2 * ap.unservedWeight; // no appeal: 0 of 0
        bool expected = majority ? unserved >= ap.weight : unserved > ap.weight;
        bool failed = !_jobView(j.id).evaluationRevealed;
        if (failed != expected) ++unavailableMisjudged;
        overruled = majority && !failed;
        if (failed) (j.evaluated, unavailableForfeits) = (false, unavailableForfeits + 1);
        bool appealed = ap.appellant != address(0);
        bool honestBond = appealed && 2 * ap.honestWeight > ap.weight;
        if (j.withheld) {
            if (!failed && (honestBond || (!appealed && 2 * honestUnavailable > filled))) ++honestMajorityOutvoted;
        } else if (failed && (honestBond || (!appealed && 2 * honestScored > filled))) {
            ++honestMajorityOutvoted;
        }
    }

    /// @dev Job k's drawn seats that attested its set unavailable, and of the honest members'
    /// seats those that attested it unavailable and those that revealed scores.
    function _seatCounts(uint256 k, address[] memory seats)
        private
        view
        returns (uint256 unavailable, uint256 honestUnavailable, uint256 honestScored)
    {
        for (uint256 s; s < seats.length; ++s) {
            if (seats[s] == address(0)) continue;
            GAttestation storage a = _attestations[k][seats[s]];
            bool honest = kindOf[seats[s]] == Kind.Honest;
            if (a.unavailable) (unavailable, honestUnavailable) = (unavailable + 1, honestUnavailable + (honest ? 1 : 0));
            if (a.revealed && honest) ++honestScored;
        }
    }

    /// @dev A forfeit judged nothing: every seat keeps the bond it had before finalize.
    function _checkNobodySlashed(address[] memory seats, uint256[] memory bonds) private {
        for (uint256 s; s < seats.length; ++s) {
            if (seats[s] != address(0) && _validatorOf(seats[s]).bond != bonds[s]) ++forfeitSlashes;
        }
    }

    /// @dev {IAppeals-AppealRuled}'s appellantShare among `logs` (0 without one).
    function _appellantShare(Vm.Log[] memory logs) private view returns (uint256) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == address(appeals) && logs[i].topics[0] == IAppeals.AppealRuled.selector) {
                (, uint256 share) = abi.decode(logs[i].data, (bool, uint256));
                return share;
            }
        }
        return 0;
    }

    /// @dev Right after finalize ruled job k's appeal: its deposit is owed, to the appellant
    /// (overturned, or nobody voted) or to the voters by bond, less under a wei a voter of dust.
    function _checkRuling(uint256 k) private {
        uint256 id = _jobs[k].id;
        uint256 owed;
        for (uint256 i; i < actors.length; ++i) {
            owed += appeals.owedTo(id, actors[i]);
        }
        uint256 deposit = _appealOf[k].deposit;
        if (owed > deposit || deposit - owed >= members.length) ++depositsLocked;
        else appealDust += deposit - owed;
    }

    /// @dev Where the honest members' revealed bond is a strict majority of the vote, every
    /// submission the committee judged stands as their ballots say: dishonest exactly when it
    /// over-claims their (exact) measurement, and an honest claim's verified score not above it.
    function _checkAppealVerdicts(uint256 k, ITrainingMarket.Submission[] memory list) private {
        GAppeal storage ap = _appealOf[k];
        if (2 * ap.honestWeight <= ap.weight) return;
        for (uint256 i; i < list.length; ++i) {
            ITrainingMarket.Outcome o = list[i].outcome;
            bool judged = o == ITrainingMarket.Outcome.Won || o == ITrainingMarket.Outcome.Honest
                || o == ITrainingMarket.Outcome.BelowMinimum || o == ITrainingMarket.Outcome.Dishonest;
            if (!judged) continue;
            uint256 ceiling = uint256(_subs[k][i].trueScore) + TOLERANCE_BPS;
            bool overClaims = list[i].claimedScoreBps > ceiling;
            if ((o == ITrainingMarket.Outcome.Dishonest) != overClaims) ++honestBondOutvoted;
            else if (!overClaims && list[i].verifiedScoreBps > ceiling) ++honestBondOutvoted;
        }
    }

    /// @dev Replays the slashing rule seat by seat: slashBps of the bond per revealed
    /// submission whose lane is missing or outside tolerance of the verified score; an
    /// attestation of an Undecided submission (market v3: no strict majority) costs nothing.
    function _checkSlashes(
        uint256 k,
        address[] memory seats,
        uint256[] memory bonds,
        ITrainingMarket.Submission[] memory list,
        bool overruled
    ) private {
        // Bonds run per owner (kept at the owner's first seat): a member holding several seats
        // (seats by bond) is slashed seat after seat, each seat from what the last one left.
        for (uint256 s; s < seats.length; ++s) {
            address m = seats[s];
            if (m == address(0)) continue;
            uint256 bad;
            GAttestation storage a = _attestations[k][m];
            for (uint256 i; i < list.length; ++i) {
                if (!list[i].revealed || _sealed[k][list[i].worker].proven) continue; // nobody could check it as sent
                if (a.revealed && list[i].outcome == ITrainingMarket.Outcome.Undecided) continue;
                if (!a.revealed || _distance(a.scores[i], list[i].verifiedScoreBps) > TOLERANCE_BPS) ++bad;
            }
            if (bad == 0) continue;
            uint256 c = _firstSeat(seats, m);
            uint256 bond = bonds[c];
            if (bond == 0) ++slashesEscapedByExit; // issue 20: exited and withdrew before finalize
            bonds[c] = bond - _min(bond * SLASH_BPS * bad / BPS, bond);
            if (bond != 0) ++seatsSlashed;
        }
        // An unavailable majority the vote overruled stood on the losing side of the set's verdict.
        for (uint256 s; s < seats.length; ++s) {
            if (overruled && _attestations[k][seats[s]].unavailable) bonds[_firstSeat(seats, seats[s])] = 0;
        }
        for (uint256 s; s < seats.length; ++s) {
            if (seats[s] == address(0)) continue;
            uint256 expected = bonds[_firstSeat(seats, seats[s])];
            uint256 actual = _validatorOf(seats[s]).bond;
            if (actual != expected) ++slashShortfalls;
            if (actual < expected && kindOf[seats[s]] == Kind.Honest && _anyProven(k)) ++badEnvelopeSlashes;
        }
    }

    function _firstSeat(address[] memory seats, address m) private pure returns (uint256 r) {
        while (seats[r] != m) ++r;
    }

    /// @dev The verdicts against the seats: a strict honest majority decides the median; a
    /// conviction needs a strict majority of the drawn seats below the claim (issue 20).
    function _checkVerdicts(uint256 k, address[] memory seats, ITrainingMarket.Submission[] memory list)
        private
    {
        uint256 drawn; // the filled seats: a strict majority of them decides (market v3)
        for (uint256 s; s < seats.length; ++s) {
            if (seats[s] != address(0)) ++drawn;
        }
        for (uint256 i; i < list.length; ++i) {
            if (!list[i].revealed || _sealed[k][list[i].worker].proven) continue; // Unverified: nothing judged
            uint256 honest;
            uint256 below;
            for (uint256 s; s < seats.length; ++s) {
                GAttestation storage a = _attestations[k][seats[s]];
                if (seats[s] == address(0) || !a.revealed) continue;
                if (kindOf[seats[s]] == Kind.Honest) ++honest;
                if (uint256(a.scores[i]) + TOLERANCE_BPS < list[i].claimedScoreBps) ++below;
            }
            if (2 * honest > drawn && _distance(list[i].verifiedScoreBps, _subs[k][i].trueScore) > NOISE) {
                ++honestMajorityOutvoted;
            }
            if (list[i].outcome == ITrainingMarket.Outcome.Dishonest && 2 * below <= drawn) ++tieConvictions;
        }
    }

    /// @dev A job nobody committed to credited its requester `refunded` where an unpooled job's
    /// rule gives `own`: a pooled job from its seed block on must credit nothing (walking away
    /// from a seen split costs the whole escrow, {PooledJobs-_walkedAway}), before it `own`.
    function _checkPooledRefund(GJob storage j, uint256 refunded, uint256 own) private {
        bool walkedAway = j.pooled && block.number >= j.seedBlock;
        if (walkedAway) ++pooledWalkAways;
        if (refunded != (walkedAway ? 0 : own)) ++pooledRefundMismatches;
    }

    /// @dev The requester may get back its own reward, less what its winner won, and its deposit;
    /// anything more came from slashed stakes, forfeits, bonds or division dust, all burned (issue 20).
    /// A `forfeited` job with a revealed submission was the requester's failure: the reward goes
    /// to the revealed workers and its deposit is burned (issue 20 item 7), so it gets nothing.
    function _checkRequesterGain(uint256 k, uint256 gain, ITrainingMarket.Submission[] memory list, bool forfeited)
        private
    {
        GJob storage j = _jobs[k];
        uint256 kept = j.reward + Judgment.depositOf(j.reward);
        for (uint256 i; i < list.length; ++i) {
            if (list[i].outcome == ITrainingMarket.Outcome.Won) kept -= _jobView(j.id).reward;
            if (forfeited && list[i].revealed) kept = 0;
        }
        if (gain > kept) ++slashesToRequester;
    }

    function _join(address a, uint256 bond) private {
        _fund(a, bond);
        vm.prank(a);
        market.joinValidators{value: bond}();
    }

    // =========================================================================================
    //                          SEALED SUBMISSIONS (issue 26)
    // =========================================================================================

    /// @notice A sealed winner delivers its key to the requester under the requester's job key
    /// (a lying one delivers another key), within the delivery window; Mallory's delivery reverts.
    function deliverKey(uint256 pick) external {
        (bool found, uint256 k) = _pickExchange(pick, 1);
        if (!found) return _openExchange(pick);
        uint256 id = _jobs[k].id;
        SealedExchange.Exchange memory e = exchange.exchangeOf(id);
        if (block.timestamp > e.since + exchange.deliveryWindow()) return _advance(pick); // missed: refundUndelivered
        GSealed storage g = _sealed[k][e.worker];
        uint256 d = _deliveryScalar(k);
        SealedCurve.Point memory point = _pointOf(d);
        bytes32 envelope = _envelope(g.lies ? ~g.key : g.key, _jobKeySecret(k), d);
        vm.prank(MALLORY);
        try exchange.deliverKey(id, point, envelope) {
            _accepted();
        } catch {}
        vm.prank(e.worker);
        exchange.deliverKey(id, point, envelope);
        _exchangeOf[k].state = 2;
        _changed();
    }

    /// @notice The requester disputes a delivery in its window: by key (the shared point opens
    /// the envelope to a key the seal does not commit) and, holding the committed key, by chunk
    /// (it opens the ciphertext to another leaf than the seal's). A lie or a forged seal must be
    /// refunded; an honest delivery of an honest seal must withstand both.
    function dispute(uint256 pick) external {
        (bool found, uint256 k) = _pickExchange(pick, 2);
        if (!found) return _openExchange(pick);
        SealedExchange.Exchange memory e = exchange.exchangeOf(_jobs[k].id);
        if (block.timestamp > e.since + exchange.disputeWindow()) return _advance(pick); // undisputed: claimExchange
        GSealed storage g = _sealed[k][e.worker];
        uint256[3] memory before = _credits(e);
        bool won = _disputeKey(k, e) || _disputeChunk(k, e);
        if (won != (g.lies || g.forged)) {
            if (won) ++honestDisputesAccepted;
            else ++exchangeMismatches; // a provable dispute refused
        }
        if (!won) return _advance(pick);
        // Refunded: the prize to the requester, the deposit burned, nothing to the worker, ever.
        _checkRefund(e, before);
        try exchange.claim(_jobs[k].id) {
            ++exchangeMismatches;
        } catch {}
        _closeExchange(k);
        ++exchangesRefunded;
    }

    /// @notice Anyone claims an undisputed delivery for its worker once the dispute window
    /// passed (a claim inside it reverts): the worker is credited prize and deposit, once.
    function claimExchange(uint256 pick) external {
        (bool found, uint256 k) = _pickExchange(pick, 2);
        if (!found) return _openExchange(pick);
        uint256 id = _jobs[k].id;
        SealedExchange.Exchange memory e = exchange.exchangeOf(id);
        uint256 ends = e.since + exchange.disputeWindow();
        if (block.timestamp <= ends) {
            try exchange.claim(id) {
                _accepted();
            } catch {}
            vm.warp(ends + 1);
        }
        uint256 before = exchange.pendingOf(e.worker);
        exchange.claim(id);
        if (exchange.pendingOf(e.worker) - before != _exchangeOf[k].amount) ++exchangeMismatches;
        try exchange.claim(id) {
            ++exchangeMismatches; // paid twice
        } catch {}
        _closeExchange(k);
        ++exchangesPaid;
    }

    /// @notice Anyone refunds the requester of a winner that let the delivery window pass (a
    /// refund inside it reverts): the prize back, the deposit burned, nothing to the worker.
    function refundUndelivered(uint256 pick) external {
        (bool found, uint256 k) = _pickExchange(pick, 1);
        if (!found) return _openExchange(pick);
        uint256 id = _jobs[k].id;
        SealedExchange.Exchange memory e = exchange.exchangeOf(id);
        uint256 ends = e.since + exchange.deliveryWindow();
        if (block.timestamp <= ends) {
            try exchange.refundUndelivered(id) {
                _accepted();
            } catch {}
            vm.warp(ends + 1);
        }
        uint256[3] memory before = _credits(e);
        exchange.refundUndelivered(id);
        _checkRefund(e, before);
        _closeExchange(k);
        ++exchangesRefunded;
    }

    /// @notice Someone pulls what the exchange owes it; it must receive exactly {pendingOf}.
    function withdrawFromExchange(uint256 who) external {
        uint256 start = who % actors.length;
        for (uint256 n; n < actors.length; ++n) {
            address a = actors[(start + n) % actors.length];
            uint256 owed = exchange.pendingOf(a);
            if (owed == 0) continue;
            uint256 before = a.balance;
            vm.prank(a);
            exchange.withdraw();
            ghostOut += a.balance - before;
            if (a.balance - before != owed) ++payoutMismatches;
            _changed();
            return;
        }
        _advance(who);
    }

    /// @dev With no exchange in the state an exchange step wants, its natural step before: a
    /// finalized sealed job's winner is claimed (opening its exchange), else the market advances.
    function _openExchange(uint256 pick) private {
        (bool found, uint256 k) = _pick(pick, _sealedWinnerUnclaimed);
        if (!found) return _advance(pick);
        uint256 best = _winnerOf(_jobs[k].id);
        _claim(k, best, pick % 2 == 0);
    }

    function _sealedWinnerUnclaimed(uint256 k) private view returns (bool) {
        if (!_jobs[k].sealedJob || !_finalized(k)) return false;
        uint256 best = _winnerOf(_jobs[k].id);
        return best != NO_WINNER && !_subs[k][best].claimed;
    }

    /// @dev Worker w's sealed submission to job k: its key, its envelopes' scalar, its plan
    /// (a forged seal, a lie at delivery, a garbage envelope: one in four each), its seal published.
    function _publishSeal(uint256 k, address w) private {
        GSealed storage g = _sealed[k][w];
        uint256 plan = uint256(keccak256(abi.encode(k, w, "plan")));
        // A fresh key per submission; the envelopes' point is the worker's own across jobs (the
        // protocol allows it), so the campaign computes each member's ECDH point with it once.
        (g.key, g.w) = (keccak256(abi.encode(k, w, "key")), _scalar(abi.encode(w, "point")));
        (g.forged, g.lies, g.hostile) = (plan % 4 == 0, (plan >> 8) % 4 == 0, (plan >> 16) % 4 == 0);
        g.late = (plan >> 24) % 8 == 0;
        if (!g.late) _publish(k, w);
    }

    function _publish(uint256 k, address w) private {
        GSealed storage g = _sealed[k][w];
        (ISealedExchange.Seal memory seal,,) = _sealOf(g.key, _modelOf(k, w), g.forged);
        g.late = false; // published
        vm.prank(w);
        exchange.publishSeal(_jobs[k].id, seal);
    }

    /// @dev Right after job k's draw, each of its workers posts its key's envelopes to the seats
    /// (a hostile one garbage to the first honest seat, its victim).
    function _postEnvelopes(uint256 k) private {
        address[] storage seats = _seats[k];
        address victim;
        for (uint256 s; s < seats.length && victim == address(0); ++s) {
            if (seats[s] != address(0) && kindOf[seats[s]] == Kind.Honest) victim = seats[s];
        }
        GSub[] storage subs = _subs[k];
        for (uint256 i; i < subs.length; ++i) {
            if (_sealed[k][subs[i].worker].late) continue; // no seal yet: no envelopes
            if (_sealed[k][subs[i].worker].hostile) _sealed[k][subs[i].worker].victim = victim;
            _postEnvelopesOf(k, subs[i].worker);
        }
    }

    function _postEnvelopesOf(uint256 k, address w) private {
        GSealed storage g = _sealed[k][w];
        (g.point, g.envelopes) = _envelopesOf(k, w); // kept for the proofs: each point costs a cheatcode
        vm.prank(w);
        exchange.postEnvelopes(_jobs[k].id, g.point, g.envelopes);
    }

    /// @dev Worker w's point and its envelopes to job k's seats (zero for an empty seat).
    function _envelopesOf(uint256 k, address w) private returns (SealedCurve.Point memory, bytes32[] memory envelopes) {
        GSealed storage g = _sealed[k][w];
        address[] storage seats = _seats[k];
        envelopes = new bytes32[](seats.length);
        for (uint256 s; s < seats.length; ++s) {
            if (seats[s] == address(0)) continue;
            envelopes[s] = _envelope(seats[s] == g.victim ? ~g.key : g.key, _encryptionSecret(seats[s]), g.w);
        }
        return (_pointOf(g.w), envelopes);
    }

    /// @dev Before member m attests job k: it proves bad the envelope it could not open, and
    /// (one in eight) tries to prove a good one bad, which must revert.
    function _proveEnvelopes(uint256 k, address m) private {
        GSub[] storage subs = _subs[k];
        for (uint256 i; i < subs.length; ++i) {
            GSealed storage g = _sealed[k][subs[i].worker];
            if (!subs[i].revealed || g.proven) continue;
            if (g.victim == m) {
                _prove(k, subs[i].worker, m, true);
                g.proven = true;
                ++envelopesProven;
            } else if (uint256(keccak256(abi.encode(k, i, m, "fake"))) % 8 == 0) {
                _prove(k, subs[i].worker, m, false);
            }
        }
    }

    /// @dev Member m proves its envelope from worker w on job k bad: it must go through when
    /// `bad`, else revert (the envelope opens to the committed key).
    function _prove(uint256 k, address w, address m, bool bad) private {
        GSealed storage g = _sealed[k][w];
        Proving memory p;
        p.id = _jobs[k].id;
        p.worker = w;
        p.recipients = _seats[k];
        p.seat = _firstSeat(_seats[k], m);
        (p.point, p.envelopes, p.key) = (g.point, g.envelopes, _encryptionKeys[m]);
        (p.seal,,) = _sealOf(g.key, _modelOf(k, w), g.forged);
        p.proof = _proof(_encryptionSecret(m), g.w, _scalar(abi.encode(k, w, m, "nonce")), p.key, p.point);
        vm.prank(m);
        bool proven = _sendProof(p);
        if (proven && !bad) _accepted();
        if (!proven && bad) revert("a bad envelope's proof was refused");
    }

    function _sendProof(Proving memory p) private returns (bool) {
        try exchange.proveBadEnvelope(p.id, p.worker, p.seal, p.point, p.recipients, p.envelopes, p.seat, p.key, p.proof) {
            return true;
        } catch {
            return false;
        }
    }

    /// @dev The requester's key dispute of job k's delivery; true when it went through.
    function _disputeKey(uint256 k, SealedExchange.Exchange memory e) private returns (bool) {
        GSealed storage g = _sealed[k][e.worker];
        (uint256 r, uint256 d) = (_jobKeySecret(k), _deliveryScalar(k));
        Proving memory p;
        p.id = _jobs[k].id;
        (p.seal,,) = _sealOf(g.key, _modelOf(k, e.worker), g.forged);
        p.key = _pointOf(r);
        p.point = _pointOf(d);
        p.proof = _proof(r, d, _scalar(abi.encode(k, "dispute nonce")), p.key, p.point);
        bytes32 envelope = _envelope(g.lies ? ~g.key : g.key, r, d);
        vm.prank(e.requester);
        try exchange.disputeKey(p.id, p.seal, p.key, p.point, envelope, p.proof) {
            return true;
        } catch {
            return false;
        }
    }

    /// @dev The requester's chunk dispute of job k's delivery, with the key it opened (the
    /// committed one only when the worker did not lie); true when it went through.
    function _disputeChunk(uint256 k, SealedExchange.Exchange memory e) private returns (bool) {
        GSealed storage g = _sealed[k][e.worker];
        (ISealedExchange.Seal memory seal, bytes memory cipher, bytes32 leaf) =
            _sealOf(g.key, _modelOf(k, e.worker), g.forged);
        ISealedExchange.ChunkEvidence memory evidence =
            ISealedExchange.ChunkEvidence(0, cipher, new bytes32[](0), leaf, new bytes32[](0));
        uint256 id = _jobs[k].id;
        vm.prank(e.requester);
        try exchange.disputeChunk(id, seal, g.lies ? ~g.key : g.key, evidence) {
            return true;
        } catch {
            return false;
        }
    }

    /// @dev Job k's winner (submission i) was claimed: the exchange must hold exactly its payout
    /// (`escrowed`, `promised`), for its worker and requester, awaiting the key.
    function _opened(uint256 k, uint256 i, uint256 escrowed, uint256 promised) private {
        SealedExchange.Exchange memory e = exchange.exchangeOf(_jobs[k].id);
        if (escrowed != promised || uint256(e.prize) + e.deposit != promised) ++exchangeMismatches;
        if (e.worker != _subs[k][i].worker || e.requester != _jobs[k].requester) ++exchangeMismatches;
        if (e.state != ISealedExchange.State.AwaitingKey) ++exchangeMismatches; // the requester registered its key
        _exchangeOf[k] = GExchange(1, uint8(i), promised);
        _exchanged.push(k);
        exchangeEscrow += promised;
    }

    /// @dev What exchange `e`'s requester, worker and address(0) (burned) are credited now.
    function _credits(SealedExchange.Exchange memory e) private view returns (uint256[3] memory) {
        return [exchange.pendingOf(e.requester), exchange.pendingOf(e.worker), exchange.pendingOf(address(0))];
    }

    /// @dev A refund since `before` ({_credits}): the prize to the requester, the deposit
    /// burned, nothing to the worker.
    function _checkRefund(SealedExchange.Exchange memory e, uint256[3] memory before) private {
        uint256[3] memory now_ = _credits(e);
        if (now_[0] - before[0] != e.prize || now_[1] != before[1] || now_[2] - before[2] != e.deposit) {
            ++exchangeMismatches;
        }
    }

    function _closeExchange(uint256 k) private {
        _exchangeOf[k].state = 3;
        exchangeEscrow -= _exchangeOf[k].amount;
        _changed();
    }

    /// @dev The first job with an exchange in `state`, from `seed` on (cyclically).
    function _pickExchange(uint256 seed, uint8 state) private view returns (bool, uint256) {
        uint256 n = _exchanged.length;
        for (uint256 i; i < n; ++i) {
            uint256 k = _exchanged[(seed % n + i) % n];
            if (_exchangeOf[k].state == state) return (true, k);
        }
        return (false, 0);
    }

    /// @dev True when a member proved a bad envelope on job k.
    function _anyProven(uint256 k) private view returns (bool) {
        GSub[] storage subs = _subs[k];
        for (uint256 i; i < subs.length; ++i) {
            if (_sealed[k][subs[i].worker].proven) return true;
        }
        return false;
    }

    function _encryptionSecret(address m) private pure returns (uint256) {
        return _scalar(abi.encode("encryption", m));
    }

    function _jobKeySecret(uint256 k) private pure returns (uint256) {
        return _scalar(abi.encode("job key", k));
    }

    function _deliveryScalar(uint256 k) private pure returns (uint256) {
        return _scalar(abi.encode("delivery", k));
    }

    // =========================================================================================
    //                                   PICKING AND HELPERS
    // =========================================================================================

    /// @dev The first job from `seed` on (cyclically) that `ok` accepts.
    function _pick(uint256 seed, function(uint256) view returns (bool) ok) private view returns (bool, uint256) {
        uint256 n = _jobs.length;
        if (n == 0) return (false, 0);
        uint256 start = seed % n;
        for (uint256 i; i < n; ++i) {
            uint256 k = (start + i) % n;
            if (ok(k)) return (true, k);
        }
        return (false, 0);
    }

    function _active(uint256 k) private view returns (bool) {
        return _jobs[k].status == 0;
    }

    function _finalizable(uint256 k) private view returns (bool) {
        return _jobs[k].status == 0 && block.timestamp >= _jobs[k].d[3] && block.timestamp >= _voteEnd(k);
    }

    /// @dev When job k's appeal vote closes (0: not appealed).
    function _voteEnd(uint256 k) private view returns (uint256) {
        return _appealOf[k].appellant == address(0) ? 0 : appeals.appealOf(_jobs[k].id).revealUntil;
    }

    function _appealable(uint256 k) private view returns (bool) {
        GJob storage j = _jobs[k];
        return j.status == 0 && j.evaluated && _subs[k].length != 0 && _appealOf[k].appellant == address(0)
            && block.timestamp >= Judgment.appealsOpenAt(j.d[2], j.d[3]) && block.timestamp < j.d[3];
    }

    function _voting(uint256 k) private view returns (bool) {
        return _appealOf[k].appellant != address(0) && block.timestamp < appeals.appealOf(_jobs[k].id).commitUntil;
    }

    function _revealingVotes(uint256 k) private view returns (bool) {
        if (_appealOf[k].appellant == address(0)) return false;
        IAppeals.Appeal memory a = appeals.appealOf(_jobs[k].id);
        return block.timestamp >= a.commitUntil && block.timestamp < a.revealUntil;
    }

    function _voteClosed(uint256 k) private view returns (bool) {
        return _appealOf[k].appellant != address(0) && block.timestamp >= _voteEnd(k);
    }

    function _ruled(uint256 k) private view returns (bool) {
        return _appealOf[k].appellant != address(0) && _jobs[k].status == 1;
    }

    /// @dev True when the clock is in job k's window `w`: [d[w-1], d[w]).
    function _in(uint256 k, uint256 w) private view returns (bool) {
        return block.timestamp >= _jobs[k].d[w - 1] && block.timestamp < _jobs[k].d[w];
    }

    function _finalized(uint256 k) private view returns (bool) {
        return _jobs[k].status == 1 && !_jobs[k].closed;
    }

    function _cancellable(uint256 k) private view returns (bool) {
        return _jobs[k].status == 0 && _subs[k].length == 0;
    }

    function _committable(uint256 k) private view returns (bool) {
        return _jobs[k].status == 0 && block.timestamp < _jobs[k].d[0] && _subs[k].length < 16;
    }

    function _revealing(uint256 k) private view returns (bool) {
        return _subs[k].length != 0 && _in(k, 1);
    }

    function _evaluationPending(uint256 k) private view returns (bool) {
        return _jobs[k].status == 0 && !_jobs[k].evaluated && _in(k, 1);
    }

    function _drawable(uint256 k) private view returns (bool) {
        return _jobs[k].status == 0 && !_jobs[k].drawn && _in(k, 1);
    }

    function _attesting(uint256 k) private view returns (bool) {
        GJob storage j = _jobs[k];
        return j.status == 0 && j.drawn && j.evaluated && _in(k, 2);
    }

    function _attestationRevealable(uint256 k) private view returns (bool) {
        GJob storage j = _jobs[k];
        return j.status == 0 && j.drawn && j.evaluated && _in(k, 3);
    }

    function _close(uint256 k) private {
        _jobs[k].closed = true;
        ++closedJobs;
    }

    function _allClaimed(uint256 k) private view returns (bool) {
        GSub[] storage subs = _subs[k];
        for (uint256 i; i < subs.length; ++i) {
            if (!subs[i].claimed) return false;
        }
        return true;
    }

    function _hasCommitted(uint256 k, address w) private view returns (bool) {
        GSub[] storage subs = _subs[k];
        for (uint256 i; i < subs.length; ++i) {
            if (subs[i].worker == w) return true;
        }
        return false;
    }

    function _modelOf(uint256 k, address w) private pure returns (bytes32) {
        return keccak256(abi.encode("model", k, w));
    }

    function _uriOf(address w) private pure returns (string memory) {
        return string.concat("http://127.0.0.1:8000/sha256/", vm.toString(w));
    }

    function _evalSalt(uint256 k) private pure returns (bytes32) {
        return keccak256(abi.encode("eval-salt", k));
    }

    function _fund(address a, uint256 amount) private {
        vm.deal(a, a.balance + amount);
        ghostIn += amount;
    }

    function _changed() private {
        ++stateChangingCalls;
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }

    function _distance(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a - b : b - a;
    }

    // =========================================================================================
    //                        FOR THE INVARIANTS (ghost state, read-only)
    // =========================================================================================

    /// @notice One line for build/forge/calls.log: calls that changed state and what they reached.
    function summary() external view returns (string memory) {
        string memory market_ = string.concat(
            vm.toString(stateChangingCalls), " settled=", vm.toString(settledWithCommittee), " winners=",
            vm.toString(winners), " convictions=", vm.toString(convictions), " slashed=", vm.toString(seatsSlashed),
            " ties=", vm.toString(tieConvictions), " toRequester=", vm.toString(slashesToRequester), " escaped=",
            vm.toString(slashesEscapedByExit), " appeals=", vm.toString(appealsFiled), " overturned=",
            vm.toString(appealsOverturned)
        );
        // A second part: one string.concat of every figure runs out of stack slots (legacy pipeline).
        return string.concat(
            market_, " unavailable=", vm.toString(unavailableAttested), " setForfeits=", vm.toString(unavailableForfeits),
            " proven=", vm.toString(envelopesProven), " exchanges=", vm.toString(_exchanged.length), " paid=",
            vm.toString(exchangesPaid), " refunded=", vm.toString(exchangesRefunded), " sealedPosts=",
            vm.toString(sealedPosts), " sealedPooled=", vm.toString(sealedPooledPosts), " pooledWalkAways=",
            vm.toString(pooledWalkAways)
        );
    }

    function jobCount() external view returns (uint256) {
        return _jobs.length;
    }

    function jobAt(uint256 k) external view returns (uint256 id, uint8 status, bool drawn, bytes32 committeeHash) {
        GJob storage j = _jobs[k];
        return (j.id, j.status, j.drawn, j.committeeHash);
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function memberCount() external view returns (uint256) {
        return members.length;
    }

    /// @notice Everything the market owes, summed from its own views: escrowed rewards and
    /// stakes of active jobs, unclaimed payouts of finalized ones, bonds, pending credits.
    function owedByViews() external view returns (uint256 owed) {
        for (uint256 k; k < _jobs.length; ++k) {
            GJob storage j = _jobs[k];
            if (j.closed) continue; // owes nothing more
            ITrainingMarket.Submission[] memory list = _submissionsOf(j.id);
            if (j.status == 0) owed += _jobView(j.id).reward + Judgment.depositOf(j.reward); // the deposit escrowed with it
            for (uint256 i; i < list.length; ++i) {
                if (j.status == 0) owed += list[i].stake;
                else if (list[i].stake != 0) owed += list[i].payout; // claim zeroes the stake
            }
        }
        for (uint256 i; i < members.length; ++i) {
            owed += _validatorOf(members[i]).bond;
        }
        for (uint256 i; i < actors.length; ++i) {
            owed += _pendingOf(actors[i]);
        }
        owed += _pendingOf(address(0)); // burned: slashed stakes, forfeits, unearned bonds (issue 20)
    }

    /// @notice Everything the exchange owes, from its own views: the prize and deposit of every
    /// exchange not closed, and every balance credited (burned ones included).
    function exchangeOwedByViews() external view returns (uint256 owed) {
        for (uint256 n; n < _exchanged.length; ++n) {
            SealedExchange.Exchange memory e = exchange.exchangeOf(_jobs[_exchanged[n]].id);
            if (e.state != ISealedExchange.State.Closed) owed += uint256(e.prize) + e.deposit;
        }
        for (uint256 i; i < actors.length; ++i) {
            owed += exchange.pendingOf(actors[i]);
        }
        owed += exchange.pendingOf(address(0));
    }

    /// @notice Everything Appeals owes, from its own views: the deposits of appeals not ruled
    /// yet, and what each actor may collect from the ruled ones.
    function appealsOwedByViews() external view returns (uint256 owed) {
        for (uint256 n; n < _appealed.length; ++n) {
            uint256 k = _appealed[n];
            if (_jobs[k].status == 0) {
                owed += _appealOf[k].deposit;
                continue;
            }
            for (uint256 i; i < actors.length; ++i) {
                owed += appeals.owedTo(_jobs[k].id, actors[i]);
            }
        }
    }

    /// @notice Jobs whose phase, as the market shows it, is not the one their status and the
    /// clock give; and whose stored job differs from what was posted.
    function phaseMismatches() external view returns (uint256 bad) {
        for (uint256 k; k < _jobs.length; ++k) {
            GJob storage j = _jobs[k];
            ITrainingMarket.Phase expected = j.status == 1
                ? ITrainingMarket.Phase.Finalized
                : j.status == 2
                    ? ITrainingMarket.Phase.Cancelled
                    : block.timestamp < j.d[0]
                        ? ITrainingMarket.Phase.Open
                        : block.timestamp < j.d[1]
                            ? ITrainingMarket.Phase.Revealing
                            : block.timestamp < j.d[2]
                                ? ITrainingMarket.Phase.Attesting
                                : block.timestamp < j.d[3] ? ITrainingMarket.Phase.Settling : ITrainingMarket.Phase.Finalizable;
            if (j.status == 0 && _appealOf[k].appellant != address(0)) {
                IAppeals.Appeal memory a = appeals.appealOf(j.id);
                if (block.timestamp < a.commitUntil) expected = ITrainingMarket.Phase.AppealVoting;
                else if (block.timestamp < a.revealUntil) expected = ITrainingMarket.Phase.AppealRevealing;
            }
            if (_phaseOf(j.id) != expected) ++bad;
            ITrainingMarket.Job memory stored = _jobView(j.id);
            if (stored.requester != j.requester || stored.settleDeadline != j.d[3] || stored.minStake != j.minStake) ++bad;
            if (stored.evaluationRevealed != j.evaluated || uint8(stored.status) != j.status) ++bad;
        }
    }

    /// @notice The committee of job `k` as the market shows it now, hashed.
    function committeeHashNow(uint256 k) external view returns (bytes32) {
        return keccak256(abi.encode(_committeeOf(_jobs[k].id)));
    }

    // =========================================================================================
    //     VIEWS: every read of the market's views, judged ones from its MarketLens (issue 19)
    // =========================================================================================

    function _jobView(uint256 id) internal view returns (ITrainingMarket.Job memory) {
        return market.job(id);
    }

    function _submissionsOf(uint256 id) internal view returns (ITrainingMarket.Submission[] memory) {
        return lens.submissions(id);
    }

    function _committeeOf(uint256 id) internal view returns (address[] memory) {
        return lens.committee(id);
    }

    function _winnerOf(uint256 id) internal view returns (uint256) {
        return lens.winnerOf(id);
    }

    function _pendingOf(address a) internal view returns (uint256) {
        return market.pendingOf(a);
    }

    function _validatorOf(address a) internal view returns (ITrainingMarket.Validator memory) {
        return market.validator(a);
    }

    function _phaseOf(uint256 id) internal view returns (ITrainingMarket.Phase) {
        return lens.phase(id);
    }
}

/// @title DrawPreviewer
/// @notice Test-only: draws a job's committee and reverts with it, so a caller learns what a draw
/// now gives and nothing is drawn.
contract DrawPreviewer {
    error DrawPreviewed(bytes32 committee);

    /// @notice Draws `id` and reverts {DrawPreviewed} with the hash of its committee words.
    function preview(ITrainingMarket market, uint256 id) external {
        market.drawCommittee(id);
        revert DrawPreviewed(keccak256(abi.encode(market.committeeWords(id))));
    }
}
