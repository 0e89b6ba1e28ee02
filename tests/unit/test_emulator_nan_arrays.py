"""NaN and NULL inside arrays, ``IN (subquery)``, and reals inside arrays, maps and rows, as Athena's Trino answers.

Trino's ``contains``/``array_position`` match through ``EQUAL`` (NaN matches nothing; ``contains`` is NULL when a
NULL element is left; ``array_position`` is 0 when nothing matched) and its array ``=`` is false on a NaN or a
length mismatch, else NULL on a NULL element (``lakehouse/emulator/sql/arrays.py``). DuckDB matched NaN with NaN
and NULL with NULL. Its uncorrelated ``x IN (subquery)`` runs as a semi join whose hash set matches by IS NOT
DISTINCT FROM (``ChannelSet``): there a NaN does match a NaN, as DuckDB's does, and nothing is rewritten (healthy
twins). A ``real`` inside an array, map or row prints as a real (``[1.1]``), not as the double DuckDB widened it to.
"""

from __future__ import annotations

import pytest

from tests.unit.test_emulator_nan import _rows


@pytest.mark.parametrize(
    ("expression", "trino"),
    [
        ("contains(ARRAY[nan()], nan())", "false"),  # DuckDB: true
        ("contains(ARRAY[1E0, nan()], nan())", "false"),
        ("contains(ARRAY[1E0, NULL], nan())", None),  # nothing matched, a NULL left; DuckDB: false
        ("contains(ARRAY[1, NULL], 2)", None),  # DuckDB: false
        ("contains(ARRAY[CAST(nan() AS REAL)], CAST(nan() AS REAL))", "false"),
        ("contains(ARRAY[1E0, NULL], 1E0)", "true"),  # healthy twins
        ("contains(ARRAY[nan(), 2E0], 2E0)", "true"),
        ("contains(ARRAY[1, 2], 3)", "false"),
        ("contains(ARRAY['a', 'b'], 'b')", "true"),
        ("contains(ARRAY[1, 2], NULL)", None),
        ("contains(CAST(NULL AS ARRAY(DOUBLE)), 1E0)", None),
    ],
)
def test_contains_matches_as_trinos_equal(expression: str, trino: str | None) -> None:
    assert _rows(f"SELECT {expression}") == [[trino]]


@pytest.mark.parametrize(
    ("expression", "trino"),
    [
        ("array_position(ARRAY[1E0, nan()], nan())", "0"),  # DuckDB: 2
        ("array_position(ARRAY[nan()], nan())", "0"),
        ("array_position(ARRAY[1, 2], 3)", "0"),  # DuckDB: NULL
        ("array_position(ARRAY[1, NULL], NULL)", None),  # DuckDB: 2
        ("array_position(ARRAY[1E0, nan(), 2E0], 2E0)", "3"),  # healthy twins
        ("array_position(ARRAY['a', 'b'], 'b')", "2"),
    ],
)
def test_array_position_matches_as_trinos_equal(expression: str, trino: str | None) -> None:
    assert _rows(f"SELECT {expression}") == [[trino]]


@pytest.mark.parametrize(
    ("expression", "trino"),
    [
        ("ARRAY[nan()] = ARRAY[nan()]", "false"),  # DuckDB: true
        ("ARRAY[nan()] <> ARRAY[nan()]", "true"),  # DuckDB: false
        ("ARRAY[NULL, nan()] = ARRAY[NULL, nan()]", "false"),  # a NaN pair decides before the NULL
        ("ARRAY[1E0, NULL] = ARRAY[1E0, NULL]", None),  # DuckDB: true
        ("ARRAY[1, NULL] = ARRAY[1, 2]", None),  # DuckDB: false
        ("ARRAY[1, NULL] <> ARRAY[2, NULL]", "true"),
        ("ARRAY[1.5E0, 2E0] = ARRAY[1.5E0, 2E0]", "true"),  # healthy twins
        ("ARRAY[1, 2] = ARRAY[1, 2, 3]", "false"),
        ("ARRAY['a'] = ARRAY['a']", "true"),
        ("ARRAY[1E0] = CAST(NULL AS ARRAY(DOUBLE))", None),
    ],
)
def test_array_equality_is_trinos(expression: str, trino: str | None) -> None:
    assert _rows(f"SELECT {expression}") == [[trino]]


def test_array_columns_per_row() -> None:
    """Per row of a double array column: contains(a, x), array_position(a, x), a = a, and a WHERE on contains."""
    rows = "(VALUES (1, ARRAY[nan(), 1E0], nan()), (2, ARRAY[1E0, NULL], 1E0), (3, ARRAY[2E0], nan())) AS v(i, a, x)"
    assert _rows(f"SELECT i, contains(a, x), array_position(a, x), a = a FROM {rows} ORDER BY i") == [
        ["1", "false", "0", "false"],
        ["2", "true", "1", None],
        ["3", "false", "0", "true"],
    ]
    assert _rows(f"SELECT i FROM {rows} WHERE contains(a, x) ORDER BY i") == [["2"]]


@pytest.mark.parametrize(
    ("expression", "trino"),
    [
        ("nan() IN (SELECT nan())", "true"),  # the semi join's set matches IS NOT DISTINCT FROM
        ("nan() IN (SELECT x FROM (VALUES 1E0, nan()) AS t(x))", "true"),
        ("nan() NOT IN (SELECT x FROM (VALUES 1E0, nan()) AS t(x))", "false"),
        ("nan() IN (SELECT x FROM (VALUES 1E0, NULL) AS t(x))", None),
        ("1E0 IN (SELECT nan())", "false"),
    ],
)
def test_nan_in_an_uncorrelated_subquery_matches_nan_as_trinos_semi_join(expression: str, trino: str | None) -> None:
    assert _rows(f"SELECT {expression}") == [[trino]]


#: k, x (double): NaN, a number, NaN, NULL, and a NaN whose k the subquery has no row for.
PROBE = "(VALUES (1, nan()), (2, 1E0), (3, nan()), (4, CAST(NULL AS DOUBLE)), (5, nan())) AS a(k, x)"
#: k, y (double): per k, the values the correlated subquery reads (k 3 also holds a NULL; k 5 none).
BUILD = "(VALUES (1, nan()), (2, 1E0), (3, nan()), (3, CAST(NULL AS DOUBLE)), (4, nan())) AS b(k, y)"


def test_nan_in_a_correlated_subquery_matches_nothing_as_trinos_join() -> None:
    """Trino decorrelates ``x IN (SELECT y ... WHERE b.k = a.k)`` into a left join on ``x IS NULL OR x = y OR y IS
    NULL`` (``TransformCorrelatedInPredicateToJoin``, trinodb/trino): NaN = NaN is false, so k 1 is false, k 3 NULL
    (a NULL y joined), k 4 NULL (x NULL beside a row), k 5 false (no row). DuckDB answered true for k 1 and k 3."""
    correlated = f"(SELECT b.y FROM {BUILD} WHERE b.k = a.k)"
    rows = _rows(f"SELECT a.k, a.x IN {correlated}, a.x NOT IN {correlated} FROM {PROBE} ORDER BY a.k")
    assert rows == [
        ["1", "false", "true"],
        ["2", "true", "false"],  # healthy twin: a number matches its equal
        ["3", None, None],
        ["4", None, None],
        ["5", "false", "true"],
    ]
    assert _rows(f"SELECT a.k FROM {PROBE} WHERE a.x IN {correlated} ORDER BY a.k") == [["2"]]


def test_a_correlated_subquery_of_integers_or_an_uncorrelated_one_is_left_to_duckdb() -> None:
    """Healthy twins: integers are never NaN; an uncorrelated subquery is Trino's semi join (NaN matches NaN)."""
    ints = "(VALUES (1, 1), (2, 3)) AS b(k, n)"
    rows = _rows(f"SELECT a.k, CAST(a.k AS DOUBLE) IN (SELECT b.n FROM {ints} WHERE b.k = a.k) FROM {PROBE} ORDER BY 1")
    assert rows == [["1", "true"], ["2", "false"], ["3", "false"], ["4", "false"], ["5", "false"]]
    uncorrelated = f"SELECT a.k, a.x IN (SELECT b.y FROM {BUILD} WHERE b.k = 1) FROM {PROBE} ORDER BY a.k"
    assert _rows(uncorrelated) == [["1", "true"], ["2", "false"], ["3", "true"], ["4", None], ["5", "true"]]


@pytest.mark.parametrize(
    ("expression", "athena"),
    [
        ("ARRAY[REAL '1.1']", "[1.1]"),  # DuckDB's widened value: [1.100000023841858]
        ("ARRAY[ARRAY[REAL '0.1', NULL]]", "[[0.1, null]]"),
        ("MAP(ARRAY['a'], ARRAY[REAL '1.1'])", "{a=1.1}"),
        ("MAP(ARRAY[REAL '2.2'], ARRAY[1])", "{2.2=1}"),
        ("CAST(ROW(REAL '0.1', ARRAY[REAL '0.2']) AS ROW(x REAL, y ARRAY(REAL)))", "{x=0.1, y=[0.2]}"),
        ("ARRAY[REAL '1e10', CAST(nan() AS REAL)]", "[1.0E10, NaN]"),
        ("ARRAY[1.1E0]", "[1.1]"),  # healthy twins: a double, a real alone
        ("REAL '1.1'", "1.1"),
        ("ARRAY[0.1E0 + 0.2E0]", "[0.30000000000000004]"),
    ],
)
def test_a_real_inside_an_array_map_or_row_prints_as_a_real(expression: str, athena: str) -> None:
    assert _rows(f"SELECT {expression}") == [[athena]]
