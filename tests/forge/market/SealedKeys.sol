// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CommonBase} from "forge-std/Base.sol";
import {Vm} from "forge-std/Vm.sol";
import {ISealedExchange} from "../../../contracts/interfaces/ISealedExchange.sol";
import {SealedCipher} from "../../../contracts/libraries/SealedCipher.sol";
import {SealedCurve} from "../../../contracts/libraries/SealedCurve.sol";

/// @notice The off-chain side of sealed submissions for the market's campaign, made with
/// forge's secp256k1 cheatcodes (vm.createWallet and vm.addr multiply G): points, ECDH key
/// envelopes, the Chaum-Pedersen proof {SealedCurve-verifyShared} checks (offchain/sealed/dleq.py
/// is the real prover), and one-chunk seals, honest or forged.
/// @dev Every point is k G for a scalar the caller keeps, so a shared point x (w G) is (x w) G.
abstract contract SealedKeys is CommonBase {
    uint256 internal constant N = SealedCurve.N;

    /// @dev A scalar in [1, N) from `seed`.
    function _scalar(bytes memory seed) internal pure returns (uint256) {
        return uint256(keccak256(seed)) % (N - 1) + 1;
    }

    /// @dev Every point made, by scalar: the cheatcode is the campaign's costliest step.
    mapping(uint256 scalar => SealedCurve.Point) private _points;

    /// @dev k G.
    function _pointOf(uint256 k) internal returns (SealedCurve.Point memory p) {
        p = _points[k];
        if (p.x != 0) return p;
        Vm.Wallet memory w = vm.createWallet(k);
        p = SealedCurve.Point(w.publicKeyX, w.publicKeyY);
        _points[k] = p;
    }

    /// @dev `key` under the ECDH point of scalars x and w: key XOR keccak256("sealed-envelope/v1"
    /// || S.x || S.y), S = (x w) G ({SealedCurve-openEnvelope}).
    function _envelope(bytes32 key, uint256 x, uint256 w) internal returns (bytes32) {
        SealedCurve.Point memory s = _pointOf(mulmod(x, w, N));
        return key ^ keccak256(abi.encodePacked("sealed-envelope/v1", s.x, s.y));
    }

    /// @dev The proof that S = x W for `key` X = x G and `other` W = w G, with nonce t: A = t W,
    /// T = t G, c = keccak256("sealed-dleq/v1" || X || W || S || id(T) || id(A)) mod N,
    /// s = t - c x, and the witnesses s W and c S (s W + c S = t W).
    function _proof(uint256 x, uint256 w, uint256 t, SealedCurve.Point memory key, SealedCurve.Point memory other)
        internal
        returns (SealedCurve.Proof memory p)
    {
        uint256 xw = mulmod(x, w, N);
        p.shared = _pointOf(xw);
        p.tw = _pointOf(mulmod(t, w, N));
        p.c = _challenge(key, other, p.shared, vm.addr(t), SealedCurve.id(p.tw));
        p.s = addmod(t, N - mulmod(p.c, x, N), N);
        p.sw = _pointOf(mulmod(p.s, w, N));
        p.cs = _pointOf(mulmod(p.c, xw, N));
    }

    /// @dev {SealedCurve-verifyShared}'s challenge (its transcript in two parts: stack slots).
    function _challenge(
        SealedCurve.Point memory key,
        SealedCurve.Point memory other,
        SealedCurve.Point memory shared,
        address tg,
        address tw
    ) private pure returns (uint256) {
        bytes memory head = abi.encodePacked("sealed-dleq/v1", key.x, key.y, other.x, other.y);
        return uint256(keccak256(abi.encodePacked(head, shared.x, shared.y, tg, tw))) % N;
    }

    /// @dev A 64-byte file sealed under `key` (one chunk, so each root is its leaf), committing
    /// `modelHash`; a `forged` seal commits the plaintext leaf of other bytes than its ciphertext
    /// opens to (a chunk dispute proves it). Returns the seal, the ciphertext and the leaf.
    function _sealOf(bytes32 key, bytes32 modelHash, bool forged)
        internal
        pure
        returns (ISealedExchange.Seal memory seal, bytes memory cipher, bytes32 plainLeaf)
    {
        (bytes32 w0, bytes32 w1) = (keccak256(abi.encode(key, 0)), keccak256(abi.encode(key, 1)));
        // SealedCipher's keystream: word w of chunk 0 XOR keccak256(key || w).
        cipher = abi.encodePacked(
            w0 ^ keccak256(abi.encodePacked(key, uint256(0))), w1 ^ keccak256(abi.encodePacked(key, uint256(1)))
        );
        plainLeaf = SealedCipher.plainLeaf(key, 0, forged ? abi.encodePacked(modelHash) : abi.encodePacked(w0, w1));
        seal = ISealedExchange.Seal(
            modelHash, keccak256(abi.encodePacked(bytes1(0x00), cipher)), plainLeaf, SealedCipher.keyCommitment(key), 64
        );
    }
}
