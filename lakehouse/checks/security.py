"""Exit check 6: Lake Formation hides ``ssn`` from the analyst, proven by querying as the analyst.

Athena cannot tell "column excluded by Lake Formation" from "column does not exist" (both are
``COLUMN_NOT_FOUND ... cannot be resolved or requester is not authorized ...``), so the denial
alone proves nothing: a privileged principal must also find the column holding values. And a
query result can look right on a stack that is open in ways the query does not reach, so the
grants are read back through the Lake Formation API and judged too (IAMAllowedPrincipals on the
table, the analyst as a data lake admin, a second grant that includes the column).

Split like the other checks: ``read_security`` talks to the target (STS, Athena through pyathena,
Lake Formation), ``judge_security`` is a pure function over what was read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

from lakehouse.athena import QueryRecord, connect, run
from lakehouse.outcome import Outcome
from lakehouse.target import Target

IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"
SESSION_NAME = "lakehouse-exit6"
#: Terraform outputs the check needs (it judges what the APIs return, outputs only name things).
OUTPUT_KEYS = ("analyst_role_arn", "analyst_workgroup_name", "athena_workgroup_name", "gold_users_table")
DEFAULT_HIDDEN = ("ssn",)
#: Rows of the analyst's ``SELECT *`` kept in the evidence.
KEEP_ROWS = 5


def column_denied(column: str) -> re.Pattern[str]:
    """Athena's answer to a query naming a column the caller may not see (or that does not exist)."""
    return re.compile(
        rf"COLUMN_NOT_FOUND: line \d+:\d+: Column '(?:\w+\.)?{re.escape(column.lower())}' cannot be resolved "
        r"or requester is not authorized to access requested resources"
    )


class SecurityReadError(RuntimeError):
    """The stack does not say what to check (outputs missing); not a verdict on the stack."""


@dataclass
class SecurityReadback:
    """What STS, Athena and Lake Formation answered."""

    database: str
    table: str
    hidden: list[str]
    analyst_role_arn: str
    analyst_caller_arn: str | None
    privileged_arn: str
    select_all: QueryRecord
    denied: dict[str, QueryRecord]
    privileged: QueryRecord
    settings: dict[str, Any]
    grants: list[dict[str, Any]]
    filters: list[dict[str, Any]] = field(default_factory=list)
    read_errors: list[str] = field(default_factory=list)

    @property
    def qualified(self) -> str:
        return f"{self.database}.{self.table}"


# -- reading ---------------------------------------------------------------------------------------


def assume(target: Target, role_arn: str, session_name: str = SESSION_NAME) -> boto3.Session:
    """A boto3 session with the role's temporary credentials (what a person gets from assume-role)."""
    creds = target.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=target.region,
    )


def _relevant(grant: Mapping[str, Any], database: str, table: str, analyst: str) -> bool:
    """A grant on the table, on its database or ``default``, or held by the analyst."""
    if (grant.get("Principal") or {}).get("DataLakePrincipalIdentifier") == analyst:
        return True
    resource = grant.get("Resource") or {}
    return on_table(resource, database, table) or str((resource.get("Database") or {}).get("Name", "")).lower() in (
        database.lower(),
        "default",
    )


def _pages(call: Any, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a NextToken-paged Lake Formation list (boto3 has no paginator for these)."""
    items: list[dict[str, Any]] = []
    while True:
        page = call(**params)
        items += page.get(key) or []
        if not page.get("NextToken"):
            return items
        params["NextToken"] = page["NextToken"]


def read_security(target: Target, outputs: Mapping[str, Any]) -> SecurityReadback:
    """Query as the analyst and as the caller, and read the Lake Formation grants back."""
    missing = [k for k in OUTPUT_KEYS if not outputs.get(k)]
    if missing:
        raise SecurityReadError(f"the stack has no Terraform output(s) {', '.join(missing)}")
    database, table = outputs["gold_users_table"]["database"], outputs["gold_users_table"]["name"]
    hidden = [str(c) for c in outputs.get("gold_users_hidden_columns") or DEFAULT_HIDDEN]
    analyst_arn = outputs["analyst_role_arn"]
    qualified = f"{database}.{table}"

    privileged_arn = target.client("sts").get_caller_identity()["Arn"]
    counts = ", ".join(f'count("{c}") AS "{c}_values"' for c in hidden)
    with connect(target, outputs["athena_workgroup_name"], database) as conn:
        privileged, _ = run(conn, f"SELECT count(*) AS row_count, {counts} FROM {qualified}")

    session = assume(target, analyst_arn)
    sts = session.client("sts", endpoint_url=target.endpoint_url)
    analyst_caller = sts.get_caller_identity()["Arn"]
    with connect(target, outputs["analyst_workgroup_name"], database, session=session) as conn:
        select_all, _ = run(conn, f"SELECT * FROM {qualified}", keep_rows=KEEP_ROWS)
        denied = {c: run(conn, f'SELECT "{c}" FROM {qualified} LIMIT 1')[0] for c in hidden}

    lf = target.client("lakeformation")
    errors: list[str] = []
    settings = lf.get_data_lake_settings()["DataLakeSettings"]
    grants = [
        g
        for g in _pages(lf.list_permissions, "PrincipalResourcePermissions")
        if _relevant(g, database, table, analyst_arn)
    ]
    filters: list[dict[str, Any]] = []
    try:
        filters = _pages(lf.list_data_cells_filter, "DataCellsFilters", Table={"DatabaseName": database, "Name": table})
    except ClientError as err:
        errors.append(f"list_data_cells_filter: {err}")
    return SecurityReadback(
        database=database,
        table=table,
        hidden=hidden,
        analyst_role_arn=analyst_arn,
        analyst_caller_arn=analyst_caller,
        privileged_arn=privileged_arn,
        select_all=select_all,
        denied=denied,
        privileged=privileged,
        settings=settings,
        grants=grants,
        filters=filters,
        read_errors=errors,
    )


# -- judging ---------------------------------------------------------------------------------------


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


def _held(grant: Mapping[str, Any]) -> set[str]:
    return set(grant.get("Permissions") or []) | set(grant.get("PermissionsWithGrantOption") or [])


def _principal(grant: Mapping[str, Any]) -> str:
    return str((grant.get("Principal") or {}).get("DataLakePrincipalIdentifier", ""))


def opened_columns(
    resource: Mapping[str, Any], hidden: list[str], filters: list[dict[str, Any]]
) -> tuple[list[str], str]:
    """Which of the hidden columns a SELECT grant on ``resource`` opens, and how (for the reason)."""
    lowered = [c.lower() for c in hidden]
    if "Table" in resource:
        return lowered, "a table-level grant (every column)"
    if "TableWithColumns" in resource:
        spec = resource["TableWithColumns"]
        if "ColumnWildcard" in spec:
            excluded = {c.lower() for c in (spec["ColumnWildcard"] or {}).get("ExcludedColumnNames") or []}
            return [c for c in lowered if c not in excluded], "a column wildcard that does not exclude it"
        named = {c.lower() for c in spec.get("ColumnNames") or []}
        return [c for c in lowered if c in named], "a grant naming it"
    if "DataCellsFilter" in resource:
        name = resource["DataCellsFilter"].get("Name")
        found = next((f for f in filters if f.get("Name") == name), None)
        if found is None:
            return [], "a data cells filter that does not exist"
        return opened_columns({"TableWithColumns": found}, hidden, filters)[0], f"data cells filter {name}"
    return [], ""


def grant_problems(rb: SecurityReadback) -> list[str]:
    """What in Lake Formation's own answer leaves a hidden column open to the analyst."""
    problems: list[str] = []
    admins = {_principal({"Principal": p}) for p in rb.settings.get("DataLakeAdmins") or []}
    read_only = {_principal({"Principal": p}) for p in rb.settings.get("ReadOnlyAdmins") or []}
    if rb.analyst_role_arn in admins:
        problems.append(f"the analyst role {rb.analyst_role_arn} is a data lake admin: admins see every column")
    if rb.analyst_role_arn in read_only:
        problems.append(f"the analyst role {rb.analyst_role_arn} is a read-only data lake admin: it reads every column")
    for grant in rb.grants:
        resource = grant.get("Resource") or {}
        if not on_table(resource, rb.database, rb.table) or not _held(grant) & {"ALL", "SELECT"}:
            continue
        who = _principal(grant)
        if who == IAM_ALLOWED_PRINCIPALS:
            problems.append(
                f"IAMAllowedPrincipals holds {sorted(_held(grant))} on {rb.qualified}: IAM alone decides, "
                "so every principal reads every column"
            )
        elif who == rb.analyst_role_arn:
            opened, how = opened_columns(resource, rb.hidden, rb.filters)
            if opened:
                problems.append(
                    f"the analyst holds SELECT on {', '.join(opened)} of {rb.qualified} through {how}: {resource}"
                )
    for key in ("CreateDatabaseDefaultPermissions", "CreateTableDefaultPermissions"):
        if any(_principal(p) == IAM_ALLOWED_PRINCIPALS for p in rb.settings.get(key) or []):
            problems.append(f"the data lake settings' {key} still give IAMAllowedPrincipals new databases/tables")
    return problems


def select_all_problems(rb: SecurityReadback) -> list[str]:
    """The analyst's ``SELECT *``: it must succeed, return rows, and have no hidden column."""
    problems: list[str] = []
    if rb.analyst_caller_arn and rb.analyst_caller_arn == rb.privileged_arn:
        problems.append("the analyst queries ran as the privileged principal: the role was not assumed")
    if not rb.select_all.ok:
        return [*problems, f"the analyst's SELECT * on {rb.qualified} failed: {rb.select_all.error}"]
    seen = [c for c in rb.select_all.columns if c.lower() in {h.lower() for h in rb.hidden}]
    if seen:
        problems.append(f"the analyst's SELECT * on {rb.qualified} returns {', '.join(seen)}")
    if not rb.select_all.row_count:
        problems.append(f"the analyst's SELECT * on {rb.qualified} returned no rows: nothing shows the grant works")
    return problems


def denied_problems(rb: SecurityReadback) -> list[str]:
    """The analyst naming a hidden column must fail with Athena's COLUMN_NOT_FOUND."""
    problems: list[str] = []
    for column, record in rb.denied.items():
        if record.ok:
            problems.append(f"the analyst read {column}: `{record.sql}` succeeded")
        elif not column_denied(column).search(record.error or ""):
            problems.append(f"the analyst's `{record.sql}` failed, but not with COLUMN_NOT_FOUND: {record.error}")
    return problems


def privileged_problems(rb: SecurityReadback) -> list[str]:
    """A privileged principal must find every hidden column holding values, or the denial proves nothing."""
    if not rb.privileged.ok:
        return [f"the privileged principal could not read {', '.join(rb.hidden)}: {rb.privileged.error}"]
    values = dict(zip(rb.privileged.columns, rb.privileged.rows[0], strict=True)) if rb.privileged.rows else {}
    return [
        f"{column} holds no values for the privileged principal: the analyst's denial proves nothing"
        for column in rb.hidden
        if not values.get(f"{column.lower()}_values")
    ]


def judge_security(rb: SecurityReadback) -> Outcome:
    """Pass when the analyst cannot see the hidden columns, a privileged principal can, and no grant opens them."""
    by_kind = {
        "select_all": select_all_problems(rb),
        "denied": denied_problems(rb),
        "privileged": privileged_problems(rb),
        "grants": grant_problems(rb),
    }
    problems = [p for found in by_kind.values() for p in found]
    records = [
        {**rb.privileged.to_dict(), "principal": rb.privileged_arn},
        {**rb.select_all.to_dict(), "principal": rb.analyst_caller_arn or rb.analyst_role_arn},
        *({**r.to_dict(), "principal": rb.analyst_caller_arn or rb.analyst_role_arn} for r in rb.denied.values()),
    ]
    measured = {
        "analyst_columns": rb.select_all.columns,
        "analyst_rows": rb.select_all.row_count,
        "hidden_denied": sorted(c for c, r in rb.denied.items() if column_denied(c).search(r.error or "")),
        "grant_problems": len(by_kind["grants"]),
    }
    details: dict[str, Any] = {
        "table": rb.qualified,
        "hidden_columns": rb.hidden,
        "principals": {
            "analyst_role": rb.analyst_role_arn,
            "analyst_session": rb.analyst_caller_arn,
            "privileged": rb.privileged_arn,
        },
        "queries": records,
        "data_lake_settings": {
            k: rb.settings.get(k)
            for k in (
                "DataLakeAdmins",
                "ReadOnlyAdmins",
                "CreateDatabaseDefaultPermissions",
                "CreateTableDefaultPermissions",
            )
        },
        "grants": rb.grants,
        "data_cells_filters": rb.filters,
        "problems": by_kind,
    }
    if rb.read_errors:
        details["read_errors"] = rb.read_errors
    threshold = f"{', '.join(rb.hidden)} hidden from the analyst, readable by a privileged principal, no grant opens it"
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Outcome.judged(False, measured, threshold, f"{problems[0]}{more}", details)
    return Outcome.judged(True, measured, threshold, None, details)


def check_security(target: Target, outputs: Mapping[str, Any]) -> Outcome:
    return judge_security(read_security(target, outputs))
