"""Copies of the stack's hidden columns made by queries of the account's other regions (exit check 6).

Athena in another region reads that region's Glue catalog, and S3 wherever the files lie: a table there over the
stack's files (``CREATE EXTERNAL TABLE``, or an Iceberg table registered on the stack's metadata) reads every
value of ``ssn``, around the stack region's Lake Formation. A ``CREATE TABLE scratch.users_export WITH
(external_location = 's3://<a bucket the analyst reads>/...') AS SELECT user_id, ssn AS tax_id FROM ...`` run in
``primary`` of us-west-2 leaves the values in that bucket, and ``SELECT ssn FROM ...`` there writes them to its
result folder: main read only the stack region's histories for copies and result folders.

The region's catalog names its own tables (``gold.users`` there is not the stack's): the roots are the region's
tables holding a hidden column whose location or metadata lies at, under or above the stack's hidden files
(``region_roots``); a region whose tables lie elsewhere copied nothing of the stack. Copies are then followed as in
the stack's region (``history_copies``, against the region's catalog), and the result folders of the region's
queries naming a root or a copy become lake locations (``query_results.execution_locations``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lakehouse.checks.history_copies import HistoryCopy, catalog_schema, history_copies, read_statements
from lakehouse.checks.query_results import ExecutionLocations, HiddenReads, WorkGroupHistory, execution_locations
from lakehouse.checks.security_model import CatalogTable, split_s3


@dataclass
class RegionCopies:
    """What one other region's queries copied of the stack's hidden columns, and where their results went."""

    region: str
    #: The region's tables over the stack's hidden files (``db.table``).
    roots: list[str] = field(default_factory=list)
    #: Each copy, with the region catalog's entry of it (or a table at the location its statement named; ``None``
    #: for a view or without one) and whether the catalog lists it: the caller keeps an unlisted one whose files
    #: still exist.
    copies: list[tuple[HistoryCopy, CatalogTable | None, bool]] = field(default_factory=list)
    results: ExecutionLocations = field(default_factory=ExecutionLocations)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _overlaps(a: str, b: str) -> bool:
    """Whether S3 locations ``a`` and ``b`` share files: one lies at or under the other."""
    x, y = split_s3(a), split_s3(b)
    if x is None or y is None or x[0] != y[0]:
        return False
    p, q = x[1].strip("/"), y[1].strip("/")
    return not p or not q or p == q or p.startswith(q + "/") or q.startswith(p + "/")


def region_roots(catalog: Iterable[CatalogTable], hidden: Sequence[str], stored: Iterable[str]) -> list[CatalogTable]:
    """The region's tables with a hidden column whose location or metadata overlaps the stack's hidden files
    (``stored``: every S3 location of the stack's tables holding one, and of their copies)."""
    places = [s for s in stored if s]
    return [
        t
        for t in catalog
        if t.holding(hidden)
        and any(_overlaps(mine, s) for mine in (t.location or "", t.metadata_location or "") if mine for s in places)
    ]


def region_copies(
    region: str,
    histories: Sequence[WorkGroupHistory],
    catalog: Sequence[CatalogTable],
    hidden: Sequence[str],
    stored: Iterable[str],
) -> RegionCopies:
    """The tables ``histories`` (one other region's, its ``catalog``) copied a hidden column of the stack's files
    into, and the result folders of the queries naming a root or a copy."""
    found = RegionCopies(region)
    roots = region_roots(catalog, hidden, stored)
    if not roots:  # nothing of the stack's is named there: its queries read other data
        return found
    found.roots = sorted(t.qualified for t in roots)
    statements = read_statements(histories)
    found.errors += statements.errors
    found.notes += statements.notes
    schema = catalog_schema({(t.database, t.name): t.columns for t in catalog})
    columns = [(t.database.lower(), t.name.lower(), c.lower()) for t in roots for c in t.holding(hidden)]
    copies, notes = history_copies(statements.statements, schema, columns, region)
    found.notes += notes
    listed = {(t.database.lower(), t.name.lower()): t for t in catalog}
    for copy in copies:
        copy.region = region
        table = listed.get((copy.database, copy.table))
        if table is None and copy.location:
            table = CatalogTable(copy.database, copy.table, sorted(copy.columns), location=copy.location)
        found.copies.append(
            (copy, None if table is None or table.view else table, (copy.database, copy.table) in listed)
        )
    named = {(t.database.lower(), t.name.lower()) for t in roots} | {(c.database, c.table) for c in copies}
    found.results = execution_locations(histories, (), HiddenReads(frozenset(), frozenset(named)))
    return found
