"""Where the hidden column flows, by the pipeline's own SQL: the tables the analyst must be denied.

Security reviewers ask "every table and column that ``users.ssn`` flows into, Bronze to Gold". The
pipeline's column lineage (sqlglot over ``pipeline/sql``, the same edges the OpenLineage
``columnLineage`` facet carries) answers it without a catalog; exit check 6 lists the answer in its
evidence beside the tables it actually queried, and names any table the flow reaches that the check
did not find holding the column in the catalog (a column renamed on the way still carries the value).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lakehouse.lineage.columns import ColumnLineageError, Field, flows_from, pipeline_column_edges
from lakehouse.pipeline.runner import SQL_DIR, stack_values
from lakehouse.pipeline.sqlfiles import SqlFileError, SqlStatement, load


def _table(field: Field) -> str:
    """``awsdatacatalog.db.table`` -> ``db.table``."""
    return field[0].name.split(".", 1)[-1]


def flows(statements: Iterable[SqlStatement], region: str, column: str) -> dict[str, list[str]]:
    """Table -> its columns the hidden ``column`` reaches (from every table that has it under that name)."""
    edges = pipeline_column_edges(list(statements), region)
    roots = {f for edge in edges for f in edge if f[1].lower() == column.lower()}
    reached: dict[str, set[str]] = {}
    for root in roots:
        for field in (root, *flows_from(root, edges)):
            reached.setdefault(_table(field), set()).add(field[1])
    return {table: sorted(columns) for table, columns in sorted(reached.items())}


def lineage_evidence(outputs: Mapping[str, Any], region: str, column: str, checked: Iterable[str]) -> dict[str, Any]:
    """The flow of ``column`` through this stack's pipeline, and how it compares with the tables checked."""
    try:
        statements = load(SQL_DIR, stack_values(dict(outputs)))
    except (SqlFileError, KeyError, OSError) as err:
        return {"column": column, "error": f"the pipeline's SQL could not be read for column lineage: {err}"}
    try:
        reached = flows(statements, region, column)
    except ColumnLineageError as err:
        return {"column": column, "error": f"the pipeline's column lineage cannot be followed: {err}"}
    checked_lower = {c.lower() for c in checked}
    carrying = {t: cols for t, cols in reached.items() if any(c.lower() == column.lower() for c in cols)}
    return {
        "column": column,
        "flows_into": reached,
        "tables_holding_it": sorted(carrying),
        "queried_as_the_analyst": sorted(t for t in carrying if t.lower() in checked_lower),
        "not_found_in_the_catalog": sorted(t for t in carrying if t.lower() not in checked_lower),
    }
