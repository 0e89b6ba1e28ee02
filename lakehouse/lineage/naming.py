"""Dataset identities per the OpenLineage naming spec, so our lineage joins up with anyone else's.

Catalog tables are Athena datasets (``awsathena://athena.{region}.amazonaws.com``,
``{catalog}.{database}.{table}``), S3 locations are ``s3://{bucket}`` + key prefix, local
files ``file`` + absolute path. openlineage-python's ``naming`` classes do the formatting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openlineage.client.naming.dataset import S3, Athena, LocalFileSystem

#: Athena's default catalog: the Glue Data Catalog of the account.
CATALOG = "awsdatacatalog"


@dataclass(frozen=True, order=True)
class DatasetRef:
    """One dataset: its OpenLineage namespace and name (also Marquez's dataset id)."""

    namespace: str
    name: str

    @property
    def node_id(self) -> str:
        """Marquez's lineage node id (``dataset:<ns>:<name>``)."""
        return f"dataset:{self.namespace}:{self.name}"

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if "://" in self.namespace else f"{self.namespace}:{self.name}"


def athena_table(region: str, database: str, table: str, catalog: str = CATALOG) -> DatasetRef:
    naming = Athena(region_name=region, catalog=catalog.lower(), database=database.lower(), table=table.lower())
    return DatasetRef(naming.get_namespace(), naming.get_name())


def s3_location(uri: str) -> DatasetRef:
    """``s3://bucket/raw/users/`` -> namespace ``s3://bucket``, name ``raw/users`` (a folder is the dataset)."""
    if not uri.startswith("s3://"):
        raise ValueError(f"{uri!r} is not an s3:// URI")
    bucket, _, key = uri[len("s3://") :].partition("/")
    key = key.strip("/") or "/"
    naming = S3(bucket_name=bucket, object_key=key)
    return DatasetRef(naming.get_namespace(), naming.get_name())


def local_file(path: Path) -> DatasetRef:
    naming = LocalFileSystem(path=str(path.resolve()))
    return DatasetRef(naming.get_namespace(), naming.get_name())
