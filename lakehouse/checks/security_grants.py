"""Exit check 6's judging of Lake Formation: the grants, settings and defaults that open a hidden column to the
analyst, to every principal, to another account or to a role the analyst can act as."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lakehouse.checks.hidden_files import HiddenFiles, covers, overlapping
from lakehouse.checks.iam_access import principal_account
from lakehouse.checks.role_paths import tagging_statements
from lakehouse.checks.row_filter import every_row
from lakehouse.checks.row_filter_types import refused
from lakehouse.checks.security_model import (
    CREATES,
    IAM_ALLOWED_PRINCIPALS,
    LOCATION_ACCESS,
    PROBE_KEY,
    READS,
    SUPER,
    CatalogTable,
    SecurityReadback,
    location_bucket,
    split_s3,
)
from lakehouse.lf_grants import column_tags, expression_matches
from lakehouse.lf_grants import tag_map as _tag_map


def held_permissions(grant: Mapping[str, Any]) -> set[str]:
    return set(grant.get("Permissions") or []) | set(grant.get("PermissionsWithGrantOption") or [])


def _principal(grant: Mapping[str, Any]) -> str:
    return str((grant.get("Principal") or {}).get("DataLakePrincipalIdentifier", ""))


def _watched(rb: SecurityReadback) -> dict[str, str]:
    """Principals whose grants reach the analyst, and how to name them in a reason."""
    who = {
        rb.analyst_role_arn: "the analyst",
        IAM_ALLOWED_PRINCIPALS: "IAMAllowedPrincipals (every IAM principal, the analyst too)",
    }
    if rb.account_id:
        who[rb.account_id] = f"the whole account {rb.account_id}"
        who[f"arn:aws:iam::{rb.account_id}:root"] = f"the whole account {rb.account_id}"
        who[f"{rb.account_id}:IAMPrincipals"] = f"every IAM principal of account {rb.account_id} (the analyst too)"
    return who


#: Lake Formation principals standing for people the identity provider signs in, not IAM principals:
#: SAML users and groups (``arn:aws:iam::<account>:saml-provider/<provider>:group/<name>``) and IAM Identity
#: Center users and groups (``arn:aws:identitystore:::group/<id>``, Lake Formation "Granting permissions to users
#: and groups").
_SAML = re.compile(r"arn:aws:iam::\d{12}:saml-provider/([^:]+):(user|group)/(.+)")
_IDENTITY_CENTER = re.compile(r"arn:aws:identitystore:::(user|group)/(.+)")


def _federated(principal: str) -> str | None:
    """How to name a SAML or IAM Identity Center user or group Lake Formation grants to, or None.

    Who is in it is decided by the identity provider at sign-in, which neither Lake Formation nor IAM answers.
    ``AssumeDecoratedRoleWithSAML`` hands an IAM role's session "decorated as the SAML user", and Lake Formation
    enforces "the SAML users and groups" permissions on it; an Identity Center user's identity reaches Lake Formation
    through trusted identity propagation (Athena workgroups). An analyst may sign in as any of them: their grants
    count as the analyst's, never as someone else's.
    """
    if found := _SAML.fullmatch(principal):
        provider, kind, name = found.groups()
        where = f"SAML {kind} {name} of identity provider {provider}"
    elif found := _IDENTITY_CENTER.fullmatch(principal):
        kind, name = found.groups()
        where = f"IAM Identity Center {kind} {name}"
    else:
        return None
    return f"{where} ({principal}: its members are the identity provider's to say, and may be analysts)"


def _reaching(rb: SecurityReadback, principal: str) -> str | None:
    """How to name a principal whose grants reach the analyst (``_watched``, ``_federated``), or None."""
    return _watched(rb).get(principal) or _federated(principal)


def _outsider(principal: str, account_id: str | None) -> str | None:
    """How to name a Lake Formation principal of another account (a cross-account grant), or None.

    Besides accounts and their IAM ARNs, Lake Formation grants to ``<account>:IAMPrincipals`` (every
    IAM principal of that account) and to organizations and OUs (``arn:aws:organizations::...``):
    every account in them.
    """
    if principal.startswith("arn:") and principal.split(":")[2:3] == ["organizations"]:
        return f"{principal}, outside account {account_id or '(unknown)'},"
    owner = principal_account(principal.removesuffix(":IAMPrincipals"))
    if account_id and owner and owner != account_id:
        return f"{principal}, outside account {account_id},"
    return None


def on_table(resource: Mapping[str, Any], database: str, table: str) -> bool:
    """Whether a grant's resource covers the table (by name, by table wildcard, as columns or a filter)."""
    for kind, name_key in (("Table", "Name"), ("TableWithColumns", "Name"), ("DataCellsFilter", "TableName")):
        spec = resource.get(kind)
        if spec is None:
            continue
        if str(spec.get("DatabaseName", "")).lower() != database.lower():
            return False
        return "TableWildcard" in spec or str(spec.get(name_key, "")).lower() == table.lower()
    return False


def _find_filter(spec: Mapping[str, Any], filters: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    key = [str(spec.get(k, "")).lower() for k in ("DatabaseName", "TableName", "Name")]
    return next(
        (f for f in filters if [str(f.get(k, "")).lower() for k in ("DatabaseName", "TableName", "Name")] == key), None
    )


def opened_columns(
    resource: Mapping[str, Any], hidden: Sequence[str], filters: Sequence[Mapping[str, Any]]
) -> tuple[list[str], str]:
    """Which of the hidden columns a SELECT grant on ``resource`` opens, and how (for the reason).

    A grant on a data cells filter that cannot be found opens what it opens: unknown, so all of them.
    """
    if "Table" in resource:
        if "TableWildcard" in resource["Table"]:
            return list(hidden), f"a database-wide grant (TableWildcard on {resource['Table'].get('DatabaseName')})"
        return list(hidden), "a table-level grant (every column)"
    if "TableWithColumns" in resource:
        spec = resource["TableWithColumns"]
        if "ColumnWildcard" in spec:
            excluded = {c.lower() for c in (spec["ColumnWildcard"] or {}).get("ExcludedColumnNames") or []}
            return [c for c in hidden if c.lower() not in excluded], "a column wildcard that does not exclude it"
        named = {c.lower() for c in spec.get("ColumnNames") or []}
        return [c for c in hidden if c.lower() in named], "a grant naming it"
    if "DataCellsFilter" in resource:
        name = resource["DataCellsFilter"].get("Name")
        found = _find_filter(resource["DataCellsFilter"], filters)
        if found is None:
            return list(
                hidden
            ), f"data cells filter {name}, which does not exist or could not be read (unknown columns)"
        return opened_columns({"TableWithColumns": found}, hidden, filters)[0], f"data cells filter {name}"
    return [], ""


def _tag_expression(policy: Mapping[str, Any], rb: SecurityReadback) -> Any:
    """The grant's LF-Tag expression (inline, or the saved one it names), or why it is unknown."""
    expression: Any = policy.get("Expression")
    name = policy.get("ExpressionName")
    if expression is None and name:
        expression = rb.tag_expressions.get(name, "not read")
    return expression


def lf_tag_database_problems(grant: Mapping[str, Any], who: str, rb: SecurityReadback) -> list[str]:
    """An LF-Tag grant of CREATE_TABLE on databases: those it matches whose location holds hidden files.

    The same hole as ``database_location_problems``, reached through tags instead of the database's name."""
    policy = grant["Resource"]["LFTagPolicy"] or {}
    held = str(sorted(held_permissions(grant) & CREATES))
    expression = _tag_expression(policy, rb)
    problems: list[str] = []
    for database, tags in sorted(rb.database_lf_tags.items()):
        how = f"{held} through LF-Tag expression {expression if isinstance(expression, list) else policy}"
        if not isinstance(expression, list) or not isinstance(tags, Mapping):
            unknown = expression if not isinstance(expression, list) else f"the LF-Tags of {database}: {tags}"
            problems += [
                f"{p} (could not be resolved: {unknown}; it may match)"
                for p in database_location_problems(database, who, rb, how)
            ]
        elif expression_matches(expression, _tag_map(tags.get("LFTagOnDatabase"))):
            problems += database_location_problems(database, who, rb, how)
    return problems


def _on_tables(grant: Mapping[str, Any]) -> bool:
    """Whether an LF-Tag policy grant is on the tables its expression matches (ResourceType TABLE), not on databases.

    One on DATABASE holds database permissions only, matched against databases' LF-Tags: ALL (Super), ALTER,
    CREATE_TABLE, DESCRIBE, DROP (Lake Formation permissions reference, "LF-Tag policy - Database"), none of which
    reads a table (a database's creator has no implicit permission on tables others create in it). Its
    CREATE_TABLE is judged by ``lf_tag_database_problems``. A grant of unknown type is judged as one on tables.
    """
    return ((grant.get("Resource") or {}).get("LFTagPolicy") or {}).get("ResourceType") != "DATABASE"


def lf_tag_problems(grant: Mapping[str, Any], who: str, rb: SecurityReadback) -> list[str]:
    """An LF-Tag policy grant that reads data: which tables' hidden columns its expression matches."""
    if not _on_tables(grant):
        return []
    policy = grant["Resource"]["LFTagPolicy"] or {}
    held = sorted(held_permissions(grant) & READS)
    expression = _tag_expression(policy, rb)
    name = policy.get("ExpressionName")
    if not isinstance(expression, list):
        return [
            f"{who} holds {held} through LF-Tag expression {name or policy}, which could not be resolved "
            f"({expression}): it may match a table with {', '.join(rb.hidden)}"
        ]
    problems: list[str] = []
    for probe in rb.probes:
        table = probe.table
        tags = rb.lf_tags.get(table.qualified)
        if not isinstance(tags, Mapping):
            problems.append(
                f"{who} holds {held} through LF-Tag expression {expression}, and the LF-Tags of {table.qualified} "
                f"could not be read ({tags or 'not read'}): it may open {', '.join(probe.hidden)}"
            )
            continue
        opened = [c for c in probe.hidden if expression_matches(expression, column_tags(tags, c))]
        if opened:
            problems.append(
                f"{who} holds {held} on {', '.join(opened)} of {table.qualified} through LF-Tag expression "
                f"{expression} ({policy.get('ResourceType')})"
            )
    return problems


def hidden_files(rb: SecurityReadback) -> list[HiddenFiles]:
    """Every S3 location holding hidden values (``hidden_files``): the files of each table with a hidden column,
    of each table a past query copied one into, and the result folders of the other workgroups."""
    found: list[tuple[str, str, str, str]] = []
    for probe in rb.probes:
        what, table = f"the files of {probe.table.qualified}", probe.table.qualified.lower()
        found += [(uri, what, ", ".join(probe.hidden), table) for uri in probe.table.storage()]
    for copy in rb.copies:
        what = f"the files of {copy.describe()}"
        found += [(uri, what, ", ".join(sorted(copy.columns)), copy.label.lower()) for uri in copy.storage]
    for how, uri in sorted(rb.result_locations.items()):
        reads = f"what those queries returned, {', '.join(rb.hidden)} too"
        found.append((uri, f"the query results of {how}", reads, ""))
    return [
        HiddenFiles(uri, where, what, reads, table) for uri, what, reads, table in found if (where := split_s3(uri))
    ]


def location_problems(spec: Mapping[str, Any], who: str, held: list[str], rb: SecurityReadback) -> list[str]:
    """DATA_LOCATION_ACCESS on a location at, under or above hidden files: a table of its own there reads them."""
    arn = str(spec.get("ResourceArn", ""))
    where = location_bucket(arn)
    if where is None:
        return [f"{who} holds {held} on data location {arn}, which cannot be read as an S3 location"]
    return [
        f"{who} holds {held} on data location {arn}, which holds {files.what} ({files.uri}): with it a table of "
        f"its own over those files reads {files.reads}"
        for files in overlapping(where, hidden_files(rb))
    ]


def database_location_problems(
    database: str, who: str, rb: SecurityReadback, held: str = "['CREATE_TABLE']"
) -> list[str]:
    """CREATE_TABLE on a database whose location overlaps a table with a hidden column: a table of its own reads it.

    Lake Formation needs no data location permission for a table within its database's location
    ("Creating a database"), and a table's creator holds every permission on it.
    """
    location = next((uri for db, uri in rb.database_locations.items() if db.lower() == database.lower()), None)
    where = location_bucket(location or "")
    if where is None:
        return []
    return [
        f"{who} holds {held} on database {database}, whose location {location} holds {files.what} ({files.uri}): "
        f"a table of its own there needs no data location permission, and its creator reads every column, "
        f"{files.reads} included"
        for files in overlapping(where, hidden_files(rb))
    ]


def _spec_columns(spec: Mapping[str, Any], listed: Sequence[str]) -> tuple[set[str], str]:
    """Which of ``listed`` (lower case) a column specification (``ColumnNames`` or ``ColumnWildcard``) includes,
    and how (for the reason)."""
    if "ColumnWildcard" in spec:
        excluded = sorted({c.lower() for c in (spec["ColumnWildcard"] or {}).get("ExcludedColumnNames") or []})
        opened = {c for c in listed if c not in excluded}
        if not excluded:
            return opened, "a column wildcard excluding nothing"
        full = ", none of which it lists" if opened == set(listed) else ""
        return opened, f"a column wildcard excluding {', '.join(excluded)}{full}"
    named = {c.lower() for c in spec.get("ColumnNames") or []}
    opened = {c for c in listed if c in named}
    return opened, "a grant naming every column it lists" if opened == set(listed) else "a grant naming them"


def vended_columns(grant: Mapping[str, Any], table: CatalogTable, rb: SecurityReadback) -> tuple[set[str], str] | None:
    """The columns Glue lists for ``table`` (lower case) a grant lets its holder read in every row, and how; None
    when it reads none of the table in every row (another table, a row filter, no read permission).

    What Lake Formation adds up to "full table access" (``vending_problems``). A grant it cannot resolve (an LF-Tag
    expression or LF-Tags not read, a data cells filter not found) may open every column: all of them count.
    """
    if not held_permissions(grant) & READS:
        return None
    resource = grant.get("Resource") or {}
    listed = [c.lower() for c in table.columns]
    if "LFTagPolicy" in resource:
        if not _on_tables(grant):
            return None
        expression = _tag_expression(resource["LFTagPolicy"] or {}, rb)
        tags = rb.lf_tags.get(table.qualified)
        whole = _tag_reach(grant, rb, full_table=True)(table)  # an expression or LF-Tags not read: it may
        if whole is not None:
            return set(listed), whole
        if not isinstance(expression, list) or not isinstance(tags, Mapping):
            return None  # not reached: ``_tag_reach`` answers for both
        opened = {c.lower() for c in table.columns if expression_matches(expression, column_tags(tags, c))}
        kind = (resource["LFTagPolicy"] or {}).get("ResourceType")
        return (opened, f"LF-Tag expression {expression} ({kind}), matching their LF-Tags") if opened else None
    if not on_table(resource, table.database, table.name):
        return None
    if "Table" in resource:
        if "TableWildcard" in resource["Table"]:
            return set(listed), f"a database-wide grant (TableWildcard on {resource['Table'].get('DatabaseName')})"
        return set(listed), "a table-level grant"
    if _principal(grant) == IAM_ALLOWED_PRINCIPALS:
        return set(listed), "IAMAllowedPrincipals (IAM alone decides: every column)"
    if "TableWithColumns" in resource:
        opened, how = _spec_columns(resource["TableWithColumns"], listed)
        return (opened, how) if opened else None
    spec = resource.get("DataCellsFilter") or {}
    name = spec.get("Name")
    found = _find_filter(spec, rb.filters)
    if found is None:
        return set(listed), f"data cells filter {name}, which does not exist or could not be read (unknown columns)"
    rows = every_row(found.get("RowFilter"), table.required, {c.lower(): t for c, t in table.types.items()})
    if rows is None:
        return None
    opened, how = _spec_columns(found, listed)
    every = f"every row: {rows}" if rows else "every row"
    return (opened, f"data cells filter {name} ({every}, {how.removeprefix('a grant ')})") if opened else None


def refused_filter_problems(rb: SecurityReadback, holders: Sequence[tuple[Mapping[str, Any], str]]) -> list[str]:
    """SELECT through a data cells filter whose row filter Athena cannot run (``row_filter_types``): the engine runs
    it as the WHERE of every query through the filter, and fails it (TYPE_MISMATCH). No leak, but the analyst reads
    nothing of the table, its non-hidden columns included, which the plan wants it to read. ``holders``: the (grant,
    who) pairs reaching the analyst."""
    tables = {t.qualified.lower(): t for t in [*rb.tables(), *rb.unlisted_tables()]}
    problems: list[str] = []
    for grant, who in holders:
        spec = (grant.get("Resource") or {}).get("DataCellsFilter")
        if spec is None or not held_permissions(grant) & READS:
            continue
        found = _find_filter(spec, rb.filters)
        table = tables.get(f"{spec.get('DatabaseName')}.{spec.get('TableName')}".lower())
        if found is None or table is None:
            continue
        why = refused(found.get("RowFilter"), table.types)
        if why is not None:
            expression = (found.get("RowFilter") or {}).get("FilterExpression")
            problems.append(
                f"{who} holds SELECT on {table.qualified} through data cells filter {spec.get('Name')}, whose row "
                f"filter {expression!r} Athena cannot run on the table's Glue types ({why}, TYPE_MISMATCH): every "
                f"query of {table.qualified} through it fails, so the analyst reads none of its rows, its non-hidden "
                "columns included"
            )
    return problems


def _full_access(
    table: CatalogTable, holders: Sequence[tuple[Mapping[str, Any], str]], rb: SecurityReadback
) -> str | None:
    """How the grants of ``holders`` ((grant, who) pairs: one principal's, and those of the groups it belongs to)
    give every column of ``table`` in every row, alone or together, or None."""
    listed = {c.lower() for c in table.columns}
    opened = [(g, who, found) for g, who in holders if (found := vended_columns(g, table, rb)) is not None]
    for grant, who, (columns, how) in opened:
        if columns >= listed:
            held = sorted(held_permissions(grant) & READS)
            return f"{who} holds {held} on every column of {table.qualified} through {how}"
    if not opened or not listed <= set().union(*(columns for _, _, (columns, _) in opened)):
        return None
    parts = [
        f"{who} holds {sorted(held_permissions(g) & READS)} on {', '.join(sorted(columns))} through {how}: "
        f"{g.get('Resource')}"
        for g, who, (columns, how) in opened
    ]
    whos = list(dict.fromkeys(who for _, who, _ in opened))
    return (
        f"{' and '.join(whos)} together hold SELECT on every column of {table.qualified} in every row "
        f"({'; '.join(parts)}; Lake Formation judges a principal's permissions on the table, not each grant)"
    )


def vending_problems(rb: SecurityReadback, holders: Sequence[tuple[Mapping[str, Any], str]]) -> list[str]:
    """Full table access to a table whose files' location holds hidden files, with credential vending for full
    table access on: Lake Formation hands S3 credentials for the table's whole location.

    With ``AllowFullTableExternalDataAccess`` in the data lake settings, a principal with full table access (SELECT
    on every column, every row) gets credentials scoped to the table's location from
    ``GetTemporaryGlueTableCredentials`` (Lake Formation "Using Lake Formation application integration"), no
    session tag needed. Lake Formation decides on "the user's level of permissions on the table" and the columns it
    is authorized for (``GetUnfilteredTableMetadata``: ``SupportedPermissionTypes``, "Lake Formation workflow for
    application integration API operations"), from all its grants: a column grant naming every column, a data
    cells filter with every column and every row, or several grants whose columns add up to every column are full
    table access as much as a table grant is. ``holders``: the (grant, who) pairs reaching one principal.
    A second Glue table over the Gold users files that lists no ``ssn`` (or one over the whole bucket) is read in
    full without ``ssn``; its credentials read the Parquet with ``ssn`` in it. So do a copy's own credentials its
    files, whatever its schema lists now (a copied column dropped stays in the files).
    """
    if not rb.settings.get("AllowFullTableExternalDataAccess"):
        return []
    files = hidden_files(rb)
    problems: list[str] = []
    for table in rb.unlisted_tables():  # a table holding a hidden column in full fails already as a grant
        if table.view:
            continue
        for uri in table.storage():
            where = split_s3(uri)
            overlap = overlapping(where, files) if where is not None else []
            how = _full_access(table, holders, rb) if overlap else None
            if how is not None:
                problems.append(
                    f"the data lake settings allow credential vending for full table access "
                    f"(AllowFullTableExternalDataAccess), and {how}, whose location {uri} holds {overlap[0].what} "
                    f"({overlap[0].uri}): GetTemporaryGlueTableCredentials hands it S3 credentials for that "
                    f"location, which read {overlap[0].reads}"
                )
                break
    return problems


#: The session tag an engine trusted to filter data itself must carry (Lake Formation "Registering a third-party
#: query engine"); its allowed values are the data lake settings' ``AuthorizedSessionTagValueList``.
TRUSTED_CALLER_TAG = "LakeFormationAuthorizedCaller"


def _reads_table(grant: Mapping[str, Any], table: CatalogTable, rb: SecurityReadback) -> str | None:
    """How a grant lets its holder read any of ``table`` (a column, some rows), or None."""
    if not held_permissions(grant) & READS:
        return None
    resource = grant.get("Resource") or {}
    if "LFTagPolicy" in resource:
        if not _on_tables(grant):
            return None
        expression = _tag_expression(resource["LFTagPolicy"] or {}, rb)
        tags = rb.lf_tags.get(table.qualified)
        if not isinstance(expression, list) or not isinstance(tags, Mapping):
            return f"LF-Tag expression {resource['LFTagPolicy']}, which may match it (not read: {expression}, {tags})"
        columns = [column_tags(tags, c) for c in [*table.columns, ""]]
        matched = any(expression_matches(expression, t) for t in columns)
        return f"LF-Tag expression {expression}, matching its LF-Tags" if matched else None
    return f"a grant on it ({resource})" if on_table(resource, table.database, table.name) else None


def tagged_session_problems(
    rb: SecurityReadback, holders: Sequence[tuple[Mapping[str, Any], str]], tagging: str
) -> list[str]:
    """Tables whose files hold hidden values, read in part by ``holders`` ((grant, who): one principal's grants
    and its groups'), whose sessions can carry the trusted-engine session tag (``tagging``: how).

    With ``AllowExternalDataFiltering`` and ``AuthorizedSessionTagValueList`` in the data lake settings, a caller
    whose session carries ``LakeFormationAuthorizedCaller`` with one of those values (its account allowed by
    ``ExternalDataFilteringAllowList``) is an engine Lake Formation trusts to filter: ``GetUnfilteredTableMetadata``
    hands it the whole schema and the columns it may read, and ``GetTemporaryGlueTableCredentials`` S3 credentials
    for the table's location ("Lake Formation workflow for application integration API operations"). A SELECT on
    every column but ``ssn`` then reads ``ssn`` from the files. A list of allowed accounts leaving this one out
    closes it; an empty one is not read as closed.
    """
    settings = rb.settings
    values = [str(v) for v in settings.get("AuthorizedSessionTagValueList") or []]
    if not settings.get("AllowExternalDataFiltering") or not values:
        return []
    allowed = {_principal({"Principal": p}) for p in settings.get("ExternalDataFilteringAllowList") or []}
    if allowed and rb.account_id not in allowed:
        return []
    files = hidden_files(rb)
    problems: list[str] = []
    for table in [*rb.tables(), *rb.unlisted_tables()]:
        reading = next(((g, who, how) for g, who in holders if (how := _reads_table(g, table, rb))), None)
        if table.view or reading is None:
            continue
        grant, who, how = reading
        for uri in table.storage():
            where = split_s3(uri)
            overlap = overlapping(where, files) if where is not None else []
            if overlap:
                problems.append(
                    "the data lake settings let external engines filter data themselves (AllowExternalDataFiltering, "
                    f"AuthorizedSessionTagValueList {values}), and {tagging}: tagged {TRUSTED_CALLER_TAG}={values[0]}, "
                    f"{who} holding {sorted(held_permissions(grant) & READS)} on {table.qualified} through {how} gets "
                    f"unfiltered S3 credentials for its location {uri} from GetTemporaryGlueTableCredentials, which "
                    f"holds {overlap[0].what} ({overlap[0].uri}) and reads {overlap[0].reads}"
                )
                break
    return problems


def principal_holders(rb: SecurityReadback, arn: str, name: str) -> list[tuple[Mapping[str, Any], str]]:
    """(grant, who) of every grant reaching the principal ``arn`` (named ``name``): its own, and those of the groups
    every principal of the account is in (the account, its IAM principals, IAMAllowedPrincipals)."""
    groups = {p: who for p, who in _watched(rb).items() if p != rb.analyst_role_arn}
    own = [(g, name) for g in rb.grants if _principal(g) == arn]
    return own + [(g, groups[_principal(g)]) for g in rb.grants if _principal(g) in groups]


def _a_file(rb: SecurityReadback, outer: tuple[str, str], files: HiddenFiles) -> str:
    """One listed object lying both under ``outer`` and in ``files`` (evidence: the file a reader gets), or ``""``."""
    for key in rb.lake_objects.get(files.where[0], []):
        here = (files.where[0], key)
        if not key.endswith(PROBE_KEY) and covers(outer, here) and covers(files.where, here):
            return f"s3://{files.where[0]}/{key}"
    return ""


def covering_problems(
    grant: Mapping[str, Any], who: str, rb: SecurityReadback, reaches: Callable[[CatalogTable], str | None]
) -> list[str]:
    """Tables listing no hidden column whose location, metadata or data paths lie over hidden files, readable in
    full by ``who`` through ``grant`` (``reaches``: how the grant opens every column of the table, or None).

    A table's location is anyone's to set (``ALTER TABLE ... SET LOCATION``, Glue UpdateTable, an Iceberg table's
    ``metadata_location`` property): pointed at the Silver users folder or metadata, its files are the users
    files. An Iceberg table reads the schema of the metadata it points at, ``ssn`` included, whatever Glue lists;
    a Hive table reads any column its definition adds, and a grant on every column covers columns added later.
    The table's own files (a copy judged by its values) are left to ``copied_value_problems``.
    """
    files = hidden_files(rb)
    problems: list[str] = []
    for table in rb.unlisted_tables():
        how = None if table.view else reaches(table)
        if how is None:
            continue
        for uri in table.storage():
            where = split_s3(uri)
            overlap = [f for f in overlapping(where, files) if f.table != table.qualified.lower()] if where else []
            if where is None or not overlap:
                continue
            found = overlap[0]
            example = _a_file(rb, where, found)
            problems.append(
                f"{who} holds {sorted(held_permissions(grant) & READS)} on {table.qualified} through {how}, and its "
                f"location {uri} lies over {found.what} ({found.uri}" + (f", e.g. {example}" if example else "") + "): "
                f"a query of {table.qualified} reads {found.reads} from them"
            )
            break
    return problems


def may_cover(rb: SecurityReadback, table: CatalogTable) -> bool:
    """Whether a table listing no hidden column may lie over hidden files (``covering_problems``): its location or
    metadata does, or it is an Iceberg table, whose metadata (read only for tables some grant reads) may put its
    files anywhere. Views read no files. Only such tables' LF-Tags are read for LF-Tag grants."""
    if table.view:
        return False
    if table.metadata_location:
        return True
    files = hidden_files(rb)
    return any(overlapping(where, files) for uri in table.storage() if (where := split_s3(uri)) is not None)


def _table_reach(grant: Mapping[str, Any], rb: SecurityReadback) -> Callable[[CatalogTable], str | None]:
    """How a table or column grant opens every column of a table (``covering_problems``), or None."""
    resource = grant.get("Resource") or {}

    def reaches(table: CatalogTable) -> str | None:
        if not on_table(resource, table.database, table.name):
            return None
        if _principal(grant) == IAM_ALLOWED_PRINCIPALS:
            return "IAMAllowedPrincipals (IAM alone decides: every column)"
        opened, how = opened_columns(resource, rb.hidden, rb.filters)
        return how if opened else None

    return reaches


def _tags_text(tags: Mapping[str, set[str]]) -> str:
    return "{" + ", ".join(f"{k}={','.join(sorted(v))}" for k, v in sorted(tags.items())) + "}"


def _tag_reach(
    grant: Mapping[str, Any], rb: SecurityReadback, full_table: bool = False
) -> Callable[[CatalogTable], str | None]:
    """How an LF-Tag policy grant on tables opens every column of a table (``covering_problems``), or None.

    A column Glue does not list (``ssn`` of the metadata an Iceberg table points at, one added to a Hive table)
    carries the table's LF-Tags, its database's inherited (``column_tags``): an expression they match opens it.
    An expression matching every column Glue lists (tags put on them with ``ColumnWildcard``) is the LF-Tag
    spelling of a column wildcard, "full table access": with ``full_table`` only that counts (``vending_problems``).
    An expression or tags that could not be read may match. A grant on databases opens no table (``_on_tables``).
    """
    if not _on_tables(grant):
        return lambda table: None
    policy = grant["Resource"]["LFTagPolicy"] or {}
    expression = _tag_expression(policy, rb)
    name = f"LF-Tag expression {policy['ExpressionName']} " if policy.get("ExpressionName") else "LF-Tag expression "

    def reaches(table: CatalogTable) -> str | None:
        if not isinstance(expression, list):
            return f"{name}{policy}, which could not be resolved ({expression}) and may match it"
        tags = rb.lf_tags.get(table.qualified)
        if not isinstance(tags, Mapping):
            return f"{name}{expression}, which may match it: its LF-Tags could not be read ({tags or 'not read'})"
        if not full_table:
            unlisted = next((t for c in rb.hidden if expression_matches(expression, t := column_tags(tags, c))), None)
            if unlisted is not None:
                return f"{name}{expression} ({policy.get('ResourceType')}), matching its LF-Tags {_tags_text(unlisted)}"
        listed = [column_tags(tags, c) for c in table.columns]
        if full_table and not listed:  # a table listing no column: its own LF-Tags decide
            listed = [column_tags(tags, "")]
        if listed and all(expression_matches(expression, t) for t in listed):
            return f"{name}{expression} ({policy.get('ResourceType')}), matching the LF-Tags of every column it lists"
        return None

    return reaches


def granted_reads(rb: SecurityReadback, table: CatalogTable) -> bool:
    """Whether any grant (anyone's) reads the table: only such tables' Iceberg metadata is followed."""
    for grant in rb.grants:
        resource = grant.get("Resource") or {}
        held = held_permissions(grant)
        database = str((resource.get("Database") or {}).get("Name", "")).lower()
        if held & READS and (
            on_table(resource, table.database, table.name)
            or "Catalog" in resource
            or database == table.database.lower()
            or ("LFTagPolicy" in resource and _tag_reach(grant, rb)(table) is not None)
        ):
            return True
    return False


def _grant_opens(grant: Mapping[str, Any], who: str, rb: SecurityReadback) -> list[str]:
    """How one Lake Formation grant to ``who`` (a principal that reaches the analyst) opens a hidden column."""
    resource = grant.get("Resource") or {}
    held = held_permissions(grant)
    if "DataLocation" in resource and held & LOCATION_ACCESS:
        return location_problems(resource["DataLocation"], who, sorted(held & LOCATION_ACCESS), rb)
    if "Database" in resource and "CREATE_TABLE" in held and not held & SUPER:
        return database_location_problems(str((resource["Database"] or {}).get("Name", "")), who, rb)
    problems: list[str] = []
    if (
        "LFTagPolicy" in resource
        and held & CREATES
        and (resource["LFTagPolicy"] or {}).get("ResourceType") == "DATABASE"
    ):
        problems += lf_tag_database_problems(grant, who, rb)
    if not held & READS:
        return problems
    if "Catalog" in resource and held & SUPER:
        problems.append(
            f"{who} holds {sorted(held & SUPER)} on the whole catalog {resource['Catalog'] or '(this account)'}: "
            f"every database and table, {', '.join(rb.hidden)} included"
        )
    elif "Database" in resource and held & SUPER:
        database = str((resource["Database"] or {}).get("Name", ""))
        if database.lower() in {p.table.database.lower() for p in rb.probes}:
            tables = [p.table.qualified for p in rb.probes if p.table.database.lower() == database.lower()]
            problems.append(
                f"{who} holds {sorted(held & SUPER)} on database {database}, which holds {', '.join(tables)} "
                f"with {', '.join(rb.hidden)}: it may create tables there and grant itself their columns"
            )
        else:  # Super includes CREATE_TABLE
            problems += database_location_problems(database, who, rb, str(sorted(held & SUPER)))
            problems += covering_problems(
                grant,
                who,
                rb,
                lambda t: (
                    f"{sorted(held & SUPER)} on database {database}" if t.database.lower() == database.lower() else None
                ),
            )
    elif "LFTagPolicy" in resource:
        problems += lf_tag_problems(grant, who, rb)
        problems += covering_problems(grant, who, rb, _tag_reach(grant, rb))
    else:
        problems += covering_problems(grant, who, rb, _table_reach(grant, rb))
        for probe in rb.probes:
            table = probe.table
            if not on_table(resource, table.database, table.name):
                continue
            if _principal(grant) == IAM_ALLOWED_PRINCIPALS:
                problems.append(
                    f"IAMAllowedPrincipals holds {sorted(held)} on {table.qualified}: IAM alone decides, "
                    f"so every principal reads every column, {', '.join(probe.hidden)} included: {resource}"
                )
                continue
            opened, how = opened_columns(resource, probe.hidden, rb.filters)
            if opened:
                problems.append(
                    f"{who} holds SELECT on {', '.join(opened)} of {table.qualified} through {how}: {resource}"
                )
    return problems


def _admin_problems(rb: SecurityReadback, arn: str, who: str) -> list[str]:
    admins = {_principal({"Principal": p}) for p in rb.settings.get("DataLakeAdmins") or []}
    read_only = {_principal({"Principal": p}) for p in rb.settings.get("ReadOnlyAdmins") or []}
    problems = []
    if arn in admins:
        problems.append(f"{who} is a data lake admin: admins see every column")
    if arn in read_only:
        problems.append(f"{who} is a read-only data lake admin: it reads every column")
    return problems


def grant_problems(rb: SecurityReadback) -> list[str]:
    """What in Lake Formation's own answer leaves a hidden column open to the analyst, anywhere."""
    problems = _admin_problems(rb, rb.analyst_role_arn, f"the analyst role {rb.analyst_role_arn}")
    outsiders: dict[str, list[tuple[Mapping[str, Any], str]]] = {}
    analyst: list[tuple[Mapping[str, Any], str]] = []
    watched = _watched(rb)
    for grant in rb.grants:
        principal = _principal(grant)
        who = watched.get(principal)
        if who is None and (who := _outsider(principal, rb.account_id)) is not None:
            outsiders.setdefault(principal, []).append((grant, who))
        elif (who := who or _federated(principal)) is not None:
            analyst.append((grant, who))
        if who is not None:
            problems += _grant_opens(grant, who, rb)
    # Full table access is judged on all of a principal's grants: the analyst holds what the groups it is in hold
    # (a federated group's too: an analyst signed in as its member holds them as well).
    problems += vending_problems(rb, analyst)
    problems += refused_filter_problems(rb, analyst)
    for held in outsiders.values():
        problems += vending_problems(rb, held)
    role = rb.roles.get(rb.analyst_role_arn)
    if role is not None and (tagging := tagging_statements(role)):
        because = f"the analyst role's trust policy lets whoever assumes it tag the session ({'; '.join(tagging)})"
        problems += tagged_session_problems(rb, analyst, because)
    for key in ("CreateDatabaseDefaultPermissions", "CreateTableDefaultPermissions"):
        if any(_principal(p) == IAM_ALLOWED_PRINCIPALS for p in rb.settings.get(key) or []):
            problems.append(f"the data lake settings' {key} still give IAMAllowedPrincipals new databases/tables")
    return problems + table_default_problems(rb)


def table_default_problems(rb: SecurityReadback) -> list[str]:
    """A database holding a hidden table whose own CreateTableDefaultPermissions open each new table to a principal
    reaching the analyst (IAMAllowedPrincipals: IAM alone decides). Cleared data lake settings do not help: the
    database kept what they said when it was born, and the next table there (a pipeline rebuild, a copy) is open."""
    problems: list[str] = []
    for database, defaults in sorted(rb.table_defaults.items()):
        tables = [p.table.qualified for p in rb.probes if p.table.database.lower() == database.lower()]
        if not tables:
            continue
        for default in defaults:
            who = _reaching(rb, _principal(default)) or _outsider(_principal(default), rb.account_id)
            held = held_permissions(default)
            if who is not None and held & (READS | SUPER):
                problems.append(
                    f"database {database}'s CreateTableDefaultPermissions give {who} {sorted(held)} on every new "
                    f"table in it: it holds {', '.join(tables)} with {', '.join(rb.hidden)}, and a table the pipeline "
                    "(re)creates there is born open to it"
                )
    return problems


def role_grant_problems(rb: SecurityReadback, role_arn: str, name: str) -> list[str]:
    """What Lake Formation opens to one role (a role the analyst can act as): admin, or grants opening ssn."""
    problems = _admin_problems(rb, role_arn, name)
    for grant in rb.grants:
        if _principal(grant) == role_arn:
            problems += _grant_opens(grant, name, rb)
    # The role is in the groups the analyst is in (the account, its IAM principals): their grants add to its own.
    # What those alone open is the analyst's already.
    held = principal_holders(rb, role_arn, name)
    own = [(g, who) for g, who in held if _principal(g) == role_arn]
    shared = held[len(own) :]
    if own:
        alone = set(vending_problems(rb, shared))
        problems += [p for p in vending_problems(rb, own + shared) if p not in alone]
    return problems
