"""Decimal division as Athena (Trino engine v3) computes it, written for DuckDB.

DuckDB's ``/`` with a decimal operand answers a double. Trino's (``io.trino.type.DecimalOperators.divide``) answers
``decimal(min(38, p1 + s2 + max(s2 - s1, 0)), max(s1, s2))`` for ``decimal(p1, s1) / decimal(p2, s2)``: the dividend's
unscaled value times ``10^(s - s1 + s2)`` divided by the divisor's, the quotient's last digit rounded half away from
zero (``remainder * 2 >= divisor``: quotient + 1). An integer operand is coerced to a decimal first (``tinyint``
``decimal(3, 0)``, ``smallint`` 5, ``integer`` 10, ``bigint`` 19); a literal ``100.0`` is ``decimal(4, 1)`` (its
digits, leading zeros dropped, and the ones after the point); ``*`` is ``decimal(min(38, p1 + p2), s1 + s2)``, ``+``
and ``-`` ``decimal(min(38, max(p1 - s1, p2 - s2) + max(s1, s2) + 1), max(s1, s2))``, ``sum`` ``decimal(38, s)``.

The operands' decimal types are read from the statement's typed copy (``typed.annotate``: a column's type as the table
holds it, an integer as sqlglot types it) and the rules above for literals, casts and arithmetic (sqlglot types a
literal ``7.50`` as a double). A ``/`` is rewritten only when both types are known and one is a decimal: an operand it
cannot type (a function's result, a CTE's decimal column, ...) keeps DuckDB's double (never a guess). The unscaled
arithmetic is DuckDB's ``HUGEINT`` (1.7e38): a rescaled dividend beyond it (twice the unscaled value times
``10^(s - s1 + s2)``: some 37 digits, far beyond what a ``sum`` of amounts reaches) fails the query with DuckDB's
overflow where Trino's wider arithmetic answers; a scale of 37 or 38 keeps DuckDB's double.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp

from lakehouse.emulator.sql.division import DECIMAL_DIVIDE, division_id

_MAX = 38
#: The largest scale whose ``10^-s`` DuckDB reads as a decimal literal (``0.``, then s digits: at most 38 in all).
_LITERAL_SCALE = 37
_T = exp.DataType.Type
#: Trino's coercion of an integer type to a decimal (``DecimalType.createDecimalType`` of its digits).
_INTEGER_DIGITS = {_T.TINYINT: 3, _T.SMALLINT: 5, _T.INT: 10, _T.BIGINT: 19}
_DECIMAL_LITERAL = re.compile(r"^0*(\d*)\.(\d*)$")


@dataclass(frozen=True)
class Numeric:
    """An exact numeric operand as Trino types it: ``decimal(precision, scale)``, or an integer (``integer``)
    that becomes ``decimal(precision, 0)`` where it meets a decimal."""

    precision: int
    scale: int
    integer: bool = False


def _integer(kind: exp.DataType | None) -> Numeric | None:
    if isinstance(kind, exp.DataType) and kind.this in _INTEGER_DIGITS:
        return Numeric(_INTEGER_DIGITS[kind.this], 0, integer=True)
    return None


def _declared(kind: exp.DataType | None) -> Numeric | None:
    """A ``decimal(p, s)`` type with both numbers stated (a bare ``decimal`` differs: Trino 38,0, DuckDB 18,3)."""
    if not isinstance(kind, exp.DataType) or kind.this != _T.DECIMAL or len(kind.expressions) != 2:
        return None
    try:
        precision, scale = (int(e.this.name if isinstance(e, exp.DataTypeParam) else e.name) for e in kind.expressions)
    except ValueError:
        return None
    return Numeric(precision, scale) if 0 <= scale <= precision <= _MAX else None


def _literal(node: exp.Literal) -> Numeric | None:
    if node.is_string:
        return None
    if node.is_int:
        return _integer(node.type)
    found = _DECIMAL_LITERAL.match(node.name)
    if found is None:  # an exponent: a double
        return None
    whole, fraction = found.groups()
    return Numeric(max(1, len(whole) + len(fraction)), len(fraction))


def _plus(a: Numeric, b: Numeric) -> Numeric:
    scale = max(a.scale, b.scale)
    return Numeric(min(_MAX, max(a.precision - a.scale, b.precision - b.scale) + scale + 1), scale)


def quotient_type(a: Numeric, b: Numeric) -> Numeric:
    """Trino's ``DecimalOperators.divide`` result type."""
    return Numeric(min(_MAX, a.precision + b.scale + max(b.scale - a.scale, 0)), max(a.scale, b.scale))


def numeric(node: exp.Expression) -> Numeric | None:
    """Trino's exact numeric type of ``node`` (a typed copy's node), None when it is not one or not known."""
    if isinstance(node, exp.Paren | exp.Neg):
        return numeric(node.this)
    if isinstance(node, exp.Literal):
        return _literal(node)
    if isinstance(node, exp.Cast):
        return _integer(node.to) or _declared(node.to)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div):
        a, b = numeric(node.this), numeric(node.expression)
        if a is None or b is None:
            return None
        if a.integer and b.integer:
            return _integer(node.type)
        if isinstance(node, exp.Mul):
            return Numeric(min(_MAX, a.precision + b.precision), a.scale + b.scale)
        return quotient_type(a, b) if isinstance(node, exp.Div) else _plus(a, b)
    if isinstance(node, exp.Window) and isinstance(node.this, exp.Sum):
        return numeric(node.this)
    if isinstance(node, exp.Sum):
        inner = numeric(node.this)
        return Numeric(_MAX, inner.scale) if inner is not None and not inner.integer else _integer(node.type)
    return _integer(node.type) or (_declared(node.type) if isinstance(node, exp.Column) else None)


def _as_decimal(node: exp.Expression, kind: Numeric) -> exp.Cast:
    """``CAST(node AS DECIMAL(p, s))``, left as DuckDB's cast (``casts`` rewrites only casts of text)."""
    cast = exp.Cast(this=node, to=exp.DataType.build(f"DECIMAL({kind.precision}, {kind.scale})"))
    cast.meta["trino_cast"] = True
    return cast


def decimal_divisions(marked: dict[int, exp.Div], typed: exp.Expression) -> None:
    """Write each ``division.mark_divisions``-ed ``/`` whose operands ``typed`` (the statement's typed copy) types as
    exact numerics, one a decimal, as Trino's decimal quotient (``DECIMAL_DIVIDE``, cast to its type)."""
    for twin in typed.find_all(exp.Div):
        node = marked.get(division_id(twin))
        a, b = numeric(twin.this), numeric(twin.expression)
        if node is None or a is None or b is None or (a.integer and b.integer):
            continue  # not the statement's, not known, or integers (``division.integer_divisions``)
        result = quotient_type(a, b)
        if result.scale >= _LITERAL_SCALE:
            continue
        rescale = result.scale - a.scale + b.scale
        unit = exp.Literal.number(f"0.{'0' * (result.scale - 1)}1" if result.scale else "1")
        operands = [_as_decimal(node.this, a), _as_decimal(node.expression, b)]
        call = exp.Anonymous(this=DECIMAL_DIVIDE, expressions=[*operands, exp.Literal.string(str(10**rescale)), unit])
        node.replace(_as_decimal(call, result))
