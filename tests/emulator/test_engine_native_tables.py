"""Snapshot copies (engine._NativeTables): made the second time a cached snapshot is read, dropped once released."""

from __future__ import annotations

import gc

import duckdb
import pyarrow as pa
import pytest

from lakehouse.emulator.sql import engine


def test_a_snapshot_read_twice_is_copied_once_and_the_copy_goes_with_it() -> None:
    tables = engine._NativeTables()
    data = pa.table({"a": [1, 2]})
    assert tables.name(data) is None  # read once: maybe never again, no copy
    name = tables.name(data)
    assert name is not None and name.startswith(f'"{engine._COPIES_SCHEMA}".')
    assert tables.name(data) == name
    con = engine._connection(parallel=False)
    try:
        assert con.execute(f"SELECT sum(a) FROM {name}").fetchone() == (3,)
        del data
        gc.collect()
        other = pa.table({"b": [1]})
        tables.name(other)
        tables.name(other)  # the next copy drops the ones nothing holds any more
        assert len(tables) == 1
        with pytest.raises(duckdb.CatalogException):
            con.execute(f"SELECT * FROM {name}")
    finally:
        con.close()


def test_equal_rows_in_another_object_are_not_taken_for_the_copy() -> None:
    tables = engine._NativeTables()
    first, second = pa.table({"a": [1]}), pa.table({"a": [1]})
    tables.name(first)
    assert tables.name(second) is None and tables.name(first) is not None


def test_big_snapshots_and_a_full_store_are_registered_instead() -> None:
    tables = engine._NativeTables(max_entries=1, max_bytes=64)
    big = pa.table({"a": list(range(100))})
    assert tables.name(big) is None and tables.name(big) is None
    small, another = pa.table({"a": [1]}), pa.table({"a": [2]})
    tables.name(small)
    assert tables.name(small) is not None
    tables.name(another)
    assert tables.name(another) is None  # the one copy allowed is in use
