"""Glue Data Catalog tag handling that moto 5.2 gets wrong.

Why: ``DeleteDatabase`` leaves the database's tags in the backend's tagger, and the
Resource Groups Tagging API lists every ARN the tagger holds. After ``terraform destroy``
the deleted databases still showed up under the stack's ``stack_id`` tag, so the
harness's "nothing left behind" check would report a leak that AWS would not have; and a
database re-created under the same name inherited the old tags. ``GetTags`` on a
database that does not exist must raise ``EntityNotFoundException``, as Glue does.

``CreateTable`` with ``OpenTableFormatInput.IcebergInput`` (``MetadataOperation: CREATE``, what
Terraform's ``aws_glue_catalog_table`` sends for an Iceberg table) makes Glue write the table's
first Iceberg metadata file at the table's location and point ``metadata_location`` at it;
moto only set ``table_type``, leaving a table no Iceberg reader (Athena, pyiceberg) can open.

``GetTableOptimizer`` (exit check 5 asks it for every optimizer type of every stack table) is not in
moto: a 500. The emulator has no ``CreateTableOptimizer`` either, so no table has an optimizer, and it answers
``EntityNotFoundException``, what Glue answers for a type a table has none of (the provider's
``findTableOptimizer`` reads that error as "none").

State stays on moto's backend model; the wire format is patched on the responses class.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

from moto.core.resource_tagging import TaggedResource
from moto.glue import models as glue_models
from moto.glue.exceptions import DatabaseNotFoundException, EntityNotFoundException, InvalidInputException
from moto.glue.models import GlueBackend
from moto.glue.responses import GlueResponse
from moto.s3.exceptions import MissingBucket
from moto.s3.models import s3_backends
from moto.utilities.utils import get_partition
from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC
from pyiceberg.schema import Schema
from pyiceberg.table.metadata import new_table_metadata
from pyiceberg.table.sorting import UNSORTED_SORT_ORDER
from pyiceberg.types import (
    BinaryType,
    BooleanType,
    DateType,
    DecimalType,
    DoubleType,
    FloatType,
    IcebergType,
    IntegerType,
    LongType,
    NestedField,
    StringType,
    TimestampType,
)

_MARK = "_lakehouse_ext_installed"


def _database_name(arn: str) -> str | None:
    """The database a Glue ``database/<name>`` ARN names, else None."""
    resource = arn.split(":", 5)[-1] if arn.count(":") >= 5 else ""
    kind, _, name = resource.partition("/")
    return name if kind == "database" and name else None


def _database_arn(backend: GlueBackend, database_name: str) -> str:
    """The ARN moto's create_database tags a database under."""
    return backend.default_catalog_arn.removesuffix(":catalog") + f":database/{database_name}"


def _install_model() -> None:
    original_delete = GlueBackend.delete_database
    original_get_tags = GlueBackend.get_tags
    original_iter = GlueBackend.iter_tagged_resources

    def delete_database(self: GlueBackend, database_name: str) -> None:
        original_delete(self, database_name)
        self.tagger.delete_all_tags_for_resource(_database_arn(self, database_name))

    def get_tags(self: GlueBackend, resource_id: str) -> dict[str, str]:
        name = _database_name(resource_id)
        if name is not None and name not in self.databases:
            raise DatabaseNotFoundException(name)
        return original_get_tags(self, resource_id)

    def iter_tagged_resources(self: GlueBackend) -> Iterator[TaggedResource]:
        # Defensive: never list a database ARN whose database is gone.
        for resource in original_iter(self):
            name = _database_name(resource.arn)
            if name is None or name in self.databases:
                yield resource

    GlueBackend.delete_database = delete_database  # type: ignore[method-assign]
    GlueBackend.get_tags = get_tags  # type: ignore[method-assign]
    GlueBackend.iter_tagged_resources = iter_tagged_resources  # type: ignore[method-assign]


# ---------------------------------------------------------------- Iceberg tables created through Glue

#: Glue (Hive) column types an Iceberg table created through Glue can have, as Iceberg types.
_ICEBERG_TYPES: dict[str, IcebergType] = {
    "string": StringType(),
    "varchar": StringType(),
    "int": IntegerType(),
    "integer": IntegerType(),
    "bigint": LongType(),
    "float": FloatType(),
    "double": DoubleType(),
    "boolean": BooleanType(),
    "date": DateType(),
    "timestamp": TimestampType(),
    "binary": BinaryType(),
}
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


def _iceberg_type(table: str, column: dict[str, Any]) -> IcebergType:
    kind = str(column.get("Type", "")).strip().lower()
    if m := _DECIMAL.match(kind):
        return DecimalType(int(m.group(1)), int(m.group(2)))
    if kind not in _ICEBERG_TYPES:
        raise InvalidInputException(
            "CreateTable", f"Column {column.get('Name')} of Iceberg table {table}: unsupported type {kind!r}"
        )
    return _ICEBERG_TYPES[kind]


def _write_iceberg_metadata(backend: GlueBackend, table_name: str, table_input: dict[str, Any], version: str) -> str:
    """Write the new table's first metadata file where Glue would; its S3 URI."""
    storage = table_input.get("StorageDescriptor") or {}
    location = str(storage.get("Location") or "").rstrip("/")
    if not location.startswith("s3://"):
        raise InvalidInputException(
            "CreateTable", f"Iceberg table {table_name} needs an s3:// StorageDescriptor.Location"
        )
    fields = [
        NestedField(i, str(c["Name"]).lower(), _iceberg_type(table_name, c), required=False)
        for i, c in enumerate(storage.get("Columns") or [], start=1)
    ]
    metadata = new_table_metadata(
        Schema(*fields),
        UNPARTITIONED_PARTITION_SPEC,
        UNSORTED_SORT_ORDER,
        location,
        properties={"format-version": version or "2", "write.format.default": "parquet"},
    )
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    key = f"{prefix}/metadata/00000-{uuid.uuid4()}.metadata.json".lstrip("/")
    s3 = s3_backends[backend.account_id][get_partition(backend.region_name)]
    try:
        s3.put_object(bucket, key, metadata.model_dump_json().encode())
    except MissingBucket:
        raise InvalidInputException(
            "CreateTable", f"Iceberg table {table_name}: bucket {bucket} does not exist"
        ) from None
    return f"s3://{bucket}/{key}"


def _install_iceberg_create() -> None:
    original_create = GlueBackend.create_table

    def create_table(
        self: GlueBackend,
        database_name: str,
        table_name: str,
        table_input: dict[str, Any],
        open_table_format_input: dict[str, Any] | None = None,
    ) -> Any:
        iceberg = (open_table_format_input or {}).get("IcebergInput") or {}
        if iceberg.get("MetadataOperation") == "CREATE":
            self.get_database(database_name)  # the missing database is the error, not the metadata
            if table_name in self.databases[database_name].tables:
                return original_create(self, database_name, table_name, table_input, open_table_format_input)
            metadata_location = _write_iceberg_metadata(self, table_name, table_input, str(iceberg.get("Version", "")))
            parameters = table_input.setdefault("Parameters", {})
            parameters.update({"table_type": "ICEBERG", "metadata_location": metadata_location})
        return original_create(self, database_name, table_name, table_input, open_table_format_input)

    GlueBackend.create_table = create_table  # type: ignore[method-assign]


def _install_table_optimizers() -> None:
    def get_table_optimizer(self: GlueResponse) -> str:
        """No table has an optimizer here (CreateTableOptimizer is not emulated): Glue's answer for none."""
        table = f"{self._get_param('DatabaseName')}.{self._get_param('TableName')}"
        raise EntityNotFoundException(f"Table optimizer of type {self._get_param('Type')} not found for {table}")

    GlueResponse.get_table_optimizer = get_table_optimizer  # type: ignore[attr-defined]


def install() -> None:
    """Patch moto's Glue in place; a second call does nothing."""
    if getattr(glue_models, _MARK, False):
        return
    _install_model()
    _install_iceberg_create()
    _install_table_optimizers()
    setattr(glue_models, _MARK, True)
