"""Trino's view of sqlglot's types: the name its messages give a type, and whether two types have a common one.

The checks that refuse what Athena (Trino) cannot type (``comparisons``, ``setops``, ``assignments``) judge the
types sqlglot infers; this module holds Trino's rules, from ``io.trino.type.TypeCoercion``:

- two types are *compatible* (a common super type exists) when equal, when one is ``unknown`` (NULL), or along
  ``coerceTypeBase``: any number to a wider number (tinyint .. bigint, decimal, real, double), ``char`` to
  ``varchar``, ``date`` to ``timestamp`` and ``timestamp with time zone``, ``timestamp`` to ``timestamp with time
  zone``, ``time`` to ``time with time zone``; arrays and maps by their parameters, rows field by field. Nothing
  else: ``varchar`` against a number, date, time, boolean or ``varbinary``; ``date`` against ``time``; an array,
  map or row against a scalar;
- a string literal is ``varchar(n)``, n its length ("Cannot apply operator: date = varchar(10)"); a bounded
  column keeps its bound; an integer literal beyond 32 bits is ``bigint``, ``1.5`` is ``decimal(2,1)``; a
  ``timestamp`` or ``time`` whose precision is not stated is Trino's default, 3.

A type sqlglot cannot tell (``UNKNOWN`` from a function it does not type), or one outside the families above
(json, uuid, intervals, ...), is *not judged*: ``compatible`` answers None and the checks let the statement through.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp

_T = exp.DataType.Type
#: Scalar families: within one a common super type exists, between two none.
_FAMILIES: dict[str, frozenset[Any]] = {
    "text": frozenset({_T.VARCHAR, _T.CHAR, _T.TEXT, _T.NVARCHAR, _T.NCHAR}),
    "number": frozenset({_T.TINYINT, _T.SMALLINT, _T.INT, _T.BIGINT, _T.DECIMAL, _T.FLOAT, _T.DOUBLE}),
    "boolean": frozenset({_T.BOOLEAN}),
    "datetime": frozenset({_T.DATE, _T.TIMESTAMP, _T.TIMESTAMPTZ, _T.TIMESTAMPLTZ}),
    "time": frozenset({_T.TIME, _T.TIMETZ}),
    "varbinary": frozenset({_T.VARBINARY, _T.BINARY, _T.BLOB}),
}
_NESTED = frozenset({_T.ARRAY, _T.MAP, _T.STRUCT})
_NAMES = {
    _T.TINYINT: "tinyint",
    _T.SMALLINT: "smallint",
    _T.INT: "integer",
    _T.BIGINT: "bigint",
    _T.FLOAT: "real",
    _T.DOUBLE: "double",
    _T.BOOLEAN: "boolean",
    _T.DATE: "date",
    _T.VARBINARY: "varbinary",
    _T.BINARY: "varbinary",
    _T.BLOB: "varbinary",
    _T.UNKNOWN: "unknown",
    _T.NULL: "unknown",
}
_INTEGER_MAX = 2**31 - 1


def family(kind: exp.DataType | None) -> str | None:
    """The scalar family of ``kind`` (``text``, ``number``, ...), ``nested`` for arrays, maps and rows, or None."""
    if kind is None:
        return None
    if kind.this in _NESTED:
        return "nested"
    return next((name for name, types in _FAMILIES.items() if kind.this in types), None)


def _unknown(kind: exp.DataType) -> bool:
    return kind.this in (_T.UNKNOWN, _T.NULL)


def _parameters(kind: exp.DataType) -> list[exp.DataType | None]:
    """An array's element, a map's key and value, a row's field types (None for one sqlglot did not type)."""
    params: list[exp.DataType | None] = []
    for part in kind.expressions:
        inner = part.args.get("kind") if isinstance(part, exp.ColumnDef) else part
        params.append(inner if isinstance(inner, exp.DataType) else None)
    return params


def compatible(left: exp.DataType | None, right: exp.DataType | None) -> bool | None:
    """Whether Trino finds a common super type of ``left`` and ``right``; None when either is not judged."""
    if left is None or right is None:
        return None
    if _unknown(left) or _unknown(right):
        return True  # NULL is Trino's ``unknown``, which coerces to anything
    lfam, rfam = family(left), family(right)
    if lfam is None or rfam is None:
        return None
    if lfam != rfam:
        return False
    if lfam != "nested":
        return True
    if left.this != right.this:
        return False  # an array against a map or a row
    lparams, rparams = _parameters(left), _parameters(right)
    if not lparams or not rparams:
        return None  # a nested type sqlglot did not spell out
    if len(lparams) != len(rparams):
        return False if left.this == _T.STRUCT else None
    verdicts = [compatible(a, b) for a, b in zip(lparams, rparams, strict=True)]
    if False in verdicts:
        return False
    return None if None in verdicts else True


def trino_type(node: exp.Expression) -> exp.DataType | None:
    """The type Trino gives ``node``: sqlglot's, except for literals Trino types more narrowly (a string literal
    is ``varchar(n)``, an integer literal beyond 32 bits ``bigint``)."""
    value = node.unalias() if isinstance(node, exp.Alias) else node
    if isinstance(value, exp.Literal) and value.is_string:
        return exp.DataType.build(f"VARCHAR({len(value.this)})")
    if isinstance(value, exp.Literal) and value.this.isdigit() and int(value.this) > _INTEGER_MAX:
        return exp.DataType.build("BIGINT")
    if isinstance(value, exp.Literal) and re.fullmatch(r"\d*\.\d*", value.this) and value.this != ".":
        whole, fraction = value.this.split(".")
        return exp.DataType.build(f"DECIMAL({max(len(whole.lstrip('0')) + len(fraction), 1)}, {len(fraction)})")
    kind = value.type
    return kind if isinstance(kind, exp.DataType) else None


def _size(kind: exp.DataType) -> list[str]:
    return [p.name for p in kind.expressions if isinstance(p, exp.DataTypeParam)]


def trino_name(kind: exp.DataType) -> str:
    """The type as Trino's messages name it: ``varchar``, ``varchar(10)``, ``decimal(12,2)``, ``timestamp(6)``,
    ``array(varchar)``, ``row(a integer, b varchar)``."""
    size = _size(kind)
    if kind.this in _FAMILIES["text"]:
        base = "char" if kind.this in (_T.CHAR, _T.NCHAR) else "varchar"
        return f"{base}({size[0]})" if size else ("char(1)" if base == "char" else "varchar")
    if kind.this == _T.DECIMAL:
        precision, scale = (size + ["38", "0"])[:2] if size else ("38", "0")
        return f"decimal({precision},{scale})"
    if kind.this in (_T.TIMESTAMP, _T.TIMESTAMPTZ, _T.TIMESTAMPLTZ, _T.TIME, _T.TIMETZ):
        base = "time" if kind.this in (_T.TIME, _T.TIMETZ) else "timestamp"
        zone = " with time zone" if kind.this in (_T.TIMESTAMPTZ, _T.TIMESTAMPLTZ, _T.TIMETZ) else ""
        return f"{base}({size[0] if size else 3}){zone}"
    if kind.this == _T.ARRAY:
        return f"array({', '.join(_inner_names(kind))})"
    if kind.this == _T.MAP:
        return f"map({', '.join(_inner_names(kind))})"
    if kind.this == _T.STRUCT:
        fields = [
            f"{p.name} {_inner_name(p.args.get('kind'))}" if isinstance(p, exp.ColumnDef) else _inner_name(p)
            for p in kind.expressions
        ]
        return f"row({', '.join(fields)})"
    return _NAMES.get(kind.this) or kind.sql(dialect="trino").lower().replace(", ", ",")


def _inner_name(kind: object) -> str:
    return trino_name(kind) if isinstance(kind, exp.DataType) else "unknown"


def _inner_names(kind: exp.DataType) -> list[str]:
    return [_inner_name(p) for p in _parameters(kind)]
