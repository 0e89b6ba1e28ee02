"""Exit check 6 tries the policies on an Iceberg table's data files wherever its metadata sends them.

The broken stack: Gold users' Iceberg metadata sets ``write.data.path`` to a bucket of its own
(``lh-export-1/users-data``), and that bucket's policy lets the analyst read it ("the BI tool reads
Parquet directly"). Every data file holds ssn in plain Parquet; Glue's Location still names the
Gold bucket, so the check tried only the Gold bucket's keys and passed.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import boto3
from moto import mock_aws

from lakehouse.checks.security import judge_security
from lakehouse.checks.security_read import lake_objects, read_data_paths

from .test_security import ANALYST, BUCKETS, healthy, tls_only

REGION = "ap-northeast-1"
EXPORT = "lh-export-1"
METADATA_JSON = "users/metadata/00003-5b1e.metadata.json"
DATA_FILE = "users-data/00000-0-5b1e.parquet"


def _metadata(properties: dict[str, str]) -> bytes:
    return json.dumps(
        {"format-version": 2, "location": f"s3://{BUCKETS['gold']}/users", "properties": properties}
    ).encode()


def _shared_with_the_analyst() -> dict[str, Any]:
    policy = tls_only(EXPORT)
    policy["Statement"].append(
        {
            "Sid": "BiReadsParquet",
            "Effect": "Allow",
            "Principal": {"AWS": ANALYST},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{EXPORT}/users-data/*",
        }
    )
    return policy


def _judged(properties: dict[str, str]) -> Any:
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in (BUCKETS["gold"], EXPORT):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=BUCKETS["gold"], Key=METADATA_JSON, Body=_metadata(properties))
    s3.put_object(Bucket=EXPORT, Key=DATA_FILE, Body=b"PAR1")
    rb = healthy()
    gold = rb.probes[-1].table
    gold.metadata_location = f"s3://{BUCKETS['gold']}/{METADATA_JSON}"
    target: Any = SimpleNamespace(client=lambda name: boto3.client(name, region_name=REGION))
    errors: list[str] = []
    read_data_paths(target, [gold], errors)
    assert errors == []
    buckets = {BUCKETS["gold"], *(u.split("/")[2] for u in gold.data_locations)}
    rb.lake_objects = lake_objects(target, [gold], buckets, [])
    for bucket in buckets - set(rb.bucket_policies):
        rb.bucket_policies[bucket] = _shared_with_the_analyst()
    return gold, judge_security(rb)


@mock_aws
def test_data_files_a_write_data_path_sends_to_a_bucket_the_analyst_reads_fail_the_check() -> None:
    gold, result = _judged({"write.data.path": f"s3://{EXPORT}/users-data"})
    assert gold.data_locations == [f"s3://{EXPORT}/users-data"]
    assert not result.passed
    assert any(
        "lets the analyst role read it directly from S3" in p and f"arn:aws:s3:::{EXPORT}/{DATA_FILE}" in p
        for p in result.details["problems"]["bucket_policies"]
    ), result.details["problems"]


@mock_aws
def test_data_files_under_the_tables_own_location_add_nothing_and_pass() -> None:
    gold, result = _judged({"write.data.path": f"s3://{BUCKETS['gold']}/users/data"})
    assert gold.data_locations == []
    assert result.passed, result.reason


@mock_aws
def test_unreadable_metadata_leaves_the_check_unable_to_pass() -> None:
    rb = healthy()
    gold = rb.probes[-1].table
    gold.metadata_location = f"s3://{BUCKETS['gold']}/{METADATA_JSON}"  # no such bucket
    target: Any = SimpleNamespace(client=lambda name: boto3.client(name, region_name=REGION))
    errors: list[str] = []
    read_data_paths(target, [gold], errors)
    assert len(errors) == 1 and errors[0].startswith(f"could not read the Iceberg metadata s3://{BUCKETS['gold']}/")
