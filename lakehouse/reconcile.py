"""A table against the rows its contract's ``matches`` query says it must hold, compared in Athena.

Value and row-count expectations cannot tell a Gold table that is wrong from a right one: revenue of
completed orders only, or totals a re-run added onto the last, are still unique, positive and no more
rows than the orders. The contract therefore states the Gold rows as a query over Silver, and the
table must hold exactly those rows: the same multiset (each distinct row with its number of copies),
so a missing, stale, extra or duplicated row is a difference. The query names its columns as the
table's; the comparison runs where the data is, and only the differing rows come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: The expectation name a ``matches`` result carries in the evidence (not one of Great Expectations').
EXPECTATION = "table_rows_to_match_query"
#: The expectation name of the column comparison that comes first: the rows are compared on the query's columns.
COLUMNS_EXPECTATION = "table_columns_to_match_query"
#: Differing rows shown per side.
SHOWN = 3
#: The column holding a row's number of copies in the comparison (not a table column).
COPIES = "copies__"


def column_gap(query_columns: Sequence[str], table_columns: Sequence[str], where: str) -> dict[str, Any] | None:
    """The evidence entry when the table and its ``matches`` query do not have the same columns, else None.

    ``diff_sql`` compares the table's columns only: a table lacking a column the query states (Gold orders without
    ``country``) would agree on the rest, and one with a column the query lacks cannot be compared at all.
    Athena's names are lower case, so names are compared so.
    """
    table = {c.lower() for c in table_columns}
    query = {c.lower() for c in query_columns}
    lacks = [c for c in query_columns if c.lower() not in table]
    extra = [c for c in table_columns if c.lower() not in query]
    if not lacks and not extra:
        return None
    said = [f"the table lacks column(s) {', '.join(lacks)} that `matches` ({where}) states"] if lacks else []
    said += [f"the table has column(s) {', '.join(extra)} that `matches` ({where}) does not state"] if extra else []
    return {"expectation": COLUMNS_EXPECTATION, "success": False, "details": "; ".join(said)}


def diff_sql(table: str, columns: Sequence[str], query: str) -> str:
    """``(side, *columns, copies)`` for every row whose copies differ: ``missing`` from the table or ``unexpected``.

    ``table`` is the physical name, ``query`` the rendered ``matches`` SQL; EXCEPT and GROUP BY
    treat NULLs as equal, as a comparison of rows should.
    """
    cols = ", ".join(f'"{c}"' for c in columns)
    return (
        f"WITH expected AS (SELECT {cols}, count(*) AS {COPIES} FROM ({query.strip().rstrip(';')}) GROUP BY {cols}), "
        f"actual AS (SELECT {cols}, count(*) AS {COPIES} FROM {table} GROUP BY {cols}) "
        f"SELECT 'missing' AS side, * FROM (SELECT * FROM expected EXCEPT SELECT * FROM actual) "
        f"UNION ALL SELECT 'unexpected' AS side, * FROM (SELECT * FROM actual EXCEPT SELECT * FROM expected)"
    )


@dataclass
class RowDiff:
    """What the comparison found: the rows the query implies that the table lacks, and the other way round."""

    columns: list[str]
    missing: list[dict[str, Any]] = field(default_factory=list)
    unexpected: list[dict[str, Any]] = field(default_factory=list)
    query_execution_id: str | None = None
    #: Why the comparison proves nothing and was not run (the query reads the table itself), or None.
    vacuous: str | None = None

    @classmethod
    def from_rows(
        cls, columns: Sequence[str], rows: Sequence[Sequence[Any]], query_execution_id: str | None
    ) -> RowDiff:
        """Rows of ``diff_sql``'s answer: side first, then the columns, then the number of copies."""
        diff = cls(list(columns), query_execution_id=query_execution_id)
        for side, *values, copies in rows:
            row = {c: _plain(v) for c, v in zip(columns, values, strict=True)}
            if int(copies) != 1:
                row[COPIES] = int(copies)
            (diff.missing if side == "missing" else diff.unexpected).append(row)
        for found in (diff.missing, diff.unexpected):  # Athena answers in no order: the evidence's is stable
            found.sort(key=lambda r: [str(v) for v in r.values()])
        return diff

    @property
    def ok(self) -> bool:
        return not self.missing and not self.unexpected and self.vacuous is None

    def entry(self, where: str) -> dict[str, Any]:
        """The contract result entry (``details.contracts[].expectations[]``); ``where`` is file:line of the query.

        Everything is said in ``details`` (the report shows it as text), the Athena query id included.
        """
        where += f", Athena query {self.query_execution_id}" if self.query_execution_id else ""
        if self.ok:
            return {
                "expectation": EXPECTATION,
                "success": True,
                "details": f"every row as `matches` ({where}) says",
            }
        if self.vacuous is not None:
            return {"expectation": EXPECTATION, "success": False, "details": f"`matches` ({where}) {self.vacuous}"}
        said = []
        if self.missing:
            said.append(f"{len(self.missing)} row(s) the query implies are missing, e.g. {self.missing[:SHOWN]}")
        if self.unexpected:
            said.append(f"{len(self.unexpected)} row(s) it does not imply, e.g. {self.unexpected[:SHOWN]}")
        details = f"rows differ from `matches` ({where}): {'; '.join(said)}"
        return {"expectation": EXPECTATION, "success": False, "details": details}


def _plain(value: Any) -> Any:
    """A value as the evidence shows it (JSON has no dates or decimals)."""
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)
