"""Athena's result shape: column metadata and every value as text (``VarCharValue``).

pyathena's default cursor converts by the ``Type`` names and text formats used here
(timestamps ``YYYY-MM-DD HH:MM:SS.fff``, booleans ``true``), so results must look like Athena's.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import math
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_SIMPLE = {
    "BOOLEAN": "boolean",
    "TINYINT": "tinyint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "bigint",
    "UTINYINT": "smallint",
    "USMALLINT": "integer",
    "UINTEGER": "bigint",
    "UBIGINT": "bigint",
    "FLOAT": "float",
    "DOUBLE": "double",
    "VARCHAR": "varchar",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP_NS": "timestamp",
    "TIMESTAMP_MS": "timestamp",
    "TIMESTAMP_S": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp with time zone",
    "BLOB": "varbinary",
    # Trino's names for these (Athena's DML types are Trino's, aws "Data types in Amazon Athena"): pyathena reads a
    # ``json`` column's text as JSON (its converter's "json" entry), so naming it varchar changed what a client got.
    "UUID": "uuid",
    "JSON": "json",
}
#: Trino's two interval types: DuckDB has one INTERVAL (months, days, microseconds), see ``interval_texts``.
DAY_TO_SECOND = "interval day to second"
YEAR_TO_MONTH = "interval year to month"
#: DuckDB's text of an INTERVAL: ``1 year 2 months 3 days -04:05:06.789`` (each part optional, ``00:00:00`` for 0).
_DUCK_INTERVAL = re.compile(
    r"^(?:(?P<years>-?\d+) years? ?)?(?:(?P<months>-?\d+) months? ?)?(?:(?P<days>-?\d+) days? ?)?"
    r"(?:(?P<sign>-?)(?P<h>\d+):(?P<m>\d+):(?P<s>\d+)(?:\.(?P<frac>\d+))?)?$"
)


@dataclass(frozen=True)
class Column:
    """One entry of ``ResultSetMetadata.ColumnInfo``."""

    name: str
    type: str
    precision: int = 0
    scale: int = 0

    def info(self) -> dict[str, Any]:
        return {
            "CatalogName": "hive",
            "SchemaName": "",
            "TableName": "",
            "Name": self.name,
            "Label": self.name,
            "Type": self.type,
            "Precision": self.precision,
            "Scale": self.scale,
            "Nullable": "UNKNOWN",
            "CaseSensitive": self.type == "varchar",
        }


def athena_column(name: str, duck_type: str) -> Column:
    """Athena's type name (and precision/scale) for a DuckDB result column type."""
    upper = duck_type.upper()
    if m := _DECIMAL.fullmatch(upper):
        return Column(name, "decimal", int(m.group(1)), int(m.group(2)))
    if upper.endswith("[]") or upper.startswith("LIST"):
        return Column(name, "array")
    if upper.startswith("STRUCT"):
        return Column(name, "row")
    if upper.startswith("MAP"):
        return Column(name, "map")
    if upper.startswith("VARCHAR"):
        return Column(name, "varchar", 2147483647)
    if upper == "INTERVAL":
        return Column(name, DAY_TO_SECOND)  # ``interval_texts`` tells a year-month column by its values
    kind = _SIMPLE.get(upper)
    if kind is None:
        return Column(name, "varchar")
    precision = {"integer": 10, "bigint": 19, "double": 17, "float": 24, "timestamp": 3, "date": 0}.get(kind, 0)
    return Column(name, kind, precision)


def text(value: Any) -> str | None:
    """A value as Athena prints it; ``None`` stays NULL (no ``VarCharValue``)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        out = value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond // 1000:03d}"
        if value.tzinfo is not None:
            out += " " + (value.tzname() or "UTC")
        return out
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}"
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, bytes):
        return value.hex(" ")
    if isinstance(value, list):
        return "[" + ", ".join("null" if v is None else str(text(v)) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={'null' if v is None else text(v)}" for k, v in value.items()) + "}"
    return str(value)


def java_double(value: float) -> str:
    """Java's ``Double.toString``, which Trino prints a ``double`` with: ``0.1``, ``100.0``, ``1.0E7``, ``1.0E-5``.

    Its digits (JDK 19 on) are the shortest decimal that reads back as ``value``, the closest to it when several,
    and never one digit alone (the closest two-digit decimal then, ``4.9E-324``): Python's ``repr`` digits, or the
    closest two; ``_java_notation`` lays them out.
    """
    if not math.isfinite(value) or value == 0:
        return _java_special(value)
    shortest = repr(value)
    if len(decimal.Decimal(shortest).normalize().as_tuple().digits) < 3:
        shortest = f"{value:.1e}"
    return _java_notation(decimal.Decimal(shortest))


def java_real(value: float) -> str:
    """Java's ``Float.toString`` for a ``real`` (a 32-bit float DuckDB hands over widened to a Python float): the
    same rules as ``java_double`` over the decimals that read back as that 32-bit float (``0.1``, not the
    ``0.10000000149011612`` its widened value prints as)."""
    if not math.isfinite(value) or value == 0:
        return _java_special(value)
    for digits in range(2, 10):  # 9 significant digits always read back as the same 32-bit float
        shortest = f"{value:.{digits - 1}e}"
        if struct.unpack("f", struct.pack("f", float(shortest)))[0] == value:
            break
    return _java_notation(decimal.Decimal(shortest))


def _java_special(value: float) -> str:
    if value != value:
        return "NaN"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    return "Infinity" if value > 0 else "-Infinity"


def _java_notation(number: decimal.Decimal) -> str:
    """Java's layout of a finite non-zero decimal: plain from 10^-3 up to 10^7 (one fraction digit at least), else
    computerized scientific notation (``d.dddE-n``)."""
    sign, digit_tuple, exponent = number.normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    scientific = len(digits) - 1 + int(exponent)
    if -3 <= scientific < 7:
        point = scientific + 1  # digits before the decimal point
        if point <= 0:
            body = "0." + "0" * -point + digits
        elif point >= len(digits):
            body = digits + "0" * (point - len(digits)) + ".0"
        else:
            body = digits[:point] + "." + digits[point:]
    else:
        body = f"{digits[0]}.{digits[1:] or '0'}E{scientific}"
    return ("-" if sign else "") + body


def _real_text(value: Any) -> str | None:
    return java_real(value) if value.__class__ is float else text(value)


def _text_as_is(value: Any) -> str | None:
    return value if value.__class__ is str else text(value)


def _int_text(value: Any) -> str | None:
    return str(value) if value.__class__ is int else text(value)


def _date_text(value: Any) -> str | None:
    return value.isoformat() if value.__class__ is dt.date else text(value)


def _decimal_text(value: Any) -> str | None:
    return format(value, "f") if value.__class__ is decimal.Decimal else text(value)


def _timestamp_text(value: Any) -> str | None:
    """``text``'s ``%Y-%m-%d %H:%M:%S.mmm`` by ``isoformat`` (C, ~10x faster than ``strftime``): the same text for a
    naive timestamp from year 1000 on (``strftime`` does not pad a year below 1000 to four digits here)."""
    if value.__class__ is dt.datetime and value.tzinfo is None and value.year >= 1000:
        return value.isoformat(" ", "milliseconds")
    return text(value)


#: ``text`` for the values of a DuckDB result type, its type tests cut to the one the type's values pass (a value
#: of another class still goes through ``text``): what ``text`` returns for them, in fewer steps.
_TEXT_OF: dict[str, Any] = {
    "VARCHAR": _text_as_is,
    "DATE": _date_text,
    "TIMESTAMP": _timestamp_text,
    "FLOAT": _real_text,  # a real's text is its 32-bit value's, which ``text`` cannot tell from a double's
    **{k: _int_text for k, v in _SIMPLE.items() if v in ("tinyint", "smallint", "integer", "bigint")},
}


def _nested(kind: exp.DataType) -> Callable[[Any], str | None]:
    """``text`` for a value of ``kind`` (sqlglot's reading of a DuckDB type), a ``real`` anywhere inside it printed
    as its 32-bit value (``java_real``): DuckDB hands a ``FLOAT`` in a list, map or struct over widened to a Python
    float, which ``text`` alone prints as the double it became (``[1.100000023841858]`` for Athena's ``[1.1]``)."""
    if kind.this == exp.DataType.Type.FLOAT:
        return _real_text
    parts = [k if isinstance(k, exp.DataType) else k.args.get("kind") for k in kind.expressions]
    inner = [_nested(k) if isinstance(k, exp.DataType) else text for k in parts]
    if kind.this in (exp.DataType.Type.ARRAY, exp.DataType.Type.LIST) and inner:
        of = inner[0]
        return lambda v: (
            "[" + ", ".join("null" if e is None else str(of(e)) for e in v) + "]"
            if isinstance(v, list | tuple)
            else text(v)
        )
    if kind.this == exp.DataType.Type.MAP and len(inner) == 2:
        key, value = inner
        return lambda v: (
            "{" + ", ".join(f"{key(k)}={'null' if e is None else value(e)}" for k, e in v.items()) + "}"
            if isinstance(v, dict)
            else text(v)
        )
    if kind.this == exp.DataType.Type.STRUCT:  # a struct's values come in its fields' order
        return lambda v: (
            "{"
            + ", ".join(f"{k}={'null' if e is None else f(e)}" for (k, e), f in zip(v.items(), inner, strict=False))
            + "}"
            if isinstance(v, dict)
            else text(v)
        )
    return text


def _converter(duck_type: str) -> Callable[[Any], str | None]:
    """The text rule for a result column of ``duck_type``."""
    upper = duck_type.upper()
    if _DECIMAL.fullmatch(upper):
        return _decimal_text
    if upper in _TEXT_OF:
        return _TEXT_OF[upper]
    if "FLOAT" in upper and ("[" in upper or upper.startswith(("MAP", "STRUCT"))):
        return _nested(exp.DataType.build(duck_type, dialect="duckdb"))
    return text


def texts(duck_types: list[str], rows: list[tuple[Any, ...]]) -> list[list[str | None]]:
    """``[[text(v) for v in row] for row in rows]``, the same values, for rows of these DuckDB column types.

    ``text`` tries a value against ten types in turn; most result columns (the Gold tables') are text, integers,
    decimals and dates, whose values are converted here by the one rule ``text`` would come to. A list, map or
    struct holding a ``real`` prints it as a ``real`` (``_nested``).
    """
    convert = [_converter(t) for t in duck_types]
    return [[None if v is None else f(v) for f, v in zip(convert, row, strict=True)] for row in rows]


def _interval_parts(text: str) -> tuple[int, int] | None:
    """``(months, milliseconds)`` of DuckDB's text of an INTERVAL (its days counted as 24 hours); None if unread."""
    m = _DUCK_INTERVAL.fullmatch(text.strip())
    if m is None or not text.strip():
        return None
    months = int(m["years"] or 0) * 12 + int(m["months"] or 0)
    clock = (int(m["h"] or 0) * 3600 + int(m["m"] or 0) * 60 + int(m["s"] or 0)) * 1000
    clock += int((m["frac"] or "0").ljust(3, "0")[:3])
    millis = int(m["days"] or 0) * 86_400_000 + (-clock if m["sign"] else clock)
    return months, millis


def _year_to_month(months: int) -> str:
    """Trino's text of an ``interval year to month`` (``IntervalYearMonth.formatMonths``): ``1-2``, ``-0-3``."""
    sign = "-" if months < 0 else ""
    return f"{sign}{abs(months) // 12}-{abs(months) % 12}"


def _day_to_second(millis: int) -> str:
    """Trino's text of an ``interval day to second`` (``IntervalDayTime.formatMillis``): ``1 02:03:04.005``."""
    sign = "-" if millis < 0 else ""
    rest = abs(millis)
    days, rest = divmod(rest, 86_400_000)
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis_left = divmod(rest, 1000)
    return f"{sign}{days} {hours:02d}:{minutes:02d}:{seconds:02d}.{millis_left:03d}"


def interval_texts(columns: list[Column], rows: list[list[str | None]], positions: list[int]) -> None:
    """Trino's type and text for the INTERVAL columns at ``positions``, whose cells hold DuckDB's text of the value.

    DuckDB has one INTERVAL type; Trino has ``interval year to month`` (``INTERVAL '2' MONTH``) and ``interval day
    to second`` (``INTERVAL '2' DAY``, a timestamp minus a timestamp), which never mix. A column whose values are
    all whole months (and not all zero) is taken to be year to month, any other day to second: the type is read
    from the values because DuckDB's result no longer holds the literal's unit (an all-NULL or all-zero column is
    named day to second). Months in a day-to-second value count as 30 days, DuckDB's own reading.
    """
    for i in positions:
        parts = [None if row[i] is None else _interval_parts(str(row[i])) for row in rows]
        known = [p for p in parts if p is not None]
        year_month = bool(known) and all(ms == 0 for _, ms in known) and any(mo != 0 for mo, _ in known)
        columns[i] = Column(columns[i].name, YEAR_TO_MONTH if year_month else DAY_TO_SECOND)
        for row, part in zip(rows, parts, strict=True):
            if part is not None:
                months, millis = part
                row[i] = _year_to_month(months) if year_month else _day_to_second(months * 30 * 86_400_000 + millis)


def to_csv(columns: list[Column], rows: list[list[str | None]]) -> bytes:
    """The result file Athena writes to the output location: header plus rows, all quoted."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    # One join of list comprehensions (no generator per row): the same text, a quarter less CPU.
    buf.write(
        "".join([",".join(["" if v is None else '"' + v.replace('"', '""') + '"' for v in row]) + "\n" for row in rows])
    )
    return buf.getvalue().encode("utf-8")
