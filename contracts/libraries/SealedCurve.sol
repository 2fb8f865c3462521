// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title SealedCurve
/// @notice secp256k1 checks with ecrecover: that a revealed ECDH shared point S is x*W for the
/// holder of a registered X = x*G, without x (a Chaum-Pedersen proof), and the envelopes that
/// carry a key under S. offchain/sealed/dleq.py is the prover and documents the proof.
/// @dev The ecrecover trick (Vitalik Buterin's, as Chainlink's VRF verifier uses it):
/// ecrecover(h, v, r, s) is the address of r^-1 (s R - h G), R the point with x = r and y's
/// parity v - 27. So ecrecover(0, v(P), P.x, k P.x) is the address of k P, and
/// ecrecover(-s X.x, v(X), X.x, c X.x) the address of s G + c X. Points are then compared by
/// address (the last 20 bytes of keccak256(x || y)). Point additions are checked, not made:
/// A = P + Q when P, Q and -A lie on one line and have three distinct x.
library SealedCurve {
    /// @notice The field prime and the group order.
    uint256 internal constant P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    struct Point {
        uint256 x;
        uint256 y;
    }

    /// @notice S = x W, with c, s and the witnesses P = s W, Q = c S, A = t W = P + Q.
    struct Proof {
        Point shared;
        uint256 c;
        uint256 s;
        Point sw;
        Point cs;
        Point tw;
    }

    /// @notice True when `p` is on the curve (y^2 = x^3 + 7 over the field).
    function onCurve(Point memory p) internal pure returns (bool) {
        if (p.x >= P || p.y >= P) return false;
        return mulmod(p.y, p.y, P) == addmod(mulmod(mulmod(p.x, p.x, P), p.x, P), 7, P);
    }

    /// @notice On the curve and usable as ecrecover's r (0 < x < N); registered keys and
    /// worker points must be (an honest random point fails with probability 2**-128).
    function usable(Point memory p) internal pure returns (bool) {
        return p.x != 0 && p.x < N && onCurve(p);
    }

    /// @notice The point's Ethereum address, which stands for it ("key id").
    function id(Point memory p) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(p.x, p.y)))));
    }

    /// @notice keccak256("sealed-envelope/v1" || S.x || S.y) XOR `envelope`: the key inside.
    function openEnvelope(bytes32 envelope, Point memory shared) internal pure returns (bytes32) {
        return envelope ^ keccak256(abi.encodePacked("sealed-envelope/v1", shared.x, shared.y));
    }

    /// @notice True when `proof` shows proof.shared = x `other` for `key` = x G.
    /// @dev `key` and `other` must be {usable} (the callers checked them when they were stored).
    function verifyShared(Point memory key, Point memory other, Proof calldata proof) internal pure returns (bool) {
        Point memory sw = proof.sw;
        Point memory cs = proof.cs;
        Point memory tw = proof.tw;
        if (!usable(proof.shared) || proof.c == 0 || proof.c >= N || proof.s == 0 || proof.s >= N) return false;
        if (_mulId(other, proof.s) != id(sw) || _mulId(proof.shared, proof.c) != id(cs)) return false;
        if (!_isSum(sw, cs, tw)) return false;
        // s G + c X = t G for an honest proof: the challenge is recomputed from its address.
        address tg = ecrecover(
            bytes32(N - mulmod(proof.s, key.x, N)), _v(key), bytes32(key.x), bytes32(mulmod(proof.c, key.x, N))
        );
        bytes32 h = keccak256(
            abi.encodePacked(
                "sealed-dleq/v1", key.x, key.y, other.x, other.y, proof.shared.x, proof.shared.y, tg, id(tw)
            )
        );
        return uint256(h) % N == proof.c;
    }

    /// @dev The address of k p: ecrecover(0, v(p), p.x, k p.x) (0 when k p.x = 0 mod N).
    function _mulId(Point memory p, uint256 k) private pure returns (address) {
        return ecrecover(bytes32(0), _v(p), bytes32(p.x), bytes32(mulmod(k, p.x, N)));
    }

    /// @dev ecrecover's v for a point of this y: 27 for even, 28 for odd.
    function _v(Point memory p) private pure returns (uint8) {
        return uint8(27 + (p.y & 1));
    }

    /// @dev a + b = sum, for points with three distinct x: a, b and -sum are collinear,
    /// (b.y - a.y)(sum.x - a.x) = (-sum.y - a.y)(b.x - a.x) over the field. With distinct x the
    /// line through a and b meets the curve in exactly one third point, -(a + b).
    function _isSum(Point memory a, Point memory b, Point memory sum) private pure returns (bool) {
        if (!onCurve(a) || !onCurve(b) || !onCurve(sum)) return false;
        if (a.x == b.x || a.x == sum.x || b.x == sum.x) return false;
        uint256 lhs = mulmod(addmod(b.y, P - a.y, P), addmod(sum.x, P - a.x, P), P);
        uint256 rhs = mulmod(addmod(P - sum.y, P - a.y, P), addmod(b.x, P - a.x, P), P);
        return lhs == rhs;
    }
}
