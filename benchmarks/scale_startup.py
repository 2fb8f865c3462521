"""A fresh worker's start-up against the length of the chain's history (issue 25): the same jobs,
first behind SHORT_HISTORY blocks, then behind LONG_HISTORY (empty blocks mined after them).

Start-up: `offchain worker --once`, in process, with a fresh home (no journal, so no cursor:
it reads every JobPosted from the market's deployment block), until its first round is done.
The crowd's commit windows have closed by then, so each past job is skipped from its event
alone, as a worker meets a mature market. Two ways: with `--index` (an event index that
`offchain index` keeps caught up, as README's public-network section runs the roles; its
catch-up is timed apart) and straight from the node (anvil filters every block of the range,
so this one grows with the history)."""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.scale_market import CROWD_WINDOW_S, Market, mine_to, warp

SHORT_HISTORY = 1_000
LONG_HISTORY = 20_000


def worker_start_ms(m: Market, home: Path, index: Path | None) -> float:
    from offchain.cli import main as offchain_main

    argv = ["worker", "--once", "--rpc", m.chain.url, "--deployments", str(m.folder), "--home", str(home)]
    argv += ["--index", str(index)] if index else []
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = offchain_main(argv)
    elapsed = (time.perf_counter() - start) * 1000
    assert code == 0, f"offchain worker --once exited {code}"
    return elapsed


def start_ups(
    m: Market, index: Callable[[], Path], runs: int, short: int = SHORT_HISTORY, long: int = LONG_HISTORY
) -> dict[str, dict[str, float]]:
    """The start-up (ms) behind `short` and behind `long` blocks of history, through the index
    (`index()`: caught up to the head) and from the node: the least of `runs`, the run the
    machine's other work disturbed least (identical runs of 0.2 to 0.5 s differ 3x at load 13)."""
    warp(m.client, 2 * CROWD_WINDOW_S)  # every job's commit window has closed
    out: dict[str, dict[str, float]] = {"index": {}, "node": {}}
    for blocks in (short, long):
        mine_to(m, blocks)
        for way, path in (("index", index()), ("node", None)):
            homes = [m.folder / f"worker-{way}-{blocks}-{i}" for i in range(runs + 1)]
            worker_start_ms(m, homes[0], path)  # warm-up: imports, the node's caches
            out[way][str(blocks)] = min(worker_start_ms(m, home, path) for home in homes[1:])
    return out
