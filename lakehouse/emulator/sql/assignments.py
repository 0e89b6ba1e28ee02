"""Writes Athena (Trino) refuses and DuckDB casts: INSERT, MERGE and UPDATE values whose type has no common type
with their column's.

DuckDB casts each value to its column (a date into a varchar column becomes its text, ``'12'`` into a bigint
column becomes 12); Trino lets a value into a column only when the two types are compatible (``StatementAnalyzer
.typesMatchForInsert``: ``TypeCoercion.isCompatible``, see ``trino_types``; an integer into a bigint column, a
timestamp into a date column, a varchar(20) into a varchar(10) column pass) and fails the statement otherwise,
naming every column's type as Trino names it:

- INSERT: "Insert query has mismatched column types: Table: [varchar, date], Query: [date, date]", at line 1:1
  (the listed columns, or all the table's; a different number of values fails the same way);
- MERGE: "MERGE table column types don't match for MERGE case 0, SET expressions: Table: [varchar], Expressions:
  [date]", at the case's ``WHEN`` (cases numbered from 0 in clause order; Athena's text, dbt-athena issue #1433);
- UPDATE: "UPDATE table column types don't match SET expressions: Table: [integer], Expressions: [varchar]", at
  line 1:1 (Trino's Hive ACID tests).

A value whose type sqlglot cannot tell is let through (the check never refuses on a guess); when another column
of the same statement is mismatched, the message names it as DuckDB typed it (``fallback``) or ``unknown``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakehouse.emulator.sql.errors import AthenaError
from lakehouse.emulator.sql.trino_types import compatible, trino_name, trino_type
from lakehouse.emulator.sql.typed import annotate

#: Where each MERGE case starts: Trino reports a case's mismatch at its WHEN.
_WHEN = re.compile(r"\bWHEN\s+(?:NOT\s+)?MATCHED\b", re.IGNORECASE)


@dataclass
class _Write:
    """One store assignment: the target columns, the values' types, and how Trino words a mismatch."""

    columns: list[str]
    values: list[exp.DataType | None]
    message: str  # with {table} and {values}
    at: str  # Trino's "line L:C: "


def writes(statement: exp.Expression) -> bool:
    """Whether ``statement`` writes values into a table's columns (INSERT, MERGE, UPDATE)."""
    return isinstance(statement, exp.Insert | exp.Merge | exp.Update)


def _target(statement: exp.Expression) -> exp.Table | None:
    target = statement.this
    if isinstance(target, exp.Schema):
        target = target.this
    return target if isinstance(target, exp.Table) else None


def _query_types(query: exp.Expression) -> list[exp.DataType | None] | None:
    """The output columns' types of a typed query or VALUES; None when they cannot be counted (a star)."""
    if isinstance(query, exp.Subquery):
        return _query_types(query.this)
    if isinstance(query, exp.Values):
        rows = [row.expressions if isinstance(row, exp.Tuple) else [row] for row in query.expressions]
        if not rows or any(len(row) != len(rows[0]) for row in rows):
            return None
        return [_first_typed([_judged(trino_type(row[i])) for row in rows]) for i in range(len(rows[0]))]
    if isinstance(query, exp.SetOperation):
        left, right = _query_types(cast(exp.Expression, query.left)), _query_types(cast(exp.Expression, query.right))
        if left is None or right is None or len(left) != len(right):
            return None
        return [lt if lt is not None and not _is_null(lt) else rt for lt, rt in zip(left, right, strict=True)]
    if isinstance(query, exp.Select):
        selects = cast(list[exp.Expression], query.selects)
        if any(isinstance(s, exp.Star) or (isinstance(s, exp.Column) and s.is_star) for s in selects):
            return None
        return [_judged(trino_type(s)) for s in selects]
    return None


def _judged(kind: exp.DataType | None) -> exp.DataType | None:
    """``kind``, or None for sqlglot's UNKNOWN (a function it does not type; NULL stays Trino's ``unknown``)."""
    return None if kind is None or kind.this == exp.DataType.Type.UNKNOWN else kind


def _is_null(kind: exp.DataType) -> bool:
    return kind.this in (exp.DataType.Type.NULL, exp.DataType.Type.UNKNOWN)


def _first_typed(kinds: list[exp.DataType | None]) -> exp.DataType | None:
    """A VALUES column's type: its first row's that is not NULL (Trino folds the rows into a common type)."""
    known = [k for k in kinds if k is not None]
    if len(known) < len(kinds):
        return None
    return next((k for k in known if not _is_null(k)), known[0] if known else None)


def _insert(statement: exp.Insert, columns: list[str], schema: Mapping[str, Mapping[str, str]]) -> list[_Write]:
    if statement.args.get("by_name") or statement.expression is None:
        return []
    listed = statement.this.expressions if isinstance(statement.this, exp.Schema) else []
    names = [c.name.lower() for c in listed] or columns
    typed = annotate(statement.expression, schema)
    values = _query_types(typed) if typed is not None else None
    if values is None:
        return []
    message = "Insert query has mismatched column types: Table: [{table}], Query: [{values}]"
    return [_Write(names, values, message, "line 1:1: ")]


def _set_pairs(update: exp.Expression) -> tuple[list[str], list[exp.Expression]]:
    pairs = [e for e in update.expressions if isinstance(e, exp.EQ)]
    return [p.this.name.lower() for p in pairs], [p.expression for p in pairs]


_Case = tuple[int, list[str], list[exp.Expression], str]


def _merge(statement: exp.Merge, columns: list[str], sql: str) -> list[_Case]:
    """Each writing case of a MERGE: (its number, columns, values, Trino's location)."""
    whens = statement.args.get("whens")
    cases = list(whens.expressions) if isinstance(whens, exp.Whens) else []
    starts = list(_WHEN.finditer(sql))
    found: list[_Case] = []
    for number, when in enumerate(cases):
        then = when.args.get("then")
        if isinstance(then, exp.Update):
            names, values = _set_pairs(then)
        elif isinstance(then, exp.Insert) and isinstance(then.expression, exp.Tuple):
            values = list(then.expression.expressions)
            names = [c.name.lower() for c in then.this.expressions] if isinstance(then.this, exp.Tuple) else columns
        else:
            continue
        at = "line 1:1: "
        if len(starts) == len(cases):
            start = starts[number].start()
            line = sql.count("\n", 0, start) + 1
            at = f"line {line}:{start - (sql.rfind(chr(10), 0, start) + 1) + 1}: "
        found.append((number, names, values, at))
    return found


def _expression_writes(
    statement: exp.Expression, columns: list[str], sql: str, schema: Mapping[str, Mapping[str, str]]
) -> list[_Write]:
    """MERGE cases and UPDATE SETs: their values typed in one query over the statement's tables."""
    if isinstance(statement, exp.Merge):
        cases = _merge(statement, columns, sql)
        using, on = statement.args["using"].copy(), statement.args["on"].copy()
        source = exp.select().from_(statement.this.copy()).join(using, on=on)
        message = (
            "MERGE table column types don't match for MERGE case {case}, SET expressions: "
            "Table: [{table}], Expressions: [{values}]"
        )
    else:
        names, values = _set_pairs(statement)
        cases = [(0, names, values, "line 1:1: ")]
        source = exp.select().from_(statement.this.copy())
        joined = statement.args.get("from_") or statement.args.get("from")
        if isinstance(joined, exp.From):
            source = source.join(joined.this.copy())
        message = "UPDATE table column types don't match SET expressions: Table: [{table}], Expressions: [{values}]"
    projected = [v.copy() for _, _, values, _ in cases for v in values]
    if not projected:
        return []
    typed = annotate(source.select(*[exp.alias_(v, f"_v{i}") for i, v in enumerate(projected)]), schema)
    if not isinstance(typed, exp.Select):
        return []
    kinds = [_judged(trino_type(cast(exp.Expression, s))) for s in typed.selects]
    found: list[_Write] = []
    for number, names, values, at in cases:
        found.append(_Write(names, kinds[: len(values)], message.replace("{case}", str(number)), at))
        kinds = kinds[len(values) :]
    return found


def _table_types(schema: Mapping[str, Mapping[str, str]], target: exp.Table) -> dict[str, exp.DataType | None]:
    def build(kind: str) -> exp.DataType | None:
        try:
            return exp.DataType.build(kind, dialect="trino")
        except (SqlglotError, ValueError):
            return None

    return {name.lower(): build(kind) for name, kind in schema.get(target.name, {}).items()}


def _name(kind: exp.DataType | None) -> str:
    return trino_name(kind) if kind is not None else "unknown"


def refuse_mismatched_writes(
    sql: str,
    statement: exp.Expression,
    schema: Mapping[str, Mapping[str, str]],
    fallback: Callable[[], Sequence[exp.DataType | None] | None] | None = None,
) -> None:
    """Raise TYPE_MISMATCH, as Athena does, for an INSERT, MERGE case or UPDATE of ``statement`` (its tables named
    as in ``schema``: table -> column -> type) writing a value whose type has no common type with its column's.
    ``fallback`` gives an INSERT query's column types as DuckDB bound them, to name those sqlglot could not."""
    target = _target(statement)
    if target is None or target.name not in schema:
        return
    table = _table_types(schema, target)
    columns = list(table)
    if isinstance(statement, exp.Insert):
        found = _insert(statement, columns, schema)
    else:
        found = _expression_writes(statement, columns, sql, schema)
    for write in found:
        if any(name not in table for name in write.columns):
            continue  # a column the table lacks: DuckDB says so in its own words
        kinds = [table[name] for name in write.columns]
        counted = len(kinds) == len(write.values)
        if counted and not any(compatible(v, k) is False for v, k in zip(write.values, kinds, strict=True)):
            continue
        values = list(write.values)
        if any(v is None for v in values) and fallback is not None and isinstance(statement, exp.Insert):
            bound = fallback()
            if bound is not None and len(bound) == len(values):
                values = [v if v is not None else b for v, b in zip(values, bound, strict=True)]
        text = write.message.format(table=", ".join(map(_name, kinds)), values=", ".join(map(_name, values)))
        raise AthenaError("TYPE_MISMATCH", f"{write.at}{text}")
