"""NaN in the emulator's Athena answers as Athena's Trino does, where DuckDB orders it above every number.

Trino compares doubles as IEEE 754 (``NaN = NaN`` and ``NaN > 1`` are false, ``NaN <> NaN`` true), its ``max``
skips NaN unless every value is NaN, and ``NULLS FIRST`` puts NaN right after the NULLs ascending and last
descending; ``nan()``, ``infinity()``, ``is_finite()`` and ``is_infinite()`` are Trino functions
(``lakehouse/emulator/sql/floats.py``). A Lake Formation row filter ``x > 1`` on a double column, which the emulator
runs in DuckDB (``restrict.cells_select``), drops the NaN rows as Athena does. Healthy twins: integer and string
comparisons are left as they are; NULL stays NULL under three-valued logic.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest
import sqlglot

from lakehouse.emulator.sql import dialect
from lakehouse.emulator.sql.access import Cells
from lakehouse.emulator.sql.engine import Engine
from lakehouse.emulator.sql.restrict import cells_select
from lakehouse.emulator.sql.typed import annotate

NAN = "CAST('NaN' AS DOUBLE)"
#: i, x (double), y (double): a NaN, a number, a NULL, and a NaN beside a NULL.
ROWS = (
    f"(VALUES (1, {NAN}, 1E0), (2, 1.5E0, 2E0), (3, CAST(NULL AS DOUBLE), 1E0), (4, {NAN}, CAST(NULL AS DOUBLE)))"
    " AS v(i, x, y)"
)


def _rows(sql: str) -> list[list[str | None]]:
    return Engine(None).execute(sql).rows  # type: ignore[arg-type]  # reads no catalog table


def test_comparisons_with_nan_are_false_and_not_equal_is_true() -> None:
    """Per row: x = x, x > 1, x >= x, x < 2, x <> x, x BETWEEN 0 AND 2, and x = y / NOT (x > y) (NULL beside NaN)."""
    rows = _rows(
        f"SELECT i, x = x, x > 1, x >= x, x < 2, x <> x, x BETWEEN 0 AND 2, x = y, NOT (x > y) FROM {ROWS} ORDER BY i"
    )
    assert rows == [
        ["1", "false", "false", "false", "false", "true", "false", "false", "true"],
        ["2", "true", "true", "true", "true", "false", "true", "false", "true"],
        ["3", None, None, None, None, None, None, None, None],
        ["4", "false", "false", "false", "false", "true", "false", None, None],
    ]


def test_a_filter_on_a_double_drops_nan_rows() -> None:
    assert _rows(f"SELECT count(*) FROM {ROWS} WHERE x > 1") == [["1"]]
    assert _rows(f"SELECT count(*) FROM {ROWS} WHERE x BETWEEN 1 AND infinity()") == [["1"]]
    assert _rows("SELECT nan() = nan(), nan() > 1, nan() <> nan()") == [["false", "false", "true"]]
    assert _rows(f"SELECT count(*) FROM {ROWS} WHERE x <> 1.5E0") == [["2"]]  # NaN <> 1.5 holds


def test_max_skips_nan_unless_every_value_is_nan() -> None:
    assert _rows(f"SELECT max(x), min(x) FROM {ROWS}") == [["1.5", "1.5"]]
    assert _rows(f"SELECT max(x), min(x) FROM (VALUES {NAN}, CAST(NULL AS DOUBLE)) AS v(x)") == [["NaN", "NaN"]]
    assert _rows(f"SELECT i, max(x) OVER () FROM {ROWS} ORDER BY i") == [
        ["1", "1.5"],
        ["2", "1.5"],
        ["3", "1.5"],
        ["4", "1.5"],
    ]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("x NULLS FIRST", ["3", "1", "4", "2"]),  # NULL, NaN, NaN, 1.5
        ("x DESC NULLS FIRST", ["3", "2", "1", "4"]),  # NULL, 1.5, NaN, NaN
        ("x", ["2", "1", "4", "3"]),  # NULLS LAST: DuckDB's order is Trino's (NaN largest)
        ("x DESC", ["1", "4", "2", "3"]),
    ],
)
def test_nulls_first_puts_nan_after_the_nulls_ascending_and_last_descending(order: str, expected: list[str]) -> None:
    assert [r[0] for r in _rows(f"SELECT i FROM {ROWS} ORDER BY {order}, i")] == expected


def test_trino_float_functions_run() -> None:
    rows = _rows("SELECT nan(), infinity(), -infinity(), is_nan(nan()), is_finite(1E0), is_infinite(infinity())")
    assert rows == [["NaN", "Infinity", "-Infinity", "true", "true", "true"]]


@pytest.mark.parametrize(
    "condition",
    ["n > 1", "s = 'a'", "n BETWEEN 1 AND 2", "x > 1.5", "n = x"],
    ids=["bigint", "varchar", "between", "double-literal-vs-double", "int-vs-double"],
)
def test_only_comparisons_of_a_double_value_are_rewritten(condition: str) -> None:
    """Healthy twins: a bigint or varchar comparison keeps DuckDB's operator (no cost); a double column is wrapped."""
    from lakehouse.emulator.sql.floats import follow_trino, mark  # noqa: PLC0415  (the rest runs against main too)

    tree = sqlglot.parse_one(f"SELECT 1 FROM t WHERE {condition}", read=dialect.READ)
    before = tree.sql(dialect.WRITE)
    marked = mark(tree)
    typed = annotate(tree, {"t": {"n": "BIGINT", "s": "VARCHAR", "x": "DOUBLE"}})
    assert typed is not None
    follow_trino(marked, typed)
    rewritten = "x" in condition
    assert (tree.sql(dialect.WRITE) != before) is rewritten
    assert ("ISNAN(x)" in tree.sql(dialect.WRITE)) is rewritten


def test_a_row_filter_on_a_double_hides_nan_rows_and_cells() -> None:
    """Lake Formation filters as Athena applies them: a grant of ``score`` for the rows ``score > 1`` beside a grant
    of ``id`` for every row shows a NaN row's id and not its score; a filter ``score > 1`` alone drops the row."""
    data = pa.table({"id": [1, 2, 3], "score": [float("nan"), 2.0, None]})
    cells = [Cells(frozenset({"id"})), Cells(frozenset({"id", "score"}), "score > 1")]
    with duckdb.connect() as con:
        con.register("__uncut", data)
        sql = cells_select("__uncut", ["id", "score"], cells, [], dialect.READ, dialect.WRITE, {"score"})
        assert con.sql(f"{sql} ORDER BY id").fetchall() == [(1, None), (2, 2.0), (3, None)]
        alone = [Cells(frozenset({"id", "score"}), "score > 1 OR score BETWEEN 0 AND 1")]
        sql = cells_select("__uncut", ["id", "score"], alone, [], dialect.READ, dialect.WRITE, {"score"})
        assert con.sql(f"{sql} ORDER BY id").fetchall() == [(2, 2.0)]
        # healthy twin: a filter on the bigint column is left as written
        by_id = [Cells(frozenset({"id"}), "id > 1")]
        plain = cells_select("__uncut", ["id"], by_id, [], dialect.READ, dialect.WRITE, {"score"})
        assert "ISNAN" not in plain
        assert con.sql(f"{plain} ORDER BY id").fetchall() == [(2,), (3,)]
