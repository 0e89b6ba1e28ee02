"""A MERGE target row matched by two source rows fails only when both take the same WHEN clause (or none), as in Trino.

Trino's ``QueryPlanner.plan(Merge)`` numbers the clause each joined row takes (the first whose condition holds, -1
for none) and raises MERGE_TARGET_ROW_MULTIPLE_MATCHES on a target row seen twice with one number (``MarkDistinct``
over the row's unique id and that number). The emulator refused any second match: a MERGE that Athena runs (one
source row updating a row, another deleting it) failed locally. Trino's Iceberg MERGE then deletes the target row
as it was and inserts the updated row (delete and insert), where DuckDB's MERGE would apply both clauses to one row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa
import pytest
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType

from lakehouse.emulator.sql import dialect, engine
from lakehouse.emulator.sql.access import Access
from lakehouse.emulator.sql.errors import AthenaError

SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=False),
    NestedField(2, "v", StringType(), required=False),
)
TARGET = pa.table({"id": pa.array([1, 2], pa.int64()), "v": pa.array(["one", "two"], pa.large_string())})


class _Table:
    """What ``_iceberg_typed`` asks of a pyiceberg table: its schema."""

    def schema(self) -> Schema:
        return SCHEMA


@contextmanager
def _run(source_rows: str, clauses: str) -> Iterator[tuple[Any, Any]]:
    """A MERGE of ``source_rows`` (``(id, v, op)`` tuples) into ``TARGET`` on ``id``, on its working copy."""
    sql = f"MERGE INTO t USING (SELECT * FROM (VALUES {source_rows}) AS s(id, v, op)) s ON t.id = s.id {clauses}"
    run = engine._Run(None, engine._parsed(sql), "default", None, Access.unrestricted())  # type: ignore[arg-type]
    try:
        tree = run.tree()
        run.working_copy(TARGET)
        dialect.replace_table(dialect.target_table(tree), "__target")
        run.materialize_source(tree)
        yield run, tree
    finally:
        run.close()


def _rows(rows: pa.Table | None) -> list[tuple[Any, ...]]:
    return sorted((tuple(r.values()) for r in rows.to_pylist()), key=repr) if rows is not None else []


UPDATE_OR_DELETE = "WHEN MATCHED AND s.op = 'u' THEN UPDATE SET v = s.v WHEN MATCHED AND s.op = 'd' THEN DELETE"


def test_two_source_rows_taking_different_clauses_pass_and_change_the_row_as_trino_does() -> None:
    """Target row 1: one source row updates it, one deletes it. Athena runs the MERGE: the row as it was is
    deleted (twice) and the updated row inserted; both joined rows count."""
    with _run("(1, 'ONE', 'u'), (1, 'gone', 'd')", UPDATE_OR_DELETE) as (run, tree):
        assert run.refuse_multiple_matches(tree) is True  # main: MERGE_TARGET_ROW_MULTIPLE_MATCHES
        count, rows = run.merge_apart(tree, _Table())
    assert count == 2
    assert _rows(rows) == [(1, "ONE"), (2, "two")]


def test_two_updates_by_different_clauses_insert_two_rows() -> None:
    """Two UPDATE clauses on one target row: each inserts its own row from the row as it was (Iceberg's delete and
    insert), not one update applied over the other."""
    clauses = "WHEN MATCHED AND s.op = 'u' THEN UPDATE SET v = s.v WHEN MATCHED THEN UPDATE SET v = 'other'"
    with _run(
        "(1, 'ONE', 'u'), (1, 'x', 'k'), (3, 'new', 'i')",
        f"{clauses} WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)",
    ) as (run, tree):
        count, rows = run.merged_rows(tree, _Table())
    assert count == 3
    assert _rows(rows) == [(1, "ONE"), (1, "other"), (2, "two"), (3, "new")]


@pytest.mark.parametrize(
    ("source_rows", "clauses"),
    [
        ("(1, 'a', 'u'), (1, 'b', 'u')", UPDATE_OR_DELETE),  # both take the UPDATE clause
        ("(1, 'a', 'k'), (1, 'b', 'k')", UPDATE_OR_DELETE),  # both take no clause
        ("(1, 'a', 'u'), (1, 'b', 'd')", "WHEN MATCHED THEN UPDATE SET v = s.v"),  # the one clause, twice
    ],
    ids=["same-clause", "no-clause", "one-clause"],
)
def test_two_source_rows_taking_the_same_clause_still_fail(source_rows: str, clauses: str) -> None:
    with _run(source_rows, clauses) as (run, tree), pytest.raises(AthenaError) as err:
        run.refuse_multiple_matches(tree)
    assert err.value.name == "MERGE_TARGET_ROW_MULTIPLE_MATCHES"
    assert "One MERGE target table row matched more than one source row" in str(err.value)


def test_one_row_taking_a_clause_and_one_taking_none_runs_as_before() -> None:
    """Healthy twin: the second source row of target row 1 takes no clause; nothing else changes."""
    with _run("(1, 'ONE', 'u'), (1, 'kept', 'k'), (2, 'gone', 'd')", UPDATE_OR_DELETE) as (run, tree):
        count, rows = run.merged_rows(tree, _Table())
    assert count == 2
    assert _rows(rows) == [(1, "ONE")]
