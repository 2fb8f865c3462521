"""The demo's grinding attempt and economics row, without a chain: the verdict that fails the
demo when the chain says the grinder got a seat or the committee was not the guard's
(contracts/test/DrawGrinder.sol; tests/contracts/market/test_attacks_v3.py, issue 20 item 2)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from offchain.demo.committee import CommitteeView
from offchain.demo.grinding import TRIES, Grind, check, economics_line, guard_seed
from offchain.demo.processes import DemoError
from offchain.demo.report import ETHER
from offchain.eth.market_events import CommitteeDrawn, CommitteeSeedBlockSet

ZERO = "0x" + "00" * 20
HONEST = [f"0x{i:040x}" for i in (1, 2, 3)]
GRINDER = f"0x{9:040x}"
SEED_BLOCK, SEED_HASH, JOB = 40, bytes(range(32)), 1


class FakeW3:
    """Just `eth.get_block(n)["hash"]`, for the seed block."""

    def __init__(self) -> None:
        self.eth = self

    def get_block(self, number: int) -> dict[str, Any]:
        return {"hash": SEED_HASH if number == SEED_BLOCK else bytes(32)}

    def get_transaction_receipt(self, tx_hash: str) -> dict[str, Any]:
        return {"transactionIndex": 2}  # the draw's position in its block


def _at(block: int) -> dict[str, Any]:
    return {"block": block, "tx_hash": "0x00", "log_index": 0}


def _drawn(seats: tuple[str, ...] = (*HONEST, *[ZERO] * 12), seed: int | None = None) -> CommitteeView:
    seed = guard_seed(JOB, SEED_HASH) if seed is None else seed
    return CommitteeView(CommitteeDrawn(**_at(42), job_id=JOB, seats=seats, seed=seed), {}, {})


SEEDS = [CommitteeSeedBlockSet(**_at(SEED_BLOCK), job_id=JOB, seed_block=SEED_BLOCK, epoch=3)]
ATTEMPT = Grind(GRINDER, 41, 0, 7_000_000)


def test_a_grinder_without_a_seat_on_the_guards_committee_is_reported() -> None:
    line = check(_drawn(), ATTEMPT, False, SEEDS, FakeW3())

    assert line.startswith("Grinding attempt failed: a contract that joins with 1 ETH (+ i gwei), draws and reverts")
    assert f"tried {TRIES} bonds in one transaction (block 41, 7,000,000 gas, before the draw) and kept none" in line
    assert f"drawn from seed block {SEED_BLOCK}, fixed in advance" in line and "the grinder holds no seat" in line
    assert "before the draw" in check(_drawn(), replace(ATTEMPT, block=42, index=1), False, SEEDS, FakeW3())
    assert "after the draw" in check(_drawn(), replace(ATTEMPT, block=42, index=3), False, SEEDS, FakeW3())


def test_a_seated_grinder_fails_the_demo() -> None:
    with pytest.raises(DemoError, match="kept a seat"):
        check(_drawn((*HONEST, GRINDER, *[ZERO] * 11)), ATTEMPT, False, SEEDS, FakeW3())


def test_a_grinder_left_bonded_by_a_kept_try_fails_the_demo() -> None:
    with pytest.raises(DemoError, match="kept a seat"):
        check(_drawn(), ATTEMPT, True, SEEDS, FakeW3())


def test_a_committee_not_drawn_from_its_seed_block_fails_the_demo() -> None:
    with pytest.raises(DemoError, match="not the hash of its seed block 40"):
        check(_drawn(seed=7), ATTEMPT, False, SEEDS, FakeW3())
    later = [replace(SEEDS[0], block=43)]  # fixed after the draw: none before it
    with pytest.raises(DemoError, match="without a seed block fixed in advance"):
        check(_drawn(), ATTEMPT, False, later, FakeW3())


def test_the_economics_row_prices_the_demos_bonds_with_the_benchmarks_model() -> None:
    line = economics_line(4, 10 * ETHER, 3 * ETHER)  # the demo: 4 honest of 10 ETH, lazy + 2 Sybils of 1 ETH

    assert line.startswith("Economics at the demo's parameters (attacker's bond 7.0% of all, 4000 jobs")
    # No attack pays at 7 % of the bond (benchmarks/economics_bench.py exits 1 if one did).
    assert "requester: best response honest (+0.0000 ETH a job" in line
    assert "worker: best response honest (+0.0000 ETH a job" in line
