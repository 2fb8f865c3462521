"""One log line per state transition of a role, for people or (with --json) for machines."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

# Fields that hold wei: shown as ETH to people, kept in wei for machines (--json).
AMOUNT_FIELDS = frozenset({"amount", "bond", "min_bond", "paid", "reward", "slashed", "stake", "withdrawn"})


class RoleLog:
    def __init__(self, role: str, as_json: bool = False, stream: TextIO | None = None) -> None:
        self.role = role
        self.as_json = as_json
        self.stream = stream or sys.stdout

    def __call__(self, event: str, job: int | None = None, **fields: Any) -> None:
        self._write("info", event, job, fields)

    def warn(self, event: str, job: int | None = None, **fields: Any) -> None:
        """What costs the operator money or work (a slash, a missed window): marked to stand out."""
        self._write("warning", event, job, fields)

    def _write(self, level: str, event: str, job: int | None, fields: dict[str, Any]) -> None:
        if self.as_json:
            record = {"ts": round(time.time(), 3), "role": self.role, "event": event}
            if level != "info":
                record["level"] = level
            if job is not None:
                record["job"] = job
            record.update(fields)
            line = json.dumps(record, default=str)
        else:
            where = f" job {job}" if job is not None else ""
            detail = " ".join(f"{k}={_shown(k, v)}" for k, v in fields.items())
            mark = "WARNING " if level == "warning" else ""
            line = f"{time.strftime('%H:%M:%S')} {mark}{self.role}{where}: {event}{' ' + detail if detail else ''}"
        print(line, file=self.stream, flush=True)


def _shown(name: str, value: Any) -> Any:
    from offchain.eth.values import format_eth

    return format_eth(value).replace(" ", "") if name in AMOUNT_FIELDS and isinstance(value, int) else value
