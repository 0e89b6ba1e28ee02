"""VALUES row lists Athena (Trino) refuses and DuckDB answers: rows whose columns have no common type.

DuckDB casts a VALUES column to one type and runs: ``VALUES (1), ('1')`` is two integers there, ``INSERT INTO t
(name) VALUES ('a'), (1)`` stores the text ``'1'``. Trino's ``StatementAnalyzer.visitValues`` types each row as a
row type and folds them into their common super type, first row to last; where a column has none it fails the
statement: "Values rows have mismatched types: row(integer) vs row(varchar(1))" (TYPE_MISMATCH, at the ``VALUES``
keyword), naming the first row's type and the row that does not fit. Rows of different sizes fail as "Values rows
have mismatched sizes: 1 vs 2". Rows that do have a common type (``VALUES (1, 'a'), (2.5, 'b')``: decimal(11,1),
varchar(1)) run, as they do in DuckDB.

The items' types are sqlglot's (``typed``), judged by Trino's rules (``trino_types``); an item whose type sqlglot
cannot tell is skipped (never refused on a guess), a NULL (Trino's ``unknown``) coerces to anything.
"""

from __future__ import annotations

import re

from sqlglot import exp

from lakehouse.emulator.sql.errors import AthenaError, where
from lakehouse.emulator.sql.trino_types import compatible, trino_name, trino_type

_KEYWORD = re.compile(r"\bVALUES\b", re.IGNORECASE)


def has_values(tree: exp.Expression) -> bool:
    """Whether ``tree`` has a VALUES row list of more than one row (one row has nothing to disagree with)."""
    return any(len(node.expressions) > 1 for node in tree.find_all(exp.Values))


def _items(row: exp.Expression) -> list[exp.Expression]:
    return list(row.expressions) if isinstance(row, exp.Tuple) else [row]


def _row_name(items: list[exp.Expression]) -> str:
    """A row's type as Trino prints an anonymous row type: ``row(integer, varchar(1))``."""
    names = []
    for item in items:
        kind = trino_type(item)
        names.append(trino_name(kind) if kind is not None else "unknown")
    return f"row({', '.join(names)})"


def _at(sql: str, node: exp.Values) -> str:
    """``line L:C: `` of the ``VALUES`` keyword (Trino's place for the error): the last one before the first row."""
    starts = [n.meta["start"] for n in node.walk() if isinstance(n.meta, dict) and "start" in n.meta]
    keywords = list(_KEYWORD.finditer(sql, 0, min(starts) if starts else len(sql)))
    if not keywords:
        return where(sql, node)
    offset = keywords[-1].start()
    return f"line {sql.count(chr(10), 0, offset) + 1}:{offset - (sql.rfind(chr(10), 0, offset) + 1) + 1}: "


def _unknown(kind: exp.DataType | None) -> bool:
    """No type to fold yet: sqlglot could not tell, or NULL (Trino's ``unknown``)."""
    return kind is None or kind.this in (exp.DataType.Type.NULL, exp.DataType.Type.UNKNOWN)


def _refuse(sql: str, node: exp.Values) -> None:
    """Trino's fold of the rows' types, first row to last: the first row that does not fit fails the statement."""
    rows = [_items(row) for row in node.expressions]
    first = rows[0]
    common: list[exp.DataType | None] = [trino_type(item) for item in first]
    for row in rows[1:]:
        if len(row) != len(first):
            raise AthenaError(
                "TYPE_MISMATCH", f"{_at(sql, node)}Values rows have mismatched sizes: {len(first)} vs {len(row)}"
            )
        for i, item in enumerate(row):
            kind = trino_type(item)
            if _unknown(kind):
                continue
            if compatible(common[i], kind) is False:
                raise AthenaError(
                    "TYPE_MISMATCH",
                    f"{_at(sql, node)}Values rows have mismatched types: {_row_name(first)} vs {_row_name(row)}",
                )
            if _unknown(common[i]):
                common[i] = kind


def refuse_mismatched_values(sql: str, typed: exp.Expression) -> None:
    """Raise TYPE_MISMATCH, as Athena does, for the first VALUES in ``typed`` (a statement of ``sql`` as
    ``typed.annotate`` returns it) whose rows differ in size or have a column with no common type."""
    for node in typed.find_all(exp.Values):
        if len(node.expressions) > 1:
            _refuse(sql, node)
