"""The off-chain code shows judgments, it never makes them: the explorer, the roles and the
demo hold no basis-point constant and compare no score. How a submission is judged (its
outcome, its verified score against the minimum and the tolerance, its payout) is defined
once, in contracts/libraries/Judgment.sol, and read through MarketLens; a copy here would
drift from the contract the day the rule changes.

Parsed, not grepped: comments and strings may talk about scores. A finding names the file,
the line and what to read from the lens instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import offchain

PACKAGE = Path(offchain.__file__).parent
CHECKED = ("explorer", "roles", "demo")
BPS_IN_ONE = 10_000
RULE_WORDS = ("bps", "score", "median", "tolerance", "quorum")  # names that carry a judgment's inputs
# The market's rule parameters (ITrainingMarket.Config) and its unit: the contract's alone. A
# job's terms (its minimum score) and an adversary's over-claim are inputs, not rules.
RULE_CONSTANTS = ("BPS", "TOLERANCE_BPS", "FEE_BPS", "SLASH_BPS", "FORFEIT_BPS", "MAX_BPS")
ORDERING = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _names(node: ast.AST) -> list[str]:
    """Every variable and attribute name inside `node`."""
    return [
        n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node) if isinstance(n, ast.Name | ast.Attribute)
    ]


def _mentions_a_rule(node: ast.AST) -> bool:
    return any(word in name.lower() for name in _names(node) for word in RULE_WORDS)


def findings(source: str, where: str) -> list[str]:
    """Basis-point constants and score comparisons in `source`, as 'where:line: what'."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value == BPS_IN_ONE:
            found.append((node.lineno, "the basis-point constant 10000 (the lens returns amounts)"))
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for name in (t.id for t in targets if isinstance(t, ast.Name)):
                bare = name.lstrip("_")
                if bare in RULE_CONSTANTS or bare.endswith(tuple(f"_{c}" for c in RULE_CONSTANTS if c != "BPS")):
                    found.append((node.lineno, f"a basis-point constant {name}"))
        elif isinstance(node, ast.Compare) and any(isinstance(op, ORDERING) for op in node.ops):
            if any(_mentions_a_rule(side) for side in [node.left, *node.comparators]):
                found.append((node.lineno, "a score comparison (ask MarketLens: outcome, verified, near)"))
    return [f"{where}:{line}: {what}" for line, what in sorted(found)]


def test_the_explorer_the_roles_and_the_demo_make_no_judgment() -> None:
    found = [
        line
        for folder in CHECKED
        for path in sorted((PACKAGE / folder).rglob("*.py"))
        for line in findings(path.read_text(), str(path.relative_to(PACKAGE.parent)))
    ]

    assert found == [], "\n".join(found)


def test_the_finder_sees_a_copied_rule() -> None:
    copied = (
        "BPS = 10_000\n"
        "TOLERANCE_BPS = 100\n"
        "MIN_SCORE_BPS = 8000\n"
        "def owed(sub, job):\n"
        "    if sub.verified_score_bps >= job.min_score_bps:\n"
        "        return sub.stake\n"
        "    return sub.stake - job.min_stake * 1000 // 10000\n"
    )

    assert [f.split(": ", 1)[1].split(" (")[0] for f in findings(copied, "x.py")] == [
        "a basis-point constant BPS",
        "the basis-point constant 10000",
        "a basis-point constant TOLERANCE_BPS",
        "a score comparison",
        "the basis-point constant 10000",
    ]


def test_the_finder_lets_display_arithmetic_through() -> None:
    shown = "line = f'{sub.claimed_score_bps / 100:.2f} %'\nif sub.outcome == Outcome.WON:\n    pass\n"

    assert findings(shown, "x.py") == []
