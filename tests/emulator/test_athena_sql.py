"""The emulator's Athena runs SQL: a compatibility set through pyathena's default cursor.

Each test states what Athena does and checks the emulator does the same, through the
client library the harness and users use, so botocore and pyathena parse every answer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pyathena
import pytest
from botocore.exceptions import ClientError
from pyathena.error import OperationalError
from pyiceberg.catalog.glue import GlueCatalog

from lakehouse.emulator.process import EmulatorHandle
from tests.emulator.conftest import REGION, AwsClientFactory

WORK_GROUP = "compat"
RESULTS = "s3://compat-results/out/"


@pytest.fixture(scope="module")
def lake(aws_client: AwsClientFactory) -> dict[str, str]:
    """Buckets, a Glue database and a workgroup that writes results to S3."""
    s3, glue = aws_client("s3"), aws_client("glue")
    for bucket in ("compat-results", "compat-lake"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    glue.create_database(DatabaseInput={"Name": "compat"})
    aws_client("athena").create_work_group(
        Name=WORK_GROUP,
        Configuration={"ResultConfiguration": {"OutputLocation": RESULTS}, "EnforceWorkGroupConfiguration": True},
    )
    s3.put_object(
        Bucket="compat-lake",
        Key="raw/people/people.csv",
        Body=b'id,name,city\n1,"Doe, Jane",Tokyo\n2,,Osaka\n3,Short\n',
    )
    return {"db": "compat", "bucket": "compat-lake"}


@pytest.fixture
def cursor(emulator: EmulatorHandle, lake: dict[str, str]) -> Iterator[Any]:
    conn = pyathena.connect(
        work_group=WORK_GROUP,
        region_name=REGION,
        schema_name=lake["db"],
        endpoint_url=emulator.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        poll_interval=0.05,
    )
    yield conn.cursor()
    conn.close()


def fresh(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def iceberg_table(cursor: Any, columns: str, name: str | None = None) -> str:
    name = name or fresh("t")
    cursor.execute(
        f"CREATE TABLE {name} ({columns}) LOCATION 's3://compat-lake/{name}/' "
        "TBLPROPERTIES ('table_type'='ICEBERG', 'format'='parquet')"
    )
    return name


def failure(cursor: Any, sql: str) -> str:
    """Athena's reason for a statement that must fail (as a FAILED query, not as a server error)."""
    with pytest.raises(OperationalError) as err:
        cursor.execute(sql)
    return str(err.value)


def newest_execution(aws_client: AwsClientFactory) -> dict[str, Any]:
    athena = aws_client("athena")
    newest = athena.list_query_executions(WorkGroup=WORK_GROUP)["QueryExecutionIds"][0]
    return athena.get_query_execution(QueryExecutionId=newest)["QueryExecution"]


def test_types_come_back_as_python_values(cursor: Any) -> None:
    cursor.execute(
        "SELECT 1, CAST(2 AS bigint), 'x', NULL, DATE '2026-01-02', TIMESTAMP '2026-01-02 03:04:05.678', "
        "true, 1.5e0, CAST('12.30' AS decimal(10,2))"
    )
    row = cursor.fetchone()
    assert row == (
        1,
        2,
        "x",
        None,
        dt.date(2026, 1, 2),
        dt.datetime(2026, 1, 2, 3, 4, 5, 678000),
        True,
        1.5,
        Decimal("12.30"),
    )
    types = [d[1] for d in cursor.description]
    assert types == ["integer", "bigint", "varchar", "integer", "date", "timestamp", "boolean", "double", "decimal"]
    assert [d[0] for d in cursor.description][:2] == ["_col0", "_col1"]  # Athena's names for unnamed columns


def test_json_uuid_and_interval_columns_carry_trino_s_type_names(cursor: Any) -> None:
    """Athena's DML types are Trino's: pyathena reads a ``json`` column as JSON, which a ``varchar`` was not."""
    cursor.execute(
        "SELECT json_parse('{\"a\": [1, 2]}') AS j, CAST('1a2b3c4d-0000-4000-8000-00000000abcd' AS uuid) AS u, "
        "INTERVAL '14' MONTH AS ym, TIMESTAMP '2026-01-02 03:04:05.678' - TIMESTAMP '2026-01-01 00:00:00' AS ds"
    )
    assert cursor.fetchone() == ({"a": [1, 2]}, "1a2b3c4d-0000-4000-8000-00000000abcd", "1-2", "1 03:04:05.678")
    types = [d[1] for d in cursor.description]
    assert types == ["json", "uuid", "interval year to month", "interval day to second"]


def test_a_sum_of_bigints_is_a_bigint_and_fails_on_overflow_like_trino(cursor: Any) -> None:
    """DuckDB widens sum(bigint) to HUGEINT; Trino answers bigint and fails past its range."""
    cursor.execute("SELECT sum(x) AS s FROM (VALUES CAST(1 AS bigint), CAST(2 AS bigint)) AS t(x)")
    assert cursor.fetchone() == (3,)
    assert [d[1] for d in cursor.description] == ["bigint"]
    reason = failure(cursor, "SELECT sum(x) FROM (VALUES CAST(9223372036854775807 AS bigint), CAST(1 AS bigint)) t(x)")
    assert reason.startswith("NUMERIC_VALUE_OUT_OF_RANGE: line 1:1: bigint addition overflow")
    # the same where the rows are written, not returned: a CTAS fails alike and makes no table
    ctas = (
        "CREATE TABLE sums WITH (table_type='ICEBERG', location='s3://compat-lake/sums/', is_external=false) AS "
        "SELECT sum(x) AS s FROM (VALUES CAST(9223372036854775807 AS bigint), CAST(1 AS bigint)) t(x)"
    )
    assert (
        failure(cursor, ctas) == "NUMERIC_VALUE_OUT_OF_RANGE: line 1:1: bigint addition overflow: 9223372036854775808"
    )
    cursor.execute(ctas.replace("9223372036854775807", "40"))
    cursor.execute("SELECT s FROM sums")
    assert cursor.fetchone() == (41,)
    assert [d[1] for d in cursor.description] == ["bigint"]


def test_csv_table_reads_like_open_csv_serde(cursor: Any) -> None:
    cursor.execute(
        "CREATE EXTERNAL TABLE people (id string, name string, city string) "
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        "WITH SERDEPROPERTIES ('separatorChar'=',', 'quoteChar'='\"') "
        "LOCATION 's3://compat-lake/raw/people/' TBLPROPERTIES ('skip.header.line.count'='1')"
    )
    cursor.execute('SELECT id, name, city, "$path" FROM people ORDER BY id')
    rows = cursor.fetchall()
    # quoted comma kept, empty field stays '' (not NULL), a short line gets NULLs
    assert rows == [
        ("1", "Doe, Jane", "Tokyo", "s3://compat-lake/raw/people/people.csv"),
        ("2", "", "Osaka", "s3://compat-lake/raw/people/people.csv"),
        ("3", "Short", None, "s3://compat-lake/raw/people/people.csv"),
    ]
    assert cursor.data_scanned_in_bytes == len(b'id,name,city\n1,"Doe, Jane",Tokyo\n2,,Osaka\n3,Short\n')


def test_results_page_past_1000_rows(cursor: Any, aws_client: AwsClientFactory) -> None:
    cursor.execute("SELECT x, x * 2 AS y FROM UNNEST(sequence(1, 2500)) AS t(x) ORDER BY x")
    rows = cursor.fetchall()
    assert len(rows) == 2500 and rows[0] == (1, 2) and rows[-1] == (2500, 5000)
    athena = aws_client("athena")
    first = athena.get_query_results(QueryExecutionId=cursor.query_id, MaxResults=1000)
    assert [d["VarCharValue"] for d in first["ResultSet"]["Rows"][0]["Data"]] == ["x", "y"]  # header row first
    assert len(first["ResultSet"]["Rows"]) == 1000 and "NextToken" in first
    second = athena.get_query_results(QueryExecutionId=cursor.query_id, NextToken=first["NextToken"])
    assert second["ResultSet"]["Rows"][0]["Data"][0]["VarCharValue"] == "1000"
    for forged in ("page-2", "-1", "\u00b2", "999999"):  # not a token this service handed out: a 400, not a 500
        with pytest.raises(ClientError) as refused:
            athena.get_query_results(QueryExecutionId=cursor.query_id, NextToken=forged)
        assert refused.value.response["Error"]["Code"] == "InvalidRequestException", forged


def test_results_are_written_as_csv_to_the_output_location(cursor: Any, aws_client: AwsClientFactory) -> None:
    cursor.execute("SELECT 'a' AS k, NULL AS v")
    assert cursor.output_location == f"{RESULTS}{cursor.query_id}.csv"
    body = aws_client("s3").get_object(Bucket="compat-results", Key=f"out/{cursor.query_id}.csv")["Body"].read()
    assert list(csv.reader(io.StringIO(body.decode()))) == [["k", "v"], ["a", ""]]


def test_ddl_then_insert_then_select_on_a_real_iceberg_table(cursor: Any, emulator: EmulatorHandle) -> None:
    name = iceberg_table(cursor, "id bigint, amount decimal(10,2), at timestamp, note string")
    cursor.execute(f"INSERT INTO {name} VALUES (1, 9.99, TIMESTAMP '2026-01-01 00:00:00', NULL), (2, 0.01, NULL, 'b')")
    assert cursor.rowcount == 2
    cursor.execute(f"SELECT sum(amount), count(note), count(*) FROM {name}")
    assert cursor.fetchone() == (Decimal("10.00"), 1, 2)
    assert cursor.data_scanned_in_bytes > 0
    # A real Iceberg table: pyiceberg finds it through Glue and reads the same rows.
    catalog = GlueCatalog(
        "check",
        **{
            "glue.endpoint": emulator.endpoint,
            "s3.endpoint": emulator.endpoint,
            "client.region": REGION,
            "client.access-key-id": "test",
            "client.secret-access-key": "test",
        },
    )
    table = catalog.load_table(f"compat.{name}")
    assert table.format_version == 2
    assert table.scan().to_arrow().num_rows == 2


def test_insert_from_a_query_fills_columns_by_position_and_casts_like_athena(cursor: Any) -> None:
    """INSERT ... SELECT: the column list's order, NULL for the others, each value cast to its column's type.

    The engine builds an INSERT from a query as a projection of the query (no working table); a
    projection matching columns by name, or ignoring the list's order, fails here.
    """
    name = iceberg_table(cursor, "id bigint, amount decimal(10,2), at timestamp, note string")
    cursor.execute(f"INSERT INTO {name} (note, id) SELECT '42' AS id, 7 AS note")
    assert cursor.rowcount == 1
    cursor.execute(
        f"INSERT INTO {name} SELECT x, x / 4.0, TIMESTAMP '2026-01-02 03:04:05', CAST(x AS varchar) "
        "FROM UNNEST(sequence(1, 3)) AS t(x) UNION ALL SELECT 10, 1.25, NULL, 'ten'"
    )
    assert cursor.rowcount == 4
    cursor.execute(f"INSERT INTO {name} (id) SELECT 99 WHERE false")
    assert cursor.rowcount == 0
    cursor.execute(f"SELECT id, amount, at, note FROM {name} ORDER BY id")
    assert cursor.fetchall() == [  # bigint / 4.0 is Trino's decimal(21,1): 0.25 is 0.3, 0.75 is 0.8
        (1, Decimal("0.30"), dt.datetime(2026, 1, 2, 3, 4, 5), "1"),
        (2, Decimal("0.50"), dt.datetime(2026, 1, 2, 3, 4, 5), "2"),
        (3, Decimal("0.80"), dt.datetime(2026, 1, 2, 3, 4, 5), "3"),
        (7, None, None, "42"),
        (10, Decimal("1.25"), None, "ten"),
    ]
    assert [d[1] for d in cursor.description] == ["bigint", "decimal", "timestamp", "varchar"]
    # what cannot be inserted fails as Athena fails it, and adds nothing
    assert "INVALID_CAST_ARGUMENT" in failure(cursor, f"INSERT INTO {name} (id) SELECT CAST('abc' AS bigint)")
    assert "Table: [bigint], Query: [varchar(3)]" in failure(cursor, f"INSERT INTO {name} (id) SELECT 'abc'")
    assert "Table: [bigint], Query: [integer, integer]" in failure(cursor, f"INSERT INTO {name} (id) SELECT 1, 2")
    assert "GENERIC_USER_ERROR" in failure(cursor, f"INSERT INTO {name} (id, id) SELECT 1, 2")
    cursor.execute(f"SELECT count(*) FROM {name}")
    assert cursor.fetchone() == (5,)


def test_merge_updates_and_inserts_and_is_idempotent(cursor: Any) -> None:
    name = iceberg_table(cursor, "id bigint, v string")
    cursor.execute(f"INSERT INTO {name} VALUES (1, 'old'), (2, 'keep')")
    merge = (
        f"MERGE INTO {name} t USING (SELECT * FROM (VALUES (1, 'new'), (3, 'added')) AS s(id, v)) s ON t.id = s.id "
        "WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)"
    )
    cursor.execute(merge)
    assert cursor.rowcount == 2
    cursor.execute(merge)
    cursor.execute(f"SELECT id, v FROM {name} ORDER BY id")
    assert cursor.fetchall() == [(1, "new"), (2, "keep"), (3, "added")]


def test_merge_applies_each_clause_s_condition(cursor: Any) -> None:
    """``WHEN [NOT] MATCHED AND cond``: a row acts on the first clause whose condition holds, or is left alone."""
    name = iceberg_table(cursor, "id bigint, v string")
    cursor.execute(f"INSERT INTO {name} VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    cursor.execute(
        f"MERGE INTO {name} t USING (SELECT * FROM (VALUES (1, 'u', 'A'), (2, 'd', NULL), (3, 'k', 'C'), "
        "(4, 'i', 'D'), (5, 'k', 'E')) AS s(id, op, v)) s ON t.id = s.id "
        "WHEN MATCHED AND s.op = 'u' THEN UPDATE SET v = s.v WHEN MATCHED AND s.op = 'd' THEN DELETE "
        "WHEN NOT MATCHED AND s.op = 'i' THEN INSERT (id, v) VALUES (s.id, s.v)"
    )
    assert cursor.rowcount == 3  # 1 updated, 2 deleted, 4 inserted; 3 and 5 met no clause's condition
    cursor.execute(f"SELECT id, v FROM {name} ORDER BY id")
    assert cursor.fetchall() == [(1, "A"), (3, "c"), (4, "D")]


def test_merge_fails_when_a_target_row_matches_two_source_rows(cursor: Any) -> None:
    name = iceberg_table(cursor, "id bigint, v string")
    cursor.execute(f"INSERT INTO {name} VALUES (1, 'a')")
    reason = failure(
        cursor,
        f"MERGE INTO {name} t USING (SELECT * FROM (VALUES (1, 'x'), (1, 'y')) AS s(id, v)) s ON t.id = s.id "
        "WHEN MATCHED THEN UPDATE SET v = s.v",
    )
    assert "MERGE_TARGET_ROW_MULTIPLE_MATCHES" in reason


def test_merge_runs_when_two_source_rows_of_a_target_row_take_different_clauses(cursor: Any) -> None:
    """Trino fails only a target row whose source rows take the same WHEN clause; here one updates and one deletes
    row 1: Athena's Iceberg MERGE deletes the row as it was and inserts the updated one (two rows counted)."""
    name = iceberg_table(cursor, "id bigint, v string")
    cursor.execute(f"INSERT INTO {name} VALUES (1, 'a'), (2, 'b')")
    cursor.execute(
        f"MERGE INTO {name} t USING (SELECT * FROM (VALUES (1, 'x', 'u'), (1, 'y', 'd')) AS s(id, v, op)) s "
        "ON t.id = s.id WHEN MATCHED AND s.op = 'u' THEN UPDATE SET v = s.v WHEN MATCHED AND s.op = 'd' THEN DELETE"
    )
    assert cursor.rowcount == 2
    cursor.execute(f"SELECT id, v FROM {name} ORDER BY id")
    assert cursor.fetchall() == [(1, "x"), (2, "b")]


def test_delete_update_and_time_travel_to_an_earlier_snapshot(cursor: Any, emulator: EmulatorHandle) -> None:
    name = iceberg_table(cursor, "id bigint, v string")
    cursor.execute(f"INSERT INTO {name} VALUES (1, 'a'), (2, 'b')")
    catalog = GlueCatalog(
        "tt",
        **{
            "glue.endpoint": emulator.endpoint,
            "s3.endpoint": emulator.endpoint,
            "client.region": REGION,
            "client.access-key-id": "test",
            "client.secret-access-key": "test",
        },
    )
    first = catalog.load_table(f"compat.{name}").current_snapshot().snapshot_id
    cursor.execute(f"DELETE FROM {name} WHERE id = 1")
    cursor.execute(f"UPDATE {name} SET v = 'B' WHERE id = 2")
    cursor.execute(f"SELECT id, v FROM {name}")
    assert cursor.fetchall() == [(2, "B")]
    cursor.execute(f"SELECT id, v FROM {name} FOR VERSION AS OF {first} ORDER BY id")
    assert cursor.fetchall() == [(1, "a"), (2, "b")]


def test_ctas_creates_an_iceberg_table(cursor: Any) -> None:
    name = fresh("ctas")
    cursor.execute(
        f"CREATE TABLE {name} WITH (table_type='ICEBERG', location='s3://compat-lake/{name}/', is_external=false) "
        "AS SELECT x AS n, x % 2 = 0 AS even FROM UNNEST(sequence(1, 10)) AS t(x)"
    )
    assert cursor.rowcount == 10
    cursor.execute(f"SELECT count(*) FROM {name} WHERE even")
    assert cursor.fetchone() == (5,)


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        (
            "SELECT nope FROM (SELECT 1 AS a)",
            "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved or requester is not authorized",
        ),
        (
            "SELECT a\n  FROM compat.missing",
            "TABLE_NOT_FOUND: line 2:8: Table 'awsdatacatalog.compat.missing' does not exist",
        ),
        ("SELECT * FROM nodb.t", "SCHEMA_NOT_FOUND: line 1:15: Schema 'nodb' does not exist"),
        ("SELECT * FORM x", "SYNTAX_ERROR: line 1:"),
        ("SELECT format_datetime(now(), 'yyyy')", "FUNCTION_NOT_FOUND: line 1:8: Function 'format_datetime'"),
        ("SELECT CAST('abc' AS bigint)", "INVALID_CAST_ARGUMENT"),
        (
            "CREATE PROTECTED MULTI DIALECT VIEW v SECURITY DEFINER AS SELECT 1",
            "NOT_SUPPORTED: line 1:1: Glue Data Catalog views (CREATE PROTECTED MULTI DIALECT VIEW ... SECURITY "
            "DEFINER) are not supported by the local Athena emulator",
        ),
        (
            "CREATE EXTERNAL TABLE e (a string) LOCATION 's3://compat-lake/e/' TBLPROPERTIES ('table_type'='ICEBERG')",
            "External keyword not supported for table type ICEBERG",
        ),
        (
            "CREATE TABLE s (a tinyint) LOCATION 's3://compat-lake/s/' TBLPROPERTIES ('table_type'='ICEBERG')",
            "type tinyint is not supported in Iceberg tables",
        ),
    ],
)
def test_failing_statements_fail_like_athena(
    cursor: Any, aws_client: AwsClientFactory, sql: str, expected: str
) -> None:
    reason = failure(cursor, sql)
    assert expected in reason
    execution = newest_execution(aws_client)
    assert execution["Query"] == sql
    assert execution["Status"]["State"] == "FAILED"
    assert expected in execution["Status"]["StateChangeReason"]
    assert execution["Status"]["AthenaError"]["ErrorCategory"] == 2


@pytest.mark.parametrize("key", ["write.format.default", "Comment", "metadata_location", "EXTERNAL"])
def test_create_table_takes_athenas_iceberg_property_keys_only(
    cursor: Any, aws_client: AwsClientFactory, key: str
) -> None:
    """Athena takes its own table properties on an Iceberg table (any case) and fails any other key, creating nothing.

    The same keys as ALTER TABLE SET TBLPROPERTIES (Athena's "Specify table properties" list).
    """
    name = fresh("props")
    sql = (
        f"CREATE TABLE {name} (a bigint) LOCATION 's3://compat-lake/{name}/' "
        f"TBLPROPERTIES ('table_type'='ICEBERG', 'format'='parquet', '{key}'='x')"
    )
    failure(cursor, sql)
    status = newest_execution(aws_client)["Status"]
    assert status["StateChangeReason"] == f"Unsupported table property key: {key}"
    assert status["AthenaError"]["ErrorType"] == 1200
    assert name not in [t["Name"] for t in aws_client("glue").get_tables(DatabaseName="compat")["TableList"]]


def test_create_table_keeps_athenas_iceberg_properties(cursor: Any, aws_client: AwsClientFactory) -> None:
    """The healthy twin: Athena's keys make the table and its Iceberg metadata carries them."""
    name = fresh("props")
    cursor.execute(
        f"CREATE TABLE {name} (a bigint) LOCATION 's3://compat-lake/{name}/' TBLPROPERTIES ("
        "'table_type'='ICEBERG', 'format'='parquet', 'write_compression'='zstd', "
        "'vacuum_max_snapshot_age_seconds'='259200')"
    )
    params = aws_client("glue").get_table(DatabaseName="compat", Name=name)["Table"]["Parameters"]
    bucket, _, key = params["metadata_location"].removeprefix("s3://").partition("/")
    metadata = json.loads(aws_client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    assert metadata["properties"]["write_compression"] == "zstd"
    assert metadata["properties"]["vacuum_max_snapshot_age_seconds"] == "259200"


def test_query_execution_reports_statistics_and_context(cursor: Any, aws_client: AwsClientFactory) -> None:
    cursor.execute("SELECT 1")
    execution = aws_client("athena").get_query_execution(QueryExecutionId=cursor.query_id)["QueryExecution"]
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert execution["StatementType"] == "DML"
    assert execution["WorkGroup"] == WORK_GROUP
    assert execution["QueryExecutionContext"]["Database"] == "compat"
    stats = execution["Statistics"]
    assert {"EngineExecutionTimeInMillis", "DataScannedInBytes", "TotalExecutionTimeInMillis"} <= set(stats)


def test_show_tables_and_describe(cursor: Any) -> None:
    name = iceberg_table(cursor, "id bigint, amount decimal(10,2), cents decimal(5)")
    cursor.execute("SHOW TABLES IN compat")
    assert (name,) in cursor.fetchall()
    cursor.execute(f"DESCRIBE {name}")
    assert cursor.fetchall() == [("id", "bigint"), ("amount", "decimal(10,2)"), ("cents", "decimal(5,0)")]


def test_without_an_output_location_start_is_refused(aws_client: AwsClientFactory) -> None:
    athena = aws_client("athena")
    with pytest.raises(athena.exceptions.InvalidRequestException, match="No output location provided"):
        athena.start_query_execution(QueryString="SELECT 1")  # the primary workgroup has none


def test_integer_division_and_a_zero_divisor_answer_like_trino(cursor: Any) -> None:
    """Trino divides integers as Java (``IntegerOperators``/``BigintOperators.divide``: truncated toward zero, of the
    operands' type) and fails a zero integer or decimal divisor (DIVISION_BY_ZERO); DuckDB answered 3.5 and NULL.
    The types come from the Iceberg table's columns; the quotient is written as such by CTAS, INSERT and UPDATE."""
    name = iceberg_table(cursor, "i int, b bigint, m decimal(10,2), d double, z int")
    cursor.execute(f"INSERT INTO {name} VALUES (7, -7, 7.50, 7.0, 0), (-9, 9, -7.50, -7.0, 0)")
    cursor.execute(f"SELECT i / 2, b / 2, i % 2, b / i, m / 2, d / 2, d / z FROM {name} ORDER BY i")
    assert cursor.fetchall() == [
        (-4, 4, -1, -1, Decimal("-3.75"), -3.5, float("-inf")),
        (3, -3, 1, -1, Decimal("3.75"), 3.5, float("inf")),
    ]
    assert [d[1] for d in cursor.description] == [
        "integer",
        "bigint",
        "integer",
        "bigint",
        "decimal",  # decimal(10,2) / integer: Trino's decimal(10,2) (``decimal_division``)
        "double",
        "double",
    ]
    for divided in ("i / z", "i % z", "m / z", "b / (i - i)"):
        assert failure(cursor, f"SELECT {divided} FROM {name}") == "DIVISION_BY_ZERO: Division by zero"
    halves = fresh("halves")
    cursor.execute(
        f"CREATE TABLE {halves} WITH (table_type='ICEBERG', location='s3://compat-lake/{halves}/', "
        f"is_external=false) AS SELECT i / 2 AS h FROM {name}"
    )
    cursor.execute(f"INSERT INTO {halves} SELECT b / 2 FROM {name}")
    cursor.execute(f"UPDATE {halves} SET h = h / 2 WHERE h < 0")
    cursor.execute(f"SELECT h FROM {halves} ORDER BY h")
    assert cursor.fetchall() == [(-2,), (-1,), (3,), (4,)]  # -4 / 2, and -3 / 2 (not -1.5, cast to -2)
    cursor.execute(
        f"MERGE INTO {halves} USING {name} s ON {halves}.h = s.i WHEN MATCHED THEN UPDATE SET h = s.i / 4 "
        "WHEN NOT MATCHED THEN INSERT (h) VALUES (s.i / 4)"
    )
    cursor.execute(f"SELECT h FROM {halves} ORDER BY h")
    assert cursor.fetchall() == [(-2,), (-2,), (-1,), (1,), (3,), (4,)]  # -9 / 4 and 7 / 4 inserted


def test_a_merge_s_when_condition_divides_integers_like_trino(cursor: Any) -> None:
    """``WHEN MATCHED AND s.i / 2 = 3``: Trino's 7 / 2 is 3, so the row is updated; DuckDB's 3.5 updated nothing. The
    NOT MATCHED condition alike (-9 / 2 is -4, not -4.5)."""
    source = iceberg_table(cursor, "i int")
    cursor.execute(f"INSERT INTO {source} VALUES (7), (-9)")
    target = iceberg_table(cursor, "k int, v int")
    cursor.execute(f"INSERT INTO {target} VALUES (7, 0)")
    cursor.execute(
        f"MERGE INTO {target} t USING {source} s ON t.k = s.i WHEN MATCHED AND s.i / 2 = 3 THEN UPDATE SET v = 1 "
        "WHEN NOT MATCHED AND s.i / 2 = -4 THEN INSERT (k, v) VALUES (s.i, 2)"
    )
    cursor.execute(f"SELECT k, v FROM {target} ORDER BY k")
    assert cursor.fetchall() == [(-9, 2), (7, 1)]
    assert (
        failure(cursor, f"MERGE INTO {target} t USING {source} s ON t.k = s.i WHEN MATCHED AND s.i / 0 = 1 THEN DELETE")
        == "DIVISION_BY_ZERO: Division by zero"
    )


def test_a_view_divides_integers_and_decimals_like_trino(cursor: Any) -> None:
    """A view's query is typed as any query when the view is created (its columns) and read: Trino's ``7 / 2`` is the
    integer 3 and ``7.50 / 2`` the decimal(10,2) 3.75 (DuckDB: the doubles 3.5 and 3.75), a zero divisor fails."""
    name = iceberg_table(cursor, "i int, m decimal(10,2), z int")
    cursor.execute(f"INSERT INTO {name} VALUES (7, 7.50, 0), (-7, -0.25, 0)")
    view = fresh("halves_v")
    cursor.execute(f"CREATE VIEW {view} AS SELECT i / 2 AS h, m / 2 AS q, i AS i FROM {name}")
    cursor.execute(f"SELECT h, q FROM {view} ORDER BY i")
    assert cursor.fetchall() == [(-3, Decimal("-0.13")), (3, Decimal("3.75"))]
    assert [d[1] for d in cursor.description] == ["integer", "decimal"]
    cursor.execute(f"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{view}'")
    kinds = dict(cursor.fetchall())  # the view's columns as CREATE VIEW keeps them in Glue (DuckDB's: double)
    assert kinds["h"] == "int" and kinds["q"].startswith("decimal")
    broken = fresh("by_zero_v")
    cursor.execute(f"CREATE VIEW {broken} AS SELECT i / z AS x FROM {name}")
    assert failure(cursor, f"SELECT x FROM {broken}") == "DIVISION_BY_ZERO: Division by zero"
