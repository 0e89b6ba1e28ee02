"""The accounting's one statement per file says what its separate statements said, healthy or broken.

The statements run in bare DuckDB translated as the emulator translates them, on small tables
shaped as the pipeline leaves them: healthy, then with a line missing, a line counted twice, a
line no file had, and a Bronze row whose line is not a number.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from lakehouse.emulator.sql import dialect
from lakehouse.pipeline.accounting import FAMILIES, account_sql, counts_sql, problems_sql, split_account
from lakehouse.pipeline.silver_rows import unsourced_rows_sql

FAMILY = FAMILIES["orders.csv"]


#: Silver held nothing before the run: every row it holds was written by it.
EMPTY_BEFORE = "SELECT * FROM {} WHERE false".format


def _name(table: str) -> str:
    return table  # the layers are DuckDB schemas here


def _query(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(dialect.to_duckdb(dialect.parse(sql).tree)).fetchall()  # type: ignore[arg-type]


def _insert(con: duckdb.DuckDBPyConnection, sql: str, rows: list[list[Any]]) -> None:
    if rows:
        con.executemany(sql, rows)


def _lake(bronze: list[str], staged: list[tuple[int, str | None]], silver: list[int], rejected: list[int]) -> Any:
    """Bronze lines, staged (line, reason), Silver order ids (= their line), rejected lines."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA bronze; CREATE SCHEMA silver")
    con.execute(
        "CREATE TABLE bronze.orders_csv (order_id VARCHAR, user_id VARCHAR, order_ts VARCHAR, amount VARCHAR, "
        "status VARCHAR, source_line VARCHAR)"
    )
    _insert(  # each line's values as staging copies them (order_id = the line)
        con,
        "INSERT INTO bronze.orders_csv VALUES (?, '1', '2026-01-01 00:00:00', '1.00', 'placed', ?)",
        [[b, b] for b in bronze],
    )
    con.execute(
        "CREATE TABLE silver.orders_staged (source_line BIGINT, order_id VARCHAR, user_id VARCHAR, "
        "order_ts VARCHAR, amount VARCHAR, status VARCHAR, reject_reason VARCHAR)"
    )
    _insert(
        con,
        "INSERT INTO silver.orders_staged VALUES (?, ?, '1', '2026-01-01 00:00:00', '1.00', 'placed', ?)",
        [[line, str(line), reason] for line, reason in staged],
    )
    con.execute(
        "CREATE TABLE silver.orders (order_id BIGINT, user_id BIGINT, order_ts TIMESTAMP, amount DECIMAL(10,2), "
        "status VARCHAR)"
    )
    _insert(
        con,
        "INSERT INTO silver.orders VALUES (?, 1, TIMESTAMP '2026-01-01 00:00:00', 1.00, 'placed')",
        [[i] for i in silver],
    )
    con.execute(
        "CREATE TABLE silver.orders_rejected (source_line BIGINT, order_id VARCHAR, user_id VARCHAR, "
        "order_ts VARCHAR, amount VARCHAR, status VARCHAR, reject_reason VARCHAR)"
    )
    _insert(
        con,
        "INSERT INTO silver.orders_rejected VALUES "
        "(?, ?, '1', '2026-01-01 00:00:00', '1.00', 'placed', 'amount malformed')",
        [[r, str(r)] for r in rejected],
    )
    return con


CASES: dict[str, tuple[list[str], list[tuple[int, str | None]], list[int], list[int]]] = {
    "healthy": (["2", "3", "4"], [(2, None), (3, None), (4, "amount malformed")], [2, 3], [4]),
    "a line missing": (["2", "3", "4"], [(2, None), (3, None), (4, "amount malformed")], [2], [4]),
    "a line counted twice": (["2", "3"], [(2, None), (3, None)], [2, 3], [3]),
    "a line no file had": (["2"], [(2, None)], [2], [9]),
    "a bronze line not a number": (["2", "x"], [(2, None)], [2], []),
    "a silver row from no line": (["2"], [(2, None)], [2, 5], []),
    "nothing": ([], [], [], []),
}


@pytest.mark.parametrize("case", CASES)
def test_one_statement_says_what_the_two_said(case: str) -> None:
    con = _lake(*CASES[case])
    counts, problems, unsourced = split_account(_query(con, account_sql("orders.csv", _name, EMPTY_BEFORE)))
    two_counts = _query(con, counts_sql(FAMILY, _name))
    two_problems = _query(con, problems_sql(FAMILY, _name))
    assert sorted(counts, key=repr) == sorted(two_counts, key=repr)
    assert problems == two_problems
    assert unsourced == _query(con, unsourced_rows_sql("orders.csv", FAMILY["holds"], _name, EMPTY_BEFORE))
    if case != "healthy" and case != "nothing":
        assert problems or unsourced, "a broken case names its lines or rows"
