"""What the demo shows: numbered narration on the terminal, and the report folder's tables."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

ETHER = 10**18


def say_line(text: str) -> None:
    """One line to stdout in a single write: role output pumped by threads never splits it."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


class Narrator:
    """Numbered steps with elapsed time, so a person can follow a long run."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.step = 0

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def __call__(self, message: str) -> None:
        self.step += 1
        say_line(f"[{self.elapsed():6.1f}s] {self.step:>2}. {message}")

    def detail(self, message: str) -> None:
        say_line(f"{'':>13}{message}")


def balance_table(before: dict[str, tuple[str, int]], after: dict[str, tuple[str, int]]) -> list[str]:
    """Markdown rows: each account's balance before and after the job, and the change."""
    rows = ["| account | role | before (ETH) | after (ETH) | change (ETH) |", "|---|---|---:|---:|---:|"]
    for name, (address, start) in before.items():
        change = after[name][1] - start
        rows.append(
            f"| `{address}` | {name} | {start / ETHER:.6f} | {after[name][1] / ETHER:.6f} | {change / ETHER:+.6f} |"
        )
    return rows


def submission_table(submissions: list[Any]) -> list[str]:
    """Markdown rows: each worker's claimed and verified score, outcome and stake."""
    rows = ["| worker | claimed | verified | outcome | stake |", "|---|---:|---:|---|---:|"]
    for sub in submissions:
        rows.append(
            f"| `{sub.worker}` | {sub.claimed_score_bps / 100:.2f} % | "
            f"{sub.verified_score_bps / 100:.2f} % | {sub.outcome.name.lower()} | "
            f"{sub.stake / ETHER:g} ETH |"
        )
    return rows


def write_report(out: Path, summary: list[str], workers: tuple[str, ...] = ("honest", "overclaimer")) -> None:
    """summary.md and the training curves (base model and workers) in the report folder."""
    for name in workers:
        for curves in (out / name).rglob("curves.png"):
            shutil.copyfile(curves, out / f"curves-{name}.png")
    if (out / "base" / "curves.png").exists():
        shutil.copyfile(out / "base" / "curves.png", out / "curves-base.png")
    summary = [*summary, "## Training curves", "", "![base](curves-base.png) ![honest](curves-honest.png)", ""]
    (out / "summary.md").write_text("\n".join(summary))
