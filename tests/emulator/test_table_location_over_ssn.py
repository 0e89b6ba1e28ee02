"""Exit check 6 fails a table the analyst reads whose location or metadata is repointed at the users files.

The broken stack: ``orders`` (no ssn column), which the analyst may SELECT in full, is repointed by Glue
UpdateTable at the folder of ``users`` (StorageDescriptor.Location), or at its metadata (the Iceberg
``metadata_location`` parameter, as ``ALTER TABLE ... SET TBLPROPERTIES`` writes it). Main judged table
locations only through DATA_LOCATION and CREATE_TABLE grants: with the Location repointed, the analyst's
``SELECT *`` of ``orders`` (its own metadata, its own columns) showed nothing, and the check passed.
The same for a Hive table, ``orders_csv``, repointed by Athena's own ``ALTER TABLE ... SET LOCATION``.
The healthy twin is the same lake before the repointing; a DATA_LOCATION grant to another role is listed by both
ListPermissions readings and kept once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from lakehouse.checks.security import judge_security
from lakehouse.checks.security_read import read_security
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.target import Target
from tests.emulator.lf_stack import WORK_GROUP, Lake, analyst_statements, build_lake

REGION = "il-central-1"  # a region of its own: build_lake names buckets and roles by region
DB = "tloc_gold"
#: The analyst of infra/ (lf_stack's broad Lake Formation and Glue rights would fail the check on their own).
ANALYST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        *analyst_statements(REGION),
    ],
}


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    lake = build_lake(emulator, REGION, DB)
    lake.client("iam").put_role_policy(
        RoleName=f"analyst-{REGION}", PolicyName="broad", PolicyDocument=json.dumps(ANALYST_POLICY)
    )
    lake.client("glue").create_table(
        DatabaseName=DB,
        TableInput={
            "Name": "orders",
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Location": f"s3://{lake.bucket}/orders/",
                "Columns": [{"Name": "order_id", "Type": "bigint"}, {"Name": "user_id", "Type": "bigint"}],
            },
        },
        OpenTableFormatInput={"IcebergInput": {"MetadataOperation": "CREATE", "Version": "2"}},
    )
    with lake.cursor() as admin:
        admin.execute("INSERT INTO orders VALUES (10, 1), (11, 2)")
    lake.grant("analyst", {"Table": {"DatabaseName": DB, "Name": "orders"}}, ["SELECT"])
    lake.client("s3").put_object(Bucket=lake.bucket, Key="orders_csv/part-0.csv", Body=b"10,1\n11,2\n")
    with lake.cursor() as admin:
        admin.execute(
            "CREATE EXTERNAL TABLE orders_csv (order_id bigint, user_id bigint) "
            f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{lake.bucket}/orders_csv/'"
        )
    lake.grant("analyst", {"Table": {"DatabaseName": DB, "Name": "orders_csv"}}, ["SELECT"])
    lake.add_role("pipeline")
    location = {"DataLocation": {"ResourceArn": f"arn:aws:s3:::{lake.bucket}/orders"}}
    lake.grant("pipeline", location, ["DATA_LOCATION_ACCESS"])
    return lake


def _outputs(lake: Lake) -> dict[str, Any]:
    return {
        "analyst_role_arn": lake.roles["analyst"],
        "analyst_workgroup_name": WORK_GROUP,
        "athena_workgroup_name": WORK_GROUP,
        "glue_database_names": {"gold": DB},
    }


def _target(lake: Lake) -> Target:
    return Target(name="local", region=REGION, endpoint_url=lake.emulator.endpoint)


def _table(lake: Lake, name: str) -> dict[str, Any]:
    return dict(lake.client("glue").get_table(DatabaseName=DB, Name=name)["Table"])


@pytest.fixture
def repoint(lake: Lake) -> Iterator[Any]:
    """Glue UpdateTable of ``orders`` with a changed location or parameters; the original put back after."""
    glue, original = lake.client("glue"), _table(lake, "orders")
    keys = ("Name", "TableType", "StorageDescriptor", "Parameters")

    def update(location: str | None = None, metadata_location: str | None = None) -> None:
        table = {k: json.loads(json.dumps(original[k], default=str)) for k in keys if k in original}
        if location:
            table["StorageDescriptor"]["Location"] = location
        if metadata_location:
            table["Parameters"]["metadata_location"] = metadata_location
        glue.update_table(DatabaseName=DB, TableInput=table)

    yield update
    glue.update_table(DatabaseName=DB, TableInput={k: original[k] for k in keys if k in original})


def test_the_lake_with_orders_in_its_own_folder_passes(lake: Lake) -> None:
    rb = read_security(_target(lake), _outputs(lake))
    outcome = judge_security(rb)
    assert outcome.status.value == "passed", outcome.reason
    located = [g for g in rb.grants if "DataLocation" in g["Resource"]]
    assert len(located) == 1, located  # listed unfiltered and by ResourceType=DATA_LOCATION, kept once


def test_orders_repointed_at_the_users_folder_fails(lake: Lake, repoint: Any) -> None:
    users = f"s3://{lake.bucket}/users/"
    repoint(location=users)
    outcome = judge_security(read_security(_target(lake), _outputs(lake)))
    assert outcome.status.value == "failed"
    grants = outcome.details["problems"]["grants"]
    assert any(
        p.startswith(f"the analyst holds ['SELECT'] on {DB}.orders through a table-level grant (every column), ")
        and f"its location {users} lies over the files of {DB}.users" in p
        and f"e.g. s3://{lake.bucket}/users/" in p
        for p in grants
    ), grants


def test_orders_repointed_at_the_users_metadata_fails(lake: Lake, repoint: Any) -> None:
    metadata = _table(lake, "users")["Parameters"]["metadata_location"]
    repoint(metadata_location=metadata)
    outcome = judge_security(read_security(_target(lake), _outputs(lake)))
    assert outcome.status.value == "failed"
    grants = outcome.details["problems"]["grants"]
    assert any(
        f"on {DB}.orders" in p and f"its location {metadata} lies over the files of {DB}.users" in p for p in grants
    ), grants


@pytest.fixture
def orders_csv_moved_back(lake: Lake) -> Iterator[None]:
    """``orders_csv`` back at its own folder after the test, by Athena's ALTER TABLE as the move was made."""
    yield
    with lake.cursor() as admin:
        admin.execute(f"ALTER TABLE orders_csv SET LOCATION 's3://{lake.bucket}/orders_csv/'")


def test_a_hive_table_repointed_by_athena_alter_table_at_the_users_folder_fails(
    lake: Lake, orders_csv_moved_back: None
) -> None:
    users = f"s3://{lake.bucket}/users/"
    with lake.cursor() as admin:
        admin.execute(f"ALTER TABLE orders_csv SET LOCATION '{users}'")
    assert _table(lake, "orders_csv")["StorageDescriptor"]["Location"] == users
    outcome = judge_security(read_security(_target(lake), _outputs(lake)))
    assert outcome.status.value == "failed"
    grants = outcome.details["problems"]["grants"]
    assert any(
        p.startswith(f"the analyst holds ['SELECT'] on {DB}.orders_csv through a table-level grant (every column), ")
        and f"its location {users} lies over the files of {DB}.users" in p
        for p in grants
    ), grants
