"""Whether a Lake Formation data cells filter's row filter lets every row through.

Lake Formation reads ``RowFilter.FilterExpression`` as a PartiQL condition on the table's columns. ``AllRowsWildcard``
and the expression ``TRUE`` are its documented spellings of all rows, but any condition that is always true opens
every row just the same: ``1=1``, ``'a'='a'``, ``NOT false``, ``country = 'DE' OR true``. The expression is parsed
and constant-folded with sqlglot's simplifier: what folds to TRUE lets every row through.

Conditions on columns that hold for every row are folded first (``_fold_columns``): ``x IS NULL OR x IS NOT NULL``
(in either order), ``x IS NOT DISTINCT FROM x``, ``coalesce(x, 0) = coalesce(x, 0)``. ``x = x`` is NULL when ``x``
is NULL, and a NULL row filter drops the row: it is every row only when the table's schema says ``x`` is NOT NULL
(an Iceberg required field, ``required``), or beside ``OR x IS NULL``. What still references a column restricts rows
(data-dependent conditions such as ``region IN (...every value present...)`` are left to the data).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.simplify import simplify

#: Comparisons of an expression with itself: true (``_SELF_TRUE``) or false (``_SELF_FALSE``) when it is not NULL.
_SELF_TRUE = (exp.EQ, exp.GTE, exp.LTE)
_SELF_FALSE = (exp.NEQ, exp.GT, exp.LT)
#: Expressions not NULL when their operands are not (division is left out: ``x / 0`` is NULL in some engines).
_STRICT = (exp.Paren, exp.Neg, exp.Add, exp.Sub, exp.Mul, exp.DPipe)
#: Functions giving a new value at each call: ``random() = random()`` is no tautology.
_VOLATILE = {"rand", "random", "uuid", "gen_random_uuid"}


def _volatile(node: exp.Expr) -> bool:
    return any(
        isinstance(n, exp.Func) and (n.sql_name().lower() in _VOLATILE or str(n.name).lower() in _VOLATILE)
        for n in node.walk()
    )


def _not_null(node: exp.Expr, required: Collection[str], used: set[str]) -> bool:
    """Whether ``node`` is never NULL: a literal, a NOT NULL column (noted in ``used``), a coalesce with such an
    argument, or arithmetic over such operands."""
    if isinstance(node, exp.Null):
        return False
    if isinstance(node, (exp.Literal, exp.Boolean)):
        return True
    if isinstance(node, exp.Column):
        if node.name.lower() in required:
            used.add(node.name)
            return True
        return False
    if isinstance(node, exp.Coalesce):
        return any(_not_null(a, required, used) for a in [node.this, *node.expressions])
    if isinstance(node, _STRICT):
        operands = [a for a in (node.this, node.args.get("expression")) if isinstance(a, exp.Expression)]
        return bool(operands) and all(_not_null(a, required, used) for a in operands)
    return False


def _fold_columns(node: exp.Expr, required: Collection[str], used: set[str], positive: bool = True) -> Any:
    """``node`` with comparisons of an expression with itself and NULL tests of a never-NULL expression folded.

    Exact folds apply anywhere. Under no NOT (``positive``), where a NULL condition drops the row as FALSE does,
    ``A = A`` also becomes ``A IS NOT NULL`` and ``A <> A`` FALSE for a nullable ``A``; under NOT they are kept.
    """
    if isinstance(node, (exp.And, exp.Or)):
        return node.__class__(
            this=_fold_columns(node.this, required, used, positive),
            expression=_fold_columns(node.expression, required, used, positive),
        )
    if isinstance(node, exp.Paren):
        return exp.Paren(this=_fold_columns(node.this, required, used, positive))
    if isinstance(node, exp.Not):
        return exp.Not(this=_fold_columns(node.this, required, used, not positive))
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        return exp.false() if _not_null(node.this, required, used) else node
    same = isinstance(node, exp.Binary) and node.this == node.expression and not _volatile(node)
    if same and isinstance(node, exp.NullSafeEQ):
        return exp.true()
    if same and isinstance(node, exp.NullSafeNEQ):
        return exp.false()
    if same and isinstance(node, _SELF_TRUE + _SELF_FALSE):
        if _not_null(node.this, required, used):
            return exp.true() if isinstance(node, _SELF_TRUE) else exp.false()
        if positive:
            return (
                exp.Not(this=exp.Is(this=node.this, expression=exp.Null()))
                if isinstance(node, _SELF_TRUE)
                else (exp.false())
            )
    return node


def _complements(node: exp.Expr) -> exp.Expr:
    """``P OR ... OR NOT P`` as TRUE, for a NULL test ``P`` (never NULL itself): sqlglot folds one order only."""

    def fold(n: exp.Expr) -> exp.Expr:
        if not isinstance(n, exp.Or):
            return n
        parts = list(n.flatten())
        tests = [p for p in parts if isinstance(p, exp.Is)]
        negated = [p.this for p in parts if isinstance(p, exp.Not) and isinstance(p.this, exp.Is)]
        return exp.true() if any(t == m for t in tests for m in negated) else n

    return node.transform(fold)


def every_row(row_filter: Mapping[str, Any] | None, required: Collection[str] = ()) -> str | None:
    """How a data cells filter's ``RowFilter`` lets every row through (``""``: it says so itself: none,
    ``AllRowsWildcard``, an empty or ``TRUE`` expression), or None when it restricts rows. ``required``: the
    table's NOT NULL columns (lower case).

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
    used: set[str] = set()
    folded = simplify(_complements(simplify(_fold_columns(parsed, {c.lower() for c in required}, used))))
    if isinstance(folded, exp.Boolean):
        because = f" ({', '.join(sorted(used))} NOT NULL in the table's schema)" if used else ""
        return f"row filter {expression!r}, always true{because}" if folded.this else None
    if isinstance(folded, exp.Null) or folded.find(exp.Column) is not None:
        return None  # no row (NULL is not true), or a condition on the row's columns
    return f"row filter {expression!r} references no column: the same for every row, it may admit them all"
