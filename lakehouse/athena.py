"""Athena through pyathena, the same way on both targets, with a record of every query.

A record holds what a reviewer needs to trust a result without re-running it: the SQL,
the query execution id, the columns and first rows, bytes scanned and times.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pyathena
from pyathena.connection import Connection
from pyathena.error import Error as PyAthenaError

from lakehouse.target import Target

#: pyathena polls once a second by default; the local engine answers in tens of milliseconds.
LOCAL_POLL_S = 0.05
AWS_POLL_S = 0.5
KEEP_ROWS = 20


def connect(target: Target, work_group: str, schema: str = "default", **kwargs: Any) -> Connection[Any]:
    """A pyathena connection to the stack's workgroup (results go where the workgroup says)."""
    params: dict[str, Any] = {
        "work_group": work_group,
        "region_name": target.region,
        "schema_name": schema,
        "poll_interval": LOCAL_POLL_S if target.is_local else AWS_POLL_S,
        "session": target.session(),
    }
    if target.is_local:
        params["endpoint_url"] = target.endpoint_url
    params.update(kwargs)
    return pyathena.connect(**params)


@dataclass
class QueryRecord:
    """One statement as it ran: the evidence shape ``details.queries`` entries use."""

    sql: str
    query_execution_id: str | None = None
    state: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    row_count: int | None = None
    update_count: int | None = None
    data_scanned_bytes: int | None = None
    engine_execution_ms: int | None = None
    total_execution_ms: int | None = None
    wall_ms: int | None = None
    error: str | None = None
    label: str | None = None
    #: True when Athena answered from a previous query's result (result reuse) instead of running it; else None.
    reused_previous_result: bool | None = None
    #: True when the query was started with result reuse enabled (GetQueryExecution's ``ResultReuseConfiguration``):
    #: Athena may answer it from a previous result; else None.
    result_reuse_enabled: bool | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


def run(
    conn: Connection[Any], sql: str, label: str | None = None, keep_rows: int = KEEP_ROWS
) -> tuple[QueryRecord, list[tuple[Any, ...]]]:
    """Run one statement; the record (first rows only) and all rows. Failures are recorded, not raised."""
    rows: list[tuple[Any, ...]] = []
    record = scan(conn, sql, lambda row: rows.append(tuple(row)), label=label, keep_rows=keep_rows)
    return record, rows if record.ok else []


def scan(
    conn: Connection[Any],
    sql: str,
    visit: Callable[[Sequence[Any]], None],
    label: str | None = None,
    keep_rows: int = KEEP_ROWS,
    max_rows: int | None = None,
) -> QueryRecord:
    """Run one statement and hand each row to ``visit`` as its result pages arrive, keeping none but the
    record's first rows: a whole table can be searched in bounded memory. Past ``max_rows`` the rest is
    not fetched and ``row_count`` stays ``max_rows + 1`` (the caller says it could not read it all)."""
    record = QueryRecord(sql=sql.strip(), label=label)
    cursor = conn.cursor()
    started = time.monotonic()
    try:
        cursor.execute(sql)
        if cursor.description:
            record.columns = [d[0] for d in cursor.description]
            count = 0
            for row in cursor:
                count += 1
                if max_rows is not None and count > max_rows:
                    break
                if count <= keep_rows:
                    record.rows.append(list(row))
                visit(row)
            record.row_count = count
        if cursor.rowcount is not None and cursor.rowcount >= 0:
            record.update_count = cursor.rowcount
    except PyAthenaError as err:
        record.error = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    finally:
        record.wall_ms = int((time.monotonic() - started) * 1000)
        record.query_execution_id = cursor.query_id
        record.state = cursor.state
        record.data_scanned_bytes = cursor.data_scanned_in_bytes
        record.engine_execution_ms = cursor.engine_execution_time_in_millis
        record.total_execution_ms = cursor.total_execution_time_in_millis
        record.reused_previous_result = True if getattr(cursor, "reused_previous_result", None) else None
        record.result_reuse_enabled = True if getattr(cursor, "result_reuse_enabled", None) else None
        if record.error is None and cursor.state == "FAILED":
            record.error = cursor.state_change_reason or "query failed"
    return record
