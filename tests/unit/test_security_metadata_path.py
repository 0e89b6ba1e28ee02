"""Exit check 6 tries the policies on an Iceberg table's metadata folder wherever ``write.metadata.path`` put it.

The broken stack: Gold users' metadata lives in its own bucket (``write.metadata.path``), and that bucket's
policy lets the analyst read ``*.avro`` ("so the BI tool can plan from the manifests"). Each manifest's
``lower_bounds``/``upper_bounds`` hold ssn values verbatim; the metadata JSON the Glue table points at is
not an avro file, so trying only it (and the table's location) found nothing.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import boto3
from moto import mock_aws

from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import PROBE_KEY, metadata_folder
from lakehouse.checks.security_read import lake_objects, witness_objects

from .test_security import ANALYST, BUCKETS, healthy, tls_only

REGION = "ap-northeast-1"
META = "lh-iceberg-meta-1"
METADATA_JSON = "gold/users/00003-5b1e.metadata.json"
MANIFESTS = ["gold/users/5b1e-m0.avro", "gold/users/snap-8812-1-5b1e.avro"]


def _avro_for_the_analyst(resource: str = f"arn:aws:s3:::{META}/*.avro") -> dict[str, Any]:
    policy = tls_only(META)
    policy["Statement"].append(
        {
            "Sid": "PlanFromManifests",
            "Effect": "Allow",
            "Principal": {"AWS": ANALYST},
            "Action": "s3:GetObject",
            "Resource": resource,
        }
    )
    return policy


def _metadata_elsewhere(objects: dict[str, list[str]], policy: dict[str, Any]) -> Any:
    rb = healthy()
    gold = rb.probes[-1].table
    gold.metadata_location = f"s3://{META}/{METADATA_JSON}"
    rb.lake_buckets[META] = [f"location of {gold.qualified}"]
    rb.lake_objects[META] = objects[META]
    rb.bucket_policies[META] = policy
    return rb


@mock_aws
def test_manifests_beside_a_metadata_file_kept_elsewhere_are_tried_and_fail_the_check() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in (BUCKETS["gold"], META):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=BUCKETS["gold"], Key="users/data/00000.parquet", Body=b"x")
    for key in (METADATA_JSON, *MANIFESTS):
        s3.put_object(Bucket=META, Key=key, Body=b"x")
    rb = healthy()
    gold = rb.probes[-1].table
    gold.metadata_location = f"s3://{META}/{METADATA_JSON}"
    target: Any = SimpleNamespace(client=lambda name: boto3.client(name, region_name=REGION))
    notes: list[str] = []

    objects = lake_objects(target, [gold], {BUCKETS["gold"], META}, notes)

    assert set(objects[META]) == {PROBE_KEY, METADATA_JSON, *MANIFESTS, f"gold/users/{PROBE_KEY}"}, objects
    result = judge_security(_metadata_elsewhere(objects, _avro_for_the_analyst()))
    assert not result.passed
    assert any(
        "lets the analyst role read it directly from S3" in p and f"arn:aws:s3:::{META}/gold/users/5b1e-m0.avro" in p
        for p in result.details["problems"]["bucket_policies"]
    ), result.details["problems"]
    # The same metadata bucket without the share stays green: a metadata path of its own is no hole.
    assert judge_security(_metadata_elsewhere(objects, tls_only(META))).passed


def test_a_policy_opening_only_future_manifests_of_the_metadata_folder_fails_the_check() -> None:
    """No manifest written yet (or none listed): the policy's own pattern gives a key under the metadata folder."""
    objects = {META: [PROBE_KEY, METADATA_JSON]}
    rb = _metadata_elsewhere(objects, _avro_for_the_analyst(f"arn:aws:s3:::{META}/gold/users/*.avro"))
    rb.witness_keys = witness_objects(rb, rb.tables(), {})
    assert rb.witness_keys[META], rb.witness_keys
    assert all(k.startswith("gold/users/") and k.endswith(".avro") for k in rb.witness_keys[META])
    rb.lake_objects[META] = sorted({*rb.lake_objects[META], *rb.witness_keys[META]})
    result = judge_security(rb)
    assert not result.passed and f"bucket {META}" in str(result.reason)


def test_the_metadata_folder_is_the_metadata_files_own() -> None:
    assert metadata_folder("gold/users/metadata/00001-a.metadata.json") == "gold/users/metadata/"
    assert metadata_folder("00001-a.metadata.json") == ""
