"""Exit check 6 judges S3 Storage Lens: its prefix metrics name a lake bucket's folders, the values in them included.

The broken stack: Gold holds a table partitioned by ``ssn`` and a Storage Lens configuration with prefix-level
metrics (deep enough to reach ``ssn=.../``) or an expanded prefixes report exports to a folder the analyst reads
(its own results folder), to a bucket whose policy lets the analyst read, or to another account. No listing of Gold
is allowed, so main's check passed. The healthy twins: no prefix metrics, too shallow a depth, Gold left out
(Include/Exclude), the configuration disabled, or an export to a bucket only the pipeline reads.
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
from lakehouse.checks.key_lenses import prefix_shows
from lakehouse.checks.key_names import leaky_key, read_key_names
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback
from lakehouse.checks.security_read import read_inventory_reports

from .test_security import ACCOUNT, ANALYST, BUCKETS, OTHER, healthy, tls_only

REGION = "us-east-1"
VALUES = HiddenValues(["123-45-6789", "987-65-4321"])
GOLD, RESULTS, REPORTS = BUCKETS["gold"], BUCKETS["results"], "lh-lens-exports-1"
PARTITIONED = ["users/data/00000-0-5b1e.parquet", "users_by_ssn/data/ssn=123-45-6789/00000-0-77aa.parquet"]


def _destination(bucket: str = RESULTS, prefix: str = "analyst/lens", account: str = ACCOUNT) -> dict[str, Any]:
    where = {"Format": "CSV", "OutputSchemaVersion": "V_1", "AccountId": account, "Arn": f"arn:aws:s3:::{bucket}"}
    return where | ({"Prefix": prefix} if prefix else {})


def _lens(depth: int | None = 3, expanded: bool = False, **more: Any) -> dict[str, Any]:
    """A Storage Lens configuration (id ``lens``) with prefix metrics ``depth`` deep (None: none), exporting to the
    analyst's results folder (its expanded prefixes report too with ``expanded``)."""
    bucket_level: dict[str, Any] = {}
    if depth is not None:
        criteria = {"Delimiter": "/", "MaxDepth": depth, "MinStorageBytesPercentage": 1.0}
        bucket_level["PrefixLevel"] = {"StorageMetrics": {"IsEnabled": True, "SelectionCriteria": criteria}}
    config: dict[str, Any] = {
        "Id": "lens",
        "AccountLevel": {"BucketLevel": bucket_level},
        "DataExport": {"S3BucketDestination": _destination()},
        "IsEnabled": True,
    }
    if expanded:
        config["ExpandedPrefixesDataExport"] = {"S3BucketDestination": _destination(REPORTS, "")}
    return config | more


def _read(config: dict[str, Any] | None, reports_policy: Any = None) -> SecurityReadback:
    """The healthy readback, with Gold, the results bucket and an exports bucket really made in moto (which keeps
    Storage Lens configurations) and read back."""
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in (GOLD, RESULTS, REPORTS):
        s3.create_bucket(Bucket=bucket)
    for key in PARTITIONED:
        s3.put_object(Bucket=GOLD, Key=key, Body=b"x")
    if reports_policy is not None:
        s3.put_bucket_policy(Bucket=REPORTS, Policy=json.dumps(reports_policy))
    if config is not None:
        boto3.client("s3control", region_name=REGION).put_storage_lens_configuration(
            ConfigId=config["Id"], AccountId=ACCOUNT, StorageLensConfiguration=config
        )
    rb = healthy()
    rb.listed_keys = {b: read_key_names(s3, b, VALUES) for b in BUCKETS.values()}
    target: Any = SimpleNamespace(
        client=lambda name, region=None: boto3.client(name, region_name=region or REGION),
        is_local=False,
        configured_endpoint=lambda name: None,
    )
    read_inventory_reports(target, rb, VALUES, rb.read_errors)
    return rb


def _reports_readable() -> dict[str, Any]:
    policy = tls_only(REPORTS)
    policy["Statement"].append(
        {
            "Sid": "AnalystsReadExports",
            "Effect": "Allow",
            "Principal": {"AWS": ANALYST},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{REPORTS}/*",
        }
    )
    return policy


# -- the broken stacks ---------------------------------------------------------------------------------


@mock_aws
def test_prefix_metrics_exported_where_the_analyst_reads_fail() -> None:
    rb = _read(_lens())
    folder = f"s3://{RESULTS}/analyst/lens/StorageLens/{ACCOUNT}/lens/"
    assert (
        f"reports of S3 Storage Lens configuration lens covering lake bucket {GOLD} ({folder})"
        in (rb.lake_buckets[RESULTS])
    )
    result = judge_security(rb)
    assert not result.passed
    problems = result.details["problems"]["iam"]
    assert any(f"{RESULTS}/analyst/lens/StorageLens/{ACCOUNT}/lens/" in p for p in problems), problems
    assert "123-45-6789" not in json.dumps(result.details, default=str) + str(result.reason)


@mock_aws
def test_an_expanded_prefixes_report_to_a_bucket_the_analyst_reads_fails() -> None:
    rb = _read(_lens(depth=None, expanded=True), reports_policy=_reports_readable())
    problems = judge_security(rb).details["problems"]["bucket_policies"]
    assert any(f"statement AnalystsReadExports of the bucket policy of {REPORTS}" in p for p in problems), problems


@mock_aws
def test_prefix_metrics_exported_to_another_account_fail() -> None:
    rb = _read(_lens(DataExport={"S3BucketDestination": _destination(REPORTS, "lens", OTHER)}))
    assert REPORTS not in rb.lake_buckets
    problems = judge_security(rb).details["problems"]["key_names"]
    assert problems == [
        f"S3 Storage Lens configuration lens covering lake bucket {GOLD} delivers its prefix metrics (metrics export) "
        "naming its folders (if it holds 1.0% of the bucket's bytes or more: sizes not weighed), "
        f"s3://{GOLD}/users_by_ssn/data/<hidden value>/00000-0-77aa.parquet among them (a hidden value in its name), "
        f"to bucket {REPORTS} of account {OTHER}, outside account {ACCOUNT}"
    ], problems


@mock_aws
def test_unreadable_storage_lens_configurations_are_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any) -> list[dict[str, Any]]:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ListStorageLensConfigurations")

    monkeypatch.setattr(security_read, "read_lenses", refuse)
    result = judge_security(_read(None))
    assert result.status.value == "error" and "S3 Storage Lens configurations" in str(result.reason)


# -- the healthy twins ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        _lens(depth=None),  # no prefix metrics: buckets and the account only
        _lens(depth=2),  # users_by_ssn/data/ at most: the ssn= folder is level 3
        _lens(Include={"Buckets": [f"arn:aws:s3:::{BUCKETS['silver']}"]}),
        _lens(Exclude={"Buckets": [f"arn:aws:s3:::{GOLD}"]}),
        _lens(IsEnabled=False),
        _lens(DataExport={"S3BucketDestination": _destination(REPORTS, "lens")}),  # only the pipeline reads it
    ],
    ids=["no-prefixes", "shallow", "include-silver", "exclude-gold", "disabled", "pipeline-bucket"],
)
@mock_aws
def test_storage_lens_that_shows_no_value_to_the_analyst_passes(config: dict[str, Any]) -> None:
    result = judge_security(_read(config))
    assert result.passed, result.reason


def test_a_prefix_shows_a_value_only_when_deep_enough_and_not_the_object_itself() -> None:
    folder = leaky_key("users_by_ssn/data/ssn=123-45-6789/part-0.parquet", VALUES)
    named = leaky_key("exports/123-45-6789.csv", VALUES)
    assert folder is not None and named is not None
    assert prefix_shows(folder, "/", 3) and not prefix_shows(folder, "/", 2)
    assert not prefix_shows(named, "/", 10)  # the value is in the object's name: no prefix row holds it
    assert prefix_shows(
        folder, "=", 1
    )  # cut inside the segment showing it: counted, as key_names counts a listing prefix
