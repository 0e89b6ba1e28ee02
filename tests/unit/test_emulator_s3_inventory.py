"""The emulator's S3 Inventory configurations keep ``IncludedObjectVersions`` (moto answers ``All`` for each).

Exit check 6 reads it: a configuration listing current keys only must not be taken to list deleted keys."""

from __future__ import annotations

import boto3
import pytest

from lakehouse.emulator.extensions import s3_inventory


def _config(name: str, versions: str) -> dict[str, object]:
    return {
        "Id": name,
        "IsEnabled": False,
        "IncludedObjectVersions": versions,
        "Schedule": {"Frequency": "Weekly"},
        "Filter": {"Prefix": "users/"},
        "Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::lh-reports-1", "Format": "CSV"}},
    }


@pytest.mark.usefixtures("moto_aws")
def test_inventory_configurations_read_back_as_put() -> None:
    s3_inventory.install()
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="lh-gold-1")
    for name, versions in (("current", "Current"), ("all", "All")):
        s3.put_bucket_inventory_configuration(
            Bucket="lh-gold-1", Id=name, InventoryConfiguration=_config(name, versions)
        )
    listed = s3.list_bucket_inventory_configurations(Bucket="lh-gold-1")["InventoryConfigurationList"]
    assert sorted((c["Id"], c["IncludedObjectVersions"], c["IsEnabled"]) for c in listed) == [
        ("all", "All", False),
        ("current", "Current", False),
    ]
    one = s3.get_bucket_inventory_configuration(Bucket="lh-gold-1", Id="current")["InventoryConfiguration"]
    assert one == _config("current", "Current")
