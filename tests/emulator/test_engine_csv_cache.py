"""A CSV table's objects are kept parsed per object record: never stale, never a result.

Each test changes what the next query must see behind the engine's back (an object overwritten,
one added, one deleted, the table re-declared with another type) and checks it sees it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from lakehouse.emulator.process import EmulatorHandle
from tests.emulator.lf_stack import Lake, build_lake

REGION = "sa-east-1"  # its own region: build_lake names buckets by region on the shared emulator
DB = "csv_cache_lake"


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    return build_lake(emulator, REGION, DB)


@pytest.fixture
def admin(lake: Lake) -> Iterator[Any]:
    with lake.cursor() as cursor:
        yield cursor


def _csv_table(lake: Lake, admin: Any, kind: str = "string") -> tuple[str, str]:
    name = f"c_{uuid.uuid4().hex[:8]}"
    admin.execute(
        f"CREATE EXTERNAL TABLE {name} (id string, v {kind}) "
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        f"LOCATION 's3://{lake.bucket}/{name}/' TBLPROPERTIES ('skip.header.line.count'='1')"
    )
    return name, f"{name}/"


def _rows(cursor: Any, sql: str) -> list[tuple[Any, ...]]:
    cursor.execute(sql)
    return list(cursor.fetchall())


def test_an_object_overwritten_added_or_deleted_is_read_at_once(lake: Lake, admin: Any) -> None:
    s3 = lake.session().client("s3", endpoint_url=lake.emulator.endpoint)
    name, prefix = _csv_table(lake, admin)
    s3.put_object(Bucket=lake.bucket, Key=f"{prefix}a.csv", Body=b"id,v\n1,a\n")
    assert _rows(admin, f"SELECT id, v FROM {name}") == [("1", "a")]
    assert _rows(admin, f"SELECT id, v FROM {name}") == [("1", "a")]  # kept
    s3.put_object(Bucket=lake.bucket, Key=f"{prefix}a.csv", Body=b"id,v\n1,A\n")
    assert _rows(admin, f"SELECT id, v FROM {name}") == [("1", "A")]
    s3.put_object(Bucket=lake.bucket, Key=f"{prefix}b.csv", Body=b"id,v\n2,b\n")
    assert _rows(admin, f'SELECT id, v, "$path" FROM {name} ORDER BY id') == [
        ("1", "A", f"s3://{lake.bucket}/{prefix}a.csv"),
        ("2", "b", f"s3://{lake.bucket}/{prefix}b.csv"),
    ]
    s3.delete_object(Bucket=lake.bucket, Key=f"{prefix}a.csv")
    assert _rows(admin, f"SELECT id, v FROM {name}") == [("2", "b")]


def test_the_same_object_under_another_declaration_is_read_by_it(lake: Lake, admin: Any) -> None:
    s3 = lake.session().client("s3", endpoint_url=lake.emulator.endpoint)
    name, prefix = _csv_table(lake, admin)
    s3.put_object(Bucket=lake.bucket, Key=f"{prefix}a.csv", Body=b"id,v\n1,7\n")
    assert _rows(admin, f"SELECT v FROM {name}") == [("7",)]
    admin.execute(f"DROP TABLE {name}")
    admin.execute(
        f"CREATE EXTERNAL TABLE {name} (id string, v bigint) "
        "ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        f"LOCATION 's3://{lake.bucket}/{prefix}' TBLPROPERTIES ('skip.header.line.count'='1')"
    )
    assert _rows(admin, f"SELECT v + 1 FROM {name}") == [(8,)]
