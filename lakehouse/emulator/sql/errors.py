"""Query failures worded like Athena's, so a client sees the same reason on both targets."""

from __future__ import annotations

from sqlglot import exp

#: Athena's ErrorCategory values: 1 system, 2 user, 3 other.
USER = 2
SYSTEM = 1

#: ErrorType codes Athena reports (1006 is documented for COLUMN_NOT_FOUND; the others are
#: this emulator's stable codes for its other named errors).
ERROR_TYPES = {
    "COLUMN_NOT_FOUND": 1006,
    "TABLE_NOT_FOUND": 1004,
    "SCHEMA_NOT_FOUND": 1003,
    "SYNTAX_ERROR": 1001,
    "NOT_SUPPORTED": 1002,
    "FUNCTION_NOT_FOUND": 1007,
    "INVALID_CAST_ARGUMENT": 1008,
    "MERGE_TARGET_ROW_MULTIPLE_MATCHES": 1009,
    "TYPE_MISMATCH": 1010,
    "HIVE_BAD_DATA": 1011,
    "ALREADY_EXISTS": 1012,
    "PERMISSION_DENIED": 1013,
    "EXCEEDED_SCAN_LIMIT": 1014,
    "NUMERIC_VALUE_OUT_OF_RANGE": 1015,
    "DIVISION_BY_ZERO": 1016,
    "UNSUPPORTED_TABLE_PROPERTY": 1200,  # the ErrorType Athena gave "Unsupported table property key" (measured)
    "GENERIC_USER_ERROR": 1000,
    "GENERIC_INTERNAL_ERROR": 2000,
}


class AthenaError(Exception):
    """A statement that fails the way Athena fails it: FAILED with ``name: message``."""

    def __init__(self, name: str, message: str, category: int = USER) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.category = category
        self.error_type = ERROR_TYPES.get(name, ERROR_TYPES["GENERIC_USER_ERROR"])

    @property
    def reason(self) -> str:
        return str(self)


class AccessDenied(AthenaError):
    """Lake Formation said no: Athena passes the catalog's message on without a Trino error name."""

    def __init__(self, message: str) -> None:
        super().__init__("PERMISSION_DENIED", message)
        self.args = (message,)

    @property
    def reason(self) -> str:
        return str(self.args[0])


class DdlRefusal(AthenaError):
    """Athena's DDL engine said no (Hive or Iceberg DDL): the reason is its own sentence, with no Trino error name.

    ``name`` picks the ErrorType only (``ERROR_TYPES``).
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(name, message)
        self.args = (message,)

    @property
    def reason(self) -> str:
        return str(self.args[0])


def where(sql: str, node: exp.Expression | None) -> str:
    """Trino's ``line L:C: `` prefix for the place ``node`` starts in ``sql`` (1-based)."""
    start = _start(node) if node is not None else None
    if start is None:
        return "line 1:1: "
    line = sql.count("\n", 0, start) + 1
    col = start - (sql.rfind("\n", 0, start) + 1) + 1
    return f"line {line}:{col}: "


def _start(node: exp.Expression) -> int | None:
    """The smallest source offset of any identifier or literal inside ``node``."""
    starts = [
        n.meta["start"]
        for n in node.walk()
        if isinstance(n, exp.Expression) and isinstance(n.meta, dict) and "start" in n.meta
    ]
    return min(starts) if starts else None
