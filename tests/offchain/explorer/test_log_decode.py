"""offchain.eth.log_decode decodes every market event as web3's process_log does, over the
random market states of the explorer's lens test (all but the account-only events appear)."""

from __future__ import annotations

import random

from test_explorer_matches_lens import _drive, chain  # noqa: F401 - chain is the fixture

from offchain.eth.client import Client
from offchain.eth.deployments import Deployment
from offchain.eth.log_decode import LogDecoder
from offchain.eth.market import MarketClient
from offchain.eth.market_events import to_event

SEEDS = range(4)


def test_the_fast_decoder_agrees_with_web3_on_every_market_event(chain: tuple[Client, Deployment]) -> None:  # noqa: F811
    client, deployment = chain
    market = MarketClient.of(client, deployment)
    for seed in SEEDS:
        _drive(client, market, random.Random(seed))
    decoder = LogDecoder(market.contract.abi)
    logs = client.w3.eth.get_logs({"address": market.address, "fromBlock": 0, "toBlock": "latest"})

    seen = set()
    for log in logs:
        name = decoder.name_of(log)
        assert name is not None
        seen.add(name)
        ours = decoder.decode(log)
        theirs = getattr(market.contract.events, name)().process_log(log)
        assert to_event(ours) == to_event(theirs)

    assert {"JobPosted", "Committed", "Revealed", "CommitteeDrawn", "AttestationRevealed", "Finalized"} <= seen
    assert {"ValidatorSettled", "ValidatorJoined"} <= seen
