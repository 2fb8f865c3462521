"""The demo's adversaries live outside the product: the released `offchain worker` and
`offchain validator` take no fault-injection flag, and the demo-only command does."""

from __future__ import annotations

import pytest

from offchain.cli import build_parser as product_parser
from offchain.demo.adversaries import OverclaimingWorker, build_parser

ADDRESS = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


@pytest.mark.parametrize(
    "argv",
    [
        ["worker", "--overclaim-bps", "1500"],
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
