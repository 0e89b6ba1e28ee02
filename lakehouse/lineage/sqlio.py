"""What one SQL statement reads and writes, taken from the SQL itself (sqlglot, Athena dialect).

Deriving lineage from the statement (not from a hand-kept table of jobs) means a new or
changed ``.sql`` file gets correct lineage without anyone remembering to update it.
The written table is the target of CREATE/INSERT/MERGE/DELETE/UPDATE/DROP; everything
else the statement names (minus CTE names and the target) is read. An external table's
LOCATION is what it reads; a CREATE's column list is the output's schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from lakehouse.emulator.sql.dialect import READ
from lakehouse.lineage.naming import DatasetRef, athena_table, s3_location


class SqlLineageError(ValueError):
    """sqlglot could not parse the statement, so its inputs and outputs are unknown."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str


@dataclass
class StatementIO:
    """Datasets one statement reads and writes, and the schemas it declares for them."""

    kind: str
    inputs: list[DatasetRef] = field(default_factory=list)
    outputs: list[DatasetRef] = field(default_factory=list)
    schemas: dict[DatasetRef, list[Column]] = field(default_factory=dict)
    dropped: bool = False


def _table_ref(table: exp.Table, region: str, default_db: str) -> DatasetRef:
    return athena_table(region, table.db or default_db, table.name)


def _cte_names(tree: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}


def _target(tree: exp.Expression) -> exp.Table | None:
    this = tree.this if isinstance(tree, exp.Insert | exp.Merge | exp.Delete | exp.Update | exp.Create) else None
    if isinstance(tree, exp.Drop):  # sqlglot >= 30 keeps the dropped tables in ``tables``, not ``this``
        this = tree.this or next(iter(tree.args.get("tables") or []), None)
    if isinstance(this, exp.Schema):  # CREATE t (cols) / INSERT INTO t (cols)
        this = this.this
    return this if isinstance(this, exp.Table) else None


def _columns(tree: exp.Create) -> list[Column]:
    schema = tree.this
    if not isinstance(schema, exp.Schema):
        return []
    out = []
    for col in schema.expressions:
        if isinstance(col, exp.ColumnDef):
            kind = col.args.get("kind")
            out.append(Column(col.name, kind.sql(dialect=READ).lower() if kind is not None else "unknown"))
    return out


def statement_io(sql: str, region: str, default_db: str = "default") -> StatementIO:
    """Inputs and outputs of one Athena statement; raises ``SqlLineageError`` when it cannot be parsed.

    A function of its arguments, so it is remembered for them: every pipeline run's lineage and exit checks 2
    and 4 ask the same ~30 statements again (KPI-mttr's recoveries, each fault). Each call gets its own copy:
    callers may extend the lists.
    """
    found = _statement_io(sql, region, default_db)
    return StatementIO(
        found.kind,
        list(found.inputs),
        list(found.outputs),
        {k: list(v) for k, v in found.schemas.items()},
        found.dropped,
    )


@lru_cache(maxsize=1024)
def _statement_io(sql: str, region: str, default_db: str) -> StatementIO:
    """``statement_io`` uncached (a statement that does not parse raises, and is not remembered)."""
    try:
        tree = cast(exp.Expression, sqlglot.parse_one(sql, read=READ))
    except SqlglotError as err:
        raise SqlLineageError(f"cannot parse for lineage: {str(err).splitlines()[0]}") from None
    kind = type(tree).__name__.upper()
    io = StatementIO(kind=kind)
    target = _target(tree)
    ctes = _cte_names(tree)
    if target is not None:
        out = _table_ref(target, region, default_db)
        io.outputs.append(out)
        if isinstance(tree, exp.Drop):
            io.dropped = True
        if isinstance(tree, exp.Create):
            if columns := _columns(tree):
                io.schemas[out] = columns
            location = tree.find(exp.LocationProperty)
            external = tree.find(exp.ExternalProperty) is not None
            if external and location is not None and isinstance(location.this, exp.Literal):
                io.inputs.append(s3_location(location.this.name))
    seen = set(io.inputs) | set(io.outputs)
    for table in tree.find_all(exp.Table):
        if table is target or (not table.db and table.name.lower() in ctes) or not table.name:
            continue
        ref = _table_ref(table, region, default_db)
        if ref not in seen:
            seen.add(ref)
            io.inputs.append(ref)
    return io
