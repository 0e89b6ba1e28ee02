"""The engine's file I/O on moto's S3 state: what it writes is an S3 object, what it reads is one.

In process, on moto's backend (no emulator, no HTTP): the same backend the emulator serves.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto.s3.models import s3_backends

from lakehouse.emulator.sql.motofs import MotoFileIO, properties

ACCOUNT, REGION = "111122223333", "ap-northeast-1"


@pytest.fixture
def bucket() -> Iterator[str]:
    backend = s3_backends[ACCOUNT]["aws"]
    backend.create_bucket("motofs-test", REGION)
    yield "motofs-test"
    for key in list(backend.buckets["motofs-test"].keys.keys()):
        backend.delete_object("motofs-test", key)
    backend.delete_bucket("motofs-test")


def test_a_written_file_is_an_object_s3_lists_and_reads_back(bucket: str) -> None:
    io = MotoFileIO(properties(ACCOUNT, REGION))
    out = io.new_output(f"s3://{bucket}/t/data/a.parquet")
    with out.create() as stream:
        pq.write_table(pa.table({"x": [1, 2, 3]}), stream)
    record = s3_backends[ACCOUNT]["aws"].get_object(bucket, "t/data/a.parquet")
    assert record is not None and record.size == len(io.new_input(f"s3://{bucket}/t/data/a.parquet"))
    with io.new_input(f"s3://{bucket}/t/data/a.parquet").open() as stream:
        assert pq.read_table(stream).column("x").to_pylist() == [1, 2, 3]
    with pytest.raises(FileExistsError):
        out.create(overwrite=False)


def test_missing_files_and_buckets_are_not_found(bucket: str) -> None:
    io = MotoFileIO(properties(ACCOUNT, REGION))
    assert not io.new_input(f"s3://{bucket}/nothing").exists()
    with pytest.raises(FileNotFoundError):
        io.new_input(f"s3://{bucket}/nothing").open()
    with pytest.raises(FileNotFoundError):
        io.delete(f"s3://{bucket}/nothing")
    with pytest.raises(FileNotFoundError):
        io.new_output("s3://no-such-bucket-here/a").create()


def test_delete_removes_the_object(bucket: str) -> None:
    io = MotoFileIO(properties(ACCOUNT, REGION))
    with io.new_output(f"s3://{bucket}/m.json").create() as stream:
        stream.write(b"{}")
    assert io.new_input(f"s3://{bucket}/m.json").exists()
    io.delete(f"s3://{bucket}/m.json")
    assert s3_backends[ACCOUNT]["aws"].get_object(bucket, "m.json") is None
