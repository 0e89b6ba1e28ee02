"""The emulator refuses, as Athena (Trino) does, a comparison of two types with no common type: TYPE_MISMATCH.

A varchar against a date, number or boolean; a date against a time; a varbinary against a varchar; an array, map
or row against a scalar. Each type is named as Trino names it (a string literal is ``varchar(n)``, a Hive
``varchar(3)`` column keeps its bound). Typed from the tables' columns as DuckDB holds them; a comparison sqlglot
cannot type is let through.
"""

from __future__ import annotations

import pytest

from lakehouse.emulator.sql.comparisons import refuse_mismatched_comparisons
from lakehouse.emulator.sql.typed import athena_columns
from tests.unit.type_refusals import type_mismatch

SCHEMA = {
    "gold": {"order_date": "VARCHAR", "country": "VARCHAR", "orders": "BIGINT", "revenue": "DECIMAL(12,2)"},
    "silver": {"order_date": "DATE", "country": "VARCHAR", "status": "VARCHAR", "order_ts": "TIMESTAMP"},
    "kinds": athena_columns(
        {"at": "TIME", "raw": "BLOB", "tags": "VARCHAR[]", "attrs": "MAP(VARCHAR, INTEGER)", "pt": "STRUCT(x INTEGER)"},
        "iceberg",
    ),
    "codes": athena_columns({"code": "VARCHAR", "n": "INTEGER"}, "hive", [("code", "varchar(3)"), ("n", "int")]),
}


def _refusal(sql: str) -> str | None:
    return type_mismatch(refuse_mismatched_comparisons, sql, SCHEMA, untyped_ok="some_function" in sql)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM gold WHERE order_date = DATE '2026-03-01'", "line 1:26: Cannot apply operator: varchar = date"),
        ("SELECT * FROM gold g JOIN silver s ON g.order_date = s.order_date", "Cannot apply operator: varchar = date"),
        ("SELECT * FROM gold WHERE orders = '1'", "Cannot apply operator: bigint = varchar(1)"),
        ("SELECT * FROM gold WHERE revenue >= '1.5'", "Cannot apply operator: decimal(12,2) >= varchar(3)"),
        (
            "SELECT * FROM silver WHERE order_ts BETWEEN '2026-01-01' AND DATE '2026-02-01'",
            "Cannot check if timestamp(3) is BETWEEN varchar(10) and date",
        ),
        (
            "SELECT * FROM gold WHERE order_date IN (SELECT order_date FROM silver)",
            "value and result of subquery must be of the same type for IN expression: varchar vs date",
        ),
        (
            "SELECT * FROM gold WHERE orders IN (1, '2')",
            "line 1:40: IN value and list items must be the same type: bigint",
        ),
        ("SELECT * FROM silver, kinds WHERE order_date = at", "Cannot apply operator: date = time(6)"),
        ("SELECT * FROM silver WHERE order_ts > TIME '10:00:00'", "Cannot apply operator: timestamp(3) > time(0)"),
        ("SELECT * FROM kinds WHERE raw = 'abc'", "Cannot apply operator: varbinary = varchar(3)"),
        ("SELECT * FROM kinds WHERE raw = X'00' OR raw = to_utf8('a') OR tags = 'a'", "array(varchar) = varchar(1)"),
        ("SELECT * FROM kinds WHERE attrs <> 1", "Cannot apply operator: map(varchar, integer) <> integer"),
        ("SELECT * FROM kinds WHERE pt = 1", "Cannot apply operator: row(x integer) = integer"),
        ("SELECT * FROM kinds WHERE tags = ARRAY[1]", "Cannot apply operator: array(varchar) = array(integer)"),
        ("SELECT * FROM codes WHERE code = 1", "line 1:27: Cannot apply operator: varchar(3) = integer"),
        ("SELECT * FROM codes WHERE n = true", "Cannot apply operator: integer = boolean"),
        (
            "MERGE INTO gold t USING (SELECT order_date, country FROM silver) s "
            "ON t.order_date = s.order_date WHEN MATCHED THEN UPDATE SET orders = 1",
            "Cannot apply operator: varchar = date",
        ),
        ("DELETE FROM gold WHERE order_date < DATE '2026-01-01'", "Cannot apply operator: varchar < date"),
        ("UPDATE gold SET orders = 1 WHERE orders = '2'", "Cannot apply operator: bigint = varchar"),
    ],
)
def test_mismatched_comparisons_are_refused_with_trino_s_words(sql: str, message: str) -> None:
    assert message in str(_refusal(sql))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM silver WHERE order_date = DATE '2026-03-01' AND country = 'US'",
        "SELECT * FROM gold g JOIN silver s ON CAST(g.order_date AS date) = s.order_date",
        "SELECT * FROM gold WHERE orders > 1 AND revenue < 2.5",
        "SELECT * FROM silver WHERE order_date < order_ts",  # date and timestamp: Trino coerces
        "WITH d AS (SELECT CAST(order_date AS date) AS day FROM gold) SELECT * FROM d WHERE day = DATE '2026-03-01'",
        "SELECT * FROM gold WHERE concat(CAST(orders AS varchar), '|', country) NOT IN (SELECT country FROM silver)",
        "SELECT * FROM gold WHERE some_function_sqlglot_does_not_know(order_date) = DATE '2026-03-01'",
        "INSERT INTO gold SELECT CAST(order_date AS varchar), country, 1, 2 FROM silver",
        "SELECT * FROM kinds WHERE at < TIME '10:00:00' AND raw = X'00' AND cardinality(tags) > 0",
        "SELECT * FROM kinds WHERE tags = ARRAY['a'] AND contains(tags, 'a') AND pt.x = 1 AND attrs['k'] = 1",
        "SELECT * FROM codes WHERE code = 'abcd' AND code IN ('a', 'bb') AND n IN (1, 2.5, NULL)",
        "SELECT * FROM silver WHERE order_ts > DATE '2026-01-01' AND order_date BETWEEN order_ts AND current_timestamp",
    ],
)
def test_comparisons_athena_runs_are_let_through(sql: str) -> None:
    assert _refusal(sql) is None
