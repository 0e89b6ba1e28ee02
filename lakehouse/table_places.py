"""Every place a table's settings send its files to, read from Glue and its current Iceberg metadata.

Exit check 2 (``lakehouse.checks.write_paths``: a pipeline table's next files) and exit check 5
(``lakehouse.checks.iac.stray_locations``: data of the stack outside its managed buckets) judge the same settings,
so they are read in one place. What says where files go: Glue's ``StorageDescriptor.Location`` and
``metadata_location`` (the metadata the next commit starts from), and for an Iceberg table its current metadata's
``location`` (new files go under it by default) and the table properties ``write.data.path`` (data files;
``write.object-storage.path`` and ``write.folder-storage.path`` are its older spellings, still honoured) and
``write.metadata.path`` (metadata, manifest lists, manifests). Athena's ALTER TABLE SET TBLPROPERTIES sets
``write.data.path`` and ``write.object-storage.path``
(docs.aws.amazon.com/athena/latest/ug/querying-iceberg-alter-table-set-properties.html); any Iceberg client sets
any. Each one set counts, a spelling a stronger one shadows too: it takes effect the moment that one is unset.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: Iceberg table properties that send new data files elsewhere than ``<location>/data``: the first wins, the
#: last two are the deprecated spellings, still honoured.
DATA_PATH_PROPERTIES = ("write.data.path", "write.object-storage.path", "write.folder-storage.path")
#: The Iceberg table property that sends new metadata files (and manifests) elsewhere than ``<location>/metadata``.
METADATA_PATH_PROPERTY = "write.metadata.path"
#: The Iceberg table properties that say where new files go, in the order Iceberg reads them.
WRITE_PATH_PROPERTIES = (*DATA_PATH_PROPERTIES, METADATA_PATH_PROPERTY)
#: What says where a table's files go, as the places name it.
GLUE_LOCATION = "Glue StorageDescriptor.Location"
GLUE_METADATA = "Glue metadata_location"
ICEBERG_LOCATION = "Iceberg metadata location"


def bucket_key(uri: str) -> tuple[str, str]:
    """(bucket, key) of an ``s3://`` or ``s3a://`` URI; ``ValueError`` for anything else."""
    if not uri.startswith(("s3://", "s3a://")):
        raise ValueError(f"not an S3 location: {uri}")
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    return bucket, key


def read_metadata(s3: Any, location: str, table: str) -> dict[str, Any]:
    """The Iceberg metadata file at ``location`` (of ``table``, named in errors), read from S3.

    Raises ``ValueError`` when it is not a JSON object; botocore's errors pass through.
    """
    bucket, key = bucket_key(location)
    metadata = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    if not isinstance(metadata, dict):
        raise ValueError(f"the Iceberg metadata {location} of {table} is not a JSON object")
    return metadata


def in_bucket(uri: str, bucket: str) -> bool:
    """Whether ``uri`` is an S3 location in ``bucket`` (``s3a://`` names the same objects; a bucket whose name
    merely starts with it is another)."""
    scheme, sep, rest = uri.partition("://")
    return bool(sep) and scheme.lower() in ("s3", "s3a") and rest.split("/", 1)[0] == bucket


def glue_places(table: Mapping[str, Any]) -> dict[str, str]:
    """What a Glue table (GetTable's or GetTables' ``Table``) says: its location and Iceberg metadata file."""
    places: dict[str, str] = {}
    if location := (table.get("StorageDescriptor") or {}).get("Location"):
        places[GLUE_LOCATION] = str(location)
    if metadata_location := (table.get("Parameters") or {}).get("metadata_location"):
        places[GLUE_METADATA] = str(metadata_location)
    return places


def iceberg_places(metadata: Mapping[str, Any]) -> dict[str, str]:
    """What an Iceberg metadata file says: its ``location`` and every write path property set."""
    places = {ICEBERG_LOCATION: str(metadata["location"])} if metadata.get("location") else {}
    properties = metadata.get("properties") or {}
    places.update({k: str(properties[k]) for k in WRITE_PATH_PROPERTIES if properties.get(k)})
    return places


def table_places(s3: Any, table: Mapping[str, Any], name: str) -> dict[str, str]:
    """Every place ``table`` (a Glue table, ``name`` = ``db.table``) sends files to: Glue's, then its current
    Iceberg metadata's read from S3 when it has one.

    Raises ``ValueError`` when the metadata is not a JSON object or not in S3; botocore's errors pass through.
    """
    places = glue_places(table)
    if GLUE_METADATA in places:
        places.update(iceberg_places(read_metadata(s3, places[GLUE_METADATA], name)))
    return places
