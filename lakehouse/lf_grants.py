"""Lake Formation grants in one comparable shape, from ListPermissions and from Terraform state.

Exit check 5 asks whether every grant Lake Formation holds on the stack's databases, tables,
filters and locations is one the root grants. The two sides speak differently: the API says
``{"TableWithColumns": {"DatabaseName": ..., "ColumnWildcard": {"ExcludedColumnNames": [...]}}}``,
an ``aws_lakeformation_permissions`` resource says ``table_with_columns { wildcard = true,
excluded_column_names = [...] }``. Both become ``LfGrant``s (one permission each, so a grant
widened by one permission shows as exactly that permission) with the resource spelt the same way.

Catalog ids are left out: the root grants in its own account only. A column grant on every
column (a wildcard excluding nothing) is the table grant Lake Formation lists it as.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Lake Formation's name for "every IAM principal" (the defaults a stack must clear).
IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"


@dataclass(frozen=True, order=True)
class LfGrant:
    """One permission of one principal on one resource (``permission`` ends ``(grantable)`` for grant options)."""

    principal: str
    resource: str
    permission: str
    region: str = ""
    #: Why a grant that names no stack resource is the stack's (an LF-Tag grant: what its tags reach).
    via: str = ""

    @property
    def comparable(self) -> tuple[str, str, str]:
        """What must match a grant in state (the region is where it was found, not part of the grant)."""
        return (self.principal, self.resource, self.permission)


def _table(database: str, name: str | None, wildcard: bool) -> str:
    return f"table {database}.{'*' if wildcard or not name else name}"


def _columns(database: str, name: str, columns: Iterable[str] | None, excluded: Iterable[str] | None) -> str:
    if columns:
        return f"columns {database}.{name} ({', '.join(sorted(columns))})"
    if excluded:
        return f"columns {database}.{name} (all but {', '.join(sorted(excluded))})"
    return _table(database, name, False)


def _tag_expression(pairs: Iterable[tuple[str, Iterable[str]]]) -> str:
    return "; ".join(sorted(f"{key}={','.join(sorted(values))}" for key, values in pairs))


def describe_resource(resource: Mapping[str, Any]) -> str:
    """A ListPermissions ``Resource`` as text, e.g. ``columns db.users (all but ssn)``."""
    if "Catalog" in resource:
        return "catalog"
    if "Database" in resource:
        return f"database {resource['Database']['Name']}"
    if "Table" in resource:
        table = resource["Table"]
        return _table(table["DatabaseName"], table.get("Name"), "TableWildcard" in table)
    if "TableWithColumns" in resource:
        cols = resource["TableWithColumns"]
        excluded = cols.get("ColumnWildcard", {}).get("ExcludedColumnNames") if "ColumnWildcard" in cols else None
        return _columns(cols["DatabaseName"], cols["Name"], cols.get("ColumnNames"), excluded)
    if "DataLocation" in resource:
        return f"data location {resource['DataLocation']['ResourceArn']}"
    if "DataCellsFilter" in resource:
        f = resource["DataCellsFilter"]
        return f"data cells filter {f.get('DatabaseName')}.{f.get('TableName')}.{f.get('Name')}"
    if "LFTag" in resource:
        tag = resource["LFTag"]
        return f"lf-tag {_tag_expression([(tag['TagKey'], tag.get('TagValues', []))])}"
    if "LFTagPolicy" in resource:
        policy = resource["LFTagPolicy"]
        expression = _tag_expression((e["TagKey"], e.get("TagValues", [])) for e in policy.get("Expression", []))
        if policy.get("ExpressionName") and not policy.get("Expression"):
            expression = f"expression {policy['ExpressionName']}"
        return f"lf-tag policy {policy.get('ResourceType', '').lower()} {expression}".rstrip()
    return f"other {json.dumps(dict(resource), sort_keys=True)}"


def resource_database(resource: Mapping[str, Any]) -> str | None:
    """The Glue database a grant's resource lies in (None for catalog, locations, tags)."""
    if "Database" in resource:
        return str(resource["Database"]["Name"])
    for kind in ("Table", "TableWithColumns", "DataCellsFilter"):
        if kind in resource:
            return str(resource[kind]["DatabaseName"])
    return None


def grants_from_listing(entry: Mapping[str, Any], region: str = "", via: str = "") -> list[LfGrant]:
    """One ``PrincipalResourcePermissions`` entry of ListPermissions as single-permission grants."""
    principal = entry["Principal"]["DataLakePrincipalIdentifier"]
    resource = describe_resource(entry["Resource"])
    perms = [LfGrant(principal, resource, p, region, via) for p in entry.get("Permissions", [])]
    grantable = [
        LfGrant(principal, resource, f"{p} (grantable)", region, via)
        for p in entry.get("PermissionsWithGrantOption", [])
    ]
    return perms + grantable


def _first(values: Mapping[str, Any], block: str) -> Mapping[str, Any] | None:
    items = values.get(block) or []
    return items[0] if items else None


def _state_resource(values: Mapping[str, Any]) -> str:
    """The resource of an ``aws_lakeformation_permissions`` state entry, spelt as ``describe_resource`` does."""
    if values.get("catalog_resource"):
        return "catalog"
    if db := _first(values, "database"):
        return f"database {db['name']}"
    if table := _first(values, "table"):
        return _table(table["database_name"], table.get("name"), bool(table.get("wildcard")))
    if cols := _first(values, "table_with_columns"):
        return _columns(
            cols["database_name"], cols["name"], cols.get("column_names"), cols.get("excluded_column_names")
        )
    if loc := _first(values, "data_location"):
        return f"data location {loc['arn']}"
    if f := _first(values, "data_cells_filter"):
        return f"data cells filter {f['database_name']}.{f['table_name']}.{f['name']}"
    if tag := _first(values, "lf_tag"):
        return f"lf-tag {_tag_expression([(tag['key'], tag.get('values', []))])}"
    if policy := _first(values, "lf_tag_policy"):
        expression = _tag_expression((e["key"], e.get("values", [])) for e in policy.get("expression", []))
        return f"lf-tag policy {str(policy.get('resource_type', '')).lower()} {expression}".rstrip()
    return "other (unknown resource block in state)"


def grants_from_state(values: Mapping[str, Any]) -> list[LfGrant]:
    """An ``aws_lakeformation_permissions`` resource's values as single-permission grants."""
    principal = values["principal"]
    resource = _state_resource(values)
    perms = [LfGrant(principal, resource, p) for p in values.get("permissions") or []]
    grantable = [
        LfGrant(principal, resource, f"{p} (grantable)") for p in values.get("permissions_with_grant_option") or []
    ]
    return perms + grantable


def default_permissions_from_settings(entries: Iterable[Mapping[str, Any]]) -> set[str]:
    """``CreateDatabaseDefaultPermissions``-style entries (API) as ``principal: PERMISSION`` texts."""
    return {f"{e['Principal']['DataLakePrincipalIdentifier']}: {p}" for e in entries for p in e.get("Permissions", [])}


def default_permissions_from_state(entries: Iterable[Mapping[str, Any]]) -> set[str]:
    """The same entries as ``aws_lakeformation_data_lake_settings`` keeps them in state."""
    return {f"{e['principal']}: {p}" for e in entries for p in e.get("permissions") or []}


def database_defaults_from_state(entries: Iterable[Mapping[str, Any]]) -> set[str]:
    """An ``aws_glue_catalog_database``'s ``create_table_default_permission`` blocks (its principal a nested
    block) as the same ``principal: PERMISSION`` texts."""
    return {
        f"{principal.get('data_lake_principal_identifier')}: {p}"
        for e in entries
        for principal in e.get("principal") or []
        for p in e.get("permissions") or []
    }


def tag_map(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, set[str]]:
    """GetResourceLFTags' tag list as key -> values."""
    return {str(t.get("TagKey")): set(t.get("TagValues") or []) for t in tags or []}


def column_tags(answer: Mapping[str, Any], column: str) -> dict[str, set[str]]:
    """A column's LF-Tags: the database's, overridden by the table's, overridden by the column's own."""
    tags = tag_map(answer.get("LFTagOnDatabase"))
    tags.update(tag_map(answer.get("LFTagsOnTable")))
    for entry in answer.get("LFTagsOnColumns") or []:
        if str(entry.get("Name", "")).lower() == column.lower():
            tags.update(tag_map(entry.get("LFTags")))
    return tags


def expression_matches(expression: Iterable[Mapping[str, Any]], tags: Mapping[str, set[str]]) -> bool:
    """Every condition of an LF-Tag expression holds (a ``*`` value matches any value of the key)."""
    for condition in expression:
        values = set(condition.get("TagValues") or [])
        have = tags.get(str(condition.get("TagKey")))
        if have is None or not ("*" in values or have & values):
            return False
    return True


def _tag_maps(answer: Mapping[str, Any]) -> list[dict[str, set[str]]]:
    """The tags a database or table carries, and each of its columns' (with what they inherit)."""
    maps = [column_tags(answer, "")]
    maps += [column_tags(answer, str(c.get("Name", ""))) for c in answer.get("LFTagsOnColumns") or []]
    return maps


def carries_tags(answer: Mapping[str, Any]) -> bool:
    """Whether a GetResourceLFTags answer holds any LF-Tag (the resource's, inherited, or a column's)."""
    return any(_tag_maps(answer))


def reached_by_tags(
    resource: Mapping[str, Any], expression: Iterable[Mapping[str, Any]] | None, tagged: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    """Which stack databases and tables an ``LFTagPolicy`` or ``LFTag`` grant reaches.

    ``tagged``: ``database <db>`` / ``table <db>.<t>`` -> its GetResourceLFTags answer (a table's with its
    database's tags in ``LFTagOnDatabase``); ``expression``: the policy's (inline, or the saved one it names).
    A policy grant on ``DATABASE`` reaches databases whose tags match; on ``TABLE``, tables whose own or any
    column's tags match. A grant on an LF-Tag (``DESCRIBE``/``ASSOCIATE`` on key and values: the power to
    tag) reaches whatever carries that key with one of those values.
    """
    if "LFTag" in resource:
        key = str(resource["LFTag"].get("TagKey"))
        values = set(resource["LFTag"].get("TagValues") or [])
        return sorted(
            name
            for name, answer in tagged.items()
            if any(key in m and ("*" in values or m[key] & values) for m in _tag_maps(answer))
        )
    policy = resource.get("LFTagPolicy") or {}
    wanted = "database " if policy.get("ResourceType") == "DATABASE" else "table "
    conditions = list(expression or [])
    return sorted(
        name
        for name, answer in tagged.items()
        if name.startswith(wanted) and any(expression_matches(conditions, m) for m in _tag_maps(answer))
    )
