"""Whether a Lake Formation data cells filter's row filter lets every row through.

Lake Formation reads ``RowFilter.FilterExpression`` as a PartiQL condition on the table's columns. ``AllRowsWildcard``
and the expression ``TRUE`` are its documented spellings of all rows, but any condition that is always true opens
every row just the same: ``1=1``, ``'a'='a'``, ``NOT false``, ``country = 'DE' OR true``. The expression is parsed
and constant-folded with sqlglot's simplifier: what folds to TRUE lets every row through; what still references a
column restricts rows (sqlglot does not prove tautologies over columns, such as ``x IS NULL OR x IS NOT NULL``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.simplify import simplify


def every_row(row_filter: Mapping[str, Any] | None) -> str | None:
    """How a data cells filter's ``RowFilter`` lets every row through (``""``: it says so itself: none,
    ``AllRowsWildcard``, an empty or ``TRUE`` expression), or None when it restricts rows.

    An expression sqlglot cannot parse, or one without a column that does not fold to TRUE or FALSE, is the same
    for every row: it may let every row through, and counts as doing so (the reason says why), as a filter that
    could not be read counts as opening every column.
    """
    if not row_filter or "AllRowsWildcard" in row_filter:
        return ""
    expression = str(row_filter.get("FilterExpression") or "").strip()
    if expression.upper() in ("", "TRUE"):
        return ""
    try:
        parsed = sqlglot.parse_one(expression)
    except SqlglotError as err:
        return f"row filter {expression!r} could not be parsed ({str(err).splitlines()[0]}): it may admit every row"
    folded = simplify(parsed)
    if isinstance(folded, exp.Boolean):
        return f"row filter {expression!r}, always true" if folded.this else None
    if isinstance(folded, exp.Null) or folded.find(exp.Column) is not None:
        return None  # no row (NULL is not true), or a condition on the row's columns
    return f"row filter {expression!r} references no column: the same for every row, it may admit them all"
