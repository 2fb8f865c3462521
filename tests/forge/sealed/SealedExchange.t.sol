// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISealedExchange} from "../../../contracts/interfaces/ISealedExchange.sol";
import {SealedExchange} from "../../../contracts/SealedExchange.sol";
import {SealedCurve} from "../../../contracts/libraries/SealedCurve.sol";
import {SealedFixture} from "./SealedFixture.sol";

/// @notice SealedExchange's guards, concrete: who opens an exchange and with what, the key
/// delivery (the winner's, once, in its window), claims and refunds after their windows, the key
/// dispute (refund on a wrong key, refusal of the committed one, of another delivery, of a
/// made-up proof), the chunk dispute's evidence checks and an honest chunk, the requester alone
/// disputing in its window, and withdrawals (a payee that refuses ether keeps its credit). The campaign (SealedExchange.invariants.t.sol) covers the money;
/// these assert each error and each effect.
contract SealedExchangeTest is SealedFixture {
    uint256 internal constant PRIZE = 10 ether;
    uint256 internal constant DEPOSIT = 1 ether;
    bytes32 internal constant WRONG_KEY = keccak256("not the committed key");

    function setUp() public override {
        super.setUp();
        vm.deal(address(this), 1000 ether);
    }

    // ------------------------------------------------------------------ opening

    function test_onlyTheMarketOpensAnExchange() external {
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeNotMarket.selector, address(this)));
        exchange.openExchange{value: PRIZE}(JOB, WORKER, REQUESTER, 0);
        assertEq(uint256(exchange.exchangeOf(JOB).state), uint256(ISealedExchange.State.None));
    }

    function test_anExchangeOpensOncePerJob() external {
        _open();
        vm.expectRevert(
            abi.encodeWithSelector(
                ISealedExchange.SealedExchangeWrongState.selector, JOB, ISealedExchange.State.AwaitingKey
            )
        );
        stub.openOn{value: PRIZE}(exchange, JOB, WORKER, REQUESTER, 0);
        assertEq(address(exchange).balance, PRIZE + DEPOSIT);
    }

    function test_anExchangeNeedsTheWorkersSeal() external {
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeInvalidSeal.selector, JOB, STRANGER));
        stub.openOn{value: PRIZE}(exchange, JOB, STRANGER, REQUESTER, 0);
    }

    function test_aDepositAboveTheValueSentIsRefused() external {
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeTooMuch.selector, PRIZE + 1));
        stub.openOn{value: PRIZE}(exchange, JOB, WORKER, REQUESTER, PRIZE + 1);
    }

    function test_aPrizeAboveWhatTheRecordHoldsIsRefused() external {
        uint256 max = type(uint96).max;
        vm.deal(address(this), max + 1 + DEPOSIT);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeTooMuch.selector, max + 1));
        stub.openOn{value: max + 1 + DEPOSIT}(exchange, JOB, WORKER, REQUESTER, DEPOSIT);
        stub.openOn{value: max + DEPOSIT}(exchange, JOB, WORKER, REQUESTER, DEPOSIT); // exactly the most
        assertEq(exchange.exchangeOf(JOB).prize, max);
        assertEq(exchange.exchangeOf(JOB).deposit, DEPOSIT);
    }

    // ------------------------------------------------------------------ delivery and claim

    function test_onlyTheWinnerDeliversAndOnce() external {
        _open();
        (SealedCurve.Point memory point, bytes32 envelope) = (_pointOf(W), _envelope(KEY, R, W));
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeNotParty.selector, JOB, STRANGER));
        vm.prank(STRANGER);
        exchange.deliverKey(JOB, point, envelope);

        _deliver(KEY);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISealedExchange.SealedExchangeWrongState.selector, JOB, ISealedExchange.State.Delivered
            )
        );
        vm.prank(WORKER);
        exchange.deliverKey(JOB, point, envelope);
    }

    function test_aLateDeliveryIsRefusedAndTheRequesterRefunded() external {
        _open();
        uint256 endsAt = block.timestamp + DELIVERY_WINDOW;
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeWindowOpen.selector, JOB, endsAt));
        exchange.refundUndelivered(JOB);

        vm.warp(endsAt + 1);
        (SealedCurve.Point memory point, bytes32 envelope) = (_pointOf(W), _envelope(KEY, R, W));
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeWindowClosed.selector, JOB, endsAt));
        vm.prank(WORKER);
        exchange.deliverKey(JOB, point, envelope);
        vm.expectEmit(address(exchange));
        emit ISealedExchange.DeliveryMissed(JOB, REQUESTER, PRIZE, DEPOSIT);
        exchange.refundUndelivered(JOB);

        assertEq(exchange.pendingOf(REQUESTER), PRIZE);
        assertEq(exchange.pendingOf(address(0)), DEPOSIT);
        vm.expectRevert(
            abi.encodeWithSelector(ISealedExchange.SealedExchangeWrongState.selector, JOB, ISealedExchange.State.Closed)
        );
        exchange.refundUndelivered(JOB);
    }

    function test_anUndisputedDeliveryPaysTheWorkerAfterTheDisputeWindow() external {
        _open();
        _deliver(KEY);
        uint256 endsAt = block.timestamp + DISPUTE_WINDOW;
        vm.warp(endsAt);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeWindowOpen.selector, JOB, endsAt));
        exchange.claim(JOB);

        vm.warp(endsAt + 1);
        vm.prank(STRANGER); // anyone claims, for the worker
        exchange.claim(JOB);
        assertEq(exchange.pendingOf(WORKER), PRIZE + DEPOSIT);
        assertEq(exchange.pendingOf(STRANGER), 0);

        vm.expectEmit(address(exchange));
        emit ISealedExchange.Withdrawn(WORKER, PRIZE + DEPOSIT);
        vm.prank(WORKER);
        exchange.withdraw();
        assertEq(WORKER.balance, PRIZE + DEPOSIT);
        assertEq(address(exchange).balance, 0);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeNothingToWithdraw.selector, WORKER));
        vm.prank(WORKER);
        exchange.withdraw();
    }

    function test_disputesOpenAtTheDeliveryAndCloseWithTheirWindow() external {
        _open();
        vm.expectRevert(
            abi.encodeWithSelector(
                ISealedExchange.SealedExchangeWrongState.selector, JOB, ISealedExchange.State.AwaitingKey
            )
        );
        vm.prank(REQUESTER);
        exchange.disputeChunk(JOB, seal, KEY, _evidence());

        bytes32 envelope = _deliver(WRONG_KEY);
        SealedCurve.Proof memory proof = _requesterProof();
        uint256 endsAt = block.timestamp + DISPUTE_WINDOW;
        vm.warp(endsAt + 1);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeWindowClosed.selector, JOB, endsAt));
        _disputeKey(REQUESTER, envelope, proof);
    }

    // ------------------------------------------------------------------ key disputes

    function test_aWrongKeyDeliveredIsDisputedAndRefundsTheRequester() external {
        _open();
        bytes32 envelope = _deliver(WRONG_KEY);
        SealedCurve.Proof memory proof = _requesterProof();

        vm.expectEmit(address(exchange));
        emit ISealedExchange.DeliveryDisputed(JOB, REQUESTER, PRIZE, DEPOSIT);
        _disputeKey(REQUESTER, envelope, proof);

        assertEq(uint256(exchange.exchangeOf(JOB).state), uint256(ISealedExchange.State.Closed));
        assertEq(exchange.pendingOf(REQUESTER), PRIZE);
        assertEq(exchange.pendingOf(address(0)), DEPOSIT); // burned
        assertEq(exchange.pendingOf(WORKER), 0);
        vm.warp(block.timestamp + DISPUTE_WINDOW + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ISealedExchange.SealedExchangeWrongState.selector, JOB, ISealedExchange.State.Closed)
        );
        exchange.claim(JOB);
    }

    function test_theCommittedKeyCannotBeDisputed() external {
        _open();
        bytes32 envelope = _deliver(KEY);
        SealedCurve.Proof memory proof = _requesterProof();
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeKeyIsCommitted.selector, JOB));
        _disputeKey(REQUESTER, envelope, proof);
        assertEq(uint256(exchange.exchangeOf(JOB).state), uint256(ISealedExchange.State.Delivered));
    }

    function test_aKeyDisputeMustNameTheDelivery() external {
        _open();
        bytes32 envelope = _deliver(WRONG_KEY);
        SealedCurve.Proof memory proof = _requesterProof();
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeDeliveryMismatch.selector, JOB));
        _disputeKey(REQUESTER, envelope ^ bytes32(uint256(1)), proof);
    }

    /// @dev The requester names a shared point it made up: the proof of the true one fails for it.
    function test_aKeyDisputeWithAMadeUpSharedPointIsRefused() external {
        _open();
        bytes32 envelope = _deliver(WRONG_KEY);
        SealedCurve.Proof memory proof = _requesterProof();
        proof.shared = _pointOf(_scalar("a made-up shared point"));
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeInvalidProof.selector, JOB));
        _disputeKey(REQUESTER, envelope, proof);
    }

    function test_onlyTheRequesterDisputes() external {
        _open();
        bytes32 envelope = _deliver(WRONG_KEY);
        SealedCurve.Proof memory proof = _requesterProof();
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeNotParty.selector, JOB, STRANGER));
        _disputeKey(STRANGER, envelope, proof);
        assertEq(exchange.pendingOf(STRANGER), 0);
    }

    // ------------------------------------------------------------------ chunk disputes

    function test_aChunkDisputeNeedsTheCommittedKey() external {
        _open();
        _deliver(KEY);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeKeyNotCommitted.selector, JOB));
        vm.prank(REQUESTER);
        exchange.disputeChunk(JOB, seal, WRONG_KEY, _evidence());
    }

    /// @dev Each piece of evidence off by one: the index, either branch's length, the chunk's
    /// length, the chunk's bytes (another ciphertext root), the plaintext leaf (another root).
    function test_aChunkDisputeRefusesEvidenceThatIsNotTheSeals() external {
        _open();
        _deliver(KEY);
        ISealedExchange.ChunkEvidence[6] memory bad;
        for (uint256 k; k < 6; ++k) {
            bad[k] = _evidence();
        }
        bad[0].index = 1; // one chunk only
        bad[1].cipherBranch = new bytes32[](1);
        bad[2].plainBranch = new bytes32[](1);
        bad[3].cipherChunk = _slice(cipher, 63);
        bad[4].cipherChunk = bytes.concat(bytes1(cipher[0] ^ 0x01), _tail(cipher, 1));
        bad[5].plainLeaf = plainLeaf ^ bytes32(uint256(1));
        for (uint256 k; k < 6; ++k) {
            vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeBadEvidence.selector, JOB));
            vm.prank(REQUESTER);
            exchange.disputeChunk(JOB, seal, KEY, bad[k]);
        }
        assertEq(uint256(exchange.exchangeOf(JOB).state), uint256(ISealedExchange.State.Delivered));
    }

    function test_aChunkThatOpensToItsLeafCannotBeDisputed() external {
        _open();
        _deliver(KEY);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeChunkOpens.selector, JOB, 0));
        vm.prank(REQUESTER);
        exchange.disputeChunk(JOB, seal, KEY, _evidence());
        assertEq(exchange.pendingOf(REQUESTER), 0);
    }

    // ------------------------------------------------------------------ withdrawals

    /// @dev This contract is the worker and has no receive function: its withdrawal fails and
    /// its credit stays.
    function test_aPayeeThatRefusesEtherKeepsItsCredit() external {
        exchange.publishSeal(JOB + 1, seal);
        stub.openOn{value: PRIZE}(exchange, JOB + 1, address(this), STRANGER, 0); // no job key: delivered
        vm.warp(block.timestamp + DISPUTE_WINDOW + 1);
        exchange.claim(JOB + 1);
        assertEq(exchange.pendingOf(address(this)), PRIZE);

        vm.expectRevert(
            abi.encodeWithSelector(ISealedExchange.SealedExchangeNothingToWithdraw.selector, address(this))
        );
        exchange.withdraw();
        assertEq(exchange.pendingOf(address(this)), PRIZE);
        assertEq(address(exchange).balance, PRIZE);
    }

    // ------------------------------------------------------------------ helpers

    /// @dev The requester's job key registered, the exchange opened with PRIZE and DEPOSIT.
    function _open() internal {
        vm.prank(REQUESTER);
        exchange.registerJobKey(JOB, _pointOf(R));
        stub.openOn{value: PRIZE + DEPOSIT}(exchange, JOB, WORKER, REQUESTER, DEPOSIT);
    }

    /// @dev The worker delivers `key` under ECDH of W and the requester's job key.
    function _deliver(bytes32 key) internal returns (bytes32 envelope) {
        envelope = _envelope(key, R, W);
        SealedCurve.Point memory point = _pointOf(W);
        vm.prank(WORKER);
        exchange.deliverKey(JOB, point, envelope);
    }

    function _requesterProof() internal returns (SealedCurve.Proof memory) {
        return _proof(R, W, NONCE, _pointOf(R), _pointOf(W));
    }

    function _disputeKey(address caller, bytes32 envelope, SealedCurve.Proof memory proof) internal {
        (SealedCurve.Point memory key, SealedCurve.Point memory point) = (_pointOf(R), _pointOf(W));
        vm.prank(caller);
        exchange.disputeKey(JOB, seal, key, point, envelope, proof);
    }

    /// @dev The seal's one chunk with its committed leaf (empty branches: depth 0).
    function _evidence() internal view returns (ISealedExchange.ChunkEvidence memory) {
        return ISealedExchange.ChunkEvidence(0, cipher, new bytes32[](0), plainLeaf, new bytes32[](0));
    }

    function _slice(bytes memory b, uint256 n) internal pure returns (bytes memory s) {
        s = new bytes(n);
        for (uint256 i; i < n; ++i) {
            s[i] = b[i];
        }
    }

    function _tail(bytes memory b, uint256 from) internal pure returns (bytes memory s) {
        s = new bytes(b.length - from);
        for (uint256 i; i < s.length; ++i) {
            s[i] = b[from + i];
        }
    }
}
