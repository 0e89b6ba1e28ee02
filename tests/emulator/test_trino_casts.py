"""Casts from varchar in the emulator give Trino's answers (Athena engine v3), not DuckDB's.

Each case states Trino's result and why, from Trino's source: ``VarcharToTimestampCast`` (the
value trimmed, then ``DateTimes.DATETIME_PATTERN``: ``y-M-d``, optionally `` H:m[:s[.f]]``,
optionally a zone the cast ignores), ``VarcharOperators.castToBigint`` (``Long.parseLong`` of the
value trimmed) and ``DecimalCasts.varcharToShortDecimal`` (``new BigDecimal`` of the value as is,
rounded HALF_UP). DuckDB alone answers differently where marked.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any, cast

import duckdb
import pytest
import sqlglot
from sqlglot import exp

from lakehouse.emulator.sql.dialect import READ, to_duckdb

D = decimal.Decimal


def athena(sql: str) -> Any:
    """What the emulator's translation of an Athena statement returns (first cell)."""
    with duckdb.connect() as con:
        row = con.execute(to_duckdb(cast(exp.Expression, sqlglot.parse_one(sql, read=READ)))).fetchone()
    assert row is not None
    return row[0]


def quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@pytest.mark.parametrize(
    ("value", "trino"),
    [
        ("2026-03-02 10:00:00", dt.datetime(2026, 3, 2, 10)),
        ("2026-03-02 10:00", dt.datetime(2026, 3, 2, 10)),  # seconds are optional
        ("2026-03-02", dt.datetime(2026, 3, 2)),  # the time is optional
        ("2026-3-2 1:2:3", dt.datetime(2026, 3, 2, 1, 2, 3)),  # one-digit fields
        (" 2026-03-02 10:00:00 ", dt.datetime(2026, 3, 2, 10)),  # trimmed first
        ("2026-03-02 10:00:00 UTC", dt.datetime(2026, 3, 2, 10)),  # a zone matches, the cast ignores it
        ("2026/03/02 10:00", None),  # slashes: no match (DuckDB: 2026-03-02 10:00)
        ("2026-03-02T10:00:00", None),  # ISO 'T': no match (DuckDB: 2026-03-02 10:00)
        ("20260302", None),
        ("2026-02-30 00:00:00", None),  # no such day
        ("", None),
        ("NULL", None),  # the text NULL is not a timestamp
    ],
)
def test_try_cast_to_timestamp_follows_trinos_pattern(value: str, trino: dt.datetime | None) -> None:
    assert athena(f"SELECT try_cast({quote(value)} AS timestamp)") == trino


@pytest.mark.parametrize(
    ("value", "trino"),
    [
        ("12", 12),
        (" 12 ", 12),  # Long.parseLong(value.trim())
        ("+5", 5),
        ("-7", -7),
        ("1.5", None),  # DuckDB: 2
        ("1e3", None),  # DuckDB: 1000
        ("0x10", None),  # DuckDB: 16
        ("1_000", None),  # DuckDB: 1000
        ("9223372036854775808", None),  # beyond bigint
        ("", None),
        ("NULL", None),
    ],
)
def test_try_cast_to_bigint_follows_java_parse_long(value: str, trino: int | None) -> None:
    assert athena(f"SELECT try_cast({quote(value)} AS bigint)") == trino


@pytest.mark.parametrize(
    ("value", "trino"),
    [
        ("12.5", D("12.50")),
        ("12.345", D("12.35")),  # HALF_UP to the scale
        ("-0.005", D("-0.01")),  # HALF_UP away from zero
        ("+5", D("5.00")),
        (".5", D("0.50")),
        ("5.", D("5.00")),
        ("1e3", D("1000.00")),  # BigDecimal takes an exponent
        (" 5 ", None),  # new BigDecimal(value), untrimmed (DuckDB: 5.00)
        ("1_000", None),  # DuckDB: 1000.00
        ("1,000.00", None),
        ("100000000.00", None),  # does not fit decimal(10, 2)
        ("", None),
        ("NULL", None),
        ("NaN", None),
    ],
)
def test_try_cast_to_decimal_follows_java_big_decimal(value: str, trino: decimal.Decimal | None) -> None:
    assert athena(f"SELECT try_cast({quote(value)} AS decimal(10, 2))") == trino


def test_cast_outside_trinos_grammar_fails_as_a_conversion_error_naming_the_value() -> None:
    with pytest.raises(duckdb.ConversionException, match="Cannot cast '2026/03/02 10:00' to TIMESTAMP"):
        athena("SELECT CAST('2026/03/02 10:00' AS timestamp)")
    with pytest.raises(duckdb.ConversionException, match="Cannot cast '1.5' to BIGINT"):
        athena("SELECT CAST('1.5' AS bigint)")


def test_casts_of_other_types_and_nulls_are_left_as_they_were() -> None:
    assert athena("SELECT CAST(1.5 AS bigint)") == 2  # Trino rounds a decimal to bigint too
    assert athena("SELECT CAST(CAST('2026-01-01 10:00:00' AS timestamp) AS timestamp)") == dt.datetime(2026, 1, 1, 10)
    assert athena("SELECT CAST(NULL AS bigint)") is None
    assert athena("SELECT try_cast(12.5 AS decimal(10, 2))") == D("12.50")
