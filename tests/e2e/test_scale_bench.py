"""`python -m benchmarks scale` on a few hundred jobs (the full 10,000 is `make bench`): every
read runs both ways, the goals hold, and a missed goal is an exit 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import scale_bench

JOBS, SMALL = 300, 100


@pytest.mark.timing
def test_the_scale_benchmark_meets_its_goals_on_a_few_hundred_jobs(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"

    code = scale_bench.main(["--jobs", str(JOBS), "--small", str(SMALL), "--runs", "1", "--json", str(out)])

    figures = json.loads(out.read_text())
    assert code == 0, scale_bench.misses(figures["big"], figures["small"])
    assert figures["big"]["jobs"] == JOBS and figures["small"]["jobs"] == SMALL
    assert set(figures["big"]["node_ms"]) == set(figures["big"]["index_ms"]) == {
        "job list", "job status ID", "registry list", "explorer /jobs", "explorer /jobs/ID", scale_bench.ACCOUNT_PAGE
    }  # fmt: skip


def _figures(jobs: int, page_ms: float, account_ms: float) -> dict[str, object]:
    reads = {"job list": 100.0, "explorer /jobs": page_ms, scale_bench.ACCOUNT_PAGE: account_ms}
    return {"jobs": jobs, "index_ms": reads, "index_min_ms": reads}


def test_a_slow_page_or_an_account_page_that_grows_with_the_market_is_a_miss() -> None:
    small = _figures(SMALL, 50.0, 20.0)

    assert scale_bench.misses(_figures(JOBS, 50.0, 25.0), small) == []
    assert [m.split(":")[0] for m in scale_bench.misses(_figures(JOBS, 400.0, 25.0), small)] == ["explorer /jobs"]
    assert [m.split(":")[0] for m in scale_bench.misses(_figures(JOBS, 50.0, 200.0), small)] == ["account page"]
