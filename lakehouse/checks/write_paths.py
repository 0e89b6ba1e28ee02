"""Exit check 2's next writes: every table the pipeline builds writes its next files into its layer's bucket.

``gold_files`` judges the files a Gold table holds now; where the *next* ones go is said elsewhere, and a table
whose next run writes into another bucket passes every check of the files written so far (the property set after
this run's pipeline). What says it is read by ``lakehouse.table_places`` (Glue's location and metadata file, the
current Iceberg metadata's location and write path properties); every one set is judged. A layer's next files in
another bucket are out of reach of the stack's grants, encryption, lifecycle and destroy, and that bucket's owner
reads and changes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.outcome import Outcome
from lakehouse.table_places import in_bucket, table_places


@dataclass(frozen=True)
class TableWrites:
    """One pipeline table, its layer's bucket and every place its settings send files to."""

    table: str
    layer: str
    bucket: str
    #: What says it (``Glue StorageDescriptor.Location``, ``write.data.path``, ...) -> the S3 URI it says.
    places: dict[str, str]


def read_table_writes(glue: Any, s3: Any, table: str, layer: str, bucket: str) -> TableWrites:
    """Where ``db.table`` writes (Glue GetTable, then its current Iceberg metadata from S3 when it has one).

    Raises ``ValueError`` when the metadata is not a JSON object; botocore's errors pass through.
    """
    db, name = table.split(".", 1)
    found = glue.get_table(DatabaseName=db, Name=name)["Table"]
    return TableWrites(table, layer, bucket, table_places(s3, found, table))


def judge_write_paths(writes: list[TableWrites], unread: list[str] | None = None) -> Outcome:
    """Pass when every place every table writes to is in its layer's bucket; a failure names table, what says
    it and the location. A table that could not be read (``unread``) leaves the check ``error`` unless another
    fails it."""
    outside = [(w, what, uri) for w in writes for what, uri in w.places.items() if not in_bucket(uri, w.bucket)]
    named = [
        f"{w.table} {what} {uri} (not in the {w.layer.capitalize()} bucket {w.bucket})" for w, what, uri in outside
    ]
    details: dict[str, Any] = {"pipeline_table_writes": {w.table: {"bucket": w.bucket, **w.places} for w in writes}}
    if unread:
        details["unread"] = unread
    if named:
        reason = (
            f"pipeline tables write their next files outside their layer's bucket ({'; '.join(named)}): the "
            "stack's grants, encryption, lifecycle and destroy do not reach them there"
        )
        if unread:
            reason += f"; and {'; '.join(unread)}"
        tables = sorted({w.table for w, _, _ in outside})
        return Outcome.judged(False, tables, [], reason, {**details, "writes_outside": named})
    if unread:
        return Outcome.error("; ".join(unread), [], details, [])
    return Outcome.judged(True, [], [], None, details)


def check_write_paths(glue: Any, s3: Any, tables: Mapping[str, tuple[str, str]]) -> Outcome:
    """Read where each table (``db.table`` -> (layer, the layer's bucket)) writes and judge it."""
    writes, unread = [], []
    for table, (layer, bucket) in tables.items():
        try:
            writes.append(read_table_writes(glue, s3, table, layer, bucket))
        except (ClientError, BotoCoreError, ValueError, KeyError, TypeError) as err:
            unread.append(f"cannot tell where {table} writes its next files: {err}")
    return judge_write_paths(writes, unread)
