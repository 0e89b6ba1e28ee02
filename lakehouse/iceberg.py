"""Read an Iceberg table's current snapshot straight from the catalog, as evidence.

The same pyiceberg Glue catalog works on both targets: on ``local`` it is pointed at the
emulator, on ``aws`` it uses the target's credentials. Reading the snapshot independently of
Athena shows the table is a real Iceberg table, not rows the query engine made up.
"""

from __future__ import annotations

from typing import Any

from pyiceberg.catalog import BOTOCORE_SESSION
from pyiceberg.catalog.glue import GlueCatalog

from lakehouse.awssession import botocore_session
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
            BOTOCORE_SESSION: botocore_session(),  # its Glue client without parsing Glue's model again
        },
    )


def catalog(target: Target) -> GlueCatalog:
    if target.is_local:
        assert target.endpoint_url
        return local_catalog("lakehouse", target.endpoint_url, target.region, LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY)
    props: dict[str, Any] = {
        "client.region": target.region,
        "glue.region": target.region,
        BOTOCORE_SESSION: botocore_session(target.profile),
    }
    if target.profile:
        props["glue.profile-name"] = target.profile
    # pyiceberg reads table metadata with Arrow's S3 file system, which knows neither --aws-profile
    # nor the endpoint settings botocore reads (AWS_ENDPOINT_URL, the profile's): give it the
    # credentials and the endpoint the target's own session resolves.
    creds = target.session().get_credentials()
    if creds is not None:
        frozen = creds.get_frozen_credentials()
        props.update({"client.access-key-id": frozen.access_key, "client.secret-access-key": frozen.secret_key})
        if frozen.token:
            props["client.session-token"] = frozen.token
    if s3 := target.configured_endpoint("s3"):
        props.update({"s3.endpoint": s3, "s3.force-virtual-addressing": "false"})
    if glue := target.configured_endpoint("glue"):
        props["glue.endpoint"] = glue
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
