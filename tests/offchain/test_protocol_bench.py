"""`python -m benchmarks protocol` drives one job through today's protocol (the full run is the
benchmark, 5 jobs): it rotted once unseen, calling client methods the market had dropped."""

from __future__ import annotations

import pytest

from benchmarks import protocol_bench as bench


def test_the_protocol_benchmark_takes_one_job_from_post_to_payout_and_gives_its_verdict(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench, "ROUNDS", 1)

    code = bench.main()

    out = capsys.readouterr().out
    verdict = [line for line in out.splitlines() if line.startswith("goal:")]
    assert len(verdict) == 1, out
    assert code == (0 if ": met" in verdict[0] else 1), out
    for step in bench.STEPS:
        assert step in out, out
