"""Whether Athena can run a Lake Formation row filter at all: a column compared with a constant of no common type.

Lake Formation hands the row filter to the engine, which runs it as the WHERE of every query through the filter;
"The Column value must match the data type of the column name" (developer guide, "PartiQL support in row filter
expressions"), and the guide does not say CreateDataCellsFilter checks it.
Athena's Trino coerces only along its type rules (``emulator.sql.trino_types``): ``qty > '1'`` on an ``int``
column fails with "Cannot apply operator: integer > varchar(1)" (TYPE_MISMATCH), as would ``d >= '2024-01-01'``
on a ``date``, though Lake Formation refuses a filter naming a date column at CreateDataCellsFilter
(``emulator.sql.row_filter_syntax``), so none is read back. Such a filter admits no row, not every one (``x > '1'
OR x <= '1'`` is no tautology but an error), and the principal it is granted to reads nothing of the table. A
comparison sqlglot cannot type, or a column whose Glue type it cannot read, is not judged: a filter is never called
broken on a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakehouse.emulator.sql.comparisons import condition_refusal
from lakehouse.emulator.sql.dialect import READ


def _trino_types(types: Mapping[str, str]) -> dict[str, str]:
    """Glue column types (Hive's spelling: ``int``, ``string``, ``struct<a:int>``) as Trino's, the ones read."""
    found: dict[str, str] = {}
    for column, glue_type in types.items():
        try:
            found[column.lower()] = exp.DataType.build(glue_type, dialect="hive").sql(dialect="trino")
        except (SqlglotError, ValueError):
            continue
    return found


def refused(row_filter: Mapping[str, Any] | None, types: Mapping[str, str] | None) -> str | None:
    """Why Athena (Trino) refuses to run ``row_filter``'s expression on a table of ``types`` (column -> Glue type):
    Trino's words for the first comparison without a common type; None when it runs, or cannot be judged."""
    expression = str((row_filter or {}).get("FilterExpression") or "").strip()
    if not expression or "AllRowsWildcard" in (row_filter or {}) or not types:
        return None
    try:
        condition = sqlglot.parse_one(expression, read=READ)
    except SqlglotError:
        return None  # unread: ``row_filter.every_row`` says so
    return condition_refusal(condition, _trino_types(types))
