"""Stable OpenLineage job names for the pipeline's statements: what they do, not where they sit.

Marquez keeps run history per job name, so a name must survive edits of the ``.sql`` files. A
statement's job is named after the table it writes and its operation,
``<database>.<table>.<operation>`` (``lh_t_gold.daily_revenue.merge``; operations ``create``,
``insert``, ``merge``, ``delete``, ``update``, ``drop``). Inserting, removing or reordering other
statements renames nothing. Only a second statement with the same table and operation in the
same run gets a suffix (``....insert.2``, in run order). A statement that writes no table, or
whose SQL cannot be parsed, keeps its place name ``<file>.<n>``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from lakehouse.lineage.naming import CATALOG
from lakehouse.lineage.sqlio import SqlLineageError, StatementIO, statement_io
from lakehouse.pipeline.sqlfiles import SqlStatement


def base_name(stmt: SqlStatement, io: StatementIO | None) -> str:
    """``<database>.<table>.<operation>`` of the table ``stmt`` writes, else its place ``<file>.<n>``."""
    if io is None or not io.outputs:
        return stmt.job
    target = io.outputs[0]
    if not target.namespace.startswith("awsathena://"):
        return stmt.job
    table = target.name.removeprefix(f"{CATALOG}.")
    return f"{table}.{io.kind.lower()}"


class JobNamer:
    """Names statements in run order; the n-th statement with the same base name gets ``.n`` (n >= 2)."""

    def __init__(self, region: str):
        self.region = region
        self._seen: Counter[str] = Counter()

    def name(self, stmt: SqlStatement, io: StatementIO | None = None) -> str:
        if io is None:
            try:
                io = statement_io(stmt.sql, self.region)
            except SqlLineageError:
                io = None
        base = base_name(stmt, io)
        self._seen[base] += 1
        count = self._seen[base]
        return base if count == 1 else f"{base}.{count}"


def job_names(statements: Iterable[SqlStatement], region: str) -> list[str]:
    """The job name of every statement of one pipeline run, in run order."""
    namer = JobNamer(region)
    return [namer.name(stmt) for stmt in statements]
