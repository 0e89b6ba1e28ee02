"""Whether ORed comparisons of one column with constants cover every value of the column's type.

``x > 1 OR x <= 2``, ``x < 10 OR x > 3``, ``x < 3 OR x = 3 OR x > 3``: ranges that overlap or touch leave no value
out, and on a never-NULL column of a NaN-free type the row filter is every row. On integers and dates there is no
value between ``0`` and ``1`` (or two successive days): ``x >= 1 OR x <= 0`` covers every integer. Only constants of
the column's own type count (Trino coerces no string to a number or date, and a date constant is ``DATE '...'``);
a ``char(n)`` column (compared space-padded), a ``double`` (NaN orders neither way) and a ``timestamp`` are left out.
Decimals and strings are read as dense: a gap the type's scale or alphabet closes (``x <= 1.00 OR x >= 1.01`` on
``decimal(10,2)``) is still read as a gap, which can only call a filter restricting, never open it by mistake.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlglot import exp

#: Glue types read here, by prefix, and how their constants are read: ``discrete`` types have no value between
#: ``c`` and ``c + 1``.
_INTEGER = ("tinyint", "smallint", "integer", "int", "bigint")
_DENSE_NUMBER = ("decimal",)
_STRING = ("string", "varchar")
_BIGINT_MAX = 2**63
#: The one spelling of a date constant read here (``DATE '2024-01-31'``).
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: ``column <op> constant`` as the set of values it admits; ``constant <op> column`` is mirrored first.
_MIRRORED: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.GT: exp.LT,
    exp.GTE: exp.LTE,
    exp.LT: exp.GT,
    exp.LTE: exp.GTE,
    exp.EQ: exp.EQ,
    exp.NEQ: exp.NEQ,
}

#: An interval: lower bound (None: unbounded), whether it is included, upper bound, whether it is included.
Interval = tuple[Any, bool, Any, bool]


def _family(type_name: str) -> str | None:
    """``integer``, ``decimal``, ``string`` or ``date`` for a Glue type whose constants are read here, else None."""
    kind = type_name.strip().lower()
    if kind.startswith("date") and not kind.startswith("datetime"):
        return "date"
    for family, prefixes in (("integer", _INTEGER), ("decimal", _DENSE_NUMBER), ("string", _STRING)):
        if kind.startswith(prefixes) and not kind.startswith(("interval", "char")):
            return family
    return None


def _constant(node: exp.Expr, family: str) -> Any:
    """The value of a constant of the column's type (``-3``, ``1.50``, ``'de'``, ``DATE '2024-01-31'``), else None."""
    node = node.unnest()
    negative = isinstance(node, exp.Neg)
    if negative:
        node = node.this.unnest()
    if family == "date":
        to = node.args.get("to") if isinstance(node, exp.Cast) else None
        literal = node.this if to is not None and to.is_type(exp.DataType.Type.DATE) else None
        if negative or not (
            isinstance(literal, exp.Literal) and literal.is_string and _ISO_DATE.fullmatch(literal.this)
        ):
            return None
        try:
            return datetime.date.fromisoformat(literal.this).toordinal()
        except ValueError:
            return None
    if not isinstance(node, exp.Literal):
        return None
    if family == "string":
        return node.this if node.is_string and not negative else None
    if node.is_string or "e" in node.this.lower():
        return None  # a string, or a double constant (``1e3``)
    if family == "integer" and not node.is_int:
        return None
    try:
        value = int(node.this) if family == "integer" else Decimal(node.this)
    except (ValueError, InvalidOperation):
        return None
    if family == "integer" and value > _BIGINT_MAX:
        return None  # no bigint literal: Trino does not read it as one
    return -value if negative else value


def _intervals(part: exp.Expr, column: str, family: str) -> list[Interval] | None:
    """The values of ``column`` for which ``part`` is TRUE, when it compares ``column`` with a constant (or ANDs
    such comparisons: ``BETWEEN``), else None. Integers and dates are stepped: ``x > 3`` is ``x >= 4``."""
    part = part.unnest()
    if isinstance(part, exp.And):
        return _intersection([_intervals(c, column, family) for c in part.flatten()])
    if type(part) not in _MIRRORED:
        return None
    op: Any = type(part)
    left, right = part.this.unnest(), part.expression.unnest()
    if not (isinstance(left, exp.Column) and left.name.lower() == column):
        op, left, right = _MIRRORED[op], right, left
    if not (isinstance(left, exp.Column) and left.name.lower() == column and not left.table):
        return None  # a nested field (``s.b``) is not the top-level column ``b``
    value = _constant(right, family)
    if value is None:
        return None
    discrete = family in ("integer", "date")
    if op is exp.GT:
        return [(value + 1, True, None, False)] if discrete else [(value, False, None, False)]
    if op is exp.LT:
        return [(None, False, value - 1, True)] if discrete else [(None, False, value, False)]
    if op is exp.GTE:
        return [(value, True, None, False)]
    if op is exp.LTE:
        return [(None, False, value, True)]
    if op is exp.EQ:
        return [(value, True, value, True)]
    below = _intervals(exp.LT(this=left.copy(), expression=right.copy()), column, family) or []
    return below + (_intervals(exp.GT(this=left.copy(), expression=right.copy()), column, family) or [])


def _intersection(conjuncts: Sequence[list[Interval] | None]) -> list[Interval] | None:
    """The values every conjunct admits, when each is one interval (``x >= 1 AND x <= 5``), else None."""
    if not all(c is not None and len(c) == 1 for c in conjuncts):
        return None
    bounds = [c[0] for c in conjuncts if c is not None]
    low, low_in = max(((b[0], b[1]) for b in bounds), key=_lower_key)
    high, high_in = min(((b[2], b[3]) for b in bounds), key=_upper_key)
    if low is not None and high is not None and (low > high or (low == high and not (low_in and high_in))):
        return []
    return [(low, low_in, high, high_in)]


def _lower_key(bound: tuple[Any, bool]) -> tuple[int, Any, bool]:
    """Orders lower bounds: unbounded first; at one value, an excluded bound above an included one."""
    value, included = bound
    return (0, 0, False) if value is None else (1, value, not included)


def _covers(intervals: Sequence[Interval], discrete: bool) -> bool:
    """Whether the union of ``intervals`` is every value: sorted by lower bound, each starts where the ones before
    reached (on integers and dates, at most one step past)."""
    unbounded = [i for i in intervals if i[0] is None]
    if not unbounded:
        return False
    reach, included = max(((i[2], i[3]) for i in unbounded), key=_upper_key)
    bounded = sorted((i for i in intervals if i[0] is not None), key=lambda i: (i[0], not i[1]))  # [5 before (5
    for low, low_in, high, high_in in bounded:
        if reach is None:
            return True
        joined = low <= reach + 1 if discrete else (low < reach or (low == reach and (low_in or included)))
        if not joined:
            return False
        if _upper_key((high, high_in)) > _upper_key((reach, included)):
            reach, included = high, high_in
    return reach is None


def _upper_key(bound: tuple[Any, bool]) -> tuple[int, Any, bool]:
    """Orders upper bounds: unbounded last; at one value, an included bound above an excluded one."""
    value, included = bound
    return (1, 0, True) if value is None else (0, value, included)


def covered_column(parts: Sequence[exp.Expr], candidates: dict[str, str]) -> str | None:
    """The first column of ``candidates`` (never-NULL columns, lower case, by Glue type) whose comparisons with
    constants among the disjuncts ``parts`` of an OR admit every value of its type, else None."""
    for column, type_name in candidates.items():
        family = _family(type_name)
        if family is None:
            continue
        found = [_intervals(p, column, family) for p in parts]
        intervals = [i for f in found if f is not None for i in f]
        if intervals and _covers(intervals, discrete=family in ("integer", "date")):
            return column
    return None
