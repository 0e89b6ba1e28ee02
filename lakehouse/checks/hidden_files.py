"""Where a hidden column's values lie as S3 files, for the grants that let a principal put a table over them.

Lake Formation's DATA_LOCATION_ACCESS on an S3 location lets its holder create a table whose LOCATION lies
there (``CREATE EXTERNAL TABLE ... LOCATION 's3://lake/users/'``), and CREATE_TABLE on a database lets it
create one within the database's location without any location permission. A table's creator holds every
permission on it, so such a table reads every column of the files, whatever the catalog's own tables over
them hide. The files that matter are not only those of the catalog's tables with a hidden column: a table a
past query copied the column into under any name (listed, or dropped with its files left behind:
``history_copies``) holds it too, and so do the folders other workgroups' queries wrote their results to
(CSV files of the rows they returned; the analyst's own workgroup is not among them).

The same files judge the catalog's other tables: one whose location or metadata lies over them (``ALTER TABLE
... SET LOCATION``, Glue UpdateTable, ``SET TBLPROPERTIES ('metadata_location'=...)``) reads them for whoever
may read every column of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class HiddenFiles:
    """One S3 location whose files hold hidden values, and how to name it in a reason."""

    uri: str
    #: The location as (bucket, key prefix).
    where: tuple[str, str]
    #: ``the files of lh_gold.users`` / ``the files of scratch.x (t from gold.users.ssn), written by ...``.
    what: str
    #: What a table of one's own over the files reads (``ssn``; ``tax_id``; ``what those queries returned``).
    reads: str
    #: The table (``db.name``, lower case) whose files these are; empty for query results.
    table: str = ""


def covers(outer: tuple[str, str], inner: tuple[str, str]) -> bool:
    """Whether two S3 locations (bucket, key prefix) overlap: one lies within the other (same bucket, path prefix)."""
    if outer[0] != inner[0]:
        return False
    a, b = outer[1].strip("/"), inner[1].strip("/")
    return not a or not b or a == b or b.startswith(a + "/") or a.startswith(b + "/")


def overlapping(location: tuple[str, str], files: Iterable[HiddenFiles]) -> list[HiddenFiles]:
    """The hidden files at, under or above ``location``: the first location of each thing named (a table's
    metadata folder beside its data is the same table)."""
    found: dict[str, HiddenFiles] = {}
    for item in files:
        if item.what not in found and covers(location, item.where):
            found[item.what] = item
    return list(found.values())
