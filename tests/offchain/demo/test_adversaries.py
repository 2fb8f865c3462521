"""The demo's adversaries live outside the product: the released `offchain worker` and
`offchain validator` take no fault-injection flag, and the demo-only command does."""

from __future__ import annotations

import pytest

from offchain.cli import build_parser as product_parser
from offchain.demo.adversaries import ForgingWorker, OverclaimingWorker, build_parser
from offchain.roles.journal import JobEntry, JobRecord, JobState

ADDRESS = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


@pytest.mark.parametrize(
    "argv",
    [
        ["worker", "--overclaim-bps", "1500"],
        ["worker", "--forge-key", "2"],
        ["validator", "--lazy"],
        ["validator", "--inflate-for", ADDRESS],
    ],
)
def test_the_released_commands_refuse_the_adversaries_flags(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        product_parser(argv[0]).parse_args(argv)


def test_the_sybil_takes_a_checksummed_address() -> None:
    assert build_parser().parse_args(["validator", "--inflate-for", ADDRESS.lower()]).inflate_for == ADDRESS


def test_the_sybil_refuses_a_malformed_address() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["validator", "--inflate-for", "0x1234"])


def test_a_validator_is_lazy_or_a_sybil_not_both() -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["validator", "--lazy", "--inflate-for", ADDRESS])


def test_the_overclaimer_claims_more_than_it_measured_capped_at_one_hundred_percent() -> None:
    worker = OverclaimingWorker.__new__(type("Overclaimer", (OverclaimingWorker,), {"overclaim_bps": 1500}))

    assert (worker.claim_for(7000, 100), worker.claim_for(9000, 100)) == (8500, 10_000)


def test_a_worker_over_claims_or_forges_its_key_not_both() -> None:
    assert build_parser().parse_args(["worker", "--forge-key", "2"]).forge_key == 2
    with pytest.raises(SystemExit):
        build_parser().parse_args(["worker", "--overclaim-bps", "1500", "--forge-key", "2"])


def test_the_forger_delivers_a_fresh_key_instead_of_its_submissions() -> None:
    forger = ForgingWorker.__new__(ForgingWorker)
    forger.log = lambda *args, **fields: None  # type: ignore[method-assign,assignment]
    entry = JobEntry(2, JobState.DELIVERING, JobRecord(seal_dir="/nonexistent"))  # its own key is never read

    assert forger.delivery_key(entry) != forger.delivery_key(entry)  # fresh each time
    assert len(forger.delivery_key(entry)) == 32
