"""Exit check 6's reading: the catalog, the analyst's and the privileged principal's queries, Lake Formation,
IAM, S3 and the query histories, into one ``SecurityReadback`` (``security`` describes the check)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.athena import QueryRecord, connect, run, scan
from lakehouse.awssession import new_session
from lakehouse.checks.cloudfront_routes import cloudfront_grants, read_cloudfront
from lakehouse.checks.hidden_values import HiddenValues, LeakTally, masked
from lakehouse.checks.history_copies import HistoryCopy, catalog_schema, history_copies, read_statements
from lakehouse.checks.history_readers import ShownExecution, read_shown, result_readers, work_group_arn
from lakehouse.checks.iam_access import Policy, bucket_policy_statements, object_arn, read_patterns, witnesses
from lakehouse.checks.iceberg_files import MAX_AVRO_FILES, S3ReadIO, file_folders
from lakehouse.checks.key_inventories import deliveries, read_inventories, report_locations
from lakehouse.checks.key_lambdas import read_object_lambda_points, read_point_functions
from lakehouse.checks.key_lenses import lens_deliveries, read_lenses
from lakehouse.checks.key_names import read_key_names
from lakehouse.checks.query_results import (
    ExecutionLocations,
    HiddenReads,
    WorkGroupHistory,
    execution_locations,
    read_history,
    shared_results,
)
from lakehouse.checks.region_copies import RegionCopies, region_copies
from lakehouse.checks.role_paths import (
    RoleInfo,
    read_functions,
    read_reachable,
    read_reached_users,
    read_role_policies,
    read_roles,
    read_users,
    users_reached,
)
from lakehouse.checks.s3_routes import next_token_pages, read_routes, s3control
from lakehouse.checks.saved_text import SavedTexts, read_glue_texts, read_saved_queries
from lakehouse.checks.security_grants import database_location_problems, granted_reads, held_permissions, may_cover
from lakehouse.checks.security_model import (
    CREATES,
    MAX_SEARCH_ROWS,
    PLAN_HIDDEN,
    PROBE_KEY,
    PROBE_MARK,
    READS,
    VIEW_TYPE,
    CatalogTable,
    SecurityReadback,
    SecurityReadError,
    TableProbe,
    ValueProbe,
    analyst_actor,
    location_bucket,
    metadata_folder,
    split_s3,
)
from lakehouse.table_places import DATA_PATH_PROPERTIES
from lakehouse.target import Target

SESSION_NAME = "lakehouse-exit6"

#: Terraform outputs the check needs; they only *name* things (roles, workgroups, the Gold database).
OUTPUT_KEYS = ("analyst_role_arn", "analyst_workgroup_name", "athena_workgroup_name")

#: Rows of the analyst's ``SELECT *`` kept in the evidence.
KEEP_ROWS = 5

#: Distinct hidden values the privileged principal reads to search for (Gold users' ssn: one per user).
MAX_VALUES = 100_000

#: Tables without a hidden column searched for its values; past this the check cannot vouch for the rest.
MAX_VALUE_TABLES = 300

#: Object keys listed per table location to try the analyst's IAM policies on.
MAX_KEYS = 1000

T = TypeVar("T")


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


def _quoted(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) else '"' + name.replace('"', '""') + '"'


def _sql_name(table: CatalogTable) -> str:
    return f"{_quoted(table.database)}.{_quoted(table.name)}"


def _not_optional(column: Mapping[str, Any]) -> bool:
    """Whether Glue marks a column an Iceberg required field (``iceberg.field.optional: false``): never NULL."""
    return str((column.get("Parameters") or {}).get("iceberg.field.optional", "")).lower() == "false"


def read_catalog(target: Target, region: str | None = None) -> tuple[dict[str, str | None], list[CatalogTable]]:
    """Every database (name -> its location) and table of the Glue catalog (paged; ``region``'s when given), with
    every column and data location."""
    glue = target.client("glue", region=region) if region else target.client("glue")
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
                            required={c["Name"].lower() for c in described if _not_optional(c)},
                        )
                    )
    return databases, tables


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
    # Per table with related grants (column and data cells filter grants): those holding a hidden column, and those
    # listing none that may lie over its files (full table access there is judged on all of a principal's grants).
    for table in [*tables, *(t for t in rb.unlisted_tables() if may_cover(rb, t))]:
        resource = {"Table": {"DatabaseName": table.database, "Name": table.name}}
        on = listed(Resource=resource, IncludeRelated="TRUE")
        keep(_attempt(errors, f"the Lake Formation grants on {table.qualified}", on, []))
    rb.grants = list(seen.values())
    rb.filters = _attempt(
        errors, "the data cells filters", lambda: next_token_pages(lf.list_data_cells_filter, "DataCellsFilters"), []
    )

    # Anyone's: the analyst's, a role's it can act as and another account's are all judged, and any grant reading
    # an Iceberg table has its metadata followed (``granted_reads``).
    tag_grants = [
        g for g in rb.grants if "LFTagPolicy" in (g.get("Resource") or {}) and held_permissions(g) & (READS | CREATES)
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
    # The tables holding a hidden column, and those listing none that may lie over its files (``covering_problems``:
    # a tag grant reading one in full reads the hidden files).
    for table in [*tables, *(t for t in rb.unlisted_tables() if may_cover(rb, t))]:
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


#: DescribeRegions' OptInStatus of a region the account may use (an opt-in region not opted in answers no call).
ENABLED_REGION = ("opt-in-not-required", "opted-in")


def other_regions(target: Target) -> list[str]:
    """The account's enabled regions but the stack's (EC2 DescribeRegions): IAM on ``workgroup/*`` of any region
    hands the analyst a workgroup's history there, whose text and results carry the values they carry wherever
    the query ran (Athena reads another region's S3)."""
    regions = target.client("ec2").describe_regions(AllRegions=False).get("Regions") or []
    session = target.session()  # an emulator lists every partition's regions: only the stack's holds its IAM
    partition = session.get_partition_for_region(target.region)
    return sorted(
        str(r["RegionName"])
        for r in regions
        if r.get("OptInStatus", ENABLED_REGION[0]) in ENABLED_REGION
        and r["RegionName"] != target.region
        and session.get_partition_for_region(str(r["RegionName"])) == partition
    )


def read_other_histories(target: Target, regions: Sequence[str]) -> list[WorkGroupHistory]:
    """Every workgroup's query history in each of ``regions``, for the readers of what the analyst (or a role it
    can act as) is handed; each history carries its region (``WorkGroupHistory.label``)."""
    found: list[WorkGroupHistory] = []
    for region in regions:
        athena = target.client("athena", region=region)
        for summary in next_token_pages(athena.list_work_groups, "WorkGroups"):
            found.append(read_history(athena, str(summary["Name"]), region=region))
    return found


def by_region(histories: Iterable[WorkGroupHistory]) -> dict[str, list[WorkGroupHistory]]:
    """Histories of other regions grouped by region (the stack's, ``""``, left out), in the order listed."""
    found: dict[str, list[WorkGroupHistory]] = {}
    for history in histories:
        if history.region:
            found.setdefault(history.region, []).append(history)
    return found


def read_region_copies(
    target: Target, elsewhere: Sequence[WorkGroupHistory], hidden: Sequence[str], stored: Sequence[str]
) -> list[RegionCopies]:
    """What each other region's queries copied of the stack's hidden files (``region_copies``), its Glue catalog read
    only where a query ran (an unused region costs no call); what could not be read is an error of its own."""
    found: list[RegionCopies] = []
    for region, group in by_region(elsewhere).items():
        if not any(h.executions or h.unread or h.cut for h in group):
            continue
        mine = RegionCopies(region)
        nothing: tuple[dict[str, str | None], list[CatalogTable]] = ({}, [])
        what = f"the Glue catalog of region {region}, where Athena queries ran (GetDatabases, GetTables)"
        _, catalog = _attempt(mine.errors, what, partial(read_catalog, target, region), nothing)
        copies_of = partial(region_copies, region, group, catalog, hidden, stored)
        done = _attempt(mine.errors, f"the copies queries of region {region} made of a hidden column", copies_of, mine)
        if done is not mine:
            done.errors = mine.errors + done.errors
        found.append(done)
    return found


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
    copy_of = {id(t): next(c for c in copies if c.qualified == t.qualified.lower()) for t in copied}
    stack_copies = list(copies)
    no_regions: list[WorkGroupHistory] = []
    elsewhere = _attempt(
        errors,
        "the Athena query histories of the account's other regions (DescribeRegions, ListWorkGroups, "
        "ListQueryExecutions, BatchGetQueryExecution)",
        lambda: read_other_histories(target, other_regions(target)),
        no_regions,
    )
    regions = read_region_copies(target, elsewhere, hidden, [u for t in [*tables, *copied] for u in t.storage()])
    for region in regions:
        errors += region.errors
        copy_notes += region.notes
        kept = [(c, t) for c, t, known in region.copies if t is not None and (known or _has_files(target, t))]
        copies += [c for c, _, _ in region.copies]
        read_data_paths(target, [t for _, t in kept], errors)
        copy_of.update({id(t): c for c, t in kept})
        copied += [t for _, t in kept]
    for table in copied:
        copy_of[id(table)].storage = table.storage()
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
    for history in [*histories, *elsewhere]:  # the analyst's own first; none when unread (an error then)
        own = history.work_group == own_group and not history.region
        read_shared_results(target, history, session, rb, values, own=own)
    if not isinstance(values, str):  # else no value to search for: copied_value_problems says why
        read_saved_texts(target, session, rb, values, [h.work_group for h in histories] or [own_group], elsewhere)
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
        rb.reached = read_reachable(target, analyst_actor(rb), rb.account_id, rb.roles, errors)
        minted = users_reached(analyst_actor(rb), rb.roles, rb.reached, rb.users)
        rb.user_infos = read_reached_users(target, minted, errors)
        if not isinstance(values, str):  # without the values nothing can be searched (the check errs already)
            read_shown_executions(target, [*histories, *elsewhere], rb, values, {**rb.reached, **minted})
    holding_dbs = {t.database for t in tables}
    # The lake's buckets as the services know them (never the stack's outputs).
    found: dict[str, set[str]] = {}
    for table in tables:
        for uri in table.storage():
            if (where := split_s3(uri)) is not None:
                found.setdefault(where[0], set()).add(f"location of {table.qualified}")
    for table in copied:
        for uri in table.storage():
            if (where := split_s3(uri)) is not None:
                copy = copy_of[id(table)]
                found.setdefault(where[0], set()).add(
                    f"location of {copy.label}, a copy of a hidden column: {copy.describe()}"
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
        lambda: past_results(histories, own_group, results.values(), hidden_reads(catalog, hidden, stack_copies)),
        ExecutionLocations(),
    )
    for ran in [executions, *(r.results for r in regions)]:  # other regions': queries naming a root or copy there
        errors += ran.errors
        rb.notes += ran.notes
        results.update({how: folder for folder, how in ran.folders.items()})
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
        if not isinstance(values, str):  # without the values nothing can be searched (the check errs already)
            rb.listed_keys[bucket] = read_key_names(s3, bucket, values)
    if not isinstance(values, str):
        read_inventory_reports(target, rb, values, errors)
    if rb.account_id:
        partition = rb.analyst_role_arn.split(":")[1] if rb.analyst_role_arn.count(":") >= 5 else "aws"
        rb.routes = read_routes(target, rb.account_id, partition, rb.lake_objects, PROBE_KEY)
        errors += rb.routes.errors
        read_object_lambdas(target, rb, errors)
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


def read_object_lambdas(target: Target, rb: SecurityReadback, errors: list[str]) -> None:
    """Object Lambda Access Points with a listing or object transformation and their functions' roles
    (``key_lambdas``). Always read: the lake's files hold the hidden columns, so a GetObject function may hand them
    out whatever the key names show (a listing one matters only where they show values: its judge asks that)."""
    if not rb.account_id:
        return
    account = rb.account_id
    try:
        rb.object_lambdas = read_object_lambda_points(s3control(target), account)
        read_point_functions(target.client("lambda"), rb.object_lambdas, account, partial(read_role_policies, target))
    except (ClientError, BotoCoreError, ValueError) as err:
        errors.append(
            "could not read the account's Object Lambda Access Points (S3 Control ListAccessPointsForObjectLambda, "
            f"GetAccessPointConfigurationForObjectLambda, GetAccessPointPolicyForObjectLambda): {err}"
        )


def read_inventory_reports(target: Target, rb: SecurityReadback, values: HiddenValues, errors: list[str]) -> None:
    """S3 Inventory configurations of the lake buckets whose keys show values (``key_inventories``), and the
    account's S3 Storage Lens exports naming their folders (``key_lenses``): the folders their reports land in hold
    those key names, so they join the lake (before its routes and objects are read)."""
    s3 = target.client("s3")
    for bucket, keys in sorted(rb.listed_keys.items()):
        if keys.leaky:
            what = f"the S3 Inventory configurations of {bucket} (ListBucketInventoryConfigurations)"
            none: list[dict[str, Any]] = []
            configs = _attempt(errors, what, partial(read_inventories, s3, bucket), none)
            rb.inventories[bucket] = deliveries(configs, keys)
    if any(k.leaky for k in rb.listed_keys.values()) and rb.account_id:
        what = (
            "the account's S3 Storage Lens configurations (ListStorageLensConfigurations, GetStorageLensConfiguration)"
        )
        account, nothing = rb.account_id, list[dict[str, Any]]()
        read = partial(read_lenses, target, account)
        lenses = _attempt(errors, what, read, nothing)
        for delivery in lens_deliveries(lenses, rb.listed_keys, account):
            rb.inventories.setdefault(delivery.source, []).append(delivery)
    locations = report_locations(rb.inventories, rb.account_id or "")
    for how, uri in locations.items():
        where = location_bucket(uri)
        if where is None:
            continue
        rb.lake_buckets[where[0]] = sorted({*rb.lake_buckets.get(where[0], []), f"{how} ({uri})"})
        if where[0] not in rb.listed_keys:
            rb.bucket_policies[where[0]] = _policy_or_none(errors, s3, where[0])
            rb.listed_keys[where[0]] = read_key_names(s3, where[0], values)
    rb.lake_objects = add_locations(target, rb.lake_objects, locations, rb.notes)


def read_shared_results(
    target: Target,
    history: WorkGroupHistory,
    session: boto3.Session,
    rb: SecurityReadback,
    values: HiddenValues | str,
    own: bool = True,
) -> None:
    """A workgroup's history (``own``: the analyst's), its executions and results read back as the analyst: IAM may
    let the analyst read another workgroup's too."""
    analyst_athena = session.client("athena", region_name=history.region or None, endpoint_url=target.endpoint_url)
    searched = HiddenValues(()) if isinstance(values, str) else values
    try:
        found = shared_results(history, analyst_athena, searched, own_mark=PROBE_MARK.strip(), own=own)
    except (ClientError, BotoCoreError) as err:
        whose = "the analyst's workgroup" if own else "workgroup"
        rb.read_errors.append(f"could not read, as the analyst, the query history of {whose} {history.label}: {err}")
        return
    rb.shared_results += found.results
    rb.read_errors += found.errors
    rb.notes += found.notes


def read_shown_executions(
    target: Target,
    histories: Sequence[WorkGroupHistory],
    rb: SecurityReadback,
    values: HiddenValues,
    paths: Mapping[str, Any],
) -> None:
    """Every workgroup's executions whose text, error or result shows a hidden value (``history_readers``): results
    are searched only in workgroups a role or user the analyst can act as (``paths``) may fetch them from (its IAM
    on their ARNs)."""
    partition = rb.analyst_role_arn.split(":")[1] if rb.analyst_role_arn.count(":") >= 5 else "aws"
    account = rb.account_id or ""
    arns = {h.label: work_group_arn(h.work_group, h.region or target.region, account, partition) for h in histories}
    fetch = result_readers({**rb.roles, **rb.user_infos}, paths, arns)
    nothing: tuple[list[ShownExecution], list[str]] = ([], [])
    found, failed = _attempt(
        rb.read_errors,
        "the results of the workgroups roles or users the analyst can act as may fetch (GetQueryResults)",
        lambda: read_shown(
            target.client("athena"),
            histories,
            values,
            arns,
            fetch,
            rb.shared_results,
            PROBE_MARK.strip(),
            athena_in=lambda region: target.client("athena", region=region),
        ),
        nothing,
    )
    rb.shown_executions = found
    rb.read_errors += failed


def read_saved_texts(
    target: Target,
    session: boto3.Session,
    rb: SecurityReadback,
    values: HiddenValues,
    work_groups: Sequence[str],
    elsewhere: Sequence[WorkGroupHistory] = (),
) -> None:
    """Named queries and prepared statements of every workgroup, and the Glue catalog's metadata, searched for the
    hidden values and confirmed with the analyst's own calls (``saved_text``); the workgroups of the account's other
    regions too (``elsewhere``, their histories already listed): IAM on ``workgroup/*`` of any region hands the
    analyst a lookup saved in another region's ``primary``."""
    found = SavedTexts()
    readers: list[tuple[str, Callable[[], SavedTexts]]] = [
        (
            "the named queries and prepared statements of the workgroups",
            lambda: read_saved_queries(
                target.client("athena"),
                session.client("athena", endpoint_url=target.endpoint_url),
                values,
                work_groups,
            ),
        ),
        (
            "the Glue catalog's databases, tables, table versions and partitions",
            lambda: read_glue_texts(
                target.client("glue"),
                session.client("glue", endpoint_url=target.endpoint_url),
                values,
                analyst_athena=session.client("athena", endpoint_url=target.endpoint_url),
            ),
        ),
    ]
    for region, groups in by_region(elsewhere).items():
        readers.append(
            (
                f"the named queries and prepared statements of the workgroups of region {region}",
                partial(
                    read_saved_queries,
                    target.client("athena", region=region),
                    session.client("athena", region_name=region, endpoint_url=target.endpoint_url),
                    values,
                    [h.work_group for h in groups],
                    region=region,
                ),
            )
        )
    for what, read in readers:
        found.extend(_attempt(rb.read_errors, what, read, SavedTexts()))
    rb.saved_texts = found
    rb.read_errors += found.errors


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
