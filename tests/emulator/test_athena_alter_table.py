"""ALTER TABLE through the emulator's Athena does to the Glue table what Athena does, and refuses what Athena refuses.

What Athena does, by table format:

- Hive table (``alter-table-set-location``, ``alter-table-set-tblproperties``): ``SET LOCATION`` changes the
  table's StorageDescriptor.Location, ``SET TBLPROPERTIES`` adds or resets its parameters (any key).
- Iceberg table (``querying-iceberg-managing-tables``): ``SET TBLPROPERTIES`` takes Athena's keys only and writes
  them into the Iceberg metadata (Glue's ``metadata_location`` moves to the new metadata file); any other key fails
  with ``Unsupported table property key: <key>``. ``SET LOCATION`` is not among Athena's Iceberg DDL and fails
  with ``Query type not supported by Athena Iceberg at this time`` (measured on Athena, 2026-09-21, as recorded
  by athena-local's docs).
- Either way the caller needs ALTER on the table (Lake Formation); without it the Glue table is left as it was.

Each change is read back with Glue GetTable, as the harness reads a table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pyathena.error import OperationalError

from lakehouse.emulator.process import EmulatorHandle
from tests.emulator.lf_stack import Lake, build_lake

REGION = "ap-southeast-3"  # a region of its own: build_lake names buckets and roles by region
DB = "alter_gold"
ICEBERG_REFUSES = "Query type not supported by Athena Iceberg at this time"


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    """lf_stack's lake (Iceberg ``users``) plus a Hive CSV table ``events`` and a role holding ALTER on it."""
    lake = build_lake(emulator, REGION, DB)
    s3 = lake.client("s3")
    s3.put_object(Bucket=lake.bucket, Key="events/part-0.csv", Body=b"1,open\n2,close\n")
    s3.put_object(Bucket=lake.bucket, Key="events_v2/part-0.csv", Body=b"3,reopen\n")
    with lake.cursor() as admin:
        admin.execute(
            "CREATE EXTERNAL TABLE events (id bigint, kind string) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' "
            f"LOCATION 's3://{lake.bucket}/events/' TBLPROPERTIES ('classification'='csv')"
        )
    lake.add_role("keeper")
    for name in (DB, "default"):
        lake.grant("keeper", {"Database": {"Name": name}}, ["DESCRIBE"])
    lake.grant("keeper", {"Table": {"DatabaseName": DB, "Name": "events"}}, ["ALTER", "SELECT"])
    lake.grant("analyst", {"Table": {"DatabaseName": DB, "Name": "events"}}, ["SELECT"])
    return lake


def _table(lake: Lake, name: str) -> dict[str, Any]:
    return dict(lake.client("glue").get_table(DatabaseName=DB, Name=name)["Table"])


def _failure(lake: Lake, sql: str, role: str | None = None) -> dict[str, Any]:
    """The failed execution of ``sql`` run as ``role``, as GetQueryExecution reports it."""
    with lake.cursor(role) as cursor:
        with pytest.raises(OperationalError):
            cursor.execute(sql)
        query_id = cursor.query_id
    execution = lake.client("athena").get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
    assert execution["Status"]["State"] == "FAILED", execution["Status"]
    return dict(execution)


@pytest.fixture
def events_restored(lake: Lake) -> Iterator[None]:
    """``events`` as the module made it, put back after the test (Glue UpdateTable of what GetTable read)."""
    original = _table(lake, "events")
    yield
    keys = ("Name", "TableType", "StorageDescriptor", "Parameters")
    table = {k: json.loads(json.dumps(original[k], default=str)) for k in keys if k in original}
    lake.client("glue").update_table(DatabaseName=DB, TableInput=table)


def test_set_location_repoints_a_hive_table(lake: Lake, events_restored: None) -> None:
    before = _table(lake, "events")
    new = f"s3://{lake.bucket}/events_v2/"
    with lake.cursor("keeper") as keeper:
        keeper.execute(f"ALTER TABLE events SET LOCATION '{new}'")
        keeper.execute("SELECT id, kind FROM events")
        rows = keeper.fetchall()
    after = _table(lake, "events")
    assert after["StorageDescriptor"]["Location"] == new
    # Only the location moved: columns, serde and parameters are Glue's as before.
    for key in ("Columns", "SerdeInfo", "InputFormat", "OutputFormat"):
        assert after["StorageDescriptor"][key] == before["StorageDescriptor"][key], key
    assert after["Parameters"] == before["Parameters"]
    assert after["TableType"] == "EXTERNAL_TABLE"
    assert rows == [(3, "reopen")]  # reads follow the table to its new files


def test_set_tblproperties_on_a_hive_table_merges_glue_parameters(lake: Lake, events_restored: None) -> None:
    before = _table(lake, "events")
    with lake.cursor("keeper") as keeper:
        keeper.execute("ALTER TABLE events SET TBLPROPERTIES ('Notes'='keep me', 'classification'='text')")
    after = _table(lake, "events")
    assert after["Parameters"] == {**before["Parameters"], "Notes": "keep me", "classification": "text"}
    assert after["StorageDescriptor"]["Location"] == before["StorageDescriptor"]["Location"]


def test_set_tblproperties_on_an_iceberg_table_writes_new_metadata(lake: Lake) -> None:
    before = _table(lake, "users")["Parameters"]["metadata_location"]
    with lake.cursor() as admin:
        admin.execute("ALTER TABLE users SET TBLPROPERTIES ('vacuum_max_snapshot_age_seconds'='259200')")
    params = _table(lake, "users")["Parameters"]
    assert params["metadata_location"] != before
    assert params["previous_metadata_location"] == before
    bucket, _, key = params["metadata_location"].removeprefix("s3://").partition("/")
    metadata = json.loads(lake.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    assert metadata["properties"]["vacuum_max_snapshot_age_seconds"] == "259200"


@pytest.mark.parametrize(
    ("sql", "reason", "error_type"),
    [
        (f"ALTER TABLE users SET LOCATION 's3://lf-data-{REGION}/events/'", ICEBERG_REFUSES, 1002),
        (
            f"ALTER TABLE users SET TBLPROPERTIES ('metadata_location'='s3://lf-data-{REGION}/x.metadata.json')",
            "Unsupported table property key: metadata_location",
            1200,
        ),
        ("ALTER TABLE users SET TBLPROPERTIES ('Comment'='c')", "Unsupported table property key: Comment", 1200),
    ],
)
def test_what_athena_refuses_on_an_iceberg_table_fails_and_changes_nothing(
    lake: Lake, sql: str, reason: str, error_type: int
) -> None:
    before = _table(lake, "users")
    execution = _failure(lake, sql)
    assert execution["Status"]["StateChangeReason"] == reason
    assert execution["Status"]["AthenaError"]["ErrorCategory"] == 2
    assert execution["Status"]["AthenaError"]["ErrorType"] == error_type
    after = _table(lake, "users")
    assert after["Parameters"] == before["Parameters"]
    assert after["StorageDescriptor"]["Location"] == before["StorageDescriptor"]["Location"]


@pytest.mark.parametrize(
    "sql",
    [
        f"ALTER TABLE events SET LOCATION 's3://lf-data-{REGION}/users/'",
        "ALTER TABLE events SET TBLPROPERTIES ('table_type'='ICEBERG')",
    ],
)
def test_an_analyst_without_alter_is_refused_and_changes_nothing(lake: Lake, sql: str) -> None:
    before = _table(lake, "events")
    execution = _failure(lake, sql, role="analyst")
    assert execution["Status"]["StateChangeReason"] == (
        "Insufficient permissions to execute the query. Insufficient Lake Formation permission(s) on "
        f"{DB}.events (required: ALTER)"
    )
    after = _table(lake, "events")
    assert after["StorageDescriptor"] == before["StorageDescriptor"]
    assert after["Parameters"] == before["Parameters"]


def test_a_partition_location_is_not_taken_for_the_table_location(lake: Lake) -> None:
    """``ALTER TABLE t PARTITION (...) SET LOCATION`` moves one partition on Athena: never the whole table here."""
    before = _table(lake, "events")
    execution = _failure(lake, f"ALTER TABLE events PARTITION (kind='open') SET LOCATION 's3://{lake.bucket}/users/'")
    assert "NOT_SUPPORTED" in execution["Status"]["StateChangeReason"]
    assert _table(lake, "events")["StorageDescriptor"] == before["StorageDescriptor"]


# ---------------------------------------------------------------- UNSET TBLPROPERTIES
# Athena documents ``ALTER TABLE [db_name.]table_name UNSET TBLPROPERTIES ('property_name' [ , ... ])`` for
# Iceberg tables (``querying-iceberg-alter-table-unset-properties``: it drops the properties from the Iceberg
# metadata). Its Hive DDL is HiveQL's, where UNSET TBLPROPERTIES [IF EXISTS] drops the table's parameters (a Glue
# UpdateTable here) and, without IF EXISTS, fails on a key the table does not have (Hive's ErrorMsg 10215).


def test_unset_tblproperties_on_a_hive_table_drops_glue_parameters(lake: Lake, events_restored: None) -> None:
    with lake.cursor("keeper") as keeper:
        keeper.execute("ALTER TABLE events SET TBLPROPERTIES ('Notes'='keep me', 'owner'='x', 'stay'='y')")
        before = _table(lake, "events")
        keeper.execute(f"ALTER TABLE {DB}.events UNSET TBLPROPERTIES ('Notes', 'owner')")
    after = _table(lake, "events")
    expected = {k: v for k, v in before["Parameters"].items() if k not in ("Notes", "owner")}
    assert after["Parameters"] == expected
    assert after["Parameters"]["stay"] == "y"
    assert after["StorageDescriptor"] == before["StorageDescriptor"]


def test_unset_tblproperties_if_exists_passes_over_missing_keys(lake: Lake, events_restored: None) -> None:
    with lake.cursor("keeper") as keeper:
        keeper.execute("ALTER TABLE events SET TBLPROPERTIES ('gone'='soon')")
        before = _table(lake, "events")
        keeper.execute("ALTER TABLE events UNSET TBLPROPERTIES IF EXISTS ('gone', 'never_there')")
    after = _table(lake, "events")
    assert after["Parameters"] == {k: v for k, v in before["Parameters"].items() if k != "gone"}


def test_unset_of_a_missing_hive_property_fails_and_changes_nothing(lake: Lake, events_restored: None) -> None:
    with lake.cursor("keeper") as keeper:
        keeper.execute("ALTER TABLE events SET TBLPROPERTIES ('kept'='1')")
    before = _table(lake, "events")
    execution = _failure(lake, "ALTER TABLE events UNSET TBLPROPERTIES ('kept', 'never_there')", role="keeper")
    assert execution["Status"]["StateChangeReason"].endswith(
        "The following property never_there does not exist in events"
    )
    assert _table(lake, "events")["Parameters"] == before["Parameters"]


def test_unset_tblproperties_on_an_iceberg_table_drops_them_from_the_metadata(lake: Lake) -> None:
    with lake.cursor() as admin:
        admin.execute(
            "ALTER TABLE users SET TBLPROPERTIES ('write_compression'='zstd', 'vacuum_min_snapshots_to_keep'='3')"
        )
        admin.execute("ALTER TABLE users UNSET TBLPROPERTIES ('write_compression')")
    params = _table(lake, "users")["Parameters"]
    bucket, _, key = params["metadata_location"].removeprefix("s3://").partition("/")
    metadata = json.loads(lake.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    assert "write_compression" not in metadata["properties"]
    assert metadata["properties"]["vacuum_min_snapshots_to_keep"] == "3"


def test_unset_needs_alter_like_set(lake: Lake, events_restored: None) -> None:
    with lake.cursor("keeper") as keeper:
        keeper.execute("ALTER TABLE events SET TBLPROPERTIES ('kept'='1')")
    before = _table(lake, "events")
    execution = _failure(lake, "ALTER TABLE events UNSET TBLPROPERTIES ('kept')", role="analyst")
    assert execution["Status"]["StateChangeReason"] == (
        "Insufficient permissions to execute the query. Insufficient Lake Formation permission(s) on "
        f"{DB}.events (required: ALTER)"
    )
    assert _table(lake, "events")["Parameters"] == before["Parameters"]


def test_unset_on_a_missing_table_names_it_where_it_stands(lake: Lake) -> None:
    execution = _failure(lake, "ALTER TABLE\n  nowhere UNSET TBLPROPERTIES ('k')")
    assert execution["Status"]["StateChangeReason"] == (
        f"TABLE_NOT_FOUND: line 2:3: Table 'awsdatacatalog.{DB}.nowhere' does not exist"
    )
