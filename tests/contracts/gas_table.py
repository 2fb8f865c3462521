"""The gas tables in benchmarks/ (gas_market.md, gas_sealed.md), written from a test's receipts."""

from pathlib import Path


def write_gas_table(path: Path, preamble: list[str], rows: dict[str, int], goals: dict[str, int]) -> None:
    """`preamble` (title and prose lines), then one row per measured call with its goal, if any."""
    lines = [*preamble, "", "| call | gas | goal |", "|---|---:|---:|"]
    for name, gas in rows.items():
        goal = goals.get(name)
        lines.append(f"| {name} | {gas:,} | {f'<= {goal:,}' if goal else ''} |")
    path.write_text("\n".join(lines) + "\n")
    print("\n" + "\n".join(lines))
