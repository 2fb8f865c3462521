"""`python -m benchmarks` exits non-zero when a suite misses its goal (issue 23), on made-up numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import benchmarks.__main__ as bench_main
from benchmarks import gas, speed_bench, transfer_bench
from offchain.ml.data import ImageSet

ARMS = [arm.name for arm in transfer_bench.ARMS]


def _summary(fine_tune: list[float], baseline: list[float]) -> dict[str, Any]:
    def arm(name: str, test: list[float]) -> dict[str, Any]:
        return dict(
            knob="C",
            grid=[0.1, 1.0, 10.0],
            tuning_val=[70.0, 75.0, 72.0],
            chosen=1.0,
            bracketed=True,
            test=test,
            val=test,
            per_class_test=[[60.0, 70.0, 80.0, 90.0, 95.0] for _ in test],
            seconds=[20.0 for _ in test],
            cpu_seconds=[35.0 for _ in test],
        )

    def per_arm() -> dict[str, Any]:
        return {name: arm(name, fine_tune if name == transfer_bench.FINE_TUNE else baseline) for name in ARMS}

    return dict(
        labels={"5": per_arm(), "20": per_arm()},
        machine="test",
        test_images=5000,
        worker_recipe={},
        options={},
        base={},
    )


@pytest.fixture
def fake_transfer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """transfer_bench measuring nothing: main() reports the summary put in the returned list."""
    summaries: list[dict[str, Any]] = []
    monkeypatch.setattr(transfer_bench, "measure", lambda options, stored_only=False: summaries[0])
    monkeypatch.setattr(transfer_bench, "SUMMARY", tmp_path / "summary.json")
    monkeypatch.setattr(transfer_bench, "PLOT", tmp_path / "plot.png")
    monkeypatch.setattr(transfer_bench, "MARKDOWN", tmp_path / "table.md")
    return summaries


def test_python_m_benchmarks_exits_non_zero_when_the_fine_tune_misses_its_goal(
    fake_transfer: list[dict[str, Any]],
) -> None:
    fake_transfer.append(_summary([81.0, 82.0, 80.5, 81.5], [80.0, 80.5, 80.0, 81.0]))  # +1 point: missed

    assert bench_main.main(["transfer"]) == 1


def test_python_m_benchmarks_exits_zero_when_the_fine_tune_meets_its_goal(fake_transfer: list[dict[str, Any]]) -> None:
    fake_transfer.append(_summary([85.0, 86.0, 85.5, 86.5], [80.0, 80.5, 80.0, 81.0]))  # +5 points, tight

    assert bench_main.main(["transfer"]) == 0


def test_a_gain_whose_interval_reaches_zero_is_a_missed_goal() -> None:
    summary = _summary([90.0, 70.0, 91.0, 72.0], [75.0, 80.0, 76.0, 80.0])  # +3 on average, all over the place

    _, missed = transfer_bench.verdict(summary)

    assert any(m.startswith("5/class: fine-tune beats pixel logistic regression by +3.00 [-") for m in missed)


def test_a_collapsed_class_is_a_missed_goal() -> None:
    summary = _summary([85.0, 86.0, 85.5, 86.5], [80.0, 80.5, 80.0, 81.0])
    summary["labels"]["5"][transfer_bench.FINE_TUNE]["per_class_test"][2] = [0.0, 95.0, 95.0, 95.0, 95.0]

    _, missed = transfer_bench.verdict(summary)

    assert missed == ["5/class: a class collapsed (0.0 % on test in some seed)"]


def test_the_speed_suite_fails_below_its_goal_against_the_num_workers_0_baseline() -> None:
    results = {
        speed_bench.SEED_RECIPE: [0.030, 0.031],
        speed_bench.SEED_RECIPE_NW0: [0.020, 0.021],
        speed_bench.DEFAULTS: [0.018, 0.018],  # 1.5x the seed recipe, but 1.14x num_workers=0
    }

    assert speed_bench.report(results) == 1


def test_the_speed_suite_passes_at_its_goal() -> None:
    results = {
        speed_bench.SEED_RECIPE: [0.030],
        speed_bench.SEED_RECIPE_NW0: [0.026],
        speed_bench.DEFAULTS: [0.019],  # 1.37x
    }

    assert speed_bench.report(results) == 0


GAS_TABLE = """Missed goals (strict xfails in `MISSED` of test_gas.py, which says why each is out of
reach without giving up a property): commitAttestation, drawCommittee per member, 3 seats of 1,000 validators.

| call | gas | goal |
|---|---:|---:|
| postJob | 158,148 | <= 160,000 |
| commit | 75,914 | <= 75,000 |
| commitAttestation | 53,755 | <= 50,000 |
| drawCommittee per member, 3 seats of 1,000 validators | 34,182 | <= 25,000 |
| cancelJob | 53,718 |  |
"""


def test_gas_misses_listed_as_expected_failures_are_reported_and_others_fail() -> None:
    accepted, failed = gas.missed_goals(GAS_TABLE)

    assert accepted == ["commitAttestation", "drawCommittee per member, 3 seats of 1,000 validators"]
    assert failed == ["commit"]


def test_the_gas_suite_exits_non_zero_on_a_goal_missed_outside_the_expected_failures(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "gas_market.md").write_text(GAS_TABLE)
    monkeypatch.setattr(gas, "TABLE", tmp_path / "gas_market.md")
    monkeypatch.setattr(gas, "RELAY_TABLE", tmp_path / "absent.md")

    assert bench_main.main(["gas"]) == 1


def test_the_published_gas_tables_meet_every_goal_they_do_not_list_as_missed() -> None:
    for table in (gas.TABLE, gas.RELAY_TABLE):
        assert gas.missed_goals(table.read_text())[1] == []


def test_the_pixel_baseline_given_the_pool_learns_from_its_unlabelled_images() -> None:
    # Grey images of two classes, each image one noisy level: class a near 60, class b near 190.
    # Class a's only label sits at 140, near b: fitted on the labels alone, the boundary falls at
    # about 170 and misses b's darker images; the pool's two clusters move it into the gap.
    rng = np.random.default_rng(0)

    def images(levels: list[float]) -> np.ndarray:
        noisy = np.array(levels)[:, None] + rng.normal(0, 25, (len(levels), 32 * 32))
        return np.repeat(np.clip(noisy, 0, 255).astype(np.uint8).reshape(-1, 1, 32, 32), 3, axis=1)

    def clusters() -> list[float]:
        return [*rng.normal(60, 20, 200), *rng.normal(190, 20, 200)]

    classes = ("a", "b")
    labelled = ImageSet(images([140, 200]), np.array([0, 1]), classes)
    pool = ImageSet(images(clusters()), np.zeros(400, dtype=np.int64), classes)  # labels withheld
    test = ImageSet(images(clusters()), np.repeat([0, 1], 200), classes)
    draw = transfer_bench.Draw(labelled, test, pool)
    arms = {arm.name: arm for arm in transfer_bench.ARMS}

    def score(name: str) -> float:
        result = transfer_bench.fit_and_score(arms[name], 1.0, draw, 0, test, Path("unused"), lambda x: x)
        return result.test or 0.0

    assert score("pixel logistic regression") < 95.0
    assert score(transfer_bench.POOL_LR) == 100.0
