"""The emulator refuses, as Athena (Trino) does, an INSERT, MERGE or UPDATE writing a value whose type has no common
type with its column's: TYPE_MISMATCH, every column's type named as Trino names it.

DuckDB casts the value to the column (a date into a varchar column becomes its text, '12' into a bigint column 12);
Trino's ``typesMatchForInsert`` lets a value in only when ``TypeCoercion.isCompatible`` holds
(``lakehouse/emulator/sql/assignments.py``). Healthy twins: the writes Trino coerces (integer into bigint,
timestamp into date, a cast to the column's type, NULL) and a value sqlglot cannot type still run.
"""

from __future__ import annotations

import pytest
import sqlglot

from lakehouse.emulator.sql.assignments import refuse_mismatched_writes
from lakehouse.emulator.sql.errors import AthenaError
from lakehouse.emulator.sql.typed import athena_columns

SCHEMA = {
    "gold": {"order_date": "VARCHAR", "country": "VARCHAR", "orders": "BIGINT", "revenue": "DECIMAL(12,2)"},
    "silver": athena_columns(
        {"order_date": "DATE", "country": "VARCHAR", "orders": "INTEGER", "order_ts": "TIMESTAMP"}, "iceberg"
    ),
    "codes": athena_columns({"code": "VARCHAR", "raw": "BLOB"}, "hive", [("code", "varchar(3)"), ("raw", "binary")]),
}


def _refusal(sql: str) -> str | None:
    try:
        refuse_mismatched_writes(sql, sqlglot.parse_one(sql, read="trino"), SCHEMA)
    except AthenaError as err:
        assert err.name == "TYPE_MISMATCH"
        return str(err)
    return None


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (  # the brief's case: a date into a varchar column
            "INSERT INTO gold (order_date) SELECT order_date FROM silver",
            "line 1:1: Insert query has mismatched column types: Table: [varchar], Query: [date]",
        ),
        (
            "INSERT INTO gold (orders) VALUES ('12')",
            "Insert query has mismatched column types: Table: [bigint], Query: [varchar(2)]",
        ),
        (
            "INSERT INTO gold SELECT order_date, country, orders, 1.5 FROM silver",
            "Table: [varchar, varchar, bigint, decimal(12,2)], Query: [date, varchar, integer, decimal(2,1)]",
        ),
        (  # a different number of values: Trino's same words
            "INSERT INTO gold VALUES ('a', 'b', 1)",
            "Table: [varchar, varchar, bigint, decimal(12,2)], Query: [varchar(1), varchar(1), integer]",
        ),
        (
            "INSERT INTO silver (order_ts) SELECT order_date FROM gold",
            "Table: [timestamp(6)], Query: [varchar]",
        ),
        ("INSERT INTO codes (code) SELECT raw FROM codes", "Table: [varchar(3)], Query: [varbinary]"),
        (
            "MERGE INTO gold t USING silver s ON t.country = s.country\n"
            "WHEN MATCHED THEN UPDATE SET orders = s.orders, order_date = s.order_date\n"
            "  WHEN NOT MATCHED THEN INSERT (country) VALUES (s.country)",
            "line 2:1: MERGE table column types don't match for MERGE case 0, SET expressions: "
            "Table: [bigint, varchar], Expressions: [integer, date]",
        ),
        (
            "MERGE INTO gold t USING silver s ON t.country = s.country WHEN MATCHED THEN DELETE "
            "WHEN NOT MATCHED THEN INSERT (order_date, country) VALUES (s.order_date, s.country)",
            "line 1:84: MERGE table column types don't match for MERGE case 1, SET expressions: "
            "Table: [varchar, varchar], Expressions: [date, varchar]",
        ),
        (
            "UPDATE gold SET orders = country WHERE orders = 1",
            "line 1:1: UPDATE table column types don't match SET expressions: Table: [bigint], Expressions: [varchar]",
        ),
    ],
)
def test_writes_trino_cannot_coerce_are_refused_with_trino_s_words(sql: str, message: str) -> None:
    assert message in str(_refusal(sql))


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO gold SELECT CAST(order_date AS varchar), country, orders, orders FROM silver",
        "INSERT INTO gold (order_date, orders, revenue) VALUES ('2026-03-01', 1, 2.5), (NULL, NULL, NULL)",
        "INSERT INTO silver (order_date) SELECT order_ts FROM silver",  # timestamp into date: compatible
        "INSERT INTO silver (order_ts) SELECT order_date FROM silver",  # date into timestamp
        "INSERT INTO codes SELECT country, CAST(NULL AS varbinary) FROM gold",  # varchar into varchar(3)
        "INSERT INTO gold (order_date) SELECT some_function_sqlglot_does_not_know(order_date) FROM silver",
        "INSERT INTO gold SELECT * FROM gold",
        "MERGE INTO gold t USING silver s ON t.country = s.country "
        "WHEN MATCHED AND s.orders > 1 THEN UPDATE SET orders = s.orders, order_date = CAST(s.order_date AS varchar) "
        "WHEN MATCHED THEN DELETE "
        "WHEN NOT MATCHED THEN INSERT (order_date, country, orders) "
        "VALUES (CAST(s.order_date AS varchar), s.country, 1)",
        "UPDATE gold SET orders = 2, revenue = 1.25, order_date = 'x'",
    ],
)
def test_writes_athena_runs_are_let_through(sql: str) -> None:
    assert _refusal(sql) is None
