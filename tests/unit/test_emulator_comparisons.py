"""The emulator refuses, as Athena (Trino) does, a varchar compared with a date, number or boolean: TYPE_MISMATCH.

Typed from the tables' columns as DuckDB holds them; a comparison sqlglot cannot type is let through.
"""

from __future__ import annotations

import pytest
import sqlglot

from lakehouse.emulator.sql.comparisons import refuse_mismatched_comparisons
from lakehouse.emulator.sql.errors import AthenaError
from lakehouse.emulator.sql.typed import annotate

SCHEMA = {
    "gold": {"order_date": "VARCHAR", "country": "VARCHAR", "orders": "BIGINT", "revenue": "DECIMAL(12,2)"},
    "silver": {"order_date": "DATE", "country": "VARCHAR", "status": "VARCHAR", "order_ts": "TIMESTAMP"},
}


def _refusal(sql: str) -> str | None:
    try:
        typed = annotate(sqlglot.parse_one(sql, read="trino"), SCHEMA)
        assert typed is not None or "some_function" in sql, sql
        if typed is not None:
            refuse_mismatched_comparisons(sql, typed)
    except AthenaError as err:
        assert err.name == "TYPE_MISMATCH"
        return str(err)
    return None


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM gold WHERE order_date = DATE '2026-03-01'", "line 1:26: Cannot apply operator: varchar = date"),
        ("SELECT * FROM gold g JOIN silver s ON g.order_date = s.order_date", "Cannot apply operator: varchar = date"),
        ("SELECT * FROM gold WHERE orders = '1'", "Cannot apply operator: bigint = varchar"),
        ("SELECT * FROM gold WHERE revenue >= '1.5'", "Cannot apply operator: decimal(12,2) >= varchar"),
        ("SELECT * FROM silver WHERE order_ts BETWEEN '2026-01-01' AND '2026-02-01'", "is BETWEEN varchar"),
        ("SELECT * FROM gold WHERE order_date IN (SELECT order_date FROM silver)", "varchar vs date"),
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
    ],
)
def test_comparisons_athena_runs_are_let_through(sql: str) -> None:
    assert _refusal(sql) is None
