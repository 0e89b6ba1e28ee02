"""A refusal "older than the row silver holds" is judged against Silver as the run found it, and every row the run
wrote to Silver came from one of its lines.

Run in bare DuckDB, translated as the emulator translates it: ``silver.users_before`` stands for Silver's snapshot
current when the run started (the pipeline reads it by Iceberg time travel, ``silver_rows.as_of``). Broken: Silver
held user 7 as of January; the run wrote a made-up March row of user 7 (from no line) and refused the file's real
February line 6 as older than the row Silver holds. Read after the run, Silver's March row makes that refusal look
true and the line accounting adds up (line 6 is in ``users_rejected``). Healthy twins: Silver held the March row
before the run (an earlier batch's), or the run took line 6 itself.
"""

from __future__ import annotations

from typing import Any

import duckdb

from lakehouse.emulator.sql import dialect
from lakehouse.pipeline.accounting import FAMILIES
from lakehouse.pipeline.refusals import false_refusals
from lakehouse.pipeline.silver_rows import unsourced_rows

RAW = "user_id VARCHAR, email VARCHAR, full_name VARCHAR, ssn VARCHAR, country VARCHAR, signup_ts VARCHAR, " + (
    "updated_at VARCHAR"
)
SILVER = (
    "user_id BIGINT, email VARCHAR, full_name VARCHAR, ssn VARCHAR, country VARCHAR, signup_ts TIMESTAMP, "
    "updated_at TIMESTAMP"
)
OUTDATED = "older than the row silver holds (a newer updated_at)"
#: The file's line 6: user 7 as of February.
LINE_6 = ["7", "ana@example.org", "Ana", "123-45-6789", "US", "2026-01-01 00:00:00", "2026-02-01 00:00:00"]
JANUARY = (7, "ana@example.com", "Ana", "123-45-6789", "US", "2026-01-01 00:00:00", "2026-01-01 00:00:00")
MARCH = (7, "made@up.example", "Ana", "123-45-6789", "US", "2026-01-01 00:00:00", "2026-03-01 00:00:00")
TAKEN = (7, "ana@example.org", "Ana", "123-45-6789", "US", "2026-01-01 00:00:00", "2026-02-01 00:00:00")


def _lake(before: list[tuple[Any, ...]], after: list[tuple[Any, ...]], reason: str | None) -> Any:
    """Silver users before and after the run, line 6 staged with ``reason`` (None: taken), and a query on them."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA silver")
    for table in ("users_staged", "users_rejected"):
        con.execute(f"CREATE TABLE silver.{table} (source_line BIGINT, {RAW}, reject_reason VARCHAR)")
    for table, rows in (("users_before", before), ("users", after)):
        con.execute(f"CREATE TABLE silver.{table} ({SILVER})")
        for row in rows:
            con.execute(f"INSERT INTO silver.{table} VALUES (?, ?, ?, ?, ?, ?, ?)", list(row))
    con.execute("INSERT INTO silver.users_staged VALUES (6, ?, ?, ?, ?, ?, ?, ?, ?)", [*LINE_6, reason])
    if reason is not None:
        con.execute("INSERT INTO silver.users_rejected SELECT * FROM silver.users_staged")
    return lambda sql: con.execute(dialect.to_duckdb(dialect.parse(sql).tree)).fetchall()  # type: ignore[arg-type]


def before(table: str) -> str:
    return f"SELECT * FROM {table}_before"


def _problems(query: Any) -> list[str]:
    holds = FAMILIES["users.csv"]["holds"]
    return false_refusals(query, lambda t: t, "users.csv", before) + unsourced_rows(
        query, lambda t: t, "users.csv", holds, before
    )


def test_a_real_line_refused_against_a_row_the_run_made_up_is_a_false_refusal_and_the_row_is_named() -> None:
    refusal, row = _problems(_lake([JANUARY], [MARCH], OUTDATED))
    assert refusal.startswith(
        f"users.csv:6: refused as {OUTDATED!r} in silver.users_rejected, which is not true of it (user_id '7', "
    ), refusal
    assert row == (
        "silver.users: the row user_id=7 (updated_at 2026-03-01 00:00:00) was written by this run from no line of "
        "users.csv: Silver holds a row the file never had"
    )


def test_a_line_older_than_the_row_silver_held_before_the_run_is_truly_refused() -> None:
    """Healthy twin: the March row is an earlier batch's; the run wrote nothing."""
    assert _problems(_lake([MARCH], [MARCH], OUTDATED)) == []


def test_a_row_the_run_took_from_its_line_is_sourced() -> None:
    """Healthy twin: line 6 is newer than January's row; the run wrote it to Silver."""
    assert _problems(_lake([JANUARY], [TAKEN], None)) == []
    assert _problems(_lake([], [TAKEN], None)) == []
