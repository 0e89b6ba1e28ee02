"""Doubles and reals in the emulator's Athena results as Trino prints them: Java's ``Double.toString`` and
``Float.toString`` (``1.0E20``, ``1.0E-5``, ``0.1``, ``100.0``, ``NaN``, ``Infinity``).

Python's ``repr`` writes ``1e+20``, ``1e-05`` and ``10000000.0``, and a ``real`` widened to a Python float prints as
``0.10000000149011612``; a client comparing Athena's text (or its result CSV) saw other strings than Athena's.
Healthy twins: values from 10^-3 up to 10^7 print as before; decimals and integers are untouched.
"""

from __future__ import annotations

import struct

import pytest

from lakehouse.emulator.sql.engine import Engine


def _rows(sql: str) -> list[list[str | None]]:
    return Engine(None).execute(sql).rows  # type: ignore[arg-type]  # reads no catalog table


@pytest.mark.parametrize(
    ("value", "java"),
    [
        (1e20, "1.0E20"),
        (1e-5, "1.0E-5"),
        (1e7, "1.0E7"),
        (123456789.0, "1.23456789E8"),
        (-1.5e-10, "-1.5E-10"),
        (0.00099, "9.9E-4"),
        (1.7976931348623157e308, "1.7976931348623157E308"),  # Double.MAX_VALUE
        (5e-324, "4.9E-324"),  # Double.MIN_VALUE: never one digit alone (JDK 19 on)
        (0.1, "0.1"),
        (100.0, "100.0"),
        (0.001, "0.001"),
        (9999999.0, "9999999.0"),
        (1234567.89, "1234567.89"),
        (-0.0, "-0.0"),
        (float("nan"), "NaN"),
        (float("-inf"), "-Infinity"),
    ],
)
def test_a_double_prints_as_java_double_to_string(value: float, java: str) -> None:
    from lakehouse.emulator.sql.results import java_double  # noqa: PLC0415  (the rest runs against main too)

    assert java_double(value) == java


@pytest.mark.parametrize(
    ("value", "java"),
    [
        (0.1, "0.1"),
        (1e30, "1.0E30"),
        (16777216.0, "1.6777216E7"),
        (3.4028234663852886e38, "3.4028235E38"),  # Float.MAX_VALUE
        (1.401298464324817e-45, "1.4E-45"),  # Float.MIN_VALUE
        (1.5, "1.5"),
    ],
)
def test_a_real_prints_as_java_float_to_string(value: float, java: str) -> None:
    from lakehouse.emulator.sql.results import java_real  # noqa: PLC0415

    as_real = struct.unpack("f", struct.pack("f", value))[0]  # the 32-bit value DuckDB hands over widened
    assert java_real(as_real) == java


def test_query_results_print_doubles_and_reals_as_athena() -> None:
    rows = _rows(
        "SELECT 1E20, 1E-5, 0.1E0, 100E0, 1E7, CAST(0.1 AS REAL), REAL '1E10', nan(), infinity(), "
        "CAST(12.5 AS DECIMAL(10, 2)), 10000000"
    )
    assert rows == [
        ["1.0E20", "1.0E-5", "0.1", "100.0", "1.0E7", "0.1", "1.0E10", "NaN", "Infinity", "12.50", "10000000"]
    ]


def test_a_double_column_prints_each_value_as_athena() -> None:
    rows = _rows("SELECT x FROM (VALUES 2.5E7, 0.0005E0, 3E0, CAST(NULL AS DOUBLE)) AS v(x)")
    assert rows == [["2.5E7"], ["5.0E-4"], ["3.0"], [None]]
