"""Casts from varchar as Trino (Athena engine v3) does them, written for DuckDB.

DuckDB's casts accept more than Trino's: ``2026/03/02 10:00`` or ``2026-03-02T10:00`` as a
timestamp, ``1.5``, ``1e3``, ``0x10`` or ``1_000`` as a bigint, `` 5 `` as a decimal. Local and
AWS would then disagree on which rows are valid. Each rule below is Trino's source:

- timestamp: the value trimmed must match ``DateTimes.DATETIME_PATTERN`` (``y-M-d``, optionally
  `` H:m[:s[.f]]``, optionally a zone, which a cast to ``timestamp`` ignores), from
  ``VarcharToTimestampCast`` (``trim(value)``, then the pattern);
- bigint/integer/smallint/tinyint: Java's ``Long.parseLong(value.trim())`` (``VarcharOperators``):
  an optional sign and digits only;
- decimal: ``new BigDecimal(value)`` untrimmed, rounded ``HALF_UP`` to the scale (``DecimalCasts``).

A value outside the grammar is NULL for ``try_cast`` and fails a ``CAST`` with DuckDB's conversion
error (the engine reports it as ``INVALID_CAST_ARGUMENT``). Casts of non-varchar values are left as
DuckDB does them. Not covered: double/real (Java's ``parseDouble`` grammar), date, boolean, and
fractions beyond milliseconds (Trino's ``timestamp`` is ``timestamp(3)``).
"""

from __future__ import annotations

from typing import cast

import sqlglot
from sqlglot import exp

_TIMESTAMP = r"[-+]?\d{4,}-\d{1,2}-\d{1,2}( (\d{1,2}:\d{1,2}(:\d{1,2}(\.\d+)?)?)?\s*(.+)?)?"
#: The date and time part (what a cast to timestamp keeps of a value that matched ``_TIMESTAMP``).
_TIMESTAMP_KEPT = r"^[-+]?\d{4,}-\d{1,2}-\d{1,2}( \d{1,2}:\d{1,2}(:\d{1,2}(\.\d+)?)?)?"
_INTEGER = r"[+-]?\d+"
_DECIMAL = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"
_INTEGER_TYPES = {
    exp.DataType.Type.BIGINT,
    exp.DataType.Type.INT,
    exp.DataType.Type.SMALLINT,
    exp.DataType.Type.TINYINT,
}
_PLACEHOLDER = "__trino_cast_value__"


def _java_trim(value: str) -> str:
    """Java's ``String.trim()``: every character up to U+0020 off both ends."""
    return f"regexp_replace({value}, '^[\\x{{0}}-\\x{{20}}]+|[\\x{{0}}-\\x{{20}}]+$', '', 'g')"


def _whitespace_trim(value: str) -> str:
    """Trino's ``trim``: whitespace off both ends."""
    return f"regexp_replace({value}, '^\\s+|\\s+$', '', 'g')"


def _rule(kind: exp.DataType) -> tuple[str, str] | None:
    """(value to check, Trino's grammar) for a cast to ``kind``; None when DuckDB's cast is Trino's."""
    v = f"CAST({_PLACEHOLDER} AS VARCHAR)"
    if kind.this in _INTEGER_TYPES:
        return _java_trim(v), _INTEGER
    if kind.this == exp.DataType.Type.DECIMAL:
        return v, _DECIMAL
    if kind.this == exp.DataType.Type.TIMESTAMP:
        return _whitespace_trim(v), _TIMESTAMP
    return None


def _template(node: exp.Cast) -> str | None:
    kind = node.args.get("to")
    if not isinstance(kind, exp.DataType):
        return None
    rule = _rule(kind)
    if rule is None:
        return None
    checked, grammar = rule
    target = kind.sql(dialect="duckdb")
    x = _PLACEHOLDER
    timestamp = kind.this == exp.DataType.Type.TIMESTAMP
    text = f"regexp_extract({checked}, '{_TIMESTAMP_KEPT}', 0)" if timestamp else checked
    if isinstance(node, exp.TryCast):
        return (
            f"CASE WHEN typeof({x}) <> 'VARCHAR' THEN TRY_CAST({x} AS {target}) "
            f"WHEN regexp_full_match({checked}, '{grammar}') THEN TRY_CAST({text} AS {target}) END"
        )
    # CAST: outside the grammar DuckDB is handed a marked text, so the cast fails as a conversion error.
    marked = f"'Cannot cast ''' || CAST({x} AS VARCHAR) || ''' to {target}'"
    return (
        f"CASE WHEN typeof({x}) <> 'VARCHAR' THEN CAST({x} AS {target}) WHEN {x} IS NULL THEN NULL "
        f"WHEN regexp_full_match({checked}, '{grammar}') THEN CAST({text} AS {target}) "
        f"ELSE CAST({marked} AS {target}) END"
    )


def trino_casts(tree: exp.Expression) -> exp.Expression:
    """``tree`` with every cast to an integer, decimal or timestamp type made to follow Trino's grammar."""

    def replace(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Cast) or node.meta.get("trino_cast"):
            return node
        template = _template(node)
        if template is None:
            return node
        built = cast(exp.Expression, sqlglot.parse_one(template, read="duckdb"))
        operand = node.this
        for placeholder in list(built.find_all(exp.Column)):
            if placeholder.name == _PLACEHOLDER:
                placeholder.replace(operand.copy())
        for inner in built.find_all(exp.Cast):
            inner.meta["trino_cast"] = True
        return built

    return tree.transform(replace, copy=True)
