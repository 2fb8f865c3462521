"""A fresh worker's start-up against the length of the chain's history (issue 25): the same jobs,
first behind SHORT_HISTORY blocks, then behind LONG_HISTORY (empty blocks mined after them).

Start-up: `offchain worker --once`, in process, with a fresh home (no journal, so no cursor:
it reads every JobPosted from the market's deployment block, in the chunks a capped provider
accepts), until its first round is done. The crowd's commit windows have closed by then, so
each past job is skipped from its event alone, as a worker meets a mature market."""

from __future__ import annotations

import contextlib
import io
import statistics
import time
from pathlib import Path

from benchmarks.scale_market import CROWD_WINDOW_S, Market, mine_to, warp

SHORT_HISTORY = 1_000
LONG_HISTORY = 20_000


def worker_start_ms(m: Market, home: Path) -> float:
    from offchain.cli import main as offchain_main

    argv = ["worker", "--once", "--rpc", m.chain.url, "--deployments", str(m.folder), "--home", str(home)]
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = offchain_main(argv)
    elapsed = (time.perf_counter() - start) * 1000
    assert code == 0, f"offchain worker --once exited {code}"
    return elapsed


def start_ups(m: Market, runs: int, short: int = SHORT_HISTORY, long: int = LONG_HISTORY) -> dict[str, float]:
    """The median start-up (ms) behind `short` and behind `long` blocks of history."""
    warp(m.client, 2 * CROWD_WINDOW_S)  # every job's commit window has closed
    out: dict[str, float] = {}
    for blocks in (short, long):
        mine_to(m, blocks)
        homes = [m.folder / f"worker-{blocks}-{i}" for i in range(runs + 1)]
        worker_start_ms(m, homes[0])  # warm-up: imports, the node's caches
        out[str(blocks)] = statistics.median(worker_start_ms(m, home) for home in homes[1:])
    return out
