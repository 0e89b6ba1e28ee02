"""Where a pipeline table writes next, read from Glue and its Iceberg metadata (moto), judged against its layer's
bucket (``lakehouse/checks/write_paths.py``; tests/emulator/test_write_paths.py sets the properties through Athena
on a real pipeline's tables)."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from lakehouse.checks.write_paths import check_write_paths
from lakehouse.outcome import Status

REGION = "us-east-1"
GOLD, SILVER = "lh-abc-gold", "lh-abc-silver"


def _table(name: str, location: str, metadata: dict[str, Any] | None) -> tuple[Any, Any]:
    """A Glue table ``lh_gold.<name>`` at ``location``, Iceberg with ``metadata`` when given (moto)."""
    glue, s3 = boto3.client("glue", region_name=REGION), boto3.client("s3", region_name=REGION)
    for bucket in (GOLD, SILVER):
        if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
            s3.create_bucket(Bucket=bucket)
    if "lh_gold" not in [d["Name"] for d in glue.get_databases()["DatabaseList"]]:
        glue.create_database(DatabaseInput={"Name": "lh_gold"})
    parameters = {}
    if metadata is not None:
        key = f"{name}/metadata/00001.metadata.json"
        s3.put_object(Bucket=GOLD, Key=key, Body=json.dumps(metadata).encode())
        parameters = {"table_type": "ICEBERG", "metadata_location": f"s3://{GOLD}/{key}"}
    glue.create_table(
        DatabaseName="lh_gold",
        TableInput={"Name": name, "Parameters": parameters, "StorageDescriptor": {"Location": location}},
    )
    return glue, s3


def _metadata(location: str, **properties: str) -> dict[str, Any]:
    return {"format-version": 2, "location": location, "properties": properties}


@pytest.mark.usefixtures("moto_aws")
def test_a_table_writing_in_its_layer_s_bucket_passes() -> None:
    glue, s3 = _table("users", f"s3://{GOLD}/users/", _metadata(f"s3://{GOLD}/users", **{"write.format.default": "x"}))
    outcome = check_write_paths(glue, s3, {"lh_gold.users": ("gold", GOLD)})
    assert outcome.passed, outcome.reason
    assert (
        outcome.details["pipeline_table_writes"]["lh_gold.users"]["Iceberg metadata location"] == f"s3://{GOLD}/users"
    )


@pytest.mark.usefixtures("moto_aws")
@pytest.mark.parametrize(
    ("what", "uri"),
    [
        ("write.data.path", "s3://someone-elses-bucket/users/data"),
        ("write.object-storage.path", f"s3://{SILVER}/users"),  # the stack's, but not the layer's
        ("write.folder-storage.path", f"s3a://{GOLD}-copy/users"),  # a name starting with the bucket's
        ("write.metadata.path", "gs://elsewhere/users/metadata"),
    ],
)
def test_a_write_path_outside_the_layer_s_bucket_fails_naming_table_property_and_location(what: str, uri: str) -> None:
    glue, s3 = _table("users", f"s3://{GOLD}/users/", _metadata(f"s3://{GOLD}/users", **{what: uri}))
    outcome = check_write_paths(glue, s3, {"lh_gold.users": ("gold", GOLD)})
    assert outcome.status is Status.FAILED, outcome.reason
    assert f"lh_gold.users {what} {uri} (not in the Gold bucket {GOLD})" in str(outcome.reason), outcome.reason
    assert outcome.measured == ["lh_gold.users"]


@pytest.mark.usefixtures("moto_aws")
def test_glue_s_location_and_the_metadata_s_location_are_judged_too() -> None:
    glue, s3 = _table("users", "s3://other-stack-gold/users/", _metadata("s3://other-stack-gold/users"))
    _table("orders", f"s3://{GOLD}/orders/", None)  # a Hive table: Glue's Location only
    outcome = check_write_paths(glue, s3, {"lh_gold.users": ("gold", GOLD), "lh_gold.orders": ("gold", GOLD)})
    assert outcome.status is Status.FAILED
    reason = str(outcome.reason)
    assert "lh_gold.users Glue StorageDescriptor.Location s3://other-stack-gold/users/" in reason, reason
    assert "lh_gold.users Iceberg metadata location s3://other-stack-gold/users" in reason, reason
    assert outcome.measured == ["lh_gold.users"]


@pytest.mark.usefixtures("moto_aws")
def test_a_table_that_cannot_be_read_is_error_unless_another_fails() -> None:
    glue, s3 = _table("users", f"s3://{GOLD}/users/", _metadata(f"s3://{GOLD}/users"))
    unread = check_write_paths(glue, s3, {"lh_gold.users": ("gold", GOLD), "lh_gold.gone": ("gold", GOLD)})
    assert unread.status is Status.ERROR
    assert "cannot tell where lh_gold.gone writes its next files" in str(unread.reason)

    _table("orders", f"s3://{GOLD}/orders/", _metadata(f"s3://{GOLD}/orders", **{"write.data.path": "s3://x/o"}))
    failed = check_write_paths(glue, s3, {"lh_gold.gone": ("gold", GOLD), "lh_gold.orders": ("gold", GOLD)})
    assert failed.status is Status.FAILED
    assert "lh_gold.orders write.data.path s3://x/o" in str(failed.reason)
    assert "cannot tell where lh_gold.gone" in str(failed.reason)
