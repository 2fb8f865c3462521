// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title LedgerAnchor
/// @notice Parses a ledger anchor transaction and recovers the account that signed it.
/// @dev The layout of offchain/ledger/tx.py (integers little-endian):
///   kind=2 u8 | nonce u64 | fee u64 | payload 32 | tag_len u8 | tag | r 32 | s 32 | v u8
/// 115 to 147 bytes: the tag is 1 to 32 characters of [A-Za-z0-9-_.:/]. The signature is
/// secp256k1 over sha256d("offchain-ledger-tx" || magic || the bytes before r), low-s, v in
/// {0, 1}; the signer's address is Ethereum's (the last 20 bytes of keccak256 of the key), so
/// `ecrecover` returns exactly the address the Python ledger recovers.
library LedgerAnchor {
    uint8 internal constant KIND_ANCHOR = 2;
    uint256 internal constant MIN_SIZE = 116; // a one-character tag
    uint256 internal constant MAX_TAG = 32;
    uint256 private constant PAYLOAD_AT = 17;
    uint256 private constant TAG_LEN_AT = 49;
    uint256 private constant SIGNATURE_SIZE = 65;
    // Bit c is set for every allowed tag character c (ASCII): A-Z a-z 0-9 - _ . : /
    uint256 private constant TAG_CHARS = 0x7fffffe87fffffe07ffe00000000000;
    // secp256k1's group order / 2: a larger s is the malleable twin of a low one.
    uint256 private constant HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    bytes private constant SIGHASH_PREFIX = "offchain-ledger-tx";

    /// @notice Whether `raw` is a well-formed anchor transaction (size, kind, tag, low s).
    function wellFormed(bytes calldata raw) internal pure returns (bool) {
        if (raw.length < MIN_SIZE || raw.length > MIN_SIZE - 1 + MAX_TAG) return false;
        if (uint8(raw[0]) != KIND_ANCHOR) return false;
        uint256 tagLength = uint8(raw[TAG_LEN_AT]);
        if (raw.length != TAG_LEN_AT + 1 + tagLength + SIGNATURE_SIZE) return false;
        for (uint256 i = TAG_LEN_AT + 1; i < TAG_LEN_AT + 1 + tagLength; ++i) {
            if ((TAG_CHARS >> uint8(raw[i])) & 1 == 0) return false; // at most 32 rounds
        }
        uint256 s = uint256(bytes32(raw[raw.length - 33:raw.length - 1]));
        uint8 v = uint8(raw[raw.length - 1]);
        return s <= HALF_ORDER && v <= 1;
    }

    /// @notice The 32-byte payload (e.g. a data set's SHA-256) of a well-formed anchor.
    function payload(bytes calldata raw) internal pure returns (bytes32) {
        return bytes32(raw[PAYLOAD_AT:PAYLOAD_AT + 32]);
    }

    /// @notice The signer of a well-formed anchor on the chain named by `magic` (0 if none).
    function signer(bytes calldata raw, bytes4 magic) internal pure returns (address) {
        uint256 unsignedEnd = raw.length - SIGNATURE_SIZE;
        bytes32 digest = sha256(abi.encodePacked(sha256(abi.encodePacked(SIGHASH_PREFIX, magic, raw[:unsignedEnd]))));
        bytes32 r = bytes32(raw[unsignedEnd:unsignedEnd + 32]);
        bytes32 s = bytes32(raw[unsignedEnd + 32:unsignedEnd + 64]);
        return ecrecover(digest, uint8(raw[raw.length - 1]) + 27, r, s);
    }
}
