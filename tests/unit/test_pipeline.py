"""The pipeline's parts that need no stack: SQL files, landing inspection, sample data."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.emulator.extensions.s3 import applicable_policy
from lakehouse.emulator.sql.dialect import parse, to_duckdb
from lakehouse.pipeline.datagen import generate
from lakehouse.pipeline.landing import inspect_csv
from lakehouse.pipeline.runner import DATA_DIR, SQL_DIR, stack_values
from lakehouse.pipeline.sqlfiles import SqlFileError, load, render, split

OUTPUTS = {
    "glue_database_names": {"bronze": "b_db", "silver": "s_db", "gold": "g_db"},
    "bucket_names": {"bronze": "b-bronze", "silver": "b-silver", "gold": "b-gold", "athena-results": "b-res"},
}


def test_pipeline_sql_renders_for_a_stack_and_splits_into_statements() -> None:
    statements = load(SQL_DIR, stack_values(OUTPUTS))
    assert statements, "pipeline/sql holds the pipeline"
    assert all("${" not in s.sql for s in statements)
    assert all(not s.sql.rstrip().endswith(";") for s in statements)
    kinds = {s.sql.split()[0].upper() for s in statements}
    assert {"CREATE", "INSERT", "MERGE", "DELETE"} <= kinds
    first = statements[0]
    assert first.job == "10_bronze.1" and first.where.endswith("10_bronze.sql:5")


def test_every_pipeline_statement_is_athena_sql_the_emulator_translates() -> None:
    """Parsed as Athena's dialect (the files run unchanged on Athena) and written as DuckDB's."""
    for stmt in load(SQL_DIR, stack_values(OUTPUTS)):
        parsed = parse(stmt.sql)
        if parsed.tree is not None and parsed.kind in ("SELECT", "INSERT", "MERGE", "DELETE"):
            assert to_duckdb(parsed.tree), stmt.where


def test_silver_sql_keeps_one_row_per_key_by_its_stated_rule() -> None:
    """The rule is in the SQL, not only in the README: newest first, then the later line; losers refused."""
    for name, version in (("20_silver_users.sql", "updated_at"), ("21_silver_orders.sql", "order_ts")):
        text = (SQL_DIR / name).read_text(encoding="utf-8")
        assert "ORDER BY version DESC, source_line DESC" in text
        assert "'duplicate key, superseded by line '" in text
        assert (
            f"try_cast(o.{version} AS timestamp) AS version" in text
            or f"try_cast({version} AS timestamp) AS version" in text
        )
        assert "SELECT DISTINCT\n    CAST" not in text


def test_unknown_placeholder_names_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(SqlFileError, match=r"x\.sql:3: unknown placeholder \$\{silver_bd\}"):
        render(tmp_path / "x.sql", "SELECT 1;\n\nSELECT * FROM ${silver_bd}.t", {"silver_db": "s"})


def test_semicolons_in_strings_and_comments_do_not_split(tmp_path: Path) -> None:
    text = "-- a comment; still a comment\nSELECT 'a;b' AS x;\n\n/* c; */ SELECT 2"
    assert split(tmp_path / "y.sql", text) == [(2, "SELECT 'a;b' AS x"), (4, "SELECT 2")]


def test_inspect_finds_malformed_lines_with_their_number(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text('id,note,amount\n1,"two\nlines",3.00\n2,short\n3,ok,1.00\n4,"x",1,extra\n', encoding="utf-8")
    rows, problems = inspect_csv(path)
    assert rows == 4
    assert [(p.line, p.problem) for p in problems] == [
        (2, "line break inside a value (in note): Athena reads one line per row"),
        (4, "expected 3 fields (as the header), found 2"),
        (6, "expected 3 fields (as the header), found 4"),
    ]
    assert str(problems[1]) == "orders.csv:4: expected 3 fields (as the header), found 2"


def test_inspect_reports_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes(b"a,b\n1,2\n3,\xff\n")
    _, problems = inspect_csv(path)
    assert [p.line for p in problems] == [3] and problems[0].problem == "not UTF-8 (in b)"


def test_committed_sample_is_what_the_generator_makes(tmp_path: Path) -> None:
    generate(tmp_path, 60)
    for name in ("users.csv", "orders.csv"):
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), f"regenerate fixtures/data/{name}"


def test_generated_sets_carry_every_kind_of_dirty_row(tmp_path: Path) -> None:
    counts = generate(tmp_path, 1000)
    assert counts == {"users": 105, "orders": 1008}
    orders = (tmp_path / "orders.csv").read_text().splitlines()
    assert any('"12,50"' in line for line in orders) and any(",999999," in line for line in orders)
    _, problems = inspect_csv(tmp_path / "orders.csv")
    assert len(problems) == 1  # the line cut short


def test_bucket_policy_deny_without_tls_does_not_apply_to_emulator_requests() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Principal": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*", "Principal": "*"},
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Principal": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            },
            {
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": "*",
                "Principal": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
            },
        ],
    }
    kept = applicable_policy(policy)["Statement"]
    assert [s["Action"] for s in kept] == ["s3:DeleteBucket", "s3:*"]
    assert all("Condition" not in s for s in kept)


def test_a_header_that_is_not_utf8_refuses_the_file_naming_it() -> None:
    from lakehouse.pipeline.landing import LandingError, inspect

    with pytest.raises(LandingError, match=r"orders.csv:1: the header is not UTF-8"):
        inspect("orders.csv", b"\xff\xfe\x00 not a CSV\n1,2\n")
