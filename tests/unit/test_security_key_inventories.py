"""Exit check 6 judges S3 Inventory: a report lists a lake bucket's keys, the values in their names included.

The broken stack: Gold holds a table partitioned by ``ssn`` and an inventory configuration delivers its key list to a
folder the analyst reads (its own results folder), to a bucket whose policy lets the analyst read, or to another
account. No listing of Gold is allowed, so main's check passed. The healthy twins: the configuration lists only
clean keys (a filter prefix), is disabled, lists current keys while only deleted ones show values, or delivers to a
folder the analyst may not read.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from lakehouse.checks import security_read
from lakehouse.checks.hidden_values import HiddenValues
from lakehouse.checks.key_names import read_key_names
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback
from lakehouse.checks.security_read import read_inventory_reports
from lakehouse.emulator.extensions import s3_inventory

from .test_security import ACCOUNT, ANALYST, BUCKETS, OTHER, healthy, tls_only

REGION = "us-east-1"
VALUES = HiddenValues(["123-45-6789", "987-65-4321"])
GOLD, RESULTS, REPORTS = BUCKETS["gold"], BUCKETS["results"], "lh-inventory-reports-1"
PARTITIONED = ["users/data/00000-0-5b1e.parquet", "users_by_ssn/data/ssn=123-45-6789/00000-0-77aa.parquet"]


def _config(destination: str = RESULTS, prefix: str = "analyst/inventory", **more: Any) -> dict[str, Any]:
    """An inventory configuration of Gold (id ``keys``) delivering to ``destination`` under ``prefix``."""
    where: dict[str, Any] = {"Bucket": f"arn:aws:s3:::{destination}", "Format": "CSV"}
    if prefix:
        where["Prefix"] = prefix
    return {
        "Id": "keys",
        "IsEnabled": True,
        "IncludedObjectVersions": "Current",
        "Schedule": {"Frequency": "Daily"},
        "Destination": {"S3BucketDestination": where},
        **more,
    }


def _destination(config: dict[str, Any], **more: Any) -> dict[str, Any]:
    config["Destination"]["S3BucketDestination"].update(more)
    return config


def _read(config: dict[str, Any] | None, deleted: bool = False, reports_policy: Any = None) -> SecurityReadback:
    """The healthy readback, with Gold, the results bucket and a reports bucket really made in moto (as the emulator
    extends it: ``s3_inventory``) and read back."""
    s3_inventory.install()
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in (GOLD, RESULTS, REPORTS):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=GOLD, VersioningConfiguration={"Status": "Enabled"})
    for key in PARTITIONED:
        s3.put_object(Bucket=GOLD, Key=key, Body=b"x")
    if deleted:
        s3.delete_object(Bucket=GOLD, Key=PARTITIONED[1])
    if reports_policy is not None:
        s3.put_bucket_policy(Bucket=REPORTS, Policy=json.dumps(reports_policy))
    if config is not None:
        s3.put_bucket_inventory_configuration(Bucket=GOLD, Id=config["Id"], InventoryConfiguration=config)
    rb = healthy()
    rb.listed_keys = {b: read_key_names(s3, b, VALUES) for b in BUCKETS.values()}
    target: Any = SimpleNamespace(
        client=lambda name, region=None: boto3.client(name, region_name=region or REGION),
        is_local=False,
        configured_endpoint=lambda name: None,
    )
    read_inventory_reports(target, rb, VALUES, rb.read_errors)
    return rb


def _text(rb: SecurityReadback) -> str:
    result = judge_security(rb)
    return json.dumps(result.details, default=str) + str(result.reason)


# -- the broken stacks ---------------------------------------------------------------------------------


@mock_aws
def test_an_inventory_delivered_where_the_analyst_reads_fails() -> None:
    rb = _read(_config())
    assert f"reports of S3 Inventory configuration keys of lake bucket {GOLD} (s3://{RESULTS}/analyst/inventory/" in (
        " ".join(rb.lake_buckets[RESULTS])
    )
    result = judge_security(rb)
    assert not result.passed
    problems = result.details["problems"]["iam"]
    assert any(
        "statement ReadWriteQueryResults" in p and f"{RESULTS}/analyst/inventory/{GOLD}/keys/" in p for p in problems
    ), problems
    assert "123-45-6789" not in _text(rb)


@mock_aws
def test_an_inventory_of_every_version_lists_deleted_keys_too() -> None:
    rb = _read(_config(IncludedObjectVersions="All"), deleted=True)
    assert not judge_security(rb).passed


@mock_aws
def test_an_inventory_delivered_to_a_bucket_whose_policy_lets_the_analyst_read_fails() -> None:
    policy = tls_only(REPORTS)
    policy["Statement"].append(
        {
            "Sid": "AnalystsReadReports",
            "Effect": "Allow",
            "Principal": {"AWS": ANALYST},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{REPORTS}/*",
        }
    )
    rb = _read(_config(REPORTS, prefix=""), reports_policy=policy)
    problems = judge_security(rb).details["problems"]["bucket_policies"]
    assert any(f"statement AnalystsReadReports of the bucket policy of {REPORTS}" in p for p in problems), problems
    assert (
        f"reports of S3 Inventory configuration keys of lake bucket {GOLD} (s3://{REPORTS}/{GOLD}/keys/)"
        in (rb.lake_buckets[REPORTS])
    )


@mock_aws
def test_an_inventory_delivered_to_another_account_fails() -> None:
    rb = _read(_destination(_config(REPORTS), AccountId=OTHER))
    assert REPORTS not in rb.lake_buckets  # not this account's: not read, judged as a delivery out
    problems = judge_security(rb).details["problems"]["key_names"]
    assert problems == [
        f"S3 Inventory configuration keys of lake bucket {GOLD} delivers a list of its keys, s3://{GOLD}/"
        "users_by_ssn/data/<hidden value>/00000-0-77aa.parquet among them (a hidden value in its name), to bucket "
        f"{REPORTS} of account {OTHER}, outside account {ACCOUNT}"
    ], problems


@mock_aws
def test_unreadable_inventory_configurations_are_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(s3: Any, bucket: str) -> list[dict[str, Any]]:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListBucketInventoryConfigurations")

    monkeypatch.setattr(security_read, "read_inventories", refuse)
    rb = _read(None)
    assert judge_security(rb).status.value == "error"
    assert f"the S3 Inventory configurations of {GOLD}" in str(judge_security(rb).reason)


# -- the healthy twins ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "deleted"),
    [
        (None, False),
        (_config(Filter={"Prefix": "users/"}), False),  # lists only the clean table's keys
        (_config(IsEnabled=False), False),
        (_config(), True),  # current keys only; the ssn key is deleted
        (_config(prefix="inventory"), False),  # the results bucket, outside the analyst's folder
        (_destination(_config(REPORTS), AccountId=ACCOUNT), False),  # its own account, nobody else reads
    ],
    ids=["none", "clean-prefix", "disabled", "current-only", "elsewhere", "own-account"],
)
@mock_aws
def test_an_inventory_the_analyst_cannot_read_values_in_passes(config: dict[str, Any] | None, deleted: bool) -> None:
    rb = _read(config, deleted=deleted)
    result = judge_security(rb)
    assert result.passed, result.reason
