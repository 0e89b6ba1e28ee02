"""The emulator refuses, as Athena (Trino) does, a UNION, EXCEPT or INTERSECT whose columns have no common type.

DuckDB finds one (a string equals a date there); Trino fails with TYPE_MISMATCH "column N in EXCEPT query has
incompatible types: varchar, date". Exit 2's ``matches`` compares Gold with a query by EXCEPT, so a Gold day kept
as a string matched locally (``lakehouse/emulator/sql/setops.py``). Healthy twins: columns Trino coerces.
"""

from __future__ import annotations

import pytest

from lakehouse.emulator.sql.setops import refuse_incompatible_set_operations
from lakehouse.reconcile import diff_sql
from tests.unit.type_refusals import type_mismatch

SCHEMA = {
    "gold": {"order_date": "VARCHAR", "country": "VARCHAR", "orders": "BIGINT", "revenue": "DECIMAL(12,2)"},
    "silver": {"order_date": "DATE", "country": "VARCHAR", "orders": "INTEGER", "revenue": "DOUBLE"},
    "flags": {"ok": "BOOLEAN", "at": "TIMESTAMP WITH TIME ZONE", "tags": "VARCHAR[]", "clock": "TIME", "raw": "BLOB"},
}


def _refusal(sql: str) -> str | None:
    return type_mismatch(refuse_incompatible_set_operations, sql, SCHEMA)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "SELECT order_date FROM gold EXCEPT SELECT order_date FROM silver",
            "line 1:29: column 1 in EXCEPT query has incompatible types: varchar, date",
        ),
        ("SELECT * FROM silver\nUNION ALL SELECT * FROM gold", "line 2:1: column 1 in UNION query has incompatible"),
        ("SELECT country, orders FROM silver INTERSECT SELECT country, country FROM gold", "column 2 in INTERSECT"),
        ("SELECT 'a' UNION ALL SELECT 1", "column 1 in UNION query has incompatible types: varchar(1), integer"),
        ("SELECT ok FROM flags UNION SELECT orders FROM gold", "incompatible types: boolean, bigint"),
        ("SELECT order_date FROM silver UNION SELECT clock FROM flags", "incompatible types: date, time(3)"),
        ("SELECT raw FROM flags EXCEPT SELECT country FROM gold", "incompatible types: varbinary, varchar"),
        ("SELECT tags FROM flags UNION ALL SELECT 'a'", "incompatible types: array(varchar), varchar(1)"),
        ("SELECT NULL UNION SELECT 1 UNION SELECT 'x'", "incompatible types: integer, varchar(1)"),
        (
            "SELECT * FROM gold WHERE country IN (SELECT country FROM silver EXCEPT SELECT orders FROM gold)",
            "column 1 in EXCEPT query has incompatible types: varchar, bigint",
        ),
        (  # the inner EXCEPT is analysed first, as in Trino
            "SELECT 'missing' AS side, * FROM (SELECT order_date FROM silver EXCEPT SELECT order_date FROM gold) "
            "UNION ALL SELECT 'unexpected' AS side, * FROM (SELECT order_date FROM gold)",
            "column 1 in EXCEPT query has incompatible types: date, varchar",
        ),
        (  # exit 2's comparison of a Gold day kept as text with a query stating a date
            diff_sql("gold", ["order_date", "country"], "SELECT DATE '2026-03-01' AS order_date, 'US' AS country"),
            "column 1 in EXCEPT query has incompatible types: date, varchar",
        ),
        (
            "INSERT INTO gold SELECT order_date, country, orders, revenue FROM silver "
            "UNION SELECT order_date, country, orders, revenue FROM gold",
            "column 1 in UNION query has incompatible types: date, varchar",
        ),
    ],
)
def test_set_operations_over_incompatible_columns_are_refused_with_trino_s_words(sql: str, message: str) -> None:
    assert message in str(_refusal(sql))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT country FROM gold UNION SELECT country FROM silver",  # varchar, varchar
        "SELECT orders FROM gold EXCEPT SELECT orders FROM silver",  # bigint, integer
        "SELECT revenue FROM gold INTERSECT SELECT revenue FROM silver",  # decimal, double
        "SELECT order_date FROM silver UNION ALL SELECT order_date FROM silver",  # date, date
        "SELECT order_date FROM silver UNION SELECT at FROM flags",  # date, timestamp: Trino coerces
        "SELECT NULL, country FROM gold UNION SELECT order_date, NULL FROM silver",  # NULL is Trino's unknown
        "SELECT CAST(order_date AS date) FROM gold EXCEPT SELECT order_date FROM silver",
        "SELECT 'a' UNION ALL SELECT 'abc' UNION ALL SELECT country FROM gold",
        "SELECT tags FROM flags UNION SELECT tags FROM flags",  # array(varchar), array(varchar)
        "SELECT tags FROM flags UNION SELECT ARRAY['a', NULL]",
        "SELECT clock FROM flags UNION SELECT TIME '10:00:00'",  # time(3), time(0)
        "SELECT some_function_sqlglot_does_not_know(order_date) FROM gold UNION SELECT order_date FROM silver",
        "SELECT * FROM gold UNION SELECT * FROM gold",
        diff_sql("gold", ["country", "orders"], "SELECT 'US' AS country, 1 AS orders"),
    ],
)
def test_set_operations_athena_runs_are_let_through(sql: str) -> None:
    assert _refusal(sql) is None
