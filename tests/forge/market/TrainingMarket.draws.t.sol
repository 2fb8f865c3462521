// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ITrainingMarket} from "../../../contracts/interfaces/ITrainingMarket.sol";
import {MarketHashes} from "../../../contracts/libraries/MarketHashes.sol";
import {MarketLens} from "../../../contracts/MarketLens.sol";
import {TrainingMarket} from "../../../contracts/TrainingMarket.sol";
import {MarketFixture} from "./MarketFixture.sol";

/// @notice The committee draw's tries (CommitteeDraw.drawSeats): how many there are, and how a
/// try steps over the bond that left the draw. The cases the mutation sample found no test for.
contract TrainingMarketDrawsTest is MarketFixture {
    uint256 internal constant REWARD = 10 ether;
    uint256 internal constant WHALE = 1_000_000 ether;

    /// @dev A committee of one (a market of quorum 1) and twenty bonded leaves that cannot sit:
    /// the requester, sixteen workers and three members at their cap. The draw's tries end at
    /// 2 x 1 + 16 + 1 = 19 with nobody seated; a twentieth would find `gone` full.
    function test_aDrawEndsAfterItsTriesWhenNobodyCanSit() external {
        _useMarketOf(1 ether);
        for (uint160 i = 1; i <= 3; ++i) {
            _join(_validator(i), 1 ether);
        }
        vm.warp(block.timestamp + 50); // an epoch: the joins weigh
        _capMembers();
        uint256 id = _jobOfBondedParties(1 ether, 1);
        assertEq(market.epochWeightNow(), 20 ether / 1 gwei); // every leaf weighs in this draw

        _drawFrom(id, keccak256("seed block"));

        assertEq(lens.committee(id)[0], address(0)); // drawn, nobody eligible
        vm.expectRevert(abi.encodeWithSelector(ITrainingMarket.TrainingMarketAlreadyDrawn.selector, id));
        market.drawCommittee(id);
    }

    /// @dev The tries suffice exactly: a committee of three, twenty leaves of a million ETH that
    /// cannot sit (the requester, sixteen workers, three members at their cap: as many as the
    /// seats) and one member of 1 ETH, drawn after them (but for about one seed in 50,000),
    /// which then takes the three seats: 20 + 3 = 2 x 3 + 16 + 1 tries.
    function test_aMemberDrawnAfterEveryLeafThatCannotSitTakesEverySeat() external {
        _capMembers();
        for (uint160 i = 1; i <= 3; ++i) {
            vm.deal(_validator(i), WHALE);
            vm.prank(_validator(i));
            market.topUpBond{value: WHALE}();
        }
        address member = _validator(5);
        _join(member, 1 ether);
        uint256 id = _jobOfBondedParties(WHALE, 3);

        _drawFrom(id, keccak256("seed block"));

        address[] memory seats = lens.committee(id);
        for (uint256 s; s < seats.length; ++s) {
            assertEq(seats[s], member);
        }
        assertEq(market.validator(member).unsettledSeats, 3);
    }

    /// @dev Workers no more than the seats are listed with the requester and excluded from the
    /// list: three workers of a million ETH each on a committee of three never sit, the three
    /// 1-ETH members do.
    function test_workersAsManyAsTheSeatsNeverSit() external {
        uint256 id = _post(market, REWARD);
        for (uint160 i = 1; i <= 3; ++i) {
            _join(_worker(i), WHALE);
            _commit(id, i, 8000);
        }
        vm.warp(market.job(id).commitDeadline);

        _drawFrom(id, keccak256("seed block"));

        address[] memory seats = lens.committee(id);
        for (uint256 s; s < seats.length; ++s) {
            address seat = seats[s];
            assertTrue(seat == _validator(1) || seat == _validator(2) || seat == _validator(3)); // never a worker
        }
    }

    /// @dev A try's point steps over every interval that left the draw, one that starts exactly
    /// at the point included. A market of 1-gwei bonds: the requester's leaf 0 (1 ETH) leaves at
    /// the first try (but for one seed in a billion), then the one unit of weight left puts the
    /// second try's point at 0, the start of the requester's interval: it lands on the member.
    function test_aTryStepsOverAnIntervalStartingAtItsPoint() external {
        _useMarketOf(1 gwei);
        address requester = _validator(4);
        _join(requester, 1 ether);
        address member = _validator(5);
        _join(member, 1 gwei);
        vm.deal(requester, 2 * REWARD); // the reward and its deposit
        vm.prank(requester);
        uint256 id = market.postJob{value: 2 * REWARD}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 5000, _deadlines(), MIN_STAKE, 1
        );
        vm.warp(market.job(id).commitDeadline);

        _drawFrom(id, keccak256("seed block"));

        assertEq(lens.committee(id)[0], member);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev A market of quorum 1 (committees of one) and a minimum bond of `minBond`, with its
    /// lens, in place of the fixture's.
    function _useMarketOf(uint96 minBond) internal {
        market = new TrainingMarket(address(registry), ITrainingMarket.Config(minBond, 1, 100, 500, 1000, 1000, 100));
        registry.grantRole(registry.MARKET_ROLE(), address(market));
        lens = new MarketLens(market);
    }

    function _join(address member, uint256 bond) internal {
        vm.deal(member, bond);
        vm.prank(member);
        market.joinValidators{value: bond}();
    }

    /// @dev A job of validator 4 with a committee of `size`, sixteen workers committed: each of
    /// them a member of `bond` (joined before the job, so bonded when its committee is drawn).
    function _jobOfBondedParties(uint256 bond, uint8 size) internal returns (uint256 id) {
        address requester = _validator(4);
        _join(requester, bond);
        for (uint160 i = 1; i <= 16; ++i) {
            _join(_worker(i), bond);
        }
        vm.deal(requester, 2 * REWARD); // the reward and its deposit
        vm.prank(requester);
        id = market.postJob{value: 2 * REWARD}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 5000, _deadlines(), MIN_STAKE, size
        );
        for (uint160 i = 1; i <= 16; ++i) {
            _commit(id, i, 8000);
        }
        vm.warp(market.job(id).commitDeadline);
    }

    /// @dev Validators 1 to 3 at their cap of unsettled seats: 51 open jobs of 15 seats fill
    /// 765 = 3 x 255 of them.
    function _capMembers() internal {
        uint256[] memory ids = new uint256[](51);
        for (uint256 k; k < ids.length; ++k) {
            vm.prank(REQUESTER);
            ids[k] = market.postJob{value: 2 ether}(
                BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 5000, _deadlines(), MIN_STAKE, 15
            );
        }
        vm.warp(market.job(ids[0]).commitDeadline);
        for (uint256 k; k < ids.length; ++k) {
            market.drawCommittee(ids[k]); // every seed block is this block
        }
        vm.roll(block.number + 1);
        vm.setBlockhash(block.number - 1, keccak256("seed block"));
        for (uint256 k; k < ids.length; ++k) {
            market.drawCommittee(ids[k]);
        }
        for (uint160 i = 1; i <= 3; ++i) {
            assertEq(market.validator(_validator(i)).unsettledSeats, type(uint8).max);
        }
    }
}
