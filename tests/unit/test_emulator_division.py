"""``/`` and ``%`` in the emulator's Athena answer as Athena's Trino (engine v3) does, where DuckDB differs.

Trino's ``io.trino.type.IntegerOperators``/``BigintOperators`` (and the smallint/tinyint ones) ``divide`` and
``modulus`` are Java's ``left / right`` and ``left % right``: an integer quotient truncated toward zero (``7 / 2`` is 3,
``-7 / 2`` is -3), a remainder with the dividend's sign, and ``DIVISION_BY_ZERO: Division by zero`` for a zero divisor
(``ArithmeticException``); ``DecimalOperators`` fails a zero decimal divisor alike; ``BigintOperators.divide`` fails
``-9223372036854775808 / -1`` with NUMERIC_VALUE_OUT_OF_RANGE "bigint division overflow: ...". DuckDB answered 3.5,
-3.5 and NULL (``lakehouse/emulator/sql/division.py``). Healthy twins: doubles keep IEEE answers (Infinity, NaN), a
division by a non-zero decimal or double is left as it was, NULL stays NULL.
"""

from __future__ import annotations

import pytest

from lakehouse.emulator.sql.engine import Engine
from lakehouse.emulator.sql.errors import ERROR_TYPES, AthenaError

#: i (integer), b (bigint), t (tinyint), m (decimal(10,2)), d (double) rows; the divisors are never zero.
ROWS = (
    "(VALUES (7, CAST(7 AS BIGINT), CAST(7 AS TINYINT), CAST(7.50 AS DECIMAL(10,2)), 7e0, 2),"
    " (-7, CAST(-7 AS BIGINT), CAST(-7 AS TINYINT), CAST(-7.50 AS DECIMAL(10,2)), -7e0, 2)) AS v(i, b, t, m, d, two)"
)


def _select(sql: str) -> tuple[list[str], list[list[str | None]]]:
    """A SELECT that reads no catalog table, run by the engine: its column types and rows as Athena's text."""
    outcome = Engine(None).execute(sql)  # type: ignore[arg-type]  # reads no catalog table
    return [c.type for c in outcome.columns], outcome.rows


def _failure(sql: str) -> AthenaError:
    with pytest.raises(AthenaError) as err:
        Engine(None).execute(sql)  # type: ignore[arg-type]
    return err.value


@pytest.mark.parametrize(
    ("sql", "types", "rows"),
    [
        ("SELECT 7 / 2, -7 / 2, 7 / -2, 1 / 3", ["integer"] * 4, [["3", "-3", "-3", "0"]]),
        ("SELECT 7 % 2, -7 % 2, 7 % -2, mod(-7, 2)", ["integer"] * 4, [["1", "-1", "1", "-1"]]),
        # the operands' common type: tinyint / tinyint is tinyint, integer / bigint a bigint
        ("SELECT CAST(7 AS TINYINT) / CAST(2 AS TINYINT), 7 / CAST(2 AS BIGINT)", ["tinyint", "bigint"], [["3", "3"]]),
        (
            f"SELECT i / two, b / two, t / two, i % two FROM {ROWS}",
            ["integer", "bigint", "integer", "integer"],
            [["3", "3", "3", "1"], ["-3", "-3", "-3", "-1"]],
        ),
        # aggregates and windows: count(*) and sum(bigint) are bigints
        (
            "SELECT count(*) / 2, sum(x) / count(*), sum(x) % 2, sum(count(*)) OVER () / 2 "
            "FROM (VALUES 1, 2, 4) AS v(x)",
            ["bigint"] * 4,
            [["1", "2", "1", "1"]],
        ),
        ("SELECT a / b / c, (a / b) * c FROM (VALUES (100, 3, 2)) AS v(a, b, c)", ["integer"] * 2, [["16", "66"]]),
        ("WITH c AS (SELECT x * 3 AS k FROM (VALUES 1, 2) AS v(x)) SELECT k / 2 FROM c", ["integer"], [["1"], ["3"]]),
        ("SELECT x FROM (VALUES 1, 2, 3) AS v(x) WHERE x / 2 = 1 ORDER BY x", ["integer"], [["2"], ["3"]]),
        # beside a NaN-aware comparison (``floats`` rewrites it with copies of its operands)
        ("SELECT x FROM (VALUES (3, 1.2e0), (4, 1.5e0), (5, nan())) AS v(x, d) WHERE x / 2 >= d", ["integer"], [["4"]]),
        ("SELECT CAST(-9223372036854775808 AS BIGINT) % -1", ["bigint"], [["0"]]),  # Java's %: 0, DuckDB fails
    ],
)
def test_integer_division_truncates_toward_zero_in_the_operands_type(
    sql: str, types: list[str], rows: list[list[str]]
) -> None:
    assert _select(sql) == (types, rows)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 / 0",
        "SELECT 5 % 0",
        "SELECT mod(5, 0)",
        "SELECT CAST(1 AS BIGINT) / 0",
        "SELECT 1.0 / 0",
        "SELECT 1 / 0.0",
        "SELECT 5.5 % 0",
        "SELECT count(*) / 0 FROM (VALUES 1) AS v(x)",
        "SELECT x / y FROM (VALUES (7, 2), (9, 0)) AS v(x, y)",  # a zero in the second row only
        "SELECT m / (two - 2) FROM " + ROWS,
        "SELECT x FROM (VALUES (1, 0), (2, 1)) AS v(x, y) WHERE x / y > 0",
    ],
)
def test_a_zero_integer_or_decimal_divisor_fails_the_query_like_trino(sql: str) -> None:
    err = _failure(sql)
    assert err.reason == "DIVISION_BY_ZERO: Division by zero"
    assert err.error_type == ERROR_TYPES["DIVISION_BY_ZERO"]


def test_the_one_bigint_quotient_beyond_bigint_fails_as_trino_s_overflow() -> None:
    err = _failure("SELECT CAST(-9223372036854775808 AS BIGINT) / -1")
    assert err.reason == "NUMERIC_VALUE_OUT_OF_RANGE: bigint division overflow: -9223372036854775808 / -1"


def test_doubles_keep_ieee_answers_and_other_divisions_are_unchanged() -> None:
    """Healthy twins: ``DoubleOperators`` divides as Java (Infinity, NaN, a signed zero's sign); a double operand
    makes the quotient DuckDB's double, as before (a decimal one Trino's decimal, ``test_decimal_division_...``); NULL
    divides to NULL; a guarded zero is not a failure."""
    types, rows = _select(
        "SELECT 1e0 / 0, -1e0 / 0, 0e0 / 0, 1e0 / -0e0, 5e0 % 0, 7 / 2e0, 7.5 / 2e0, 7e0 % -1, 7.5 % 2, 7.5 % -1"
    )
    assert rows == [["Infinity", "-Infinity", "NaN", "-Infinity", "NaN", "3.5", "3.75", "0.0", "1.5", "0.5"]]
    assert types[:7] == ["double"] * 7
    assert _select(f"SELECT d / two, m / two, d / 0, m / d FROM {ROWS}") == (
        ["double", "decimal", "double", "double"],
        [["3.5", "3.75", "Infinity", "1.0714285714285714"], ["-3.5", "-3.75", "-Infinity", "1.0714285714285714"]],
    )
    assert _select("SELECT x / y, x % y FROM (VALUES (7, NULL), (NULL, 0)) AS v(x, y)")[1] == [[None, None]] * 2
    guarded = (
        "SELECT CASE WHEN y = 0 THEN NULL ELSE x / y END, x / nullif(y, 0) FROM (VALUES (7, 2), (9, 0)) AS v(x, y)"
    )
    assert _select(guarded) == (["integer", "integer"], [["3", "3"], [None, None]])
    assert _select("SELECT avg(x), sum(x) / 2e0 FROM (VALUES 1, 2) AS v(x)")[1] == [["1.5", "1.5"]]


@pytest.mark.parametrize("name", ["error", "__trino_divide", "__trino_modulus"])
def test_the_engine_s_own_helpers_are_not_athena_functions(name: str) -> None:
    """``error`` is DuckDB's (Trino has ``fail``) and the division macros are the emulator's: Athena has neither."""
    err = _failure(f"SELECT {name}('x')" if name == "error" else f"SELECT {name}(1, 2)")
    assert err.reason == f"FUNCTION_NOT_FOUND: line 1:8: Function '{name}' not registered"


def _decimals(sql: str) -> tuple[list[tuple[str, int | None, int | None]], list[list[str | None]]]:
    """A SELECT's column types with their precision and scale, and its rows as Athena's text."""
    outcome = Engine(None).execute(sql)  # type: ignore[arg-type]  # reads no catalog table
    return [(c.type, c.precision, c.scale) for c in outcome.columns], outcome.rows


@pytest.mark.parametrize(
    ("sql", "types", "rows"),
    [
        # decimal(p1,s1) / decimal(p2,s2) is decimal(min(38, p1 + s2 + max(s2 - s1, 0)), max(s1, s2)); an integer
        # is decimal(10,0), a literal's digits (leading zeros dropped) its precision; the last digit rounded half away
        # from zero
        (
            "SELECT 7.50 / 2, -7.50 / 4, 0.25 / 2, -0.25 / 2, 1.0 / 3, 10 / 0.3, 0.05 / 0.7",
            [("decimal", 3, 2)] * 2
            + [("decimal", 2, 2)] * 2
            + [("decimal", 2, 1), ("decimal", 12, 1), ("decimal", 3, 2)],
            [["3.75", "-1.88", "0.13", "-0.13", "0.3", "33.3", "0.07"]],
        ),
        # columns: decimal(10,2) / integer, / itself, a quotient divided again, a bigint divisor (decimal(19,0))
        (
            f"SELECT m / two, m / m, m / two / 3, m / b FROM {ROWS}",
            [("decimal", 10, 2), ("decimal", 12, 2), ("decimal", 10, 2), ("decimal", 10, 2)],
            [["3.75", "1.00", "1.25", "1.07"], ["-3.75", "1.00", "-1.25", "1.07"]],
        ),
        # pipeline/demo/order_status.sql's pct_of_orders: decimal(23,1) / bigint, as on Athena (33.3 and 66.7)
        (
            "SELECT 100.0 * count(*) / sum(count(*)) OVER (), round(100.0 * count(*) / sum(count(*)) OVER (), 1) "
            "FROM (VALUES 1, 1, 2) AS v(x) GROUP BY x ORDER BY 1",
            [("decimal", 23, 1), ("decimal", 23, 1)],
            [["33.3", "33.3"], ["66.7", "66.7"]],
        ),
        # sums, sums and products of decimals, casts
        (
            f"SELECT sum(m) / 3, (m + m) / 3, m * m / 7, CAST(1 AS DECIMAL(5,3)) / 3 FROM {ROWS} GROUP BY m ORDER BY 1",
            [("decimal", 38, 2), ("decimal", 11, 2), ("decimal", 20, 4), ("decimal", 5, 3)],
            [["-2.50", "-5.00", "8.0357", "0.333"], ["2.50", "5.00", "8.0357", "0.333"]],
        ),
    ],
)
def test_decimal_division_answers_trino_s_decimal_rounded_half_away_from_zero(
    sql: str, types: list[tuple[str, int, int]], rows: list[list[str]]
) -> None:
    """Trino's ``DecimalOperators.divide``; DuckDB answered a double (3.75, -1.875, 0.125, 0.333..., 33.33...)."""
    assert _decimals(sql) == (types, rows)


def test_a_decimal_division_it_cannot_type_keeps_duckdb_s_double() -> None:
    """Healthy twin, never a guess: a double operand, or a function sqlglot does not type, leave DuckDB's ``/``."""
    types, rows = _select(f"SELECT m / 2e0, abs(m) / 2, m / two FROM {ROWS} ORDER BY 1")
    assert types == ["double", "double", "decimal"]
    assert rows == [["-3.75", "3.75", "-3.75"], ["3.75", "3.75", "3.75"]]
