"""The emulator refuses, as Athena (Trino) does, a VALUES list whose rows have no common type.

DuckDB casts one row to the other's type (``VALUES (1), ('2')`` is two integers there; an INSERT of ``('a'), (1)``
into a varchar column stores the text '1'); Trino's ``StatementAnalyzer.visitValues`` fails with TYPE_MISMATCH
"Values rows have mismatched types: row(integer) vs row(varchar(1))" (``lakehouse/emulator/sql/values.py``).
Healthy twins: rows Trino coerces to a common type.
"""

from __future__ import annotations

import pytest
import sqlglot

from lakehouse.emulator.sql.engine import Engine
from lakehouse.emulator.sql.errors import AthenaError
from lakehouse.emulator.sql.values import has_values, refuse_mismatched_values
from tests.unit.type_refusals import type_mismatch

SCHEMA = {"gold": {"order_date": "VARCHAR", "orders": "BIGINT"}}


def _refusal(sql: str) -> str | None:
    return type_mismatch(refuse_mismatched_values, sql, SCHEMA, dialect="athena")


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "SELECT * FROM (VALUES (1), ('2')) AS v(x)",
            "line 1:16: Values rows have mismatched types: row(integer) vs row(varchar(1))",
        ),
        (
            "INSERT INTO gold (order_date) VALUES ('2026-03-01'), (1)",
            "line 1:31: Values rows have mismatched types: row(varchar(10)) vs row(integer)",
        ),
        (  # the first row and the row that does not fit are named, not the common type so far
            "SELECT * FROM (VALUES (1, 'a'), (2.5, 'b'), (3, DATE '2026-03-01')) AS v(x, y)",
            "mismatched types: row(integer, varchar(1)) vs row(integer, date)",
        ),
        (  # NULL folds into the next row's type, which the third row does not fit
            "SELECT * FROM (VALUES (NULL), (true), (1)) AS v(x)",
            "mismatched types: row(unknown) vs row(integer)",
        ),
        (
            "SELECT *\nFROM (\n  values (1, 2), (3)) AS v(x, y)",
            "line 3:3: Values rows have mismatched sizes: 2 vs 1",
        ),
        (
            "MERGE INTO gold g USING (VALUES ('2026-03-01', 1), (DATE '2026-03-02', 2)) AS s(d, n) "
            "ON g.orders = s.n WHEN MATCHED THEN DELETE",
            "mismatched types: row(varchar(10), integer) vs row(date, integer)",
        ),
    ],
)
def test_values_rows_without_a_common_type_are_refused_with_trino_s_words(sql: str, message: str) -> None:
    assert message in str(_refusal(sql))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM (VALUES (1, 'a'), (2.5, 'bc')) AS v(x, y)",  # decimal(11,1), varchar(2)
        "SELECT * FROM (VALUES (NULL), (1), (CAST(2 AS bigint))) AS v(x)",
        "SELECT * FROM (VALUES (DATE '2026-03-01'), (TIMESTAMP '2026-03-01 10:00:00')) AS v(x)",
        "INSERT INTO gold VALUES ('2026-03-01', 1), ('2026-03-02', NULL)",
        "SELECT * FROM (VALUES (1), (json_parse('2'))) AS v(x)",  # a type these rules do not judge: let through
        "SELECT * FROM (VALUES ('only one row')) AS v(x)",
    ],
)
def test_values_rows_trino_coerces_are_let_through(sql: str) -> None:
    assert _refusal(sql) is None


def test_only_a_list_of_two_rows_or_more_is_typed_at_all() -> None:
    assert not has_values(sqlglot.parse_one("SELECT * FROM (VALUES (1)) AS v(x)", read="athena"))
    assert has_values(sqlglot.parse_one("INSERT INTO gold VALUES ('a', 1), ('b', 2)", read="athena"))


def test_a_bare_values_list_runs_as_athena_s_query_with_its_columns_named_col_n() -> None:
    """``VALUES ...`` alone is a query in Trino's grammar; the emulator called it an unsupported statement."""
    outcome = Engine(None).execute("VALUES (1, 'a'), (2.5, 'b')")  # type: ignore[arg-type]  # reads no table
    assert [(c.name, c.type, c.precision, c.scale) for c in outcome.columns] == [
        ("_col0", "decimal", 11, 1),
        ("_col1", "varchar", 2147483647, 0),
    ]
    assert outcome.rows == [["1.0", "a"], ["2.5", "b"]]
    with pytest.raises(AthenaError) as err:
        Engine(None).execute("VALUES (1), ('a')")  # type: ignore[arg-type]
    assert (
        str(err.value) == "TYPE_MISMATCH: line 1:1: Values rows have mismatched types: row(integer) vs row(varchar(1))"
    )
