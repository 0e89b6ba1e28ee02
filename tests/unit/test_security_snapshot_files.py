"""Exit check 6 tries the policies on the files of every snapshot an Iceberg table's metadata lists.

The broken stack: Gold users was written once with ``write.data.path`` on a bucket of its own
(``lh-export-1/old``, whose policy lets the analyst read it: "the BI tool reads Parquet directly"), and the
property was set back. The current metadata names only the Gold bucket, but the first snapshot's data files
(ssn in plain Parquet) still lie in the export bucket, its manifest lists them, and Athena's time travel reads
that snapshot. Main read only the current metadata's ``location`` and ``write.*.path`` properties: the export
bucket was no lake bucket, and the check passed.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
from moto import mock_aws
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.manifest import (
    DataFile,
    DataFileContent,
    FileFormat,
    ManifestEntry,
    ManifestEntryStatus,
    write_manifest,
    write_manifest_list,
)
from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC
from pyiceberg.schema import Schema
from pyiceberg.typedef import Record
from pyiceberg.types import LongType, NestedField, StringType

from lakehouse.checks.iceberg_files import S3ReadIO, file_folders
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_read import lake_objects, read_data_paths

from .test_security import ANALYST, BUCKETS, healthy, tls_only

REGION = "ap-northeast-1"
EXPORT = "lh-export-1"
GOLD = BUCKETS["gold"]
METADATA_JSON = "users/metadata/00002-5b1e.metadata.json"
SCHEMA = Schema(
    NestedField(1, "user_id", LongType(), required=False), NestedField(2, "ssn", StringType(), required=False)
)


def _put_snapshot(s3: Any, tmp: Path, snapshot_id: int, data_file: str) -> str:
    """A manifest naming ``data_file`` and a manifest list naming the manifest, written by pyiceberg, in Gold's
    metadata folder; the manifest list's S3 URI."""
    local = PyArrowFileIO()
    manifest_key = f"users/metadata/m{snapshot_id}.avro"
    with write_manifest(
        format_version=2,
        spec=UNPARTITIONED_PARTITION_SPEC,
        schema=SCHEMA,
        output_file=local.new_output(str(tmp / f"m{snapshot_id}.avro")),
        snapshot_id=snapshot_id,
        avro_compression="null",
    ) as writer:
        data = DataFile.from_args(
            content=DataFileContent.DATA,
            file_path=data_file,
            file_format=FileFormat.PARQUET,
            partition=Record(),
            record_count=20,
            file_size_in_bytes=100,
        )
        writer.add(ManifestEntry.from_args(status=ManifestEntryStatus.ADDED, snapshot_id=snapshot_id, data_file=data))
    manifest = writer.to_manifest_file()
    manifest[0] = f"s3://{GOLD}/{manifest_key}"  # the path the manifest list names
    s3.put_object(Bucket=GOLD, Key=manifest_key, Body=(tmp / f"m{snapshot_id}.avro").read_bytes())
    list_key = f"users/metadata/snap-{snapshot_id}.avro"
    with write_manifest_list(
        format_version=2,
        output_file=local.new_output(str(tmp / f"snap-{snapshot_id}.avro")),
        snapshot_id=snapshot_id,
        parent_snapshot_id=None,
        sequence_number=snapshot_id,
        avro_compression="null",
    ) as lister:
        lister.add_manifests([manifest])
    s3.put_object(Bucket=GOLD, Key=list_key, Body=(tmp / f"snap-{snapshot_id}.avro").read_bytes())
    return f"s3://{GOLD}/{list_key}"


def _judged(tmp: Path, first_data_file: str) -> Any:
    s3 = boto3.client("s3", region_name=REGION)
    for bucket in (GOLD, EXPORT):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=EXPORT, Key="old/00000-0-5b1e.parquet", Body=b"PAR1")
    snapshots = [
        {"snapshot-id": 1, "manifest-list": _put_snapshot(s3, tmp, 1, first_data_file)},
        {"snapshot-id": 2, "manifest-list": _put_snapshot(s3, tmp, 2, f"s3://{GOLD}/users/data/00000-1.parquet")},
    ]
    metadata = {"format-version": 2, "location": f"s3://{GOLD}/users", "properties": {}, "snapshots": snapshots}
    s3.put_object(Bucket=GOLD, Key=METADATA_JSON, Body=json.dumps(metadata).encode())
    rb = healthy()
    gold = rb.probes[-1].table
    gold.metadata_location = f"s3://{GOLD}/{METADATA_JSON}"
    target: Any = SimpleNamespace(client=lambda name: boto3.client(name, region_name=REGION))
    errors: list[str] = []
    read_data_paths(target, [gold], errors)
    assert errors == []
    rb.lake_objects = lake_objects(target, [gold], [GOLD, EXPORT], [])
    policy = tls_only(EXPORT)
    policy["Statement"].append(
        {
            "Sid": "BiReadsParquet",
            "Effect": "Allow",
            "Principal": {"AWS": ANALYST},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{EXPORT}/old/*",
        }
    )
    rb.bucket_policies[EXPORT] = policy
    return gold, judge_security(rb)


@mock_aws
def test_data_files_an_earlier_snapshot_left_in_a_bucket_the_analyst_reads_fail_the_check(tmp_path: Path) -> None:
    gold, outcome = _judged(tmp_path, f"s3://{EXPORT}/old/00000-0-5b1e.parquet")
    assert gold.data_locations == [f"s3://{EXPORT}/old/"]
    assert not outcome.passed
    assert any(
        "BiReadsParquet" in p and f"{EXPORT}/old/00000-0-5b1e.parquet" in p
        for p in outcome.details["problems"]["bucket_policies"]
    ), outcome.details["problems"]


@mock_aws
def test_snapshots_whose_files_lie_under_the_tables_own_location_add_nothing_and_pass(tmp_path: Path) -> None:
    gold, outcome = _judged(tmp_path, f"s3://{GOLD}/users/data/00000-0.parquet")
    assert gold.data_locations == []
    assert outcome.passed, outcome.reason


@mock_aws
def test_an_unreadable_manifest_list_leaves_the_check_unable_to_pass() -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=GOLD, CreateBucketConfiguration={"LocationConstraint": REGION})
    gone = {"snapshot-id": 1, "manifest-list": f"s3://{GOLD}/users/metadata/snap-gone.avro"}
    metadata = {"format-version": 2, "location": f"s3://{GOLD}/users", "properties": {}, "snapshots": [gone]}
    s3.put_object(Bucket=GOLD, Key=METADATA_JSON, Body=json.dumps(metadata).encode())
    gold = healthy().probes[-1].table
    gold.metadata_location = f"s3://{GOLD}/{METADATA_JSON}"
    target: Any = SimpleNamespace(client=lambda name: boto3.client(name, region_name=REGION))
    errors: list[str] = []
    read_data_paths(target, [gold], errors)
    assert len(errors) == 1 and errors[0].startswith(
        f"could not read the manifest lists and manifests of lh_gold.users (s3://{GOLD}/{METADATA_JSON})"
    ), errors
    assert "NoSuchKey" in errors[0]


@mock_aws
def test_past_the_limit_the_rest_is_not_vouched_for(tmp_path: Path) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=GOLD, CreateBucketConfiguration={"LocationConstraint": REGION})
    snapshots = [
        {"snapshot-id": i, "manifest-list": _put_snapshot(s3, tmp_path, i, f"s3://{EXPORT}/old{i}/f.parquet")}
        for i in (1, 2)
    ]
    metadata = {"snapshots": snapshots, "metadata-log": [{"metadata-file": f"s3://{EXPORT}/meta/00001.json"}]}
    assert file_folders(metadata, S3ReadIO(s3)) == (
        [
            f"s3://{EXPORT}/meta/",
            f"s3://{GOLD}/users/metadata/",
            f"s3://{EXPORT}/old1/",
            f"s3://{EXPORT}/old2/",
        ],
        True,
    )
    folders, complete = file_folders(metadata, S3ReadIO(s3), limit=1)
    assert not complete and f"s3://{EXPORT}/old2/" not in folders
    v1 = {"snapshots": [{"snapshot-id": 1, "manifests": ["s3://b/m.avro"]}]}  # manifests listed inline
    assert file_folders(v1, S3ReadIO(s3)) == ([], False)


class _CountingIO(PyArrowFileIO):
    """Local Avro files served under S3 names, counting the reads (manifests shared by snapshots read once)."""

    def __init__(self, files: dict[str, str]) -> None:
        super().__init__()
        self.files = files
        self.reads: list[str] = []

    def new_input(self, location: str) -> Any:
        self.reads.append(location)
        return super().new_input(self.files[location])


def _long_lived(tmp: Path, snapshots: int) -> tuple[dict[str, Any], _CountingIO]:
    """A table never expired: ``snapshots`` manifest lists, each naming the same three manifests (as a snapshot
    lists its parent's live manifests); one data file per manifest, under the table's location."""
    local = PyArrowFileIO()
    manifests = []
    files: dict[str, str] = {}
    for i in range(3):
        with write_manifest(
            format_version=2,
            spec=UNPARTITIONED_PARTITION_SPEC,
            schema=SCHEMA,
            output_file=local.new_output(str(tmp / f"m{i}.avro")),
            snapshot_id=3,
            avro_compression="null",
        ) as writer:
            data = DataFile.from_args(
                content=DataFileContent.DATA,
                file_path=f"s3://{GOLD}/users/data/{i}.parquet",
                file_format=FileFormat.PARQUET,
                partition=Record(),
                record_count=1,
                file_size_in_bytes=10,
            )
            writer.add(ManifestEntry.from_args(status=ManifestEntryStatus.ADDED, snapshot_id=3, data_file=data))
        manifest = writer.to_manifest_file()
        manifest[0] = f"s3://{GOLD}/users/metadata/m{i}.avro"
        files[manifest[0]] = str(tmp / f"m{i}.avro")
        manifests.append(manifest)
    with write_manifest_list(
        format_version=2,
        output_file=local.new_output(str(tmp / "snap.avro")),
        snapshot_id=3,
        parent_snapshot_id=2,
        sequence_number=3,
        avro_compression="null",
    ) as lister:
        lister.add_manifests(manifests)
    listed = []
    for i in range(snapshots):
        path = f"s3://{GOLD}/users/metadata/snap-{i}.avro"
        files[path] = str(tmp / "snap.avro")
        listed.append({"snapshot-id": i, "manifest-list": path})
    return {"format-version": 2, "snapshots": listed}, _CountingIO(files)


def test_a_long_lived_table_past_two_thousand_snapshots_is_read_whole(tmp_path: Path) -> None:
    """2,001 snapshots sharing three manifests: 2,004 files to read, each once. Main stopped at 2,000 snapshots
    and ended the check in ``error`` on a healthy table."""
    metadata, io = _long_lived(tmp_path, 2001)
    folders, complete = file_folders(metadata, io)
    assert complete
    assert folders == [f"s3://{GOLD}/users/metadata/", f"s3://{GOLD}/users/data/"]
    assert len(io.reads) == 2004 and len(set(io.reads)) == 2004  # every manifest once, not once per snapshot


def test_past_the_bound_on_files_read_the_table_is_not_vouched_for(tmp_path: Path) -> None:
    metadata, io = _long_lived(tmp_path, 10)
    assert file_folders(metadata, io, limit=13) == ([f"s3://{GOLD}/users/metadata/", f"s3://{GOLD}/users/data/"], True)
    folders, complete = file_folders(metadata, _CountingIO(io.files), limit=12)  # one manifest left unread
    assert not complete
    folders, complete = file_folders(metadata, _CountingIO(io.files), limit=9)  # a manifest list left unread
    assert not complete and folders == [f"s3://{GOLD}/users/metadata/"]
