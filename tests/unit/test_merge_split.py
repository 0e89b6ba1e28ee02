"""A MERGE's inserts selected apart give the table and count the whole MERGE gives.

The engine runs a MERGE's ``WHEN NOT MATCHED THEN INSERT`` as a query straight into Arrow and
only its MATCHED clauses as a MERGE on the working copy (``_Run.changed_rows``, issue 16). Each
case here runs one MERGE both ways on the same working copy, in the engine's own DuckDB, and
compares the rows the commit would write and the count Athena reports; the cases that can be
split are checked to have been split, the others to have run whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.schema import Schema
from pyiceberg.types import DecimalType, LongType, NestedField, StringType

from lakehouse.emulator.sql import dialect, engine
from lakehouse.emulator.sql.access import Access
from lakehouse.emulator.sql.errors import AthenaError

SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=False),
    NestedField(2, "v", StringType(), required=False),
    NestedField(3, "amount", DecimalType(10, 2), required=False),
)
TARGET = pa.table(
    {
        "id": pa.array([1, 2, 3, None], pa.int64()),
        "v": pa.array(["one", "two", None, "nokey"], pa.large_string()),
        "amount": pa.array([None, None, None, None], pa.decimal128(10, 2)),
    }
)
SOURCE = (
    "SELECT * FROM (VALUES (1, 'ONE', 'u'), (2, 'x', 'd'), (3, 'three', 'k'), (4, 'four', 'i'), "
    "(NULL, 'null key', 'i')) AS s(id, v, op)"
)


class _Table:
    """What ``_iceberg_typed`` asks of a pyiceberg table: its schema."""

    def schema(self) -> Schema:
        return SCHEMA


@contextmanager
def _run(sql: str) -> Iterator[tuple[Any, Any]]:
    """A statement's run on its working copy (``TARGET``) with its source materialized, as ``_rewrite`` leaves it."""
    run = engine._Run(None, engine._parsed(sql), "default", None, Access.unrestricted())  # type: ignore[arg-type]
    try:
        tree = run.tree()
        run.working_copy(TARGET)
        dialect.replace_table(dialect.target_table(tree), "__target")
        run.materialize_source(tree)
        run.refuse_multiple_matches(tree)
        yield run, tree
    finally:
        run.close()


def _both_ways(sql: str) -> tuple[tuple[int, list[tuple[Any, ...]]], tuple[int, list[tuple[Any, ...]]], bool]:
    """``(count, rows)`` of the whole MERGE, the same split, and whether it was split."""
    out = []
    split = False
    for splitting in (False, True):
        with _run(sql) as (run, tree):
            clauses = len(tree.args["whens"].expressions)
            count, rows = run.changed_rows(tree, _Table(), split=splitting)
            if splitting:
                split = len(tree.args["whens"].expressions) < clauses
            listed = sorted((tuple(r.values()) for r in rows.to_pylist()), key=repr) if rows is not None else []
            if rows is not None:
                assert rows.schema == SCHEMA.as_arrow()
            out.append((count, listed))
    return out[0], out[1], split


SPLIT = {
    "updates, deletes and inserts": (
        f"MERGE INTO t USING ({SOURCE}) s ON t.id = s.id "
        "WHEN MATCHED AND s.op = 'd' THEN DELETE WHEN MATCHED THEN UPDATE SET v = s.v "
        "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)"
    ),
    "an insert only when its condition holds, values computed and cast": (
        f"MERGE INTO t AS tt USING ({SOURCE}) src ON tt.id = src.id "
        "WHEN NOT MATCHED AND src.id IS NOT NULL THEN INSERT (amount, id, v) "
        "VALUES (src.id * 1.5, src.id, upper(src.v) || '!')"
    ),
    "inserts judged on the target before its rows were updated": (
        f"MERGE INTO t USING ({SOURCE}) s ON t.id = s.id "
        "WHEN MATCHED AND s.op = 'u' THEN UPDATE SET id = 4 "
        "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)"
    ),
    "nothing inserted, rows updated": (
        "MERGE INTO t USING (SELECT 1 AS id, 'uno' AS v) s ON t.id = s.id "
        "WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)"
    ),
    "nothing changes at all": (
        "MERGE INTO t USING (SELECT 1 AS id, 'one' AS v) s ON t.id = s.id "
        "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)"
    ),
}
WHOLE = {
    "NOT MATCHED before MATCHED": (
        f"MERGE INTO t USING ({SOURCE}) s ON t.id = s.id "
        "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v) WHEN MATCHED THEN DELETE"
    ),
    "an unqualified name in ON": (
        "MERGE INTO t USING (SELECT 4 AS key, 'w' AS w) s ON id = s.key "
        "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.key, s.w)"
    ),
    "no NOT MATCHED clause": f"MERGE INTO t USING ({SOURCE}) s ON t.id = s.id WHEN MATCHED THEN DELETE",
}


@pytest.mark.parametrize("sql", SPLIT.values(), ids=SPLIT.keys())
def test_a_split_merge_writes_the_rows_and_count_of_the_whole_merge(sql: str) -> None:
    whole, split, was_split = _both_ways(sql)
    assert was_split, "the MERGE was expected to take the split path"
    assert split == whole


@pytest.mark.parametrize("sql", WHOLE.values(), ids=WHOLE.keys())
def test_a_merge_that_cannot_be_split_runs_whole(sql: str) -> None:
    whole, split, was_split = _both_ways(sql)
    assert not was_split
    assert split == whole


def test_the_updates_deletes_and_inserts_are_the_expected_rows() -> None:
    """The twin runs agree; this pins what they agree on, so both cannot be wrong the same way."""
    (count, rows), _, _ = _both_ways(SPLIT["updates, deletes and inserts"])
    assert count == 5  # 1 and 3 updated, 2 deleted, 4 and the NULL key inserted
    assert rows == sorted(
        [(1, "ONE", None), (3, "three", None), (None, "nokey", None), (4, "four", None), (None, "null key", None)],
        key=repr,
    )


def test_an_insert_that_fails_fails_as_the_whole_merge_does() -> None:
    sql = (
        "MERGE INTO t USING (SELECT 9 AS id, 'abc' AS v) s ON t.id = s.id "
        "WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.v, s.v)"
    )
    errors = []
    for splitting in (False, True):
        with _run(sql) as (run, tree), pytest.raises(AthenaError) as failed:
            run.changed_rows(tree, _Table(), split=splitting)
        errors.append(str(failed.value))
    assert errors[0] == errors[1]
    assert "abc" in errors[0]
