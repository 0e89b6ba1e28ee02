"""Every folder an Iceberg table's files lie in, read from its metadata file, manifest lists and manifests.

Glue's Location and the current metadata's ``write.data.path`` say where the *next* files go, not where the
table's files are. A snapshot written while ``write.data.path`` pointed at another bucket keeps its data files
there after the property is set back; its manifests (whose column bounds hold hidden values verbatim) stay where
they were written; and Athena's time travel (``FOR VERSION AS OF``) reads every snapshot the metadata still
lists. So the files of every listed snapshot (data files, deleted ones too: S3 keeps them until the snapshot is
expired and orphans are removed), its manifest list and manifests, and the earlier metadata files of
``metadata-log`` are where the table's values are. pyiceberg (pinned) reads the Avro; S3 is read with the
check's own boto3 client, so the emulator and AWS are read alike.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError
from pyiceberg.io import FileIO, InputFile, InputStream, OutputFile
from pyiceberg.manifest import ManifestFile, read_manifest_list

from lakehouse.table_places import bucket_key, read_metadata

#: Avro files read per table: each snapshot's manifest list, and each distinct manifest once however many
#: snapshots share it (a snapshot lists every live manifest of the table, most of them its parent's). A bound on
#: cost, not on what a healthy table may hold: a table committed every hour for a year and never expired has
#: 8,760 snapshots and, with merge-on-read writes adding a data and a delete manifest each, about 26,000 files;
#: 50,000 small GETs cost about $0.02 and take minutes even ``READERS`` at a time. Past it the check errs.
MAX_AVRO_FILES = 50_000
#: Avro files read at once (S3 answers each GET in tens of milliseconds; the check waits on the network).
READERS = 8


def current_metadata(glue: Any, s3: Any, table: str) -> tuple[str, dict[str, Any]]:
    """``(metadata_location, metadata)``: the Iceberg metadata file Glue names for ``db.table``, read from S3.

    Raises ``ValueError`` naming the table when Glue names none or the file is not a JSON object; botocore's
    errors pass through.
    """
    db, name = table.split(".", 1)
    params = glue.get_table(DatabaseName=db, Name=name)["Table"].get("Parameters") or {}
    location = str(params.get("metadata_location") or "")
    if not location.startswith(("s3://", "s3a://")):
        raise ValueError(f"{table} has no Iceberg metadata_location in Glue (got {location!r})")
    return location, read_metadata(s3, location, table)


class _S3Input(InputFile):
    """One S3 object, read whole with GetObject (manifests and manifest lists are small)."""

    def __init__(self, s3: Any, location: str) -> None:
        super().__init__(location)
        self._s3 = s3
        self._bytes: bytes | None = None

    def _read(self) -> bytes:
        if self._bytes is None:
            bucket, key = bucket_key(self.location)
            self._bytes = self._s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return self._bytes

    def __len__(self) -> int:
        return len(self._read())

    def exists(self) -> bool:
        try:
            self._read()
        except ClientError:
            return False
        return True

    def open(self, seekable: bool = True) -> InputStream:
        return io.BytesIO(self._read())


class S3ReadIO(FileIO):
    """A read-only pyiceberg FileIO over a boto3 S3 client (the check writes nothing)."""

    def __init__(self, s3: Any) -> None:
        super().__init__()
        self._s3 = s3

    def new_input(self, location: str) -> InputFile:
        return _S3Input(self._s3, location)

    def new_output(self, location: str) -> OutputFile:
        raise PermissionError(f"exit check 6 reads the lake, it does not write {location}")

    def delete(self, location: str | InputFile | OutputFile) -> None:
        raise PermissionError(f"exit check 6 reads the lake, it does not delete {location}")


def folder(uri: str) -> str:
    """``s3://b/t/data/x.parquet`` -> ``s3://b/t/data/``: the folder a file lies in."""
    return uri.rsplit("/", 1)[0] + "/"


def file_folders(metadata: Mapping[str, Any], file_io: FileIO, limit: int = MAX_AVRO_FILES) -> tuple[list[str], bool]:
    """The folders of every file the metadata's snapshots and log name, in order found, and whether all were
    followed (False: more than ``limit`` manifest lists and distinct manifests to read, or a format v1 snapshot
    listing no manifest list). A folder named by the metadata or a manifest list counts even when the file itself
    is past the limit: only what it names is then unknown."""
    found: dict[str, None] = {}
    for entry in metadata.get("metadata-log") or []:
        if isinstance(entry, Mapping) and entry.get("metadata-file"):
            found.setdefault(folder(str(entry["metadata-file"])))
    snapshots = list(metadata.get("snapshots") or [])
    listed = [str(s["manifest-list"]) for s in snapshots if isinstance(s, Mapping) and s.get("manifest-list")]
    complete = len(listed) == len(snapshots)
    lists = list(dict.fromkeys(listed))
    for path in lists:
        found.setdefault(folder(path))
    budget = limit
    if len(lists) > budget:
        complete, lists = False, lists[:budget]
    budget -= len(lists)
    manifests: dict[str, ManifestFile] = {}
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        for listing in pool.map(lambda p: read_manifest_list(file_io.new_input(p)), lists):
            for manifest in listing:
                manifests.setdefault(manifest.manifest_path, manifest)
        for path in manifests:
            found.setdefault(folder(path))
        if len(manifests) > budget:
            complete = False
        chosen = list(manifests.values())[: max(budget, 0)]
        for entries in pool.map(lambda m: m.fetch_manifest_entry(file_io, discard_deleted=False), chosen):
            for entry in entries:
                found.setdefault(folder(str(entry.data_file.file_path)))
    return list(found), complete
