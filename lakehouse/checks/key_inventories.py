"""Exit check 6: S3 Inventory reports of a lake bucket list its key names, hidden values included.

An inventory configuration (``PutBucketInventoryConfiguration``) has S3 write, daily or weekly, a CSV, ORC or
Parquet file naming every key under its filter prefix (every version's key with ``IncludedObjectVersions: All``)
into a destination bucket: the key names of a table partitioned by ``ssn`` land in a file that whoever may read that
folder reads, with no ``s3:ListBucket`` on the lake at all. A configuration matters when a key it lists shows a
hidden value (``key_names``): its reports folder (``<prefix>/<source bucket>/<configuration id>/``) then holds ssn
and becomes a lake location, judged as every other one (IAM and bucket policy reads, access points, ACLs, other
accounts). One delivering to a bucket of another account is out of this account's sight and fails as such. A
disabled configuration writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lakehouse.checks.key_names import BucketKeys


@dataclass(frozen=True)
class Delivery:
    """An enabled inventory configuration of a lake bucket listing keys that show hidden values, and where to."""

    source: str
    config: str
    #: The destination bucket, and the account its configuration names (None: it names none).
    bucket: str
    account: str | None
    #: Where S3 writes the reports (``data/`` under it holds the lists of keys).
    folder: str
    #: A listed key, masked, for the reason.
    shown: str
    #: What delivers (an S3 Storage Lens configuration delivers too: ``key_lenses``), and what it delivers.
    kind: str = "S3 Inventory configuration"
    gives: str = "a list of its keys"

    def describe(self) -> str:
        of = "of" if self.kind.startswith("S3 Inventory") else "covering"
        return f"{self.kind} {self.config} {of} lake bucket {self.source}"

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__}


def read_inventories(s3: Any, bucket: str) -> list[dict[str, Any]]:
    """Every inventory configuration of ``bucket`` (ListBucketInventoryConfigurations, every page)."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"Bucket": bucket}
    while True:
        page = s3.list_bucket_inventory_configurations(**params)
        found += page.get("InventoryConfigurationList") or []
        if not page.get("IsTruncated") or not page.get("NextContinuationToken"):
            return found
        params["ContinuationToken"] = page["NextContinuationToken"]


def deliveries(configs: Sequence[Mapping[str, Any]], keys: BucketKeys) -> list[Delivery]:
    """The enabled configurations among ``configs`` (of ``keys.bucket``) whose reports list a key showing a value."""
    found: list[Delivery] = []
    for config in configs:
        if not config.get("IsEnabled"):
            continue
        prefix = str((config.get("Filter") or {}).get("Prefix") or "")
        versions = config.get("IncludedObjectVersions") == "All"
        listed = [k for k in keys.leaky if k.key.startswith(prefix) and (k.current or versions)]
        if not listed:
            continue
        destination = (config.get("Destination") or {}).get("S3BucketDestination") or {}
        bucket = str(destination.get("Bucket") or "").rsplit(":", 1)[-1]
        name = str(config.get("Id") or "")
        folder = "/".join(p for p in (str(destination.get("Prefix") or "").strip("/"), keys.bucket, name) if p)
        account = destination.get("AccountId")
        found.append(
            Delivery(keys.bucket, name, bucket, str(account) if account else None, folder + "/", listed[0].shown)
        )
    return found


def report_locations(found: Mapping[str, Sequence[Delivery]], account_id: str) -> dict[str, str]:
    """How each delivery into this account is named -> its reports folder and the data folder under it
    (``s3://`` URIs): lake locations from now on."""
    locations: dict[str, str] = {}
    for delivery in (d for ds in found.values() for d in ds if d.account in (None, account_id)):
        uri = f"s3://{delivery.bucket}/{delivery.folder}"
        locations[f"reports of {delivery.describe()}"] = uri
        if delivery.kind == Delivery.kind:  # an inventory's lists of keys lie in data/ under it
            locations[f"report data of {delivery.describe()}"] = uri + "data/"
    return locations


def delivery_problems(found: Mapping[str, Sequence[Delivery]], account_id: str) -> list[str]:
    """Deliveries of key names showing hidden values to a bucket of another account (who reads it is not known)."""
    return [
        f"{d.describe()} delivers {d.gives}, s3://{d.source}/{d.shown} among them (a hidden value in its "
        f"name), to bucket {d.bucket} of account {d.account}, outside account {account_id}"
        for ds in found.values()
        for d in ds
        if d.account not in (None, account_id)
    ]
