"""The tables behind the names: Glue for metadata, pyiceberg for Iceberg, S3 objects for CSV.

Writes go through the emulator's own HTTP endpoint, like any client: a table the engine creates is
a real Glue table with a real Iceberg ``metadata_location``, readable by pyiceberg, DuckDB's
iceberg_scan or Athena alike. The engine runs inside the emulator, so on the hot read path (a
table's Glue entry, the query result file, and whether a cached read is still current) it asks
moto's Glue and S3 state directly, as the account, instead of a round trip to itself: the same
state, answered by the same backend functions the HTTP operations call.

Iceberg reads are cached exactly (``scancache``): metadata by metadata location, a snapshot's rows
by (metadata location, snapshot), each checked against the S3 objects it was read from.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.csv as pacsv
from botocore.config import Config
from moto.glue.exceptions import EntityNotFoundException
from moto.glue.models import glue_backends
from moto.s3.exceptions import MissingBucket
from moto.s3.models import FakeKey, s3_backends
from moto.utilities.utils import get_partition
from pyiceberg.io import load_file_io
from pyiceberg.io.pyarrow import ArrowScan, schema_to_pyarrow
from pyiceberg.schema import Schema
from pyiceberg.serializers import FromInputFile
from pyiceberg.table import FileScanTask
from pyiceberg.table import Table as IcebergTable
from pyiceberg.transforms import (
    BucketTransform,
    DayTransform,
    HourTransform,
    IdentityTransform,
    MonthTransform,
    Transform,
    TruncateTransform,
    YearTransform,
)

from lakehouse.emulator.sql import motofs
from lakehouse.emulator.sql.errors import SYSTEM, AthenaError
from lakehouse.emulator.sql.scancache import ExactCache, Sources, cache_bytes
from lakehouse.iceberg import local_catalog

OPEN_CSV_SERDE = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
LAZY_SIMPLE_SERDE = "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"
PATH_COLUMN = "$path"
#: Glue's TableType of a view, and how Athena wraps a Presto view's JSON in ``ViewOriginalText``.
VIEW_TYPE = "VIRTUAL_VIEW"
PRESTO_VIEW_PREFIX = "/* Presto View: "
PRESTO_VIEW_SUFFIX = " */"
#: Presto type -> the Hive name Athena writes into a view's StorageDescriptor columns.
_HIVE_OF_PRESTO = {"varchar": "string", "integer": "int"}
#: Rows per batch of a Parquet read (pyarrow's dataset scanner, which pyiceberg reads with).
READ_BATCH_ROWS = 131_072


@dataclass
class TableInfo:
    """A catalog table as the engine needs to know it."""

    database: str
    name: str
    kind: str  # "iceberg", "hive" or "view" (a Presto view: Glue's VIRTUAL_VIEW)
    location: str
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, hive type) of hive tables
    parameters: dict[str, str] = field(default_factory=dict)
    serde: dict[str, str] = field(default_factory=dict)
    view: dict[str, Any] = field(default_factory=dict)  # a view's Presto body: originalSql, schema, columns

    @property
    def qualified(self) -> str:
        return f"{self.database}.{self.name}"


@dataclass
class Scan:
    """A table's rows as Arrow, with what reading them cost."""

    table: pa.Table
    scanned_bytes: int
    snapshot_id: int | None = None


class LakeCatalog:
    """Glue + S3 + pyiceberg of one account and region, inside the emulator serving ``endpoint``."""

    def __init__(
        self,
        endpoint: str,
        region: str,
        access_key: str = "test",
        secret_key: str = "test",
        account_id: str = "123456789012",
    ) -> None:
        session = boto3.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region)
        cfg = Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"})
        self.glue = session.client("glue", endpoint_url=endpoint, config=cfg)
        self.s3 = session.client("s3", endpoint_url=endpoint, config=cfg)
        self.iceberg = local_catalog("awsdatacatalog", endpoint, region, access_key, secret_key)
        # Table files straight from the emulator's S3 state (``motofs``); Glue stays on the endpoint.
        self.iceberg.properties.update(motofs.properties(account_id, region))
        self.account_id = account_id
        self.region = region
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.tables_cache: ExactCache[IcebergTable] = ExactCache(max_entries=256)
        self.scans_cache: ExactCache[Scan] = ExactCache(max_entries=256, max_size=cache_bytes())

    # -- moto's own state (the engine runs in the emulator's process) -------------------------

    def s3_object(self, uri: str) -> object | None:
        """The record S3 holds under ``uri`` now (moto's key object), None when there is none."""
        if not uri.startswith("s3://"):
            return None
        bucket_name, _, key = uri[len("s3://") :].partition("/")
        bucket = s3_backends[self.account_id][get_partition(self.region)].buckets.get(bucket_name)
        found = bucket.keys.get(key) if bucket is not None else None
        return found if isinstance(found, FakeKey) else None

    # -- names ------------------------------------------------------------------------------

    def database_exists(self, database: str) -> bool:
        try:
            self.glue.get_database(Name=database)
            return True
        except self.glue.exceptions.EntityNotFoundException:
            return False

    def databases(self) -> list[str]:
        pages = self.glue.get_paginator("get_databases").paginate()
        return sorted(d["Name"] for page in pages for d in page["DatabaseList"])

    def tables(self, database: str) -> list[str]:
        pages = self.glue.get_paginator("get_tables").paginate(DatabaseName=database)
        return sorted(t["Name"] for page in pages for t in page["TableList"])

    def describe(self, database: str, name: str) -> TableInfo | None:
        try:  # what GetTable answers (moto's GlueResponse.get_table), without the round trip
            table = glue_backends[self.account_id][self.region].get_table(database, name).as_dict()
        except EntityNotFoundException:
            return None
        params = {k.lower(): v for k, v in (table.get("Parameters") or {}).items()}
        storage = table.get("StorageDescriptor") or {}
        kind = "iceberg" if params.get("table_type", "").upper() == "ICEBERG" else "hive"
        view = presto_view(str(table.get("ViewOriginalText") or "")) if table.get("TableType") == VIEW_TYPE else None
        if view is not None:
            kind = "view"
        serde_info = storage.get("SerdeInfo") or {}
        return TableInfo(
            database=database,
            name=name,
            kind=kind,
            location=storage.get("Location", ""),
            columns=[(c["Name"].lower(), c.get("Type", "string")) for c in storage.get("Columns", [])],
            parameters=params,
            serde={"library": serde_info.get("SerializationLibrary", ""), **(serde_info.get("Parameters") or {})},
            view=view or {},
        )

    def parameters(self, info: TableInfo) -> dict[str, str]:
        """The table's Glue parameters with their keys as Glue keeps them (``TableInfo``'s are lower-cased)."""
        table = glue_backends[self.account_id][self.region].get_table(info.database, info.name).as_dict()
        return dict(table.get("Parameters") or {})

    @contextmanager
    def writing(self, info: TableInfo) -> Iterator[None]:
        """One writer per table at a time: Iceberg commits are optimistic, Athena serialises them."""
        with self._locks_guard:
            lock = self._locks.setdefault(info.qualified, threading.Lock())
        with lock:
            yield

    # -- reading ----------------------------------------------------------------------------

    def load_iceberg(self, info: TableInfo) -> IcebergTable:
        """The table as Glue points at it now, freshly loaded (to write: a commit changes the object)."""
        return self.iceberg.load_table(f"{info.database}.{info.name}")

    def read_iceberg(self, info: TableInfo) -> IcebergTable:
        """The table at the metadata ``info`` was described with, shared between readers (never write to it)."""
        location = info.parameters.get("metadata_location")
        if not location:
            return self.load_iceberg(info)
        cached = self.tables_cache.get(location, self.s3_object)
        if cached is not None:
            return cached
        sources = Sources.taken(self.s3_object, [location])
        io = load_file_io(self.iceberg.properties, location)
        metadata = FromInputFile.table_metadata(io.new_input(location))
        table = IcebergTable(
            identifier=(info.database, info.name),
            metadata=metadata,
            metadata_location=location,
            io=load_file_io({**self.iceberg.properties, **metadata.properties}, location),
            catalog=self.iceberg,
        )
        self.tables_cache.put(location, table, sources)
        return table

    def scan(
        self,
        info: TableInfo,
        snapshot_id: int | None = None,
        with_path: bool = False,
        table: IcebergTable | None = None,
    ) -> Scan:
        """The table's rows; ``table`` is the Iceberg table when the caller has loaded it already."""
        if info.kind == "iceberg":
            return self._scan_iceberg(info, snapshot_id, table)
        if snapshot_id is not None:
            raise AthenaError("NOT_SUPPORTED", f"line 1:1: time travel on the non-Iceberg table {info.qualified}")
        return self._scan_hive(info, with_path)

    def _scan_iceberg(self, info: TableInfo, snapshot_id: int | None, table: IcebergTable | None) -> Scan:
        table = table or self.read_iceberg(info)
        if snapshot_id is not None and table.snapshot_by_id(snapshot_id) is None:
            raise AthenaError("INVALID_ARGUMENTS", f"line 1:1: Iceberg snapshot ID does not exist: {snapshot_id}")
        current = table.current_snapshot()
        used = snapshot_id if snapshot_id is not None else (current.snapshot_id if current else None)
        key = (table.metadata_location, used)
        if (cached := self.scans_cache.get(key, self.s3_object)) is not None:
            return cached
        # Every object's record is taken before its bytes are read (see ``scancache``).
        sources = self._metadata_sources(table, used)
        scan = table.scan(snapshot_id=snapshot_id) if snapshot_id is not None else table.scan()
        tasks = list(scan.plan_files())
        sources = _joined(sources, Sources.taken(self.s3_object, _files(tasks)))
        # The tasks just planned, not a second planning (``scan.to_arrow()`` would plan again).
        arrow = ArrowScan(
            scan.table_metadata, scan.io, scan.projection(), scan.row_filter, scan.case_sensitive, scan.limit
        ).to_table(tasks)
        result = Scan(arrow, _scanned(tasks), used)
        self.scans_cache.put(key, result, sources, arrow.nbytes)
        return result

    def _metadata_sources(self, table: IcebergTable, snapshot_id: int | None) -> Sources | None:
        """The records of a snapshot's metadata file, manifest list and manifests (None: one is gone)."""
        sources = Sources.taken(self.s3_object, [table.metadata_location])
        snapshot = table.snapshot_by_id(snapshot_id) if snapshot_id is not None else None
        if snapshot is not None and sources is not None:
            sources = _joined(sources, Sources.taken(self.s3_object, [snapshot.manifest_list]))
            manifests = [m.manifest_path for m in snapshot.manifests(table.io)]
            sources = _joined(sources, Sources.taken(self.s3_object, manifests))
        return sources

    def remember_written(self, table: IcebergTable, rows: pa.Table) -> None:
        """Keep the rows a commit just wrote as its snapshot's scan, when they are the whole snapshot.

        When the table's current snapshot is one data file without delete files holding as many rows
        as ``rows``, that file is the one the commit wrote from ``rows``, in their order (an append to
        an empty table, an overwrite, unpartitioned or of one partition): reading the snapshot back
        gives these rows, so the statement after does not read the Parquet it was just handed (the
        MERGE after the million staged orders: ~0.5 s). The entry is an ordinary ``scans_cache`` one,
        typed as a read gives it, keyed by metadata location and snapshot and used only while every
        object it stands for is the one S3 holds. Any other snapshot is read from its files as before.
        """
        snapshot = table.current_snapshot()
        if snapshot is None or not rows.num_rows:
            return
        scan = table.scan()
        tasks = list(scan.plan_files())
        if len(tasks) != 1 or tasks[0].delete_files or tasks[0].file.record_count != rows.num_rows:
            return
        sources = _joined(
            self._metadata_sources(table, snapshot.snapshot_id), Sources.taken(self.s3_object, _files(tasks))
        )
        typed = rows.cast(schema_to_pyarrow(scan.projection(), include_field_ids=False))
        # In the batches a read gives (DuckDB scans a registered table a batch per thread): one
        # chunk of a million rows took twice as long to join and group.
        arrow = pa.Table.from_batches(typed.to_batches(max_chunksize=READ_BATCH_ROWS), schema=typed.schema)
        key = (table.metadata_location, snapshot.snapshot_id)
        self.scans_cache.put(key, Scan(arrow, _scanned(tasks), snapshot.snapshot_id), sources, arrow.nbytes)

    def snapshot_as_of(self, info: TableInfo, epoch_ms: int) -> int:
        table = self.read_iceberg(info)
        snap = table.snapshot_as_of_timestamp(epoch_ms)
        if snap is None:
            raise AthenaError(
                "INVALID_ARGUMENTS", f"line 1:1: No version history table {info.qualified} at or before that time"
            )
        return snap.snapshot_id

    def _scan_hive(self, info: TableInfo, with_path: bool) -> Scan:
        library = info.serde.get("library", "")
        if library not in (OPEN_CSV_SERDE, LAZY_SIMPLE_SERDE):
            raise AthenaError(
                "NOT_SUPPORTED", f"line 1:1: reading {info.qualified} (serde {library or 'unknown'}) is not emulated"
            )
        names = [name for name, _ in info.columns]
        skip = int(info.parameters.get("skip.header.line.count", "0") or 0)
        batches: list[pa.Table] = []
        scanned = 0
        for bucket, key, size in self._objects(info.location):
            uri = f"s3://{bucket}/{key}"
            table = self._hive_object(info, uri, names, skip)
            if table is None:
                continue  # deleted since it was listed
            scanned += size
            if with_path:  # one value on every row, repeated by Arrow (a Python list of a million: ~0.6 s)
                table = table.append_column(PATH_COLUMN, pa.repeat(pa.scalar(uri, pa.string()), table.num_rows))
            batches.append(table)
        if batches:
            arrow = pa.concat_tables(batches)
        else:
            fields = [pa.field(n, pa.string()) for n in names] + (
                [pa.field(PATH_COLUMN, pa.string())] if with_path else []
            )
            arrow = _cast_hive(pa.schema(fields).empty_table(), info)
        return Scan(arrow, scanned)

    def _hive_object(self, info: TableInfo, uri: str, names: list[str], skip: int) -> pa.Table | None:
        """One text object's rows as the table reads them (typed); None when the object is gone.

        Kept (``scans_cache``) per object record and reading (serde, columns and types, header
        lines): an object overwritten is a new record, so a kept entry is exact; the listing is
        read every time, so an object added or deleted is seen at once.
        """
        rules = (tuple(sorted(info.serde.items())), tuple(info.columns), skip)
        key = ("hive", uri, rules)
        if (cached := self.scans_cache.get(key, self.s3_object)) is not None:
            return cached.table
        sources = Sources.taken(self.s3_object, [uri])
        record = self.s3_object(uri)
        if record is None:
            return None
        parsed = _cast_hive(_parse_text(record.value, names, info.serde, skip), info)  # type: ignore[attr-defined]
        self.scans_cache.put(key, Scan(parsed, 0), sources, parsed.nbytes)
        return parsed

    def _objects(self, location: str) -> Iterator[tuple[str, str, int]]:
        """The objects under a table's location, in ListObjectsV2's order, from S3's state (as the account)."""
        bucket_name, prefix = split_s3(location)
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        bucket = s3_backends[self.account_id][get_partition(self.region)].buckets.get(bucket_name)
        if bucket is None:
            raise AthenaError(
                "HIVE_BAD_DATA",
                f"line 1:1: cannot list {location}: An error occurred (NoSuchBucket) when calling the "
                "ListObjectsV2 operation: The specified bucket does not exist",
            )
        found = [(k, v) for k, v in list(bucket.keys.items()) if k.startswith(prefix) and isinstance(v, FakeKey)]
        for key, record in sorted(found, key=lambda kv: kv[0].encode("utf-8")):
            leaf = key[len(prefix) :].rsplit("/", 1)[-1]
            if key.endswith("/") or leaf.startswith(("_", ".")):
                continue  # folders and Hive's hidden files
            yield bucket_name, key, int(record.size)

    # -- writing ----------------------------------------------------------------------------

    def create_iceberg(
        self,
        database: str,
        name: str,
        schema: Schema | pa.Schema,
        location: str,
        partitions: list[tuple[str, str, int | None]],
        properties: dict[str, str],
    ) -> IcebergTable:
        """A format-version 2 table (what Athena creates), partitioned by (column, transform, arg)."""
        table = self.iceberg.create_table(
            f"{database}.{name}",
            schema=schema,
            location=location.rstrip("/"),
            properties={"format-version": "2", "write.format.default": "parquet", **properties},
        )
        if partitions:
            with table.update_spec() as spec:
                for column, transform, arg in partitions:
                    spec.add_field(
                        column,
                        _transform(transform, arg),
                        f"{column}_{transform}" if transform != "identity" else column,
                    )  # the commit leaves the new spec on ``table``
        return table

    def create_hive(
        self,
        database: str,
        name: str,
        columns: list[tuple[str, str]],
        location: str,
        serde: dict[str, str],
        parameters: dict[str, str],
    ) -> None:
        """An external text table in Glue, shaped as Athena's DDL leaves it."""
        library = serde.pop("library")
        self.glue.create_table(
            DatabaseName=database,
            TableInput={
                "Name": name,
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"EXTERNAL": "TRUE", "classification": "csv", **parameters},
                "StorageDescriptor": {
                    "Columns": [{"Name": c, "Type": t} for c, t in columns],
                    "Location": location,
                    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    "SerdeInfo": {"SerializationLibrary": library, "Parameters": serde},
                },
            },
        )

    def alter_hive(
        self, info: TableInfo, location: str | None, parameters: dict[str, str], dropped: frozenset[str] = frozenset()
    ) -> None:
        """Glue UpdateTable of a Hive table as Athena's ALTER TABLE leaves it: a new Location, parameters merged
        (SET TBLPROPERTIES) or ``dropped`` (UNSET TBLPROPERTIES).

        The table is what GetTable answers now, cut to the fields UpdateTable's TableInput takes (botocore's
        model says which), so everything else Glue holds on it (columns, serde, other parameters) stays.
        """
        table = self.glue.get_table(DatabaseName=info.database, Name=info.name)["Table"]
        fields = self.glue.meta.service_model.shape_for("TableInput").members
        table_input = {k: v for k, v in table.items() if k in fields}
        if location is not None:
            table_input.setdefault("StorageDescriptor", {})["Location"] = location
        if parameters or dropped:
            kept = {k: v for k, v in (table_input.get("Parameters") or {}).items() if k not in dropped}
            table_input["Parameters"] = {**kept, **parameters}
        self.glue.update_table(DatabaseName=info.database, TableInput=table_input)

    def put_view(self, database: str, name: str, sql: str, columns: list[tuple[str, str]], replace: bool) -> None:
        """A Presto view in Glue, shaped as Athena's CREATE [OR REPLACE] VIEW leaves it.

        ``columns`` are (name, Presto type): the body keeps those, the StorageDescriptor the Hive names.
        """
        body = {
            "originalSql": sql,
            "catalog": "awsdatacatalog",
            "schema": database,
            "columns": [{"name": c, "type": t} for c, t in columns],
        }
        encoded = base64.b64encode(json.dumps(body).encode()).decode()
        table_input: dict[str, Any] = {
            "Name": name,
            "TableType": VIEW_TYPE,
            "Parameters": {"presto_view": "true", "comment": "Presto View"},
            "ViewOriginalText": f"{PRESTO_VIEW_PREFIX}{encoded}{PRESTO_VIEW_SUFFIX}",
            "ViewExpandedText": "/* Presto View */",
            "StorageDescriptor": {
                "Columns": [{"Name": c, "Type": _HIVE_OF_PRESTO.get(t, t)} for c, t in columns],
                "SerdeInfo": {},
            },
        }
        if replace:
            self.glue.update_table(DatabaseName=database, TableInput=table_input)
        else:
            self.glue.create_table(DatabaseName=database, TableInput=table_input)

    def drop(self, info: TableInfo) -> None:
        """Drop the table; an Iceberg table's data goes with it, as in Athena."""
        if info.kind == "iceberg":
            self.iceberg.drop_table(f"{info.database}.{info.name}")
            self._delete_prefix(info.location)
        else:
            self.glue.delete_table(DatabaseName=info.database, Name=info.name)

    def _delete_prefix(self, location: str) -> None:
        bucket, prefix = split_s3(location)
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix.rstrip("/") + "/")
        keys = [(bucket, o["Key"]) for page in pages for o in page.get("Contents", [])]
        for i in range(0, len(keys), 1000):
            chunk = keys[i : i + 1000]
            self.s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for _, k in chunk]})

    def put_text(self, uri: str, body: bytes) -> None:
        """Write an object as PutObject does (moto's backend call), without the round trip."""
        bucket, key = split_s3(uri)
        try:
            s3_backends[self.account_id][get_partition(self.region)].put_object(bucket, key, body)
        except MissingBucket:
            raise AthenaError(
                "GENERIC_INTERNAL_ERROR", f"Unable to verify/create output bucket {bucket}", SYSTEM
            ) from None


def presto_view(text: str) -> dict[str, Any] | None:
    """The JSON body of a Presto view's ``ViewOriginalText`` (``/* Presto View: <base64> */``), None if not one."""
    text = text.strip()
    if not (text.startswith(PRESTO_VIEW_PREFIX) and text.endswith(PRESTO_VIEW_SUFFIX)):
        return None
    try:
        body = json.loads(base64.b64decode(text[len(PRESTO_VIEW_PREFIX) : -len(PRESTO_VIEW_SUFFIX)].strip()))
    except (ValueError, binascii.Error):
        return None
    return body if isinstance(body, dict) and isinstance(body.get("originalSql"), str) else None


def _files(tasks: list[FileScanTask]) -> list[str]:
    """The data and delete files a scan's tasks read."""
    return [t.file.file_path for t in tasks] + [d.file_path for t in tasks for d in t.delete_files]


def _scanned(tasks: list[FileScanTask]) -> int:
    """Bytes a scan's tasks read (Athena's DataScannedInBytes counts the files)."""
    deletes = sum(d.file_size_in_bytes for t in tasks for d in t.delete_files)
    return sum(t.file.file_size_in_bytes for t in tasks) + deletes


def _joined(first: Sources | None, second: Sources | None) -> Sources | None:
    return first + second if first is not None and second is not None else None


def split_s3(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise AthenaError("INVALID_ARGUMENTS", f"line 1:1: not an S3 location: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key


def _transform(name: str, arg: int | None) -> Transform[Any, Any]:
    simple: dict[str, Transform[Any, Any]] = {
        "identity": IdentityTransform(),
        "year": YearTransform(),
        "month": MonthTransform(),
        "day": DayTransform(),
        "hour": HourTransform(),
    }
    if name in simple:
        return simple[name]
    if name == "bucket" and arg:
        return BucketTransform(arg)
    if name == "truncate" and arg:
        return TruncateTransform(arg)
    raise AthenaError("NOT_SUPPORTED", f"line 1:1: partition transform {name}")


# -- text tables --------------------------------------------------------------------------------


def _parse_text(body: bytes, names: list[str], serde: dict[str, str], skip: int) -> pa.Table:
    """Rows of one text object the way the table's serde reads them.

    OpenCSVSerde: quoted fields, every value a string, empty stays empty (not NULL), a row
    with fewer fields gets NULLs, extra fields are dropped. LazySimpleSerDe: no quoting, ``\\N``
    is NULL. Fast path through pyarrow; rows of the wrong width are fixed up one by one.
    """
    if serde.get("library") == OPEN_CSV_SERDE:
        sep = serde.get("separatorChar", ",")
        quote: str | bool = serde.get("quoteChar", '"')
        escape: str | bool = serde.get("escapeChar", "\\")
        null_values: list[str] = []
    else:
        sep = serde.get("field.delim", serde.get("serialization.format", "\x01"))
        quote, escape = False, serde.get("escape.delim", False) or False
        null_values = ["\\N"]
    odd: list[tuple[int, str]] = []

    def keep_odd(row: Any) -> str:
        odd.append((row.number or 0, row.text))
        return "skip"

    arrow = pacsv.read_csv(
        io.BytesIO(body),
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(
            delimiter=sep,
            quote_char=quote,
            escape_char=escape,
            newlines_in_values=bool(quote),
            invalid_row_handler=keep_odd,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=bool(null_values),
            null_values=null_values,
            quoted_strings_can_be_null=False,
        ),
    )
    if not odd:
        return arrow
    fixed: list[list[str | None]] = []
    for _, text in odd:
        quotechar = quote if isinstance(quote, str) else None
        escapechar = escape if isinstance(escape, str) else None
        fields = next(csv.reader([text], delimiter=sep, quotechar=quotechar, escapechar=escapechar), [])
        fixed.append([*fields[: len(names)], *([None] * (len(names) - len(fields)))])
    extra = pa.table({n: pa.array([r[i] for r in fixed], pa.string()) for i, n in enumerate(names)})
    return pa.concat_tables([arrow, extra])


_HIVE_ARROW = {
    "string": pa.string(),
    "varchar": pa.string(),
    "char": pa.string(),
    "int": pa.int32(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "smallint": pa.int16(),
    "tinyint": pa.int8(),
    "double": pa.float64(),
    "float": pa.float32(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


def _cast_hive(arrow: pa.Table, info: TableInfo) -> pa.Table:
    """Declared column types applied to the text values; a value that does not fit is bad data."""
    for i, (name, hive_type) in enumerate(info.columns):
        base = hive_type.lower().split("(")[0]
        if base in ("string", "varchar", "char"):
            continue
        if base == "decimal":
            p, s = (int(x) for x in hive_type[hive_type.index("(") + 1 : -1].split(","))
            target: pa.DataType = pa.decimal128(p, s)
        elif base in _HIVE_ARROW:
            target = _HIVE_ARROW[base]
        else:
            raise AthenaError("NOT_SUPPORTED", f"line 1:1: column {name} of {info.qualified} has type {hive_type}")
        try:
            column = arrow.column(i)
            column = pa.compute.if_else(pa.compute.equal(column, ""), pa.scalar(None, pa.string()), column)
            arrow = arrow.set_column(i, name, column.cast(target))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as err:
            raise AthenaError(
                "HIVE_BAD_DATA", f"line 1:1: error parsing field value of column {name} as {hive_type}: {err}"
            ) from None
    return arrow
