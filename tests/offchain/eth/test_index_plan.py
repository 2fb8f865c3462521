"""A page's reads through the event index cost what it shows, not the history (issue 25): the
queries by a job's id (first topic) and by an account (first or second topic) use an index of
the store, never a scan of every stored log."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from offchain.eth.index_sqlite import SqliteIndexStore

MARKET = "0x" + "11" * 20
ACCOUNT_TOPIC = "0x" + "00" * 12 + "22" * 20
JOB_TOPIC = "0x" + "00" * 31 + "07"
EVENTS = ["0x" + "aa" * 32, "0x" + "bb" * 32]  # a page of jobs asks for some kinds of event


class RecordingStore(SqliteIndexStore):
    """Keeps the last read statement, to ask SQLite how it would run it."""

    last: tuple[str, Sequence[Any]] = ("", ())

    def _run(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if sql.startswith("SELECT log FROM logs"):
            self.last = (sql, args)
        return super()._run(sql, args)


@pytest.mark.parametrize(
    "topics",
    [
        [None, JOB_TOPIC],
        [None, ACCOUNT_TOPIC],
        [None, None, ACCOUNT_TOPIC],
        [EVENTS, [JOB_TOPIC, JOB_TOPIC[:-1] + "8"]],
    ],
    ids=["job", "account", "job-account", "page-of-jobs"],
)
def test_a_query_by_job_or_account_uses_an_index(tmp_path: Path, topics: list[Any]) -> None:
    store = RecordingStore(tmp_path / "index.sqlite")
    store.follow(1337, [MARKET], 1)

    store.logs([MARKET], topics, 1, 10**9)
    sql, args = store.last
    plan = " ".join(str(row[-1]) for row in store._run(f"EXPLAIN QUERY PLAN {sql}", args))

    assert "USING INDEX logs_by_topic" in plan, plan
    store.close()
