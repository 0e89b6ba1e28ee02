"""What a principal may do with the catalog, decided from Lake Formation's state as AWS does.

Pure over what Lake Formation holds (grants in ListPermissions' external form, data lake
admins, data cells filters, who created what), so the rules can be tested without a server:

- Data lake admins have every permission on everything (implicitly, no grant needed);
  read-only admins may read and describe everything and change nothing.
- The creator of a database or table holds every permission on it, grantable (implicit).
- A grant to ``IAM_ALLOWED_PRINCIPALS`` gives every principal the permissions it names (ALL is
  all of them); with SELECT or ALL on a table, every column is open, whatever column grant the
  principal also holds (AWS's documented trap).
- Otherwise a principal gets the union of its grants: ``Table`` (by name or ``TableWildcard``)
  SELECT/ALL is every row and column, ``TableWithColumns`` is its ``ColumnNames`` or the
  ``ColumnWildcard`` minus ``ExcludedColumnNames``, a ``DataCellsFilter`` grant is the filter's
  columns and, with a ``RowFilter.FilterExpression``, only the rows it matches. Several grants
  give the union of their cells. Names compare case-insensitively (Glue keeps them lower case).
- A table may point into an S3 location registered with Lake Formation (CREATE TABLE, CTAS, ALTER TABLE
  SET LOCATION) only for holders of ``DATA_LOCATION_ACCESS`` on that location or on one above it, and
  for data lake admins; locations outside every registered one are IAM's business.
- Only data lake admins and holders of a permission *with grant option* on a resource may grant
  or revoke it there. An account without data lake admins has not adopted Lake Formation: IAM
  alone decides, so grants and ``CREATE_DATABASE`` (``IAMAllowedPrincipals`` is a database
  creator by default) are open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"
#: What ``ALL`` (Super) stands for on a table, a database and the catalog.
TABLE_PERMISSIONS = frozenset({"ALL", "SELECT", "INSERT", "DELETE", "ALTER", "DROP", "DESCRIBE"})
DATABASE_PERMISSIONS = frozenset({"ALL", "CREATE_TABLE", "ALTER", "DROP", "DESCRIBE"})
CATALOG_PERMISSIONS = frozenset({"ALL", "CREATE_DATABASE", "DESCRIBE"})
EVERY_PERMISSION = TABLE_PERMISSIONS | DATABASE_PERMISSIONS | CATALOG_PERMISSIONS | {"DATA_LOCATION_ACCESS"}
READ_ONLY = frozenset({"SELECT", "DESCRIBE"})

FilterKey = tuple[str, str, str]  # (database, table, filter name), lower case
#: What a principal created: ``(database,)`` or ``(database, table)``, lower case.
Created = tuple[str, ...]


@dataclass(frozen=True)
class Cells:
    """The cells one SELECT grant opens: some columns, of every row or of the rows a filter matches."""

    columns: frozenset[str]  # lower case
    rows: str | None = None  # a PartiQL WHERE expression; None means every row


def _lower(values: Iterable[str]) -> set[str]:
    return {v.lower() for v in values}


def _held(grant: Mapping[str, Any]) -> set[str]:
    return set(grant.get("Permissions") or []) | set(grant.get("PermissionsWithGrantOption") or [])


def _expand(held: set[str], everything: frozenset[str]) -> set[str]:
    return set(everything) if "ALL" in held else held


def location_arn(location: str) -> str:
    """An ``s3://bucket/prefix/`` LOCATION as the S3 ARN Lake Formation registers and grants on."""
    return "arn:aws:s3:::" + location.removeprefix("s3://").rstrip("/")


def within(arn: str, parent: str) -> bool:
    """Whether the S3 ARN ``arn`` is ``parent`` or under it (whole path segments: ``gold`` is not above ``golden``)."""
    parent = parent.rstrip("/")
    return arn == parent or arn.startswith(parent + "/")


def principal_of(grant: Mapping[str, Any]) -> str:
    return str((grant.get("Principal") or {}).get("DataLakePrincipalIdentifier", ""))


def _same(a: object, b: object) -> bool:
    return str(a or "").lower() == str(b or "").lower()


def on_table(resource: Mapping[str, Any], database: str, table: str) -> bool:
    """Whether a grant's resource covers the table (by name, by table wildcard, or as a column grant)."""
    for kind in ("Table", "TableWithColumns"):
        spec = resource.get(kind)
        if spec is None:
            continue
        if not _same(spec.get("DatabaseName"), database):
            return False
        return "TableWildcard" in spec or _same(spec.get("Name"), table)
    spec = resource.get("DataCellsFilter")
    if spec is not None:
        return _same(spec.get("DatabaseName"), database) and _same(spec.get("TableName"), table)
    return False


def on_database(resource: Mapping[str, Any], database: str) -> bool:
    spec = resource.get("Database")
    return spec is not None and _same(spec.get("Name"), database)


def granted_cells(
    resource: Mapping[str, Any], columns: Sequence[str], filters: Mapping[FilterKey, Mapping[str, Any]]
) -> Cells:
    """The cells a SELECT grant on ``resource`` opens, out of the table's ``columns``."""
    every = _lower(columns)
    if "Table" in resource:
        return Cells(frozenset(every))
    if "TableWithColumns" in resource:
        return Cells(frozenset(_column_spec(resource["TableWithColumns"], every)))
    if "DataCellsFilter" in resource:
        spec = resource["DataCellsFilter"]
        key = (str(spec.get("DatabaseName", "")).lower(), str(spec.get("TableName", "")).lower(), spec.get("Name", ""))
        definition = filters.get(key)
        if definition is None:
            return Cells(frozenset())  # a grant on a filter that is gone opens nothing
        row_filter = definition.get("RowFilter") or {}
        expression = str(row_filter.get("FilterExpression") or "").strip()
        rows = None if "AllRowsWildcard" in row_filter or expression.upper() in ("", "TRUE") else expression
        return Cells(frozenset(_column_spec(definition, every)), rows)
    return Cells(frozenset())


def granted_columns(
    resource: Mapping[str, Any], columns: Sequence[str], filters: Mapping[FilterKey, Mapping[str, Any]]
) -> set[str]:
    """The columns (lower case) a SELECT grant on ``resource`` opens, out of the table's ``columns``."""
    return set(granted_cells(resource, columns, filters).columns)


def _column_spec(spec: Mapping[str, Any], every: set[str]) -> set[str]:
    if "ColumnWildcard" in spec:
        excluded = _lower((spec.get("ColumnWildcard") or {}).get("ExcludedColumnNames") or [])
        return every - excluded
    return every & _lower(spec.get("ColumnNames") or [])


def covers(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether a grant on ``stored`` is on (or above) the resource ``wanted`` names, for grant authority."""
    if "Catalog" in wanted:
        return "Catalog" in stored
    if "Database" in wanted:
        return on_database(stored, str(wanted["Database"].get("Name", "")))
    if "DataLocation" in wanted:
        return "DataLocation" in stored and _same(
            stored["DataLocation"].get("ResourceArn"), wanted["DataLocation"].get("ResourceArn")
        )
    table = wanted.get("Table") or wanted.get("TableWithColumns")
    if table is not None:
        database = str(table.get("DatabaseName", ""))
        stored_table = stored.get("Table")
        if stored_table is not None and _same(stored_table.get("DatabaseName"), database):
            return "TableWildcard" in stored_table or (
                "TableWildcard" not in table and _same(stored_table.get("Name"), table.get("Name"))
            )
        stored_columns = stored.get("TableWithColumns")
        if stored_columns is None or "TableWithColumns" not in wanted:
            return False
        # A grantable column grant is an include list; it covers the columns it names.
        return (
            _same(stored_columns.get("DatabaseName"), database)
            and _same(stored_columns.get("Name"), table.get("Name"))
            and "ColumnWildcard" not in stored_columns
            and "ColumnNames" in table
            and _lower(table["ColumnNames"]) <= _lower(stored_columns.get("ColumnNames") or [])
        )
    spec = wanted.get("DataCellsFilter")
    if spec is not None:
        if "DataCellsFilter" in stored:
            mine = stored["DataCellsFilter"]
            return all(_same(mine.get(k), spec.get(k)) for k in ("DatabaseName", "TableName", "Name"))
        return covers(stored, {"Table": {"DatabaseName": spec.get("DatabaseName"), "Name": spec.get("TableName")}})
    return False  # LF-Tags, tag policies, functions: data lake admins only here


@dataclass
class Access:
    """One principal's view of the lake; ``unrestricted()`` for callers Lake Formation does not govern."""

    principal: str
    admin: bool = False
    read_only_admin: bool = False
    grants: Sequence[Mapping[str, Any]] = field(default_factory=list)
    filters: Mapping[FilterKey, Mapping[str, Any]] = field(default_factory=dict)
    #: False in an account without data lake admins: Lake Formation is not in use, IAM decides.
    adopted: bool = True
    created: frozenset[Created] = frozenset()
    #: The S3 locations registered with Lake Formation (RegisterResource), as ARNs.
    registered: frozenset[str] = frozenset()
    #: Called with ``(database,)`` or ``(database, table)`` when this principal creates one.
    on_create: Callable[[Created], None] | None = None

    @classmethod
    def unrestricted(cls, principal: str = "(not governed)") -> Access:
        return cls(principal=principal, admin=True)

    def _mine(self) -> list[Mapping[str, Any]]:
        return [g for g in self.grants if principal_of(g) == self.principal]

    def _applying(self) -> list[Mapping[str, Any]]:
        """Grants to this principal and to everyone (IAMAllowedPrincipals)."""
        return [g for g in self.grants if principal_of(g) in (self.principal, IAM_ALLOWED_PRINCIPALS)]

    def record_creation(self, created: Created) -> None:
        """Remember that this principal created a database or table: it holds everything on it."""
        key = tuple(part.lower() for part in created)
        self.created = self.created | {key}
        if self.on_create is not None:
            self.on_create(key)

    def _creator_of(self, *key: str) -> bool:
        return tuple(k.lower() for k in key) in self.created

    def open_to_iam(self, database: str, table: str) -> bool:
        """An IAMAllowedPrincipals SELECT (or ALL) on the table: IAM alone decides, every column is open."""
        return any(
            principal_of(g) == IAM_ALLOWED_PRINCIPALS
            and on_table(g.get("Resource") or {}, database, table)
            and _held(g) & {"ALL", "SELECT"}
            for g in self.grants
        )

    def governed(self, database: str, table: str) -> bool:
        """Whether Lake Formation restricts which cells of the table this principal reads."""
        return not (
            self.admin or self.read_only_admin or self.open_to_iam(database, table) or self._creator_of(database, table)
        )

    def table_permissions(self, database: str, table: str) -> set[str]:
        """Permissions held on the table itself (a column or filter grant counts as SELECT)."""
        if self.admin or self._creator_of(database, table):
            return set(TABLE_PERMISSIONS)
        held: set[str] = set(READ_ONLY) if self.read_only_admin else set()
        for grant in self._applying():
            if on_table(grant.get("Resource") or {}, database, table):
                held |= _expand(_held(grant), TABLE_PERMISSIONS)
        return held

    def cells(self, database: str, table: str, columns: Sequence[str]) -> list[Cells] | None:
        """The cells of the table this principal may read, one entry a grant; None without SELECT."""
        if not self.governed(database, table):
            return [Cells(frozenset(_lower(columns)))]
        found = [
            granted_cells(grant["Resource"], columns, self.filters)
            for grant in self._mine()
            if on_table(grant.get("Resource") or {}, database, table) and _held(grant) & {"ALL", "SELECT"}
        ]
        return found or None

    def readable_columns(self, database: str, table: str, columns: Sequence[str]) -> list[str] | None:
        """The table's columns (in table order) this principal may read; None without SELECT on it."""
        cells = self.cells(database, table, columns)
        if cells is None:
            return None
        allowed = set().union(*(c.columns for c in cells))
        return [c for c in columns if c.lower() in allowed]

    def may_point_at(self, location: str) -> bool:
        """Whether this principal may create or move a table to ``location`` (Lake Formation's DATA_LOCATION_ACCESS).

        Only registered locations are Lake Formation's to guard; a grant on a location covers what lies under it.
        """
        arn = location_arn(location)
        if self.admin or not any(within(arn, registered) for registered in self.registered):
            return True
        for grant in self._applying():
            spec = (grant.get("Resource") or {}).get("DataLocation")
            if spec and "DATA_LOCATION_ACCESS" in _held(grant) and within(arn, str(spec.get("ResourceArn", ""))):
                return True
        return False

    def database_permissions(self, database: str) -> set[str]:
        if self.admin or self._creator_of(database):
            return set(DATABASE_PERMISSIONS)
        held: set[str] = {"DESCRIBE"} if self.read_only_admin else set()
        for grant in self._applying():
            if on_database(grant.get("Resource") or {}, database):
                held |= _expand(_held(grant), DATABASE_PERMISSIONS)
        return held

    def catalog_permissions(self) -> set[str]:
        if self.admin:
            return set(CATALOG_PERMISSIONS)
        held: set[str] = {"DESCRIBE"} if self.read_only_admin else set()
        if not self.adopted and not self.read_only_admin:
            held |= {"CREATE_DATABASE", "DESCRIBE"}  # IAMAllowedPrincipals is a database creator by default
        for grant in self._applying():
            if "Catalog" in (grant.get("Resource") or {}):
                held |= _expand(_held(grant), CATALOG_PERMISSIONS)
        return held

    def sees_database(self, database: str, tables: Iterable[str]) -> bool:
        """SHOW DATABASES / GetDatabases: a database is listed to whoever holds anything on it or in it."""
        if self.admin or self.read_only_admin or not self.adopted or self.database_permissions(database):
            return True
        return any(self.table_permissions(database, t) for t in tables)

    def grantable(self, resource: Mapping[str, Any]) -> set[str]:
        """The permissions this principal may grant or revoke on ``resource``."""
        if self.admin or not self.adopted:
            return set(EVERY_PERMISSION)
        for kind, key_fields in (("Database", ("Name",)), ("Table", ("DatabaseName", "Name"))):
            spec = resource.get(kind) or {}
            if all(spec.get(f) for f in key_fields) and self._creator_of(*(str(spec[f]) for f in key_fields)):
                return set(EVERY_PERMISSION)
        held: set[str] = set()
        for grant in self._mine():
            if covers(grant.get("Resource") or {}, resource):
                held |= set(grant.get("PermissionsWithGrantOption") or [])
        return set(EVERY_PERMISSION) if "ALL" in held else held

    def may_grant(self, resource: Mapping[str, Any], permissions: Iterable[str]) -> bool:
        """Whether this principal may grant (or revoke) every one of ``permissions`` on ``resource``."""
        wanted = set(permissions)
        return not wanted or wanted <= self.grantable(resource)
