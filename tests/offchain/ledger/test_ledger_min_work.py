"""The ledger's minimum-work rule (issue 21): a header more than 16 times easier than the best
header is refused before it is stored, the same bound as LedgerRelay's off-tip rule, so a cheap
low-difficulty branch cannot fill the header store beside an expensive chain."""

from __future__ import annotations

import pytest

from offchain.ledger.block import BlockHeader
from offchain.ledger.errors import WorkTooLow
from offchain.ledger.pow import decode_bits, target_to_bits
from offchain.ledger.validation import MIN_WORK_SHIFT, validate_min_work

BEST_BITS = 0x1D00FFFF  # Bitcoin's genesis target: room above it for easier targets
BEST_TARGET = decode_bits(BEST_BITS).target


def _header(target: int) -> BlockHeader:
    return BlockHeader(1, bytes(32), bytes(32), 0, target_to_bits(target), 0)


def test_the_bound_is_sixteen_times_the_best_target() -> None:
    assert 1 << MIN_WORK_SHIFT == 16


@pytest.mark.parametrize("factor", [1, 4, 16])
def test_a_header_at_most_sixteen_times_easier_is_kept(factor: int) -> None:
    validate_min_work(_header(BEST_TARGET * factor), BEST_BITS)


@pytest.mark.parametrize("factor", [17, 32, 1 << 20])
def test_a_header_more_than_sixteen_times_easier_is_refused(factor: int) -> None:
    with pytest.raises(WorkTooLow, match="more than 16 times easier"):
        validate_min_work(_header(BEST_TARGET * factor), BEST_BITS)
