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
- LF-Tag policy grants (``LFTagPolicy``: an inline ``Expression`` or the saved LF-Tag expression its
  ``ExpressionName`` names) reach what carries matching LF-Tags. An expression matches when every key it
  names is on the resource with one of the values it lists ("keys AND, values OR": Lake Formation developer
  guide, lf-tag-considerations and managing-tag-expressions; a ``*`` value stands for any value, as the
  LFTag TagValues pattern allows and exit check 6 reads it). What a resource carries is its own LF-Tags over
  the ones it inherits: a table inherits its database's, a column its table's, and a key assigned lower
  down replaces the inherited value (guide, TBAC-assigning-tags: "you can override the inherited value by
  assigning a new value to the LF-Tag key"). On ``ResourceType`` TABLE the grant holds its table
  permissions on every table whose LF-Tags match, and SELECT reads exactly the columns whose LF-Tags match
  (a column that does not match is unreadable, as without a column grant; a table matching on a column
  only gets SELECT on those columns). On DATABASE it holds database permissions (CREATE_TABLE,
  DESCRIBE, ...) on the databases whose LF-Tags match, and reads no table (lf-permissions-reference:
  "LF-Tag policy - Database"). A grant on a saved expression that is gone reaches nothing. Grant authority
  through LF-Tag grants is not modelled (``covers``: data lake admins only).
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
#: What carries LF-Tags, lower case: ``(database,)``, ``(database, table)`` or ``(database, table, column)``.
Carrier = tuple[str, ...]
#: LF-Tags as key -> values (a resource carries one value a key; an expression may list several).
Tags = Mapping[str, frozenset[str]]


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


def tag_expression(
    policy: Mapping[str, Any], saved: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[Mapping[str, Any]] | None:
    """The expression an ``LFTagPolicy`` grants on: inline, or the saved one it names; None if there is none."""
    inline = policy.get("Expression")
    expression = inline if inline else saved.get(str(policy.get("ExpressionName") or ""))
    return list(expression) if expression else None  # an empty expression matches nothing, never everything


def expression_matches(expression: Iterable[Mapping[str, Any]], tags: Tags) -> bool:
    """Every key of the expression is carried with one of its values (``*``: any value)."""
    for condition in expression:
        wanted = set(condition.get("TagValues") or [])
        have = tags.get(str(condition.get("TagKey")))
        if have is None or not ("*" in wanted or have & wanted):
            return False
    return True


def effective_tags(lf_tags: Mapping[Carrier, Tags], *carrier: str) -> dict[str, frozenset[str]]:
    """The LF-Tags of a database, table or column: each level's own over what it inherits from above."""
    key = tuple(part.lower() for part in carrier)
    tags: dict[str, frozenset[str]] = {}
    for depth in range(1, len(key) + 1):
        tags.update(lf_tags.get(key[:depth], {}))
    return tags


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
    #: The LF-Tags each database, table and column carries itself (``effective_tags`` adds what it inherits).
    lf_tags: Mapping[Carrier, Tags] = field(default_factory=dict)
    #: The saved LF-Tag expressions by name (what an ``LFTagPolicy`` with ``ExpressionName`` grants on).
    tag_expressions: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)

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

    def _policy(self, grant: Mapping[str, Any], resource_type: str) -> list[Mapping[str, Any]] | None:
        """The expression of an LF-Tag policy grant on ``resource_type`` (TABLE or DATABASE); None otherwise."""
        policy = (grant.get("Resource") or {}).get("LFTagPolicy")
        if policy is None or policy.get("ResourceType") != resource_type:
            return None
        return tag_expression(policy, self.tag_expressions)

    def tag_columns(self, grant: Mapping[str, Any], database: str, table: str, columns: Sequence[str]) -> set[str]:
        """The columns (lower case) whose LF-Tags match a TABLE LF-Tag policy grant's expression."""
        expression = self._policy(grant, "TABLE")
        if expression is None:
            return set()
        return {
            c.lower()
            for c in columns
            if expression_matches(expression, effective_tags(self.lf_tags, database, table, c))
        }

    def _tag_table_permissions(self, grant: Mapping[str, Any], database: str, table: str) -> set[str]:
        """What a TABLE LF-Tag policy grant holds on the table: all it names if the table's LF-Tags match, SELECT if
        only some column's own LF-Tags do (that column is then readable), nothing otherwise."""
        expression = self._policy(grant, "TABLE")
        if expression is None:
            return set()
        held = _expand(_held(grant), TABLE_PERMISSIONS)
        if expression_matches(expression, effective_tags(self.lf_tags, database, table)):
            return held
        own = (database.lower(), table.lower())
        tagged = [carrier[2] for carrier in self.lf_tags if len(carrier) == 3 and carrier[:2] == own]
        return held & {"SELECT"} if self.tag_columns(grant, database, table, tagged) else set()

    def table_permissions(self, database: str, table: str) -> set[str]:
        """Permissions held on the table itself (a column, filter or column-matching LF-Tag grant counts as SELECT)."""
        if self.admin or self._creator_of(database, table):
            return set(TABLE_PERMISSIONS)
        held: set[str] = set(READ_ONLY) if self.read_only_admin else set()
        for grant in self._applying():
            if on_table(grant.get("Resource") or {}, database, table):
                held |= _expand(_held(grant), TABLE_PERMISSIONS)
            else:
                held |= self._tag_table_permissions(grant, database, table)
        return held

    def cells(self, database: str, table: str, columns: Sequence[str]) -> list[Cells] | None:
        """The cells of the table this principal may read, one entry a grant; None without SELECT."""
        if not self.governed(database, table):
            return [Cells(frozenset(_lower(columns)))]
        found: list[Cells] = []
        for grant in self._mine():
            if not _held(grant) & {"ALL", "SELECT"}:
                continue
            if on_table(grant.get("Resource") or {}, database, table):
                found.append(granted_cells(grant["Resource"], columns, self.filters))
            elif reached := self.tag_columns(grant, database, table, columns):
                found.append(Cells(frozenset(reached)))
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
        tags = effective_tags(self.lf_tags, database)
        for grant in self._applying():
            expression = self._policy(grant, "DATABASE")
            if on_database(grant.get("Resource") or {}, database) or (
                expression is not None and expression_matches(expression, tags)
            ):
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
