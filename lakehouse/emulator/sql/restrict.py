"""The SQL that cuts a table down to the cells a principal may read (Lake Formation's data filters).

A principal reading through several grants sees the union of their cells: a row is there when
some grant's row filter matches it, and a cell of that row holds its value only when a grant
that opens the column also matches the row (else NULL), as Lake Formation's cell-level
filtering answers. Row filters are PartiQL WHERE expressions; sqlglot reads them as Athena SQL, and
Athena's Trino runs them typed as it types any WHERE: DuckDB would cast ``'1'`` to compare it with an
integer column, Trino fails the query ("Cannot apply operator: integer > varchar(1)", TYPE_MISMATCH),
so a filter comparing a column with a constant of no common type fails every query through it
(``refuse_mismatched_filters``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from lakehouse.emulator.sql.access import Cells
from lakehouse.emulator.sql.comparisons import condition_refusal
from lakehouse.emulator.sql.errors import AthenaError
from lakehouse.emulator.sql.floats import follow_trino, mark


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _nan_as_trino(tree: exp.Expr, floats: Collection[str]) -> exp.Expr:
    """``tree``'s comparisons of the ``floats`` columns (``double``/``real``) answering for NaN as Athena's do: a
    filter ``x > 1`` drops the NaN rows there (``floats``); the filter compares columns with constants only."""
    names = {name.lower() for name in floats}
    holder = exp.Paren(this=tree)  # the filter may be one comparison, replaced in its holder
    marked = mark(holder)
    typed = holder.copy()
    for column in typed.find_all(exp.Column):
        if column.name.lower() in names and not column.table:
            column.type = exp.DataType.build("DOUBLE")
    follow_trino(marked, typed)
    return holder.this


def _condition(expression: str, read: str, write: str, floats: Collection[str] = ()) -> str:
    try:
        tree = sqlglot.parse_one(expression, read=read)
    except ParseError as err:
        raise AthenaError(
            "GENERIC_USER_ERROR", f"line 1:1: invalid row filter expression {expression!r}: {err}"
        ) from None
    if tree.find(exp.Subquery, exp.Select, exp.Table) is not None:
        raise AthenaError("NOT_SUPPORTED", f"line 1:1: row filter expression {expression!r} reads other tables")
    if floats:
        tree = _nan_as_trino(tree, floats)
    return f"({tree.sql(dialect=write)})"


def refuse_mismatched_filters(cells: Sequence[Cells], columns: Mapping[str, str], read: str, table: str) -> None:
    """Raise TYPE_MISMATCH, as Athena does, when a row filter of ``cells`` compares a column of ``table`` (its
    ``columns``: name -> type, as ``typed.athena_columns`` gives them) with a constant of no common type."""
    for expression in sorted({c.rows for c in cells if c.rows is not None}):
        try:
            tree = sqlglot.parse_one(expression, read=read)
        except ParseError:
            continue  # ``cells_select`` refuses it
        why = condition_refusal(tree, columns)
        if why is not None:
            raise AthenaError(
                "TYPE_MISMATCH", f"line 1:1: row filter {expression!r} of a data cells filter on {table}: {why}"
            )


def needs_rows_cut(cells: Sequence[Cells]) -> bool:
    """Whether some grant limits rows (a plain column cut is done without SQL)."""
    return any(c.rows is not None for c in cells)


def cells_select(
    source: str,
    keep: Sequence[str],
    cells: Sequence[Cells],
    extra: Sequence[str],
    read: str,
    write: str,
    floats: Collection[str] = (),
) -> str:
    """``SELECT`` of the visible cells of ``source``: ``keep`` columns in order, plus ``extra`` as is; ``floats``
    names its ``double``/``real`` columns, whose NaN the row filters compare as Athena does."""
    every_row = any(c.rows is None for c in cells)
    rows = sorted({_condition(c.rows, read, write, floats) for c in cells if c.rows is not None})
    projections = []
    for column in keep:
        openers = [c for c in cells if column.lower() in c.columns]
        if any(c.rows is None for c in openers):
            projections.append(_quoted(column))
        else:
            when = " OR ".join(sorted({_condition(str(c.rows), read, write, floats) for c in openers})) or "FALSE"
            projections.append(f"CASE WHEN {when} THEN {_quoted(column)} END AS {_quoted(column)}")
    projections += [_quoted(e) for e in extra]
    where = "" if every_row else f" WHERE {' OR '.join(rows)}"
    return f"SELECT {', '.join(projections)} FROM {source}{where}"
