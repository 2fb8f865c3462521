"""Issue 26's observer: everything public about sealed submissions, searched for the weights.

The observer holds what anyone can read: every transaction's input and every log's topics and
data on the chain, and every artifact served. It tries every 32-byte value of the chain data as
a key (against the seals' key commitments), and it looks for any WINDOW-byte window of each
submission's secret weights in any of it. A submission's secret part is its floating-point
tensors less what the job makes public anyway: every tensor byte-equal to the base model's (a
frozen layer is the registered base, served to all); never the safetensors header (the spec's
architecture) nor an integer buffer (a step count, `secret_runs` says why).

One place for the check: `make demo` runs it for its summary, and the role-level and
end-to-end tests assert with it (tests/offchain/roles/test_sealed_observer.py,
tests/e2e/test_market_flow.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from offchain.sealed.keccak import keyed
from offchain.sealed.keys import KEY_BYTES, KEY_TAG

WINDOW = 64  # bytes: no window this long of a submission's secret weights may be public
# The search (`leaks`): secret blocks of BLOCK bytes at offsets that are multiples of BLOCK,
# public data hashed at offsets that are multiples of STRIDE. A window at secret offset p and
# public offset q holds the block at p + j for the j in [0, BLOCK * STRIDE) with p + j = 0 mod
# BLOCK and q + j = 0 mod STRIDE (the two are coprime: one j mod their product, by the Chinese
# remainder theorem), and p + j + BLOCK <= p + WINDOW needs BLOCK * (STRIDE + 1) <= WINDOW + 1.
BLOCK = 16
STRIDE = 3
_STEP = 3 << 21  # public bytes hashed at a time (a multiple of STRIDE): numpy temporaries of MB
# Odd 64-bit multipliers (splitmix64's and murmur3's): each pair hashes a block's two words into
# its top bits, the second pair independently of the first.
_MIX = tuple(np.uint64(c) for c in (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xFF51AFD7ED558CCD))


@dataclass(frozen=True)
class Secret:
    """What the observer must not find: runs of secret bytes, one after another in `data`, each
    run `data[start:end]` of `segments` (a window never spans two runs)."""

    data: bytes
    segments: tuple[tuple[int, int], ...]

    @staticmethod
    def of(runs: Iterable[bytes]) -> Secret:
        data, segments = bytearray(), []
        for run in runs:
            segments.append((len(data), len(data) + len(run)))
            data += run
        return Secret(bytes(data), tuple(segments))


FLOATS = ("F16", "BF16", "F32", "F64")  # safetensors dtypes of weights; integer buffers are counters


def tensor_ranges(weights: bytes, dtypes: tuple[str, ...] | None = None) -> dict[str, tuple[int, int]]:
    """Each tensor's byte range in a safetensors file (8-byte header length, JSON, data), only
    those of `dtypes` when given."""
    size = int.from_bytes(weights[:8], "little")
    header = json.loads(weights[8 : 8 + size])
    start = 8 + size
    return {
        name: (start + info["data_offsets"][0], start + info["data_offsets"][1])
        for name, info in header.items()
        if name != "__metadata__" and (dtypes is None or info["dtype"] in dtypes)
    }


def secret_runs(weights: bytes, public: bytes | None = None) -> list[bytes]:
    """The runs of `weights`' floating-point tensors that are not byte-equal to the same tensor of
    the safetensors file `public` (the base model), adjacent tensors in one run; never the header,
    nor an integer buffer (BatchNorm's num_batches_tracked: a step count the spec and the data size
    give away, eight bytes of which repeat in any file of small integers, a data set's labels).
    Without `public`, every floating-point tensor."""
    theirs = tensor_ranges(public) if public is not None else {}
    ranges: list[tuple[int, int]] = []
    for name, (start, end) in sorted(tensor_ranges(weights, FLOATS).items(), key=lambda item: item[1]):
        if public is not None and name in theirs and public[slice(*theirs[name])] == weights[start:end]:
            continue
        if ranges and ranges[-1][1] == start:
            ranges[-1] = (ranges[-1][0], end)
        elif end > start:
            ranges.append((start, end))
    return [weights[start:end] for start, end in ranges]


def _hash(first: np.ndarray, second: np.ndarray, pair: int = 0) -> np.ndarray:
    with np.errstate(over="ignore"):  # multiplication modulo 2^64 is the point
        return (first * _MIX[2 * pair]) ^ (second * _MIX[2 * pair + 1])


def leaks(secret: Secret, data: bytes) -> bool:
    """True exactly when some WINDOW-byte window of a run of `secret` appears in `data`."""
    return Search(secret).found_in(data)


class Search:
    """A secret's blocks hashed (two little-endian words each) and sorted once, for many
    searches. `found_in` hashes the data at every STRIDE-th offset (one strided view); a bit
    table of the blocks' hashes drops almost every offset (a second one, on another hash, most
    of the rest), the sorted hashes drop the strangers left, and a block found is extended to
    the windows around it, compared byte for byte."""

    def __init__(self, secret: Secret) -> None:
        self.secret = secret
        padded = secret.data + bytes(-len(secret.data) % 8)
        starts = [np.arange(-(-s // BLOCK) * BLOCK, e - BLOCK + 1, BLOCK) for s, e in secret.segments]
        at = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
        words = np.frombuffer(padded, dtype=np.uint64)
        first, second = words[at // 8], words[at // 8 + 1]
        hashes = _hash(first, second)
        order = np.argsort(hashes)
        self.table, self.blocks = hashes[order], at[order]
        # Two bit tables of about 8 bits a block, from two independent hashes: each lets about
        # one offset in eight through, so the sorted table is searched for about one in sixty.
        bits = min(26, max(12, len(at).bit_length() + 3))
        self.shift = np.uint64(64 - bits)
        self.seen = [np.zeros(1 << bits, dtype=bool) for _ in range(2)]
        self.seen[0][hashes >> self.shift] = True
        self.seen[1][_hash(first, second, 1) >> self.shift] = True
        self.ends = np.array([e for _, e in secret.segments])

    def found_in(self, data: bytes) -> bool:
        """True exactly when some WINDOW-byte window of a run of the secret appears in `data`."""
        if len(self.table) == 0 or len(data) < WINDOW:
            return False
        table = self.table
        for start in range(0, len(data) - BLOCK + 1, _STEP):
            piece = data[start : start + _STEP + BLOCK - 1]  # every offset below start + _STEP, once
            count = (len(piece) - BLOCK) // STRIDE + 1
            lanes = [np.ndarray((count,), np.uint64, piece, offset, (STRIDE,)) for offset in (0, 8)]
            hashed = _hash(lanes[0], lanes[1])
            near = np.flatnonzero(self.seen[0][hashed >> self.shift])
            near = near[self.seen[1][_hash(lanes[0][near], lanes[1][near], 1) >> self.shift]]
            if not near.size:
                continue
            found = np.searchsorted(table, hashed[near])
            equal = table[np.minimum(found, len(table) - 1)] == hashed[near]  # strangers out, at once
            for i, position in zip(near[equal], found[equal], strict=True):
                while position < len(table) and table[position] == hashed[i]:  # blocks sharing a hash
                    if _window(self.secret, self.ends, int(self.blocks[position]), data, start + STRIDE * int(i)):
                        return True
                    position += 1
        return False


def _window(secret: Secret, ends: np.ndarray, p: int, data: bytes, q: int) -> bool:
    """Whether a WINDOW-byte window of the secret run holding block p matches `data` around q."""
    s, e = secret.segments[int(np.searchsorted(ends, p, side="right"))]
    for j in range(BLOCK * STRIDE):
        if s <= p - j and p - j + WINDOW <= e and 0 <= q - j and q - j + WINDOW <= len(data):
            if secret.data[p - j : p - j + WINDOW] == data[q - j : q - j + WINDOW]:
                return True
    return False


def chain_data(w3: Any) -> bytes:
    """Every transaction's input and every log's topics and data, block by block."""
    parts = []
    for number in range(w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            parts.append(bytes(tx["input"] if "input" in tx else tx["data"]))  # eth-tester names it data
    for log in w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest"}):
        parts.extend(bytes(t) for t in log["topics"])
        parts.append(bytes(log["data"]))
    return b"".join(parts)


def key_in(data: bytes, commitments: set[bytes]) -> bytes | None:
    """A 32-byte value of `data`, at any offset, whose key commitment is one of `commitments`
    (it would open that seal); None when there is none."""
    tagged = keyed(KEY_TAG)  # keccak256("sealed-key/v1" || value), the tag absorbed once
    for i in range(len(data) - KEY_BYTES + 1):
        candidate = tagged.copy()
        candidate.update(data[i : i + KEY_BYTES])
        if candidate.digest() in commitments:
            return data[i : i + KEY_BYTES]
    return None


@dataclass(frozen=True)
class Observation:
    """What the observer read of the sealed submissions, in counts (all zero found: nothing)."""

    chain_bytes: int  # the chain data searched (transaction inputs, log topics and data)
    artifacts: int  # the artifacts served
    artifact_bytes: int
    submissions: int
    secret_bytes: int  # their secret weights, searched for
    windows: int  # public blobs (the chain data, an artifact) holding a window of them
    keys: int  # the submissions' keys found in a public blob, or opened from the chain's values

    def lines(self) -> list[str]:
        """Two sentences for the demo's report."""
        return [
            f"An observer holding the chain ({_size(self.chain_bytes)} of transaction inputs and logs) and "
            f"the {self.artifacts} artifacts served ({_size(self.artifact_bytes)}) found "
            f"{f'{self.windows} public blob(s) holding a' if self.windows else 'no'} {WINDOW}-byte window of the "
            f"{self.submissions} submissions' weights ({_size(self.secret_bytes)} of tensors that differ "
            "from the base model's).",
            f"It tried every 32-byte value of the chain data as a key: {self.keys or 'none'} opened a seal; "
            "the losers' keys exist only in their committee members' envelopes.",
        ]


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MB" if count >= 2**20 else f"{count / 2**10:.1f} KB"


def observe(chain: bytes, served: list[bytes], submissions: list[tuple[list[bytes], bytes]]) -> Observation:
    """The observer's search: `submissions` are (secret runs, key) pairs, known to the caller
    only to check the observer found nothing; `served` every artifact's bytes."""
    from offchain.sealed.keys import key_commitment

    secret = Secret.of(run for runs, _ in submissions for run in runs)
    public = [chain, *served]
    keys = [key for _, key in submissions]
    found = sum(any(key in blob for blob in public) for key in keys)
    found += key_in(chain, {key_commitment(key) for key in keys}) is not None
    return Observation(
        chain_bytes=len(chain),
        artifacts=len(served),
        artifact_bytes=sum(map(len, served)),
        submissions=len(submissions),
        secret_bytes=len(secret.data),
        windows=sum(map(Search(secret).found_in, public)),
        keys=found,
    )
