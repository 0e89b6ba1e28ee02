"""Division and remainder as Athena (Trino engine v3) computes them, written for DuckDB.

DuckDB's ``/`` of two integers is a double (``7 / 2`` is 3.5) and its ``/`` or ``%`` by zero of integers or
decimals is NULL. Trino (``io.trino.type.BigintOperators``, ``IntegerOperators``, ``SmallintOperators``,
``TinyintOperators``: ``divide``/``modulus`` are Java's ``left / right`` and ``left % right``) answers an integer
of the operands' common type, truncated toward zero (``-7 / 2`` is -3), a remainder with the dividend's sign
(``-7 % 2`` is -1), and fails the query with ``DIVISION_BY_ZERO: Division by zero`` for a zero integer divisor;
``DecimalOperators.divide``/``modulus`` fail the same way for a zero decimal divisor. A ``double`` or ``real``
operand makes both sides doubles (``DoubleOperators``): Java's IEEE answers, ``1e0 / 0`` Infinity, ``0e0 / 0`` and
``5e0 % 0`` NaN, as DuckDB's.

Integer operands are told from the statement's types (``typed.annotate``, the ones the comparisons are judged by):
a ``/`` whose two operands sqlglot types as integers is written as DuckDB's ``//`` (truncated toward zero, of the
operands' common type); one it cannot type keeps DuckDB's ``/`` (never a guess). A DuckDB ``/`` of two integers that
is not the statement's, a division by its own, is no concern here. Every ``/`` and ``%`` is then written as a macro
that fails a zero divisor unless an operand is a ``double``/``real`` (``typeof``: DuckDB makes it a constant as it
binds the call, so the test costs a division of doubles nothing). Also Trino's: ``BigintOperators.divide`` fails the
one quotient beyond ``bigint`` (``-9223372036854775808 / -1``, NUMERIC_VALUE_OUT_OF_RANGE) and Java's ``%`` answers 0
for any integer ``x % -1`` (DuckDB fails the smallest value). A ``/`` with a decimal operand is Trino's decimal
quotient where both operands' types are known (``decimal_division``, the ``DECIMAL_DIVIDE`` macro here); a decimal
``%`` stays DuckDB's.
"""

from __future__ import annotations

from typing import cast

from sqlglot import exp

#: What a macro's ``error`` says starts with one of these; the engine reports it under Trino's error name.
_FAILURES = {
    "__trino_division_by_zero__: ": "DIVISION_BY_ZERO",
    "__trino_out_of_range__: ": "NUMERIC_VALUE_OUT_OF_RANGE",
}
_ZERO = "error('__trino_division_by_zero__: Division by zero')"
_OVERFLOW = "error('__trino_out_of_range__: bigint division overflow: ' || a || ' / ' || b)"
_BIGINT_MIN = -(2**63)
_FLOATS = "('DOUBLE', 'FLOAT')"
_INTEGERS = "('TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'HUGEINT')"
#: A zero divisor fails a division Trino computes: a NULL dividend is NULL without it (its operators take no NULL).
_BY_ZERO = "b = 0 AND a IS NOT NULL"
_NOT_FLOATS = f"typeof(a) NOT IN {_FLOATS} AND typeof(b) NOT IN {_FLOATS}"
_BOTH_INTEGERS = f"typeof(a) IN {_INTEGERS} AND typeof(b) IN {_INTEGERS}"
_DIVIDE = "__trino_divide"
_INTEGER_DIVIDE = "__trino_integer_divide"
_MODULUS = "__trino_modulus"
#: ``(a, b, r, unit)``: ``a / b`` of two decimals, as Trino's ``DecimalOperators.divide``, a ``DECIMAL(38, s)``: the
#: unscaled values (the decimal's text without its point: exact where a DuckDB product would overflow), the
#: dividend's times ``r`` (text: ``10^(s - s1 + s2)``), divided with the last digit rounded half away from zero, times
#: ``unit`` (``10^-s``).
DECIMAL_DIVIDE = "__trino_decimal_divide"
_UNSCALED = "__trino_unscaled"
_ID = "division_id"

#: The macros the rewritten ``/`` and ``%`` call, made once in each of the engine's databases.
DIVISION_MACROS = (
    f"CREATE MACRO {_DIVIDE}(a, b) AS CASE WHEN {_BY_ZERO} AND {_NOT_FLOATS} THEN {_ZERO} ELSE a / b END",
    f"CREATE MACRO {_INTEGER_DIVIDE}(a, b) AS CASE WHEN {_BY_ZERO} THEN {_ZERO} "
    f"WHEN b = -1 AND a = {_BIGINT_MIN} THEN {_OVERFLOW} ELSE a // b END",
    f"CREATE MACRO {_MODULUS}(a, b) AS CASE WHEN {_BY_ZERO} AND {_NOT_FLOATS} THEN {_ZERO} "
    f"WHEN b = -1 AND {_BOTH_INTEGERS} THEN 0 ELSE a % b END",
    f"CREATE MACRO {_UNSCALED}(x) AS CAST(replace(CAST(x AS VARCHAR), '.', '') AS HUGEINT)",
    f"CREATE MACRO {DECIMAL_DIVIDE}(a, b, r, unit) AS CASE WHEN {_BY_ZERO} THEN {_ZERO} "
    f"ELSE CAST(sign({_UNSCALED}(a)) * sign({_UNSCALED}(b)) * ((abs({_UNSCALED}(a)) * CAST(r AS HUGEINT) * 2 "
    f"+ abs({_UNSCALED}(b))) // (abs({_UNSCALED}(b)) * 2)) AS DECIMAL(38, 0)) * unit END",
)


def trino_failure(message: str) -> tuple[str, str] | None:
    """Trino's error name and message for a DuckDB error a division macro raised; None for any other error."""
    for marker, name in _FAILURES.items():
        if marker in message:
            return name, message[message.index(marker) + len(marker) :]
    return None


def mark_divisions(tree: exp.Expression) -> dict[int, exp.Div]:
    """Number each ``/`` of ``tree`` (kept by the typed copies made after): the numbers and nodes."""
    marked: dict[int, exp.Div] = {}
    for node in tree.find_all(exp.Div):
        node.meta[_ID] = len(marked)
        marked[len(marked)] = node
    return marked


def division_id(node: exp.Expression) -> int:
    """The number ``mark_divisions`` gave ``node`` (or its typed twin); -1 for a ``/`` it did not number."""
    return int(node.meta.get(_ID, -1))


def _integer(node: exp.Expression) -> bool:
    kind = node.type
    return isinstance(kind, exp.DataType) and kind.is_type(*exp.DataType.INTEGER_TYPES)


def integer_divisions(marked: dict[int, exp.Div], typed: exp.Expression) -> None:
    """Write each ``mark_divisions``-ed ``/`` whose operands ``typed`` (the statement's typed copy) types as integers
    as DuckDB's ``//``."""
    for twin in typed.find_all(exp.Div):
        node = marked.get(division_id(twin))
        if node is not None and _integer(twin.this) and _integer(twin.expression):
            node.replace(exp.IntDiv(this=node.this, expression=node.expression))


def trino_division(tree: exp.Expression) -> exp.Expression:
    """``tree`` (not changed) with every ``/``, ``//`` (``integer_divisions``) and ``%`` (``mod``) written as the
    macro that fails a zero divisor as Trino does; the tree is then DuckDB's, not Trino's, text."""
    macros: dict[type[exp.Expression], str] = {exp.Div: _DIVIDE, exp.IntDiv: _INTEGER_DIVIDE, exp.Mod: _MODULUS}

    def replace(node: exp.Expression) -> exp.Expression:
        name = macros.get(type(node))
        if name is None:
            return node
        binary = cast(exp.Binary, node)
        return exp.Anonymous(this=name, expressions=[binary.this, binary.expression])

    if not any(True for _ in tree.find_all(exp.Div, exp.IntDiv, exp.Mod)):
        return tree
    return tree.transform(replace, copy=True)
