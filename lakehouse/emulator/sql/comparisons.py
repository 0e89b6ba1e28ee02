"""Comparisons Athena (Trino) refuses and DuckDB answers: two sides with no common type.

DuckDB casts one side and compares (``'2026-03-01' = DATE '2026-03-01'`` is true there); Trino coerces only
along its type rules (``trino_types``) and fails the statement otherwise: "Cannot apply operator: varchar(10) =
date" (TYPE_MISMATCH). A Gold ``order_date`` stored as a string, compared with a date, then ran locally and
failed on AWS; so did a ``date`` against a ``time``, a ``varbinary`` against a ``varchar``, an array, map or row
against a scalar. Here the statement's types are inferred with sqlglot (``typed``) and each ``=``, ``<>``,
``<``, ``<=``, ``>``, ``>=``, ``BETWEEN`` and ``IN`` whose sides have no common type is refused with Trino's
message, each type named as Trino names it (a string literal is ``varchar(n)``). A side whose type sqlglot
cannot tell (``UNKNOWN``, a function it does not type) is let through: the check never refuses on a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from sqlglot import exp

from lakehouse.emulator.sql.errors import AthenaError, where
from lakehouse.emulator.sql.trino_types import compatible, trino_name, trino_type
from lakehouse.emulator.sql.typed import annotate

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


def _refusal(node: exp.Expression) -> tuple[exp.Expression, str] | None:
    """Where and why Trino refuses the comparison ``node`` (its ``ExpressionAnalyzer`` words), or None."""
    if isinstance(node, exp.Between):
        value, low, high = (trino_type(n) for n in (node.this, node.args["low"], node.args["high"]))
        if value is None or low is None or high is None:
            return None
        if False in (compatible(value, low), compatible(value, high), compatible(low, high)):
            names = (trino_name(value), trino_name(low), trino_name(high))
            return node, "Cannot check if {} is BETWEEN {} and {}".format(*names)
        return None
    if isinstance(node, exp.In):
        query = node.args.get("query")
        if query is not None:  # the subquery's one column against the value
            inner = query.this if isinstance(query, exp.Subquery) else query
            if not isinstance(inner, exp.Query) or len(inner.selects) != 1:
                return None
            left, right = trino_type(node.this), trino_type(cast(exp.Expression, inner.selects[0]))
            if left is not None and right is not None and compatible(left, right) is False:
                text = "value and result of subquery must be of the same type for IN expression: {} vs {}"
                return node, text.format(trino_name(left), trino_name(right))
            return None
        # Trino folds the value and the items into one type, left to right, and names the type so far.
        common = trino_type(node.this)
        for item in node.expressions:
            kind = trino_type(item)
            if common is None or kind is None:
                return None
            verdict = compatible(common, kind)
            if verdict is None:
                return None
            if verdict is False:
                return item, f"IN value and list items must be the same type: {trino_name(common)}"
            common = _wider(common, kind)
        return None
    left, right = trino_type(node.this), trino_type(node.expression)
    if left is not None and right is not None and compatible(left, right) is False:
        return node, f"Cannot apply operator: {trino_name(left)} {_OPERATORS[type(node)]} {trino_name(right)}"
    return None


def _wider(common: exp.DataType, kind: exp.DataType) -> exp.DataType:
    """The fold's type after ``kind``: ``kind`` when the fold had only NULLs so far, else the fold's."""
    return kind if common.this in (exp.DataType.Type.UNKNOWN, exp.DataType.Type.NULL) else common


def condition_refusal(condition: exp.Expr, columns: Mapping[str, str]) -> str | None:
    """Why Trino refuses ``condition`` as the WHERE of a table with ``columns`` (name -> type, as ``annotate`` reads
    them): its first comparison without a common type, in Trino's words (``Cannot apply operator: integer >
    varchar(1)``); None when every comparison types, or sqlglot cannot type it (never a refusal on a guess)."""
    query = exp.select("*").from_("__filtered").where(condition.copy())
    typed = annotate(query, {"__filtered": dict(columns)})
    if typed is None:
        return None
    node: exp.Expression
    for node in typed.find_all(*_COMPARISONS):
        refused = _refusal(node)
        if refused is not None:
            return refused[1]
    return None


def refuse_mismatched_comparisons(sql: str, typed: exp.Expression) -> None:
    """Raise TYPE_MISMATCH, as Athena does, for the first comparison in ``typed`` (a statement of ``sql`` as
    ``typed.annotate`` returns it) whose sides have no common type."""
    node: exp.Expression
    for node in typed.find_all(*_COMPARISONS):
        refused = _refusal(node)
        if refused is not None:
            at, text = refused
            raise AthenaError("TYPE_MISMATCH", f"{where(sql, at)}{text}")
