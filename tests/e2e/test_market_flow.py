"""The whole market on a local anvil chain, with small budgets: every role its own process.

One honest worker, one that over-claims, one whose served weights get tampered with, and
three validators; faults on the way: the honest worker is killed (SIGKILL) after its
commit and restarted, and the chain becomes unreachable for some seconds while the validators work.
Afterwards every account's balance must have moved by exactly what the contract credited
it, less the gas it paid (both read from the chain, to the wei).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from faults import TAMPERER, FaultHooks

from offchain.demo.report import Narrator
from offchain.demo.scenario import HONEST, OVERCLAIMER, VALIDATORS, Demo, DemoConfig
from offchain.eth.localchain import LocalChain, start_anvil
from offchain.eth.market import Outcome

pytestmark = pytest.mark.slow

SMALL = DemoConfig(
    spec={"arch": "resnet18", "stem": "imagenet", "epochs": 2, "batch_size": 50, "lr": 0.02, "head_lr": 0.1,
          "schedule": "cosine", "metric": "accuracy"},
    pretrain={"epochs": 1, "lr": 0.05, "batch_size": 100},
    per_class=10,
    overclaim_bps=2000,
    min_score_bps=1000,  # tiny budgets give a weak model; the flow, not the accuracy, is under test
    hooks=FaultHooks(),
)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalChain]:
    log = tmp_path_factory.mktemp("anvil") / "anvil.log"
    chain = start_anvil(block_time=1, log_file=log)
    yield chain
    chain.stop()


@pytest.fixture(scope="module")
def finished_demo(chain: LocalChain, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    demo = Demo(chain, tmp_path_factory.mktemp("demo"), Narrator(), SMALL)
    try:
        demo.run()
    finally:
        demo.stop_roles()
    return demo


def gas_paid(demo: Demo, address: str, from_block: int) -> int:
    """Wei `address` paid for gas in blocks from `from_block` on, from the receipts."""
    w3 = demo.client.w3
    total = 0
    for number in range(from_block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] == address:
                receipt = w3.eth.get_transaction_receipt(tx["hash"])
                total += receipt["gasUsed"] * receipt["effectiveGasPrice"]
    return total


def credits(demo: Demo, from_block: int) -> dict[str, int]:
    """What each account withdrew from the market (Withdrawn events), by address."""
    totals: dict[str, int] = {}
    for event in demo.market.events(from_block, "latest", ("Withdrawn",)):
        totals[event.account] = totals.get(event.account, 0) + event.amount  # type: ignore[union-attr]
    return totals


def outcome_of(demo: Demo, account: int) -> tuple[Outcome, int, int]:
    address = demo.as_account(account).address
    sub = demo.market.submission_of(demo.job_id, address)
    assert sub is not None
    return sub.outcome, sub.claimed_score_bps, sub.verified_score_bps


def test_the_honest_worker_wins_after_being_killed_and_restarted(finished_demo: Demo) -> None:
    outcome, claimed, verified = outcome_of(finished_demo, HONEST)

    assert outcome == Outcome.WON
    assert claimed == verified


def test_the_overclaimer_is_slashed(finished_demo: Demo) -> None:
    outcome, claimed, verified = outcome_of(finished_demo, OVERCLAIMER)

    assert outcome == Outcome.DISHONEST
    assert claimed - verified >= SMALL.overclaim_bps - 1


def test_tampered_weights_are_attested_zero_and_slashed(finished_demo: Demo) -> None:
    outcome, claimed, verified = outcome_of(finished_demo, TAMPERER)

    assert outcome == Outcome.DISHONEST
    assert verified == 0 < claimed


def test_roles_rode_out_the_chain_outage(finished_demo: Demo) -> None:
    lines = [line for role in finished_demo.roles for line in role.lines]

    assert any("rpc unavailable" in line.lower() for line in lines)


def test_payout_fee_and_slash_add_up_to_the_wei(finished_demo: Demo) -> None:
    demo = finished_demo
    final = demo.market.finalized_event(demo.job_id)
    assert final is not None
    job = demo.market.job(demo.job_id)
    fee_share = job.reward * demo.market.fee_bps() // 10_000 // len(VALIDATORS)
    stake = demo.market.submissions(demo.job_id)[0].stake

    assert final.validator_fees == fee_share * len(VALIDATORS)
    assert final.payout == job.reward - final.validator_fees
    assert final.slashed == 2 * stake  # the over-claimer's and the tamperer's


def test_every_balance_moved_by_its_credits_less_gas(finished_demo: Demo) -> None:
    demo = finished_demo
    start = demo.post_block + 1
    withdrawn = credits(demo, start)
    final = demo.market.finalized_event(demo.job_id)
    assert final is not None
    stake = demo.market.submissions(demo.job_id)[0].stake
    after = demo.balances()
    bonds = demo.market.min_bond()
    expected_credit = {
        "requester": final.slashed,
        "honest worker": final.payout + stake,
        "over-claimer": 0,
        "tamperer": 0,
        **{f"validator {i + 1}": final.validator_fees // len(VALIDATORS) for i in range(len(VALIDATORS))},
    }

    for name, (address, before) in demo.balances_before.items():
        if name == "market contract":
            continue
        spent = gas_paid(demo, address, start)
        outlay = {"requester": final.payout + final.validator_fees, "honest worker": stake,
                  "over-claimer": stake, "tamperer": stake}.get(name, bonds)
        assert withdrawn.get(address, 0) == expected_credit[name], name
        assert after[name][1] == before - outlay - spent + expected_credit[name], name


def test_the_winner_is_registered_as_a_child_of_the_base_model(finished_demo: Demo) -> None:
    demo = finished_demo
    record = demo.registry.record(demo.winner_hash)

    assert record.parent_hash == "0x" + demo.base_hash.hex()
    assert record.job_id == demo.job_id
    assert demo.registry.lineage(demo.winner_hash) == ["0x" + demo.winner_hash.hex(), "0x" + demo.base_hash.hex()]


def test_the_report_and_the_ledger_proofs_are_written(finished_demo: Demo) -> None:
    summary = (finished_demo.out / "summary.md").read_text()

    assert "proof verified" in summary
    assert Path(finished_demo.out / "curves-honest.png").is_file()
