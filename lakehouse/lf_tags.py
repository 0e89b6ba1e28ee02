"""LF-Tags assigned to the stack's databases, tables and columns, from GetResourceLFTags and from Terraform state.

Exit check 5 asks whether every LF-Tag value a stack database, table or column carries was assigned by
Terraform. An LF-Tag assigned by hand (``AddLFTagsToResource``) changes who may read what: every LF-Tag
grant whose expression it now matches reaches the resource. Terraform assigns LF-Tags with
``aws_lakeformation_resource_lf_tags`` (many per resource) and ``aws_lakeformation_resource_lf_tag`` (one);
both keep ``database``, ``table`` (a name, or ``wildcard``: every table of the database) or
``table_with_columns`` (``column_names``, or a column wildcard with ``excluded_column_names``) and
``lf_tag { key, value }``.

Only what is assigned *to* a resource counts: a table inherits its database's LF-Tags and a column its
table's, and GetResourceLFTags shows the inherited ones too unless asked ``ShowAssignedLFTags``. So the
inventory asks with it (one call per database and one per table, which covers the table's columns).
Keys and values are compared in lower case (Lake Formation keeps them so), as are Glue names.

A database or table listed by Glue may be dropped before its LF-Tags are read (a person, or the pipeline
rebuilding a table while the check runs): Lake Formation then answers ``EntityNotFoundException``.
``read_assigned`` tells that apart from a failed read by asking Glue: when Glue too has no such database or
table, it is gone, and what does not exist carries no LF-Tag (they are dropped with it) nor lets a tag grant
through, so there is nothing to compare with state. That is neither an unreadable listing (the account
answered, consistently) nor silently skipped: the caller keeps it as gone and the evidence names it. The
listing that found it still counts (a table made by hand and dropped since was there when listed). When Glue
does have it (dropped and made again in between) the read is tried once more; a second failure is unreadable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

#: Terraform types that assign LF-Tags to a database, table or columns.
ASSIGNING_KINDS = ("aws_lakeformation_resource_lf_tags", "aws_lakeformation_resource_lf_tag")


@dataclass(frozen=True, order=True)
class LfTagAssignment:
    """One LF-Tag value assigned directly to a database (``table`` empty), a table (``column`` empty) or a column."""

    database: str
    table: str
    column: str
    key: str
    value: str
    region: str = ""

    @property
    def resource(self) -> str:
        if not self.table:
            return f"database {self.database}"
        if not self.column:
            return f"table {self.database}.{self.table}"
        return f"column {self.column} of table {self.database}.{self.table}"

    @property
    def label(self) -> str:
        """What the evidence calls it: ``level=open on table db.users``."""
        return f"{self.key}={self.value} on {self.resource}"


def _pairs(tags: Iterable[Mapping[str, Any]] | None) -> list[tuple[str, str]]:
    return [(str(t.get("TagKey", "")), str(v)) for t in tags or [] for v in t.get("TagValues") or []]


def assignments_from_answer(
    answer: Mapping[str, Any], database: str, table: str = "", region: str = ""
) -> list[LfTagAssignment]:
    """A ``GetResourceLFTags(..., ShowAssignedLFTags=True)`` answer of a database (``table`` empty) or a table
    as the LF-Tags assigned to it and, for a table, to its columns (the database's own are read on the database)."""
    if not table:
        return [LfTagAssignment(database, "", "", k, v, region) for k, v in _pairs(answer.get("LFTagOnDatabase"))]
    found = [LfTagAssignment(database, table, "", k, v, region) for k, v in _pairs(answer.get("LFTagsOnTable"))]
    for entry in answer.get("LFTagsOnColumns") or []:
        column = str(entry.get("Name", ""))
        found += [LfTagAssignment(database, table, column, k, v, region) for k, v in _pairs(entry.get("LFTags"))]
    return found


#: Terraform's type for a saved LF-Tag expression (hashicorp/aws 6.x; 5.100.0, which infra/ pins, has none).
LF_TAG_EXPRESSION = "aws_lakeformation_lf_tag_expression"


def expression_label(name: str, expression: Iterable[Mapping[str, Any]] | None) -> str:
    """What the evidence calls a saved LF-Tag expression: ``name (expression: level=open|closed; pii=no)``."""
    said = "; ".join(
        f"{t.get('TagKey', '')}={'|'.join(str(v) for v in t.get('TagValues') or [])}" for t in expression or []
    )
    return f"{name} (expression: {said})"


def provider_manages_expressions(version: str | None) -> bool | None:
    """Whether hashicorp/aws ``version`` has ``aws_lakeformation_lf_tag_expression`` (None: version unknown).

    5.100.0's schema has no such type (``terraform providers schema -json``); it came with 6.x."""
    if not version:
        return None
    major = version.split(".", 1)[0]
    return int(major) >= 6 if major.isdigit() else None


#: What Lake Formation and Glue answer for a database or table that does not exist.
NOT_FOUND = "EntityNotFoundException"


def _not_found(err: ClientError) -> bool:
    return str(err.response.get("Error", {}).get("Code")) == NOT_FOUND


def read_assigned(lf: Any, glue: Any, database: str, table: str = "") -> dict[str, Any] | None:
    """``GetResourceLFTags(ShowAssignedLFTags=True)`` of a database (``table`` empty) or a table; None when it is
    gone (module doc). Other errors, Glue's, and a not-found Glue contradicts twice are raised for the caller."""
    resource = {"Table": {"DatabaseName": database, "Name": table}} if table else {"Database": {"Name": database}}
    try:
        return dict(lf.get_resource_lf_tags(Resource=resource, ShowAssignedLFTags=True))
    except ClientError as err:
        if not _not_found(err):
            raise
        try:
            if table:
                glue.get_table(DatabaseName=database, Name=table)
            else:
                glue.get_database(Name=database)
        except ClientError as glue_err:
            if _not_found(glue_err):
                return None
            raise  # Glue's own refusal (glue:GetTable denied, say) says more than Lake Formation's not-found
    return dict(lf.get_resource_lf_tags(Resource=resource, ShowAssignedLFTags=True))


@dataclass(frozen=True)
class ManagedAssignment:
    """What one Terraform resource assigns: ``table`` None for the database, ``*`` for every table of it;
    ``columns``/``all_but`` for columns (named, or every column but those)."""

    database: str
    table: str | None
    columns: frozenset[str] | None
    all_but: frozenset[str] | None
    tags: frozenset[tuple[str, str]]

    def covers(self, a: LfTagAssignment) -> bool:
        if (a.key.lower(), a.value.lower()) not in self.tags or a.database.lower() != self.database:
            return False
        if not a.table:
            return self.table is None
        if self.table not in (a.table.lower(), "*"):
            return False
        if not a.column:
            return self.columns is None and self.all_but is None
        column = a.column.lower()
        return (self.columns is not None and column in self.columns) or (
            self.all_but is not None and column not in self.all_but
        )


def _first(values: Mapping[str, Any], block: str) -> Mapping[str, Any] | None:
    items = values.get(block) or []
    return items[0] if items else None


def _lower(names: Iterable[str] | None) -> frozenset[str]:
    return frozenset(str(n).lower() for n in names or [])


def managed_assignment(values: Mapping[str, Any]) -> ManagedAssignment | None:
    """An ``aws_lakeformation_resource_lf_tag(s)`` state entry; None when it names no resource we know."""
    tags = frozenset(
        (str(t.get("key", "")).lower(), str(t.get("value", "")).lower()) for t in values.get("lf_tag") or []
    )
    if db := _first(values, "database"):
        return ManagedAssignment(str(db.get("name", "")).lower(), None, None, None, tags)
    if table := _first(values, "table"):
        name = "*" if table.get("wildcard") or not table.get("name") else str(table["name"]).lower()
        return ManagedAssignment(str(table.get("database_name", "")).lower(), name, None, None, tags)
    if cols := _first(values, "table_with_columns"):
        wildcard = _first(cols, "column_wildcard")  # aws_lakeformation_resource_lf_tag's spelling
        all_but: frozenset[str] | None = None
        if wildcard is not None:
            all_but = _lower(wildcard.get("excluded_column_names"))
        elif cols.get("wildcard"):  # aws_lakeformation_resource_lf_tags' spelling
            all_but = _lower(cols.get("excluded_column_names"))
        return ManagedAssignment(
            str(cols.get("database_name", "")).lower(),
            str(cols.get("name", "")).lower(),
            _lower(cols.get("column_names")),
            all_but,
            tags,
        )
    return None


def managed_assignments(state: Iterable[Mapping[str, Any]]) -> list[ManagedAssignment]:
    """Every assignment Terraform state holds (both resource types)."""
    found = []
    for res in state:
        if res.get("type") in ASSIGNING_KINDS:
            managed = managed_assignment(res.get("values") or {})
            if managed is not None:
                found.append(managed)
    return found


def unmanaged_assignments(
    state: Iterable[Mapping[str, Any]], assigned: Iterable[LfTagAssignment]
) -> list[LfTagAssignment]:
    """The LF-Tag values assigned to the stack's resources that no Terraform resource in state assigns."""
    managed = managed_assignments(state)
    return sorted(a for a in assigned if not any(m.covers(a) for m in managed))


def unmanaged_tag_values(
    state: Iterable[Mapping[str, Any]], defined: Mapping[str, Iterable[str]]
) -> list[tuple[str, str]]:
    """(key, value) of each value an LF-Tag of Terraform state has in the account beyond the state's values
    (``UpdateLFTag`` adding values by hand; ``defined``: key -> values as ListLFTags reads them)."""
    have = {k.lower(): {str(v).lower() for v in vs} for k, vs in defined.items()}
    extra = []
    for res in state:
        if res.get("type") != "aws_lakeformation_lf_tag":
            continue
        values = res.get("values") or {}
        key = str(values.get("key", "")).lower()
        wanted = {str(v).lower() for v in values.get("values") or []}
        extra += [(key, v) for v in sorted(have.get(key, set()) - wanted)]
    return extra
