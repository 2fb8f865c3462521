// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {ISealedExchange} from "../../../contracts/interfaces/ISealedExchange.sol";
import {SealedExchange} from "../../../contracts/SealedExchange.sol";
import {SealedCurve} from "../../../contracts/libraries/SealedCurve.sol";

/// @notice The market's side of SealedExchange (this handler is its market) with workers and
/// requesters around it: exchanges opened for honest and forged one-chunk seals, deliveries
/// (in time or late), chunk disputes, claims, refunds of missed deliveries, withdrawals, and
/// the clock. Ghosts: what each party is owed, the escrow still open, and any refund of an
/// honest seal. Key disputes need a shared-secret proof made off-chain: the brownie suite
/// (tests/contracts/sealed) covers them.
contract SealedHandler is CommonBase, StdUtils {
    SealedExchange public immutable exchange;

    struct Job {
        address worker;
        address requester;
        bytes32 key;
        bytes cipher; // the single ciphertext chunk (64 bytes)
        ISealedExchange.Seal seal;
        bytes32 plainLeaf; // the committed plaintext leaf
        bool honest;
    }

    address[3] public workers = [address(0xC0DE1), address(0xC0DE2), address(0xC0DE3)];
    address[2] public requesters = [address(0xBEEF1), address(0xBEEF2)];
    Job[] internal _jobs;
    mapping(address => uint256) public owed; // ghost: credited and not withdrawn
    uint256 public escrow; // ghost: prize + deposit of exchanges not closed
    uint256 public honestRefunds; // an honest seal refunded by a dispute: must stay 0
    uint256 public stateChangingCalls;

    constructor(SealedExchange exchange_) {
        exchange = exchange_;
    }

    function jobCount() external view returns (uint256) {
        return _jobs.length;
    }

    /// @notice A worker's one-chunk seal (honest, or whose chunk opens to another leaf), the
    /// requester's job key (or none), and the exchange opened with prize and deposit.
    function open(uint256 seed, bool honest, bool withKey, uint96 prize, uint96 deposit) external {
        prize = uint96(bound(prize, 0, 100 ether));
        deposit = uint96(bound(deposit, 0, 10 ether));
        uint256 jobId = _jobs.length;
        Job storage j = _jobs.push();
        (j.worker, j.requester, j.honest) = (workers[seed % 3], requesters[(seed >> 8) % 2], honest);
        j.key = keccak256(abi.encode("key", seed));
        bytes memory plain = abi.encodePacked(keccak256(abi.encode(seed, 0)), keccak256(abi.encode(seed, 1)));
        j.cipher = abi.encodePacked(
            _word(plain, 0) ^ keccak256(abi.encodePacked(j.key, uint256(0))),
            _word(plain, 1) ^ keccak256(abi.encodePacked(j.key, uint256(1)))
        );
        bytes32 salt = keccak256(abi.encodePacked("sealed-salt/v1", j.key, uint256(0)));
        // A forged seal commits the leaf of other bytes than its ciphertext opens to.
        j.plainLeaf = keccak256(abi.encodePacked(bytes1(0x00), salt, honest ? plain : abi.encodePacked(seed)));
        j.seal = ISealedExchange.Seal(
            bytes32(seed),
            keccak256(abi.encodePacked(bytes1(0x00), j.cipher)),
            j.plainLeaf, // one chunk: the root is the leaf
            keccak256(abi.encodePacked("sealed-key/v1", j.key)),
            64
        );
        vm.prank(j.worker);
        exchange.publishSeal(jobId, j.seal);
        if (withKey) {
            vm.prank(j.requester);
            exchange.registerJobKey(jobId, _generator());
        }
        vm.deal(address(this), uint256(prize) + deposit);
        exchange.openExchange{value: uint256(prize) + deposit}(jobId, j.worker, j.requester, deposit);
        escrow += uint256(prize) + deposit;
        ++stateChangingCalls;
    }

    /// @notice The worker delivers (any envelope: only a dispute could tell).
    function deliver(uint256 pick, bytes32 envelope) external {
        if (_jobs.length == 0) return;
        uint256 jobId = pick % _jobs.length;
        vm.prank(_jobs[jobId].worker);
        try exchange.deliverKey(jobId, _generator(), envelope) {
            ++stateChangingCalls;
        } catch {}
    }

    /// @notice The requester disputes the only chunk with the committed key.
    function disputeChunk(uint256 pick) external {
        if (_jobs.length == 0) return;
        uint256 jobId = pick % _jobs.length;
        Job storage j = _jobs[jobId];
        ISealedExchange.ChunkEvidence memory evidence =
            ISealedExchange.ChunkEvidence(0, j.cipher, new bytes32[](0), j.plainLeaf, new bytes32[](0));
        SealedExchange.Exchange memory e = _exchangeOf(jobId);
        vm.prank(j.requester);
        try exchange.disputeChunk(jobId, j.seal, j.key, evidence) {
            if (j.honest) ++honestRefunds;
            _close(e, j.requester, e.prize, e.deposit);
        } catch {}
    }

    /// @notice Anyone claims for the worker.
    function claim(uint256 pick) external {
        if (_jobs.length == 0) return;
        uint256 jobId = pick % _jobs.length;
        SealedExchange.Exchange memory e = _exchangeOf(jobId);
        try exchange.claim(jobId) {
            _close(e, e.worker, uint256(e.prize) + e.deposit, 0);
        } catch {}
    }

    /// @notice Anyone refunds a missed delivery.
    function refundUndelivered(uint256 pick) external {
        if (_jobs.length == 0) return;
        uint256 jobId = pick % _jobs.length;
        SealedExchange.Exchange memory e = _exchangeOf(jobId);
        try exchange.refundUndelivered(jobId) {
            _close(e, e.requester, e.prize, e.deposit);
        } catch {}
    }

    /// @notice A worker or requester withdraws.
    function withdraw(uint256 who) external {
        address account = who % 5 < 3 ? workers[who % 5] : requesters[who % 5 - 3];
        uint256 before = account.balance;
        vm.prank(account);
        try exchange.withdraw() {
            require(account.balance - before == owed[account], "withdraw paid other than owed");
            owed[account] = 0;
            ++stateChangingCalls;
        } catch {}
    }

    /// @notice The clock moves up to three hours (the windows are one and two).
    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 0, 3 hours));
    }

    function _close(SealedExchange.Exchange memory e, address payee, uint256 paid, uint256 burned) private {
        escrow -= uint256(e.prize) + e.deposit;
        owed[payee] += paid;
        owed[address(0)] += burned;
        ++stateChangingCalls;
    }

    function _exchangeOf(uint256 jobId) private view returns (SealedExchange.Exchange memory) {
        return exchange.exchangeOf(jobId);
    }

    function _word(bytes memory b, uint256 i) private pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := mload(add(add(b, 0x20), mul(i, 0x20)))
        }
    }

    function _generator() private pure returns (SealedCurve.Point memory) {
        return SealedCurve.Point(
            0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
            0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8
        );
    }
}
