"""Ledger benchmarks, each against a named baseline measured in the same run.

Run: `python -m benchmarks.ledger_bench` (or `make bench`); `--rounds N` sets the interleaved
rounds (default 5). The machine (`lscpu`) is printed first. Goals (the run exits 1 if one is
missed):

- signatures: connecting a 2,000-transaction block with coincurve (libsecp256k1) is at least
  20x faster than with eth-keys' pure-Python backend (the ledger's backend before issue 11);
- miner, one process: the nonce scan reaches at least 0.9x of a bare loop hashing the same
  80-byte header with the same SHA-256 midstate trick;
- miner, two processes: at least 0.9x of two bare loops run in parallel (the machine's own
  ceiling: on shared 2-core machines that is anywhere from 0.9x to 2x one loop);
- Merkle root of 100,000 txids: at most 1.5x the time of as many bare hashlib double-SHA-256
  calls (the floor).

Ratios are medians of interleaved rounds (baseline and subject alternate, so load changes
hit both), shown with their spread (min to max).
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from offchain.ledger import tx as txmod
from offchain.ledger.block import BlockHeader
from offchain.ledger.chain import Chain
from offchain.ledger.hashing import sha256d
from offchain.ledger.headers import verify_header_run
from offchain.ledger.merkle import merkle_branch, merkle_root, verify_branch
from offchain.ledger.miner import Miner, scan
from offchain.ledger.params import DEVNET
from offchain.ledger.pow import target_to_bits
from offchain.ledger.state import Account

HASHES = 300_000
IMPOSSIBLE = 0  # a target nothing meets, so every nonce is tried
POOL_SECONDS = 2.0
MERKLE_LEAVES = 100_000
HEADERS = 2_000
BLOCK_TXS = 2_000
GOALS = {"signatures": 20.0, "miner": 0.9, "pool": 0.9, "merkle": 1.5}
_TAIL = struct.Struct("<12sI")


def machine() -> str:
    """`lscpu` (the lines that matter for hashing), or what platform knows."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return f"{platform.processor() or 'unknown'}, {os.cpu_count()} cores"
    keep = ("Model name", "CPU(s):", "Thread(s) per core", "Core(s) per socket", "Hypervisor")
    lines = [line.strip() for line in out.splitlines() if line.startswith(keep)]
    flags = next((line.split(":", 1)[1].split() for line in out.splitlines() if line.startswith("Flags")), [])
    lines.append(
        f"sha_ni: {'yes' if 'sha_ni' in flags else 'no'}; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
    )
    return "\n".join(lines)


def raw_loop(n: int, prefix: bytes = bytes(76)) -> float:
    """Baseline: the same 80-byte header, the same midstate trick, nothing else. Hashes/s."""
    sha = hashlib.sha256
    mid = sha(prefix[:64]).copy
    tail = prefix[64:76]
    pack = _TAIL.pack
    started = time.perf_counter()
    for nonce in range(n):
        h = mid()
        h.update(pack(tail, nonce))
        sha(h.digest()).digest()
    return n / (time.perf_counter() - started)


def scan_rate(n: int) -> float:
    started = time.perf_counter()
    scan(bytes(76), IMPOSSIBLE, 0, n)
    return n / (time.perf_counter() - started)


def _raw_for(seconds: float, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    deadline = time.perf_counter() + seconds
    hashes, started = 0, time.perf_counter()
    while time.perf_counter() < deadline:
        raw_loop(20_000)
        hashes += 20_000
    out.put(hashes / (time.perf_counter() - started))


def parallel_raw_rate(processes: int, seconds: float = POOL_SECONDS) -> float:
    """The ceiling: `processes` bare loops in parallel, summed hashes per second."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_raw_for, args=(seconds, out)) for _ in range(processes)]
    for proc in procs:
        proc.start()
    rates = [out.get() for _ in procs]
    for proc in procs:
        proc.join()
    return sum(rates)


def pool_rate(miner: Miner, seconds: float = POOL_SECONDS) -> float:
    header = BlockHeader(1, bytes(32), bytes(32), 0, 0x03000001, 0)  # target 1: never met
    deadline = time.perf_counter() + seconds
    result = miner.solve(header, should_stop=lambda: time.perf_counter() > deadline)
    return result.hashes / result.seconds


def merkle_time(leaves: list[bytes]) -> float:
    started = time.perf_counter()
    merkle_root(leaves)
    return time.perf_counter() - started


def floor_time(pairs: list[bytes]) -> float:
    """The floor: bare hashlib double SHA-256 of 64-byte inputs, one call per tree node."""
    sha = hashlib.sha256
    started = time.perf_counter()
    for data in pairs:
        sha(sha(data).digest()).digest()
    return time.perf_counter() - started


def interleaved(
    rounds: int, baseline: Callable[[], float], subject: Callable[[], float]
) -> tuple[list[float], list[float]]:
    base, subj = [], []
    for i in range(rounds):
        if i % 2 == 0:
            base.append(baseline())
            subj.append(subject())
        else:
            subj.append(subject())
            base.append(baseline())
    return base, subj


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f}x (spread {min(values):.2f}-{max(values):.2f})"


def build_block_folder(folder: Path) -> tuple[Path, bytes]:
    """A devnet data folder whose state funds BLOCK_TXS senders, and (raw) a valid block of
    BLOCK_TXS transfers on its tip, each from another sender."""
    from offchain.ledger.block import BLOCK_VERSION, Block
    from offchain.ledger.tx import KIND_COINBASE, KIND_TRANSFER, Transaction, address_of, sign

    datadir = folder / "base"
    chain = Chain.open(datadir, "devnet", create=True)
    keys = [(10_000 + i).to_bytes(32, "big") for i in range(BLOCK_TXS)]
    with chain.store.transaction():
        for key in keys:
            chain.store.put_account(address_of(key), Account(balance=10**12))
    txs = [
        sign(
            Transaction(kind=KIND_TRANSFER, nonce=0, fee=DEVNET.min_fee, to=bytes(19) + b"\x01", amount=1),
            key,
            DEVNET.magic,
        )
        for key in keys
    ]
    tip = chain.tip()
    coinbase = Transaction(
        kind=KIND_COINBASE, height=1, to=bytes(20), amount=DEVNET.subsidy(1) + DEVNET.min_fee * BLOCK_TXS
    )
    all_txs = (coinbase, *txs)
    root, _ = merkle_root([t.txid for t in all_txs])
    header = BlockHeader(BLOCK_VERSION, tip.hash, root, tip.header.time + 2, chain.next_bits(tip), 0)
    nonce = scan(header.serialize()[:76], DEVNET.pow_limit, 0, 1 << 32)
    block = Block(header=replace(header, nonce=nonce or 0), txs=all_txs)
    chain.close()
    return datadir, block.serialize()


def connect_seconds(base: Path, raw: bytes, backend: str, scratch: Path) -> float:
    """Seconds to add the block to a fresh copy of the folder with `backend` (cold caches)."""
    from offchain.ledger.block import Block

    target = scratch / f"copy-{backend}-{time.perf_counter_ns()}"
    shutil.copytree(base, target)
    chain = Chain.open(target)
    block = Block.from_bytes(raw)
    txmod.use_signature_backend(backend)  # also empties the recovery cache
    try:
        started = time.perf_counter()
        result = chain.add_block(block)
        seconds = time.perf_counter() - started
    finally:
        txmod.use_signature_backend("coincurve")
        chain.close()
        shutil.rmtree(target)
    if result != "connected":
        raise RuntimeError(f"benchmark block was {result}, not connected")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ledger_bench")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument(
        "--native-rounds", type=int, default=1, help="rounds of the slow pure-Python signature baseline (default 1)"
    )
    args = parser.parse_args([] if argv is None else argv)
    if args.rounds < 1 or args.native_rounds < 1:
        parser.error("--rounds and --native-rounds must be at least 1")
    rows: list[tuple[str, str]] = []
    missed: list[str] = []

    def goal(name: str, ratio: float, ok: bool) -> str:
        if not ok:
            missed.append(f"{name}: {ratio:.2f}x against a goal of {GOALS[name]}x")
        return "" if ok else "   <-- GOAL MISSED"

    print(machine())
    print(f"Python {platform.python_version()}, {args.rounds} interleaved rounds\n", flush=True)

    # Signatures: one block of 2,000 transfers, connected with each backend.
    with tempfile.TemporaryDirectory() as tmp:
        base, raw = build_block_folder(Path(tmp))
        fast, slow = [], []
        for i in range(max(args.rounds, args.native_rounds)):
            if i < args.native_rounds:
                slow.append(connect_seconds(base, raw, "native", Path(tmp)))
            fast.append(connect_seconds(base, raw, "coincurve", Path(tmp)))
    ratios = [s / statistics.median(fast) for s in slow]
    ratio = statistics.median(ratios)
    rows.append(
        (
            f"connect a {BLOCK_TXS:,}-transaction block, pure-Python eth-keys (baseline)",
            f"{statistics.median(slow):.2f} s (n={len(slow)})",
        )
    )
    rows.append(
        (
            f"connect a {BLOCK_TXS:,}-transaction block, coincurve",
            f"{statistics.median(fast):.3f} s (spread {min(fast):.3f}-{max(fast):.3f})",
        )
    )
    rows.append(("  speed-up (goal >= 20x)", f"{ratio:.1f}x" + goal("signatures", ratio, ratio >= GOALS["signatures"])))

    # Miner, one process, against the bare midstate loop.
    raw_rates, scan_rates = interleaved(args.rounds, lambda: raw_loop(HASHES), lambda: scan_rate(HASHES))
    ratios = [s / r for r, s in zip(raw_rates, scan_rates, strict=True)]
    rows.append(
        ("bare midstate loop, same 80-byte header (baseline)", f"{statistics.median(raw_rates) / 1e3:,.0f} kH/s")
    )
    rows.append(("miner scan, 1 process", f"{statistics.median(scan_rates) / 1e3:,.0f} kH/s"))
    ratio = statistics.median(ratios)
    rows.append(("  scan / bare loop (goal >= 0.9)", spread(ratios) + goal("miner", ratio, ratio >= GOALS["miner"])))

    # Miner, two processes, against two bare loops in parallel.
    with Miner(processes=2) as miner:
        ceilings, pools = interleaved(args.rounds, lambda: parallel_raw_rate(2), lambda: pool_rate(miner))
    ratios = [p / c for c, p in zip(ceilings, pools, strict=True)]
    one = statistics.median(raw_rates)
    rows.append(
        (
            "two bare loops in parallel (ceiling)",
            f"{statistics.median(ceilings) / 1e3:,.0f} kH/s ({statistics.median(ceilings) / one:.2f}x one loop)",
        )
    )
    rows.append(("miner pool, 2 processes", f"{statistics.median(pools) / 1e3:,.0f} kH/s"))
    ratio = statistics.median(ratios)
    rows.append(("  pool / ceiling (goal >= 0.9)", spread(ratios) + goal("pool", ratio, ratio >= GOALS["pool"])))

    # Merkle root against as many bare double-SHA-256 calls as the tree has nodes.
    leaves = [sha256d(i.to_bytes(8, "little")) for i in range(MERKLE_LEAVES)]
    nodes, width = 0, MERKLE_LEAVES
    while width > 1:
        width = (width + 1) // 2
        nodes += width
    pairs = [leaves[i % MERKLE_LEAVES] + leaves[(i + 1) % MERKLE_LEAVES] for i in range(nodes)]
    floors, trees = interleaved(args.rounds, lambda: floor_time(pairs), lambda: merkle_time(leaves))
    ratios = [t / f for f, t in zip(floors, trees, strict=True)]
    rows.append((f"{nodes:,} bare double-SHA-256 calls (floor)", f"{statistics.median(floors) * 1e3:.1f} ms"))
    rows.append((f"Merkle root of {MERKLE_LEAVES:,} txids", f"{statistics.median(trees) * 1e3:.1f} ms"))
    ratio = statistics.median(ratios)
    rows.append(("  tree / floor (goal <= 1.5)", spread(ratios) + goal("merkle", ratio, ratio <= GOALS["merkle"])))

    root, _ = merkle_root(leaves)
    leaf = min(12_345, MERKLE_LEAVES - 1)
    branch = merkle_branch(leaves, leaf)
    reps = 20_000
    started = time.perf_counter()
    for _ in range(reps):
        verify_branch(leaves[leaf], leaf, branch, root)
    per_proof = (time.perf_counter() - started) / reps
    rows.append(
        (
            f"proof verification ({len(branch)} levels)",
            f"{per_proof * 1e6:.1f} us, {per_proof / len(branch) * 1e6:.2f} us/level",
        )
    )

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
    if missed:
        print("\nledger benchmark goals missed:\n  " + "\n  ".join(missed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
