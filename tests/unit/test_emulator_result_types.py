"""GetQueryResults' column types for json, uuid and intervals are Trino's, as Athena's are (its DML types are Trino's).

The emulator named them ``varchar`` (pyathena then handed a ``json`` column back as a string, where on AWS it parses
it) and printed an interval as Python's ``timedelta`` (``INTERVAL '1' MONTH`` as "30 days, 0:00:00"); Trino prints
``interval year to month`` as ``1-2`` and ``interval day to second`` as ``1 02:03:04.005``
(``io.trino.client.IntervalYearMonth.formatMonths``, ``IntervalDayTime.formatMillis``).
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.emulator.sql.engine import Engine
from lakehouse.emulator.sql.results import DAY_TO_SECOND, YEAR_TO_MONTH, Column, athena_column, interval_texts


def _select(sql: str) -> tuple[list[tuple[str, str]], list[list[str | None]]]:
    """A SELECT that reads no table, run by the engine (no catalog needed)."""
    outcome = Engine(None).execute(sql)  # type: ignore[arg-type]
    return [(c.name, c.type) for c in outcome.columns], outcome.rows


def test_json_and_uuid_columns_are_named_as_trino_names_them() -> None:
    columns, rows = _select(
        "SELECT json_parse('{\"a\": 1}') AS j, CAST('1a2b3c4d-0000-4000-8000-00000000abcd' AS uuid) AS u, 'x' AS s"
    )
    assert columns == [("j", "json"), ("u", "uuid"), ("s", "varchar")]
    assert rows == [['{"a":1}', "1a2b3c4d-0000-4000-8000-00000000abcd", "x"]]


@pytest.mark.parametrize(
    ("sql", "kind", "texts"),
    [
        ("SELECT INTERVAL '14' MONTH", YEAR_TO_MONTH, ["1-2"]),
        ("SELECT INTERVAL '1' MONTH", YEAR_TO_MONTH, ["0-1"]),  # not 30 days
        ("SELECT -INTERVAL '3' MONTH", YEAR_TO_MONTH, ["-0-3"]),
        ("SELECT INTERVAL '2' DAY", DAY_TO_SECOND, ["2 00:00:00.000"]),
        ("SELECT INTERVAL '-90' MINUTE", DAY_TO_SECOND, ["-0 01:30:00.000"]),
        (
            "SELECT TIMESTAMP '2026-01-02 03:04:05.678' - TIMESTAMP '2026-01-01 00:00:00'",
            DAY_TO_SECOND,
            ["1 03:04:05.678"],
        ),
        ("SELECT x FROM (VALUES (INTERVAL '2' YEAR), (NULL)) AS t(x)", YEAR_TO_MONTH, ["2-0", None]),
    ],
)
def test_intervals_carry_trino_s_type_and_text(sql: str, kind: str, texts: list[str | None]) -> None:
    columns, rows = _select(sql)
    assert [kind for _, kind in columns] == [kind]
    assert [row[0] for row in rows] == texts


def test_other_columns_of_a_result_with_an_interval_keep_their_values() -> None:
    columns, rows = _select("SELECT 1 AS n, INTERVAL '1' DAY AS d, DATE '2026-01-02' AS day, NULL AS nothing")
    assert columns == [("n", "integer"), ("d", DAY_TO_SECOND), ("day", "date"), ("nothing", "integer")]
    assert rows == [["1", "1 00:00:00.000", "2026-01-02", None]]


def test_an_interval_column_without_a_value_is_named_day_to_second() -> None:
    columns: list[Column] = [athena_column("x", "INTERVAL")]
    cells: list[list[Any]] = [[None], ["00:00:00"]]
    interval_texts(columns, cells, [0])
    assert columns[0].type == DAY_TO_SECOND
    assert cells == [[None], ["0 00:00:00.000"]]
