"""Set operations Athena (Trino) refuses and DuckDB answers: UNION, EXCEPT or INTERSECT of columns whose types
have no common type (a varchar against a date, number or boolean; a number against a date or boolean; ...).

DuckDB finds a common type and runs (``SELECT '2026-03-01' EXCEPT SELECT DATE '2026-03-01'`` is empty there: the
string equals the date); Trino folds each column's type over the branches, left to right, and fails the statement
when two have no common super type: "column 1 in EXCEPT query has incompatible types: varchar, date"
(TYPE_MISMATCH, at the operator). Exit 2's ``matches`` contract compares Gold with a query by EXCEPT, so a Gold
``order_date`` stored as a string matched locally and failed on AWS. The branches' column types are sqlglot's
(``typed``); a column whose type sqlglot cannot tell, or a NULL (Trino's ``unknown``, which coerces to anything),
takes the other branch's type; a type of no family below (arrays, rows, varbinary) is let through.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sqlglot import exp

from lakehouse.emulator.sql.comparisons import trino_name
from lakehouse.emulator.sql.errors import AthenaError, where

_T = exp.DataType.Type
#: Families Trino never coerces into one another (within one, a common type exists: integer and bigint,
#: varchar(3) and varchar, date and timestamp; time against date is not judged).
_FAMILIES: dict[str, frozenset[Any]] = {
    "text": frozenset({_T.VARCHAR, _T.CHAR, _T.TEXT, _T.NVARCHAR, _T.NCHAR}),
    "number": frozenset(exp.DataType.NUMERIC_TYPES),
    "temporal": frozenset(exp.DataType.TEMPORAL_TYPES),
    "boolean": frozenset({_T.BOOLEAN}),
}
_OPERATOR = re.compile(r"\b(UNION|EXCEPT|INTERSECT)\b", re.IGNORECASE)


def combines(tree: exp.Expression) -> bool:
    """Whether ``tree`` has a set operation to type at all."""
    return any(True for _ in tree.find_all(exp.SetOperation))


def _family(kind: exp.DataType | None) -> str | None:
    if kind is None:
        return None
    return next((name for name, types in _FAMILIES.items() if kind.this in types), None)


def _column(select: exp.Expr) -> tuple[str | None, str]:
    """A branch column's family and the name Trino gives its type (a string literal is ``varchar(n)``)."""
    value = select.unalias()
    if isinstance(value, exp.Literal) and value.is_string:
        return "text", f"varchar({len(value.this)})"
    family = _family(select.type)
    return family, trino_name(select.type) if family is not None and select.type is not None else "unknown"


def _columns(query: exp.Expr, sql: str) -> list[tuple[str | None, str]] | None:
    """The families and type names of ``query``'s output columns, each set operation in it checked; None when
    a branch cannot be read column by column (a star sqlglot did not expand, VALUES it did not wrap)."""
    if isinstance(query, exp.Subquery):
        return _columns(query.this, sql)
    if isinstance(query, exp.SetOperation):
        return _fold(query, sql)
    if isinstance(query, exp.Select):
        if any(isinstance(s, exp.Star) or (isinstance(s, exp.Column) and s.is_star) for s in query.selects):
            return None
        return [_column(s) for s in query.selects]
    return None


def _fold(node: exp.SetOperation, sql: str) -> list[tuple[str | None, str]] | None:
    """Trino's column types of ``node``: the left branch's, then each column's common type with the right's;
    TYPE_MISMATCH when a column's two are of different families."""
    left, right = _columns(node.left, sql), _columns(node.right, sql)
    if left is None or right is None or len(left) != len(right) or node.args.get("by_name"):
        return None  # DuckDB refuses a different number of columns itself
    folded: list[tuple[str | None, str]] = []
    for i, ((lfam, lname), (rfam, rname)) in enumerate(zip(left, right, strict=True), start=1):
        if lfam is not None and rfam is not None and lfam != rfam:
            name = type(node).__name__.upper()
            raise AthenaError(
                "TYPE_MISMATCH",
                f"{_at(sql, node)}column {i} in {name} query has incompatible types: {lname}, {rname}",
            )
        folded.append((lfam, _wider(lname, rname)) if lfam is not None else (rfam, rname))
    return folded


def _wider(left: str, right: str) -> str:
    """The common type's name where Trino's is plain to tell (two varchars: the longer); otherwise the left's."""
    lengths = [re.fullmatch(r"varchar(?:\((\d+)\))?", n) for n in (left, right)]
    if all(lengths):
        bounds = [m.group(1) for m in lengths if m is not None]
        return "varchar" if None in bounds else f"varchar({max(int(b) for b in bounds if b is not None)})"
    return left


def _at(sql: str, node: exp.SetOperation) -> str:
    """Trino's ``line L:C: `` of the set operation's keyword: the first one after the left branch's last token."""
    ends = [n.meta["end"] for n in node.left.walk() if isinstance(n.meta, dict) and "end" in n.meta]
    found = _OPERATOR.search(sql, max(ends) + 1) if ends else None
    if found is None:
        return where(sql, node)
    line = sql.count("\n", 0, found.start()) + 1
    return f"line {line}:{found.start() - (sql.rfind(chr(10), 0, found.start()) + 1) + 1}: "


def _inner_first(node: exp.Expression) -> Iterator[exp.SetOperation]:
    """``node``'s set operations, each after those inside it and left ones first: the order Trino analyses them."""
    for child in node.iter_expressions():
        yield from _inner_first(child)
    if isinstance(node, exp.SetOperation):
        yield node


def refuse_incompatible_set_operations(sql: str, typed: exp.Expression) -> None:
    """Raise TYPE_MISMATCH, as Athena does, for the first set operation in ``typed`` (a statement of ``sql`` as
    ``typed.annotate`` returns it) with a column whose branches' types have no common type."""
    if not combines(typed):
        return
    for node in _inner_first(typed):
        _fold(node, sql)
