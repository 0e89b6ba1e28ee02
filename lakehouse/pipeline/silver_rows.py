"""Every row a run wrote to Silver came from a line of that run: the accounting read from Silver's side.

The line accounting follows lines to tables; a row no line became is none of its business, so a Silver that
writes a made-up row (a newer version of a key, say, so the real line of that key is refused as "older than the
row silver holds") adds up. The rows the run wrote are those Silver holds now and did not hold before the run
(``before``: the Iceberg snapshot current when the run started, read by time travel, ``as_of``); each must be
what one of the run's staged lines Silver took becomes (the accounting family's ``holds`` condition).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lakehouse.pipeline.refusals import FAMILIES

#: Rows named per table at most (the first ones, by key).
SHOWN = 50

Query = Callable[[str], list[tuple[Any, ...]]]
Names = Callable[[str], str]
#: A Silver table (``silver.users``) -> the query reading it as it was before the run (``as_of``).
Before = Callable[[str], str]


def as_of(physical: str, snapshot_id: int | None) -> str:
    """The query reading ``physical`` as a snapshot left it (Athena's ``FOR VERSION AS OF``, Iceberg time travel);
    ``None``, a table without a snapshot then (or not yet created), held no row."""
    if snapshot_id is None:
        return f"SELECT * FROM {physical} WHERE false"
    return f"SELECT * FROM {physical} FOR VERSION AS OF {int(snapshot_id)}"


def unsourced_rows_sql(file: str, holds: str, name: Names, before: Before, took: str | None = None) -> str:
    """The rows of ``file``'s Silver table written by the run that no staged line Silver took holds (``holds``:
    a condition on ``t``, the Silver row, and ``s``, the staged line), first ``SHOWN`` by key.

    ``took``: the query giving the staged lines Silver took (default: staging's rows without a reason); the
    accounting passes its own, the same rows with ``holds``'s values of them computed once for both its joins.
    """
    family = FAMILIES[file]
    silver, key, version = family["silver"], family["key"], family["version"]
    took = took or f"SELECT * FROM {name(family['staged'])} WHERE reject_reason IS NULL"
    # An anti-join spelled as a LEFT JOIN keeping the unmatched rows, not NOT EXISTS: for the correlated form
    # DuckDB hashed only ``status`` and filtered the rest of ``holds`` pair by pair (100,000 orders: minutes).
    return (
        f"SELECT t.{key}, CAST(t.{version} AS varchar) FROM (SELECT * FROM {name(silver)} EXCEPT {before(silver)}) t "
        f"LEFT JOIN (SELECT *, true AS took FROM ({took}) x) s ON {holds} WHERE s.took IS NULL "
        f"ORDER BY 1 LIMIT {SHOWN}"
    )


def unsourced_problems(file: str, rows: list[tuple[Any, ...]]) -> list[str]:
    """One problem per (key, version) row ``unsourced_rows_sql`` found."""
    family = FAMILIES[file]
    return [
        f"{family['silver']}: the row {family['key']}={key} ({family['version']} {version}) was written by this run "
        f"from no line of {file}: Silver holds a row the file never had"
        for key, version in rows
    ]


def unsourced_rows(query: Query, name: Names, file: str, holds: str, before: Before) -> list[str]:
    """One problem per row of ``file``'s Silver table the run wrote from no line of it."""
    return unsourced_problems(file, query(unsourced_rows_sql(file, holds, name, before)))
