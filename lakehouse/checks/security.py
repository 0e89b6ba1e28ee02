"""Exit check 6: the analyst cannot read ``ssn`` anywhere in the catalog, proven by querying as the analyst.

The column to hide is the plan's (``ssn``, a check input from the feature text), never the
stack's own say: a stack that hides ``email`` instead must fail. The check looks wherever the
column lives, not at the one table the stack cares about: every Glue table of every database in
the catalog with such a column, or a struct column nesting it (Bronze CSV, Silver and its rejected
rows, Gold, anything the pipeline made) is queried as the analyst (STS AssumeRole, pyathena in the
analyst workgroup).

Athena cannot tell "column excluded by Lake Formation" from "column does not exist" (both are
``COLUMN_NOT_FOUND ... cannot be resolved or requester is not authorized ...``), so a privileged
principal must also find the column holding values in Gold users. A query result can look right
on a stack that is open in ways the query does not reach, so the check also reads back, through
the APIs, every Lake Formation grant that could open the column (table, column, database-wide
TableWildcard, catalog, LF-Tag policy, data cells filter grants to the analyst or
IAMAllowedPrincipals; DATA_LOCATION_ACCESS on a location at, under or above files holding the
column: such a table's, a copy's, other workgroups' query results (``hidden_files``); SELECT on every
column of any other table whose location or Iceberg metadata lies over such files (``covering_problems``);
full table access to a table over such files while credential vending for full table access is on; the data
lake settings; location grants are also listed by ``ResourceType=DATA_LOCATION``), the analyst role's
IAM policies and every lake bucket's policy (S3 reads of the lake buckets bypass Lake Formation:
``iam_access``), and every role of the account the analyst can act
as (assume, rewrite the trust of, pass to a service) or rewrite, judged the same way
(``role_paths``). The lake buckets are found from the services, not from the stack's outputs:
the buckets under every such table's location, the locations registered with Lake Formation, and
the result locations of every Athena workgroup but the analyst's own (query results of the
pipeline and the deployer can hold ``ssn``), and every folder a past query of those workgroups
that could have read the column (naming it, or a table of a database holding it) wrote its results
to (``query_results``: a workgroup not enforcing its configuration lets a query write anywhere;
other teams' queries over their own tables, in ``primary``, are no lake's). A table a past CTAS, INSERT,
CREATE VIEW, MERGE or UPDATE of any workgroup read (the analyst's too) copied the column into, under any name, counts
as holding it (``history_copies``, column lineage by sqlglot): its files' buckets are lake buckets, and a
query naming it could have read the column. The analyst's own workgroup
is read too, as the analyst: its history is the analyst's to fetch whoever ran the query, so a
privileged query run there that returned ``ssn`` (or its values) hands it over (``shared_results``:
every result's cells are searched for the values, whatever its query or its columns are called).
Each workgroup's history is listed once for these three readers (``query_results.read_history``), all
of it up to ``MAX_EXECUTIONS`` executions, past which the check errs naming the workgroup.
A table the catalog lists without ``ssn`` whose ``SELECT *`` returns it anyway (a resource link to
another account's table) fails like one that lists it. A lake bucket policy
letting CloudFront read for this account's distributions brings each of them in: one serving the
lake's keys without signed URLs serves ``ssn`` to anyone on the internet (``cloudfront_routes``).

Split like the other checks: ``read_security`` talks to the target, ``judge_security`` is a pure
function over what was read. A read that fails ends the check ``error`` (``failed`` when it found
a culprit anyway), never ``passed``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.athena import QueryRecord, connect, run, scan
from lakehouse.awssession import new_session
from lakehouse.checks.cloudfront_routes import (
    CloudFrontGrant,
    CloudFrontReadback,
    cloudfront_grants,
    cloudfront_problems,
    read_cloudfront,
)
from lakehouse.checks.hidden_files import HiddenFiles, covers, overlapping
from lakehouse.checks.hidden_values import HiddenValues, LeakTally, masked
from lakehouse.checks.history_copies import HistoryCopy, catalog_schema, history_copies, read_statements
from lakehouse.checks.iam_access import (
    Policy,
    Principal,
    bucket_policy_problems,
    bucket_policy_statements,
    object_arn,
    object_read_problems,
    principal_account,
    read_patterns,
    witnesses,
)
from lakehouse.checks.iceberg_files import MAX_AVRO_FILES, S3ReadIO, file_folders
from lakehouse.checks.query_results import (
    ExecutionLocations,
    HiddenReads,
    SharedResult,
    WorkGroupHistory,
    execution_locations,
    read_history,
    shared_results,
)
from lakehouse.checks.role_paths import (
    LF_ADMIN,
    Actor,
    RoleInfo,
    escalations,
    path_text,
    reachable,
    read_functions,
    read_reachable,
    read_role_policies,
    read_roles,
    read_users,
)
from lakehouse.checks.s3_routes import (
    RoutesReadback,
    access_grant_problems,
    access_point_problems,
    acl_problems,
    next_token_pages,
    outsider_problems,
    read_routes,
    replication_problems,
)
from lakehouse.checks.ssn_lineage import lineage_evidence
from lakehouse.lf_grants import column_tags, expression_matches
from lakehouse.lf_grants import tag_map as _tag_map
from lakehouse.outcome import Outcome
from lakehouse.target import Target

IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"
SESSION_NAME = "lakehouse-exit6"
#: Terraform outputs the check needs; they only *name* things (roles, workgroups, the Gold database).
OUTPUT_KEYS = ("analyst_role_arn", "analyst_workgroup_name", "athena_workgroup_name")
#: The plan's column (exit check 6: "Lake Formation column mask hides `ssn`").
PLAN_HIDDEN = ("ssn",)
#: The table the plan's column mask is about: a privileged principal must find ssn values there.
GOLD_USERS = "users"
#: Rows of the analyst's ``SELECT *`` kept in the evidence.
KEEP_ROWS = 5
#: Rows of every other table the analyst's ``SELECT *`` searches for the hidden values, streamed (a copy
#: may sit anywhere in a table: after a million rows the check says it cannot vouch for the rest).
MAX_SEARCH_ROWS = 1_000_000
#: Distinct hidden values the privileged principal reads to search for (Gold users' ssn: one per user).
MAX_VALUES = 100_000
#: Tables without a hidden column searched for its values; past this the check cannot vouch for the rest.
MAX_VALUE_TABLES = 300
#: Object keys listed per table location to try the analyst's IAM policies on.
MAX_KEYS = 1000
#: Ends each query the check runs as the analyst (a comment on a line of its own: Athena's ``line L:C`` stay
#: the same). On a broken stack the check's own probe reads ssn into the analyst's workgroup history;
#: that was reported then, and ``shared_results`` leaves such executions out rather than fail for ever after.
PROBE_MARK = "\n-- lakehouse-exit6 analyst probe"
#: A key that exists nowhere, under each location: a policy naming future files opens it too.
PROBE_KEY = "lakehouse-exit6-probe"
#: Permissions that read a table's data (ALL is Super; SUPER_USER is the catalog-level Super).
READS = frozenset({"ALL", "SELECT", "SUPER_USER"})
#: Permissions on a catalog or database that hand the principal everything under it.
SUPER = frozenset({"ALL", "SUPER_USER"})
#: Permissions on a database that let a principal create tables in it (SUPER/ALL include CREATE_TABLE).
CREATES = frozenset({"CREATE_TABLE", "ALL", "SUPER_USER"})
#: Permissions on a data location that let a principal create tables over the files there.
LOCATION_ACCESS = frozenset({"DATA_LOCATION_ACCESS", "ALL"})

#: Athena's answers that mean "the analyst may not use this table at all" (fine: nothing is read).
NO_ACCESS = re.compile(
    r"Insufficient Lake Formation permission|AccessDenied|Access Denied|is not authorized to perform"
    r"|TABLE_NOT_FOUND|SCHEMA_NOT_FOUND|Insufficient permissions to execute the query",
    re.IGNORECASE,
)

#: Athena's answer when the analyst may not read a column a *view* reads: a plain Athena view runs
#: with the invoker's rights, so a view over a column the analyst lacks gives the analyst nothing.
INVOKER_DENIED = re.compile(
    r"COLUMN_NOT_FOUND: line \d+:\d+: Column '[^']+' cannot be resolved or requester is not authorized"
    r"|Column-level permissions are not available for a VIEW|cell filters do not apply to views",
    re.IGNORECASE,
)
#: Glue's TableType of a view (Athena's Presto views, Glue Data Catalog views).
VIEW_TYPE = "VIRTUAL_VIEW"

T = TypeVar("T")


def column_denied(column: str) -> re.Pattern[str]:
    """Athena's answer to a query naming a column the caller may not see (or that does not exist)."""
    return re.compile(
        rf"COLUMN_NOT_FOUND: line \d+:\d+: Column '(?:\w+\.)?{re.escape(column.lower())}' cannot be resolved "
        r"or requester is not authorized to access requested resources"
    )


class SecurityReadError(RuntimeError):
    """The stack does not say what to check (outputs missing); not a verdict on the stack."""


@dataclass
class CatalogTable:
    """A Glue table as the catalog holds it: every column (partition keys too) and where its data lives."""

    database: str
    name: str
    columns: list[str]
    location: str | None = None
    metadata_location: str | None = None
    #: Column -> its Glue type (``struct<ssn:string,...>`` nests fields).
    types: dict[str, str] = field(default_factory=dict)
    #: Glue's TableType VIRTUAL_VIEW: a view, queried with the invoker's rights on what it reads.
    view: bool = False
    #: Where an Iceberg table's metadata says its data files go, outside ``location`` (``read_data_paths``).
    data_locations: list[str] = field(default_factory=list)

    def storage(self) -> list[str]:
        """Every S3 location of the table's files: its Glue location, its metadata file, its data paths."""
        return [u for u in (self.location, self.metadata_location, *self.data_locations) if u]

    @property
    def qualified(self) -> str:
        return f"{self.database}.{self.name}"

    def holding(self, hidden: Iterable[str]) -> list[str]:
        """The table's own spelling of the hidden columns it has, and of columns nesting one as a struct
        field (Lake Formation cannot filter nested fields: whoever reads the column reads it)."""
        wanted = {h.lower() for h in hidden}
        return [c for c in self.columns if c.lower() in wanted or _nested_fields(self.types.get(c, "")) & wanted]


def _nested_fields(glue_type: str) -> set[str]:
    """The field names of the structs in a Glue type (``array<struct<a:int,b:string>>`` -> a, b), lower case."""
    return {f.lower() for f in re.findall(r"[<,]\s*`?(\w+)`?\s*:", glue_type)}


@dataclass
class TableProbe:
    """A table with a hidden column and what the analyst and the privileged principal got from it."""

    table: CatalogTable
    hidden: list[str]
    select_all: QueryRecord
    denied: dict[str, QueryRecord]
    privileged: QueryRecord
    #: Column -> rows of the analyst's ``SELECT *`` carrying a hidden value (``hidden_values``).
    leaks: dict[str, int] = field(default_factory=dict)
    #: Column -> the unsalted hashes whose digests of the hidden values it carries.
    hashed: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ValueProbe:
    """A table without a hidden column, searched for the hidden *values* in the analyst's ``SELECT *``."""

    table: CatalogTable
    select_all: QueryRecord
    leaks: dict[str, int] = field(default_factory=dict)
    #: The table is in one of the stack's databases (an error there proves nothing; elsewhere a note).
    own: bool = True
    #: Column -> the unsalted hashes whose digests of the hidden values it carries.
    hashed: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class SecurityReadback:
    """What Glue, STS, Athena, Lake Formation, IAM and S3 answered."""

    hidden: list[str]
    gold_database: str
    analyst_role_arn: str
    analyst_caller_arn: str | None
    privileged_arn: str
    probes: list[TableProbe]
    #: Every other table, searched for the hidden values; how many distinct values were searched for.
    value_probes: list[ValueProbe] = field(default_factory=list)
    #: Every catalog table listing no hidden column (views too), searched or not: one over hidden files reads them.
    others: list[CatalogTable] = field(default_factory=list)
    hidden_value_count: int = 0
    #: Why the privileged principal could not read the hidden values (then copies cannot be found).
    hidden_values_error: str | None = None
    databases: list[str] = field(default_factory=list)
    #: Database -> its location (LocationUri), for those that have one.
    database_locations: dict[str, str] = field(default_factory=dict)
    #: Database -> its CreateTableDefaultPermissions (what Lake Formation grants on each new table in it).
    table_defaults: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    account_id: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    grants: list[dict[str, Any]] = field(default_factory=list)
    filters: list[dict[str, Any]] = field(default_factory=list)
    #: GetResourceLFTags per table (read only when an LF-Tag grant could open it), or why it failed.
    lf_tags: dict[str, dict[str, Any] | str] = field(default_factory=dict)
    #: GetResourceLFTags of each database whose location holds a hidden table's files (read only when an
    #: LF-Tag grant could let someone create tables there), or why it failed.
    database_lf_tags: dict[str, dict[str, Any] | str] = field(default_factory=dict)
    #: Saved LF-Tag expressions named by grants: their expression, or why it could not be read.
    tag_expressions: dict[str, list[dict[str, Any]] | str] = field(default_factory=dict)
    identity_policies: list[Policy] = field(default_factory=list)
    boundary: Policy | None = None
    #: bucket -> keys under lake locations that an Allow's Resource pattern opens (``witness_objects``); also in
    #: ``lake_objects``, kept apart for the evidence.
    witness_keys: dict[str, list[str]] = field(default_factory=dict)
    #: bucket -> object keys the analyst's IAM policies are tried on.
    lake_objects: dict[str, list[str]] = field(default_factory=dict)
    #: HeadObject as the analyst on one file of each table: what S3 itself answered.
    object_probes: list[dict[str, Any]] = field(default_factory=list)
    #: Each lake bucket and how it was found (table location, registered location, workgroup results).
    lake_buckets: dict[str, list[str]] = field(default_factory=dict)
    #: GetBucketPolicy of each lake bucket: its document, or None when it has none.
    bucket_policies: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    #: Access points, ACLs and Block Public Access of the lake buckets (``s3_routes``).
    routes: RoutesReadback = field(default_factory=RoutesReadback)
    #: The CloudFront distributions lake bucket policies let read (``cloudfront_routes``).
    cloudfront: CloudFrontReadback = field(default_factory=CloudFrontReadback)
    #: Every role of the account (ARN -> trust policy; permissions of those the analyst reaches).
    roles: dict[str, RoleInfo] = field(default_factory=dict)
    #: Every IAM user of the account (ARNs): whose credentials a principal on a path may mint.
    users: list[str] = field(default_factory=list)
    #: Past queries of the analyst's own workgroup that could have read a hidden column, as GetQueryResults hands
    #: them to the analyst (``query_results.shared_results``).
    shared_results: list[SharedResult] = field(default_factory=list)
    #: Tables (and views) past queries of the workgroups read copied a hidden column into (``history_copies``):
    #: their files are lake objects, and a query naming them could have read the column.
    copies: list[HistoryCopy] = field(default_factory=list)
    #: How each folder holding other workgroups' query results was found -> the folder (``results_locations``,
    #: ``past_results``): a table of one's own over it reads what those queries returned.
    result_locations: dict[str, str] = field(default_factory=dict)
    #: What could not be read (the check cannot pass without it).
    read_errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def gold_users(self) -> str:
        return f"{self.gold_database}.{GOLD_USERS}"

    def tables(self) -> list[CatalogTable]:
        return [p.table for p in self.probes]

    def unlisted_tables(self) -> list[CatalogTable]:
        """Every catalog table listing no hidden column (``others``, and those searched for the values)."""
        found: dict[str, CatalogTable] = {}
        for table in [*self.others, *(v.table for v in self.value_probes)]:
            found.setdefault(table.qualified.lower(), table)
        return list(found.values())


# -- reading ---------------------------------------------------------------------------------------


def assume(target: Target, role_arn: str, session_name: str = SESSION_NAME) -> boto3.Session:
    """A boto3 session with the role's temporary credentials (what a person gets from assume-role)."""
    creds = target.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return new_session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=target.region,
    )


def _attempt(errors: list[str], what: str, call: Callable[[], T], default: T) -> T:
    """Run a read; on failure note what could not be read (the check then cannot pass)."""
    try:
        return call()
    except (ClientError, BotoCoreError, ValueError, KeyError) as err:
        errors.append(f"could not read {what}: {err}")
        return default


def split_s3(uri: str) -> tuple[str, str] | None:
    if not uri.startswith(("s3://", "s3a://")):
        return None
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    return bucket, key


def _quoted(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'


def _sql_name(table: CatalogTable) -> str:
    return f"{_quoted(table.database)}.{_quoted(table.name)}"


def read_catalog(target: Target) -> tuple[dict[str, str | None], list[CatalogTable]]:
    """Every database (name -> its location) and table of the Glue catalog (paged), with every column and
    data location."""
    glue = target.client("glue")
    databases: dict[str, str | None] = {}
    tables: list[CatalogTable] = []
    for page in glue.get_paginator("get_databases").paginate():
        for db in page.get("DatabaseList") or []:
            databases[db["Name"]] = db.get("LocationUri")
            for tpage in glue.get_paginator("get_tables").paginate(DatabaseName=db["Name"]):
                for t in tpage.get("TableList") or []:
                    storage = t.get("StorageDescriptor") or {}
                    described = (storage.get("Columns") or []) + (t.get("PartitionKeys") or [])
                    columns = [c["Name"] for c in described]
                    tables.append(
                        CatalogTable(
                            database=db["Name"],
                            name=t["Name"],
                            columns=columns,
                            location=storage.get("Location"),
                            metadata_location=(t.get("Parameters") or {}).get("metadata_location"),
                            types={c["Name"]: str(c.get("Type") or "") for c in described},
                            view=t.get("TableType") == VIEW_TYPE,
                        )
                    )
    return databases, tables


#: Iceberg table properties that send new data files elsewhere than ``<location>/data`` (the last two are
#: the deprecated spellings, still honoured).
DATA_PATH_PROPERTIES = ("write.data.path", "write.object-storage.path", "write.folder-storage.path")


def read_data_paths(target: Target, tables: Sequence[CatalogTable], errors: list[str]) -> None:
    """Fill each Iceberg table's ``data_locations`` from its current metadata file (S3 GetObject).

    Glue's Location says where the table lives, not where its files are: the metadata's own ``location``
    and ``write.data.path`` put data files (``ssn`` in plain Parquet) in any bucket, and a policy letting
    the analyst read that bucket reads them around Lake Formation. A metadata file that cannot be read
    leaves the check unable to pass.
    """
    s3 = target.client("s3")
    for table in tables:
        where = split_s3(table.metadata_location or "")
        if where is None:
            continue
        try:
            metadata = json.loads(s3.get_object(Bucket=where[0], Key=where[1])["Body"].read())
        except (ClientError, BotoCoreError, ValueError) as err:
            errors.append(f"could not read the Iceberg metadata {table.metadata_location} of {table.qualified}: {err}")
            continue
        if not isinstance(metadata, dict):
            errors.append(f"the Iceberg metadata {table.metadata_location} of {table.qualified} is not a JSON object")
            continue
        properties = metadata.get("properties") or {}
        found = [metadata.get("location")] + [properties.get(k) for k in DATA_PATH_PROPERTIES]
        for uri in (str(u) for u in found if u):
            if not _within(table.location or "", uri) and uri not in table.data_locations:
                table.data_locations.append(uri)
        _add_file_folders(s3, table, metadata, errors)


def _add_file_folders(s3: Any, table: CatalogTable, metadata: dict[str, Any], errors: list[str]) -> None:
    """Add the folders the files of every snapshot the metadata lists lie in, outside those known
    (``iceberg_files``: a snapshot written while ``write.data.path`` pointed elsewhere keeps its files there)."""
    try:
        folders, complete = file_folders(metadata, S3ReadIO(s3))
    except (ClientError, BotoCoreError, ValueError, KeyError, TypeError, OSError, EOFError) as err:
        errors.append(
            f"could not read the manifest lists and manifests of {table.qualified} ({table.metadata_location}): "
            f"{err!r}; its files elsewhere could hold {table.qualified}'s values"
        )
        return
    if not complete:
        errors.append(
            f"{table.qualified} ({table.metadata_location}) has more than {MAX_AVRO_FILES:,} manifest lists and "
            "distinct manifests to read, or a snapshot without a manifest list: where the files of the rest lie "
            "was not read (expiring old snapshots brings the table within reach)"
        )
    known = [table.location or "", metadata_folder(table.metadata_location or ""), *table.data_locations]
    for uri in folders:
        if not any(_within(k, uri) for k in known if k):
            table.data_locations.append(uri)
            known.append(uri)


def _within(outer: str, inner: str) -> bool:
    """Whether S3 URI ``inner`` lies in folder ``outer`` (its files are already listed with it)."""
    a, b = split_s3(outer), split_s3(inner)
    if a is None or b is None or a[0] != b[0]:
        return False
    folder = a[1].strip("/")
    return not folder or b[1].strip("/") == folder or b[1].startswith(folder + "/")


def read_table_defaults(target: Target) -> dict[str, list[dict[str, Any]]]:
    """Database -> its CreateTableDefaultPermissions (GetDatabases, paged).

    On AWS the data lake settings' defaults are copied into each database when it is created, and
    new tables get the database's: clearing the settings later leaves older databases open."""
    glue = target.client("glue")
    return {
        str(db["Name"]): list(db.get("CreateTableDefaultPermissions") or [])
        for page in glue.get_paginator("get_databases").paginate()
        for db in page.get("DatabaseList") or []
    }


def read_hidden_values(conn: Any, tables: Sequence[CatalogTable], hidden: Sequence[str]) -> HiddenValues | str:
    """The distinct values of every plain hidden column, read by the privileged principal, or why not.

    The values stay in memory: the query keeps no rows and its record goes into no evidence."""
    wanted = {h.lower() for h in hidden}
    found: set[str] = set()
    for table in tables:
        for column in (c for c in table.columns if c.lower() in wanted):
            sql = (
                f'SELECT DISTINCT CAST("{column}" AS varchar) FROM {_sql_name(table)} '
                f'WHERE "{column}" IS NOT NULL LIMIT {MAX_VALUES}'
            )
            record, rows = run(conn, sql, keep_rows=0)
            if not record.ok:
                return f"{table.qualified}.{column}: {record.error}"
            found.update(str(r[0]) for r in rows if r and r[0] is not None)
    return HiddenValues(found)


def _searched(
    conn: Any, sql: str, values: HiddenValues | str, max_rows: int | None = None
) -> tuple[QueryRecord, dict[str, int], dict[str, list[str]]]:
    """Run the analyst's query, searching every row for hidden values as it streams past (column -> rows
    carrying one; column -> hashes of them found), and mask them in the rows the record keeps."""
    tally = LeakTally(HiddenValues(()) if isinstance(values, str) else values)
    record = scan(conn, sql, tally.visit, keep_rows=KEEP_ROWS, max_rows=max_rows)
    if isinstance(values, str) or not record.ok:
        return record, {}, {}
    record.rows = masked(record.rows, values)
    return record, tally.by_column(record.columns), tally.hashed_columns(record.columns)


def probe_tables(
    target: Target,
    outputs: Mapping[str, Any],
    tables: Sequence[CatalogTable],
    hidden: Sequence[str],
    session: boto3.Session,
    others: Sequence[CatalogTable] = (),
) -> tuple[str | None, list[TableProbe], list[ValueProbe], HiddenValues | str]:
    """Query each table as the privileged caller (counting values, reading the hidden values to search
    for) and as the analyst; ``others`` (tables without a hidden column) only searched for the values."""
    probes: list[TableProbe] = []
    value_probes: list[ValueProbe] = []
    own = {str(d).lower() for d in (outputs.get("glue_database_names") or {}).values()}
    with connect(target, outputs["athena_workgroup_name"]) as conn:
        privileged = {}
        for table in tables:
            counts = ", ".join(f'count("{c}") AS "{c.lower()}_values"' for c in table.holding(hidden))
            privileged[table.qualified] = run(conn, f"SELECT count(*) AS row_count, {counts} FROM {_sql_name(table)}")[
                0
            ]
        values = read_hidden_values(conn, tables, hidden)
    analyst_caller = session.client("sts", endpoint_url=target.endpoint_url).get_caller_identity()["Arn"]
    with connect(target, outputs["analyst_workgroup_name"], session=session) as conn:
        for table in tables:
            columns = table.holding(hidden)
            select_all, leaks, hashed = _searched(conn, f"SELECT * FROM {_sql_name(table)}{PROBE_MARK}", values)
            denied = {c: run(conn, f'SELECT "{c}" FROM {_sql_name(table)} LIMIT 1{PROBE_MARK}')[0] for c in columns}
            probes.append(TableProbe(table, columns, select_all, denied, privileged[table.qualified], leaks, hashed))
        for table in others:
            record, leaks, hashed = _searched(
                conn, f"SELECT * FROM {_sql_name(table)}{PROBE_MARK}", values, MAX_SEARCH_ROWS
            )
            value_probes.append(ValueProbe(table, record, leaks, table.database.lower() in own, hashed))
    return analyst_caller, probes, value_probes, values


def grant_key(grant: Mapping[str, Any]) -> str:
    """What makes two listed grants the same (one listing per ResourceType, one per table, can return it twice):
    principal, resource and permissions in any order; when it was last changed, and by whom, is not the grant."""
    same = {k: v for k, v in grant.items() if k not in ("LastUpdated", "LastUpdatedBy")}
    for key in ("Permissions", "PermissionsWithGrantOption"):
        same[key] = sorted(same.get(key) or [])
    return json.dumps(same, sort_keys=True, default=str)


def read_grants(target: Target, tables: Sequence[CatalogTable], rb: SecurityReadback) -> None:
    """Every Lake Formation grant (all pages; per table with related grants; LF-Tag policies) and filter."""
    lf = target.client("lakeformation")
    errors = rb.read_errors
    rb.settings = _attempt(
        errors, "the data lake settings", lambda: lf.get_data_lake_settings()["DataLakeSettings"], {}
    )
    seen: dict[str, dict[str, Any]] = {}

    def keep(grants: Iterable[dict[str, Any]]) -> None:
        for g in grants:
            g = {k: v for k, v in g.items() if k not in ("LastUpdated", "LastUpdatedBy")}
            seen.setdefault(grant_key(g), g)

    def listed(**params: Any) -> Callable[[], list[dict[str, Any]]]:
        return lambda: next_token_pages(lf.list_permissions, "PrincipalResourcePermissions", **params)

    keep(_attempt(errors, "the Lake Formation grants", listed(), []))
    # DATA_LOCATION too: whether ListPermissions without a ResourceType lists location grants is not documented,
    # so they are also asked for by type and the two answers merged (``keep`` drops what both list).
    for kind in ("DATA_LOCATION", "LF_TAG_POLICY", "LF_TAG_POLICY_TABLE", "LF_TAG_POLICY_DATABASE"):
        keep(_attempt(errors, f"the Lake Formation grants of type {kind}", listed(ResourceType=kind), []))
    for table in tables:
        resource = {"Table": {"DatabaseName": table.database, "Name": table.name}}
        on = listed(Resource=resource, IncludeRelated="TRUE")
        keep(_attempt(errors, f"the Lake Formation grants on {table.qualified}", on, []))
    rb.grants = list(seen.values())
    rb.filters = _attempt(
        errors, "the data cells filters", lambda: next_token_pages(lf.list_data_cells_filter, "DataCellsFilters"), []
    )

    watched = _watched(rb)
    tag_grants = [
        g
        for g in rb.grants
        if "LFTagPolicy" in (g.get("Resource") or {}) and _principal(g) in watched and _held(g) & (READS | CREATES)
    ]
    if not tag_grants:
        return
    for database in sorted(rb.database_locations):
        if not database_location_problems(database, "", rb):  # its location holds no hidden table's files
            continue
        try:
            answer = lf.get_resource_lf_tags(Resource={"Database": {"Name": database}})
            rb.database_lf_tags[database] = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
        except (ClientError, BotoCoreError) as err:
            rb.database_lf_tags[database] = str(err)
    for table in tables:
        spec = {"Table": {"DatabaseName": table.database, "Name": table.name}}
        try:
            answer = lf.get_resource_lf_tags(Resource=spec)
            rb.lf_tags[table.qualified] = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
        except (ClientError, BotoCoreError) as err:
            rb.lf_tags[table.qualified] = str(err)
    for grant in tag_grants:
        name = (grant["Resource"]["LFTagPolicy"] or {}).get("ExpressionName")
        if name and name not in rb.tag_expressions:
            try:
                rb.tag_expressions[name] = lf.get_lf_tag_expression(Name=name).get("Expression") or []
            except (ClientError, BotoCoreError) as err:
                rb.tag_expressions[name] = str(err)


def lake_objects(
    target: Target, tables: Sequence[CatalogTable], buckets: Iterable[str], notes: list[str]
) -> dict[str, list[str]]:
    """Keys to try the analyst's IAM policies on: each table's files, a probe under its location, bucket probes."""
    s3 = target.client("s3")
    objects: dict[str, set[str]] = {b: {PROBE_KEY} for b in buckets}
    for table in tables:
        for uri in table.storage():
            where = split_s3(uri)
            if where is None:
                continue
            bucket, key = where
            keys = objects.setdefault(bucket, {PROBE_KEY})
            if uri == table.metadata_location:
                keys.add(key)
                _probe_prefix(s3, bucket, metadata_folder(key), keys, notes)
                continue
            _probe_prefix(s3, bucket, key, keys, notes)
    return {b: sorted(k) for b, k in objects.items()}


def metadata_folder(key: str) -> str:
    """The folder of an Iceberg metadata file: its manifest lists and manifests (``*.avro``) lie beside it.

    Usually ``<location>/metadata/``, already listed with the table's location; but the table property
    ``write.metadata.path`` puts them anywhere, and each manifest's column bounds (``lower_bounds``,
    ``upper_bounds``, strings truncated to 16 characters) hold hidden values verbatim."""
    return key.rsplit("/", 1)[0] + "/" if "/" in key else ""


def _probe_prefix(s3: Any, bucket: str, key: str, keys: set[str], notes: list[str]) -> None:
    """Add a probe key under ``key``'s folder and the keys listed there (a listing failure is noted)."""
    prefix = key if not key or key.endswith("/") else key + "/"
    keys.add(prefix + PROBE_KEY)
    try:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=MAX_KEYS).get("Contents") or []
        keys.update(o["Key"] for o in listed)
    except (ClientError, BotoCoreError) as err:
        notes.append(f"listing s3://{bucket}/{prefix} failed ({err}); only probe keys were tried there")


def registered_locations(target: Target) -> list[str]:
    """Every S3 location registered with Lake Formation (ListResources, all pages)."""
    lf = target.client("lakeformation")
    return [
        str(r["ResourceArn"]) for r in next_token_pages(lf.list_resources, "ResourceInfoList") if r.get("ResourceArn")
    ]


def work_group_names(target: Target, own: str) -> list[str]:
    """Every Athena workgroup but ``own`` (the analyst's: its results are the analyst's to read)."""
    athena = target.client("athena")
    return [str(s["Name"]) for s in next_token_pages(athena.list_work_groups, "WorkGroups") if s["Name"] != own]


def read_histories(target: Target, own: str) -> list[WorkGroupHistory]:
    """Every workgroup's query history, ``own`` (the analyst's) first, each listed once for every reader."""
    athena = target.client("athena")
    return [read_history(athena, name) for name in [own, *work_group_names(target, own)]]


def past_results(
    histories: Iterable[WorkGroupHistory], own: str, known: Iterable[str], reads: HiddenReads | None = None
) -> ExecutionLocations:
    """Result folders past queries of every workgroup but ``own`` wrote to besides the ``known`` locations
    (``query_results``: a workgroup not enforcing its configuration lets a query write anywhere); with
    ``reads``, only those of queries that could have read a hidden column."""
    return execution_locations([h for h in histories if h.work_group != own], known, reads)


def hidden_reads(
    catalog: Sequence[CatalogTable], hidden: Sequence[str], copies: Iterable[HistoryCopy] = ()
) -> HiddenReads:
    """What a query names when it could read a hidden column: the column, any table of a database holding
    one (a copy under another name lies beside it), or a table a past query copied one into (``copies``)."""
    holding = {t.database.lower() for t in catalog if t.holding(hidden)}
    tables = {(t.database.lower(), t.name.lower()) for t in catalog if t.database.lower() in holding}
    tables |= {(c.database, c.table) for c in copies}
    return HiddenReads(frozenset(h.lower() for h in hidden), frozenset(tables))


def read_copies(
    target: Target, histories: Iterable[WorkGroupHistory], catalog: Sequence[CatalogTable], hidden: Sequence[str]
) -> tuple[list[HistoryCopy], list[str], list[str]]:
    """The tables the workgroups' past CTAS / INSERT / CREATE VIEW / MERGE / UPDATE copied a hidden column into
    (``history_copies``), with what could not be read (errors) and notes."""
    found = read_statements(histories)
    schema = catalog_schema({(t.database, t.name): t.columns for t in catalog})
    roots = [(t.database.lower(), t.name.lower(), c.lower()) for t in catalog for c in t.holding(hidden)]
    copies, notes = history_copies(found.statements, schema, roots, target.region)
    return copies, found.errors, found.notes + notes


def _has_files(target: Target, table: CatalogTable) -> bool:
    """Whether a dropped copy's location still holds files (Athena drops an Iceberg table's files with it; a
    Hive table's stay): only then are they lake objects."""
    where = split_s3(table.location or "")
    if where is None:
        return False
    prefix = where[1] if not where[1] or where[1].endswith("/") else where[1] + "/"
    try:
        listed = target.client("s3").list_objects_v2(Bucket=where[0], Prefix=prefix, MaxKeys=1)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return False  # the bucket is gone with the files
        raise
    return bool(listed.get("Contents"))


def copy_tables(catalog: Sequence[CatalogTable], copies: Iterable[HistoryCopy]) -> list[CatalogTable]:
    """The catalog's entry of each copy that is a table (views hold no files), or, for one the catalog no longer
    lists, a table at the location its statement named (Athena's DROP TABLE leaves the files)."""
    listed = {(t.database.lower(), t.name.lower()): t for t in catalog}
    tables: list[CatalogTable] = []
    for copy in copies:
        table = listed.get((copy.database, copy.table))
        if table is None and copy.location:
            table = CatalogTable(copy.database, copy.table, sorted(copy.columns), location=copy.location)
        if table is not None and not table.view:
            tables.append(table)
    return tables


def results_locations(target: Target, own: str) -> dict[str, str]:
    """Workgroup -> result location (OutputLocation) of every Athena workgroup but ``own`` (the analyst's)."""
    athena = target.client("athena")
    found: dict[str, str] = {}
    for summary in next_token_pages(athena.list_work_groups, "WorkGroups"):  # boto3 has no paginator for it
        name = summary["Name"]
        if name == own:
            continue
        config = athena.get_work_group(WorkGroup=name)["WorkGroup"].get("Configuration") or {}
        location = (config.get("ResultConfiguration") or {}).get("OutputLocation")
        if location:
            found[name] = str(location)
    return found


def location_bucket(arn_or_uri: str) -> tuple[str, str] | None:
    """(bucket, key prefix) of an S3 ARN (``arn:aws:s3:::b/p``) or URI (``s3://b/p``)."""
    if arn_or_uri.startswith("arn:") and ":s3:::" in arn_or_uri:
        bucket, _, key = arn_or_uri.split(":::", 1)[1].partition("/")
        return bucket, key
    return split_s3(arn_or_uri)


def add_locations(
    target: Target, objects: dict[str, list[str]], locations: Mapping[str, str], notes: list[str]
) -> dict[str, list[str]]:
    """``objects`` plus a probe under each location and the keys listed there (results files can hold ssn)."""
    s3 = target.client("s3")
    merged = {b: set(k) for b, k in objects.items()}
    for uri in locations.values():
        where = location_bucket(uri)
        if where is None:
            continue
        bucket, key = where
        _probe_prefix(s3, bucket, key, merged.setdefault(bucket, {PROBE_KEY}), notes)
    return {b: sorted(k) for b, k in merged.items()}


def read_bucket_policy(s3: Any, bucket: str) -> dict[str, Any] | None:
    """The bucket's policy document (GetBucketPolicy), or None when it has none."""
    try:
        text = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as err:
        # No policy, or no bucket (a workgroup may name a results bucket that is gone): nothing opens it.
        if err.response.get("Error", {}).get("Code") in ("NoSuchBucketPolicy", "NoSuchBucket"):
            return None
        raise
    document = json.loads(text)
    if not isinstance(document, dict):
        raise ValueError(f"the policy of bucket {bucket} is not a JSON object")
    return document


def _policy_or_none(errors: list[str], s3: Any, bucket: str) -> dict[str, Any] | None:
    no_policy: dict[str, Any] | None = None
    return _attempt(
        errors, f"the bucket policy of {bucket} (GetBucketPolicy)", lambda: read_bucket_policy(s3, bucket), no_policy
    )


def head_as_analyst(
    target: Target, session: boto3.Session, tables: Sequence[CatalogTable], objects: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    """HeadObject (it needs ``s3:GetObject``, reads no bytes) as the analyst on one real file of each table.

    What S3 answers is the proof the policy reading backs up: 403 is the healthy answer.
    """
    s3 = session.client("s3", endpoint_url=target.endpoint_url)
    answers: list[dict[str, Any]] = []
    for table in tables:
        where = split_s3(table.location or "")
        bucket, prefix = (where[0], where[1].rstrip("/") + "/" if where[1] else "") if where else ("", "")
        key = next((k for k in objects.get(bucket, []) if k.startswith(prefix) and not k.endswith(PROBE_KEY)), None)
        if where is not None and key is not None:
            answers.append(_head(s3, table, bucket, key))
        # Metadata kept elsewhere (write.metadata.path): its manifests hold hidden values as column bounds.
        meta = split_s3(table.metadata_location or "")
        if meta is not None and (meta[0] != bucket or not meta[1].startswith(prefix)):
            answers.append(_head(s3, table, *meta))
    return answers


def _head(s3: Any, table: CatalogTable, bucket: str, key: str) -> dict[str, Any]:
    answer: dict[str, Any] = {"table": table.qualified, "object": f"s3://{bucket}/{key}"}
    try:
        s3.head_object(Bucket=bucket, Key=key)
        answer["status"] = "allowed"
    except ClientError as err:
        code = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        answer["status"] = "denied" if code == 403 else f"error {code}: {err}"
    return answer


def read_security(target: Target, outputs: Mapping[str, Any], hidden: Sequence[str] = PLAN_HIDDEN) -> SecurityReadback:
    """Find every table holding a hidden column, query it both ways, read grants and IAM back."""
    missing = [k for k in OUTPUT_KEYS if not outputs.get(k)]
    gold_database = (outputs.get("glue_database_names") or {}).get("gold") or (
        outputs.get("gold_users_table") or {}
    ).get("database")
    if not gold_database:
        missing.append("glue_database_names")
    if missing:
        raise SecurityReadError(f"the stack has no Terraform output(s) {', '.join(missing)}")
    identity = target.client("sts").get_caller_identity()
    errors: list[str] = []
    databases, catalog = read_catalog(target)  # without the catalog there is nothing to judge: error
    tables = [t for t in catalog if t.holding(hidden)]
    read_data_paths(target, tables, errors)
    own_group = str(outputs["analyst_workgroup_name"])
    # Read before the analyst's probes run: they carry PROBE_MARK and ``shared_results`` leaves them out anyway.
    no_histories: list[WorkGroupHistory] = []
    histories = _attempt(
        errors,
        "the Athena query histories (ListWorkGroups, ListQueryExecutions, BatchGetQueryExecution)",
        lambda: read_histories(target, own_group),
        no_histories,
    )
    nothing_read: tuple[list[HistoryCopy], list[str], list[str]] = ([], [], [])
    copies, copy_errors, copy_notes = _attempt(
        errors,
        "the tables past Athena queries copied a hidden column into",
        lambda: read_copies(target, histories, catalog, hidden),
        nothing_read,
    )
    errors += copy_errors
    listed = {t.qualified.lower() for t in catalog}
    copied = [t for t in copy_tables(catalog, copies) if t.qualified.lower() in listed or _has_files(target, t)]
    read_data_paths(target, copied, errors)
    for table in copied:
        next(c for c in copies if c.qualified == table.qualified.lower()).storage = table.storage()
    others = [t for t in catalog if not t.holding(hidden)]
    if len(others) > MAX_VALUE_TABLES:
        errors.append(
            f"the catalog has {len(others)} tables without a {'/'.join(hidden)} column; the first {MAX_VALUE_TABLES} "
            "were searched for its values, the rest could hold a copy under another name"
        )
    session = assume(target, outputs["analyst_role_arn"])
    analyst_caller, probes, value_probes, values = probe_tables(
        target, outputs, tables, hidden, session, others[:MAX_VALUE_TABLES]
    )
    rb = SecurityReadback(
        hidden=list(hidden),
        gold_database=str(gold_database),
        analyst_role_arn=outputs["analyst_role_arn"],
        analyst_caller_arn=analyst_caller,
        privileged_arn=identity["Arn"],
        probes=probes,
        value_probes=value_probes,
        hidden_value_count=0 if isinstance(values, str) else len(values),
        hidden_values_error=values if isinstance(values, str) else None,
        databases=list(databases),
        database_locations={name: uri for name, uri in databases.items() if uri},
        account_id=identity.get("Account"),
        read_errors=errors,
        copies=copies,
        notes=copy_notes,
        others=others,
    )
    for history in (h for h in histories if h.work_group == own_group):  # none when unread (an error then)
        read_shared_results(target, history, session, rb, values)
    no_defaults: dict[str, list[dict[str, Any]]] = {}
    rb.table_defaults = _attempt(
        errors, "the databases' CreateTableDefaultPermissions", lambda: read_table_defaults(target), no_defaults
    )
    no_policies: tuple[list[Policy], Policy | None] = ([], None)
    rb.identity_policies, rb.boundary = _attempt(
        errors,
        f"the IAM policies of {rb.analyst_role_arn}",
        lambda: read_role_policies(target, rb.analyst_role_arn),
        no_policies,
    )
    no_roles: dict[str, RoleInfo] = {}
    rb.roles = _attempt(errors, "the roles of the account (IAM ListRoles)", lambda: read_roles(target), no_roles)
    functions = "the Lambda functions of the region (ListFunctions)"
    _attempt(errors, functions, lambda: read_functions(target, rb.roles), None)
    no_users: list[str] = []
    rb.users = _attempt(errors, "the users of the account (IAM ListUsers)", lambda: read_users(target), no_users)
    if rb.account_id:
        read_reachable(target, _analyst(rb), rb.account_id, rb.roles, errors)
    holding_dbs = {t.database for t in tables}
    # The lake's buckets as the services know them (never the stack's outputs).
    found: dict[str, set[str]] = {}
    for table in tables:
        for uri in table.storage():
            if (where := split_s3(uri)) is not None:
                found.setdefault(where[0], set()).add(f"location of {table.qualified}")
    by_name = {c.qualified.lower(): c for c in copies}
    for table in copied:
        for uri in table.storage():
            if (where := split_s3(uri)) is not None:
                copy = by_name[table.qualified.lower()].describe()
                found.setdefault(where[0], set()).add(
                    f"location of {table.qualified}, a copy of a hidden column: {copy}"
                )
    none_registered: list[str] = []
    registered = _attempt(
        errors, "the Lake Formation registered locations", lambda: registered_locations(target), none_registered
    )
    for arn in registered:
        if (where := location_bucket(arn)) is not None:
            found.setdefault(where[0], set()).add(f"registered with Lake Formation ({arn})")
    no_results: dict[str, str] = {}
    results = _attempt(
        errors,
        "the Athena workgroups' result locations",
        lambda: results_locations(target, str(outputs["analyst_workgroup_name"])),
        no_results,
    )
    executions = _attempt(
        errors,
        "where past Athena queries wrote their results (ListQueryExecutions, BatchGetQueryExecution)",
        lambda: past_results(histories, own_group, results.values(), hidden_reads(catalog, hidden, copies)),
        ExecutionLocations(),
    )
    errors += executions.errors
    rb.notes += executions.notes
    results.update({how: folder for folder, how in executions.folders.items()})
    rb.result_locations = {f"workgroup {how}": uri for how, uri in results.items()}
    # After the copies and result folders are known: a database's LF-Tags are read when its location holds them.
    read_grants(target, tables, rb)
    # An Iceberg table some grant reads: where its metadata puts its files (a copy of the users metadata, pointed
    # at by ``metadata_location``, keeps the users files), for ``covering_problems``.
    read_data_paths(target, [t for t in others if t.metadata_location and granted_reads(rb, t)], errors)
    for workgroup, uri in results.items():
        if (where := location_bucket(uri)) is not None:
            found.setdefault(where[0], set()).add(f"query results of workgroup {workgroup} ({uri})")
    rb.lake_buckets = {b: sorted(how) for b, how in sorted(found.items())}
    stored = [*tables, *copied]  # every table whose files hold a hidden column's values
    rb.lake_objects = lake_objects(target, stored, found, rb.notes)
    rb.lake_objects = add_locations(target, rb.lake_objects, results, rb.notes)
    s3 = target.client("s3")
    for bucket in rb.lake_buckets:
        rb.bucket_policies[bucket] = _policy_or_none(errors, s3, bucket)
    if rb.account_id:
        partition = rb.analyst_role_arn.split(":")[1] if rb.analyst_role_arn.count(":") >= 5 else "aws"
        rb.routes = read_routes(target, rb.account_id, partition, rb.lake_objects, PROBE_KEY)
        errors += rb.routes.errors
        # What cannot be read stays in the readback: the judge names the grant and the distribution.
        if grants := cloudfront_grants(rb.bucket_policies, rb.lake_objects, rb.account_id, PROBE_KEY):
            rb.cloudfront = read_cloudfront(target.client("cloudfront"), grants)
    rb.object_probes = head_as_analyst(target, session, stored, rb.lake_objects)
    # Last: keys that exist nowhere, so S3 (ACLs, HEAD) is never asked about them; only the policies are.
    rb.witness_keys = witness_objects(rb, stored, results)
    for bucket, keys in rb.witness_keys.items():
        rb.lake_objects[bucket] = sorted({*rb.lake_objects.get(bucket, []), *keys})
    rb.notes.append(f"databases holding {', '.join(hidden)}: {', '.join(sorted(holding_dbs)) or 'none'}")
    return rb


def read_shared_results(
    target: Target,
    history: WorkGroupHistory,
    session: boto3.Session,
    rb: SecurityReadback,
    values: HiddenValues | str,
) -> None:
    """The analyst's workgroup history, its results read back as the analyst."""
    analyst_athena = session.client("athena", endpoint_url=target.endpoint_url)
    searched = HiddenValues(()) if isinstance(values, str) else values
    try:
        found = shared_results(history, analyst_athena, searched, own_mark=PROBE_MARK.strip())
    except (ClientError, BotoCoreError) as err:
        rb.read_errors.append(
            f"could not read the query results of the analyst's workgroup {history.work_group}: {err}"
        )
        return
    rb.shared_results = found.results
    rb.read_errors += found.errors
    rb.notes += found.notes


def _allow_resources(rb: SecurityReadback) -> set[str]:
    """Resource patterns of every Allow of an object read the check evaluates: the analyst's, the roles' read,
    the bucket policies'."""
    policies = [*rb.identity_policies, *(p for r in rb.roles.values() for p in r.identity or [])]
    statements = [st for p in policies for st in p.statements()]
    statements += [st for d in rb.bucket_policies.values() if d for st in bucket_policy_statements(d)]
    return read_patterns(statements)


def witness_objects(
    rb: SecurityReadback, tables: Sequence[CatalogTable], results: Mapping[str, str]
) -> dict[str, list[str]]:
    """Bucket -> keys under an ssn table's (or another workgroup's results) location that some Allow's
    Resource pattern opens (``iam_access.witnesses``): a policy naming only other or future files there
    (``users/data/2027-*``) matches none of the files listed or the probe key, yet opens what lands there."""
    partition = rb.analyst_role_arn.split(":")[1] if rb.analyst_role_arn.count(":") >= 5 else "aws"
    locations = [u for t in tables for u in (t.location, *t.data_locations) if u] + list(results.values())
    for table in tables:  # the metadata folder: manifests hold hidden values as column bounds
        if (where := split_s3(table.metadata_location or "")) is not None:
            locations.append(f"s3://{where[0]}/{metadata_folder(where[1])}")
    patterns = sorted(_allow_resources(rb))
    found: dict[str, set[str]] = {}
    for uri in locations:
        where = split_s3(uri)
        if where is None:
            continue
        bucket, key = where
        prefix = object_arn(bucket, key if not key or key.endswith("/") else key + "/", partition)
        for pattern in patterns:
            for arn in witnesses(pattern, prefix):
                found.setdefault(bucket, set()).add(arn.split(":::", 1)[1].split("/", 1)[1])
    return {b: sorted(k) for b, k in sorted(found.items())}


# -- judging ---------------------------------------------------------------------------------------


def _held(grant: Mapping[str, Any]) -> set[str]:
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
    held = str(sorted(_held(grant) & CREATES))
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


def lf_tag_problems(grant: Mapping[str, Any], who: str, rb: SecurityReadback) -> list[str]:
    """An LF-Tag policy grant that reads data: which tables' hidden columns its expression matches."""
    policy = grant["Resource"]["LFTagPolicy"] or {}
    held = sorted(_held(grant) & READS)
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
        found += [(uri, what, ", ".join(sorted(copy.columns)), copy.qualified) for uri in copy.storage]
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


def _full_table(resource: Mapping[str, Any]) -> bool:
    """A grant on every column of a table (or of every table of a database): "full table access"."""
    if "Table" in resource:
        return True
    spec = resource.get("TableWithColumns") or {}
    return "ColumnWildcard" in spec and not (spec["ColumnWildcard"] or {}).get("ExcludedColumnNames")


def vending_problems(grant: Mapping[str, Any], who: str, rb: SecurityReadback) -> list[str]:
    """Full table access to a table whose files' location holds hidden files, with credential vending for full
    table access on: Lake Formation hands S3 credentials for the table's whole location.

    With ``AllowFullTableExternalDataAccess`` in the data lake settings, a principal holding SELECT on every
    column of a table gets credentials scoped to its location from ``GetTemporaryGlueTableCredentials`` or
    ``GetTemporaryDataLocationCredentials`` (Lake Formation "Application integration for full table access"),
    no session tag needed. A second Glue table over the Gold users files that lists no ``ssn`` (or one over the
    whole bucket) is read in full without ``ssn``; its credentials read the Parquet with ``ssn`` in it.
    """
    resource = grant.get("Resource") or {}
    if not rb.settings.get("AllowFullTableExternalDataAccess") or not _held(grant) & READS:
        return []
    if not _full_table(resource):
        return []
    files = hidden_files(rb)
    problems: list[str] = []
    for probe in rb.value_probes:  # a table holding a hidden column in full fails already as a grant
        table = probe.table
        if not on_table(resource, table.database, table.name) or table.view:
            continue
        for uri in table.storage():
            where = split_s3(uri)
            overlap = overlapping(where, files) if where is not None else []
            if overlap:
                problems.append(
                    f"the data lake settings allow credential vending for full table access "
                    f"(AllowFullTableExternalDataAccess), and {who} holds {sorted(_held(grant) & READS)} on every "
                    f"column of {table.qualified}, whose location {uri} holds {overlap[0].what} "
                    f"({overlap[0].uri}): GetTemporaryGlueTableCredentials hands it S3 credentials for that "
                    f"location, which read {overlap[0].reads}"
                )
                break
    return problems


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
                f"{who} holds {sorted(_held(grant) & READS)} on {table.qualified} through {how}, and its location "
                f"{uri} lies over {found.what} ({found.uri}" + (f", e.g. {example}" if example else "") + "): "
                f"a query of {table.qualified} reads {found.reads} from them"
            )
            break
    return problems


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


def granted_reads(rb: SecurityReadback, table: CatalogTable) -> bool:
    """Whether any grant (anyone's) reads the table: only such tables' Iceberg metadata is followed."""
    for grant in rb.grants:
        resource = grant.get("Resource") or {}
        held = _held(grant)
        database = str((resource.get("Database") or {}).get("Name", "")).lower()
        if held & READS and (
            on_table(resource, table.database, table.name)
            or "Catalog" in resource
            or database == table.database.lower()
        ):
            return True
    return False


def _grant_opens(grant: Mapping[str, Any], who: str, rb: SecurityReadback) -> list[str]:
    """How one Lake Formation grant to ``who`` (a principal that reaches the analyst) opens a hidden column."""
    resource = grant.get("Resource") or {}
    held = _held(grant)
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
    else:
        problems += vending_problems(grant, who, rb)
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
    watched = _watched(rb)
    for grant in rb.grants:
        who = watched.get(_principal(grant)) or _outsider(_principal(grant), rb.account_id)
        if who is not None:
            problems += _grant_opens(grant, who, rb)
    for key in ("CreateDatabaseDefaultPermissions", "CreateTableDefaultPermissions"):
        if any(_principal(p) == IAM_ALLOWED_PRINCIPALS for p in rb.settings.get(key) or []):
            problems.append(f"the data lake settings' {key} still give IAMAllowedPrincipals new databases/tables")
    return problems + table_default_problems(rb)


def table_default_problems(rb: SecurityReadback) -> list[str]:
    """A database holding a hidden table whose own CreateTableDefaultPermissions open each new table to a principal
    reaching the analyst (IAMAllowedPrincipals: IAM alone decides). Cleared data lake settings do not help: the
    database kept what they said when it was born, and the next table there (a pipeline rebuild, a copy) is open."""
    watched = _watched(rb)
    problems: list[str] = []
    for database, defaults in sorted(rb.table_defaults.items()):
        tables = [p.table.qualified for p in rb.probes if p.table.database.lower() == database.lower()]
        if not tables:
            continue
        for default in defaults:
            who = watched.get(_principal(default)) or _outsider(_principal(default), rb.account_id)
            held = _held(default)
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
    return problems


def _no_access(record: QueryRecord, table: CatalogTable | None = None) -> bool:
    """The analyst may not use the table at all; for a view also: not a column the view reads.

    A plain Athena view runs with the invoker's rights ("users with rights on the view but not on the
    underlying table or columns are not able to use the VIEW to query data"): a view over ``ssn`` the
    analyst lacks fails with COLUMN_NOT_FOUND, and nothing is read through it. On a table the same
    error means the query named a column that is not there, which proves nothing.
    """
    if record.ok:
        return False
    error = record.error or ""
    if table is not None and table.view and INVOKER_DENIED.search(error):
        return True
    return bool(NO_ACCESS.search(error)) and "COLUMN_NOT_FOUND" not in error


def invoker_refused(rb: SecurityReadback) -> list[str]:
    """Views the analyst's SELECT * could not read for lack of rights on what they read (no leak: no rows)."""
    searched = [(p.table, p.select_all) for p in rb.probes] + [(v.table, v.select_all) for v in rb.value_probes]
    return sorted(t.qualified for t, r in searched if t.view and not r.ok and INVOKER_DENIED.search(r.error or ""))


def select_all_problems(rb: SecurityReadback) -> list[str]:
    """The analyst's ``SELECT *`` of every table: no hidden column; on Gold users it must also return rows."""
    problems: list[str] = []
    if rb.analyst_caller_arn and rb.analyst_caller_arn == rb.privileged_arn:
        problems.append("the analyst queries ran as the privileged principal: the role was not assumed")
    for probe in rb.probes:
        table, record = probe.table, probe.select_all
        gold = table.qualified.lower() == rb.gold_users.lower()
        if record.ok:
            seen = [c for c in record.columns if c.lower() in {h.lower() for h in probe.hidden}]
            if seen:
                problems.append(f"the analyst's SELECT * on {table.qualified} returns {', '.join(seen)}")
            if gold and not record.row_count:
                problems.append(
                    f"the analyst's SELECT * on {table.qualified} returned no rows: nothing shows the grant works"
                )
        elif gold:
            problems.append(f"the analyst's SELECT * on {table.qualified} failed: {record.error}")
        elif not _no_access(record, table):
            problems.append(
                f"the analyst's SELECT * on {table.qualified} failed, but not as access denied, so it proves "
                f"nothing: {record.error}"
            )
    for value_probe in rb.value_probes:
        if seen := _unlisted_hidden(value_probe, rb.hidden):
            problems.append(
                f"the analyst's SELECT * on {value_probe.table.qualified} returns {', '.join(seen)} (the Glue catalog "
                "lists no such column there: Athena read it from the table's own schema or the table a link points to)"
            )
    return problems


def _unlisted_hidden(probe: ValueProbe, hidden: Sequence[str]) -> list[str]:
    """Hidden columns the analyst's ``SELECT *`` returned from a table the catalog lists without them.

    Athena does not take a table's columns from Glue alone: a resource link (``TargetTable``, no columns of
    its own) returns its target's, another account's; an Iceberg table its metadata's schema. Such a table
    is only searched for Gold's values, and another table's ssn need not hold them: the name is the leak.
    """
    wanted = {h.lower() for h in hidden}
    return [c for c in probe.select_all.columns if c.lower() in wanted] if probe.select_all.ok else []


def _shown(sql: str) -> str:
    """A probe's SQL as a reason quotes it: without the mark that keeps it out of the history read."""
    return sql.removesuffix(PROBE_MARK)


def denied_problems(rb: SecurityReadback) -> list[str]:
    """The analyst naming a hidden column fails: COLUMN_NOT_FOUND, or no access to the table at all."""
    problems: list[str] = []
    for probe in rb.probes:
        for column, record in probe.denied.items():
            if record.ok:
                problems.append(
                    f"the analyst read {column} of {probe.table.qualified}: `{_shown(record.sql)}` succeeded"
                )
            elif column_denied(column).search(record.error or ""):
                continue
            elif probe.select_all.ok or not _no_access(record, probe.table):
                problems.append(
                    f"the analyst's `{_shown(record.sql)}` on {probe.table.qualified} failed, but not with "
                    f"COLUMN_NOT_FOUND: {record.error}"
                )
    return problems


def shared_result_problems(rb: SecurityReadback) -> list[str]:
    """Past results of the analyst's own workgroup that hand the analyst a hidden column's values: a privileged
    query run there (an admin's, the pipeline's) is the analyst's to read, around Lake Formation.

    The values decide, wherever they sit (``leaks``); a column named like a hidden one fails too when it has
    rows (values the privileged read did not see); an empty one (``LIMIT 0``, a tool reading the schema) shows
    nothing."""
    wanted = {h.lower() for h in rb.hidden}
    problems: list[str] = []
    for result in rb.shared_results:
        if result.denied:
            continue
        named = [c for c in result.columns if c.lower() in wanted] if result.rows else []
        if named or result.leaks:
            what = (
                ", ".join(named) if named else f"values of {'/'.join(rb.hidden)} in " + ", ".join(sorted(result.leaks))
            )
            problems.append(
                f"query {result.query_id} of the analyst's own workgroup (`{result.query[:120]}`) has a result holding "
                f"{what}, and the analyst's GetQueryResults hands it over: its workgroup's history and results "
                "location are the analyst's to read, whoever ran the query"
            )
    return problems


def copied_value_problems(rb: SecurityReadback) -> list[str]:
    """The hidden values under other names: in another column of a hidden table, or in any other table."""
    if rb.hidden_values_error:
        return [
            f"the privileged principal could not read the values of {', '.join(rb.hidden)} "
            f"({rb.hidden_values_error}), so copies under other names cannot be searched for"
        ]
    names = {h.lower() for h in rb.hidden}
    problems: list[str] = []
    searched = [(p.table, p.select_all, p.leaks, p.hashed) for p in rb.probes]
    searched += [(v.table, v.select_all, v.leaks, v.hashed) for v in rb.value_probes]
    for table, record, leaks, hashed in searched:
        copies = {c: n for c, n in leaks.items() if c.lower() not in names}  # named ones: select_all_problems
        if copies:
            shown = ", ".join(
                f"{c} ({n} of {record.row_count} rows"
                + (
                    f", as unsalted {'/'.join(hashed[c])} digests: hashing every possible value reverses them"
                    if c in hashed
                    else ""
                )
                + ")"
                for c, n in sorted(copies.items())
            )
            problems.append(
                f"the analyst's SELECT * on {table.qualified} returns values of {'/'.join(rb.hidden)} of "
                f"{rb.gold_users} in column(s) {shown}: the hidden column copied under another name"
            )
    for probe in rb.value_probes:
        if (probe.select_all.row_count or 0) > MAX_SEARCH_ROWS:
            problems.append(
                f"{probe.table.qualified} has more than {MAX_SEARCH_ROWS:,} rows: the analyst's SELECT * was searched "
                f"for {'/'.join(rb.hidden)} values in the first {MAX_SEARCH_ROWS:,} only, a copy past them cannot be "
                "ruled out"
            )
        if probe.own and not probe.select_all.ok and not _no_access(probe.select_all, probe.table):
            problems.append(
                f"the analyst's SELECT * on {probe.table.qualified} (searched for {'/'.join(rb.hidden)} values) "
                f"failed, but not as access denied, so it proves nothing: {probe.select_all.error}"
            )
    return problems


def privileged_problems(rb: SecurityReadback) -> list[str]:
    """A privileged principal must find every hidden column holding values in Gold users."""
    gold = next((p for p in rb.probes if p.table.qualified.lower() == rb.gold_users.lower()), None)
    if gold is None:
        return [
            f"{rb.gold_users} has no {', '.join(rb.hidden)} column in the Glue catalog: the analyst's denial "
            "cannot be told from a missing column"
        ]
    if not gold.privileged.ok:
        return [
            f"the privileged principal could not read {', '.join(gold.hidden)} of {rb.gold_users}: "
            f"{gold.privileged.error}"
        ]
    row = gold.privileged.rows[0] if gold.privileged.rows else []
    values = dict(zip(gold.privileged.columns, row, strict=False))
    missing = [c for c in rb.hidden if c.lower() not in {h.lower() for h in gold.hidden}]
    return [
        f"{rb.gold_users} has no {c} column in the Glue catalog: the analyst's denial proves nothing" for c in missing
    ] + [
        f"{column} holds no values in {rb.gold_users} for the privileged principal: the analyst's denial proves nothing"
        for column in gold.hidden
        if not values.get(f"{column.lower()}_values")
    ]


def iam_problems(rb: SecurityReadback) -> tuple[list[str], list[dict[str, Any]]]:
    """The analyst reading lake objects from S3 (by its policies, or by S3's answer): Lake Formation never sees it."""
    problems, decisions = object_read_problems(rb.identity_policies, rb.boundary, rb.lake_objects)
    problems += [
        f"the analyst's HeadObject on {a['object']} (a file of {a['table']}) succeeded: "
        "S3 serves the lake's files to the analyst directly"
        for a in rb.object_probes
        if a.get("status") == "allowed"
    ]
    return problems, decisions


def bucket_problems(rb: SecurityReadback) -> tuple[list[str], list[dict[str, Any]]]:
    """A lake bucket's policy letting the analyst read objects (Lake Formation never sees the read)."""
    if not rb.account_id:
        return [], []
    who = Principal(rb.analyst_role_arn, rb.account_id)
    return bucket_policy_problems(rb.identity_policies, rb.boundary, who, rb.bucket_policies, rb.lake_objects)


def route_problems(rb: SecurityReadback) -> list[str]:
    """Who else S3 lets read the lake's objects: other accounts in bucket policies, ACLs, access points."""
    if not rb.account_id:
        return []
    who = Principal(rb.analyst_role_arn, rb.account_id)
    # RestrictPublicBuckets (the account's or the bucket's) keeps a public policy to the account.
    restricted = (
        list(rb.bucket_policies)
        if (rb.routes.account_public_access_block or {}).get("RestrictPublicBuckets")
        else [b for b, a in rb.routes.acls.items() if (a.public_access_block or {}).get("RestrictPublicBuckets")]
    )
    return (
        outsider_problems(rb.bucket_policies, rb.lake_objects, rb.account_id, restricted=restricted)
        + acl_problems(rb.routes)
        + access_point_problems(rb.routes, rb.bucket_policies, rb.identity_policies, rb.boundary, who, rb.lake_objects)
        + replication_problems(rb.routes, rb.lake_objects, rb.lake_buckets, rb.account_id)
    )


def cdn_problems(rb: SecurityReadback, grants: list[CloudFrontGrant]) -> tuple[list[str], list[str]]:
    """(problems, unknowns): this account's CloudFront distributions the lake bucket policies' ``grants`` let read
    the lake, serving it without signed URLs; and those that could not be read (the check cannot pass without them)."""
    if not rb.account_id:
        return [], []
    return cloudfront_problems(grants, rb.cloudfront, rb.account_id)


def _analyst(rb: SecurityReadback) -> Actor:
    return Actor(rb.analyst_role_arn, rb.identity_policies, rb.boundary)


def role_path_problems(rb: SecurityReadback) -> tuple[list[str], dict[str, Any]]:
    """Roles the analyst can act as that read the lake or ssn, and ways it can raise its own permissions.

    The evidence: every role examined (its trust policy's principals), each role reached and by
    which path, and what each opens.
    """
    evidence: dict[str, Any] = {
        "roles_examined": {arn: sorted(_trusted(r)) for arn, r in sorted(rb.roles.items())},
        "reached": [],
        "escalations": [],
    }
    if not rb.account_id:
        return [], evidence
    analyst = _analyst(rb)
    paths = reachable(analyst, rb.account_id, rb.roles)
    problems: list[str] = []
    for arn, path in sorted(paths.items()):
        role = rb.roles[arn]
        name = f"role {arn}"
        who = Principal(arn, rb.account_id)
        opens: list[str] = []
        if role.identity is not None:
            opens += object_read_problems(role.identity, role.boundary, rb.lake_objects, name)[0]
            opens += bucket_policy_problems(
                role.identity, role.boundary, who, rb.bucket_policies, rb.lake_objects, name
            )[0]
            opens += access_point_problems(
                rb.routes, rb.bucket_policies, role.identity, role.boundary, who, rb.lake_objects, name, False
            )
        opens += role_grant_problems(rb, arn, name)
        route = path_text(rb.analyst_role_arn, path)
        evidence["reached"].append({"role": arn, "path": route, "opens": opens})
        problems += [f"the analyst role can act as role {role.name} ({route}), and {p}" for p in opens]
    for e in escalations(analyst, rb.roles, paths, rb.users):
        actor = (
            "the analyst role"
            if e.actor == analyst.arn
            else f"role {e.actor}, which the analyst can act as ({path_text(rb.analyst_role_arn, paths[e.actor])}),"
        )
        what = e.gains or (
            "it can make itself a data lake admin, and admins read every column"
            if e.action == LF_ADMIN
            else "it can give a role the analyst is or becomes any permission, S3 reads of the lake and "
            "Lake Formation admin included"
        )
        found = f"{actor} may call {e.action} on {e.resource} ({'; '.join(e.via)}): {what}"
        evidence["escalations"].append(found)
        problems.append(found)
    return problems, evidence


def _trusted(role: RoleInfo) -> set[str]:
    """The principals a role's trust policy names (evidence: who could become it)."""
    names: set[str] = set()
    for s in role.trust.get("Statement") or []:
        if not isinstance(s, Mapping):
            continue
        for key in ("Principal", "NotPrincipal"):
            value = s.get(key)
            if isinstance(value, Mapping):
                names |= {f"{key} {k}:{v}" for k, vs in value.items() for v in ([vs] if isinstance(vs, str) else vs)}
            elif value is not None:
                names.add(f"{key} {value}")
    return names


def grant_route_problems(rb: SecurityReadback) -> list[str]:
    """S3 Access Grants handing the analyst, a role it can act as, or another account the lake's objects."""
    if not rb.account_id:
        return []
    named = {rb.analyst_role_arn: "the analyst role"}
    for arn, path in reachable(_analyst(rb), rb.account_id, rb.roles).items():
        named[arn] = f"role {arn}, which the analyst can act as ({path_text(rb.analyst_role_arn, path)}),"
    return access_grant_problems(rb.routes.access_grants, named, rb.lake_objects, rb.account_id)


def _queries(rb: SecurityReadback) -> list[dict[str, Any]]:
    analyst = rb.analyst_caller_arn or rb.analyst_role_arn
    records: list[dict[str, Any]] = []
    for probe in rb.probes:
        table = probe.table.qualified
        records.append({**probe.privileged.to_dict(), "principal": rb.privileged_arn, "table": table})
        records.append({**probe.select_all.to_dict(), "principal": analyst, "table": table})
        records += [{**r.to_dict(), "principal": analyst, "table": table} for r in probe.denied.values()]
    for value_probe in rb.value_probes:
        records.append({**value_probe.select_all.to_dict(), "principal": analyst, "table": value_probe.table.qualified})
    return records


def _naming_copy(problem: str, copies: Sequence[HistoryCopy]) -> str:
    """``problem`` naming a bucket a copy's files lie in, with the query that made the copy (the catalog lists it
    without the hidden column: the reader must learn why that bucket counts)."""
    for copy in copies:
        for bucket in {w[0] for w in map(split_s3, copy.storage) if w is not None}:
            if re.search(rf"(?:bucket |s3://|:::){re.escape(bucket)}(?![\w.-])", problem):
                return f"{problem}; bucket {bucket} holds {copy.describe()}, a copy of a hidden column"
    return problem


def judge_security(rb: SecurityReadback) -> Outcome:
    """Pass when no table shows the hidden columns to the analyst, Gold users holds them, and nothing opens them."""
    iam, decisions = iam_problems(rb)
    policies, policy_decisions = bucket_problems(rb)
    role_paths, role_evidence = role_path_problems(rb)
    cdn_grants = cloudfront_grants(rb.bucket_policies, rb.lake_objects, rb.account_id or "", PROBE_KEY)
    cdn, cdn_unknown = cdn_problems(rb, cdn_grants)
    by_kind = {
        "select_all": select_all_problems(rb),
        "denied": denied_problems(rb),
        "privileged": privileged_problems(rb),
        "copied_values": copied_value_problems(rb),
        "analyst_workgroup_results": shared_result_problems(rb),
        "grants": grant_problems(rb),
        "bucket_policies": policies,  # before S3's own answer: the reason names the statement
        "other_routes": route_problems(rb) + grant_route_problems(rb) + cdn,
        "iam": iam,
        "role_paths": role_paths,
    }
    for kind in ("bucket_policies", "iam", "other_routes"):
        by_kind[kind] = [_naming_copy(p, rb.copies) for p in by_kind[kind]]
    problems = [p for found in by_kind.values() for p in found]
    outcome_of = {p.table.qualified: p for p in rb.probes}
    read = sorted(
        [
            q
            for q, p in outcome_of.items()
            if any(r.ok for r in p.denied.values())
            or (p.select_all.ok and any(c.lower() in {h.lower() for h in p.hidden} for c in p.select_all.columns))
        ]
        + [v.table.qualified for v in rb.value_probes if _unlisted_hidden(v, rb.hidden)]
    )
    no_access = sorted(q for q, p in outcome_of.items() if _no_access(p.select_all, p.table) and q not in read)
    measured = {
        "tables_with_hidden_columns": sorted(outcome_of),
        "analyst_reads_hidden": read,
        "analyst_column_hidden": sorted(
            q
            for q, p in outcome_of.items()
            if p.select_all.ok and all(column_denied(c).search(r.error or "") for c, r in p.denied.items())
        ),
        "analyst_no_access": no_access,
        "views_refused_for_invoker_rights": invoker_refused(rb),
        "grant_problems": len(by_kind["grants"]),
        "iam_problems": len(iam),
        "bucket_policy_problems": len(policies),
        "other_route_problems": len(by_kind["other_routes"]),
        "roles_examined": len(rb.roles),
        "roles_the_analyst_can_act_as": sorted(r["role"] for r in role_evidence["reached"]),
        "role_path_problems": len(role_paths),
        "hidden_values_searched_for": rb.hidden_value_count,
        "tables_searched_for_hidden_values": len(rb.probes) + len(rb.value_probes),
        "copied_value_problems": len(by_kind["copied_values"]),
        "analyst_workgroup_results_examined": len(rb.shared_results),
    }
    details: dict[str, Any] = {
        "hidden_columns": rb.hidden,
        "gold_users": rb.gold_users,
        "databases": rb.databases,
        "tables": [
            {
                "table": p.table.qualified,
                "hidden": p.hidden,
                "location": p.table.location,
                "metadata_location": p.table.metadata_location,
                "data_locations": p.table.data_locations,
            }
            for p in rb.probes
        ],
        "principals": {
            "analyst_role": rb.analyst_role_arn,
            "analyst_session": rb.analyst_caller_arn,
            "privileged": rb.privileged_arn,
        },
        "queries": _queries(rb),
        "data_lake_settings": {
            k: rb.settings.get(k)
            for k in (
                "DataLakeAdmins",
                "ReadOnlyAdmins",
                "CreateDatabaseDefaultPermissions",
                "CreateTableDefaultPermissions",
                "AllowFullTableExternalDataAccess",
                "AllowExternalDataFiltering",
                "ExternalDataFilteringAllowList",
            )
        },
        "grants": rb.grants,
        "database_table_defaults": rb.table_defaults,
        "data_cells_filters": rb.filters,
        "lf_tags": rb.lf_tags,
        "lf_tag_expressions": rb.tag_expressions,
        "iam": {
            "policies": [{"source": p.source, "document": p.document} for p in rb.identity_policies],
            "permissions_boundary": None
            if rb.boundary is None
            else {"source": rb.boundary.source, "document": rb.boundary.document},
            "lake_objects_tried": rb.lake_objects,
            "witness_keys": rb.witness_keys,
            "statements_allowing_reads": decisions,
            "analyst_head_object": rb.object_probes,
        },
        "analyst_workgroup_results": [r.to_dict() for r in rb.shared_results],
        "copies_in_query_history": [c.to_dict() for c in rb.copies],
        "lake_buckets": rb.lake_buckets,
        "bucket_policies": rb.bucket_policies,
        "bucket_policy_statements_allowing_reads": policy_decisions,
        "s3_routes": rb.routes.to_dict(),
        "cloudfront": {
            "grants": [g.to_dict() for g in cdn_grants],
            **rb.cloudfront.to_dict(),
        },
        "role_paths": role_evidence,
        "problems": by_kind,
    }
    if rb.notes:
        details["notes"] = rb.notes
    errors = rb.read_errors + cdn_unknown
    if errors:
        details["read_errors"] = errors
    threshold = (
        f"{', '.join(rb.hidden)} hidden from the analyst in every catalog table, readable by a privileged principal "
        f"in {rb.gold_users}, none of its values in any other column the analyst reads, no Lake Formation grant, "
        "IAM policy or lake bucket policy opens it, nor to a role the "
        "analyst can act as, the analyst cannot raise its own permissions, and S3 serves the lake's objects to no "
        "one outside the account (bucket policy, ACL, access point or S3 Access Grant), nor a CloudFront distribution "
        "of the account to unsigned requests"
    )
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Outcome.judged(False, measured, threshold, f"{problems[0]}{more}", details)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return Outcome.error(f"{errors[0]}{more}", threshold, details, measured)
    return Outcome.judged(True, measured, threshold, None, details)


def check_security(target: Target, outputs: Mapping[str, Any], hidden: Sequence[str] = PLAN_HIDDEN) -> Outcome:
    """Exit check 6 on a deployed stack; ``hidden`` is the plan's column(s), never the stack's."""
    try:
        rb = read_security(target, outputs, hidden)
    except SecurityReadError as err:
        return Outcome.error(str(err))
    except (ClientError, BotoCoreError) as err:
        return Outcome.error(f"could not read what exit check 6 needs: {err}")
    outcome = judge_security(rb)
    # Evidence for reviewers: where the pipeline's SQL carries each hidden column (issue 17).
    checked = [t.qualified for t in rb.tables()]
    outcome.details["column_lineage"] = [lineage_evidence(outputs, target.region, c, checked) for c in rb.hidden]
    return outcome
