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


class _RecordingS3:
    """Stands for a target's S3: what landing wrote, in order."""

    def __init__(self) -> None:
        self.puts: list[str] = []
        self.bodies: dict[str, bytes] = {}

    def put_object(self, Bucket: str, Key: str, Body: bytes) -> None:  # noqa: N803 (boto3's names)
        self.puts.append(Key)
        self.bodies[Key] = Body


class _Target:
    def __init__(self) -> None:
        self.s3 = _RecordingS3()

    def client(self, service: str) -> _RecordingS3:
        assert service == "s3"
        return self.s3


def _headers() -> dict[str, tuple[str, list[str]]]:
    from lakehouse.pipeline.landing import declared_headers

    return declared_headers([s.sql for s in load(SQL_DIR, stack_values(OUTPUTS))])


def test_the_bronze_tables_declare_the_sample_files_headers() -> None:
    headers = _headers()
    assert headers["orders.csv"] == ("b_db.orders_csv", ["order_id", "user_id", "order_ts", "amount", "status"])
    for name, (_, columns) in headers.items():
        assert (DATA_DIR / name).read_text(encoding="utf-8").splitlines()[0].split(",") == columns


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ("order_id,user_id,order_ts,amount_usd,status,currency", "column 4 is `amount_usd` where b_db.orders_csv"),
        ("order_id,user_id,order_ts,status,amount", "column 4 is `status` where b_db.orders_csv expects `amount`"),
        ("order_id,user_id,order_ts,amount,status,currency", "1 column(s) more than b_db.orders_csv's 5"),
        ("order_id,user_id,order_ts,amount", "1 column(s) missing: b_db.orders_csv expects `status` too"),
    ],
)
def test_a_changed_header_refuses_the_run_before_anything_lands(tmp_path: Path, header: str, said: str) -> None:
    """Bronze reads by position: a renamed, reordered, added or dropped column would shift values."""
    from lakehouse.pipeline.landing import LandingError, land

    (tmp_path / "users.csv").write_bytes((DATA_DIR / "users.csv").read_bytes())
    (tmp_path / "orders.csv").write_text(f"{header}\n1,6,2026-02-15 04:38:00,53.80,completed,EUR\n")
    target = _Target()
    with pytest.raises(LandingError) as err:
        land(target, "b-bronze", tmp_path, _headers())  # type: ignore[arg-type]
    assert str(err.value).startswith("orders.csv:1: the header does not match the Bronze table")
    assert said in str(err.value)
    assert target.s3.puts == [], "a refused run must leave Bronze as the last good run left it"


def test_a_later_files_unreadable_header_refuses_the_run_before_anything_lands(tmp_path: Path) -> None:
    """Landing sends files up while it inspects the next: only once every header has been read and checked."""
    from lakehouse.pipeline.landing import LandingError, land

    (tmp_path / "users.csv").write_bytes((DATA_DIR / "users.csv").read_bytes())
    (tmp_path / "orders.csv").write_bytes(b"order_id,user_\xff_id,order_ts,amount,status\n1,6,2026-02-15,1.00,placed\n")
    target = _Target()
    with pytest.raises(LandingError, match=r"orders.csv:1: the header is not UTF-8"):
        land(target, "b-bronze", tmp_path, _headers())  # type: ignore[arg-type]
    assert target.s3.puts == [], "a refused run must leave Bronze as the last good run left it"


def test_landing_puts_each_file_as_it_arrived_and_its_bronze_lines(tmp_path: Path) -> None:
    from lakehouse.pipeline.landing import inspect, land

    for name in ("users.csv", "orders.csv"):
        (tmp_path / name).write_bytes((DATA_DIR / name).read_bytes())
    target = _Target()
    landed, malformed = land(target, "b-bronze", tmp_path, _headers())  # type: ignore[arg-type]
    assert sorted(target.s3.puts) == sorted(
        ["arrived/users/users.csv", "arrived/orders/orders.csv", "raw/users/users.csv", "raw/orders/orders.csv"]
    )
    assert [x.file for x in landed] == ["users.csv", "orders.csv"]  # in LANDING's order, whatever went up first
    for x in landed:
        raw = (DATA_DIR / x.file).read_bytes()
        found = inspect(x.file, raw)
        assert target.s3.bodies[f"raw/{x.file.removesuffix('.csv')}/{x.file}"] == found.bronze_csv()
        assert target.s3.bodies[f"arrived/{x.file.removesuffix('.csv')}/{x.file}"] == raw
        assert (x.data_lines, x.loaded_lines, x.lines) == (found.data_lines, len(found.good_lines), found.lines)
    assert malformed == [
        m for f in ("users.csv", "orders.csv") for m in inspect(f, (DATA_DIR / f).read_bytes()).malformed
    ]


def test_a_header_differing_only_in_case_and_spaces_lands(tmp_path: Path) -> None:
    from lakehouse.pipeline.landing import land

    (tmp_path / "users.csv").write_bytes((DATA_DIR / "users.csv").read_bytes())
    (tmp_path / "orders.csv").write_text(
        "Order_ID, user_id ,order_ts,AMOUNT,status\n1,6,2026-02-15 04:38:00,53.80,ok\n"
    )
    target = _Target()
    landed, malformed = land(target, "b-bronze", tmp_path, _headers())  # type: ignore[arg-type]
    assert [x.file for x in landed] == ["users.csv", "orders.csv"]
    assert not [m for m in malformed if m.file == "orders.csv"]
    assert len(target.s3.puts) == 4
