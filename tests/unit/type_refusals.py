"""One way to ask an emulator refuser whether Athena would refuse a statement's types.

The VALUES, set-operation and comparison refusers all take the statement and its typed tree and raise
Trino's TYPE_MISMATCH; their tests share this so each reads as a table of statements and Trino's words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sqlglot
from sqlglot import exp

from lakehouse.emulator.sql.errors import AthenaError
from lakehouse.emulator.sql.typed import annotate

Refuser = Callable[[str, exp.Expression], None]


def type_mismatch(
    refuse: Refuser, sql: str, schema: Mapping[str, object], *, dialect: str = "trino", untyped_ok: bool = False
) -> str | None:
    """Trino's TYPE_MISMATCH message for `sql`, or None when the refuser lets it through.

    `untyped_ok` admits statements the annotator cannot type (unknown functions): they are let through.
    """
    try:
        typed = annotate(sqlglot.parse_one(sql, read=dialect), schema)
        assert typed is not None or untyped_ok, sql
        if typed is not None:
            refuse(sql, typed)
    except AthenaError as err:
        assert err.name == "TYPE_MISMATCH"
        return str(err)
    return None
