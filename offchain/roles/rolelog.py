"""One log line per state transition of a role, for people or (with --json) for machines."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO


class RoleLog:
    def __init__(self, role: str, as_json: bool = False, stream: TextIO | None = None) -> None:
        self.role = role
        self.as_json = as_json
        self.stream = stream or sys.stdout

    def __call__(self, event: str, job: int | None = None, **fields: Any) -> None:
        if self.as_json:
            record = {"ts": round(time.time(), 3), "role": self.role, "event": event}
            if job is not None:
                record["job"] = job
            record.update(fields)
            line = json.dumps(record, default=str)
        else:
            where = f" job {job}" if job is not None else ""
            detail = " ".join(f"{k}={v}" for k, v in fields.items())
            line = f"{time.strftime('%H:%M:%S')} {self.role}{where}: {event}{' ' + detail if detail else ''}"
        print(line, file=self.stream, flush=True)
