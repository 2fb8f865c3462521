"""Mutation score of the market contracts against the forge suites (`make mutation`).

Each mutant changes one guard or settlement line of the market contracts: a guard removed
(`if (...) revert ...;` deleted), a comparison flipped or loosened (`<` to `<=`, `==` to `!=`,
...), an arithmetic operator swapped (`+` and `-`, `*` and `/`), or a boolean constant negated.
Mutants are sampled with a fixed seed (MUTANTS, default 200), each built and run in a scratch
copy of the project (the working tree is never touched) under a per-mutant timeout
(MUTANT_TIMEOUT_S, default 240), and the whole run stops at MUTATION_BUDGET_S (default 3600).
A mutant is killed when `forge test` fails (compile errors are counted apart: not a test's
merit). Survivors are listed with their file, line and change, for a test or an argument.

Run: python tests/forge/mutation.py  (the Makefile's `make mutation` does, with its PATH)
"""

import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGETS = [
    "contracts/TrainingMarket.sol",
    "contracts/Settlement.sol",
    "contracts/Attestations.sol",
    "contracts/JobBook.sol",
    "contracts/MarketAccounts.sol",
    "contracts/ValidatorSet.sol",
]
TEST_CMD = ["forge", "test", "--match-contract", "TrainingMarket(Invariants|Lifecycle)"]
SEED = 24
COMPARISONS = [("<=", "<"), (">=", ">"), ("==", "!="), ("!=", "=="), ("<", "<="), (">", ">=")]
ARITHMETIC = [(" + ", " - "), (" - ", " + "), (" * ", " / "), (" / ", " * ")]


@dataclass(frozen=True)
class Mutant:
    path: str
    line: int  # 1-based
    kind: str
    original: str
    mutated: str


def _is_code(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith(("//", "*", "/*", "import", "pragma", "event", "error"))


def mutants_of(path: str) -> list[Mutant]:
    """Every mutant of the guard and settlement lines of one contract."""
    found: list[Mutant] = []
    lines = (ROOT / path).read_text().splitlines()
    for number, line in enumerate(lines, start=1):
        if not _is_code(line):
            continue
        code = line.split("//")[0]
        if re.match(r"\s*if \(.*\) revert \w+\(.*\);\s*$", code):
            found.append(Mutant(path, number, "guard removed", line, ""))
        if not re.search(r"\b(if|while|for|return|require)\b|[-+*/]=|= ", code):
            continue
        for old, new in COMPARISONS:
            for match in re.finditer(rf"(?<![<>=!]){re.escape(old)}(?![<>=])", code):
                mutated = line[: match.start()] + new + line[match.end() :]
                found.append(Mutant(path, number, f"{old} -> {new}", line, mutated))
        for old, new in ARITHMETIC:
            for match in re.finditer(re.escape(old), code):
                mutated = line[: match.start()] + new + line[match.end() :]
                found.append(Mutant(path, number, f"{old.strip()} -> {new.strip()}", line, mutated))
        for old, new in (("true", "false"), ("false", "true")):
            for match in re.finditer(rf"\b{old}\b", code):
                mutated = line[: match.start()] + new + line[match.end() :]
                found.append(Mutant(path, number, f"{old} -> {new}", line, mutated))
    return found


def scratch_copy() -> Path:
    """The project's contracts, forge suites and config in a scratch folder (node_modules linked)."""
    work = Path(tempfile.mkdtemp(prefix="mutation-"))
    for name in ["contracts", "tests/forge", "tools/solc"]:
        shutil.copytree(ROOT / name, work / name)
    shutil.copy(ROOT / "foundry.toml", work / "foundry.toml")
    (work / "node_modules").symlink_to(ROOT / "node_modules")
    (work / "build/forge").mkdir(parents=True)
    return work


def run(work: Path, timeout: float) -> str:
    """'killed', 'survived', 'timeout' or 'uncompilable'."""
    env = dict(os.environ, FOUNDRY_PROFILE="mutation")
    try:
        result = subprocess.run(TEST_CMD, cwd=work, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    output = result.stdout + result.stderr
    if "Compiler run failed" in output:
        return "uncompilable"
    # forge 1.7.1 can exit 0 with failing tests (seen with --fail-fast): read its verdict too.
    if result.returncode == 0 and "[FAIL" not in output and "failing test" not in output:
        return "survived"
    return "killed"


def main() -> int:
    count = int(os.environ.get("MUTANTS", "200"))
    timeout = float(os.environ.get("MUTANT_TIMEOUT_S", "240"))
    budget = float(os.environ.get("MUTATION_BUDGET_S", "3600"))
    every = [m for path in TARGETS for m in mutants_of(path)]
    sample = random.Random(SEED).sample(every, min(count, len(every)))
    print(f"{len(every)} mutants of {len(TARGETS)} market contracts; {len(sample)} sampled (seed {SEED})")
    work = scratch_copy()
    started = time.monotonic()
    outcomes: dict[str, list[Mutant]] = {"killed": [], "survived": [], "timeout": [], "uncompilable": []}
    try:
        if run(work, timeout * 2) != "survived":
            print("the unmutated contracts fail the suite: nothing to measure")
            return 1
        for i, mutant in enumerate(sample, start=1):
            if time.monotonic() - started > budget:
                print(f"budget of {budget:.0f} s spent after {i - 1} mutants")
                break
            target = work / mutant.path
            original = target.read_text()
            lines = original.splitlines(keepends=True)
            lines[mutant.line - 1] = mutant.mutated + "\n" if mutant.mutated else "\n"
            target.write_text("".join(lines))
            try:
                outcome = run(work, timeout)
            finally:
                target.write_text(original)
            outcomes[outcome].append(mutant)
            print(f"[{i}/{len(sample)}] {outcome:12} {mutant.path}:{mutant.line} {mutant.kind}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    compiled = len(outcomes["killed"]) + len(outcomes["survived"]) + len(outcomes["timeout"])
    killed = len(outcomes["killed"]) + len(outcomes["timeout"])  # a timeout is a hang the suite exposes
    print(f"\n{killed} of {compiled} compiled mutants killed ({100 * killed / max(compiled, 1):.1f} %);")
    print(f"{len(outcomes['uncompilable'])} did not compile; {time.monotonic() - started:.0f} s")
    for mutant in outcomes["survived"]:
        print(f"SURVIVED {mutant.path}:{mutant.line} {mutant.kind}: {mutant.original.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
