"""Exit check 6's readback: what was read of the catalog, the probes and the grants, and the constants both the
reading and the judging use (``security`` describes the check)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lakehouse.athena import QueryRecord
from lakehouse.checks.cloudfront_routes import CloudFrontReadback
from lakehouse.checks.history_copies import HistoryCopy
from lakehouse.checks.history_readers import ShownExecution
from lakehouse.checks.iam_access import Policy
from lakehouse.checks.key_inventories import Delivery
from lakehouse.checks.key_lambdas import ObjectLambdaPoint
from lakehouse.checks.key_names import BucketKeys
from lakehouse.checks.query_results import SharedResult
from lakehouse.checks.role_paths import Actor, Edge, RoleInfo, UserInfo, reachable, users_reached
from lakehouse.checks.s3_routes import RoutesReadback
from lakehouse.checks.saved_text import SavedTexts

IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"

#: The plan's column (exit check 6: "Lake Formation column mask hides `ssn`").
PLAN_HIDDEN = ("ssn",)

#: The table the plan's column mask is about: a privileged principal must find ssn values there.
GOLD_USERS = "users"

#: Rows of every other table the analyst's ``SELECT *`` searches for the hidden values, streamed (a copy
#: may sit anywhere in a table: after a million rows the check says it cannot vouch for the rest).
MAX_SEARCH_ROWS = 1_000_000

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
    #: Columns (lower case) the schema says are NOT NULL: Glue marks an Iceberg table's required fields
    #: ``iceberg.field.optional: false`` in the column's Parameters (apache/iceberg#3352). A row filter ``x = x``
    #: drops the rows where ``x`` is NULL, so it admits every row only for these (``row_filter.every_row``).
    required: set[str] = field(default_factory=set)

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
    #: Each lake bucket's keys whose names show a hidden value (``key_names``), for whoever may list it.
    listed_keys: dict[str, BucketKeys] = field(default_factory=dict)
    #: Each lake bucket's S3 Inventory configurations listing such keys (``key_inventories``), and the S3 Storage
    #: Lens exports naming such folders (``key_lenses``): where they go.
    inventories: dict[str, list[Delivery]] = field(default_factory=dict)
    #: Object Lambda Access Points with a listing or object transformation, and the roles their functions run as
    #: (``key_lambdas``).
    object_lambdas: list[ObjectLambdaPoint] = field(default_factory=list)
    #: Access points, ACLs and Block Public Access of the lake buckets (``s3_routes``).
    routes: RoutesReadback = field(default_factory=RoutesReadback)
    #: The CloudFront distributions lake bucket policies let read (``cloudfront_routes``).
    cloudfront: CloudFrontReadback = field(default_factory=CloudFrontReadback)
    #: Every role of the account (ARN -> trust policy; permissions of those the analyst reaches).
    roles: dict[str, RoleInfo] = field(default_factory=dict)
    #: Every IAM user of the account (ARNs): whose credentials a principal on a path may mint.
    users: list[str] = field(default_factory=list)
    #: The roles the analyst can act as, with their paths (``role_paths.reachable`` over ``roles`` once their
    #: permissions are read), as the read found them; None: not read (``analyst_reach`` computes them).
    reached: dict[str, list[Edge]] | None = None
    #: The users a principal on the analyst's paths may make credentials of (``role_paths.users_reached``), with
    #: their permissions (``read_reached_users``).
    user_infos: dict[str, UserInfo] = field(default_factory=dict)
    #: Past queries of the analyst's own workgroup, and of any other whose executions the analyst's IAM lets it
    #: read, as GetQueryExecution/GetQueryResults hand them to the analyst (``query_results.shared_results``).
    shared_results: list[SharedResult] = field(default_factory=list)
    #: Past executions of every workgroup whose text, error or result shows a hidden value, as the privileged read
    #: found them (``history_readers``): a role the analyst can act as that may read them hands them over.
    shown_executions: list[ShownExecution] = field(default_factory=list)
    #: Named queries, prepared statements and Glue metadata (tables, their versions and partitions) whose text
    #: shows a hidden value, as the analyst's own calls hand them over (``saved_text``).
    saved_texts: SavedTexts = field(default_factory=SavedTexts)
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


def split_s3(uri: str) -> tuple[str, str] | None:
    if not uri.startswith(("s3://", "s3a://")):
        return None
    bucket, _, key = uri.split("://", 1)[1].partition("/")
    return bucket, key


def metadata_folder(key: str) -> str:
    """The folder of an Iceberg metadata file: its manifest lists and manifests (``*.avro``) lie beside it.

    Usually ``<location>/metadata/``, already listed with the table's location; but the table property
    ``write.metadata.path`` puts them anywhere, and each manifest's column bounds (``lower_bounds``,
    ``upper_bounds``, strings truncated to 16 characters) hold hidden values verbatim."""
    return key.rsplit("/", 1)[0] + "/" if "/" in key else ""


def location_bucket(arn_or_uri: str) -> tuple[str, str] | None:
    """(bucket, key prefix) of an S3 ARN (``arn:aws:s3:::b/p``) or URI (``s3://b/p``)."""
    if arn_or_uri.startswith("arn:") and ":s3:::" in arn_or_uri:
        bucket, _, key = arn_or_uri.split(":::", 1)[1].partition("/")
        return bucket, key
    return split_s3(arn_or_uri)


def analyst_actor(rb: SecurityReadback) -> Actor:
    return Actor(rb.analyst_role_arn, rb.identity_policies, rb.boundary)


@dataclass(frozen=True)
class Reach:
    """Whom the analyst can act as, with the path to each: roles it becomes and users whose credentials it (or a
    role on a path) may make. Pure in the readback: computed once per judgement and handed to every judge."""

    roles: dict[str, list[Edge]]
    users: dict[str, list[Edge]]


def analyst_reach(rb: SecurityReadback) -> Reach:
    """The readback's ``Reach``: the read's paths (``reached``) where it found them, else ``reachable`` over the
    roles; the users among ``user_infos`` (those whose permissions were read) a principal on a path may act as."""
    if not rb.account_id:
        return Reach({}, {})
    analyst = analyst_actor(rb)
    paths = rb.reached if rb.reached is not None else reachable(analyst, rb.account_id, rb.roles)
    return Reach(paths, users_reached(analyst, rb.roles, paths, rb.user_infos))
