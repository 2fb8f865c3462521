"""Confirmations: none on a local dev chain, and a worker waiting for blocks says so."""

from __future__ import annotations

from offchain.eth.polling import EventPoller
from offchain.roles.confirmations import ConfirmationWatch, default_confirmations


def test_local_chains_need_no_confirmations() -> None:
    assert default_confirmations(1337, None) == 0
    assert default_confirmations(31337, None) == 0
    assert default_confirmations(11155111, None) == 1
    assert default_confirmations(1337, 3) == 3


def test_a_stuck_head_with_unconfirmed_blocks_is_reported_once() -> None:
    poller = EventPoller(lambda a, b: [], key=lambda e: e, start_block=0, confirmations=1)
    watch = ConfirmationWatch()

    said = []
    for _ in range(4):  # four rounds at head 10: the chain does not mine
        said.append(watch.check(10, poller))
        poller.poll(10)

    assert said[0] is None and said[2:] == [None, None]
    assert said[1] is not None and "waiting for blocks" in said[1] and "offchain chain mine" in said[1]


def test_a_moving_head_is_not_reported() -> None:
    poller = EventPoller(lambda a, b: [], key=lambda e: e, start_block=0, confirmations=1)
    watch = ConfirmationWatch()

    said = []
    for head in range(10, 15):
        said.append(watch.check(head, poller))
        poller.poll(head)

    assert said == [None] * 5
