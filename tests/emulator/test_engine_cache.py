"""The Athena engine's read cache never serves stale data, and never serves a result.

The engine keeps Iceberg metadata and a snapshot's rows between statements (``scancache``). Each
test changes what a query must see (a commit through Athena or past it, time travel, a table
dropped and made again at the same place, a data file overwritten or deleted behind Iceberg's
back, a Lake Formation grant) and checks the next query sees the change; the pure tests pin the
cache's own rules (validity, bounds).
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from pyathena.error import OperationalError

from lakehouse.emulator.process import EmulatorHandle
from lakehouse.emulator.sql.scancache import ExactCache, Sources
from lakehouse.iceberg import local_catalog
from lakehouse.target import LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY
from tests.emulator.lf_stack import Lake, build_lake

REGION = "ca-central-1"
DB = "cache_lake"


@pytest.fixture(scope="module")
def lake(emulator: EmulatorHandle) -> Lake:
    return build_lake(emulator, REGION, DB)


@pytest.fixture
def admin(lake: Lake) -> Iterator[Any]:
    with lake.cursor() as cursor:
        yield cursor


def _table(lake: Lake, admin: Any, name: str | None = None) -> str:
    name = name or f"t_{uuid.uuid4().hex[:8]}"
    admin.execute(
        f"CREATE TABLE {name} (id int, v string) LOCATION 's3://{lake.bucket}/{name}/' "
        "TBLPROPERTIES ('table_type'='ICEBERG', 'format'='parquet')"
    )
    return name


def _rows(cursor: Any, sql: str) -> list[tuple[Any, ...]]:
    cursor.execute(sql)
    return list(cursor.fetchall())


def _iceberg(lake: Lake, name: str) -> Any:
    catalog = local_catalog("test", lake.emulator.endpoint, REGION, LOCAL_ACCESS_KEY, LOCAL_SECRET_KEY)
    return catalog.load_table(f"{DB}.{name}")


def _data_file(lake: Lake, name: str) -> tuple[str, str]:
    """(bucket, key) of the table's only data file."""
    [task] = list(_iceberg(lake, name).scan().plan_files())
    bucket, _, key = task.file.file_path.removeprefix("s3://").partition("/")
    return bucket, key


# ---------------------------------------------------------------- through the emulator


def test_every_commit_through_athena_is_read_at_once(lake: Lake, admin: Any) -> None:
    name = _table(lake, admin)
    admin.execute(f"INSERT INTO {name} VALUES (1, 'a')")
    assert _rows(admin, f"SELECT id, v FROM {name}") == [(1, "a")]
    admin.execute(f"INSERT INTO {name} VALUES (2, 'b')")
    assert _rows(admin, f"SELECT id, v FROM {name} ORDER BY id") == [(1, "a"), (2, "b")]
    admin.execute(f"UPDATE {name} SET v = 'B' WHERE id = 2")
    assert _rows(admin, f"SELECT id, v FROM {name} ORDER BY id") == [(1, "a"), (2, "B")]
    admin.execute(f"DELETE FROM {name} WHERE id = 1")
    assert _rows(admin, f"SELECT id, v FROM {name}") == [(2, "B")]
    admin.execute(
        f"MERGE INTO {name} t USING (SELECT 3 AS id, 'c' AS v) s ON t.id = s.id "
        "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)"
    )
    assert _rows(admin, f"SELECT id, v FROM {name} ORDER BY id") == [(2, "B"), (3, "c")]


def test_a_commit_made_past_athena_is_read_at_once(lake: Lake, admin: Any) -> None:
    name = _table(lake, admin)
    admin.execute(f"INSERT INTO {name} VALUES (1, 'a')")
    assert _rows(admin, f"SELECT count(*) FROM {name}") == [(1,)]
    table = _iceberg(lake, name)
    table.append(pa.table({"id": pa.array([2], pa.int32()), "v": ["b"]}, schema=table.schema().as_arrow()))
    assert _rows(admin, f"SELECT id FROM {name} ORDER BY id") == [(1,), (2,)]


def test_time_travel_reads_its_own_snapshot_after_newer_ones_were_read(lake: Lake, admin: Any) -> None:
    name = _table(lake, admin)
    admin.execute(f"INSERT INTO {name} VALUES (1, 'a')")
    first = _iceberg(lake, name).current_snapshot().snapshot_id
    assert _rows(admin, f"SELECT id FROM {name}") == [(1,)]
    admin.execute(f"INSERT INTO {name} VALUES (2, 'b')")
    assert _rows(admin, f"SELECT id FROM {name} ORDER BY id") == [(1,), (2,)]
    assert _rows(admin, f"SELECT id FROM {name} FOR VERSION AS OF {first}") == [(1,)]
    assert _rows(admin, f"SELECT id FROM {name} ORDER BY id") == [(1,), (2,)]


def test_a_table_dropped_and_made_again_at_the_same_place_shows_only_its_new_rows(lake: Lake, admin: Any) -> None:
    name = _table(lake, admin)
    admin.execute(f"INSERT INTO {name} VALUES (1, 'old')")
    assert _rows(admin, f"SELECT v FROM {name}") == [("old",)]
    admin.execute(f"DROP TABLE {name}")
    _table(lake, admin, name)
    assert _rows(admin, f"SELECT v FROM {name}") == []
    admin.execute(f"INSERT INTO {name} VALUES (2, 'new')")
    assert _rows(admin, f"SELECT id, v FROM {name}") == [(2, "new")]


def test_a_data_file_overwritten_behind_icebergs_back_is_read_again(lake: Lake, admin: Any) -> None:
    name, other = _table(lake, admin), _table(lake, admin)
    admin.execute(f"INSERT INTO {name} VALUES (1, 'kept')")
    admin.execute(f"INSERT INTO {other} VALUES (1, 'swapped in')")
    assert _rows(admin, f"SELECT v FROM {name}") == [("kept",)]
    s3 = lake.client("s3")
    source_bucket, source_key = _data_file(lake, other)
    body = s3.get_object(Bucket=source_bucket, Key=source_key)["Body"].read()
    bucket, key = _data_file(lake, name)
    s3.put_object(Bucket=bucket, Key=key, Body=body)  # same Iceberg metadata, other bytes
    assert _rows(admin, f"SELECT v FROM {name}") == [("swapped in",)]


def test_rows_kept_from_a_write_are_the_rows_its_files_hold(lake: Lake, admin: Any) -> None:
    """A commit's rows are kept as its snapshot's scan (``remember_written``): they read as the files do."""
    name = _table(lake, admin)
    admin.execute(f"INSERT INTO {name} VALUES (3, 'c'), (1, NULL), (2, ''), (NULL, 'n')")
    admin.execute(
        f"MERGE INTO {name} t USING (SELECT 2 AS id, 'B' AS v) s ON t.id = s.id "
        "WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)"
    )
    through_athena = _rows(admin, f"SELECT id, v FROM {name}")
    files = _iceberg(lake, name).scan().to_arrow()
    assert through_athena == [(r["id"], r["v"]) for r in files.to_pylist()]
    assert sorted(through_athena, key=str) == sorted([(3, "c"), (1, None), (2, "B"), (None, "n")], key=str)


def test_a_merge_that_updates_deletes_and_inserts_commits_a_snapshot_holding_its_rows(lake: Lake, admin: Any) -> None:
    """The MERGE's inserts, selected apart from its MATCHED clauses (issue 16), land in a real new snapshot."""
    name = _table(lake, admin)
    admin.execute(f"INSERT INTO {name} VALUES (1, 'one'), (2, 'two'), (3, 'three'), (NULL, 'no key')")
    admin.execute(
        f"MERGE INTO {name} t USING (SELECT * FROM (VALUES (1, 'ONE', 'u'), (2, 'x', 'd'), (4, 'four', 'i'), "
        "(NULL, 'null key', 'i')) AS s(id, v, op)) s ON t.id = s.id "
        "WHEN MATCHED AND s.op = 'd' THEN DELETE WHEN MATCHED THEN UPDATE SET v = s.v "
        "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)"
    )
    assert admin.rowcount == 4  # 1 updated, 2 deleted, 4 and the NULL key inserted
    expected = sorted([(1, "ONE"), (3, "three"), (None, "no key"), (4, "four"), (None, "null key")], key=str)
    assert sorted(_rows(admin, f"SELECT id, v FROM {name}"), key=str) == expected
    table = _iceberg(lake, name)
    assert sorted(((r["id"], r["v"]) for r in table.scan().to_arrow().to_pylist()), key=str) == expected
    # pyiceberg's overwrite commits a delete then an append: the MERGE's snapshots follow the INSERT's
    inserted, *merged = [entry.snapshot_id for entry in table.history()]
    assert merged and merged[-1] == table.current_snapshot().snapshot_id
    chain = [inserted, *merged]
    assert [table.snapshot_by_id(s).parent_snapshot_id for s in merged] == chain[:-1]
    assert table.snapshot_by_id(merged[-1]).summary.operation.value in ("overwrite", "append")
    before = table.scan(snapshot_id=inserted).to_arrow().to_pylist()
    assert sorted(((r["id"], r["v"]) for r in before), key=str) == sorted(
        [(1, "one"), (2, "two"), (3, "three"), (None, "no key")], key=str
    )


def test_a_deleted_data_file_fails_the_query_instead_of_answering_from_memory(lake: Lake, admin: Any) -> None:
    name = _table(lake, admin)
    admin.execute(f"INSERT INTO {name} VALUES (1, 'a')")
    assert _rows(admin, f"SELECT v FROM {name}") == [("a",)]
    bucket, key = _data_file(lake, name)
    lake.client("s3").delete_object(Bucket=bucket, Key=key)
    with pytest.raises(OperationalError):
        admin.execute(f"SELECT v FROM {name}")


def test_a_grant_change_applies_to_the_next_query(lake: Lake, admin: Any) -> None:
    """Rows are cached, who sees which columns is not: the analyst's next query follows the grants."""
    columns = {"DatabaseName": DB, "Name": "users"}
    wide = {"TableWithColumns": {**columns, "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]}}}
    narrow = {"TableWithColumns": {**columns, "ColumnNames": ["user_id", "country"]}}
    with lake.cursor("analyst") as analyst:
        analyst.execute("SELECT * FROM users ORDER BY user_id")
        assert [d[0] for d in analyst.description] == ["user_id", "email", "country"]
        lake.revoke("analyst", wide, ["SELECT"])
        lake.grant("analyst", narrow, ["SELECT"])
        try:
            analyst.execute("SELECT * FROM users ORDER BY user_id")
            assert [d[0] for d in analyst.description] == ["user_id", "country"]
            with pytest.raises(OperationalError, match="Column 'email' cannot be resolved"):
                analyst.execute("SELECT email FROM users")
            lake.revoke("analyst", narrow, ["SELECT"])
            with pytest.raises(OperationalError, match="Insufficient"):
                analyst.execute("SELECT user_id FROM users")
        finally:
            lake.grant("analyst", wide, ["SELECT"])
        analyst.execute("SELECT * FROM users ORDER BY user_id")
        assert [d[0] for d in analyst.description] == ["user_id", "email", "country"]


def test_the_same_query_twice_runs_twice_and_is_billed_twice(lake: Lake, admin: Any) -> None:
    name = _table(lake, admin)
    admin.execute(f"INSERT INTO {name} VALUES (1, 'a')")
    admin.execute(f"SELECT * FROM {name}")
    first = admin.query_id
    admin.execute(f"SELECT * FROM {name}")
    second = admin.query_id
    athena = lake.client("athena")
    runs = [athena.get_query_execution(QueryExecutionId=q)["QueryExecution"] for q in (first, second)]
    assert first != second
    assert all(r["Status"]["State"] == "SUCCEEDED" for r in runs)
    scanned = [r["Statistics"]["DataScannedInBytes"] for r in runs]
    assert scanned[0] > 0 and scanned[0] == scanned[1]
    assert not any(r["Statistics"]["ResultReuseInformation"]["ReusedPreviousResult"] for r in runs)


# ---------------------------------------------------------------- the cache's own rules


class _Object:
    """Stands in for moto's key record (compared by identity)."""


def test_an_entry_is_valid_only_while_every_object_it_read_is_still_the_one_held() -> None:
    store: dict[str, _Object] = {"s3://b/meta": _Object(), "s3://b/data": _Object()}
    cache: ExactCache[str] = ExactCache(max_entries=4)
    cache.put("k", "rows", Sources.taken(store.get, store))
    assert cache.get("k", store.get) == "rows"
    store["s3://b/data"] = _Object()  # overwritten
    assert cache.get("k", store.get) is None
    assert len(cache) == 0
    cache.put("k", "rows", Sources.taken(store.get, store))
    del store["s3://b/meta"]  # deleted
    assert cache.get("k", store.get) is None


def test_nothing_is_kept_when_an_object_was_missing_when_read() -> None:
    cache: ExactCache[str] = ExactCache(max_entries=4)
    nothing: dict[str, object] = {}
    sources = Sources.taken(nothing.get, ["s3://b/gone"])
    assert sources is None
    cache.put("k", "rows", sources)
    assert len(cache) == 0


def test_an_object_record_that_is_gone_from_memory_invalidates_the_entry() -> None:
    store: dict[str, _Object] = {"s3://b/k": _Object()}
    sources = Sources.taken(store.get, store)
    assert sources is not None and sources.current(store.get)
    ref = weakref.ref(store["s3://b/k"])
    store.clear()
    assert ref() is None
    store["s3://b/k"] = _Object()  # a new record under the same key
    assert not sources.current(store.get)


def test_the_cache_is_bounded_in_entries_and_in_bytes() -> None:
    obj = _Object()
    probe = {"s3://b/k": obj}.get
    cache: ExactCache[int] = ExactCache(max_entries=2, max_size=100)
    for key in ("a", "b", "c"):
        cache.put(key, 1, Sources.taken(probe, ["s3://b/k"]), size=10)
    assert len(cache) == 2 and cache.get("a", probe) is None  # least recently used went first
    cache.put("big", 1, Sources.taken(probe, ["s3://b/k"]), size=51)  # over half the bound
    assert cache.get("big", probe) is None
    cache.put("d", 1, Sources.taken(probe, ["s3://b/k"]), size=50)
    cache.put("e", 1, Sources.taken(probe, ["s3://b/k"]), size=50)
    assert cache.size <= 100 and len(cache) <= 2
    off: ExactCache[int] = ExactCache(max_entries=2, max_size=0)
    off.put("x", 1, Sources.taken(probe, ["s3://b/k"]), size=1)
    assert len(off) == 0
