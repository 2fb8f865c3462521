"""Mining: block templates and a multi-process nonce search.

The search hashes the first 64 bytes of the header once (the SHA-256 *midstate*) and, for
each nonce, copies that state and feeds only the last 16 bytes (time, bits, nonce); that
saves one of the three SHA-256 compressions a double hash of 80 bytes costs. Each worker
process owns a slice of the 32-bit nonce space; when every slice is exhausted the miner
rolls the coinbase's extra nonce, which changes the Merkle root and gives a fresh space.
Between chunks of nonces each worker checks a shared job number, so the parent can stop all
of them at once when a better tip arrives (another process or a peer extended the chain).

Python API::

    with Miner(processes=None) as miner:          # one worker per core; 0 = in this process
        mine_blocks(chain, 10, address, miner)    # -> list[MinedBlock]
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import queue
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.sharedctypes import Synchronized
from types import TracebackType
from typing import Any

from offchain.ledger.block import BLOCK_VERSION, Block, BlockHeader
from offchain.ledger.chain import Chain
from offchain.ledger.errors import LedgerError
from offchain.ledger.merkle import merkle_root
from offchain.ledger.pow import decode_bits, difficulty
from offchain.ledger.store import BlockEntry
from offchain.ledger.tx import KIND_COINBASE, Transaction
from offchain.ledger.validation import median_time_past

NONCE_SPACE = 1 << 32
CHUNK = 1 << 13  # nonces between checks of the shared job number (~10 ms of hashing)
POLL_S = 0.05  # how often the parent looks for results and a better tip
PROGRESS_S = 2.0  # how often a long search reports its hash rate
MAX_REFUSED_TEMPLATES = 3  # own blocks refused in a row on an unmoved tip before giving up
_TAIL = struct.Struct("<12sI")  # time, bits (12 bytes with the root's last 4) + nonce
_sha256 = hashlib.sha256


def scan(prefix: bytes, target: int, start: int, end: int) -> int | None:
    """The first nonce in [start, end) whose header hash meets `target`, or None.

    `prefix` is the header's first 76 bytes. This is the hot loop, so it avoids attribute
    lookups and, for targets below 2^248, rejects most hashes on their top byte alone.
    """
    mid = _sha256(prefix[:64]).copy
    tail = prefix[64:76]
    pack = _TAIL.pack
    sha = _sha256
    from_bytes = int.from_bytes
    if target < 1 << 248:
        for nonce in range(start, end):
            h = mid()
            h.update(pack(tail, nonce))
            digest = sha(h.digest()).digest()
            if digest[31] == 0 and from_bytes(digest, "little") <= target:
                return nonce
        return None
    for nonce in range(start, end):
        h = mid()
        h.update(pack(tail, nonce))
        if from_bytes(sha(h.digest()).digest(), "little") <= target:
            return nonce
    return None


def _worker(
    index: int,
    jobs: Any,
    results: Any,
    current: Synchronized,
    counters: Any,  # type: ignore[type-arg]
) -> None:
    """A worker process: take (job, prefix, target, start, end), scan in chunks, report."""
    while True:
        job = jobs.get()
        if job is None:
            return
        job_id, prefix, target, start, end = job
        nonce = start
        while nonce < end and current.value == job_id:
            stop = min(nonce + CHUNK, end)
            found = scan(prefix, target, nonce, stop)
            counters[index] += (found + 1 - nonce) if found is not None else stop - nonce
            if found is not None:
                results.put((job_id, found))
                break
            nonce = stop
        else:
            if current.value == job_id:
                results.put((job_id, None))  # this slice is exhausted


@dataclass(frozen=True)
class SolveResult:
    """The outcome of one nonce search."""

    nonce: int | None
    """The winning nonce, or None if the space was exhausted or the search was stopped."""
    hashes: int
    seconds: float


class Miner:
    """A pool of nonce-searching processes (or the calling process when `processes=0`)."""

    def __init__(self, processes: int | None = None, nonce_space: int = NONCE_SPACE) -> None:
        self.processes = os.cpu_count() or 1 if processes is None else processes
        self.nonce_space = nonce_space
        self._ctx = multiprocessing.get_context("fork")
        self._current = self._ctx.Value("q", 0)
        self._counters = self._ctx.Array("Q", max(self.processes, 1), lock=False)
        self._results = self._ctx.Queue()
        self._jobs: list[Any] = []
        self._procs: list[Any] = []
        self._job_id = 0

    def __enter__(self) -> Miner:
        for index in range(self.processes):
            jobs = self._ctx.Queue()
            proc = self._ctx.Process(
                target=_worker,
                args=(index, jobs, self._results, self._current, self._counters),
                daemon=True,
            )
            # Listed before it starts: close() (on a SIGTERM mid-start too) reaps every started one.
            self._jobs.append(jobs)
            self._procs.append(proc)
            proc.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop and reap every worker (terminating any that do not exit promptly)."""
        self._current.value = -1
        for jobs in self._jobs:
            jobs.put(None)
        for proc in self._procs:
            if proc.pid is None:
                continue  # never started
            proc.join(timeout=2)
            if proc.is_alive():
                proc.terminate()
                proc.join()
        self._procs.clear()
        self._jobs.clear()

    def total_hashes(self) -> int:
        return sum(self._counters)

    def solve(
        self,
        header: BlockHeader,
        should_stop: Callable[[], bool] = lambda: False,
        on_progress: Callable[[int, float], None] | None = None,
    ) -> SolveResult:
        """Search the nonce space for `header`; stop early when `should_stop()` turns true."""
        target = decode_bits(header.bits).target
        prefix = header.serialize()[:76]
        started = time.perf_counter()
        hashes_before = self.total_hashes()
        if self.processes == 0:
            return self._solve_here(prefix, target, should_stop, started)
        self._job_id += 1
        job_id = self._job_id
        self._current.value = job_id
        share = -(-self.nonce_space // self.processes)
        for index, jobs in enumerate(self._jobs):
            start = index * share
            jobs.put((job_id, prefix, target, start, min(start + share, self.nonce_space)))
        exhausted = 0
        found: int | None = None
        last_report = started
        while True:
            try:
                result_job, nonce = self._results.get(timeout=POLL_S)
            except queue.Empty:
                now = time.perf_counter()
                if on_progress is not None and now - last_report >= PROGRESS_S:
                    on_progress(self.total_hashes() - hashes_before, now - started)
                    last_report = now
                if should_stop():
                    break
                continue
            if result_job != job_id:
                continue  # a late answer to a job already finished
            if nonce is not None:
                found = nonce
                break
            exhausted += 1
            if exhausted == self.processes:
                break
        self._current.value = 0  # tell every worker to drop this job
        seconds = time.perf_counter() - started
        return SolveResult(found, self.total_hashes() - hashes_before, seconds)

    def _solve_here(self, prefix: bytes, target: int, should_stop: Callable[[], bool], started: float) -> SolveResult:
        hashes = 0
        for start in range(0, self.nonce_space, CHUNK):
            stop = min(start + CHUNK, self.nonce_space)
            found = scan(prefix, target, start, stop)
            if found is not None:
                hashes += found + 1 - start
                return SolveResult(found, hashes, time.perf_counter() - started)
            hashes += stop - start
            if should_stop():
                break
        return SolveResult(None, hashes, time.perf_counter() - started)


@dataclass(frozen=True)
class MinedBlock:
    """What `mine_blocks` reports for each block it found."""

    height: int
    hash: str
    bits: int
    difficulty: float
    txs: int
    hashes: int
    seconds: float
    result: str
    retarget_from: int | None
    """The parent's bits when this block starts a new difficulty period, else None."""

    @property
    def hash_rate(self) -> float:
        return self.hashes / self.seconds if self.seconds > 0 else 0.0


def earliest_time(chain: Chain, tip: BlockEntry, times: list[int]) -> int:
    """The least time a child of `tip` may carry: above the median of the last 11 and, at a
    period start, no more than the time-warp limit below the tip (BIP94)."""
    earliest = median_time_past(times) + 1
    limit = chain.params.max_timewarp_seconds
    if limit is not None and (tip.height + 1) % chain.params.retarget_interval == 0:
        earliest = max(earliest, tip.header.time - limit)
    return earliest


def build_template(chain: Chain, address: bytes, extra_nonce: int = 0, now: float | None = None) -> Block:
    """A block on the current tip paying `address`, with the pending transactions paying the
    most per byte that fit the block limits (count and bytes) and apply in nonce order."""
    with chain.lock:
        tip = chain.tip()
        txs, _ = chain.pending()
        times = chain.recent_times(tip)
        bits = chain.next_bits(tip)
    height = tip.height + 1
    fees = sum(tx.fee for tx in txs)
    coinbase = Transaction(
        kind=KIND_COINBASE,
        height=height,
        extra_nonce=extra_nonce,
        to=address,
        amount=chain.params.subsidy(height) + fees,
    )
    all_txs = (coinbase, *txs)
    root, _ = merkle_root([tx.txid for tx in all_txs])
    clock = int(chain.clock() if now is None else now)
    header = BlockHeader(
        version=BLOCK_VERSION,
        prev_hash=tip.hash,
        merkle_root=root,
        time=max(clock, earliest_time(chain, tip, times)),
        bits=bits,
        nonce=0,
    )
    return Block(header=header, txs=all_txs)


def _wait_for_clock(chain: Chain, should_stop: Callable[[], bool]) -> bool:
    """Sleep while the next template's time (above the median of the last 11) would run past
    the future limit; fast honest mining can get there. True if the caller should re-check."""
    with chain.lock:
        tip = chain.tip()
        earliest = earliest_time(chain, tip, chain.recent_times(tip))
    ahead = earliest - int(chain.clock()) - chain.params.max_future_seconds
    if ahead <= 0:
        return False
    deadline = time.monotonic() + ahead
    while time.monotonic() < deadline and not should_stop():
        time.sleep(min(POLL_S, max(deadline - time.monotonic(), 0)))
    return True


def mine_blocks(
    chain: Chain,
    count: int,
    address: bytes,
    miner: Miner,
    on_block: Callable[[MinedBlock], None] | None = None,
    on_progress: Callable[[int, float], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> list[MinedBlock]:
    """Mine `count` blocks on `chain`'s tip, rebuilding the template when the tip moves."""
    mined: list[MinedBlock] = []
    refused = 0
    while len(mined) < count and not should_stop():
        extra_nonce = 0
        with chain.lock:
            tip_hash = chain.tip().hash
        if _wait_for_clock(chain, should_stop):
            continue
        started = time.perf_counter()
        hashes = 0
        while True:
            template = build_template(chain, address, extra_nonce)

            def tip_moved(tip_hash: bytes = tip_hash) -> bool:
                with chain.lock:
                    return should_stop() or chain.tip().hash != tip_hash

            outcome = miner.solve(template.header, tip_moved, on_progress)
            hashes += outcome.hashes
            if outcome.nonce is not None or tip_moved():
                break
            extra_nonce += 1  # the nonce space is exhausted: change the Merkle root
        if outcome.nonce is None:
            continue  # a better tip arrived (or we were asked to stop): start over on it
        block = replace(template, header=replace(template.header, nonce=outcome.nonce))
        try:
            result = chain.add_block(block)
        except LedgerError:
            with chain.lock:
                moved = chain.tip().hash != tip_hash
            refused = 0 if moved else refused + 1
            if refused >= MAX_REFUSED_TEMPLATES:
                raise  # our own template on an unmoved tip is invalid: retrying cannot help
            continue  # the tip moved between the search and the write
        with chain.lock:
            parent = chain.get(block.header.prev_hash)
        height = template.txs[0].height
        retarget = height % chain.params.retarget_interval == 0
        report = MinedBlock(
            height=height,
            hash=block.header.hash_hex,
            bits=block.header.bits,
            difficulty=difficulty(block.header.bits, chain.params.pow_limit),
            txs=len(block.txs),
            hashes=hashes,
            seconds=time.perf_counter() - started,
            result=result,
            retarget_from=parent.header.bits if retarget and parent is not None else None,
        )
        mined.append(report)
        if on_block is not None:
            on_block(report)
    return mined
