"""DuckDB's ``isnan``, ``isinf`` and ``isfinite`` fail as Athena fails them: Trino has no such functions (its are
``is_nan``, ``is_infinite``, ``is_finite``), so a query calling one is ``FUNCTION_NOT_FOUND``.

sqlglot reads ``isnan`` and ``is_nan`` into one node, and DuckDB runs both; the emulator's own rewrites of NaN
comparisons (``floats``) write ``ISNAN`` after the statement is checked, so only the user's spelling is refused.
Healthy twins: Trino's names run, a string holding ``isnan(x)`` is text, a NaN-aware rewrite still runs.
"""

from __future__ import annotations

import pytest

from lakehouse.emulator.sql.engine import Engine
from lakehouse.emulator.sql.errors import AthenaError


def _rows(sql: str) -> list[list[str | None]]:
    return Engine(None).execute(sql).rows  # type: ignore[arg-type]  # reads no catalog table


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT isnan(1E0)", "line 1:8: Function 'isnan' not registered"),
        ("SELECT 1,\n  isinf(1E0)", "line 2:3: Function 'isinf' not registered"),
        ("SELECT x FROM (VALUES 1E0) AS v(x) WHERE ISFINITE(x)", "line 1:42: Function 'isfinite' not registered"),
    ],
)
def test_duckdb_float_tests_are_function_not_found(sql: str, message: str) -> None:
    with pytest.raises(AthenaError) as raised:
        _rows(sql)
    assert raised.value.name == "FUNCTION_NOT_FOUND"
    assert str(raised.value).endswith(message)


def test_trino_names_and_the_emulators_own_rewrites_still_run() -> None:
    assert _rows("SELECT is_nan(nan()), is_infinite(infinity()), is_finite(1E0), 'isnan(x)'") == [
        ["true", "true", "true", "isnan(x)"]
    ]
    # the NaN rewrites of `>`, `IN` and `greatest` call DuckDB's isnan after the check
    rows = _rows(
        "SELECT count(*), greatest(max(x), nan()) FROM (VALUES nan(), 2E0) AS v(x) WHERE x > 1 OR x IN (nan())"
    )
    assert rows == [["1", "2.0"]]
