"""Arrays' ``contains``, ``array_position`` and ``=``/``<>`` as Trino (Athena) answers them, where DuckDB's list
functions answer otherwise.

Trino's ``contains(a, v)`` and ``array_position(a, v)`` match an element through the element type's ``EQUAL``
operator (``ArrayContains``, ``ArrayPositionFunction``, read at trinodb/trino@19a0b30 and @710f987): a NaN matches
nothing, itself included (IEEE 754, ``DoubleOperators``), so ``contains(ARRAY[nan()], nan())`` is false and
``array_position(ARRAY[nan()], nan())`` is 0; ``contains`` is NULL when no element matched and one is NULL; both are
NULL when ``a`` or ``v`` is NULL (their value argument is not nullable), and ``array_position`` is 0 when nothing
matched. Its array ``=`` (``ArrayType.equalOperator``) is false when the lengths differ or a pair of elements is not
``EQUAL`` (a NaN in either), else NULL when an element of either is NULL, else true; ``<>`` is ``NOT (=)``.
DuckDB's ``list_contains``/``list_position``/list ``=`` take NaN as equal to NaN and NULL as equal to NULL
(``contains(ARRAY[1, NULL], 2)`` false, ``array_position(ARRAY[1, NULL], NULL)`` 2, ``ARRAY[1, NULL] = ARRAY[1,
NULL]`` true) and ``list_position`` is NULL when nothing matched. Each is rewritten here (``floats.follow_trino``
calls these with the node's typed twin): the NaN guard only where the element type is ``double``/``real``; the
NULL rules for arrays of any scalar type. Arrays of arrays, maps or rows keep DuckDB's answer (Trino's would fail on
a NULL inside an element: "contains does not support arrays with elements that are null or contain null").
"""

from __future__ import annotations

from typing import cast

import sqlglot
from sqlglot import exp

_FLOATS = frozenset({exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT})
_NESTED = frozenset({exp.DataType.Type.ARRAY, exp.DataType.Type.LIST, exp.DataType.Type.MAP, exp.DataType.Type.STRUCT})

_CONTAINS = """CASE WHEN :a IS NULL OR :v IS NULL THEN NULL WHEN :match THEN TRUE
WHEN LIST_COUNT(:a) < LEN(:a) THEN NULL ELSE FALSE END"""
_POSITION = "CASE WHEN :a IS NULL OR :v IS NULL THEN NULL WHEN :never THEN 0 ELSE COALESCE(:found, 0) END"
_PAIRS = "LIST_TRANSFORM(LIST_ZIP(:a, :b), p -> CASE WHEN p[1] IS NULL OR p[2] IS NULL THEN NULL ELSE :equal END)"
_EQUAL = """CASE WHEN :a IS NULL OR :b IS NULL THEN NULL WHEN LEN(:a) <> LEN(:b) THEN FALSE
WHEN LIST_CONTAINS(:pairs, FALSE) THEN FALSE WHEN LIST_COUNT(:pairs) < LEN(:pairs) THEN NULL ELSE TRUE END"""


def _template(sql: str, **parts: exp.Expression) -> exp.Expression:
    """``sql`` (DuckDB) with its ``:name`` placeholders replaced by copies of ``parts``."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    return cast(exp.Expression, exp.replace_placeholders(tree, **{k: v.copy() for k, v in parts.items()}))


def element(typed: exp.Expression | None) -> exp.DataType | None:
    """The element type of ``typed`` (a node of the typed copy) when it is an array of a scalar type, else None."""
    kind = typed.type if typed is not None else None
    if kind is None or kind.this not in (exp.DataType.Type.ARRAY, exp.DataType.Type.LIST) or not kind.expressions:
        return None
    inner = kind.expressions[0]
    if not isinstance(inner, exp.DataType) or inner.this in _NESTED or inner.this == exp.DataType.Type.UNKNOWN:
        return None
    return inner


def _may_be_nan(value: exp.Expression, kind: exp.DataType) -> bool:
    """Whether ``value`` (an element's type ``kind``) may be NaN: a ``double``/``real`` that is not a number."""
    literal = isinstance(value, exp.Literal) or (isinstance(value, exp.Neg) and isinstance(value.this, exp.Literal))
    return kind.this in _FLOATS and not literal


def contains(node: exp.ArrayContains, typed: exp.ArrayContains) -> exp.Expression | None:
    """``contains(a, v)`` as Trino's: NaN matches nothing, NULL when nothing matched and an element is NULL."""
    kind = element(typed.this)
    if kind is None:
        return None
    array, value = node.this, node.expression
    match: exp.Expression = node.copy()
    if _may_be_nan(value, kind):
        match = cast(exp.Expression, exp.and_(exp.not_(exp.IsNan(this=value.copy())), match))
    return exp.Paren(this=_template(_CONTAINS, a=array, v=value, match=match))


def position(node: exp.ArrayPosition, typed: exp.ArrayPosition) -> exp.Expression | None:
    """``array_position(a, v)`` as Trino's bigint: 0 for NaN and when nothing matched, NULL when ``v`` is NULL."""
    kind = element(typed.this)
    if kind is None or node.args.get("expressions"):
        return None  # the three-argument form (an occurrence) is left to DuckDB
    array, value = node.this, node.expression
    never = exp.IsNan(this=value.copy()) if _may_be_nan(value, kind) else exp.false()
    answer = _template(_POSITION, a=array, v=value, never=never, found=node.copy())
    return exp.cast(answer, "BIGINT")


def equal(node: exp.EQ | exp.NEQ, typed: exp.EQ | exp.NEQ) -> exp.Expression | None:
    """Array ``a = b`` (``a <> b``) as Trino's: false on a length or element mismatch (NaN never equal), else NULL
    when an element is NULL, else true."""
    left, right = element(typed.this), element(typed.expression)
    if left is None or right is None:
        return None
    pair = exp.EQ(this=_template("p[1]"), expression=_template("p[2]"))
    nan = [_template(f"p[{i}]") for i, kind in ((1, left), (2, right)) if kind.this in _FLOATS]
    elements = cast(exp.Expression, exp.and_(pair, *(exp.not_(exp.IsNan(this=p)) for p in nan))) if nan else pair
    pairs = _template(_PAIRS, a=node.this, b=node.expression, equal=elements)
    answer = exp.Paren(this=_template(_EQUAL, a=node.this, b=node.expression, pairs=pairs))
    return exp.Paren(this=exp.not_(answer)) if isinstance(node, exp.NEQ) else answer
