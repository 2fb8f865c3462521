"""Ledger benchmarks: miner vs raw hashlib, process scaling, Merkle root, proofs, headers.

Run: `python -m benchmarks.ledger_bench` (or `make bench`). Every ratio is measured in this
one run against a named baseline on the same machine; the machine is printed first.
"""

from __future__ import annotations

import hashlib
import os
import platform
import time
from dataclasses import replace

from offchain.ledger.block import BlockHeader
from offchain.ledger.hashing import sha256d
from offchain.ledger.headers import verify_header_run
from offchain.ledger.merkle import merkle_branch, merkle_root, verify_branch
from offchain.ledger.miner import Miner, scan
from offchain.ledger.params import DEVNET
from offchain.ledger.pow import target_to_bits

HASHES = 400_000
IMPOSSIBLE = 0  # a target nothing meets, so every nonce is tried
MERKLE_LEAVES = 100_000
HEADERS = 2_000


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def raw_loop(n: int) -> float:
    """Baseline: hashlib double SHA-256 of an 80-byte header, nonce packed each time."""
    sha = hashlib.sha256
    header = bytearray(80)
    started = time.perf_counter()
    for nonce in range(n):
        header[76:80] = nonce.to_bytes(4, "little")
        sha(sha(header).digest()).digest()
    return n / (time.perf_counter() - started)


def scan_rate(n: int) -> float:
    started = time.perf_counter()
    scan(bytes(76), IMPOSSIBLE, 0, n)
    return n / (time.perf_counter() - started)


def pool_rate(processes: int, seconds: float = 3.0) -> float:
    header = BlockHeader(1, bytes(32), bytes(32), 0, 0x03000001, 0)  # target 1: never met
    with Miner(processes=processes) as miner:
        deadline = time.perf_counter() + seconds
        result = miner.solve(header, should_stop=lambda: time.perf_counter() > deadline)
    return result.hashes / result.seconds


def main() -> None:
    rows: list[tuple[str, str]] = []
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    raw = max(raw_loop(HASHES) for _ in range(3))
    miner = max(scan_rate(HASHES) for _ in range(3))
    rows.append(("raw hashlib double-SHA-256 loop (baseline)", f"{raw / 1e3:,.0f} kH/s"))
    rows.append(("miner scan, 1 process (midstate)", f"{miner / 1e3:,.0f} kH/s"))
    rows.append(("  ratio miner / raw (goal >= 0.9)", f"{miner / raw:.2f}x"))
    one, two = pool_rate(1), pool_rate(2)
    rows.append(("miner pool, 1 process", f"{one / 1e3:,.0f} kH/s"))
    rows.append(("miner pool, 2 processes", f"{two / 1e3:,.0f} kH/s"))
    rows.append(("  scaling 2 / 1 (goal >= 1.8)", f"{two / one:.2f}x"))

    leaves = [sha256d(i.to_bytes(8, "little")) for i in range(MERKLE_LEAVES)]
    times = []
    for _ in range(5):
        started = time.perf_counter()
        root, _ = merkle_root(leaves)
        times.append(time.perf_counter() - started)
    rows.append((f"Merkle root of {MERKLE_LEAVES:,} txids (best of 5; goal <= 60 ms)",
                 f"{min(times) * 1e3:.1f} ms"))
    branch = merkle_branch(leaves, 12_345)
    reps = 20_000
    started = time.perf_counter()
    for _ in range(reps):
        verify_branch(leaves[12_345], 12_345, branch, root)
    per_proof = (time.perf_counter() - started) / reps
    rows.append((f"proof verification ({len(branch)} levels)",
                 f"{per_proof * 1e6:.1f} us, {per_proof / len(branch) * 1e6:.2f} us/level"))

    # A run of devnet-limit headers (each meets the easy limit) validated in sequence.
    bits = target_to_bits(DEVNET.pow_limit)
    headers, prev = [], bytes(32)
    for i in range(HEADERS):
        header = BlockHeader(1, prev, bytes(32), 1_700_000_000 + 2 * i, bits, 0)
        nonce = scan(header.serialize()[:76], DEVNET.pow_limit, 0, 1 << 32)
        header = replace(header, nonce=nonce or 0)
        headers.append(header)
        prev = header.hash
    params = replace(DEVNET, retarget_interval=10**9)  # no boundary inside the run
    started = time.perf_counter()
    verify_header_run(params, headers, start_height=1)
    rate = HEADERS / (time.perf_counter() - started)
    rows.append(("headers validated (link, PoW, bits, median time)", f"{rate:,.0f} /s"))

    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
