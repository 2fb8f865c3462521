"""Attacks on the consensus policy (issue 11, items 1, 2, 5, 6 and 13): each failed on the
code before its guard."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from ledger_helpers import ALICE, ALICE_KEY, BOB, extend, fund, make_block, min_fee, pay

from offchain.ledger.chain import Chain
from offchain.ledger.errors import InvalidHeader, InvalidTransaction, LedgerError, TimeTooNew, TimeTooOld
from offchain.ledger.headers import verify_header_run
from offchain.ledger.merkle import merkle_branch
from offchain.ledger.params import BITCOIN
from offchain.ledger.pow import decode_bits


def test_time_warp_a_block_at_the_future_limit_cannot_make_mining_much_easier(chain: Chain) -> None:
    """Attack 1: one block per period stamped at now + the future limit eases the next target."""
    interval = chain.params.retarget_interval
    extend(chain, 2 * interval, spacing=1)  # fast blocks: two retargets make mining harder
    extend(chain, interval - 2)  # honest spacing up to the third period's last block
    parent = chain.tip()
    now = parent.header.time + chain.params.target_spacing
    chain.clock = lambda: now
    limit = chain.params.max_future_seconds

    warped = make_block(chain, spacing=now + limit - parent.header.time)
    assert chain.add_block(warped) == "connected"  # exactly at the limit is allowed
    with pytest.raises(TimeTooNew):
        chain.add_block(make_block(chain, parent, spacing=now + limit + 1 - parent.header.time, extra_nonce=1))

    before = decode_bits(warped.header.bits).target
    after = decode_bits(chain.next_bits(chain.tip())).target
    assert after <= before * 5 // 4, f"one warped block eased the target {after / before:.2f}x"


def test_time_warp_the_first_block_of_a_period_cannot_go_far_back(chain: Chain) -> None:
    """Attack 1, the classic form: stamp a period's first block far below its parent (the
    median allows it), so the next span, measured from that block, looks long (BIP94)."""
    interval = chain.params.retarget_interval
    extend(chain, interval - 1)  # the tip ends the first period
    parent = chain.tip()
    back = getattr(chain.params, "max_timewarp_seconds", None) or chain.params.target_spacing
    assert back <= chain.params.target_spacing
    early = make_block(chain, spacing=-(back + 1))
    assert early.header.time > chain.median_time(parent)  # the median alone would pass it
    with pytest.raises(TimeTooOld):
        chain.add_block(early)
    assert chain.add_block(make_block(chain, spacing=-back, extra_nonce=1)) == "connected"


def test_the_future_limit_scales_with_the_target_timespan() -> None:
    from offchain.ledger.params import CHAINS

    for params in CHAINS.values():
        assert params.max_future_seconds * 10 <= params.target_timespan, params.name


def test_a_zero_fee_transaction_from_an_empty_account_is_refused(chain: Chain) -> None:
    """Attack 2: free transactions create state and fill the mempool for nothing."""
    nobody = bytes.fromhex("de" * 32)
    with pytest.raises(InvalidTransaction):
        chain.submit(pay(nobody, 0, 0, BOB, fee=0))
    with pytest.raises(InvalidTransaction):
        chain.add_block(make_block(chain, txs=(pay(nobody, 0, 0, BOB, fee=0),)))


def test_a_fee_below_the_minimum_is_refused_even_from_a_rich_account(chain: Chain) -> None:
    fund(chain, ALICE)
    assert min_fee(chain) > 0
    with pytest.raises(InvalidTransaction):
        chain.submit(pay(ALICE_KEY, 0, 1, BOB, fee=min_fee(chain) - 1))
    assert chain.submit(pay(ALICE_KEY, 0, 1, BOB, fee=min_fee(chain)))


def test_a_coinbase_is_not_spendable_before_it_matures(chain: Chain) -> None:
    """Attack 5: no coinbase maturity; a reorg would erase coins already spent onwards."""
    extend(chain, 1, to=ALICE)
    with pytest.raises(InvalidTransaction):
        chain.submit(pay(ALICE_KEY, 0, 1, BOB, fee=1000))
    maturity = chain.params.coinbase_maturity
    assert maturity >= 1
    extend(chain, maturity - 1)
    with pytest.raises(InvalidTransaction):  # still one block short
        chain.add_block(make_block(chain, txs=(pay(ALICE_KEY, 0, 1, BOB, fee=min_fee(chain)),)))
    extend(chain, 1)
    assert chain.account(ALICE).balance == chain.params.subsidy(1)
    assert chain.submit(pay(ALICE_KEY, 0, 1, BOB, fee=min_fee(chain)))
    chain.verify_db()


def test_verify_headers_enforces_version_rules_after_bip34(bitcoin_vectors: dict[str, Any]) -> None:
    """Attack 6a: version-1 headers pass at heights where BIP34/66/65 demand 2, 3 and 4."""
    from offchain.ledger.block import BlockHeader

    headers = [BlockHeader.from_hex(h["hex"]) for h in bitcoin_vectors["headers"][1:]]
    verify_header_run(BITCOIN, headers, start_height=1)  # version 1 is fine early on
    with pytest.raises(InvalidHeader, match="version"):
        verify_header_run(BITCOIN, headers, start_height=227_931)
    with pytest.raises(InvalidHeader, match="at least 2 since height 227931"):
        verify_header_run(BITCOIN, headers, start_height=388_381)


@pytest.mark.parametrize("version", [0x80000000, 0x80000004, 0xFFFFFFFF])
def test_a_version_with_the_top_bit_set_is_negative_as_core_reads_it(version: int) -> None:
    """Issue 21 hole 7: versions compared unsigned let 0x80000000 and above pass every floor."""
    from offchain.ledger.block import BlockHeader
    from offchain.ledger.validation import validate_version

    header = BlockHeader(version, bytes(32), bytes(32), 0, 0x1D00FFFF, 0)

    validate_version(header, 1, BITCOIN)  # no floor before BIP34
    with pytest.raises(InvalidHeader, match=f"has version {version}; at least 2 since height 227931"):
        validate_version(header, 388_381, BITCOIN)  # below the first floor already: negative


def test_verify_headers_checks_the_period_start_header(chain: Chain, tmp_path: Path) -> None:
    """Attack 6b: `--period-start` was trusted for its time without any check."""
    blocks = extend(chain, 14)
    period_start = chain.main_entry(0)
    assert period_start is not None
    run = [b.header for b in blocks[4:]]  # heights 5..14, crossing the boundary at 10
    verify_header_run(chain.params, run, start_height=5, period_start=period_start.header, now=run[-1].time)
    forged = replace(period_start.header, nonce=period_start.header.nonce + 1)
    with pytest.raises(InvalidHeader):
        verify_header_run(chain.params, run, start_height=5, period_start=forged, now=run[-1].time)
    with pytest.raises(InvalidHeader):
        verify_header_run(
            chain.params, run, start_height=5, period_start=blocks[0].header, now=run[-1].time
        )  # height 1, not 0


def test_a_chain_without_a_genesis_body_is_a_ledger_error() -> None:
    """Attack 13 (part): ValueError from genesis, IndexError from merkle (below)."""
    from offchain.ledger.genesis import genesis_block

    with pytest.raises(LedgerError):
        genesis_block(BITCOIN)


def test_a_merkle_branch_outside_the_tree_is_a_ledger_error() -> None:
    with pytest.raises(LedgerError):
        merkle_branch([bytes(32)], 5)
