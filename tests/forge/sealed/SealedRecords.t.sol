// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ISealedExchange} from "../../../contracts/interfaces/ISealedExchange.sol";
import {SealedCipher} from "../../../contracts/libraries/SealedCipher.sol";
import {SealedCurve} from "../../../contracts/libraries/SealedCurve.sol";
import {SealedFixture} from "./SealedFixture.sol";

/// @notice SealedRecords' guards and records, concrete: keys and seals registered once, the
/// envelopes one per seat of a drawn committee before the reveal deadline, and a bad-envelope
/// proof accepted only from the seat's member, with its registered key, the worker's seal and
/// a valid shared-point proof, before the attest deadline. Each refusal asserts its error.
contract SealedRecordsTest is SealedFixture {
    address[] internal _members;

    function setUp() public override {
        super.setUp();
        for (uint256 i; i < 3; ++i) {
            vm.prank(_member(i));
            exchange.registerEncryptionKey(_pointOf(_secret(i)));
            _members.push(_member(i));
        }
        stub.setCommittee(_members);
    }

    // ------------------------------------------------------------------ keys and seals

    function test_aRegisteredKeyIsKnownByItsIdAndRegisteredOnce() external {
        SealedCurve.Point memory key = _pointOf(_secret(0));
        assertEq(exchange.encryptionKeyOf(_member(0)), SealedCurve.id(key));
        assertEq(exchange.encryptionKeyOf(STRANGER), address(0));

        vm.expectRevert(
            abi.encodeWithSelector(ISealedExchange.SealedExchangeKeyAlreadyRegistered.selector, _member(0))
        );
        vm.prank(_member(0));
        exchange.registerEncryptionKey(_pointOf(_secret(1)));
        assertEq(exchange.encryptionKeyOf(_member(0)), SealedCurve.id(key));
    }

    function test_aJobKeyIsRegisteredOncePerJob() external {
        vm.startPrank(REQUESTER);
        exchange.registerJobKey(JOB, _pointOf(R));
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeKeyAlreadyRegistered.selector, REQUESTER));
        exchange.registerJobKey(JOB, _pointOf(R + 1));
        exchange.registerJobKey(JOB + 1, _pointOf(R + 1)); // another job: a fresh key
        vm.stopPrank();

        assertEq(exchange.jobKeyOf(JOB, REQUESTER), SealedCurve.id(_pointOf(R)));
        assertEq(exchange.jobKeyOf(JOB + 1, REQUESTER), SealedCurve.id(_pointOf(R + 1)));
    }

    function test_aKeyOffTheCurveIsRefused() external {
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeInvalidPoint.selector, 1, 1));
        vm.prank(STRANGER);
        exchange.registerEncryptionKey(SealedCurve.Point(1, 1));
        assertEq(exchange.encryptionKeyOf(STRANGER), address(0));
    }

    function test_aSealIsPublishedOnce() external {
        assertEq(exchange.sealOf(JOB, WORKER), keccak256(abi.encode(seal)));

        ISealedExchange.Seal memory other = seal;
        other.modelHash = keccak256("another model");
        vm.expectRevert(
            abi.encodeWithSelector(ISealedExchange.SealedExchangeSealAlreadyPublished.selector, JOB, WORKER)
        );
        vm.prank(WORKER);
        exchange.publishSeal(JOB, other);
        assertEq(exchange.sealOf(JOB, WORKER), keccak256(abi.encode(seal)));
    }

    function test_aSealOfNoBytesOrAboveTheLargestFileIsRefused() external {
        ISealedExchange.Seal memory s = seal;
        uint64[2] memory sizes = [uint64(0), uint64(SealedCipher.MAX_SIZE + 1)];
        for (uint256 k; k < 2; ++k) {
            s.size = sizes[k];
            vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeInvalidSeal.selector, JOB, STRANGER));
            vm.prank(STRANGER);
            exchange.publishSeal(JOB, s);
        }
        s.size = uint64(SealedCipher.MAX_SIZE); // the largest is accepted
        vm.prank(STRANGER);
        exchange.publishSeal(JOB, s);
        assertEq(exchange.sealOf(JOB, STRANGER), keccak256(abi.encode(s)));
    }

    // ------------------------------------------------------------------ envelopes

    function test_envelopesArePostedOnceAsTheirDigest() external {
        bytes32[] memory e = _post(KEY);

        SealedCurve.Point memory point = _pointOf(W);
        assertEq(exchange.envelopesOf(JOB, WORKER), keccak256(abi.encode(point.x, point.y, _members, e)));
        assertTrue(exchange.envelopesPosted(JOB, WORKER));
        assertFalse(exchange.badEnvelope(JOB, WORKER));
        vm.expectRevert(
            abi.encodeWithSelector(ISealedExchange.SealedExchangeEnvelopesAlreadyPosted.selector, JOB, WORKER)
        );
        vm.prank(WORKER);
        exchange.postEnvelopes(JOB, point, e);
    }

    function test_envelopesNeedTheSendersSeal() external {
        bytes32[] memory e = _envelopes(KEY);
        SealedCurve.Point memory point = _pointOf(W);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeInvalidSeal.selector, JOB, STRANGER));
        vm.prank(STRANGER);
        exchange.postEnvelopes(JOB, point, e);
        assertFalse(exchange.envelopesPosted(JOB, STRANGER));
    }

    function test_envelopesComeOnePerSeat() external {
        bytes32[] memory e = _envelopes(KEY);
        bytes32[] memory short = new bytes32[](2);
        (short[0], short[1]) = (e[0], e[1]);
        SealedCurve.Point memory point = _pointOf(W);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeBadEnvelopes.selector, JOB, WORKER));
        vm.prank(WORKER);
        exchange.postEnvelopes(JOB, point, short);
        assertEq(exchange.envelopesOf(JOB, WORKER), bytes32(0));
    }

    function test_envelopesNeedADrawnCommittee() external {
        bytes32[] memory e = _envelopes(KEY);
        SealedCurve.Point memory point = _pointOf(W);
        stub.setCommittee(new address[](0)); // nobody seated: both committee words are zero
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeNoCommittee.selector, JOB));
        vm.prank(WORKER);
        exchange.postEnvelopes(JOB, point, new bytes32[](0));
        stub.setCommittee(_members);
        vm.prank(WORKER);
        exchange.postEnvelopes(JOB, point, e);
        assertTrue(exchange.envelopesPosted(JOB, WORKER));
    }

    function test_envelopesCloseAtTheRevealDeadline() external {
        bytes32[] memory e = _envelopes(KEY);
        SealedCurve.Point memory point = _pointOf(W);
        vm.warp(STUB_DEADLINE);
        vm.expectRevert(
            abi.encodeWithSelector(ISealedExchange.SealedExchangeWindowClosed.selector, JOB, STUB_DEADLINE)
        );
        vm.prank(WORKER);
        exchange.postEnvelopes(JOB, point, e);
    }

    function test_aWorkerPointOffTheCurveIsRefused() external {
        bytes32[] memory e = _envelopes(KEY);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeInvalidPoint.selector, 1, 1));
        vm.prank(WORKER);
        exchange.postEnvelopes(JOB, SealedCurve.Point(1, 1), e);
    }

    // ------------------------------------------------------------------ bad-envelope proofs

    function test_aMemberProvesItsBadEnvelopeOnce() external {
        bytes32[] memory e = _post(keccak256("not the committed key"));
        SealedCurve.Proof memory proof = _memberProof(1);

        vm.expectEmit(address(exchange));
        emit ISealedExchange.BadEnvelopeProven(JOB, WORKER, _member(1));
        _prove(_member(1), seal, e, 1, _pointOf(_secret(1)), proof);

        assertTrue(exchange.badEnvelope(JOB, WORKER));
        assertFalse(exchange.envelopesPosted(JOB, WORKER));
        assertEq(exchange.envelopesOf(JOB, WORKER), bytes32(uint256(1)));
        assertTrue(stub.flagged(JOB, WORKER));
        // The envelopes' word is gone: no second proof, by this member or another.
        SealedCurve.Proof memory other = _memberProof(2);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeBadEnvelopes.selector, JOB, WORKER));
        _prove(_member(2), seal, e, 2, _pointOf(_secret(2)), other);
    }

    function test_aGoodEnvelopeCannotBeProvenBad() external {
        bytes32[] memory e = _post(KEY);
        SealedCurve.Proof memory proof = _memberProof(1);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeEnvelopeOpens.selector, JOB, WORKER));
        _prove(_member(1), seal, e, 1, _pointOf(_secret(1)), proof);
        assertTrue(exchange.envelopesPosted(JOB, WORKER));
        assertFalse(stub.flagged(JOB, WORKER));
    }

    function test_aProofAgainstOtherEnvelopesThanThePostedOnesIsRefused() external {
        bytes32[] memory e = _post(keccak256("not the committed key"));
        SealedCurve.Proof memory proof = _memberProof(1);
        e[0] = bytes32(uint256(e[0]) ^ 1);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeBadEnvelopes.selector, JOB, WORKER));
        _prove(_member(1), seal, e, 1, _pointOf(_secret(1)), proof);
        assertFalse(exchange.badEnvelope(JOB, WORKER));
    }

    function test_onlyTheSeatsMemberProvesItsEnvelopeBad() external {
        bytes32[] memory e = _post(keccak256("not the committed key"));
        SealedCurve.Proof memory proof = _memberProof(1);
        SealedCurve.Point memory key = _pointOf(_secret(1));
        uint256[2] memory seats = [uint256(0), 3]; // another member's seat; no such seat
        for (uint256 k; k < 2; ++k) {
            vm.expectRevert(
                abi.encodeWithSelector(ISealedExchange.SealedExchangeNotRecipient.selector, JOB, _member(1))
            );
            _prove(_member(1), seal, e, seats[k], key, proof);
        }
        assertFalse(exchange.badEnvelope(JOB, WORKER));
    }

    function test_aProofNeedsTheMembersRegisteredKey() external {
        bytes32[] memory e = _post(keccak256("not the committed key"));
        uint256 made = _scalar("a key the member never registered");
        SealedCurve.Point memory key = _pointOf(made);
        SealedCurve.Proof memory proof = _proof(made, W, NONCE, key, _pointOf(W));
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeNoEncryptionKey.selector, _member(1)));
        _prove(_member(1), seal, e, 1, key, proof);
    }

    function test_aProofAgainstAnotherSealIsRefused() external {
        bytes32[] memory e = _post(keccak256("not the committed key"));
        SealedCurve.Proof memory proof = _memberProof(1);
        ISealedExchange.Seal memory other = seal;
        other.keyCommitment = SealedCipher.keyCommitment(keccak256("not the committed key"));
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeInvalidSeal.selector, JOB, WORKER));
        _prove(_member(1), other, e, 1, _pointOf(_secret(1)), proof);
    }

    /// @dev Member 1 answers with member 0's shared point and proof: valid for another key.
    function test_aProofOfAnotherMembersSharedPointIsRefused() external {
        bytes32[] memory e = _post(keccak256("not the committed key"));
        SealedCurve.Proof memory proof = _memberProof(0);
        vm.expectRevert(abi.encodeWithSelector(ISealedExchange.SealedExchangeInvalidProof.selector, JOB));
        _prove(_member(1), seal, e, 1, _pointOf(_secret(1)), proof);
    }

    function test_badEnvelopeProofsCloseAtTheAttestDeadline() external {
        bytes32[] memory e = _post(keccak256("not the committed key"));
        SealedCurve.Proof memory proof = _memberProof(1);
        SealedCurve.Point memory key = _pointOf(_secret(1));
        vm.warp(STUB_DEADLINE);
        vm.expectRevert(
            abi.encodeWithSelector(ISealedExchange.SealedExchangeWindowClosed.selector, JOB, STUB_DEADLINE)
        );
        _prove(_member(1), seal, e, 1, key, proof);
        assertFalse(stub.flagged(JOB, WORKER));
    }

    // ------------------------------------------------------------------ helpers

    /// @dev The worker's envelopes of `key`, one per member, under W.
    function _envelopes(bytes32 key) internal returns (bytes32[] memory e) {
        e = new bytes32[](3);
        for (uint256 i; i < 3; ++i) {
            e[i] = _envelope(key, _secret(i), W);
        }
    }

    function _post(bytes32 key) internal returns (bytes32[] memory e) {
        e = _envelopes(key);
        SealedCurve.Point memory point = _pointOf(W);
        vm.prank(WORKER);
        exchange.postEnvelopes(JOB, point, e);
    }

    /// @dev Member i's proof that its shared point with the worker is x_i W.
    function _memberProof(uint256 i) internal returns (SealedCurve.Proof memory) {
        return _proof(_secret(i), W, NONCE, _pointOf(_secret(i)), _pointOf(W));
    }

    function _prove(
        address member,
        ISealedExchange.Seal memory s,
        bytes32[] memory e,
        uint256 seat,
        SealedCurve.Point memory key,
        SealedCurve.Proof memory proof
    ) internal {
        SealedCurve.Point memory point = _pointOf(W);
        vm.prank(member);
        exchange.proveBadEnvelope(JOB, WORKER, s, point, _members, e, seat, key, proof);
    }
}
