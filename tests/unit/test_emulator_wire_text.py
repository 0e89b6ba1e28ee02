"""The emulator's Athena answers written faster are the same answers: page JSON, result text, result CSV.

Each fast path is compared with the plain code it replaces (kept here as the reference), on values that
stress it: NULLs, quotes, backslashes, control characters, non-ASCII text, every DuckDB type a result can have.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import duckdb
import pytest

from lakehouse.emulator.extensions.athena_queries import QueryExecution, _page
from lakehouse.emulator.sql.engine import Outcome
from lakehouse.emulator.sql.results import Column, text, texts, to_csv

TRICKY = ['a"b', "back\\slash", "new\nline\ttab\r", "ünïcødé ✓ 🦆", "", "\x00\x1f", "</script>", "null"]


def reference_page(execution: QueryExecution, token: str | None, max_results: int | None) -> str:
    """GetQueryResults as it was written before: dicts per cell, one ``json.dumps``."""
    outcome = execution.outcome
    assert outcome is not None
    size = min(max_results or 1000, 1000)
    header = [[c.name for c in outcome.columns]] if outcome.statement_type == "DML" and outcome.columns else []
    rows = header + outcome.rows
    start = int(token) if token else 0
    chunk = rows[start : start + size]
    answer: dict[str, Any] = {
        "ResultSet": {
            "Rows": [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in chunk],
            "ResultSetMetadata": {"ColumnInfo": [c.info() for c in outcome.columns]},
        },
    }
    if outcome.update_count is not None:
        answer["UpdateCount"] = outcome.update_count
    if start + size < len(rows):
        answer["NextToken"] = str(start + size)
    return json.dumps(answer)


def execution(outcome: Outcome) -> QueryExecution:
    done = QueryExecution("q", "SELECT", "db", "AwsDataCatalog", "wg", "s3://b/out/", None, "3", state="SUCCEEDED")
    done.outcome = outcome
    return done


def rows_of(n: int) -> list[list[str | None]]:
    return [[TRICKY[i % len(TRICKY)], None if i % 3 == 0 else str(i), TRICKY[(i * 7) % len(TRICKY)]] for i in range(n)]


COLUMNS = [Column('na"me', "varchar"), Column("n", "bigint", 19), Column("ü", "varchar")]


@pytest.mark.parametrize(
    ("outcome", "token", "max_results"),
    [
        (Outcome("SELECT", COLUMNS, rows_of(5)), None, None),
        (Outcome("SELECT", COLUMNS, rows_of(2500)), None, None),
        (Outcome("SELECT", COLUMNS, rows_of(2500)), "1000", None),
        (Outcome("SELECT", COLUMNS, rows_of(2500)), "2000", 7),
        (Outcome("SELECT", COLUMNS, []), None, None),
        (Outcome("INSERT", [], [], update_count=3), None, None),
        (Outcome("SHOW TABLES", [Column("tab_name", "varchar")], [["t1"], ["t\u00e9"]]), None, 1),
    ],
)
def test_page_text_is_json_dumps_of_the_page(outcome: Outcome, token: str | None, max_results: int | None) -> None:
    page = execution(outcome)
    assert _page(page, token, max_results) == reference_page(page, token, max_results)


def test_page_with_a_value_that_is_not_text_is_written_as_json_dumps_writes_it() -> None:
    page = execution(Outcome("SELECT", [Column("x", "integer")], [[1], [None]]))  # type: ignore[list-item]
    assert _page(page, None, None) == reference_page(page, None, None)


def test_texts_are_text_of_every_value() -> None:
    con = duckdb.connect()
    cursor = con.execute(
        """SELECT * FROM (VALUES
            ('a"b', 1::TINYINT, 2::SMALLINT, 3::INTEGER, -4::BIGINT, 170141183460469231731687303715884105727::HUGEINT,
             5::UBIGINT, true, 1.5::DOUBLE, 0.1::FLOAT, 12.30::DECIMAL(10, 2), DATE '2024-02-29',
             TIMESTAMP '2024-01-02 03:04:05.678', [1, NULL], {'k': 'v'}, 'x'::VARCHAR(3), '\\x00'::BLOB),
            (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'NaN'::DOUBLE, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL),
            ('', 0, 0, 0, 0, 0, 0, false, -0.0, 1e30, -0.5::DECIMAL(10, 2), DATE '0005-01-01',
             TIMESTAMP '0999-01-02 03:04:05.999999', [], {'k': NULL}, '', ''::BLOB),
            ('ü', 0, 0, 0, 0, 0, 0, false, 1e-7, 1, 0::DECIMAL(10, 2), DATE '9999-12-31',
             TIMESTAMP '1000-01-01 00:00:00.0009', [], {'k': ''}, 'x', ''::BLOB)
        )"""
    )
    types = [str(d[1]) for d in cursor.description]
    values = cursor.fetchall()
    fast = ("VARCHAR", "BIGINT", "HUGEINT", "DATE", "TIMESTAMP", "DECIMAL(10,2)")
    assert all(t in types for t in fast), types  # every fast conversion is exercised
    assert texts(types, values) == [[text(v) for v in row] for row in values]
    only_text = [("a",), (None,), ("",)]
    assert texts(["VARCHAR"], only_text) == [[text(v) for v in row] for row in only_text]


def reference_csv(columns: list[Column], rows: list[list[str | None]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    for row in rows:
        buf.write(",".join("" if v is None else '"' + v.replace('"', '""') + '"' for v in row) + "\n")
    return buf.getvalue().encode("utf-8")


@pytest.mark.parametrize("n", [0, 1, 50])
def test_result_csv_is_the_same_text(n: int) -> None:
    assert to_csv(COLUMNS, rows_of(n)) == reference_csv(COLUMNS, rows_of(n))


def test_forms_and_files_parse_as_before_without_flasks_debug_helper() -> None:
    """The emulator's request class skips only Flask's debug-mode ``files`` wrapper: form and files read the same."""
    from flask import Flask
    from moto.moto_server import werkzeug_app
    from werkzeug.test import EnvironBuilder

    from lakehouse.emulator.server import _plain_form_requests

    _plain_form_requests()
    plain = werkzeug_app.BackendRequest
    original = next(c for c in plain.__mro__ if "plain_form" not in vars(c))  # moto's own
    app = Flask("t")
    app.debug = True  # as moto's app runs

    def forms() -> list[dict[str, Any]]:
        return [{"key": "k", "file": (io.BytesIO(b"body"), "f.txt")}, {"key": "k", "a": "1"}]

    for old_data, new_data in zip(forms(), forms(), strict=True):
        with app.app_context():
            old = original(EnvironBuilder(method="POST", data=old_data).get_environ())
            new = plain(EnvironBuilder(method="POST", data=new_data).get_environ())
            assert new.form.to_dict() == old.form.to_dict()
            assert {k: f.read() for k, f in new.files.items()} == {k: f.read() for k, f in old.files.items()}
            assert "attach_enctype_error_multidict" not in type(new.files).__qualname__
            if "file" not in old.files:  # Flask's per-request class (debug, no files), which the emulator skips
                assert "attach_enctype_error_multidict" in type(old.files).__qualname__
