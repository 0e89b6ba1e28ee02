"""Whether comparisons of one column with constants cover every value of the column's type.

``x > 1 OR x <= 2``, ``x < 10 OR x > 3``, ``x < 3 OR x = 3 OR x > 3``: ranges that overlap or touch leave no value
out, and on a never-NULL column of a NaN-free type the row filter is every row. Trino (Athena) compares a column
with a constant of another numeric type exactly (both are coerced to a common decimal type), so a constant is read
at its own value and each range is then narrowed to the values the column's type holds: an integer type has no value
between ``1`` and ``1.5`` (``x > 1.5 OR x <= 1`` covers every integer), a ``decimal(10,2)`` none between ``1.00`` and
``1.01``, a date none between two successive days, and a type's own range ends where it ends (``x >= -128`` is every
``tinyint``). A date compared with a ``TIMESTAMP`` constant, or a timestamp with a ``DATE`` one, is compared as a
timestamp (Trino coerces the date to its midnight). Only constants Trino compares with the column count: no string
with a number or a date (``DATE '...'`` is a date constant), no ``double`` (``1e3``), no decimal whose common type with
the column would need more than 38 digits. A timestamp steps by its precision: ``timestamp(3)`` holds nothing
between ``.000`` and ``.001``; a Glue ``timestamp`` by the microsecond, the finest Athena reads one at (Iceberg's;
a Hive table's is read in milliseconds, and what covers every microsecond covers every millisecond). The empty
string is the least ``varchar`` (``s >= ''`` is every string). A ``char(n)`` is compared space-padded (Trino's
``Chars.compareChars``: ``'a '`` is ``'a'``, and ``'a\t'`` sorts below it), so its constants are read padded, and
``''`` is not its least value (a tab is less than a space). Strings are read as dense otherwise (a gap their
alphabet closes is still read as a gap), dates are not bounded, and ``double`` (NaN orders neither way) and a plain
``decimal`` of unknown scale are not read: reading too few values covered can only call a filter restricting, never
open it by mistake.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from sqlglot import exp

#: Trino's integer types: (bits, digits of the decimal type Trino coerces them to when compared with a decimal).
_INTEGERS = {"tinyint": (8, 3), "smallint": (16, 5), "int": (32, 10), "integer": (32, 10), "bigint": (64, 19)}
_DECIMAL = re.compile(r"decimal\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)")
#: Trino's widest decimal: a comparison whose common decimal type would need more digits is not read.
_MAX_DIGITS = 38
_BIGINT_MAX = 2**63
#: The spellings of date and timestamp constants read here (``DATE '2024-01-31'``, ``TIMESTAMP '2024-01-31
#: 12:00:00.5'``, no time zone).
_INSTANT = re.compile(r"(\d{4}-\d{2}-\d{2})(?: (\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?)?")
#: ``column <op> constant`` as the set of values it admits; ``constant <op> column`` is mirrored first.
_MIRRORED: dict[type[exp.Expr], type[exp.Expr]] = {
    exp.GT: exp.LT,
    exp.GTE: exp.LTE,
    exp.LT: exp.GT,
    exp.LTE: exp.GTE,
    exp.EQ: exp.EQ,
    exp.NEQ: exp.NEQ,
}

#: A day's microseconds: a Glue ``timestamp``'s step (Athena reads an Iceberg one in microseconds).
_MICROSECONDS = 6
_TIMESTAMP = re.compile(r"timestamp(?:\s*\(\s*(\d+)\s*\))?")
_CHAR = re.compile(r"char\s*\(\s*(\d+)\s*\)")
#: The length ``char`` constants are padded to: longer than any row filter (at most 2048 characters).
_CHAR_PAD = 4096

#: An interval: lower bound (None: unbounded), whether it is included, upper bound, whether it is included.
Interval = tuple[Any, bool, Any, bool]


@dataclass(frozen=True)
class Domain:
    """The values of a Glue type as read here: ``number`` (Fractions), ``instant`` (days since 0001-01-01, as
    Fractions), ``string`` or ``char`` (strings, space-padded); ``step``: the gap between successive values (None:
    dense); ``low``/``high``: the type's least and greatest values (None: not bounded); ``digits``/``scale``: the
    decimal type Trino coerces it to when compared with a decimal constant (``digits`` None: not known)."""

    family: str
    step: Fraction | None = None
    low: Any = None
    high: Any = None
    digits: int | None = None
    scale: int = 0


def domain(type_name: str) -> Domain | None:
    """The values of a Glue column type whose constants are read here, else None."""
    kind = type_name.strip().lower()
    if kind in _INTEGERS:
        bits, digits = _INTEGERS[kind]
        return Domain("number", Fraction(1), Fraction(-(2 ** (bits - 1))), Fraction(2 ** (bits - 1) - 1), digits)
    if m := _DECIMAL.fullmatch(kind):
        precision, scale = int(m.group(1)), int(m.group(2) or 0)
        if not 0 < precision <= _MAX_DIGITS or scale > precision:
            return None
        top = Fraction(10**precision - 1, 10**scale)
        return Domain("number", Fraction(1, 10**scale), -top, top, precision - scale, scale)
    if kind == "decimal":
        return Domain("number")
    if kind == "date":
        return Domain("instant", Fraction(1))
    if m := _TIMESTAMP.fullmatch(kind):
        precision = int(m.group(1)) if m.group(1) is not None else _MICROSECONDS
        return Domain("instant", Fraction(1, 86400 * 10**precision)) if precision <= 12 else None
    if kind == "string" or re.fullmatch(r"varchar(\(\d+\))?", kind):
        return Domain("string", low="")
    if _CHAR.fullmatch(kind):
        return Domain("char")
    return None


def _instant(node: exp.Expr) -> Fraction | None:
    """A ``DATE '...'`` or ``TIMESTAMP '...'`` constant as days (and the fraction of a day) since 0001-01-01."""
    if not (isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_string):
        return None
    timestamp = node.to.is_type(exp.DataType.Type.TIMESTAMP)
    if not (timestamp or node.to.is_type(exp.DataType.Type.DATE)):
        return None  # TIMESTAMP WITH TIME ZONE, TIME, ...
    found = _INSTANT.fullmatch(node.this.this)
    if found is None or (found.group(2) is not None and not timestamp):
        return None
    day, hour, minute, second, fraction = found.groups()
    try:
        days = datetime.date.fromisoformat(day).toordinal()
    except ValueError:
        return None
    hours, minutes, seconds = int(hour or 0), int(minute or 0), int(second or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    within = hours * 3600 + minutes * 60 + seconds + Fraction(int(fraction or 0), 10 ** len(fraction or ""))
    return days + within / 86400


def _number(literal: exp.Literal, kind: Domain) -> Fraction | None:
    """A number constant's exact value, when Trino compares it with a column of ``kind`` exactly: an integer
    literal (``integer`` or ``bigint``), or a decimal one whose common decimal type with the column fits 38 digits."""
    text = literal.this
    if literal.is_string or "e" in text.lower():
        return None  # a string, or a double constant (``1e3``)
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    if "." not in text:
        if abs(value) > _BIGINT_MAX:
            return None  # no bigint literal: Trino does not read it as one
        whole, scale = (10 if abs(value) < 2**31 else 19), 0  # an ``integer``, else a ``bigint``
    else:
        scale = len(text.partition(".")[2])
        whole = len(text.partition(".")[0].lstrip("+-").lstrip("0"))
    digits = max(kind.digits or 0, whole) + max(kind.scale, scale)  # of the common decimal type
    if digits > _MAX_DIGITS:
        return None
    return Fraction(value)


def _constant(node: exp.Expr, kind: Domain) -> Any:
    """The value of a constant Trino compares with a column of ``kind`` (``-3``, ``1.50``, ``'de'``, ``DATE
    '2024-01-31'``), else None."""
    node = node.unnest()
    negative = isinstance(node, exp.Neg)
    if negative:
        node = node.this.unnest()
    if kind.family == "instant":
        return None if negative else _instant(node)
    if not isinstance(node, exp.Literal):
        return None
    if kind.family == "string":
        return node.this if node.is_string and not negative else None
    if kind.family == "char":  # compared padded with spaces: each constant as its padded self
        fits = node.is_string and not negative and len(node.this) <= _CHAR_PAD
        return node.this.ljust(_CHAR_PAD) if fits else None
    value = _number(node, kind)
    return -value if value is not None and negative else value


def _bounded(low: Any, low_in: bool, high: Any, high_in: bool, kind: Domain) -> list[Interval]:
    """The interval as the values of ``kind``: on a stepped type its least and greatest member (``x > 1.5`` on an
    integer is ``x >= 2``), unbounded where it reaches the type's end, and [] when it holds none."""
    step = kind.step
    if step is not None and low is not None:
        low, low_in = (math.ceil(low / step) if low_in else math.floor(low / step) + 1) * step, True
    if step is not None and high is not None:
        high, high_in = (math.floor(high / step) if high_in else math.ceil(high / step) - 1) * step, True
    if low is not None and kind.low is not None and (low < kind.low or (low == kind.low and low_in)):
        low, low_in = None, False
    if high is not None and kind.high is not None and (high > kind.high or (high == kind.high and high_in)):
        high, high_in = None, False
    if low is not None and high is not None and (low > high or (low == high and not (low_in and high_in))):
        return []
    return [(low, low is not None and low_in, high, high is not None and high_in)]


def _intervals(part: exp.Expr, column: str, kind: Domain) -> list[Interval] | None:
    """The values of ``column`` for which ``part`` is TRUE, when it compares ``column`` with a constant (or ANDs
    such comparisons: ``BETWEEN``), else None."""
    part = part.unnest()
    if isinstance(part, exp.And):
        return _intersection([_intervals(c, column, kind) for c in part.flatten()])
    if type(part) not in _MIRRORED:
        return None
    op: Any = type(part)
    left, right = part.this.unnest(), part.expression.unnest()
    if not (isinstance(left, exp.Column) and left.name.lower() == column):
        op, left, right = _MIRRORED[op], right, left
    if not (isinstance(left, exp.Column) and left.name.lower() == column and not left.table):
        return None  # a nested field (``s.b``) is not the top-level column ``b``
    value = _constant(right, kind)
    if value is None:
        return None
    if op is exp.NEQ:
        return _bounded(None, False, value, False, kind) + _bounded(value, False, None, False, kind)
    above, below = op in (exp.GT, exp.GTE, exp.EQ), op in (exp.LT, exp.LTE, exp.EQ)
    return _bounded(value if above else None, op is not exp.GT, value if below else None, op is not exp.LT, kind)


def _intersection(conjuncts: Sequence[list[Interval] | None]) -> list[Interval] | None:
    """The values every conjunct admits, when each is at most one interval (``x >= 1 AND x <= 5``), else None."""
    if not all(c is not None and len(c) <= 1 for c in conjuncts):
        return None
    if any(not c for c in conjuncts):
        return []  # a conjunct admits no value of the type
    bounds = [c[0] for c in conjuncts if c]
    low, low_in = max(((b[0], b[1]) for b in bounds), key=_lower_key)
    high, high_in = min(((b[2], b[3]) for b in bounds), key=_upper_key)
    if low is not None and high is not None and (low > high or (low == high and not (low_in and high_in))):
        return []
    return [(low, low_in, high, high_in)]


def _lower_key(bound: tuple[Any, bool]) -> tuple[int, Any, bool]:
    """Orders lower bounds: unbounded first; at one value, an excluded bound above an included one."""
    value, included = bound
    return (0, 0, False) if value is None else (1, value, not included)


def _covers(intervals: Sequence[Interval], step: Fraction | None) -> bool:
    """Whether the union of ``intervals`` is every value: sorted by lower bound, each starts where the ones before
    reached (on a stepped type, at most one step past)."""
    unbounded = [i for i in intervals if i[0] is None]
    if not unbounded:
        return False
    reach, included = max(((i[2], i[3]) for i in unbounded), key=_upper_key)
    bounded = sorted((i for i in intervals if i[0] is not None), key=lambda i: (i[0], not i[1]))  # [5 before (5
    for low, low_in, high, high_in in bounded:
        if reach is None:
            return True
        joined = low <= reach + step if step else (low < reach or (low == reach and (low_in or included)))
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
    constants among the disjuncts ``parts`` of an OR (or a lone condition: ``[x >= -128]``) admit every value of
    its type, else None."""
    for column, type_name in candidates.items():
        kind = domain(type_name)
        if kind is None:
            continue
        found = [_intervals(p, column, kind) for p in parts]
        intervals = [i for f in found if f is not None for i in f]
        if intervals and _covers(intervals, kind.step):
            return column
    return None
