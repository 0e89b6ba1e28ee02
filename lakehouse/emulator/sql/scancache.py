"""What the engine may reuse between statements: Iceberg metadata and a snapshot's rows, never a result.

Iceberg files are immutable once written (every commit writes new ones, under new names), so a
table's metadata keyed by its metadata location, and a snapshot's rows keyed by (metadata location,
snapshot), are exact. To stay exact even when someone overwrites or deletes a file behind Iceberg's
back, every entry remembers the S3 objects it was read from (metadata file, manifest list,
manifests, data and delete files) as the emulator's own object records, taken *before* their bytes
were read: an entry is used only while each of those records is still the one S3 holds under its
key; otherwise it is dropped and the table is read again (and fails as reading it fails).

Which snapshot a statement reads is still decided per statement, from Glue's current
``metadata_location``. Who may see which rows and columns (Lake Formation) is applied after the
read, per statement, on the cached rows: nothing about the caller is cached. Query results are never
cached (Athena's result reuse is not emulated).
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

#: ``uri -> the object record S3 holds under it now`` (None: no such object).
Probe = Callable[[str], object | None]
#: Memory the cached snapshot rows may take (Arrow bytes), in MB; 0 turns the row cache off.
CACHE_MB_ENV = "LAKEHOUSE_EMULATOR_SCAN_CACHE_MB"
DEFAULT_CACHE_MB = 512

V = TypeVar("V")


@dataclass(frozen=True)
class Sources:
    """The S3 objects an entry was read from, each as the record S3 held when it was read."""

    refs: tuple[tuple[str, weakref.ref[Any]], ...]

    @classmethod
    def taken(cls, probe: Probe, uris: Iterable[str]) -> Sources | None:
        """Take the records of ``uris`` now (before reading them); None when one is missing."""
        refs = []
        for uri in dict.fromkeys(uris):
            found = probe(uri)
            if found is None:
                return None
            refs.append((uri, weakref.ref(found)))
        return cls(tuple(refs))

    def __add__(self, other: Sources) -> Sources:
        return Sources(self.refs + other.refs)

    def current(self, probe: Probe) -> bool:
        """Whether every object is still the one that was read (not overwritten, not deleted)."""
        for uri, ref in self.refs:
            held = ref()
            if held is None or probe(uri) is not held:
                return False
        return True


class ExactCache(Generic[V]):
    """A least-recently-used map whose entries are valid only while their ``Sources`` are current.

    Bounded by entries and by a size the caller gives each value (bytes); a value larger than half
    the bound is not kept (two always fit). Half, not less: a million staged rows of eight strings
    (~133 MB of Arrow) are read by the MERGE after them, the INSERT of the refused rows and the
    accounting, and at a quarter of the default bound (128 MB) each of them read the snapshot anew.
    Thread-safe.
    """

    def __init__(self, max_entries: int, max_size: int | None = None) -> None:
        self.max_entries = max_entries
        self.max_size = max_size
        self._entries: OrderedDict[Any, tuple[V, Sources, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Any, probe: Probe) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[1].current(probe):
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[0]
            if entry is not None:
                self._drop(key)
            self.misses += 1
            return None

    def put(self, key: Any, value: V, sources: Sources | None, size: int = 0) -> None:
        """Keep ``value`` (read from ``sources``); nothing is kept without sources or when too big."""
        if sources is None or self.max_entries <= 0:
            return
        if self.max_size is not None and size * 2 > self.max_size:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (value, sources, size)
            self._size += size
            while len(self._entries) > self.max_entries or (self.max_size is not None and self._size > self.max_size):
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._size

    def _drop(self, key: Any) -> None:
        _, _, size = self._entries.pop(key)
        self._size -= size


def cache_bytes() -> int:
    """The row cache's bound from the environment (MB), else the default."""
    raw = os.environ.get(CACHE_MB_ENV, "")
    mb = int(raw) if raw.strip().isdigit() else DEFAULT_CACHE_MB
    return mb * 1024 * 1024
