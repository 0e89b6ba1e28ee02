"""Comparisons Athena (Trino) refuses and DuckDB answers: a varchar compared with a date, time, number or boolean.

DuckDB casts the varchar side and compares (``'2026-03-01' = DATE '2026-03-01'`` is true there); Trino has no
implicit coercion between varchar and those types and fails the statement: "Cannot apply operator: varchar =
date" (TYPE_MISMATCH). A Gold ``order_date`` stored as a string, compared with a date, then ran locally and
failed on AWS. Here the statement's types are inferred with sqlglot (``typed``) and each ``=``, ``<>``, ``<``,
``<=``, ``>``, ``>=``, ``BETWEEN`` and ``IN`` whose sides are one text and one of those types is refused with
Trino's message. A side whose type sqlglot cannot tell (``UNKNOWN``, a function it does not type) is let
through: the check never refuses on a guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

from sqlglot import exp

from lakehouse.emulator.sql.errors import AthenaError, where

_T = exp.DataType.Type
_TEXT = {_T.VARCHAR, _T.CHAR, _T.TEXT, _T.NVARCHAR, _T.NCHAR}
#: Types Trino does not coerce a varchar to (nor from) in a comparison.
_NOT_TEXT = exp.DataType.NUMERIC_TYPES | exp.DataType.TEMPORAL_TYPES | {_T.BOOLEAN}
_OPERATORS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
}
_COMPARISONS = (*_OPERATORS, exp.Between, exp.In)


def compares(tree: exp.Expression) -> bool:
    """Whether ``tree`` has a comparison to type at all (most statements without one cost nothing more)."""
    return any(True for _ in tree.find_all(*_COMPARISONS))


def trino_name(kind: exp.DataType) -> str:
    """The type as Trino's message names it (``varchar``, ``date``, ``decimal(12,2)``)."""
    return "varchar" if kind.this in _TEXT else kind.sql(dialect="trino").lower().replace(", ", ",")


def _mismatched(left: exp.DataType, right: exp.DataType) -> bool:
    return (left.this in _TEXT and right.this in _NOT_TEXT) or (right.this in _TEXT and left.this in _NOT_TEXT)


def _pairs(node: exp.Expression) -> Iterator[tuple[exp.Expression, exp.Expression, str]]:
    """``(left, right, message)`` for each comparison ``node`` makes."""
    if isinstance(node, exp.Between):
        low, high = node.args["low"], node.args["high"]
        for bound in (low, high):
            yield node.this, bound, "Cannot check if {l} is BETWEEN {r} and {r}"
    elif isinstance(node, exp.In):
        query = node.args.get("query")
        items: list[exp.Expression] = (
            [cast(exp.Expression, query.this.selects[0])]
            if query is not None and isinstance(query.this, exp.Query)
            else node.expressions
        )
        for item in items:
            yield node.this, item, "IN value and list items must be the same type: {l} vs {r}"
    else:
        yield node.this, node.expression, "Cannot apply operator: {l} " + _OPERATORS[type(node)] + " {r}"


def refuse_mismatched_comparisons(sql: str, typed: exp.Expression) -> None:
    """Raise TYPE_MISMATCH, as Athena does, for the first comparison of a varchar with a date, time, number or
    boolean in ``typed`` (a statement of ``sql`` as ``typed.annotate`` returns it)."""
    node: exp.Expression
    for node in typed.find_all(*_COMPARISONS):
        for left, right, message in _pairs(node):
            if left.type is not None and right.type is not None and _mismatched(left.type, right.type):
                text = message.format(l=trino_name(left.type), r=trino_name(right.type))
                raise AthenaError("TYPE_MISMATCH", f"{where(sql, node)}{text}")
