"""Known-answer vectors for sealed submissions, checked by tests/offchain/sealed and, on chain,
by tests/contracts/sealed/test_sealed_vectors.py. Regenerate (the proof's nonce is random, any
run's proof is valid for ever):

    PYTHONPATH=. .venv/bin/python tests/offchain/sealed/make_vectors.py > tests/offchain/sealed/data/sealed_vectors.json

The keystream pad is computed here with eth_utils' keccak, not with offchain.sealed, so the
vector anchors the format, not just today's code."""

from __future__ import annotations

import json

from eth_utils import keccak

from offchain.sealed import merkle
from offchain.sealed.curve import base_mul, seal_envelope, shared_point
from offchain.sealed.dleq import prove
from offchain.sealed.keys import key_commitment

KEY = bytes(range(32))
INDEX = 3
PLAIN = bytes((7 * j) % 256 for j in range(1000))  # a short (last) chunk: 1,000 bytes
MEMBER_SECRET = 0x1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF
WORKER_SECRET = 0x0FEDCBA987654321FEDCBA987654321FEDCBA987654321FEDCBA987654321F


def main() -> None:
    pad = b"".join(keccak(KEY + (INDEX * 32 + w).to_bytes(32, "big")) for w in range(32))
    cipher = bytes(a ^ b for a, b in zip(PLAIN, pad, strict=False))
    leaves = [keccak(i.to_bytes(32, "big")) for i in range(5)]
    tree = merkle.levels(leaves)
    member, worker = base_mul(MEMBER_SECRET), base_mul(WORKER_SECRET)
    shared = shared_point(WORKER_SECRET, member)
    proof = prove(MEMBER_SECRET, worker)
    vectors = {
        "key": KEY.hex(),
        "index": INDEX,
        "plain": PLAIN.hex(),
        "cipher": cipher.hex(),
        "cipher_leaf": merkle.cipher_leaf(cipher).hex(),
        "plain_leaf": merkle.plain_leaf(KEY, INDEX, PLAIN).hex(),
        "key_commitment": key_commitment(KEY).hex(),
        "tree_leaves": [leaf.hex() for leaf in leaves],
        "tree_root": tree[-1][0].hex(),
        "branch_of_4": [node.hex() for node in merkle.branch(tree, 4)],
        "member_key": [hex(member.x), hex(member.y)],
        "worker_point": [hex(worker.x), hex(worker.y)],
        "shared": [hex(shared.x), hex(shared.y)],
        "envelope": seal_envelope(KEY, shared).hex(),
        "proof": {
            "c": hex(proof.c),
            "s": hex(proof.s),
            "sw": [hex(proof.sw.x), hex(proof.sw.y)],
            "cs": [hex(proof.cs.x), hex(proof.cs.y)],
            "tw": [hex(proof.tw.x), hex(proof.tw.y)],
        },
    }
    print(json.dumps(vectors, indent=1))


if __name__ == "__main__":
    main()
