// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IAppeals
/// @notice The appeal of a job's committee verdict to the whole validator bond ({Appeals}):
/// what the market, the roles and the explorer call.
interface IAppeals {
    /// @notice A job's appeal as stored.
    struct Appeal {
        // slot 0
        address appellant; // zero: no appeal
        uint32 filedAt;
        uint32 commitUntil; // votes are committed in [filedAt, commitUntil)
        uint8 submissions; // the job's submission count: every one is voted on
        uint8 ruling; // 0 pending, 1 refunded (overturned: the deposit is the appellant's), 2 to the voters (none revealed a vote: refunded)
        // slot 1
        uint96 deposit;
        uint128 members; // the validator set's leaves when it was filed: a later joiner does not vote
        uint32 revealUntil; // votes are revealed in [commitUntil, revealUntil); the ruling after
        // slot 2
        address requester; // never votes (nor do the job's workers)
        // slot 3
        uint256 total; // gwei of bond that revealed a vote
    }

    event AppealFiled(uint256 indexed jobId, address indexed appellant, uint256 deposit, uint256 commitUntil, uint256 revealUntil);
    event VoteCommitted(uint256 indexed jobId, address indexed voter, bytes32 seal);
    event VoteRevealed(uint256 indexed jobId, address indexed voter, uint64 vote, uint256 weight);
    event AbsentVoterSlashed(uint256 indexed jobId, address indexed voter);
    event AppealRuled(uint256 indexed jobId, bool overturned, uint256 appellantShare);
    event AppealPaid(uint256 indexed jobId, address indexed account, uint256 amount);

    error AppealsNotMarket(address caller);
    error AppealsNotAppealing(uint256 jobId);
    error AppealsAlreadyFiled(uint256 jobId);
    error AppealsWrongMembers(uint256 jobId, uint256 members);
    error AppealsBadVote(uint256 jobId, uint64 vote);
    error AppealsDepositTooLow(uint256 jobId, uint256 sent, uint256 deposit);
    error AppealsNotVoting(uint256 jobId);
    error AppealsNotEligible(uint256 jobId, address account);
    error AppealsAlreadyVoted(uint256 jobId, address voter);
    error AppealsVoteMismatch(uint256 jobId, address voter);
    error AppealsVoteOpen(uint256 jobId, uint256 until);
    error AppealsNothingOwed(uint256 jobId, address account);
    error AppealsTransferFailed(address to, uint256 amount);

    function fileAppeal(uint256 jobId, uint256 members) external payable;
    function commitVote(uint256 jobId, bytes32 seal) external;
    function revealVote(uint256 jobId, uint64 vote, bytes32 salt) external;
    function slashAbsent(uint256 jobId, address voter) external;
    function collect(uint256 jobId) external;
    function ballotOf(uint256 jobId, uint16[] calldata measured) external view returns (uint32 vote);
    function verdictOf(uint256 jobId) external view returns (address appellant, uint256 lost, uint256[16] memory ruled);
    function votesOf(uint256 jobId) external view returns (uint256 decided, uint256 dishonest, uint256 inflated);
    function rule(uint256 jobId, bool overturned, uint256 appellantShare) external;
    function appealOf(uint256 jobId) external view returns (Appeal memory);
    function windowsOf(uint256 jobId) external view returns (uint256[4] memory);
    function tallyOf(uint256 jobId, uint256 bit) external view returns (uint256 against, uint256 total);
    function eligible(uint256 jobId, address account) external view returns (bool);
    function voteOf(uint256 jobId, address voter) external view returns (bytes32);
    function owedTo(uint256 jobId, address account) external view returns (uint256);
    function market() external view returns (address);
}
