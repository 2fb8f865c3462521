// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {StdUtils} from "forge-std/StdUtils.sol";
import {IAppeals} from "../../../contracts/interfaces/IAppeals.sol";
import {ITrainingMarket} from "../../../contracts/interfaces/ITrainingMarket.sol";
import {MarketFixture} from "./MarketFixture.sol";

/// @notice Issue 20 item 5's property, fuzzed: a strict majority of the bond is never outvoted by
/// an appeal. Three honest 1-ETH members and an attacker bonding anything below their 3 ETH; the
/// attacker's seats convict an honest 8000 (or not), it votes either way, the honest worker
/// appeals; the verdict that stands is the honest one, and a seat that convicted loses its bond.
contract AppealsTest is MarketFixture, StdUtils {
    address internal constant ATTACKER = address(0xBAD);
    bytes32 internal constant VOTE_SALT = keccak256("vote salt");

    function testFuzz_aStrictMajorityOfBondIsNeverOutvotedByAnAppeal(
        uint96 bond,
        bool attackerVotesDishonest,
        bytes32 seedHash
    ) external {
        bond = uint96(bound(bond, 1 ether, 3 ether - 1 gwei)); // below the honest 3 ETH
        vm.deal(ATTACKER, bond);
        vm.prank(ATTACKER);
        market.joinValidators{value: bond}();
        vm.warp(block.timestamp + WINDOW); // the bond counts from the next epoch's draws
        uint256 id = _post(market, 1 ether);
        _commit(id, 1, 8000);
        vm.warp(market.job(id).commitDeadline);
        _reveal(id, 1, 8000);
        vm.prank(REQUESTER);
        market.revealEvaluation(id, EVAL, EVAL_SALT, "");
        market.drawCommittee(id);
        vm.roll(block.number + 1);
        vm.setBlockhash(block.number - 1, seedHash); // forge keeps no block hashes: the fuzzer picks it
        market.drawCommittee(id);
        address[] memory seats = lens.committee(id);
        _attest(id, seats);

        IAppeals appeals = IAppeals(market.appealsContractAddress());
        vm.warp(appeals.windowsOf(id)[0]);
        vm.deal(_worker(1), MIN_STAKE);
        vm.prank(_worker(1));
        appeals.fileAppeal{value: MIN_STAKE}(id, 4);
        _vote(appeals, id, attackerVotesDishonest);
        market.finalize(id, _model(1), "u");

        assertEq(uint256(lens.submissions(id)[0].outcome), uint256(ITrainingMarket.Outcome.Won));
        uint256 held;
        for (uint256 s; s < seats.length; ++s) {
            if (seats[s] == ATTACKER) ++held;
        }
        // A captured verdict (a strict majority of the seats) is overturned: the captor's whole bond.
        if (2 * held > seats.length) assertEq(market.validator(ATTACKER).bond, 0, "a captor keeps its bond");
    }

    function _attest(uint256 id, address[] memory seats) private {
        vm.warp(market.job(id).revealDeadline);
        uint16[] memory scores = new uint16[](1);
        for (uint160 i = 1; i <= 4; ++i) {
            address m = i == 4 ? ATTACKER : _validator(i);
            if (!_seated(seats, m)) continue;
            scores[0] = m == ATTACKER ? 0 : 8000;
            vm.prank(m);
            market.commitAttestation(id, keccak256(abi.encode(id, m, scores, SALT)));
        }
        vm.warp(market.job(id).attestDeadline);
        for (uint160 i = 1; i <= 4; ++i) {
            address m = i == 4 ? ATTACKER : _validator(i);
            if (!_seated(seats, m)) continue;
            scores[0] = m == ATTACKER ? 0 : 8000;
            vm.prank(m);
            market.revealAttestation(id, scores, SALT);
        }
    }

    function _vote(IAppeals appeals, uint256 id, bool attackerVotesDishonest) private {
        for (uint160 i = 1; i <= 4; ++i) {
            address m = i == 4 ? ATTACKER : _validator(i);
            uint32 ballot = m == ATTACKER && attackerVotesDishonest ? 1 : 0;
            vm.prank(m);
            appeals.commitVote(id, keccak256(abi.encode(id, m, ballot, VOTE_SALT)));
        }
        vm.warp(appeals.windowsOf(id)[2]);
        for (uint160 i = 1; i <= 4; ++i) {
            address m = i == 4 ? ATTACKER : _validator(i);
            vm.prank(m);
            appeals.revealVote(id, m == ATTACKER && attackerVotesDishonest ? 1 : 0, VOTE_SALT);
        }
        vm.warp(appeals.windowsOf(id)[3]);
    }

    function _seated(address[] memory seats, address m) private pure returns (bool) {
        for (uint256 s; s < seats.length; ++s) {
            if (seats[s] == m) return true;
        }
        return false;
    }
}
