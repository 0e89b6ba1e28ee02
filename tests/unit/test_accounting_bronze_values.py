"""A line is placed in Silver or a rejected table only with the values Bronze holds for it.

The accounting matched each Silver row against the *staging* table's copy of its line, and the refusals read
the *rejected* table's copy: both are the pipeline's own tables. A Silver staging that shifts ``order_ts`` by five
hours (orders after 19:00 move to the next day in Gold's daily revenue; the demo's 14:47 order stays on
2026-03-01) kept Silver equal to staging, and a rejected copy with ``amount`` made negative made a good line's
``amount negative`` true. Both added up. The tables here run in bare DuckDB, translated as the emulator does.
"""

from __future__ import annotations

from typing import Any

import duckdb

from lakehouse.emulator.sql import dialect
from lakehouse.pipeline.accounting import account_lines

#: orders.csv's data lines as landed: line -> (order_id, user_id, order_ts, amount, status).
LINES = {
    2: ("1", "6", "2026-02-15 04:38:00", "53.80", "completed"),
    3: ("2", "9", "2026-02-06 21:24:00", "361.08", "shipped"),
}


def _query(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(dialect.to_duckdb(dialect.parse(sql).tree)).fetchall()  # type: ignore[arg-type]


def _lake(staged: dict[int, tuple[str, ...]], rejected: dict[int, tuple[str, ...]], reason: str = "") -> Any:
    """Bronze holds ``LINES``; staging the lines as ``staged`` and ``rejected`` say (rejected ones with ``reason``);
    Silver the typed values of the staged lines not rejected, as the pipeline's MERGE takes them from staging."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA bronze; CREATE SCHEMA silver")
    con.execute(
        "CREATE TABLE bronze.orders_csv (order_id VARCHAR, user_id VARCHAR, order_ts VARCHAR, amount VARCHAR, "
        "status VARCHAR, source_line VARCHAR)"
    )
    con.executemany("INSERT INTO bronze.orders_csv VALUES (?, ?, ?, ?, ?, ?)", [[*v, str(k)] for k, v in LINES.items()])
    raw = "source_file VARCHAR, source_line BIGINT, order_id VARCHAR, user_id VARCHAR, order_ts VARCHAR, "
    raw += "amount VARCHAR, status VARCHAR, reject_reason VARCHAR"
    con.execute(f"CREATE TABLE silver.orders_staged ({raw})")
    con.execute(f"CREATE TABLE silver.orders_rejected ({raw})")
    rows = [["orders.csv", k, *v, None] for k, v in staged.items()] + [
        ["orders.csv", k, *v, reason] for k, v in rejected.items()
    ]
    con.executemany("INSERT INTO silver.orders_staged VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("INSERT INTO silver.orders_rejected SELECT * FROM silver.orders_staged WHERE reject_reason IS NOT NULL")
    con.execute(
        "CREATE TABLE silver.orders AS SELECT CAST(order_id AS BIGINT) AS order_id, "
        "CAST(user_id AS BIGINT) AS user_id, "
        "CAST(order_ts AS TIMESTAMP) AS order_ts, CAST(amount AS DECIMAL(10, 2)) AS amount, status "
        "FROM silver.orders_staged WHERE reject_reason IS NULL"
    )
    con.execute("CREATE TABLE silver.users AS SELECT * FROM (VALUES (6::BIGINT), (9::BIGINT)) t(user_id)")
    return con


def _problems(con: duckdb.DuckDBPyConnection) -> list[str]:
    [account] = account_lines(
        lambda sql: _query(con, sql),
        lambda t: t,
        [("orders.csv", list(LINES))],
        {},
        "SELECT * FROM {} WHERE false".format,
    )
    return account.problems


def test_lines_staged_and_refused_as_bronze_holds_them_add_up() -> None:
    assert _problems(_lake(dict(LINES), {})) == []


def test_a_staging_that_shifts_order_ts_is_not_the_line_in_silver() -> None:
    shifted = {**LINES, 3: ("2", "9", "2026-02-07 02:24:00", "361.08", "shipped")}  # +5 h: the next day
    problems = _problems(_lake(shifted, {}))
    assert problems == [
        "orders.csv:3: in silver (values not as Bronze holds the line): the pipeline's copy of the line is not the "
        "line it read"
    ]


def test_a_refused_copy_whose_values_are_not_bronze_s_does_not_place_the_line() -> None:
    made_negative = {2: ("1", "6", "2026-02-15 04:38:00", "-53.80", "completed")}
    problems = _problems(_lake({3: LINES[3]}, made_negative, "amount negative"))
    assert problems[:1] == [
        "orders.csv:2: in rejected (values not as Bronze holds the line): the pipeline's copy of the line is not the "
        "line it read"
    ]


def test_a_healthy_refusal_with_bronze_s_values_is_placed() -> None:
    """Healthy twin: a line refused as Bronze holds it (a made-up reason aside) is the rejected table's."""
    bad = {2: ("1", "6", "2026-02-15 04:38:00", "53.80", "completed")}
    problems = _problems(_lake({3: LINES[3]}, bad, "amount negative"))
    assert all("missing" not in p for p in problems), problems
    assert any("refused as 'amount negative'" in p for p in problems), problems  # the reason is judged on Bronze's
