"""NaN in ``IN`` lists and ``greatest``/``least`` as Athena's Trino answers, where DuckDB answers otherwise.

Trino's ``IN`` matches through the ``EQUAL`` operator (``InCodeGenerator``, ``FastutilSetHelper``): a NaN matches no
item, ``nan()`` included, and the answer is NULL when an item is NULL. Its ``greatest`` takes NaN as the smallest
value (``AbstractGreatestLeast`` with ``MinMaxCompare``'s ``COMPARISON_UNORDERED_FIRST``): NaN only when every
argument is. DuckDB matches NaN with NaN and takes NaN as the greatest value (``lakehouse/emulator/sql/floats.py``).
Healthy twins: a number matching a list, ``least`` (NaN largest in both engines), NULLs staying NULL.
"""

from __future__ import annotations

import pytest

from tests.unit.test_emulator_nan import NAN, _rows

#: i, x (double), y (double): NaN beside NaN, a number beside NaN, a NULL beside a number, NaN beside a NULL.
ROWS = (
    f"(VALUES (1, {NAN}, {NAN}), (2, 1.5E0, {NAN}), (3, CAST(NULL AS DOUBLE), 1E0), (4, {NAN}, CAST(NULL AS DOUBLE)))"
    " AS v(i, x, y)"
)


@pytest.mark.parametrize(
    ("expression", "trino"),
    [
        ("nan() IN (nan())", "false"),  # DuckDB: true
        ("nan() IN (1E0, nan())", "false"),  # DuckDB: true
        ("nan() NOT IN (1E0, nan())", "true"),  # DuckDB: false
        ("nan() IN (1E0, NULL, nan())", None),  # no item equals, one is unknown; DuckDB: true
        ("nan() IN (1E0, 2E0)", "false"),
        ("1E0 IN (1E0, nan())", "true"),  # healthy twin: a number still matches
        ("2E0 IN (1E0, nan())", "false"),
        ("CAST(NULL AS DOUBLE) IN (nan())", None),
    ],
)
def test_nan_in_a_list_matches_nothing(expression: str, trino: str | None) -> None:
    assert _rows(f"SELECT {expression}") == [[trino]]


def test_in_over_double_columns_follows_trino_per_row() -> None:
    """Per row: x IN (1.5, y), x NOT IN (y), and a WHERE that keeps the rows x IN (y) holds for."""
    rows = _rows(f"SELECT i, x IN (1.5E0, y), x NOT IN (y) FROM {ROWS} ORDER BY i")
    assert rows == [["1", "false", "true"], ["2", "true", "true"], ["3", None, None], ["4", None, None]]
    assert _rows(f"SELECT count(*) FROM {ROWS} WHERE x IN (y, 1.5E0)") == [["1"]]  # row 2 only; DuckDB adds row 1


@pytest.mark.parametrize(
    ("expression", "trino"),
    [
        ("greatest(nan(), 5E0)", "5.0"),  # DuckDB: NaN
        ("greatest(5E0, nan(), 3E0)", "5.0"),
        ("greatest(nan(), -infinity())", "-Infinity"),
        ("greatest(nan(), nan())", "NaN"),  # every argument NaN
        ("greatest(nan())", "NaN"),
        ("greatest(nan(), NULL)", None),  # NULL wins over everything, as in Trino
        ("greatest(CAST(nan() AS REAL), REAL '1.5')", "1.5"),
        ("least(nan(), 5E0)", "5.0"),  # healthy twin: NaN is the largest for least in both engines
        ("least(nan(), nan())", "NaN"),
        ("greatest(2E0, 5E0)", "5.0"),
    ],
)
def test_greatest_takes_nan_as_the_smallest_value(expression: str, trino: str | None) -> None:
    assert _rows(f"SELECT {expression}") == [[trino]]


def test_greatest_and_least_of_double_columns_per_row() -> None:
    rows = _rows(f"SELECT i, greatest(x, y), greatest(x, y, 0), least(x, y) FROM {ROWS} ORDER BY i")
    assert rows == [
        ["1", "NaN", "0.0", "NaN"],
        ["2", "1.5", "1.5", "1.5"],
        ["3", None, None, None],
        ["4", None, None, None],
    ]


@pytest.mark.parametrize(
    ("select", "rewritten"),
    [
        ("n IN (1, 2)", False),
        ("s IN ('a')", False),
        ("greatest(n, 2)", False),
        ("x IN (1.5)", True),
        ("greatest(x, n)", True),
    ],
)
def test_only_lists_and_greatest_of_a_double_value_are_rewritten(select: str, rewritten: bool) -> None:
    """Healthy twins: a bigint or varchar ``IN`` and a bigint ``greatest`` keep DuckDB's own (no cost)."""
    import sqlglot  # noqa: PLC0415

    from lakehouse.emulator.sql import dialect  # noqa: PLC0415
    from lakehouse.emulator.sql.floats import follow_trino, mark  # noqa: PLC0415
    from lakehouse.emulator.sql.typed import annotate  # noqa: PLC0415

    tree = sqlglot.parse_one(f"SELECT {select} FROM t", read=dialect.READ)
    before = tree.sql(dialect.WRITE)
    marked = mark(tree)
    typed = annotate(tree, {"t": {"n": "BIGINT", "s": "VARCHAR", "x": "DOUBLE"}})
    assert typed is not None
    follow_trino(marked, typed)
    assert (tree.sql(dialect.WRITE) != before) is rewritten
    assert ("ISNAN(x)" in tree.sql(dialect.WRITE)) is rewritten
