"""The harness's reference queries for the p95 latency KPI: every row and every column of each Gold table.

The demo queries (``pipeline/demo/*.sql``) are the stack's own text: ``SELECT ... FROM gold.daily_revenue
LIMIT 1`` or a point lookup reads Gold by name, returns rows, and answers in milliseconds whatever Gold's
layout costs a real query (thousands of tiny files, no compaction, a Gold table that is a slow view). The
reference queries are the harness's: one per Gold table the data contracts require (``fixtures/contracts/
gold.*.yml``), ``count(*)`` plus ``count``/``min``/``max`` of every column the Glue catalog gives the table
(GetTable, read back: the table the stack really has), so neither a ``LIMIT`` nor an index can make them
cheap. A Gold table a demo query reads that no contract requires gets one as well. They run in the same
Locust load as the demo queries and are judged on their own p95; their first value (the rows counted) must be
the table's ``count(*)`` read untimed.
"""

from __future__ import annotations

import functools
from typing import Any

#: Timed query names of the reference set: ``reference:<table>`` (a demo query is a file stem).
PREFIX = "reference:"
#: Column types whose values have no order: only ``count`` of them (still read, NULL or not).
_UNORDERED = ("array", "map", "struct", "row", "binary", "varbinary", "json")

#: The reference query of one table: every row (``count(*)``) and every column (``{aggregates}``).
REFERENCE_SQL = """\
-- The harness's reference query (lakehouse.kpi.reference): every row and every column of {table}.
SELECT count(*) AS "rows_counted", {aggregates}
FROM {gold_db}.{table}"""
#: The table's row count, read untimed: what every timed reference answer must count.
COUNT_SQL = "SELECT count(*) FROM {gold_db}.{table}"


def reference_name(table: str) -> str:
    return f"{PREFIX}{table}"


def is_reference(name: str) -> bool:
    return name.startswith(PREFIX)


#: The set of the reference queries of Gold tables no contract requires, that only demo queries read.
DEMO_READ_SET = "demo-read reference"


def query_set(name: str) -> str:
    """``demo``, ``reference`` (a Gold table the contracts require) or ``demo-read reference`` (a Gold table only
    demo queries read): the set a timed query belongs to, judged with its own p95. The required tables are a set
    of their own: a stack adding twenty one-row Gold tables, each read by a demo query, would otherwise put a slow
    required table under 5 % of the reference samples, above the set's 95th rank and unseen."""
    if not is_reference(name):
        return "demo"
    return "reference" if name.removeprefix(PREFIX) in _required() else DEMO_READ_SET


def required_gold_tables() -> list[str]:
    """The Gold tables the plan's data contracts name (``gold.<table>``), sorted: one reference query each."""
    from lakehouse.contracts import DERIVED_LAYER, load_contracts

    layer = f"{DERIVED_LAYER}."
    return sorted(c.table.removeprefix(layer) for c in load_contracts() if c.table.startswith(layer))


@functools.cache
def _required() -> frozenset[str]:
    """``required_gold_tables``, read once (``query_set`` is asked for every sample)."""
    return frozenset(required_gold_tables())


def required_gold_columns() -> dict[str, list[str]]:
    """Each required Gold table's columns as its contract judges them (every judged column has a null rule)."""
    from lakehouse.contracts import DERIVED_LAYER, load_contracts

    layer = f"{DERIVED_LAYER}."
    return {
        c.table.removeprefix(layer): sorted({str(e.kwargs["column"]) for e in c.expectations if e.null_rule})
        for c in load_contracts()
        if c.table.startswith(layer)
    }


#: The type of a column the contract judges and Glue's GetTable does not give: ``count`` only (type unknown).
CONTRACT_ONLY = "(in the contract, not in Glue)"


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def reference_sql(gold_db: str, table: str, columns: list[tuple[str, str]]) -> str:
    """``count(*)`` and, per column, ``count`` (and ``min``/``max`` when its type is ordered): every value read."""
    aggregates: list[str] = []
    for name, type_ in columns:
        q = _quote(name)
        aggregates.append(f"count({q})")
        if type_ != CONTRACT_ONLY and not type_.strip().lower().startswith(_UNORDERED):
            aggregates += [f"min({q})", f"max({q})"]
    return REFERENCE_SQL.format(table=table, gold_db=gold_db, aggregates=", ".join(aggregates))


def glue_columns(glue: Any, database: str, table: str) -> list[tuple[str, str]]:
    """The table's columns and partition keys as GetTable answers them: ``(name, type)``."""
    found = glue.get_table(DatabaseName=database, Name=table)["Table"]
    columns = list((found.get("StorageDescriptor") or {}).get("Columns") or []) + list(found.get("PartitionKeys") or [])
    return [(str(c["Name"]), str(c.get("Type", ""))) for c in columns]


def reference_queries(
    glue: Any,
    gold_db: str,
    tables: list[str],
    read_by_demos: dict[str, list[str]] | None = None,
    contract_columns: dict[str, list[str]] | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Each required Gold table's reference query (its columns read back from Glue), and one problem per table
    that cannot have one: not in the catalog, or no columns (nothing to read is no latency of Gold's).

    ``read_by_demos``: Gold tables the demo queries read (table -> demo names). Those no contract requires get a
    reference query too: a demo's ``LIMIT 1`` over such a table would otherwise be its only timing.

    ``contract_columns`` (``required_gold_columns``): a column the contract judges that GetTable does not give is
    read too. Athena reads an Iceberg table's schema from its metadata, not Glue's column list: a Glue entry
    listing one small column made the reference query skip every other column of the table.
    """
    queries: dict[str, str] = {}
    problems: list[str] = []
    if not tables:
        problems.append("the contracts require no Gold table: there is no reference query to time")
    why = {t: "a Gold table the contracts require" for t in tables}
    for table, demos in sorted((read_by_demos or {}).items()):
        why.setdefault(table, f"a Gold table demo query {', '.join(sorted(demos))} reads")
    for table in sorted(why):
        try:
            columns = glue_columns(glue, gold_db, table)
        except glue.exceptions.EntityNotFoundException:
            problems.append(f"{gold_db}.{table}, {why[table]}, is not in the Glue catalog")
            continue
        if not columns:
            problems.append(f"Glue's GetTable gives {gold_db}.{table} no columns: no reference query can read it")
            continue
        in_glue = {name.lower() for name, _ in columns}
        columns += [(c, CONTRACT_ONLY) for c in (contract_columns or {}).get(table, []) if c.lower() not in in_glue]
        queries[reference_name(table)] = reference_sql(gold_db, table, columns)
    return queries, problems


def count_sql(gold_db: str, table: str) -> str:
    return COUNT_SQL.format(gold_db=gold_db, table=table)
