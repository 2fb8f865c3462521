// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "forge-std/Base.sol";
import {StdAssertions} from "forge-std/StdAssertions.sol";
import {ITrainingMarket} from "../../../contracts/interfaces/ITrainingMarket.sol";
import {MarketHashes} from "../../../contracts/libraries/MarketHashes.sol";
import {MarketLens} from "../../../contracts/MarketLens.sol";
import {ModelRegistry} from "../../../contracts/ModelRegistry.sol";
import {TrainingMarket} from "../../../contracts/TrainingMarket.sol";

/// @notice A market, its lens and three 1-ETH validators, with the steps that walk one job
/// through its windows: the concrete market suites build on it.
/// @dev Config as the campaigns': 1 ETH minimum bond, quorum 2, tolerance 1 %, fee 5 %, slash
/// 10 %, forfeit 10 % of the minimum stake, 100 s minimum windows; windows of 1,000 s. With
/// three validators a committee of three seats every one of them.
abstract contract MarketFixture is TestBase, StdAssertions {
    bool public IS_TEST = true;

    ModelRegistry internal registry;
    TrainingMarket internal market;
    MarketLens internal lens;
    bytes32 internal constant BASE = keccak256("base");
    bytes32 internal constant EVAL = keccak256("evaluation set");
    bytes32 internal constant EVAL_SALT = keccak256("evaluation salt");
    bytes32 internal constant SALT = keccak256("salt");
    address internal constant REQUESTER = address(0xA11CE);
    uint256 internal constant WINDOW = 1000;
    uint80 internal constant MIN_STAKE = 1 ether;

    function setUp() public virtual {
        registry = _registry(address(0));
        market = _market(registry);
        lens = new MarketLens(market);
        vm.warp(1_700_000_000);
        for (uint160 i = 1; i <= 3; ++i) {
            address v = _validator(i);
            vm.deal(v, 1 ether);
            vm.prank(v);
            market.joinValidators{value: 1 ether}();
        }
        vm.deal(REQUESTER, 1000 ether);
    }

    function _registry(address relay) internal returns (ModelRegistry r) {
        r = new ModelRegistry(address(this), relay);
        r.register(BASE, bytes32(0), keccak256("pretrain"), 5000, "file:///base");
    }

    function _market(ModelRegistry r) internal returns (TrainingMarket m) {
        m = new TrainingMarket(address(r), _config());
        r.grantRole(r.MARKET_ROLE(), address(m));
    }

    function _config() internal pure returns (ITrainingMarket.Config memory) {
        return ITrainingMarket.Config(1 ether, 2, 100, 500, 1000, 1000, 100);
    }

    function _validator(uint160 i) internal pure returns (address) {
        return address(0x1000 + i);
    }

    function _worker(uint160 i) internal pure returns (address) {
        return address(0xB000 + i);
    }

    function _deadlines() internal view returns (uint32[4] memory d) {
        for (uint256 i; i < 4; ++i) {
            d[i] = uint32(block.timestamp + WINDOW * (i + 1));
        }
    }

    /// @dev A job of `reward` on `m`, minimum score 50 %, committee of three.
    function _post(TrainingMarket m, uint256 reward) internal returns (uint256 id) {
        vm.prank(REQUESTER);
        id = m.postJob{value: 2 * reward}(
            BASE, keccak256("t"), MarketHashes.evaluationSeal(EVAL, EVAL_SALT), keccak256("s"), 5000, _deadlines(), MIN_STAKE, 3
        );
    }

    function _model(uint160 worker) internal pure returns (bytes32) {
        return keccak256(abi.encode("model", worker));
    }

    /// @dev `_worker(i)` commits to its model at `score` with a minimum stake.
    function _commit(uint256 id, uint160 i, uint16 score) internal {
        address w = _worker(i);
        vm.deal(w, MIN_STAKE);
        vm.prank(w);
        market.commit{value: MIN_STAKE}(id, MarketHashes.commitment(id, w, _model(i), score, SALT));
    }

    function _reveal(uint256 id, uint160 i, uint16 score) internal {
        vm.prank(_worker(i));
        market.reveal(id, _model(i), score, SALT, "u");
    }

    /// @dev Draws `id`'s committee with every seat held by a different member (seats go by
    /// bond, so a member may hold several: the tests that name members want one seat each).
    function _draw(uint256 id) internal {
        _drawAmong(id, market.job(id).committeeSize);
    }

    /// @dev Draws `id`'s committee: the first call fixes this block as the seed block, a call in
    /// the next block draws from its hash (forge keeps no block hashes: one is set), tried until
    /// `members` different members are seated (a fixed search: the same hash every run), at most
    /// {_drawTries} times. A failed try's snapshot is deleted: kept, thousands of them took forge
    /// past 1.6 GB.
    function _drawAmong(uint256 id, uint256 members) internal {
        market.drawCommittee(id);
        vm.roll(block.number + 1);
        uint256 tries = _drawTries(members);
        for (uint256 k; k < tries; ++k) {
            uint256 snapshot = vm.snapshotState();
            vm.setBlockhash(block.number - 1, keccak256(abi.encode("seed block", id, k)));
            market.drawCommittee(id);
            if (_distinctMembers(lens.committee(id)) == members) return;
            vm.revertToStateAndDelete(snapshot);
        }
        revert("_drawAmong: no seed block of its tries seats that many members");
    }

    /// @dev `_drawAmong`'s bound: 8 m^m / m! tries for m members, 8 times the mean number of
    /// draws until m seats fall on m different members of equal bond (9/2 for three, 1,067 for
    /// nine), so an honest search misses with odds of about e^-8 (3e-4), and a draw that never
    /// seats them (a mutant's) fails in seconds instead of searching until a timeout.
    function _drawTries(uint256 members) internal pure returns (uint256 tries) {
        tries = 8;
        for (uint256 i = 1; i <= members; ++i) {
            tries = tries * members / i;
        }
    }

    /// @dev Draws `id`'s committee from `blockHash`: the first call fixes this block as the seed
    /// block, the next block's call draws (forge keeps no block hashes: one is set).
    function _drawFrom(uint256 id, bytes32 blockHash) internal {
        market.drawCommittee(id);
        vm.roll(block.number + 1);
        vm.setBlockhash(block.number - 1, blockHash);
        market.drawCommittee(id);
    }

    function _distinctMembers(address[] memory seats) internal pure returns (uint256 n) {
        for (uint256 s; s < seats.length; ++s) {
            bool seen = seats[s] == address(0);
            for (uint256 t; t < s && !seen; ++t) {
                seen = seats[t] == seats[s];
            }
            if (!seen) ++n;
        }
    }

    /// @dev Members 1..`members` seal `scores` in the attestation window, open them in the settle
    /// window, and the clock moves to the settle deadline (finalize's).
    function _attestAll(uint256 id, uint160 members, uint16[] memory scores) internal {
        vm.warp(market.job(id).revealDeadline);
        for (uint160 v = 1; v <= members; ++v) {
            _seal(id, v, scores);
        }
        vm.warp(market.job(id).attestDeadline);
        for (uint160 v = 1; v <= members; ++v) {
            _open(id, v, scores);
        }
        vm.warp(market.job(id).settleDeadline);
    }

    /// @dev Validator `i` seals its `scores` (one per submission) in the attestation window.
    function _seal(uint256 id, uint160 i, uint16[] memory scores) internal {
        address v = _validator(i);
        vm.prank(v);
        market.commitAttestation(id, keccak256(abi.encode(id, v, scores, SALT))); // MarketHashes.attestationSeal
    }

    function _open(uint256 id, uint160 i, uint16[] memory scores) internal {
        vm.prank(_validator(i));
        market.revealAttestation(id, scores, SALT);
    }

    function _scores(uint16 a, uint16 b, uint16 c, uint16 d) internal pure returns (uint16[] memory s) {
        s = new uint16[](4);
        (s[0], s[1], s[2], s[3]) = (a, b, c, d);
    }
}
