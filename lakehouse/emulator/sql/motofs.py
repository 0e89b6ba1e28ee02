"""The engine's Iceberg file I/O straight on the emulator's S3 state, not through its own HTTP endpoint.

The engine runs inside the emulator. Reading a table's metadata, manifests and Parquet files (and
writing them at a commit) through the emulator's endpoint made every file a signed HTTP request the
same process then answered: werkzeug, moto's dispatch, SigV4, a multipart upload for each large
file, every byte copied through a socket twice. ``MotoFileIO`` is pyiceberg's ``PyArrowFileIO``
whose ``s3://`` file system is a pyarrow ``PyFileSystem`` over moto's S3 backend: the same backend
functions (``put_object``, ``get_object``, ``delete_object``) the HTTP operations call, as the
account's root (the engine's own service key is the account's, which no bucket policy limits), so
objects, versions and notifications come out as they did.

The catalog (Glue) still goes through the endpoint: commits are Glue's ``UpdateTable`` with its
version check, exactly as any client's.
"""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
from moto.s3.models import FakeKey, S3Backend, s3_backends
from moto.utilities.utils import get_partition
from pyarrow.fs import FileInfo, FileSelector, FileSystem, FileSystemHandler, FileType, PyFileSystem
from pyiceberg.io.pyarrow import PyArrowFileIO
from pyiceberg.typedef import EMPTY_DICT, Properties

#: Catalog properties naming whose S3 state the file I/O works on.
ACCOUNT_PROPERTY = "lakehouse.emulator.account-id"
REGION_PROPERTY = "client.region"
#: pyiceberg's property choosing a FileIO class (``load_file_io``).
IMPL_PROPERTY = "py-io-impl"
IMPL = "lakehouse.emulator.sql.motofs.MotoFileIO"


def properties(account_id: str, region: str) -> dict[str, str]:
    """The catalog properties that make pyiceberg use ``MotoFileIO`` on this account's S3."""
    return {IMPL_PROPERTY: IMPL, ACCOUNT_PROPERTY: account_id, REGION_PROPERTY: region}


def _split(path: str) -> tuple[str, str]:
    bucket, _, key = path.lstrip("/").partition("/")
    return bucket, key


class _Upload(io.BytesIO):
    """An object being written: put into S3 once, whole, when closed (as one PutObject)."""

    def __init__(self, backend: S3Backend, bucket: str, key: str) -> None:
        super().__init__()
        self._target = (backend, bucket, key)

    def close(self) -> None:
        if not self.closed:
            backend, bucket, key = self._target
            backend.put_object(bucket, key, self.getvalue())
        super().close()


class MotoS3(FileSystemHandler):
    """pyarrow file system handler over one account's moto S3 backend (paths are ``bucket/key``)."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region

    @property
    def backend(self) -> S3Backend:
        backend: S3Backend = s3_backends[self.account_id][get_partition(self.region)]
        return backend

    def _key(self, path: str) -> FakeKey | None:
        bucket_name, key = _split(path)
        bucket = self.backend.buckets.get(bucket_name)
        found = bucket.keys.get(key) if bucket is not None and key else None
        return found if isinstance(found, FakeKey) else None

    def _existing(self, path: str) -> FakeKey:
        found = self._key(path)
        if found is None:
            raise FileNotFoundError(f"Path does not exist: s3://{path}")
        return found

    def _keys_under(self, path: str) -> list[str]:
        bucket_name, prefix = _split(path)
        bucket = self.backend.buckets.get(bucket_name)
        if bucket is None:
            return []
        prefix = prefix.rstrip("/") + "/" if prefix else ""
        return [k for k in list(bucket.keys.keys()) if k.startswith(prefix)]

    def get_type_name(self) -> str:
        return "lakehouse-moto-s3"

    def normalize_path(self, path: str) -> str:
        return path

    def equals(self, other: Any) -> bool:
        return isinstance(other, MotoS3) and (other.account_id, other.region) == (self.account_id, self.region)

    def get_file_info(self, paths: list[str]) -> list[FileInfo]:
        infos = []
        for path in paths:
            found = self._key(path)
            if found is not None:
                infos.append(FileInfo(path, FileType.File, size=found.size))
            elif (not _split(path)[1] and _split(path)[0] in self.backend.buckets) or self._keys_under(path):
                infos.append(FileInfo(path, FileType.Directory))
            else:
                infos.append(FileInfo(path, FileType.NotFound))
        return infos

    def get_file_info_selector(self, selector: FileSelector) -> list[FileInfo]:
        bucket, prefix = _split(selector.base_dir)
        base = prefix.rstrip("/") + "/" if prefix else ""
        infos: dict[str, FileInfo] = {}
        for key in self._keys_under(selector.base_dir):
            rest = key[len(base) :]
            if not selector.recursive and "/" in rest:
                child = f"{bucket}/{base}{rest.split('/', 1)[0]}"
                infos.setdefault(child, FileInfo(child, FileType.Directory))
                continue
            found = self._key(f"{bucket}/{key}")
            if found is not None:
                infos[f"{bucket}/{key}"] = FileInfo(f"{bucket}/{key}", FileType.File, size=found.size)
        return list(infos.values())

    def create_dir(self, path: str, recursive: bool) -> None:
        """S3 has no directories: nothing to create."""

    def delete_dir(self, path: str) -> None:
        self.delete_dir_contents(path, missing_dir_ok=True)

    def delete_dir_contents(self, path: str, missing_dir_ok: bool = False) -> None:
        bucket, _ = _split(path)
        for key in self._keys_under(path):
            self.backend.delete_object(bucket, key)

    def delete_root_dir_contents(self) -> None:
        raise PermissionError("the engine never empties every bucket")

    def delete_file(self, path: str) -> None:
        self._existing(path)
        self.backend.delete_object(*_split(path))

    def move(self, src: str, dest: str) -> None:
        self.copy_file(src, dest)
        self.delete_file(src)

    def copy_file(self, src: str, dest: str) -> None:
        body = self._existing(src).value
        self.backend.put_object(*_split(dest), body)

    def open_input_stream(self, path: str) -> pa.NativeFile:
        return pa.BufferReader(self._existing(path).value)

    def open_input_file(self, path: str) -> pa.NativeFile:
        return pa.BufferReader(self._existing(path).value)

    def open_output_stream(self, path: str, metadata: Any) -> pa.NativeFile:
        bucket, key = _split(path)
        if bucket not in self.backend.buckets:
            raise FileNotFoundError(f"Bucket does not exist: {bucket}")
        return pa.PythonFile(_Upload(self.backend, bucket, key), mode="w")

    def open_append_stream(self, path: str, metadata: Any) -> pa.NativeFile:
        raise OSError("S3 objects cannot be appended to")


class MotoFileIO(PyArrowFileIO):
    """pyiceberg's PyArrow file I/O, with ``s3://`` served from the emulator's own S3 state."""

    def __init__(self, properties: Properties = EMPTY_DICT) -> None:
        super().__init__(properties)
        self._s3 = PyFileSystem(MotoS3(str(properties[ACCOUNT_PROPERTY]), str(properties[REGION_PROPERTY])))

    def _initialize_fs(self, scheme: str, netloc: str | None = None) -> FileSystem:
        if scheme in {"s3", "s3a", "s3n"}:
            return self._s3
        return super()._initialize_fs(scheme, netloc)
