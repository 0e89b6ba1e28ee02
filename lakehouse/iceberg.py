"""Read an Iceberg table's current snapshot straight from the catalog, as evidence.

The same pyiceberg Glue catalog works on both targets: on ``local`` it is pointed at the
emulator, on ``aws`` it uses the target's credentials. Reading the snapshot independently of
Athena shows the table is a real Iceberg table, not rows the query engine made up.
"""

from __future__ import annotations

from typing import Any

from pyiceberg.catalog.glue import GlueCatalog

from lakehouse.target import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY, Target


def local_catalog(name: str, endpoint: str, region: str, access_key: str, secret_key: str) -> GlueCatalog:
    """pyiceberg's Glue catalog on the emulator: Glue and path-style S3 on one loopback endpoint."""
    return GlueCatalog(
        name,
        **{
            "glue.endpoint": endpoint,
            "s3.endpoint": endpoint,
            "glue.region": region,
            "client.region": region,
            "client.access-key-id": access_key,
            "client.secret-access-key": secret_key,
            "s3.force-virtual-addressing": "false",
        },
    )


def catalog(target: Target) -> GlueCatalog:
    if target.is_local:
        assert target.endpoint_url
        return local_catalog("lakehouse", target.endpoint_url, target.region, LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY)
    props = {"client.region": target.region, "glue.region": target.region}
    if target.profile:
        props["glue.profile-name"] = target.profile
    return GlueCatalog("lakehouse", **props)


def snapshot(target: Target, database: str, table: str) -> dict[str, Any]:
    """The table's current snapshot id, time and summary, and its metadata file."""
    loaded = catalog(target).load_table(f"{database}.{table}")
    current = loaded.current_snapshot()
    out: dict[str, Any] = {
        "table": f"{database}.{table}",
        "format_version": loaded.format_version,
        "metadata_location": loaded.metadata_location,
        "snapshot_count": len(loaded.snapshots()),
    }
    if current is not None:
        out.update(
            snapshot_id=current.snapshot_id,
            timestamp_ms=current.timestamp_ms,
            operation=str(current.summary.operation.value) if current.summary else None,
            summary={k: v for k, v in (current.summary.additional_properties.items() if current.summary else [])},
        )
    return out
