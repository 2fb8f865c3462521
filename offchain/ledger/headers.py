"""Checking a run of bare headers, e.g. real Bitcoin headers from a file (`verify-headers`).

Each header must meet its own target, name the previous header, carry the bits the
retargeting rule demands (at period boundaries the first header of the closing period
must be in the run or given as `period_start`), and have a time above the median of the
previous 11 in the run and not too far in the future, and carry at least the version the
soft forks demand at its height (BIP34, BIP66, BIP65). For a run starting mid-chain the
first header's own bits and link cannot be checked, and its first median windows are
shorter than 11 (as they are near Bitcoin's genesis).

A `period_start` header is checked as far as a lone header can be: its own proof of work
and version at its height, the same bits as the run's headers of its period, and the link
where the run starts right at or after it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from offchain.ledger.block import BlockHeader
from offchain.ledger.errors import BadLink, LedgerError, UnexpectedBits, ValidationError
from offchain.ledger.hashing import hex_to_hash
from offchain.ledger.params import ChainParams
from offchain.ledger.pow import bits_work
from offchain.ledger.validation import (
    MEDIAN_TIME_SPAN,
    median_time_past,
    required_bits,
    validate_header,
    validate_header_context,
    validate_timewarp,
    validate_version,
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
    if period_start is not None:
        check_period_start(params, headers, start_height, period_start)
    times: list[int] = []
    work = 0
    prev: BlockHeader | None = None
    for offset, header in enumerate(headers):
        height = start_height + offset
        try:
            if height == 0 and header.hash != hex_to_hash(params.genesis_hash_hex):
                raise BadLink(f"height 0 is not the {params.name} genesis")
            validate_header(header, params)
            validate_version(header, height, params)
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
                validate_timewarp(header, height, prev.time, params)
                validate_header_context(
                    header,
                    params,
                    parent_hash=prev.hash,
                    expected_bits=required_bits(params, height, prev.bits, prev.time, first_time),
                    median_time=median_time_past(times),
                    now=clock,
                )
        except ValidationError as exc:
            raise type(exc)(f"header {offset + 1} (height {height}): {exc}") from exc
        times = (times + [header.time])[-MEDIAN_TIME_SPAN:]
        work += bits_work(header.bits)
        prev = header
    assert prev is not None
    return HeaderRunReport(tip=prev, height=start_height + len(headers) - 1, work=work, count=len(headers))


def check_period_start(
    params: ChainParams, headers: Sequence[BlockHeader], start_height: int, period_start: BlockHeader
) -> None:
    """Check the header given for the first block of the period the run starts in."""
    height = start_height - start_height % params.retarget_interval
    try:
        validate_header(period_start, params)
        validate_version(period_start, height, params)
        if period_start.bits != headers[0].bits and start_height % params.retarget_interval:
            raise UnexpectedBits(
                f"bits {period_start.bits:#010x} differ from the run's {headers[0].bits:#010x} in the same period"
            )
        if start_height == height and period_start.hash != headers[0].hash:
            raise BadLink("the run starts at the period's first block but is not that header")
        if start_height == height + 1 and headers[0].prev_hash != period_start.hash:
            raise BadLink("the run's first header does not name it as its parent")
    except ValidationError as exc:
        raise type(exc)(f"--period-start header (height {height}): {exc}") from exc


def read_header_file(text: str) -> list[BlockHeader]:
    """One hex header per line; blank lines and `#` comments are ignored."""
    headers = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            headers.append(BlockHeader.from_hex(line))
    return headers
