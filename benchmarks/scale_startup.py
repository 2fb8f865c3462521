"""A fresh worker's start-up against the length of the chain's history (issue 25): the same jobs
on the same chain, behind SHORT_HISTORY blocks and behind LONG_HISTORY.

The market's deployment block is followed by LONG_HISTORY empty blocks (scale_market), then by
the jobs. The short history is the same chain read from a later start: a copy of the deployment
record whose market block is SHORT_HISTORY blocks before the head, checked to leave out no
JobPosted, so the worker meets the same jobs and only the range it scans differs. (With
10,000 jobs' state anvil took over 120 s for 880 blocks: 19,000 mined after the jobs would take
about an hour.)

Start-up: `offchain worker --once`, in process, with a fresh home (no journal, so no cursor: it
reads every JobPosted from the market's deployment block), until its first round is done. The
crowd's commit windows have closed by then, so each past job is skipped from its event alone,
as a worker meets a mature market. Two ways: with `--index` (an event index that `offchain
index` keeps caught up, as README's public-network section runs the roles; its catch-up is
timed apart) and straight from the node (which filters every block of the range)."""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from benchmarks.scale_market import CROWD_WINDOW_S, Market, warp
from offchain.eth.deployments import Deployment, save_deployment

SHORT_HISTORY = 1_000
LONG_HISTORY = 20_000
MARKET = "TrainingMarket"


def worker_start_ms(m: Market, deployments: Path, home: Path, index: Path | None) -> float:
    from offchain.cli import main as offchain_main

    argv = ["worker", "--once", "--rpc", m.chain.url, "--deployments", str(deployments), "--home", str(home)]
    argv += ["--index", str(index)] if index else []
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = offchain_main(argv)
    elapsed = (time.perf_counter() - start) * 1000
    assert code == 0, f"offchain worker --once exited {code}"
    return elapsed


def read_from(m: Market, blocks: int) -> Deployment:
    """The deployment with its market read from `blocks` before the head, leaving out no job."""
    from offchain.eth.market import MarketClient

    head, market = m.client.w3.eth.block_number, m.deployment.contract(MARKET)
    start = head - blocks
    assert start >= market.block, f"the chain holds {head - market.block} blocks after the market's, not {blocks}"
    if start > market.block:
        posted = "0x" + MarketClient.of(m.client, m.deployment)._decoder.topic_of("JobPosted").hex()
        query = {"address": market.address, "topics": [posted], "fromBlock": market.block, "toBlock": start - 1}
        early = m.client.w3.eth.get_logs(query)  # type: ignore[arg-type]
        assert not early, f"{len(early)} jobs posted before block {start}: the histories would differ in jobs"
    return replace(m.deployment, contracts={**m.deployment.contracts, MARKET: replace(market, block=start)})


def start_ups(
    m: Market,
    index_of: Callable[[Deployment, Path], Path],
    runs: int,
    short: int = SHORT_HISTORY,
    long: int = LONG_HISTORY,
) -> dict[str, dict[str, float]]:
    """The start-up (ms) behind `short` and behind `long` blocks of history, through the index
    (`index_of(deployment, path)`: caught up to the head) and from the node: the least of `runs`,
    the run the machine's other work disturbed least (identical runs of 0.2 to 0.5 s differ 3x
    at load 13)."""
    warp(m.client, 2 * CROWD_WINDOW_S)  # every job's commit window has closed
    out: dict[str, dict[str, float]] = {"index": {}, "node": {}}
    for blocks in (short, long):
        folder = m.folder / f"history-{blocks}"
        deployment = read_from(m, blocks)
        save_deployment(deployment, folder)
        for way, path in (("index", index_of(deployment, folder / "index.sqlite")), ("node", None)):
            homes = [folder / f"worker-{way}-{i}" for i in range(runs + 1)]
            worker_start_ms(m, folder, homes[0], path)  # warm-up: imports, the node's caches
            out[way][str(blocks)] = min(worker_start_ms(m, folder, home, path) for home in homes[1:])
    return out
