"""The emulator's Athena refuses the comparisons Athena (Trino) refuses: varchar against a date, number or boolean.

DuckDB casts the varchar side and answers; Trino has no implicit coercion there and fails the query with
TYPE_MISMATCH, "Cannot apply operator: varchar = date". A Gold ``order_date`` stored as a string, compared with a
date, ran locally and failed on AWS (``lakehouse/emulator/sql/comparisons.py``). The same holds for UNION, EXCEPT
and INTERSECT over such columns, "column 1 in EXCEPT query has incompatible types: varchar, date", which exit 2's
``matches`` comparison runs (``lakehouse/emulator/sql/setops.py``). Healthy twins: the same comparisons and set
operations on matching types, and an explicit cast, still run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pyathena
import pytest
from pyathena.error import OperationalError

from lakehouse.emulator.process import EmulatorHandle
from lakehouse.reconcile import diff_sql
from tests.emulator.conftest import REGION, AwsClientFactory

WORK_GROUP = "typemismatch"
LAKE = "typemismatch-lake"


@pytest.fixture(scope="module")
def typed_table(emulator: EmulatorHandle, aws_client: AwsClientFactory) -> Iterator[tuple[Any, str]]:
    """A cursor, and an Iceberg table with a day stored as a string next to a real date."""
    s3, glue = aws_client("s3"), aws_client("glue")
    for bucket in (LAKE, f"{LAKE}-results"):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    glue.create_database(DatabaseInput={"Name": "typemismatch"})
    aws_client("athena").create_work_group(
        Name=WORK_GROUP,
        Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{LAKE}-results/out/"}},
    )
    conn = pyathena.connect(
        work_group=WORK_GROUP,
        region_name=REGION,
        schema_name="typemismatch",
        endpoint_url=emulator.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        poll_interval=0.05,
    )
    cursor = conn.cursor()
    name = f"t_{uuid.uuid4().hex[:8]}"
    cursor.execute(
        f"CREATE TABLE {name} (day_text string, day date, n bigint, flag boolean) LOCATION 's3://{LAKE}/{name}/' "
        "TBLPROPERTIES ('table_type'='ICEBERG', 'format'='parquet')"
    )
    cursor.execute(f"INSERT INTO {name} VALUES ('2026-03-01', DATE '2026-03-01', 1, true)")
    yield cursor, name
    conn.close()


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("day_text = DATE '2026-03-01'", "Cannot apply operator: varchar = date"),
        ("day_text = day", "Cannot apply operator: varchar = date"),
        ("n = '1'", "Cannot apply operator: bigint = varchar"),
        ("day_text < day", "Cannot apply operator: varchar < date"),
        ("flag = 'true'", "Cannot apply operator: boolean = varchar"),
        ("day_text BETWEEN DATE '2026-01-01' AND DATE '2026-12-31'", "Cannot check if varchar is BETWEEN date"),
        ("day_text IN (SELECT day FROM {t})", "IN value and list items must be the same type: varchar vs date"),
    ],
)
def test_a_varchar_compared_with_another_type_fails_as_athena_fails_it(
    typed_table: tuple[Any, str], condition: str, message: str
) -> None:
    cursor, name = typed_table
    with pytest.raises(OperationalError) as err:
        cursor.execute(f"SELECT count(*) FROM {name} WHERE {condition.format(t=name)}")
    assert "TYPE_MISMATCH" in str(err.value) and message in str(err.value), str(err.value)


def test_a_merge_on_a_varchar_against_a_date_fails(typed_table: tuple[Any, str]) -> None:
    cursor, name = typed_table
    with pytest.raises(OperationalError) as err:
        cursor.execute(
            f"MERGE INTO {name} t USING (SELECT day FROM {name}) s ON t.day_text = s.day "
            "WHEN MATCHED THEN UPDATE SET n = t.n"
        )
    assert "Cannot apply operator: varchar = date" in str(err.value), str(err.value)


@pytest.mark.parametrize(
    "condition",
    [
        "day = DATE '2026-03-01'",
        "day_text = '2026-03-01'",
        "CAST(day_text AS date) = day",
        "day_text = CAST(day AS varchar)",
        "n = 1 AND n < 1.5",
        "day < TIMESTAMP '2026-03-02 00:00:00'",
        "flag = true",
        "day_text IN ('2026-03-01', '2026-03-02')",
    ],
)
def test_comparisons_of_matching_types_still_run(typed_table: tuple[Any, str], condition: str) -> None:
    cursor, name = typed_table
    cursor.execute(f"SELECT count(*) FROM {name} WHERE {condition}")
    assert cursor.fetchone() == (1,)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "SELECT day_text FROM {t} EXCEPT SELECT day FROM {t}",
            "column 1 in EXCEPT query has incompatible types: varchar, date",
        ),
        (
            "SELECT n, day_text FROM {t} UNION SELECT n, n FROM {t}",
            "column 2 in UNION query has incompatible types: varchar, bigint",
        ),
        (
            "SELECT flag FROM {t} INTERSECT SELECT n FROM {t}",
            "column 1 in INTERSECT query has incompatible types: boolean, bigint",
        ),
        ("SELECT day FROM {t} UNION ALL SELECT '2026-03-01'", "incompatible types: date, varchar(10)"),
    ],
)
def test_a_set_operation_over_a_varchar_and_another_type_fails_as_athena_fails_it(
    typed_table: tuple[Any, str], query: str, message: str
) -> None:
    cursor, name = typed_table
    with pytest.raises(OperationalError) as err:
        cursor.execute(query.format(t=name))
    assert "TYPE_MISMATCH" in str(err.value) and message in str(err.value), str(err.value)


def test_exit_2_s_comparison_of_a_text_day_with_a_stated_date_fails(typed_table: tuple[Any, str]) -> None:
    """Locally the string '2026-03-01' equalled the date the ``matches`` query states: no difference, a pass."""
    cursor, name = typed_table
    with pytest.raises(OperationalError) as err:
        cursor.execute(diff_sql(name, ["day_text"], "SELECT DATE '2026-03-01' AS day_text"))
    assert "column 1 in EXCEPT query has incompatible types: date, varchar" in str(err.value), str(err.value)


@pytest.mark.parametrize(
    ("query", "rows"),
    [
        ("SELECT day_text FROM {t} EXCEPT SELECT '2026-03-01'", 0),  # varchar, varchar(10)
        ("SELECT n FROM {t} INTERSECT SELECT 1", 1),  # bigint, integer
        ("SELECT day FROM {t} EXCEPT SELECT DATE '2026-03-01'", 0),  # date, date
        ("SELECT day_text, NULL FROM {t} UNION ALL SELECT NULL, day FROM {t}", 2),  # NULL: Trino's unknown
        ("SELECT CAST(day_text AS date) FROM {t} EXCEPT SELECT day FROM {t}", 0),
        ("SELECT flag FROM {t} UNION SELECT false", 2),
    ],
)
def test_set_operations_over_matching_types_still_run(typed_table: tuple[Any, str], query: str, rows: int) -> None:
    cursor, name = typed_table
    cursor.execute(query.format(t=name))
    assert len(cursor.fetchall()) == rows


def test_exit_2_s_comparison_of_a_date_with_a_stated_date_still_runs(typed_table: tuple[Any, str]) -> None:
    cursor, name = typed_table
    cursor.execute(diff_sql(name, ["day", "n"], "SELECT DATE '2026-03-01' AS day, 1 AS n"))
    assert cursor.fetchall() == []
