"""Which tables and columns a principal may use, decided from Lake Formation grants as Athena does.

Pure over what Lake Formation holds (grants in ListPermissions' external form, data lake
admins, data cells filters), so the rules can be tested without a server:

- Data lake admins have every permission on everything (implicitly, no grant needed);
  read-only admins may read and describe everything and change nothing.
- A grant to ``IAM_ALLOWED_PRINCIPALS`` on a table hands the table to IAM: every principal gets
  every column, whatever column grant it also holds (AWS's documented trap).
- Otherwise a principal gets the union of its grants: ``Table`` (by name or ``TableWildcard``)
  SELECT/ALL is every column, ``TableWithColumns`` is its ``ColumnNames`` or the
  ``ColumnWildcard`` minus ``ExcludedColumnNames``, a ``DataCellsFilter`` grant is the filter's
  columns. Names compare case-insensitively (Glue keeps them in lower case).
- Row filters of data cells filters are not emulated: such a grant fails the query loudly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"
#: What ``ALL`` (Super) stands for on a table or database.
TABLE_PERMISSIONS = frozenset({"ALL", "SELECT", "INSERT", "DELETE", "ALTER", "DROP", "DESCRIBE"})
DATABASE_PERMISSIONS = frozenset({"ALL", "CREATE_TABLE", "ALTER", "DROP", "DESCRIBE"})
CATALOG_PERMISSIONS = frozenset({"ALL", "CREATE_DATABASE", "DESCRIBE"})
READ_ONLY = frozenset({"SELECT", "DESCRIBE"})

FilterKey = tuple[str, str, str]  # (database, table, filter name), lower case


class RowFilterNotEmulated(Exception):
    """A data cells filter with a row expression applies to the query; the emulator does not filter rows."""


def _lower(values: Iterable[str]) -> set[str]:
    return {v.lower() for v in values}


def _held(grant: Mapping[str, Any]) -> set[str]:
    return set(grant.get("Permissions") or []) | set(grant.get("PermissionsWithGrantOption") or [])


def _expand(held: set[str], everything: frozenset[str]) -> set[str]:
    return set(everything) if "ALL" in held else held


def principal_of(grant: Mapping[str, Any]) -> str:
    return str((grant.get("Principal") or {}).get("DataLakePrincipalIdentifier", ""))


def on_table(resource: Mapping[str, Any], database: str, table: str) -> bool:
    """Whether a grant's resource covers the table (by name, by table wildcard, or as a column grant)."""
    for kind in ("Table", "TableWithColumns"):
        spec = resource.get(kind)
        if spec is None:
            continue
        if str(spec.get("DatabaseName", "")).lower() != database.lower():
            return False
        return "TableWildcard" in spec or str(spec.get("Name", "")).lower() == table.lower()
    spec = resource.get("DataCellsFilter")
    if spec is not None:
        return (
            str(spec.get("DatabaseName", "")).lower() == database.lower()
            and str(spec.get("TableName", "")).lower() == table.lower()
        )
    return False


def granted_columns(
    resource: Mapping[str, Any], columns: Sequence[str], filters: Mapping[FilterKey, Mapping[str, Any]]
) -> set[str]:
    """The columns (lower case) a SELECT grant on ``resource`` opens, out of the table's ``columns``."""
    every = _lower(columns)
    if "Table" in resource:
        return every
    if "TableWithColumns" in resource:
        return _column_spec(resource["TableWithColumns"], every)
    if "DataCellsFilter" in resource:
        spec = resource["DataCellsFilter"]
        key = (str(spec.get("DatabaseName", "")).lower(), str(spec.get("TableName", "")).lower(), spec.get("Name", ""))
        definition = filters.get(key)
        if definition is None:
            return set()  # a grant on a filter that is gone opens nothing
        row_filter = definition.get("RowFilter") or {}
        if "AllRowsWildcard" not in row_filter and row_filter.get("FilterExpression", "").strip().upper() != "TRUE":
            raise RowFilterNotEmulated(f"data cells filter {spec.get('Name')} filters rows")
        return _column_spec(definition, every)
    return set()


def _column_spec(spec: Mapping[str, Any], every: set[str]) -> set[str]:
    if "ColumnWildcard" in spec:
        excluded = _lower((spec.get("ColumnWildcard") or {}).get("ExcludedColumnNames") or [])
        return every - excluded
    return every & _lower(spec.get("ColumnNames") or [])


@dataclass
class Access:
    """One principal's view of the lake; ``unrestricted()`` for callers Lake Formation does not govern."""

    principal: str
    admin: bool = False
    read_only_admin: bool = False
    grants: Sequence[Mapping[str, Any]] = field(default_factory=list)
    filters: Mapping[FilterKey, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def unrestricted(cls, principal: str = "(not governed)") -> Access:
        return cls(principal=principal, admin=True)

    def _mine(self) -> list[Mapping[str, Any]]:
        return [g for g in self.grants if principal_of(g) == self.principal]

    def open_to_iam(self, database: str, table: str) -> bool:
        """An IAMAllowedPrincipals grant on the table: IAM alone decides, every column is open."""
        return any(
            principal_of(g) == IAM_ALLOWED_PRINCIPALS
            and on_table(g.get("Resource") or {}, database, table)
            and _held(g) & {"ALL", "SELECT"}
            for g in self.grants
        )

    def database_open_to_iam(self, database: str) -> bool:
        """An IAMAllowedPrincipals grant on the database (what its default permissions leave behind)."""
        return any(
            principal_of(g) == IAM_ALLOWED_PRINCIPALS
            and str(((g.get("Resource") or {}).get("Database") or {}).get("Name", "")).lower() == database.lower()
            for g in self.grants
        )

    def governed(self, database: str, table: str) -> bool:
        """Whether Lake Formation (not IAM alone) decides this principal's access to the table."""
        return not (self.admin or self.read_only_admin or self.open_to_iam(database, table))

    def table_permissions(self, database: str, table: str) -> set[str]:
        """Permissions held on the table itself (a column grant counts as SELECT)."""
        if self.admin or self.open_to_iam(database, table):
            return set(TABLE_PERMISSIONS)
        held: set[str] = set(READ_ONLY) if self.read_only_admin else set()
        for grant in self._mine():
            if on_table(grant.get("Resource") or {}, database, table):
                held |= _expand(_held(grant), TABLE_PERMISSIONS)
        return held

    def readable_columns(self, database: str, table: str, columns: Sequence[str]) -> list[str] | None:
        """The table's columns (in table order) this principal may read; None without SELECT on it."""
        if not self.governed(database, table):
            return list(columns)
        allowed: set[str] = set()
        selectable = False
        for grant in self._mine():
            resource = grant.get("Resource") or {}
            if on_table(resource, database, table) and _held(grant) & {"ALL", "SELECT"}:
                selectable = True
                allowed |= granted_columns(resource, columns, self.filters)
        if not selectable:
            return None
        return [c for c in columns if c.lower() in allowed]

    def database_permissions(self, database: str) -> set[str]:
        if self.admin:
            return set(DATABASE_PERMISSIONS)
        held: set[str] = {"DESCRIBE"} if self.read_only_admin else set()
        for grant in self.grants:
            spec = (grant.get("Resource") or {}).get("Database")
            if spec is None or str(spec.get("Name", "")).lower() != database.lower():
                continue
            if principal_of(grant) in (self.principal, IAM_ALLOWED_PRINCIPALS):
                held |= _expand(_held(grant), DATABASE_PERMISSIONS)
        return held

    def catalog_permissions(self) -> set[str]:
        if self.admin:
            return set(CATALOG_PERMISSIONS)
        held: set[str] = set()
        for grant in self._mine():
            if "Catalog" in (grant.get("Resource") or {}):
                held |= _expand(_held(grant), CATALOG_PERMISSIONS)
        return held
