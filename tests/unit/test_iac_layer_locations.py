"""Exit check 5 judges every place a stack table sends files to against its own layer's bucket.

Each broken case passed before: the check took Glue's location and metadata file only, and any bucket of the
stack would do. Here, in moto (``moto_aws``), a Bronze table is repointed into the Gold bucket, and Gold
``users``' current Iceberg metadata (a real file in S3) sends its next data or metadata files elsewhere
(``write.data.path``, ``write.object-storage.path``, ``write.metadata.path``, its ``location``): into another
layer's bucket, or into a bucket no Terraform state holds (unmanaged data). The check must fail naming the table,
the place, what says it and the layer; the healthy twin (every place in its layer's bucket, a write path inside it
included) stays green.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from lakehouse.checks.iac import judge_iac, stray_locations
from lakehouse.inventory import DEFAULT_PROJECT, Inventory, _Search
from lakehouse.outcome import Status
from lakehouse.target import Target
from lakehouse.terraform import PlanResult
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, P

G = P.replace("-", "_")
BRONZE, GOLD = f"{P}-bronze-{ACCOUNT}", f"{P}-gold-{ACCOUNT}"
BRONZE_DB, GOLD_DB = f"{G}_bronze", f"{G}_gold"
ELSEWHERE = "someone-elses-bucket"
METADATA_KEY = "users/metadata/00001-a.metadata.json"
GLUE_ARN = f"arn:aws:glue:{REGION}:{ACCOUNT}"
#: What Terraform made, as its state records it: the two layers' buckets, and each layer's database in its bucket.
STATE: list[dict[str, Any]] = [
    *({"type": "aws_s3_bucket", "values": {"bucket": b}} for b in (BRONZE, GOLD)),
    *(
        {
            "type": "aws_glue_catalog_database",
            "values": {
                "arn": f"{GLUE_ARN}:database/{db}",
                "name": db,
                "location_uri": f"s3://{bucket}/",
                "tags": {"layer": layer},
            },
        }
        for layer, db, bucket in (("bronze", BRONZE_DB, BRONZE), ("gold", GOLD_DB, GOLD))
    ),
]
#: The pipeline's tables (the check expects them in the stack's databases without state).
PIPELINE = {f"{BRONZE_DB}.users_csv", f"{GOLD_DB}.users"}


def _lake(users_csv_at: str = f"s3://{BRONZE}/users_csv/", **metadata: Any) -> Target:
    """The two layers in moto: Bronze ``users_csv`` (a CSV table at ``users_csv_at``) and Gold ``users`` (an Iceberg
    table whose current metadata file, in the Gold bucket, has ``metadata`` over a healthy one)."""
    s3 = boto3.client("s3", region_name=REGION)
    glue = boto3.client("glue", region_name=REGION)
    for bucket in (BRONZE, GOLD):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    for db, bucket in ((BRONZE_DB, BRONZE), (GOLD_DB, GOLD)):
        glue.create_database(DatabaseInput={"Name": db, "LocationUri": f"s3://{bucket}/"}, Tags={"stack_id": STACK})
    glue.create_table(
        DatabaseName=BRONZE_DB, TableInput={"Name": "users_csv", "StorageDescriptor": {"Location": users_csv_at}}
    )
    current = {"format-version": 2, "location": f"s3://{GOLD}/users", "properties": {}, **metadata}
    s3.put_object(Bucket=GOLD, Key=METADATA_KEY, Body=json.dumps(current).encode())
    glue.create_table(
        DatabaseName=GOLD_DB,
        TableInput={
            "Name": "users",
            "StorageDescriptor": {"Location": f"s3://{GOLD}/users/"},
            "Parameters": {"table_type": "ICEBERG", "metadata_location": f"s3://{GOLD}/{METADATA_KEY}"},
        },
    )
    return Target("aws", REGION)


def _found(target: Target) -> Inventory:
    """What the search reads of the stack's databases in moto (their tables, where those send their files)."""
    search = _Search(target, STACK, DEFAULT_PROJECT)
    search.inv.account, search.inv.partition = ACCOUNT, "aws"
    search.glue(REGION, {})
    assert not search.inv.unreadable, search.inv.unreadable
    return search.inv


def _judged(target: Target) -> tuple[list[str], Any]:
    inventory = _found(target)
    return stray_locations(STATE, inventory), judge_iac(PlanResult(0), STATE, inventory, PIPELINE)


USERS = f"{GOLD_DB}.users"


@pytest.mark.parametrize(
    ("metadata", "stray"),
    [
        (
            {"properties": {"write.data.path": f"s3://{ELSEWHERE}/users/data"}},
            f"{USERS} s3://{ELSEWHERE}/users/data (write.data.path) is unmanaged data: in no bucket of Terraform "
            f"state (its Gold layer's bucket is {GOLD})",
        ),
        (
            {"properties": {"write.object-storage.path": f"s3://{BRONZE}/users-data"}},
            f"{USERS} s3://{BRONZE}/users-data (write.object-storage.path) is in the stack's bucket {BRONZE}, not its "
            f"Gold layer's {GOLD}",
        ),
        (
            {"properties": {"write.metadata.path": f"s3a://{ELSEWHERE}/meta"}},
            f"{USERS} s3a://{ELSEWHERE}/meta (write.metadata.path) is unmanaged data",
        ),
        (
            {"location": f"s3://{BRONZE}/users"},
            f"{USERS} s3://{BRONZE}/users (Iceberg metadata location) is in the stack's bucket {BRONZE}, not its Gold "
            f"layer's {GOLD}",
        ),
    ],
    ids=["data-path-outside-every-bucket", "object-storage-path-in-bronze", "metadata-path-elsewhere", "location"],
)
def test_gold_users_iceberg_writes_outside_the_gold_bucket_fail_check_5(
    moto_aws: None, metadata: dict[str, Any], stray: str
) -> None:
    strays, result = _judged(_lake(**metadata))
    assert len(strays) == 1 and strays[0].startswith(stray), strays
    assert result.status is Status.FAILED
    assert "1 place(s) the stack's tables send files to lie outside their layer's bucket" in str(result.reason)
    assert stray in str(result.reason)


def test_a_bronze_table_in_the_gold_bucket_fails_check_5(moto_aws: None) -> None:
    """Every bucket is the stack's: only its layer tells (Gold's readers and grants reach the raw rows)."""
    strays, result = _judged(_lake(users_csv_at=f"s3://{GOLD}/raw/users_csv/"))
    assert strays == [
        f"{BRONZE_DB}.users_csv s3://{GOLD}/raw/users_csv/ (Glue StorageDescriptor.Location) is in the stack's "
        f"bucket {GOLD}, not its Bronze layer's {BRONZE}"
    ]
    assert result.status is Status.FAILED and strays[0] in str(result.reason)


def test_every_place_in_its_layers_bucket_passes(moto_aws: None) -> None:
    """The healthy twin: a write path inside the table's own layer bucket is no stray."""
    target = _lake(properties={"write.data.path": f"s3a://{GOLD}/users/data-v2", "write.metadata.path": ""})
    inventory = _found(target)
    assert inventory.table_locations[USERS].writes == {
        "Iceberg metadata location": f"s3://{GOLD}/users",
        "write.data.path": f"s3a://{GOLD}/users/data-v2",
    }
    strays, result = _judged(target)
    assert strays == [] and result.passed, result.reason


def test_a_table_of_a_database_the_state_does_not_locate_may_use_any_managed_bucket(moto_aws: None) -> None:
    """Without the database's ``location_uri`` in state no layer is known: any managed bucket is the stack's, a
    bucket outside the state is still unmanaged data."""
    unlocated = [r for r in STATE if r["type"] == "aws_s3_bucket"]
    inventory = _found(_lake(users_csv_at=f"s3://{GOLD}/raw/users_csv/"))
    assert stray_locations(unlocated, inventory) == []
    inventory = _found(_relocated(f"s3://{ELSEWHERE}/users_csv/"))
    assert stray_locations(unlocated, inventory) == [
        f"{BRONZE_DB}.users_csv s3://{ELSEWHERE}/users_csv/ (Glue StorageDescriptor.Location) is unmanaged data: in "
        "no bucket of Terraform state"
    ]


def _relocated(location: str) -> Target:
    """The lake already made, with Bronze ``users_csv`` moved to ``location``."""
    boto3.client("glue", region_name=REGION).update_table(
        DatabaseName=BRONZE_DB, TableInput={"Name": "users_csv", "StorageDescriptor": {"Location": location}}
    )
    return Target("aws", REGION)


def test_iceberg_metadata_that_cannot_be_read_leaves_the_check_unable_to_pass(moto_aws: None) -> None:
    """Where a table sends its next files is in its metadata: a metadata file gone is a read that failed, named."""
    target = _lake()
    boto3.client("s3", region_name=REGION).delete_object(Bucket=GOLD, Key=METADATA_KEY)
    search = _Search(target, STACK, DEFAULT_PROJECT)
    search.inv.account, search.inv.partition = ACCOUNT, "aws"
    search.glue(REGION, {})
    [unread] = search.inv.unreadable
    assert unread.startswith(f"s3 GetObject of {USERS}'s Iceberg metadata s3://{GOLD}/{METADATA_KEY} ({REGION}):")
    assert judge_iac(PlanResult(0), STATE, search.inv, PIPELINE).status is Status.ERROR
