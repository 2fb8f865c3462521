"""Mutation score of the market contracts against the forge suites (`make mutation`).

Each mutant changes one guard or settlement line of the market contracts: a guard removed
(`if (...) revert ...;` deleted), a comparison flipped or loosened (`<` to `<=`, `==` to `!=`,
...), an arithmetic operator swapped (`+` and `-`, `*` and `/`), or a boolean constant negated.
Mutants are sampled with a fixed seed (MUTANTS, default 200), each built and run in a scratch
copy of the project (the working tree is never touched) under a per-mutant timeout
(MUTANT_TIMEOUT_S, default 120), and the whole run stops at MUTATION_BUDGET_S (default 5400).
MUTANT_TARGETS (space-separated contract paths, default TARGETS: the six market contracts the
first score sampled) picks the contracts to mutate: the appeal's two were sampled apart, with
`MUTANT_TARGETS="contracts/Appeals.sol contracts/AppealRuling.sol" MUTANTS=80` (README, Measured).
MUTANT_FILTER (a regular expression over "path:line kind") keeps only the sampled mutants it
matches: rerun a survivor against a new test without the rest. MUTANT_FROM (1-based) starts at
that position of the sample: a stopped run goes on where it stopped.
A mutant is killed when `forge test` fails (compile errors are counted apart: not a test's
merit). Survivors are listed with their file, line and change, for a test or an argument.

Speed (foundry.toml's `mutation` profile): no optimizer (solc-js compiles the market in about
half the time), invariant campaigns of 3 runs with no shrinking (a kill needs one failure, not
the smallest). The scratch copy keeps forge's compile cache, so a mutant recompiles only its
file and the suites that import it, and forge compiles only the suites a stage selects: the
concrete market tests run first (most mutants die there, in a second or two), the campaigns
only for a mutant those tests let through.

Run: python tests/forge/mutation.py  (the Makefile's `make mutation` does, with its PATH)
"""

import os
import random
import re
import shutil
import signal
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
# The market's suites in two stages: the concrete tests (fast), then the campaigns.
SUITES = ["--match-path", "tests/forge/market/*"]
STAGES = [
    ["forge", "test", *SUITES, "--match-contract", "Test$", "--no-match-contract", "Lifecycle"],
    ["forge", "test", *SUITES, "--match-contract", "(Invariants|Lifecycle)"],
]
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
    """'killed', 'survived', 'timeout' or 'uncompilable': the first stage that fails decides."""
    deadline = time.monotonic() + timeout
    # Each mutant on its own: no counterexample persisted from the last one is replayed.
    shutil.rmtree(work / "build/forge/failures", ignore_errors=True)
    for stage in STAGES:
        outcome = _run_stage(work, stage, deadline - time.monotonic())
        if outcome != "survived":
            return outcome
    return "survived"


def _run_stage(work: Path, command: list[str], timeout: float) -> str:
    env = dict(os.environ, FOUNDRY_PROFILE="mutation")
    # npm's forge is a node wrapper around the binary, and forge runs solc: killing the wrapper
    # alone (a timeout, a stopped run) would leave both running, so the stage gets its own
    # process group and the whole group is killed.
    stage = subprocess.Popen(
        command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        output, _ = stage.communicate(timeout=max(timeout, 1))
    except subprocess.TimeoutExpired:
        return "timeout"
    finally:
        if stage.poll() is None:
            os.killpg(stage.pid, signal.SIGKILL)
            stage.wait()
    if "Compiler run failed" in output:
        return "uncompilable"
    # forge 1.7.1 can exit 0 with failing tests (seen with --fail-fast): read its verdict too.
    if stage.returncode == 0 and "[FAIL" not in output and "failing test" not in output:
        return "survived"
    return "killed"


def main() -> int:
    count = int(os.environ.get("MUTANTS", "200"))
    timeout = float(os.environ.get("MUTANT_TIMEOUT_S", "120"))
    budget = float(os.environ.get("MUTATION_BUDGET_S", "5400"))
    targets = os.environ.get("MUTANT_TARGETS", "").split() or TARGETS
    every = [m for path in targets for m in mutants_of(path)]
    sample = random.Random(SEED).sample(every, min(count, len(every)))
    print(f"{len(every)} mutants of {' '.join(targets)}; {len(sample)} sampled (seed {SEED})")
    chosen = re.compile(os.environ.get("MUTANT_FILTER", ""))
    sample = [m for m in sample if chosen.search(f"{m.path}:{m.line} {m.kind}")]
    if chosen.pattern:
        print(f"{len(sample)} of them chosen by MUTANT_FILTER")
    first = int(os.environ.get("MUTANT_FROM", "1"))
    sample = sample[first - 1 :]
    # A stopped run (timeout, kill) still removes its scratch copy: SIGTERM unwinds like an exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    work = scratch_copy()
    started = time.monotonic()
    outcomes: dict[str, list[Mutant]] = {"killed": [], "survived": [], "timeout": [], "uncompilable": []}
    try:
        if run(work, timeout * 5) != "survived":  # the first build compiles everything
            print("the unmutated contracts fail the suite: nothing to measure")
            return 1
        for i, mutant in enumerate(sample, start=first):
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
            spent = time.monotonic() - started
            where = f"{mutant.path}:{mutant.line} {mutant.kind}"
            print(f"[{i}/{first - 1 + len(sample)}] {outcome:12} {where} ({spent:.0f} s)", flush=True)
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
