"""S3 Inventory configurations read back as they were put: ``IncludedObjectVersions`` kept.

moto 5.2 stores an inventory configuration without its ``IncludedObjectVersions`` and answers ``All`` for every
configuration (GetBucketInventoryConfiguration, ListBucketInventoryConfigurations). Exit check 6 reads it: a
configuration listing current keys only does not list a deleted key whose name shows ssn, so moto's answer turned
a healthy stack red. Here the value sent is kept on the stored configuration and answered (``All`` when a
configuration was stored without one, as before).
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import ensure_boolean
from moto.s3.models import S3Backend
from moto.s3.responses import S3Response

_MARK = "_lakehouse_inventory_versions"
_ATTRIBUTE = "included_object_versions"


def _config(inventory: Any) -> dict[str, Any]:
    """One stored configuration as S3 answers it (moto's own fields, the kept IncludedObjectVersions)."""
    config: dict[str, Any] = {
        "Destination": inventory.destination,
        "IsEnabled": ensure_boolean(inventory.is_enabled),
        "Id": inventory.id,
        "IncludedObjectVersions": getattr(inventory, _ATTRIBUTE, "All"),
        "Schedule": inventory.schedule,
    }
    if inventory.filters:
        config["Filter"] = inventory.filters
    if inventory.optional_fields:
        fields = inventory.optional_fields
        config["OptionalFields"] = fields.get("Field", []) if isinstance(fields, dict) else fields
    return config


def install() -> None:
    """Patch moto's inventory put, get and list; a second call does nothing."""
    if getattr(S3Backend, _MARK, False):
        return
    put = S3Backend.put_bucket_inventory_configuration

    def put_keeping_versions(self: S3Backend, bucket_name: str, inventory_configuration: dict[str, Any]) -> Any:
        put(self, bucket_name, inventory_configuration)
        stored = self.get_bucket(bucket_name).inventory_configs[inventory_configuration["Id"]]
        setattr(stored, _ATTRIBUTE, str(inventory_configuration.get("IncludedObjectVersions") or "All"))

    def get_bucket_inventory_configuration(self: S3Response) -> Any:
        stored = self.backend.get_bucket_inventory_configuration(
            bucket_name=self.bucket_name, id=self.querystring["id"][0]
        )
        self.data["Action"] = "GetBucketInventoryConfiguration"
        return self.serialized(ActionResult({"InventoryConfiguration": _config(stored)}))

    def list_bucket_inventory_configurations(self: S3Response) -> Any:
        stored = self.backend.list_bucket_inventory_configurations(bucket_name=self.bucket_name)
        self.data["Action"] = "ListBucketInventoryConfigurations"
        result = {"InventoryConfigurationList": [_config(c) for c in stored], "IsTruncated": False}
        return self.serialized(ActionResult(result))

    S3Backend.put_bucket_inventory_configuration = put_keeping_versions  # type: ignore[method-assign]
    S3Response.get_bucket_inventory_configuration = get_bucket_inventory_configuration  # type: ignore[method-assign]
    S3Response.list_bucket_inventory_configurations = list_bucket_inventory_configurations  # type: ignore[method-assign]
    setattr(S3Backend, _MARK, True)
