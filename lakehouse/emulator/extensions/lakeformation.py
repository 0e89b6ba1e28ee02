"""Lake Formation behaviour that moto 5.2.5 lacks and our grants, checks and Terraform need.

Written against moto 5.2.5. What it adds or corrects, each as AWS does it:

- ListPermissions: a ``Table`` filter also returns the grants stored on that
  table as ``TableWithColumns`` (column grants, e.g. a wildcard excluding
  ``ssn``), which is how Terraform's ``aws_lakeformation_permissions`` reads a
  column grant back; a ``TableWithColumns`` filter is accepted and answered like
  the ``Table`` filter on the same table; ``DataCellsFilter``, ``LFTag`` and
  ``LFTagPolicy`` filters and every ``ResourceType`` work (moto rejects the
  filters, answers 500 for ``DATA_CELLS_FILTER`` and 500s on a table-wildcard
  grant). A grant comes back in the shape it was granted in.
- Grant authority: GrantPermissions, RevokePermissions and their batch forms are accepted only
  from data lake admins and from holders of the permissions *with grant option* on that resource
  (or the resource's creator); anyone else gets ``AccessDeniedException: Resource does not exist
  or requester is not authorized to access requested permissions.`` (the batch forms answer it
  per entry in ``Failures``). An account without data lake admins has not adopted Lake
  Formation, so IAM alone decides there (the emulator does not evaluate IAM).
- GrantPermissions (and each BatchGrantPermissions entry) of a permission the resource kind does not take
  (SELECT on a database, CREATE_TABLE on a table, ...) fails with ``InvalidInputException: Permissions
  modification is invalid.`` (``VALID_PERMISSIONS``; moto kept any permission on any resource).
- RevokePermissions of nothing the grantee holds fails with
  ``InvalidInputException: No permissions revoked...``; Terraform's destroy
  revokes until it sees that error (against moto it retried until its timeout).
- GrantPermissions on a data cells filter that does not exist fails with
  ``EntityNotFoundException``.
- Data cells filters: Create/Get/Update/Delete/ListDataCellsFilter (moto: 404,
  and List always empty), with AlreadyExistsException, EntityNotFoundException
  (also for a table missing from the Glue catalog) and InvalidInputException.
  Create and Update refuse (InvalidInputException) a row filter expression Lake Formation does not accept:
  functions, CASE, a column compared with a column, operators beyond its PartiQL subset, a column the table
  lacks, a column of a type it does not filter on (``TIMESTAMP data type not supported for row level filter
  predicate.``; ``row_filter_syntax`` cites the developer guide and aws-cli#10397). Deleting a filter drops the
  grants on it.
- Glue CreateDatabase applies the account's CreateDatabaseDefaultPermissions as grants and keeps
  CreateTableDefaultPermissions on the database (its input's, else the settings' of that moment;
  GetDatabase shows it, UpdateDatabase without it leaves it be); CreateTable grants the database's
  (by default ``IAM_ALLOWED_PRINCIPALS`` gets ALL, so a stack whose databases are born before it
  clears the settings stays open, as on AWS); deleting a database or table drops the
  grants on it, so a table re-created under the same name does not inherit them.
- The emulator's Athena asks ``access_for()`` what the caller may do, with the caller
  resolved by ``caller_principal()`` from the request's access key (keys from the emulator's STS
  AssumeRole map to the role, as Lake Formation sees a role session). Who created which database
  or table through Athena is kept (creators hold every permission on what they create, implicitly)
  and forgotten with the database or table; the registered locations come along, for the data location
  permission Athena's CREATE TABLE and ALTER TABLE SET LOCATION need inside them, and so do the LF-Tags each
  database, table and column carries and the saved LF-Tag expressions, for LF-Tag policy grants.
- LF-Tags on resources: GetResourceLFTags of a table answers its database's tags, its own and its
  columns' (moto: the table's own only), with what each inherits unless ``ShowAssignedLFTags``
  (database -> table -> column, a key assigned lower down replacing the inherited value); a database
  or table without LF-Tags answers none (moto: 500). AddLFTagsToResource adds to what the resource
  carries (moto replaced it all) and fails a tag whose key or value the LF-Tag lacks;
  RemoveLFTagsFromResource removes by key; ColumnWildcard names every column but the excluded;
  a deleted database or table loses its LF-Tags.
- GetResourceLFTags of a database or table the Glue catalog does not hold fails with
  ``EntityNotFoundException`` (it answered empty: a reader could not tell a vanished table from an
  untagged one).
- LF-Tag expressions (named expressions an LF-Tag grant may use): Create/Get/Update/Delete/
  ListLFTagExpressions (moto: 404). An expression's keys and values must be those of existing LF-Tags
  (else ``EntityNotFoundException``); a name taken fails with ``InvalidInputException`` (the
  operation's model lists no AlreadyExistsException); Get/Update/Delete of a name not held fail with
  ``EntityNotFoundException``; Update replaces the expression and the description; the listing pages
  with ``MaxResults``/``NextToken``, in name order.
- RegisterResource keeps HybridAccessEnabled, WithFederation and
  WithPrivilegedAccess, and ``UseServiceLinkedRole`` gets the service-linked
  role's ARN; DescribeResource/ListResources return them (moto drops them, so
  Terraform's ``aws_lakeformation_resource`` would plan a replacement).

Shape: the extension classes subclass moto's classes for typing only;
``install()`` copies their methods onto moto's ``LakeFormationBackend`` (state
and logic) and ``LakeFormationResponse`` (wire format), and routes the new
REST paths to moto's dispatcher.
"""

from __future__ import annotations

import bisect
import json
import time
import uuid
from collections.abc import Callable
from typing import Any, cast

from moto.core.exceptions import JsonRESTError
from moto.glue.exceptions import EntityNotFoundException as GlueEntityNotFound
from moto.glue.models import GlueBackend, glue_backends
from moto.lakeformation import urls as moto_urls
from moto.lakeformation.exceptions import AlreadyExists, InvalidInput
from moto.lakeformation.models import LakeFormationBackend, Resource, lakeformation_backends
from moto.lakeformation.responses import LakeFormationResponse
from moto.sts.models import sts_backends
from moto.utilities.utils import get_partition

from lakehouse.emulator.extensions._graft import graft
from lakehouse.emulator.sql.access import Access, Created
from lakehouse.emulator.sql.row_filter_syntax import invalid_input_message

_INSTALLED_MARK = "_lakehouse_lakeformation_extension"
NOT_AUTHORIZED = "Resource does not exist or requester is not authorized to access requested permissions."
_NEW_ACTIONS = (
    "CreateDataCellsFilter",
    "GetDataCellsFilter",
    "UpdateDataCellsFilter",
    "DeleteDataCellsFilter",
    "CreateLFTagExpression",
    "GetLFTagExpression",
    "UpdateLFTagExpression",
    "DeleteLFTagExpression",
    "ListLFTagExpressions",
)
#: ListLFTagExpressions' MaxResults: botocore's bounds; AWS's default page size is not documented.
_MAX_EXPRESSIONS_PAGE = 1000

# Members of botocore's Resource structure, in the order a filter's first member is taken.
RESOURCE_KINDS = (
    "Catalog",
    "Database",
    "Table",
    "TableWithColumns",
    "DataLocation",
    "DataCellsFilter",
    "LFTag",
    "LFTagPolicy",
    "LFTagExpression",
    "UserDefinedFunction",
)
# Fields naming a catalog: absent means the catalog of the request.
_CATALOG_FIELDS = frozenset({"CatalogId", "TableCatalogId", "Id"})
_TABLE_FIELDS = ("CatalogId", "DatabaseName", "Name", "TableWildcard")
_FILTER_KEY_FIELDS = ("TableCatalogId", "DatabaseName", "TableName", "Name")

FilterKey = tuple[str, str, str, str]


class AccessDenied(JsonRESTError):
    """Lake Formation's AccessDeniedException (HTTP 400, as AWS answers it)."""

    def __init__(self, message: str = NOT_AUTHORIZED) -> None:
        super().__init__("AccessDeniedException", message)


class EntityNotFound(JsonRESTError):
    """AWS's EntityNotFoundException with a message saying what is missing."""

    def __init__(self, message: str) -> None:
        super().__init__("EntityNotFoundException", message)


def resource_kind(resource: dict[str, Any]) -> str:
    """Which kind of resource a Resource structure names (its first member we know)."""
    for kind in RESOURCE_KINDS:
        if kind in resource:
            return kind
    raise InvalidInput("Resource must have either the catalog, table or database field populated.")


#: The permissions each kind of resource takes: the Lake Formation developer guide's "Lake Formation
#: permissions per resource type" (lf-permissions-reference). A table grant's ``TableWithColumns`` is the guide's
#: "Table with column filter" (SELECT) unless it is a column wildcard excluding nothing, which Lake Formation
#: keeps as the table grant it is; ``DataCellsFilter`` is "Table with data filters". The catalog takes more than
#: the guide's CREATE_DATABASE: the catalog-level permissions botocore's Permission enum names and the guide
#: describes elsewhere (ALL and DESCRIBE, which this emulator models, and the LF-Tag and catalog creator
#: permissions), never a data permission. Kinds the table leaves out (LFTagExpression, UserDefinedFunction)
#: are not checked.
VALID_PERMISSIONS: dict[str, frozenset[str]] = {
    "Catalog": frozenset(
        {
            "ALL",
            "ALTER",
            "CREATE_CATALOG",
            "CREATE_DATABASE",
            "CREATE_LF_TAG",
            "CREATE_LF_TAG_EXPRESSION",
            "DESCRIBE",
            "DROP",
            "SUPER_USER",
        }
    ),
    "Database": frozenset({"ALL", "ALTER", "CREATE_TABLE", "DESCRIBE", "DROP"}),
    "Table": frozenset({"ALL", "ALTER", "DELETE", "DESCRIBE", "DROP", "INSERT", "SELECT"}),
    "TableWithColumns": frozenset({"SELECT"}),
    "DataLocation": frozenset({"DATA_LOCATION_ACCESS"}),
    "DataCellsFilter": frozenset({"DESCRIBE", "DROP", "SELECT"}),
    "LFTag": frozenset({"ALTER", "ASSOCIATE", "DESCRIBE", "DROP", "GRANT_WITH_LF_TAG_EXPRESSION"}),
    "LFTagPolicy:DATABASE": frozenset({"ALL", "ALTER", "CREATE_TABLE", "DESCRIBE", "DROP"}),
    "LFTagPolicy:TABLE": frozenset({"ALL", "ALTER", "DELETE", "DESCRIBE", "DROP", "INSERT", "SELECT"}),
}
INVALID_MODIFICATION = "Permissions modification is invalid."


def invalid_permissions(resource: dict[str, Any], permissions: list[str]) -> list[str]:
    """The permissions (in request order) that the resource's kind does not take; none for kinds not checked.

    AWS answers such a grant ``InvalidInputException: Permissions modification is invalid.`` (the words public
    Terraform configurations quote for SELECT on a database; the guide documents the matrix, not the message).
    """
    kind = resource_kind(resource)
    if kind == "LFTagPolicy":
        kind = f"LFTagPolicy:{(resource['LFTagPolicy'] or {}).get('ResourceType')}"
    elif kind == "TableWithColumns":
        wildcard = resource["TableWithColumns"].get("ColumnWildcard")
        if wildcard is not None and not (wildcard or {}).get("ExcludedColumnNames"):
            kind = "Table"  # every column: the table grant Lake Formation lists it as
    valid = VALID_PERMISSIONS.get(kind)
    return [] if valid is None else [p for p in permissions if p not in valid]


def _table_view(resource: dict[str, Any]) -> dict[str, Any] | None:
    """A Table or TableWithColumns resource seen as the table it is on; None for other kinds."""
    if "Table" in resource:
        return cast(dict[str, Any], resource["Table"])
    if "TableWithColumns" in resource:
        columns = resource["TableWithColumns"]
        return {k: columns[k] for k in _TABLE_FIELDS if k in columns}
    return None


def _fields_match(wanted: dict[str, Any], stored: dict[str, Any], catalog_id: str) -> bool:
    """Every field the filter names has the stored value (catalog ids default to the request's)."""
    for field, value in wanted.items():
        have = stored.get(field)
        if field in _CATALOG_FIELDS:
            value, have = value or catalog_id, have or catalog_id
        if have != value:
            return False
    return True


def resource_matches(wanted: dict[str, Any], stored: dict[str, Any], catalog_id: str) -> bool:
    """Whether a grant on ``stored`` answers a ListPermissions filter on ``wanted``."""
    kind = resource_kind(wanted)
    if kind not in ("Table", "TableWithColumns"):
        return kind in stored and _fields_match(wanted[kind], stored[kind], catalog_id)
    wanted_table, stored_table = _table_view({kind: wanted[kind]}), _table_view(stored)
    return (
        wanted_table is not None and stored_table is not None and _fields_match(wanted_table, stored_table, catalog_id)
    )


def _lf_tag_policy_on(resource_type: str) -> Callable[[dict[str, Any]], bool]:
    return lambda r: r.get("LFTagPolicy", {}).get("ResourceType") == resource_type


# ListPermissions' ResourceType values and which stored grants each selects: botocore's
# DataLakeResourceType plus DATA_CELLS_FILTER (absent from botocore 1.44.5's enum, which botocore
# does not enforce; moto answered it with a 500).
RESOURCE_TYPES: dict[str, Callable[[dict[str, Any]], bool]] = {
    "CATALOG": lambda r: "Catalog" in r,
    "DATABASE": lambda r: "Database" in r,
    "TABLE": lambda r: "Table" in r or "TableWithColumns" in r,
    "DATA_LOCATION": lambda r: "DataLocation" in r,
    "DATA_CELLS_FILTER": lambda r: "DataCellsFilter" in r,
    "LF_TAG": lambda r: "LFTag" in r,
    "LF_TAG_POLICY": lambda r: "LFTagPolicy" in r,
    "LF_TAG_POLICY_DATABASE": _lf_tag_policy_on("DATABASE"),
    "LF_TAG_POLICY_TABLE": _lf_tag_policy_on("TABLE"),
    "LF_NAMED_TAG_EXPRESSION": lambda r: "LFTagExpression" in r,
    "USER_DEFINED_FUNCTION": lambda r: "UserDefinedFunction" in r,
}


def filter_key(fields: dict[str, Any], default_catalog: str) -> FilterKey:
    """(table catalog, database, table, filter name): what identifies a data cells filter.

    A grant may name the filter without TableCatalogId; it then means the caller's catalog.
    """
    catalog, database, table, name = (fields.get(f) for f in _FILTER_KEY_FIELDS)
    return cast(FilterKey, (catalog or default_catalog, database, table, name))


def _describe_filter(key: FilterKey) -> str:
    catalog, database, table, name = key
    return f"data cells filter {name} on table {catalog}:{database}.{table}"


def _validate_table_data(table_data: dict[str, Any]) -> None:
    """AWS wants exactly one of ColumnNames and ColumnWildcard."""
    if ("ColumnNames" in table_data) == ("ColumnWildcard" in table_data):
        raise InvalidInput("Exactly one of ColumnNames or ColumnWildcard must be specified.")


class LakeFormationBackendExtension(LakeFormationBackend):
    """State and logic grafted onto moto's LakeFormationBackend by ``install()``."""

    @property
    def data_cells_filters(self) -> dict[FilterKey, dict[str, Any]]:
        """Data cells filters by key; created on first use, so moto's reset() clears them."""
        return cast(dict[FilterKey, dict[str, Any]], self.__dict__.setdefault("lakehouse_data_cells_filters", {}))

    @property
    def creators(self) -> dict[Created, str]:
        """Who created each database ``(db,)`` and table ``(db, table)`` through Athena, lower case."""
        return cast(dict[Created, str], self.__dict__.setdefault("lakehouse_creators", {}))

    def find_permissions(
        self,
        catalog_id: str,
        principal: dict[str, str] | None,
        resource: dict[str, Any] | None,
        resource_type: str | None,
    ) -> list[dict[str, Any]]:
        """ListPermissions as AWS answers it; no pagination (everything in one page)."""
        if principal is not None and resource is None:
            raise InvalidInput("Resource is mandatory if Principal is set in the input.")
        if resource_type is not None and resource_type not in RESOURCE_TYPES:
            raise InvalidInput(f"Unsupported ResourceType: {resource_type}")
        if resource is not None:
            resource_kind(resource)  # rejects an empty Resource before looking at grants
        catalog = self.grants.get(catalog_id)
        grants = list(catalog.permissions) if catalog else []
        return [
            grant.to_external_form()
            for grant in grants
            if (principal is None or grant.principal == principal)
            and (resource_type is None or RESOURCE_TYPES[resource_type](grant.resource))
            and (resource is None or resource_matches(resource, grant.resource, catalog_id))
        ]

    def held_permissions(self, catalog_id: str, principal: dict[str, str], resource: dict[str, Any]) -> set[str]:
        """What the principal holds on exactly this resource (the grant moto's revoke would edit)."""
        catalog = self.grants.get(catalog_id)
        for grant in catalog.permissions if catalog else ():
            if grant.principal == principal and grant.resource == resource:
                return set(grant.permissions) | set(grant.permissions_with_grant_options)
        return set()

    def require_data_cells_filter(self, fields: dict[str, Any]) -> dict[str, Any]:
        key = filter_key(fields, self.account_id)
        if key not in self.data_cells_filters:
            raise EntityNotFound(f"Entity not found: {_describe_filter(key)}")
        return self.data_cells_filters[key]

    def create_data_cells_filter(self, table_data: dict[str, Any]) -> None:
        _validate_table_data(table_data)
        key = filter_key(table_data, self.account_id)
        if key in self.data_cells_filters:
            raise AlreadyExists(f"The {_describe_filter(key)} already exists.")
        self._check_row_filter(key, table_data)
        self.data_cells_filters[key] = {**table_data, "VersionId": str(uuid.uuid4())}

    def _check_row_filter(self, key: FilterKey, table_data: dict[str, Any]) -> None:
        """The filter's table must be in the Glue catalog, and its row filter one Lake Formation accepts."""
        catalog, database, table, _ = key
        try:
            found = glue_backends[catalog][self.region_name].get_table(database, table).as_dict()
        except GlueEntityNotFound as missing:
            raise EntityNotFound(f"Table not found: {catalog}:{database}.{table}") from missing
        expression = (table_data.get("RowFilter") or {}).get("FilterExpression")
        if expression is None:
            return
        partitions = found.get("PartitionKeys") or []
        columns = [*((found.get("StorageDescriptor") or {}).get("Columns") or []), *partitions]
        why = invalid_input_message(
            str(expression),
            {str(c["Name"]): str(c.get("Type") or "") for c in columns},
            [str(p["Name"]) for p in partitions],
            f"{catalog}:{database}.{table}",
        )
        if why is not None:
            raise InvalidInput(why)

    def get_data_cells_filter(self, fields: dict[str, Any]) -> dict[str, Any]:
        return self.require_data_cells_filter(fields)

    def update_data_cells_filter(self, table_data: dict[str, Any]) -> None:
        """Replace the filter's columns and rows; a new VersionId says it changed."""
        _validate_table_data(table_data)
        self.require_data_cells_filter(table_data)
        self._check_row_filter(filter_key(table_data, self.account_id), table_data)
        self.data_cells_filters[filter_key(table_data, self.account_id)] = {
            **table_data,
            "VersionId": str(uuid.uuid4()),
        }

    def delete_data_cells_filter(self, fields: dict[str, Any]) -> None:
        """Delete the filter and the grants on it, which cannot outlive it."""
        self.require_data_cells_filter(fields)
        key = filter_key(fields, self.account_id)
        del self.data_cells_filters[key]
        for catalog_id, catalog in self.grants.items():
            catalog.permissions = {
                grant
                for grant in catalog.permissions
                if "DataCellsFilter" not in grant.resource
                or filter_key(grant.resource["DataCellsFilter"], catalog_id) != key
            }

    def list_data_cells_filter(self, table: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every filter, or those on one table (or, with TableWildcard, one database)."""
        filters = list(self.data_cells_filters.values())
        if table is None:
            return filters
        wanted = {"TableCatalogId": table.get("CatalogId"), "DatabaseName": table["DatabaseName"]}
        if "Name" in table:
            wanted["TableName"] = table["Name"]
        return [f for f in filters if _fields_match(wanted, f, self.account_id)]

    @property
    def lf_tag_expressions(self) -> dict[tuple[str, str], dict[str, Any]]:
        """LF-Tag expressions by (catalog, name) as GetLFTagExpression answers them; created on first use."""
        return cast(dict[tuple[str, str], dict[str, Any]], self.__dict__.setdefault("lakehouse_lf_tag_expressions", {}))

    def _valid_expression(self, catalog_id: str, expression: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The expression as kept; every key and value must be an existing LF-Tag's (as AddLFTagsToResource asks)."""
        if not expression:
            raise InvalidInput("Expression must hold at least one LF-Tag.")
        defined = self.list_lf_tags(catalog_id)
        kept = []
        for tag in expression:
            key, values = str(tag.get("TagKey") or ""), [str(v) for v in tag.get("TagValues") or []]
            allowed = defined.get(key)
            if allowed is None or not values or not set(values) <= set(allowed):  # type: ignore[arg-type]
                raise EntityNotFound(f"Tag or tag value does not exist: {key}={','.join(values)}")
            kept.append({"TagKey": key, "TagValues": values})
        return kept

    def _expression(self, catalog_id: str, name: str) -> dict[str, Any]:
        found = self.lf_tag_expressions.get((catalog_id, name))
        if found is None:
            raise EntityNotFound(f"LF-Tag expression not found: {catalog_id}:{name}")
        return found

    def create_lf_tag_expression(
        self, catalog_id: str, name: str, expression: list[dict[str, Any]], description: str | None
    ) -> None:
        if (catalog_id, name) in self.lf_tag_expressions:
            raise InvalidInput(f"LF-Tag expression {name} already exists in catalog {catalog_id}.")
        kept = self._valid_expression(catalog_id, expression)
        entry = {"Name": name, "CatalogId": catalog_id, "Expression": kept}
        self.lf_tag_expressions[(catalog_id, name)] = {**entry, **({"Description": description} if description else {})}

    def get_lf_tag_expression(self, catalog_id: str, name: str) -> dict[str, Any]:
        return self._expression(catalog_id, name)

    def update_lf_tag_expression(
        self, catalog_id: str, name: str, expression: list[dict[str, Any]], description: str | None
    ) -> None:
        """Replace the expression and the description (the request carries both; no description clears it)."""
        self._expression(catalog_id, name)
        self.lf_tag_expressions.pop((catalog_id, name))
        self.create_lf_tag_expression(catalog_id, name, expression, description)

    def delete_lf_tag_expression(self, catalog_id: str, name: str) -> None:
        self._expression(catalog_id, name)
        del self.lf_tag_expressions[(catalog_id, name)]

    def list_lf_tag_expressions(
        self, catalog_id: str, max_results: int | None, next_token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the catalog's expressions in name order; the token is the last name answered."""
        if max_results is not None and not 1 <= max_results <= _MAX_EXPRESSIONS_PAGE:
            raise InvalidInput(f"MaxResults must be between 1 and {_MAX_EXPRESSIONS_PAGE}.")
        names = sorted(n for c, n in self.lf_tag_expressions if c == catalog_id)
        start = 0
        if next_token:
            try:
                last = json.loads(next_token)
            except ValueError as bad:
                raise InvalidInput("Invalid NextToken.") from bad
            if not isinstance(last, str):
                raise InvalidInput("Invalid NextToken.")
            start = bisect.bisect_right(names, last)  # after the last name answered, even if deleted since
        size = max_results or _MAX_EXPRESSIONS_PAGE
        page = names[start : start + size]
        more = start + size < len(names)
        return [self.lf_tag_expressions[(catalog_id, n)] for n in page], json.dumps(page[-1]) if more else None

    def register_resource_details(self, resource_arn: str, details: dict[str, Any]) -> None:
        """Keep the RegisterResource options moto drops, on moto's Resource object."""
        resource = self.resources[resource_arn]
        if details.pop("UseServiceLinkedRole", False) and resource.role_arn is None:
            resource.role_arn = (
                f"arn:aws:iam::{self.account_id}:role/aws-service-role/"
                "lakeformation.amazonaws.com/AWSServiceRoleForLakeFormationDataAccess"
            )
        details["LastModified"] = time.time()
        resource.__dict__["lakehouse_details"] = details

    # -- LF-Tags assigned to databases, tables and columns ------------------------------------------

    def _table_columns(self, catalog: str, database: str, table: str) -> list[str]:
        """The table's columns and partition keys as Glue has them (none when it has no such table)."""
        try:
            found = glue_backends[catalog][self.region_name].get_table(database, table).as_dict()
        except GlueEntityNotFound:
            return []
        columns = (found.get("StorageDescriptor") or {}).get("Columns") or []
        return [str(c["Name"]) for c in [*columns, *(found.get("PartitionKeys") or [])]]

    def _tagged_columns(self, catalog: str, spec: dict[str, Any]) -> list[str]:
        """The columns a TableWithColumns names: its ColumnNames, or its ColumnWildcard's (all but the excluded)."""
        if "ColumnWildcard" in spec:
            excluded = {c.lower() for c in (spec["ColumnWildcard"] or {}).get("ExcludedColumnNames") or []}
            columns = self._table_columns(catalog, spec["DatabaseName"], spec["Name"])
            return [c for c in columns if c.lower() not in excluded]
        return list(spec.get("ColumnNames") or [])

    def _lf_tag_slots(self, resource: dict[str, Any]) -> list[tuple[dict[Any, list[dict[str, Any]]], tuple[str, ...]]]:
        """Where moto keeps the tags of each database, table or column the Resource names."""
        if "Database" in resource:
            db = resource["Database"]
            return [(self.lf_database_tags, (db.get("CatalogId") or self.account_id, db["Name"]))]
        if "Table" in resource:
            t = resource["Table"]
            return [(self.lf_table_tags, (t.get("CatalogId") or self.account_id, t["DatabaseName"], t["Name"]))]
        if "TableWithColumns" in resource:
            t = resource["TableWithColumns"]
            catalog = t.get("CatalogId") or self.account_id
            key = (catalog, t["DatabaseName"], t["Name"])
            return [(self.lf_columns_tags, (*key, column)) for column in self._tagged_columns(catalog, t)]
        raise InvalidInput("Resource must be a database, a table or table columns.")

    def add_lf_tags_to_resource(
        self, catalog_id: str, resource: dict[str, Any], tags: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """AddLFTagsToResource as AWS does it: each tag is added to what the resource carries (a key it carries
        already gets the new value), and a key or value the LF-Tag does not have fails that tag in Failures
        (moto replaced all the resource's tags with these, and checked keys only)."""
        defined = self.list_lf_tags(catalog_id)
        failures, good = [], []
        for tag in tags:
            pair = {"CatalogId": tag.get("CatalogId") or catalog_id, "TagKey": tag["TagKey"]}
            pair["TagValues"] = list(tag.get("TagValues") or [])
            allowed = defined.get(pair["TagKey"])
            if allowed is None or not pair["TagValues"] or not set(pair["TagValues"]) <= set(allowed):  # type: ignore[arg-type]
                error = {"ErrorCode": "EntityNotFoundException", "ErrorMessage": "Tag or tag value does not exist."}
                failures.append({"LFTag": pair, "Error": error})
            else:
                good.append(pair)
        for store, key in self._lf_tag_slots(resource):
            carried = [t for t in store.get(key, []) if t["TagKey"] not in {g["TagKey"] for g in good}]
            store[key] = carried + [dict(g) for g in good]
        return failures

    def remove_lf_tags_from_resource(
        self, catalog_id: str, resource: dict[str, Any], tags: list[dict[str, Any]]
    ) -> None:
        """RemoveLFTagsFromResource: each key leaves the resource (moto failed on a tag it did not carry exactly)."""
        keys = {t["TagKey"] for t in tags}
        for store, key in self._lf_tag_slots(resource):
            store[key] = [t for t in store.get(key, []) if t["TagKey"] not in keys]

    def lf_tags_answer(self, resource: dict[str, Any], show_assigned: bool) -> dict[str, Any]:
        """GetResourceLFTags as AWS answers it. A table's answer holds its database's tags, its own and its
        columns'; without ``ShowAssignedLFTags`` a table shows what it inherits from its database and each
        column what it inherits from both (a key assigned lower down replacing the inherited value), with
        it only what each carries itself. A database or table without LF-Tags answers none (moto: a 500);
        one the Glue catalog does not hold fails with EntityNotFoundException (moto: none). moto answered a
        table's own tags only, with no database or column tags and no inheritance."""

        def merged(*layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
            tags: dict[str, dict[str, Any]] = {}
            for layer in layers:
                tags.update({t["TagKey"]: t for t in layer})
            return list(tags.values())

        if "Database" in resource:
            db = resource["Database"]
            catalog = db.get("CatalogId") or self.account_id
            self._require_catalog_entry(catalog, db["Name"], None)
            return {"LFTagOnDatabase": self.lf_database_tags.get((catalog, db["Name"]), [])}
        spec = resource.get("Table") or resource.get("TableWithColumns")
        if spec is None:
            raise InvalidInput("Resource must be a database, a table or table columns.")
        catalog, database, table = spec.get("CatalogId") or self.account_id, spec["DatabaseName"], spec["Name"]
        self._require_catalog_entry(catalog, database, table)
        on_db = self.lf_database_tags.get((catalog, database), [])
        own = self.lf_table_tags.get((catalog, database, table), [])
        if "TableWithColumns" in resource:
            columns = self._tagged_columns(catalog, spec)
        else:
            tagged = [k[3] for k, v in self.lf_columns_tags.items() if k[:3] == (catalog, database, table) and v]
            columns = list(dict.fromkeys([*self._table_columns(catalog, database, table), *tagged]))
        on_columns = []
        for column in columns:
            carried = self.lf_columns_tags.get((catalog, database, table, column), [])
            shown = carried if show_assigned else merged(on_db, own, carried)
            if shown:
                on_columns.append({"Name": column, "LFTags": shown})
        return {
            "LFTagOnDatabase": on_db,
            "LFTagsOnTable": own if show_assigned else merged(on_db, own),
            "LFTagsOnColumns": on_columns,
        }

    def _require_catalog_entry(self, catalog: str, database: str, table: str | None) -> None:
        """A database or table missing from the Glue catalog has no LF-Tags to answer: EntityNotFoundException,
        as AWS answers (moto answered it empty, as if it existed untagged)."""
        glue = glue_backends[catalog][self.region_name]
        try:
            if table is None:
                glue.get_database(database)
            else:
                glue.get_table(database, table)
        except GlueEntityNotFound as missing:
            what = f"Database {database}" if table is None else f"Table {database}.{table}"
            raise EntityNotFound(f"{what} not found in catalog {catalog}.") from missing

    def forget_lf_tags(self, catalog: str, database: str, table: str | None) -> None:
        """A deleted database's or table's LF-Tags go with it (a namesake created later carries none)."""
        stores: list[dict[Any, list[dict[str, str]]]] = [
            self.lf_database_tags,
            self.lf_table_tags,
            self.lf_columns_tags,
        ]
        for store in stores:
            for key in [k for k in store if k[:2] == (catalog, database) and (table is None or k[2:3] == (table,))]:
                del store[key]

    def resource_info(self, resource: Resource) -> dict[str, Any]:
        """DescribeResource's ResourceInfo: moto's fields plus the kept options."""
        info = resource.to_dict()
        info.update(resource.__dict__.get("lakehouse_details", {}))
        return {k: v for k, v in info.items() if v is not None}


class LakeFormationResponseExtension(LakeFormationResponse):
    """Wire format grafted onto moto's LakeFormationResponse; method names are the actions in snake_case."""

    @property
    def ext_backend(self) -> LakeFormationBackendExtension:
        return cast(LakeFormationBackendExtension, self.lakeformation_backend)

    def _catalog_id(self) -> str:
        return cast(str, self._get_param("CatalogId") or self.current_account)

    def list_permissions(self) -> str:
        permissions = self.ext_backend.find_permissions(
            catalog_id=self._catalog_id(),
            principal=self._get_param("Principal"),
            resource=self._get_param("Resource"),
            resource_type=self._get_param("ResourceType"),
        )
        return json.dumps({"PrincipalResourcePermissions": permissions})

    def _caller_access(self) -> Access:
        backend = self.ext_backend
        principal = caller_principal(backend.account_id, backend.region_name, self.get_access_key())
        return access_for(backend.account_id, backend.region_name, principal)

    def _authorise(self, access: Access, entry: dict[str, Any]) -> None:
        """Only data lake admins and holders of the permissions with grant option may grant or revoke them."""
        wanted = [*(entry.get("Permissions") or []), *(entry.get("PermissionsWithGrantOption") or [])]
        if not access.may_grant(entry.get("Resource") or {}, wanted):
            raise AccessDenied()

    def _grant(self, entry: dict[str, Any]) -> None:
        resource = entry.get("Resource") or {}
        if invalid_permissions(
            resource, [*(entry.get("Permissions") or []), *(entry.get("PermissionsWithGrantOption") or [])]
        ):
            raise InvalidInput(INVALID_MODIFICATION)
        if "DataCellsFilter" in resource:
            self.ext_backend.require_data_cells_filter(resource["DataCellsFilter"])
        self.ext_backend.grant_permissions(
            catalog_id=self._catalog_id(),
            principal=entry.get("Principal"),  # type: ignore[arg-type]
            resource=resource,
            permissions=entry.get("Permissions") or [],
            permissions_with_grant_options=entry.get("PermissionsWithGrantOption") or [],
        )

    def _revoke(self, entry: dict[str, Any]) -> None:
        catalog_id, principal, resource = self._catalog_id(), entry.get("Principal"), entry.get("Resource")
        permissions = entry.get("Permissions") or []
        grantable = entry.get("PermissionsWithGrantOption") or []
        if not self.ext_backend.held_permissions(catalog_id, principal, resource) & {*permissions, *grantable}:  # type: ignore[arg-type]
            raise InvalidInput(
                "No permissions revoked. Grantee has no permissions and no grantable permissions on resource."
            )
        self.ext_backend.revoke_permissions(catalog_id, principal, resource, permissions, grantable)  # type: ignore[arg-type]

    def _request_entry(self) -> dict[str, Any]:
        keys = ("Principal", "Resource", "Permissions", "PermissionsWithGrantOption")
        return {k: self._get_param(k) for k in keys}

    def grant_permissions(self) -> str:
        entry = self._request_entry()
        self._authorise(self._caller_access(), entry)
        self._grant(entry)
        return "{}"

    def revoke_permissions(self) -> str:
        entry = self._request_entry()
        self._authorise(self._caller_access(), entry)
        self._revoke(entry)
        return "{}"

    def _batch(self, apply: Callable[[dict[str, Any]], None]) -> str:
        """Each entry on its own: what fails is answered in ``Failures``, the rest is done."""
        access = self._caller_access()
        failures = []
        for entry in self._get_param("Entries") or []:
            try:
                self._authorise(access, entry)
                apply(entry)
            except JsonRESTError as err:
                error = {"ErrorCode": err.error_type, "ErrorMessage": err.message}
                failures.append({"RequestEntry": entry, "Error": error})
        return json.dumps({"Failures": failures})

    def batch_grant_permissions(self) -> str:
        return self._batch(self._grant)

    def batch_revoke_permissions(self) -> str:
        return self._batch(self._revoke)

    def create_data_cells_filter(self) -> str:
        self.ext_backend.create_data_cells_filter(self._get_param("TableData"))
        return "{}"

    def get_data_cells_filter(self) -> str:
        fields = {f: self._get_param(f) for f in _FILTER_KEY_FIELDS}
        return json.dumps({"DataCellsFilter": self.ext_backend.get_data_cells_filter(fields)})

    def update_data_cells_filter(self) -> str:
        self.ext_backend.update_data_cells_filter(self._get_param("TableData"))
        return "{}"

    def delete_data_cells_filter(self) -> str:
        self.ext_backend.delete_data_cells_filter({f: self._get_param(f) for f in _FILTER_KEY_FIELDS})
        return "{}"

    def list_data_cells_filter(self) -> str:
        filters = self.ext_backend.list_data_cells_filter(self._get_param("Table"))
        return json.dumps({"DataCellsFilters": filters})

    def register_resource(self) -> str:
        resource_arn = self._get_param("ResourceArn")
        self.ext_backend.register_resource(resource_arn=resource_arn, role_arn=self._get_param("RoleArn"))
        options = ("UseServiceLinkedRole", "HybridAccessEnabled", "WithFederation", "WithPrivilegedAccess")
        details = {k: self._get_param(k) for k in options if self._get_param(k) is not None}
        self.ext_backend.register_resource_details(resource_arn, details)
        return "{}"

    def describe_resource(self) -> str:
        resource = self.ext_backend.describe_resource(resource_arn=self._get_param("ResourceArn"))
        return json.dumps({"ResourceInfo": self.ext_backend.resource_info(resource)})

    def list_resources(self) -> str:
        infos = [self.ext_backend.resource_info(r) for r in self.ext_backend.list_resources()]
        return json.dumps({"ResourceInfoList": infos})

    def _expression_request(self) -> tuple[str, str, list[dict[str, Any]], str | None]:
        name, expression = self._get_param("Name"), self._get_param("Expression")
        return self._catalog_id(), name, expression, self._get_param("Description")

    def create_lf_tag_expression(self) -> str:
        self.ext_backend.create_lf_tag_expression(*self._expression_request())
        return "{}"

    def get_lf_tag_expression(self) -> str:
        return json.dumps(self.ext_backend.get_lf_tag_expression(self._catalog_id(), self._get_param("Name")))

    def update_lf_tag_expression(self) -> str:
        self.ext_backend.update_lf_tag_expression(*self._expression_request())
        return "{}"

    def delete_lf_tag_expression(self) -> str:
        self.ext_backend.delete_lf_tag_expression(self._catalog_id(), self._get_param("Name"))
        return "{}"

    def list_lf_tag_expressions(self) -> str:
        page, token = self.ext_backend.list_lf_tag_expressions(
            self._catalog_id(), self._get_param("MaxResults"), self._get_param("NextToken")
        )
        return json.dumps({"LFTagExpressions": page, **({"NextToken": token} if token else {})})

    def get_resource_lf_tags(self) -> str:
        answer = self.ext_backend.lf_tags_answer(
            self._get_param("Resource"), bool(self._get_param("ShowAssignedLFTags"))
        )
        return json.dumps({k: v for k, v in answer.items() if v})


# ---------------------------------------------------------------- who asks, and what they may see


def caller_principal(account_id: str, region: str, access_key: str) -> str:
    """The Lake Formation principal behind an access key: a role for role sessions, else the caller's ARN.

    Unknown keys get what moto's GetCallerIdentity answers for them, which is also what
    Terraform's ``aws_caller_identity`` saw when it made the deployer a data lake admin.
    """
    sts = sts_backends[account_id][get_partition(region)]
    assumed = sts.get_assumed_role_from_access_key(access_key)
    if assumed is not None:
        return str(assumed.role_arn)
    return sts.get_caller_identity(access_key, region)[1]


def _principal_ids(entries: list[dict[str, Any]] | None) -> set[str]:
    return {str(e.get("DataLakePrincipalIdentifier", "")) for e in entries or []}


def access_for(account_id: str, region: str, principal: str) -> Access:
    """What ``principal`` may do, from the Lake Formation state of this account and region."""
    backend = cast(LakeFormationBackendExtension, lakeformation_backends[account_id][region])
    settings = backend.get_data_lake_settings(account_id)
    catalog = backend.grants.get(account_id)
    grants = [g.to_external_form() for g in list(catalog.permissions)] if catalog else []
    filters = {
        (database.lower(), table.lower(), name): definition
        for (_, database, table, name), definition in dict(backend.data_cells_filters).items()
    }
    admins = _principal_ids(settings.get("DataLakeAdmins"))
    read_only_admins = _principal_ids(settings.get("ReadOnlyAdmins"))
    expressions = {
        name: list(saved.get("Expression") or [])
        for (catalog, name), saved in dict(backend.lf_tag_expressions).items()
        if catalog == account_id
    }

    def created(key: Created) -> None:
        backend.creators[key] = principal

    return Access(
        principal=principal,
        admin=principal in admins,
        read_only_admin=principal in read_only_admins,
        grants=grants,
        filters=filters,
        adopted=bool(admins or read_only_admins),
        created=frozenset(k for k, who in dict(backend.creators).items() if who == principal),
        registered=frozenset(dict(backend.resources)),
        on_create=created,
        lf_tags=_lf_tags(backend, account_id),
        tag_expressions=expressions,
    )


def _lf_tags(backend: LakeFormationBackend, account_id: str) -> dict[tuple[str, ...], dict[str, frozenset[str]]]:
    """What each database, table and column of the account's catalog carries itself, keyed as ``Access`` wants."""
    carried: dict[tuple[str, ...], dict[str, frozenset[str]]] = {}
    stores: list[dict[Any, list[dict[str, Any]]]] = [
        backend.lf_database_tags,
        backend.lf_table_tags,
        backend.lf_columns_tags,
    ]
    for store in stores:
        for (catalog, *names), tags in dict(store).items():
            if catalog == account_id and tags:
                key = tuple(str(n).lower() for n in names)
                carried[key] = {str(t["TagKey"]): frozenset(t.get("TagValues") or []) for t in tags}
    return carried


# ---------------------------------------------------------------- Glue creates and deletes


def _settings_default(glue: GlueBackend, setting: str) -> list[dict[str, Any]]:
    backend = lakeformation_backends[glue.account_id][glue.region_name]
    return list(backend.get_data_lake_settings(glue.account_id).get(setting) or [])


def _grant_defaults(glue: GlueBackend, defaults: list[dict[str, Any]], resource: dict[str, Any]) -> None:
    """Grant what a database's or the data lake settings' defaults say a new database or table gets."""
    backend = lakeformation_backends[glue.account_id][glue.region_name]
    for default in defaults:
        if default.get("Permissions"):
            backend.grant_permissions(glue.account_id, default["Principal"], resource, default["Permissions"], [])


def _table_defaults(glue: GlueBackend, database_name: str) -> list[dict[str, Any]]:
    """What a new table of the database gets: the database's own CreateTableDefaultPermissions (set when it was
    created, from its input or else the data lake settings of that moment), not today's settings."""
    database = glue.databases.get(database_name)
    if database is None or "CreateTableDefaultPermissions" not in (database.input or {}):
        return _settings_default(glue, "CreateTableDefaultPermissions")
    return list(database.input.get("CreateTableDefaultPermissions") or [])


def _drop_grants(glue: GlueBackend, database: str, table: str | None) -> None:
    """Grants die with their database or table on AWS; moto kept them for a namesake to inherit."""
    backend = lakeformation_backends[glue.account_id][glue.region_name]
    catalog = backend.grants.get(glue.account_id)

    def doomed(resource: dict[str, Any]) -> bool:
        if table is None and resource.get("Database", {}).get("Name") == database:
            return True
        for kind, name_field in (("Table", "Name"), ("TableWithColumns", "Name"), ("DataCellsFilter", "TableName")):
            spec = resource.get(kind)
            if spec is not None and spec.get("DatabaseName") == database:
                return table is None or spec.get(name_field) == table
        return False

    if catalog is not None:
        catalog.permissions = {g for g in catalog.permissions if not doomed(g.resource)}
    cast(LakeFormationBackendExtension, backend).forget_lf_tags(glue.account_id, database, table)
    creators = cast(LakeFormationBackendExtension, backend).creators
    for key in [k for k in creators if k[0] == database.lower() and (table is None or k[1:] == (table.lower(),))]:
        del creators[key]


def _install_glue_hooks() -> None:
    create_database, create_table = GlueBackend.create_database, GlueBackend.create_table
    update_database = GlueBackend.update_database
    delete_database, delete_table = GlueBackend.delete_database, GlueBackend.delete_table

    def create_database_with_defaults(self: GlueBackend, database_name: str, *args: Any, **kwargs: Any) -> Any:
        created = create_database(self, database_name, *args, **kwargs)
        # The database keeps what its new tables get: its input's, else the data lake settings' of this moment
        # (GetDatabase shows it; clearing the settings later leaves it be, as on AWS).
        if created.input is None:
            created.input = {}
        if created.input.get("CreateTableDefaultPermissions") is None:
            created.input["CreateTableDefaultPermissions"] = _settings_default(self, "CreateTableDefaultPermissions")
        _grant_defaults(
            self, _settings_default(self, "CreateDatabaseDefaultPermissions"), {"Database": {"Name": database_name}}
        )
        return created

    def update_database_keeping_defaults(self: GlueBackend, database_name: str, database_input: dict[str, Any]) -> Any:
        key = "CreateTableDefaultPermissions"
        previous = (self.databases[database_name].input or {}) if database_name in self.databases else {}
        if database_input.get(key) is None and key in previous:
            database_input = {**database_input, key: previous[key]}
        return update_database(self, database_name, database_input)

    def create_table_with_defaults(self: GlueBackend, database_name: str, table_name: str, *a: Any, **kw: Any) -> Any:
        created = create_table(self, database_name, table_name, *a, **kw)
        resource = {"Table": {"DatabaseName": database_name, "Name": table_name}}
        _grant_defaults(self, _table_defaults(self, database_name), resource)
        return created

    def delete_database_and_grants(self: GlueBackend, database_name: str) -> None:
        delete_database(self, database_name)
        _drop_grants(self, database_name, None)

    def delete_table_and_grants(self: GlueBackend, database_name: str, table_name: str) -> Any:
        deleted = delete_table(self, database_name, table_name)
        _drop_grants(self, database_name, table_name)
        return deleted

    GlueBackend.create_database = create_database_with_defaults  # type: ignore[method-assign]
    GlueBackend.create_table = create_table_with_defaults  # type: ignore[method-assign]
    GlueBackend.update_database = update_database_keeping_defaults  # type: ignore[method-assign]
    GlueBackend.delete_database = delete_database_and_grants  # type: ignore[method-assign]
    GlueBackend.delete_table = delete_table_and_grants  # type: ignore[method-assign]


def install() -> None:
    """Patch moto's Lake Formation backend, responses and routes; calling it again does nothing."""
    if getattr(LakeFormationBackend, _INSTALLED_MARK, False):
        return
    graft(LakeFormationBackendExtension, LakeFormationBackend)
    _install_glue_hooks()
    graft(LakeFormationResponseExtension, LakeFormationResponse)
    # moto routes Lake Formation's REST paths one by one; the server builds its URL map from
    # this dict on the first Lake Formation request, after install() has run.
    for action in _NEW_ACTIONS:
        moto_urls.url_paths[f"{{0}}/{action}$"] = LakeFormationResponse.dispatch
    setattr(LakeFormationBackend, _INSTALLED_MARK, True)
