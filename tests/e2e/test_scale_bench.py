"""`python -m benchmarks scale` on a few hundred jobs, 30 validators and a short history (the full
10,000 jobs, 1,000 validators and 20,000 blocks is `make bench`): every read runs both ways and
in Chromium, the goals hold, and a missed goal is an exit 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import scale_bench

JOBS, SMALL, VALIDATORS = 300, 100, 30
PAGES = {"explorer /jobs", "explorer /jobs/ID", scale_bench.ACCOUNT_PAGE, scale_bench.ACCOUNTS_LIST}


@pytest.mark.timing
@pytest.mark.bench  # about 30 s: make bench, not make test (its 10-minute budget)
def test_the_scale_benchmark_meets_its_goals_on_a_few_hundred_jobs(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    argv = ["--jobs", str(JOBS), "--validators", str(VALIDATORS), "--small", str(SMALL), "--runs", "3"]

    code = scale_bench.main([*argv, "--history", "100", "1500", "--json", str(out)])

    figures = json.loads(out.read_text())
    big = figures["big"]
    assert code == 0, scale_bench.misses(big, figures["small"])
    assert (big["jobs"], big["validators"], figures["small"]["jobs"]) == (JOBS, VALIDATORS, SMALL)
    assert set(big["index_ms"]) == {
        "job list", "job status ID", "registry list", "explorer /accounts/VALIDATOR", *PAGES
    }  # fmt: skip
    assert set(big["node_ms"]) == set(big["index_ms"])
    assert set(big["browser_ms"]) == PAGES
    assert [list(big["worker_start_ms"][way]) for way in ("index", "node")] == [["100", "1500"]] * 2
    assert big["index_catch_up"]["blocks"] >= 1500


def _figures(jobs: int, page_ms: float, account_ms: float, browser_ms: float, starts: tuple[float, float]) -> Any:
    reads = {"job list": 100.0, "explorer /jobs": page_ms, scale_bench.ACCOUNT_PAGE: account_ms}
    pages = {"explorer /jobs": browser_ms, scale_bench.ACCOUNT_PAGE: account_ms + 60}
    return {
        "jobs": jobs,
        "index_ms": reads,
        "index_min_ms": reads,
        "browser_ms": pages,
        "browser_min_ms": pages,
        "worker_start_ms": {"index": {"1000": starts[0], "20000": starts[1]}, "node": {"1000": 1.0, "20000": 9.0}},
    }


def test_a_slow_page_an_account_page_that_grows_or_a_start_up_that_grows_with_history_is_a_miss() -> None:
    small = _figures(SMALL, 50.0, 20.0, 100.0, (1.0, 1.0))
    fine = (1000.0, 1400.0)

    def missed(big: Any) -> list[str]:
        return [m.split(":")[0] for m in scale_bench.misses(big, small)]

    assert missed(_figures(JOBS, 50.0, 25.0, 100.0, fine)) == []
    assert missed(_figures(JOBS, 400.0, 25.0, 100.0, fine)) == ["explorer /jobs"]
    assert missed(_figures(JOBS, 50.0, 25.0, 400.0, fine)) == ["explorer /jobs"]  # in Chromium
    assert missed(_figures(JOBS, 50.0, 200.0, 100.0, fine)) == ["account page server side", "account page in Chromium"]
    assert missed(_figures(JOBS, 50.0, 25.0, 100.0, (1000.0, 1600.0))) == ["worker start-up"]


def test_the_accounts_list_has_the_pages_goal() -> None:
    small = _figures(SMALL, 50.0, 20.0, 100.0, (1.0, 1.0))
    big = _figures(JOBS, 50.0, 25.0, 100.0, (1000.0, 1400.0))
    big["index_ms"][scale_bench.ACCOUNTS_LIST] = 6_800.0  # the last run's list of every account
    big["browser_ms"][scale_bench.ACCOUNTS_LIST] = 250.0

    assert [m.split(":")[0] for m in scale_bench.misses(big, small)] == [scale_bench.ACCOUNTS_LIST]


def test_the_benchmark_exits_1_on_a_missed_goal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = {
        SMALL: _figures(SMALL, 50.0, 20.0, 100.0, (1.0, 1.0)),
        JOBS: _figures(JOBS, 50.0, 25.0, 100.0, (1.0, 2.0)),
    }
    monkeypatch.setattr(scale_bench, "measure", lambda jobs, *_: figures[jobs])
    monkeypatch.setattr(scale_bench, "report", lambda big, small: "report")

    code = scale_bench.main(["--jobs", str(JOBS), "--small", str(SMALL)])

    assert code == 1
    assert "MISSED worker start-up: 2.00x" in capsys.readouterr().err
