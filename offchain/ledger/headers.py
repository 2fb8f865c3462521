"""Checking a run of bare headers, e.g. real Bitcoin headers from a file (`verify-headers`).

Each header must meet its own target, name the previous header, carry the bits the
retargeting rule demands (at period boundaries the first header of the closing period
must be in the run or given as `period_start`), and have a time above the median of the
previous 11 in the run and not too far in the future. For a run starting mid-chain the
first header's own bits and link cannot be checked, and its first median windows are
shorter than 11 (as they are near Bitcoin's genesis).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from offchain.ledger.block import BlockHeader
from offchain.ledger.errors import BadLink, LedgerError, ValidationError
from offchain.ledger.hashing import hex_to_hash
from offchain.ledger.params import ChainParams
from offchain.ledger.pow import bits_work
from offchain.ledger.validation import (
    MEDIAN_TIME_SPAN,
    median_time_past,
    required_bits,
    validate_header,
    validate_header_context,
)


@dataclass(frozen=True)
class HeaderRunReport:
    """The result of a valid run."""

    tip: BlockHeader
    height: int
    work: int
    """Work summed over the run's headers (from genesis when the run starts at height 0)."""
    count: int


def verify_header_run(
    params: ChainParams,
    headers: Sequence[BlockHeader],
    start_height: int,
    period_start: BlockHeader | None = None,
    now: int | None = None,
) -> HeaderRunReport:
    """Validate `headers` (heights start_height, start_height + 1, ...). Raises ValidationError
    whose message names the first bad header (1-based line) and the rule it broke."""
    if not headers:
        raise LedgerError("no headers to verify")
    clock = int(time.time()) if now is None else now
    interval = params.retarget_interval
    times: list[int] = []
    work = 0
    prev: BlockHeader | None = None
    for offset, header in enumerate(headers):
        height = start_height + offset
        try:
            if height == 0 and header.hash != hex_to_hash(params.genesis_hash_hex):
                raise BadLink(f"height 0 is not the {params.name} genesis")
            validate_header(header, params)
            if prev is not None:
                first_time = 0
                if height % interval == 0:
                    first_height = height - interval
                    if first_height >= start_height:
                        first_time = headers[first_height - start_height].time
                    elif period_start is not None:
                        first_time = period_start.time
                    else:
                        raise LedgerError(
                            f"height {height} starts a difficulty period: pass --period-start "
                            f"with the header at height {first_height}"
                        )
                validate_header_context(
                    header, params, parent_hash=prev.hash,
                    expected_bits=required_bits(params, height, prev.bits, prev.time, first_time),
                    median_time=median_time_past(times), now=clock,
                )
        except ValidationError as exc:
            raise type(exc)(f"header {offset + 1} (height {height}): {exc}") from exc
        times = (times + [header.time])[-MEDIAN_TIME_SPAN:]
        work += bits_work(header.bits)
        prev = header
    assert prev is not None
    return HeaderRunReport(tip=prev, height=start_height + len(headers) - 1, work=work,
                           count=len(headers))


def read_header_file(text: str) -> list[BlockHeader]:
    """One hex header per line; blank lines and `#` comments are ignored."""
    headers = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            headers.append(BlockHeader.from_hex(line))
    return headers
