"""The demo's grinding attempt, and the economics row for the demo's parameters.

Issue 20 item 2's attacker: a contract (contracts/test/DrawGrinder.sol, built by brownie into
build/contracts like the product's contracts) that, in one transaction, joins the validators,
draws the job's committee and reverts unless it holds a seat, trying bond after bond. The
demo's grinder runs it as soon as the draw window opens (racing the honest members' draw
calls). Under the one-committee guard the draw reads the weights as they stood when the epoch
began and its seed is the hash of a block fixed in advance, so no try can seat it: `check`
fails the demo when the chain says otherwise. `economics_line` prices the demo's adversaries
with benchmarks/economics_bench.py's model (seconds: the model is a table lookup per job).
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from eth_abi import encode
from eth_utils import keccak

from offchain.demo.committee import CommitteeView
from offchain.demo.processes import DemoError
from offchain.demo.report import ETHER
from offchain.eth.deploy import MIN_BOND
from offchain.eth.market_events import CommitteeSeedBlockSet

GRINDER = 9  # dev account of the grinder's operator (anvil funds 0-9; the demo's roles use the others)
TRIES = 25  # bonds tried in the transaction: MIN_BOND, + 1 gwei, ... (test_attacks_v3.py tries as many)
GRIND_GAS = 10_000_000  # about 300k a try; a try that reverts costs its gas, nothing else


@dataclass(frozen=True)
class Grind:
    """What the grinder's transaction did, from its receipt and the chain."""

    address: str  # the DrawGrinder contract
    block: int  # the block the transaction landed in
    index: int  # its position in that block
    gas_used: int


def grind(sender: Any, market: str, job_id: int, tries: int = TRIES) -> Grind:
    """Deploy DrawGrinder from `sender` (a Client) and grind `job_id`'s draw in one transaction."""
    grinder, _ = sender.deploy("DrawGrinder", market)
    value = MIN_BOND + tries * 10**9  # the largest bond it tries
    receipt = sender.transact(grinder.functions.grind(job_id, tries, MIN_BOND), value=value, gas=GRIND_GAS)
    at = (int(receipt["blockNumber"]), int(receipt["transactionIndex"]))
    return Grind(grinder.address, *at, int(receipt["gasUsed"]))


def guard_seed(job_id: int, seed_block_hash: bytes) -> int:
    """The seed the one-committee guard draws from: keccak256(abi.encode(blockhash(seed block), jobId))."""
    return int.from_bytes(keccak(encode(["bytes32", "uint256"], [seed_block_hash, job_id])), "big")


def check(view: CommitteeView, attempt: Grind, bonded: bool, seed_blocks: list[CommitteeSeedBlockSet], w3: Any) -> str:
    """The attempt's one line, from the chain (`bonded`: the grinder is a validator now, which
    only a kept try leaves it); DemoError when the grinder holds a seat or kept a try, or the
    committee was not drawn from the seed block the guard fixed."""
    if bonded or attempt.address in view.seated:
        raise DemoError(f"the grinder {attempt.address} kept a seat of job {view.drawn.job_id}: the draw was ground")
    fixed = [e for e in seed_blocks if e.block <= view.drawn.block]
    if not fixed:
        raise DemoError(f"job {view.drawn.job_id} was drawn without a seed block fixed in advance")
    seed_block = fixed[-1].seed_block
    expected = guard_seed(view.drawn.job_id, bytes(w3.eth.get_block(seed_block)["hash"]))
    if view.drawn.seed != expected:
        raise DemoError(f"the committee's seed is not the hash of its seed block {seed_block}")
    drawn_at = (view.drawn.block, int(w3.eth.get_transaction_receipt(view.drawn.tx_hash)["transactionIndex"]))
    when = "before" if (attempt.block, attempt.index) < drawn_at else "after"  # it raced the honest draw
    return (
        f"Grinding attempt failed: a contract that joins with {MIN_BOND / ETHER:g} ETH (+ i gwei), draws and "
        f"reverts unless seated tried {TRIES} bonds in one transaction (block {attempt.block}, "
        f"{attempt.gas_used:,} gas, {when} the draw) and kept none; the committee was drawn from seed block "
        f"{seed_block}, fixed in advance, on the bonds as they stood when its epoch began: the grinder holds no seat."
    )


def economics_line(honest: int, honest_bond: int, attacker_bond: int) -> str:
    """The attacker's best response and its profit per job at the demo's parameters (its job,
    `honest` members bonding `honest_bond`, the adversaries' `attacker_bond`), from
    benchmarks/economics_bench.py's Monte-Carlo (its jobs and seed), under the guard."""
    import numpy as np

    bench = _economics_bench()
    share = attacker_bond / (attacker_bond + honest * honest_bond)
    gas, p, pop = bench.measured_gas(), bench.demo_params(), bench.Honest(honest, honest_bond)
    rng = np.random.default_rng(bench.SEED)
    cells = []
    for role in bench.ROLES:
        found = bench.strategies(p, role, share, bench.JOBS, rng, 1, gas, pop)
        best, attack = bench.best_response(found), max(found, key=lambda e: e.mean)
        cells.append(
            f"{role}: best response {best.strategy} ({best.mean:+.4f} ETH a job; best attack {attack.strategy} "
            f"{attack.mean:+.4f} [{attack.low:+.4f}, {attack.high:+.4f}])"
        )
    return (
        f"Economics at the demo's parameters (attacker's bond {share:.1%} of all, {bench.JOBS} jobs, "
        f"python -m benchmarks economics): " + "; ".join(cells)
    )


def _economics_bench() -> ModuleType:
    """The repository's benchmarks/economics_bench.py. Its root goes first on the path: the
    `offchain` console script's path starts at the venv's bin, and a dependency (cchecksum)
    installs a top-level package named `benchmarks` too."""
    root = Path(__file__).resolve().parents[2]
    if not (root / "benchmarks" / "economics_bench.py").is_file():
        raise DemoError(f"the economics row needs the repository's benchmarks/ (none under {root}): run from a clone")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module("benchmarks.economics_bench")
