"""Exit check 5: 100 % IaC. Nothing drifted, and nothing of the stack lives outside Terraform.

Two halves, the plan and the account: ``terraform plan -detailed-exitcode`` must be empty (drift of what Terraform
manages), and no attribute the root sets may have drifted in a way the plan keeps (a hand edit that the root's
``lifecycle { ignore_changes }`` hides plans "No changes"; read from the saved refreshed plan:
``lakehouse.plan_drift``); and everything the account holds for the stack (``lakehouse.inventory``: found by the
``stack_id`` tag, by the stack's name prefix, hanging off a stack role, user, topic, queue or bucket (its access
points and configurations: notifications, replication, CORS, ...), inside a stack database or workgroup, using the
stack (a crawler, job, rule or filter: ``lakehouse.inventory_kinds``; a data catalog, Logs resource policy or
event archive: ``lakehouse.inventory_doors``; an event source mapping, pipe, S3 Access
Grants location or grant, instance profile, budget action, table optimizer, catalog policy or an outside queue's
redrive into a stack queue: ``lakehouse.inventory_links``; a grant on a stack KMS key: ``lakehouse.kms_keys``),
listed by Lake Formation (LF-Tag
grants too, when their tags reach the stack; LF-Tags and saved LF-Tag expressions named like the stack), or tagged
for the stack in any enabled region whatever its service: the tagging sweep) must be in Terraform state. So must
every LF-Tag value assigned directly to a stack database, table or column (``lakehouse.lf_tags``: one of the root's
``aws_lakeformation_resource_lf_tag(s)``; inherited values are the parent's), and every value an LF-Tag of the
state has in the account. A saved LF-Tag expression (``CreateLFTagExpression``: a name LF-Tag grants use for their
expression) named like the stack must be an ``aws_lakeformation_lf_tag_expression`` of the state; hashicorp/aws
5.100.0, which ``infra/`` pins, has no such type, so with it every one is made by hand, and the evidence says so. A
stack database or table dropped between Glue's listing and the read of its LF-Tags carries none
(``lakehouse.lf_tags.read_assigned``); the evidence names it, and the listing still judges it.

Nor may the root itself make things Terraform does not record: a ``provisioner "local-exec"`` or
``"remote-exec"`` (on any resource, ``null_resource`` and ``terraform_data`` included) or a ``data "external"``
runs a command whose results are in no state and survive ``terraform destroy`` (``aws s3 mb``). Each such block
fails the check, naming its file, line and command, whatever the command: an ``echo`` cannot be told from a
script that calls the AWS CLI by its text (``lakehouse.tf_shellouts``).

What is expected without being in state:

- **The pipeline's tables.** The pipeline creates its tables in the stack's Glue databases
  (Terraform creates only Gold ``users``, which a grant must name). They are exactly the
  targets of the ``CREATE TABLE`` / ``CREATE TABLE AS`` / ``CREATE VIEW`` statements of
  ``pipeline/sql/*.sql``, rendered for this stack's database names (``<project>_<stack>_<layer>``)
  and parsed with sqlglot (``lakehouse.lineage.sqlio``). Landing creates no tables (it only
  uploads files). Any other table in a stack database is unmanaged.
- **Creators' grants.** Lake Formation gives whoever creates a database or table all
  permissions on it. A grant to a data lake admin the root names (its
  ``aws_lakeformation_data_lake_settings``) on a stack database or on a table that is
  expected (in state or the pipeline's), or to a principal the root grants ``CREATE_TABLE``
  on a database, on one of the pipeline's tables in that database, is such a grant.

Every other Lake Formation grant on the stack's databases, tables, filters or buckets, or to a
stack principal, must be one of the root's ``aws_lakeformation_permissions`` (compared one
permission at a time: principal, resource, permission). Data lake admins, read-only admins, trusted
resource owners and default permissions for new databases/tables beyond what the root's settings say
are unmanaged too, and so is a default permission for new tables that a stack database has beyond what
its state records. The plan cannot show these: the provider marks a database's
``create_table_default_permission`` and the settings' ``read_only_admins`` / ``trusted_resource_owners``
Optional+Computed and the root leaves them unset, so a value set by hand is adopted without a change.

So is the role a registered stack location is read with, and whether federated principals may
(``role_arn`` and ``with_federation`` of ``aws_lakeformation_resource``, Optional+Computed and unset
in the root): each must be what the state records. So are a stack queue's ``redrive_policy`` and
``redrive_allow_policy`` (Optional+Computed, unset on the alert inbox; ``lakehouse.queue_redrive``): a dead-letter
queue set by hand takes alerts out of the inbox with no plan change. So are a stack KMS key's policy and rotation
period (``policy`` and ``rotation_period_in_days`` of ``aws_kms_key``, Optional+Computed: ``lakehouse.kms_keys``).

Table locations are drift the plan cannot show: the root ignores a table's ``storage_descriptor``
and ``parameters`` (Iceberg owns them). So every place a table of the stack's databases sends files
to (Glue's location and metadata file; its Iceberg metadata's location, ``write.data.path`` and the other write
path properties: ``lakehouse.table_places``) lies in its layer's bucket (the bucket the state locates its database
in; a place in no managed bucket is unmanaged data), no two of them share a location or nest one in the other,
an Iceberg table's ``metadata_location`` lies under its own location, and a table in state is where
the state says (trailing slashes aside).

A listing that failed makes the check ``error`` (naming it) unless something unmanaged was
found anyway, which fails the check whatever the rest would have shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import sqlglot
from sqlglot import exp

from lakehouse.bucket_configs import STATE_KEY as BUCKET_CONFIG_KEY
from lakehouse.config import project_root
from lakehouse.ignored_drift import Unignored, unignored_drift
from lakehouse.inventory import (
    DEFAULT_PROJECT,
    LF_LISTING,
    LF_TAGS_ASSIGNED,
    TAGGED,
    CloudResource,
    Inventory,
    name_prefixes,
    stack_inventory,
)
from lakehouse.inventory_doors import LOG_POLICY, log_policy_keys
from lakehouse.inventory_doors import STATE_KEY as DOOR_KIND_KEY
from lakehouse.inventory_kinds import METRIC_FILTER, SUBSCRIPTION_FILTER, filter_keys
from lakehouse.inventory_kinds import STATE_KEY as HANGING_KIND_KEY
from lakehouse.inventory_links import STATE_KEY as LINKED_KIND_KEY
from lakehouse.kms_keys import STATE_KEY as KEY_GRANT_KEY
from lakehouse.kms_keys import key_policy_drift, key_rotation_drift
from lakehouse.lf_grants import (
    LfGrant,
    database_defaults_from_state,
    default_permissions_from_settings,
    default_permissions_from_state,
    grants_from_state,
)
from lakehouse.lf_tags import (
    ASSIGNING_KINDS,
    LF_TAG_EXPRESSION,
    provider_manages_expressions,
    unmanaged_assignments,
    unmanaged_tag_values,
)
from lakehouse.lineage.sqlio import READ, SqlLineageError, statement_io
from lakehouse.outcome import Outcome
from lakehouse.pipeline.runner import SQL_DIR, TABLES
from lakehouse.pipeline.sqlfiles import SqlFileError, load
from lakehouse.plan_drift import hidden_drift
from lakehouse.queue_redrive import redrive_drift, redrive_keys
from lakehouse.stack import Stack
from lakehouse.table_places import in_bucket
from lakehouse.terraform import PlanResult, TerraformError, module_prefixes, state_resources
from lakehouse.tf_shellouts import ShellOut, shell_outs
from lakehouse.tfmirror import pinned_aws_version
from lakehouse.tfsource import SourceError, dynamic_blocks

_T = TypeVar("_T")

#: How a state entry names what the inventory lists (``CloudResource.key``), by Terraform type.
STATE_KEY: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "aws_s3_bucket": lambda v: v["bucket"],
    "aws_iam_role": lambda v: v["name"],
    "aws_iam_user": lambda v: v["name"],
    "aws_iam_policy": lambda v: v["arn"],
    "aws_iam_role_policy_attachment": lambda v: f"{v['role']}/{v['policy_arn']}",
    "aws_iam_role_policy": lambda v: f"{v['role']}:{v['name']}",
    "aws_iam_user_policy_attachment": lambda v: f"{v['user']}/{v['policy_arn']}",
    "aws_iam_user_policy": lambda v: f"{v['user']}:{v['name']}",
    "aws_sns_topic": lambda v: v["arn"],
    "aws_sns_topic_subscription": lambda v: f"{v['topic_arn']} {v['protocol']} {v['endpoint']}",
    "aws_sqs_queue": lambda v: v["arn"],
    "aws_s3_access_point": lambda v: f"{v['account_id']}:{v['name']}",
    "aws_athena_workgroup": lambda v: v["arn"],
    "aws_glue_catalog_database": lambda v: v["arn"],
    "aws_glue_catalog_table": lambda v: v["arn"],
    "aws_budgets_budget": lambda v: v["name"],
    "aws_cloudwatch_metric_alarm": lambda v: v["arn"],
    "aws_cloudwatch_composite_alarm": lambda v: v["arn"],
    "aws_cloudwatch_dashboard": lambda v: v["dashboard_name"],
    "aws_lakeformation_data_cells_filter": lambda v: "{database_name}.{table_name}.{name}".format(**v["table_data"][0]),
    "aws_lakeformation_resource": lambda v: v["arn"],
    "aws_lakeformation_lf_tag": lambda v: str(v["key"]).lower(),
    LF_TAG_EXPRESSION: lambda v: str(v["name"]).lower(),
    "aws_apprunner_service": lambda v: v["arn"],
    "aws_apprunner_auto_scaling_configuration_version": lambda v: v["arn"],
    "aws_sagemaker_model": lambda v: v["arn"],
    "aws_sagemaker_endpoint_configuration": lambda v: v["arn"],
    "aws_sagemaker_endpoint": lambda v: v["arn"],
    "aws_scheduler_schedule": lambda v: v["arn"],
    "aws_scheduler_schedule_group": lambda v: v["arn"],
    **BUCKET_CONFIG_KEY,
    **HANGING_KIND_KEY,
    **DOOR_KIND_KEY,
    **LINKED_KIND_KEY,
    **KEY_GRANT_KEY,
}

COVERED_KINDS = (
    *STATE_KEY,
    LOG_POLICY,
    METRIC_FILTER,
    SUBSCRIPTION_FILTER,
    "aws_lakeformation_permissions",
    "aws_lakeformation_data_lake_settings",
    *ASSIGNING_KINDS,
)

_PERMISSIONS = "aws_lakeformation_permissions"
_SETTINGS = "aws_lakeformation_data_lake_settings"
_DATABASE = "aws_glue_catalog_database"
#: How a stack database's default permissions for new tables were found.
DATABASE_DEFAULTS = "default permissions of a stack database (glue GetDatabases)"
_ASSIGNS = ASSIGNING_KINDS[0]
_LF_TAG = "aws_lakeformation_lf_tag"
#: How a value of an LF-Tag in state that the state does not give was found.
LF_TAG_VALUES = "values of an LF-Tag in state"


class PipelineTablesError(RuntimeError):
    """The pipeline's SQL could not be read, so its tables cannot be told from strays."""


def pipeline_locations(
    stack_id: str, account: str, region: str, project: str = DEFAULT_PROJECT, sql_dir: Path = SQL_DIR
) -> dict[str, tuple[str | None, str]]:
    """``db.table`` (lower case) of every table the pipeline's SQL creates, for this stack's names ->
    (the ``LOCATION`` its statement declares, or None; the statement's file and line)."""
    prefix, glue_prefix = name_prefixes(stack_id, project)
    values = {}
    for layer in TABLES:
        values[f"{layer}_db"] = f"{glue_prefix}_{layer}"
        values[f"{layer}_bucket"] = f"{prefix}-{layer}-{account}"
    return created_tables(values, region, sql_dir)


def created_tables(
    values: Mapping[str, str], region: str, sql_dir: Path = SQL_DIR
) -> dict[str, tuple[str | None, str]]:
    """What ``pipeline_locations`` answers for the pipeline's SQL rendered with ``values`` (its placeholders)."""
    try:
        statements = load(sql_dir, dict(values))
    except (SqlFileError, OSError) as err:
        raise PipelineTablesError(f"cannot read the pipeline's SQL: {err}") from None
    tables: dict[str, tuple[str | None, str]] = {}
    for stmt in statements:
        try:
            io = statement_io(stmt.sql, region)
        except SqlLineageError as err:
            raise PipelineTablesError(f"{stmt.where}: {err}") from None
        if io.kind == "CREATE":
            location = declared_location(stmt.sql)
            for out in io.outputs:
                tables[out.name.split(".", 1)[1].lower()] = (location, stmt.where)
    return tables


def pipeline_tables(
    stack_id: str, account: str, region: str, project: str = DEFAULT_PROJECT, sql_dir: Path = SQL_DIR
) -> set[str]:
    """``db.table`` (lower case) of every table the pipeline's SQL creates, for this stack's names."""
    return set(pipeline_locations(stack_id, account, region, project, sql_dir))


def declared_location(sql: str) -> str | None:
    """The ``LOCATION`` (Hive DDL) or ``location =`` (CTAS ``WITH``) a CREATE statement gives its table."""
    try:
        tree = sqlglot.parse_one(sql, read=READ)
    except sqlglot.errors.ParseError:
        return None
    found = tree.find(exp.LocationProperty) if tree is not None else None
    return found.this.name if found is not None and found.this is not None else None


def _state_of(state: list[dict[str, Any]], kind: str) -> list[Mapping[str, Any]]:
    return [r.get("values", {}) for r in state if r.get("type") == kind]


def managed_keys(state: list[dict[str, Any]], home: str = "") -> set[tuple[str, str]]:
    """(kind, key) of every covered resource in Terraform state; (``TAGGED``, ARN) of every resource. ``home``: the
    stack's region, where a Logs resource policy or log filter whose state names no region is taken to be."""
    managed = set()
    for res in state:
        values = res.get("values", {})
        keyer = STATE_KEY.get(res.get("type", ""))
        if keyer is not None:
            managed.add((res["type"], keyer(values)))
        for attribute in ("arn", "id"):
            if str(values.get(attribute) or "").startswith("arn:"):
                managed.add((TAGGED, str(values[attribute])))
    return managed | redrive_keys(state) | log_policy_keys(state, home) | filter_keys(state, home)


def _creator_grants(
    state: list[dict[str, Any]],
    inventory: Inventory,
    expected_tables: set[str],
    state_grants: set[tuple[str, str, str]],
) -> Callable[[LfGrant], bool]:
    """Whether a grant is a creator's implicit grant (module doc)."""
    admins = {a for s in _state_of(state, _SETTINGS) for a in s.get("admins") or []}
    stack_dbs = {r.name.lower() for r in inventory.of_kind("aws_glue_catalog_database")}
    creators: dict[str, set[str]] = defaultdict(set)  # database -> principals granted CREATE_TABLE on it
    for principal, resource, permission in state_grants:
        if permission in ("CREATE_TABLE", "ALL") and resource.startswith("database "):
            creators[resource.removeprefix("database ").lower()].add(principal)
    in_state = {f"{v['database_name']}.{v['name']}".lower() for v in _state_of(state, "aws_glue_catalog_table")}

    def is_creators(grant: LfGrant) -> bool:
        kind, _, what = grant.resource.partition(" ")
        what = what.lower()
        if kind == "database":
            return what in stack_dbs and grant.principal in admins
        if kind != "table":
            return False
        database = what.split(".", 1)[0]
        if grant.principal in admins and (what in expected_tables or what in in_state):
            return True
        return what in expected_tables and grant.principal in creators.get(database, set())

    return is_creators


def unmanaged_grants(
    state: list[dict[str, Any]], inventory: Inventory, expected_tables: set[str]
) -> list[tuple[str, str, str, list[str], str]]:
    """(principal, resource, region, permissions, why it is the stack's when it names no stack resource) of every
    grant Lake Formation holds that the root does not."""
    state_grants = {g.comparable for v in _state_of(state, _PERMISSIONS) for g in grants_from_state(v)}
    is_creators = _creator_grants(state, inventory, expected_tables, state_grants)
    stray: dict[tuple[str, str, str, str], list[str]] = defaultdict(list)
    for grant in inventory.grants:
        if grant.comparable not in state_grants and not is_creators(grant):
            stray[(grant.principal, grant.resource, grant.region, grant.via)].append(grant.permission)
    return [(p, r, region, sorted(perms), via) for (p, r, region, via), perms in sorted(stray.items())]


def unmanaged_settings(state: list[dict[str, Any]], inventory: Inventory) -> list[str]:
    """Data lake admins and default permissions Lake Formation has that the root's settings do not give."""
    read = inventory.lake_settings
    settings = _state_of(state, _SETTINGS)
    if read is None or not settings:
        return []
    want = settings[0]
    out = [f"data lake admin {a}" for a in sorted(set(read.admins) - set(want.get("admins") or []))]
    # Optional+Computed in the provider and unset in the root: one added by hand plans no change.
    out += [
        f"data lake read-only admin {a}"
        for a in sorted(set(read.read_only_admins) - set(want.get("read_only_admins") or []))
    ]
    out += [
        f"trusted resource owner {o}"
        for o in sorted(set(read.trusted_resource_owners) - set(want.get("trusted_resource_owners") or []))
    ]
    for label, api, tf in (
        ("new databases", read.create_database_default_permissions, want.get("create_database_default_permissions")),
        ("new tables", read.create_table_default_permissions, want.get("create_table_default_permissions")),
    ):
        extra = default_permissions_from_settings(api) - default_permissions_from_state(tf or [])
        out += [f"default permission for {label}: {e}" for e in sorted(extra)]
    return out


def unmanaged_database_defaults(state: list[dict[str, Any]], inventory: Inventory) -> list[tuple[str, str, str]]:
    """(database, region, ``principal: PERMISSION``) of every default permission for new tables a stack database in
    state has beyond what its state records.

    The root leaves ``create_table_default_permission`` to the data lake settings (a database is born with theirs)
    and the provider marks it Optional+Computed: set by hand (``glue:UpdateDatabase``), it plans no change, yet
    Lake Formation grants it on every table later created there. A database not in state is unmanaged as a whole.
    """
    # Real state holds every attribute of the schema; a state without this one (made up) says nothing of it.
    recorded = {
        str(v.get("arn")): v.get("create_table_default_permission") or []
        for v in _state_of(state, _DATABASE)
        if "create_table_default_permission" in v
    }
    located = {r.key: r for r in inventory.of_kind(_DATABASE)}
    found = []
    for arn, defaults in sorted(inventory.database_defaults.items()):
        if arn not in recorded or arn not in located:
            continue
        extra = default_permissions_from_settings(defaults) - database_defaults_from_state(recorded[arn])
        found += [(located[arn].name, located[arn].region, e) for e in sorted(extra)]
    return found


def registration_drift(state: list[dict[str, Any]], inventory: Inventory) -> list[str]:
    """Registered locations in state that Lake Formation reads with another role, or with federation, than the
    state records: drift the plan cannot show (``role_arn`` and ``with_federation`` are Optional+Computed in the
    provider and the root sets neither, so a change by hand is adopted)."""
    found = []
    for values in _state_of(state, "aws_lakeformation_resource"):
        arn = str(values.get("arn"))
        read = inventory.registrations.get(arn)
        if read is None:
            continue
        read_back = {"role_arn": read.role_arn, "with_federation": read.with_federation}
        for field_name, now in read_back.items():
            if field_name not in values:  # real state holds every attribute; a made-up one may not
                continue
            then = bool(values[field_name]) if isinstance(now, bool) else str(values[field_name] or "")
            if now != then:
                found.append(
                    f"aws_lakeformation_resource {arn}: {field_name} is {now or '(none)'} but Terraform state "
                    f"records {then or '(none)'}"
                )
    return found


def _lf_found_by(via: str) -> str:
    """How a grant was found: the LF listing, and why it is the stack's when it names no stack resource."""
    return f"{LF_LISTING}: {via}" if via else LF_LISTING


def _describe(res: CloudResource) -> str:
    return f"{res.kind} {res.name} ({res.region}, found by {' + '.join(res.found_by)})"


def judge_iac(
    plan: PlanResult,
    state: list[dict[str, Any]],
    inventory: Inventory,
    expected_tables: set[str],
    declared: Mapping[str, tuple[str | None, str]] | None = None,
    provider_version: str | None = None,
    plan_json: Mapping[str, Any] | None = None,
    dynamic: Mapping[str, frozenset[str]] | SourceError | None = None,
    unignored: Unignored | Exception | None = None,
    commands: list[ShellOut] | SourceError | None = None,
) -> Outcome:
    """The verdict from already-collected facts: the plan, the state, what the account holds.

    ``expected_tables``: the pipeline's own tables (``pipeline_tables``), ``db.table`` lower case;
    ``declared``: their locations as the pipeline's SQL declares them (``pipeline_locations``);
    ``provider_version``: the hashicorp/aws version the root pins (says whether state *could* hold an LF-Tag
    expression); ``plan_json``: ``terraform show -json`` of the plan, which says what drifted (needed when the
    plan reports drift: an edit the root ignores plans no change); ``dynamic``: the blocks the root writes with
    ``dynamic`` (``lakehouse.tfsource.dynamic_blocks``: the plan's JSON drops them), or why they could not be read;
    ``commands``: the root's blocks that run commands (``lakehouse.tf_shellouts``), or why they could not be read.
    """
    managed = managed_keys(state, inventory.regions[0] if inventory.regions else "")
    unmanaged: list[CloudResource] = []
    pipeline_made: list[str] = []
    for res in inventory.resources:
        if (res.kind, res.key) in managed:
            continue
        if res.kind == "aws_glue_catalog_table" and res.name.lower() in expected_tables:
            pipeline_made.append(res.name)
            continue
        unmanaged.append(res)
    grants = unmanaged_grants(state, inventory, expected_tables)
    settings = unmanaged_settings(state, inventory)
    defaults = unmanaged_database_defaults(state, inventory)
    assigned = unmanaged_assignments(state, inventory.lf_tag_assignments)
    region = inventory.regions[0] if inventory.regions else ""
    tag_values = unmanaged_tag_values(state, inventory.lf_tags)
    found = [r.to_dict() for r in unmanaged]
    found += [{"kind": _ASSIGNS, "name": a.label, "region": a.region, "found_by": [LF_TAGS_ASSIGNED]} for a in assigned]
    found += [
        {"kind": _LF_TAG, "name": f"{k}={v}", "region": region, "found_by": [LF_TAG_VALUES]} for k, v in tag_values
    ]
    found += [
        {
            "kind": _PERMISSIONS,
            "name": f"{p} on {r}: {', '.join(perms)}",
            "region": region,
            "found_by": [_lf_found_by(via)],
        }
        for p, r, region, perms, via in grants
    ]
    found += [
        {
            "kind": _SETTINGS,
            "name": s,
            "region": inventory.regions[0] if inventory.regions else "",
            "found_by": [LF_LISTING],
        }
        for s in settings
    ]
    found += [
        {
            "kind": _DATABASE,
            "name": f"{db} default permission for new tables: {d}",
            "region": r,
            "found_by": [DATABASE_DEFAULTS],
        }
        for db, r, d in defaults
    ]
    labels = sorted(f"{f['kind']} {f['name']}" for f in found)

    # Planned changes count, and so does drift the plan keeps (an attribute the root sets, changed outside
    # Terraform, that the root's ignore_changes leaves as the account has it: lakehouse.plan_drift). Other
    # refresh "drift" is attribute noise (e.g. null vs. empty map) or Iceberg's (judged by the location checks).
    changes = [{"address": c.address, "action": c.action} for c in plan.planned]
    refresh_drift = sorted({c.address for c in plan.changes if c.drift})
    read_dynamic = dynamic if isinstance(dynamic, Mapping) else None
    hidden = [str(h) for h in hidden_drift(plan_json, read_dynamic)] if plan_json is not None else []
    unread = list(inventory.unreadable)
    if plan_json is not None and isinstance(dynamic, SourceError):
        unread.append(
            f"the root's dynamic blocks ({dynamic}): drift of a block the root writes with dynamic, which the "
            "plan's configuration does not show, cannot be judged"
        )
    if refresh_drift and plan_json is None:
        unread.append(f"the refreshed plan's drift of {', '.join(refresh_drift)} (no saved plan to show)")
    ignored_differ = [str(d) for d in unignored.drift] if isinstance(unignored, Unignored) else []
    if isinstance(unignored, Exception):
        unread.append(
            f"the root planned without its lifecycle ignore_changes ({unignored}): what an ignore hides once a "
            "later apply wrote it into the state cannot be judged"
        )
    if isinstance(commands, SourceError):
        unread.append(
            f"the root's configuration files ({commands}): blocks that run commands outside Terraform cannot be judged"
        )
    shelled = [str(c) for c in commands] if isinstance(commands, list) else []
    details: dict[str, Any] = {
        "plan_exit_code": plan.exit_code,
        "plan_changes": changes,
        "refresh_drift": refresh_drift,
        "drift_the_plan_keeps": hidden,
        "ignored_attributes_differ": ignored_differ,
        "state_resource_count": len(state),
        "unmanaged": labels,
        "unmanaged_found": sorted(found, key=lambda f: (f["kind"], f["name"])),
        "commands_outside_terraform": shelled,
        "stack_resources_found": [r.to_dict() for r in inventory.resources],
        "lake_formation_grants_read": len(inventory.grants),
        "lf_tags_assigned_read": [f"{a.label} ({a.region})" for a in inventory.lf_tag_assignments],
        "pipeline_tables_found": sorted(pipeline_made),
        "pipeline_tables_expected": sorted(expected_tables),
        "unreadable": unread,
        # Dropped after Glue listed them: no LF-Tags to compare (lf_tags.read_assigned); the listing still judged them.
        "gone_while_read": list(inventory.gone_while_read),
        "covered_kinds": list(COVERED_KINDS),
        "searched_by": f"tag stack_id={inventory.stack_id}, name prefix {inventory.name_prefix} / "
        f"{inventory.glue_prefix}, contents of stack databases, what uses or is linked to a stack resource, Lake "
        "Formation listings; the tagging API "
        "(any service) in every enabled region",
        "regions": list(inventory.regions),
        "tagging_sweep_regions": list(inventory.swept_regions),
    }
    if isinstance(unignored, Unignored) and (unignored.ignored or unignored.not_judged):
        details["ignores_planned_without"] = sorted(unignored.ignored)
        details["ignores_not_judged"] = list(unignored.not_judged)
    measured = {
        "plan_changes": len(changes),
        "drift_the_plan_keeps": len(hidden),
        "ignored_attributes_differ": len(ignored_differ),
        "unmanaged_resources": len(found),
    }
    threshold = {"plan_changes": 0, "drift_the_plan_keeps": 0, "ignored_attributes_differ": 0, "unmanaged_resources": 0}
    if isinstance(commands, list):  # measured only when the root's files were read
        measured["commands_outside_terraform"], threshold["commands_outside_terraform"] = len(shelled), 0
    plan_problems: list[str] = []
    unmanaged_problems: list[str] = []
    if not plan.clean:
        # Drift entries name what changed outside Terraform; planned changes name what it would redo.
        changed = sorted({c["address"] for c in changes})
        listed = ", ".join(changed) or "(plan reported changes without details)"
        plan_problems.append(f"terraform plan is not empty ({len(changed)} resource(s) to change: {listed})")
    if hidden:
        plan_problems.append(
            f"{len(hidden)} attribute(s) the root sets changed outside Terraform and terraform plan keeps them (drift "
            f"its refresh found that the root's lifecycle ignore_changes hides): {'; '.join(hidden)}"
        )
    if ignored_differ:
        plan_problems.append(
            f"{len(ignored_differ)} attribute(s) the root sets hold something else in the account, hidden from "
            f"terraform plan by the root's lifecycle ignore_changes (a plan without the ignores would change them): "
            f"{'; '.join(ignored_differ)}"
        )
    if strays := stray_locations(state, inventory):
        details["tables_outside_the_stack"] = strays
        plan_problems.append(
            f"{len(strays)} place(s) the stack's tables send files to lie outside their layer's bucket, drift "
            "terraform plan does not show (the root ignores a table's storage_descriptor and parameters; Iceberg's "
            f"write paths are in no Glue field): {'; '.join(strays)}"
        )
    if registered := registration_drift(state, inventory):
        details["registration_drift"] = registered
        plan_problems.append(
            f"{len(registered)} registered location(s) of the stack changed outside Terraform, drift terraform plan "
            f"does not show (the provider adopts role_arn and with_federation, which the root leaves unset): "
            f"{'; '.join(registered)}"
        )
    if redriven := redrive_drift(state, inventory.queue_redrives):
        details["queue_redrive_drift"] = redriven
        plan_problems.append(
            f"{len(redriven)} redrive setting(s) of the stack's queues changed outside Terraform, drift terraform plan "
            f"does not show (the provider adopts redrive_policy and redrive_allow_policy, which the root leaves "
            f"unset): {'; '.join(redriven)}"
        )
    if key_drift := key_policy_drift(state, inventory.key_policies):
        details["key_policy_drift"] = key_drift
        plan_problems.append(
            f"{len(key_drift)} key policy(ies) of the stack's KMS keys changed outside Terraform, drift terraform plan "
            f"does not show (the provider adopts an aws_kms_key's policy when the root sets none): "
            f"{'; '.join(key_drift)}"
        )
    if rotated := key_rotation_drift(state, inventory.key_rotations):
        details["key_rotation_drift"] = rotated
        plan_problems.append(
            f"{len(rotated)} rotation period(s) of the stack's KMS keys changed outside Terraform, drift terraform "
            f"plan does not show (the provider adopts rotation_period_in_days when the root sets none): "
            f"{'; '.join(rotated)}"
        )
    drift = state_location_drift(state, inventory) + pipeline_location_drift(declared or {}, inventory)
    if clashes := location_clashes(inventory) + drift:
        details["table_location_clashes"] = clashes
        plan_problems.append(
            f"{len(clashes)} table location problem(s) in the stack's databases (no two tables may share or nest "
            "locations, Iceberg metadata lies under its own table's location, and Glue keeps the location Terraform "
            "state or the pipeline's SQL declares), drift terraform plan does not show (the root ignores a table's "
            f"storage_descriptor and parameters): {'; '.join(clashes)}"
        )
    if found:
        texts = [_describe(r) for r in sorted(unmanaged)]
        texts += [
            f"{_PERMISSIONS} {p} on {r}: {', '.join(perms)} ({region}, found by {_lf_found_by(via)})"
            for p, r, region, perms, via in grants
        ]
        texts += [f"{_SETTINGS} {s} (found by {LF_LISTING})" for s in settings]
        texts += [
            f"{_DATABASE} {db} default permission for new tables: {d} ({r}, found by {DATABASE_DEFAULTS})"
            for db, r, d in defaults
        ]
        texts += [f"{_ASSIGNS} {a.label} ({a.region}, found by {LF_TAGS_ASSIGNED})" for a in assigned]
        texts += [f"{_LF_TAG} {k}={v} ({region}, found by {LF_TAG_VALUES})" for k, v in tag_values]
        unmanaged_problems.append(
            f"{len(found)} thing(s) of stack {inventory.stack_id} are not in Terraform state: {'; '.join(texts)}"
            + _expressions_note(unmanaged, provider_version)
        )
    if shelled:
        unmanaged_problems.append(
            f"{len(shelled)} block(s) of the root run a command whose results Terraform does not record (what a "
            "command makes is in no state and survives terraform destroy; every such block fails, since what a "
            f"command makes cannot be told from its text): {'; '.join(shelled)}"
        )
    details["problems"] = {"plan": plan_problems, "unmanaged": unmanaged_problems}
    reasons = plan_problems + unmanaged_problems
    if unread:
        text = f"could not read {len(unread)} listing(s): {'; '.join(unread)}"
        if not reasons:
            return Outcome.error(text, threshold, details, measured)
        reasons.append(text)
    return Outcome.judged(not reasons, measured, threshold, "; ".join(reasons) or None, details)


def _expressions_note(unmanaged: list[CloudResource], provider_version: str | None) -> str:
    """Why no LF-Tag expression can be in state, when the pinned provider has no type for one."""
    count = sum(1 for r in unmanaged if r.kind == LF_TAG_EXPRESSION)
    if not count or provider_manages_expressions(provider_version) is not False:
        return ""
    return (
        f" ({count} LF-Tag expression(s) named like the stack: hashicorp/aws {provider_version}, which the root "
        f"pins, has no {LF_TAG_EXPRESSION}, so Terraform cannot have made any: each was made by hand)"
    )


def database_buckets(state: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Each stack database in state (name, lower case) -> (its layer, the managed bucket the root locates it in:
    its ``location_uri``; infra/catalog.tf puts each layer's database in that layer's bucket)."""
    managed = {str(v.get("bucket")) for v in _state_of(state, "aws_s3_bucket")}
    found = {}
    for values in _state_of(state, _DATABASE):
        bucket = (_s3_path(str(values.get("location_uri") or "")) or "").split("/", 1)[0]
        if bucket in managed:
            layer = str((values.get("tags") or {}).get("layer") or values.get("name"))
            found[str(values.get("name")).lower()] = (layer, bucket)
    return found


def stray_locations(state: list[dict[str, Any]], inventory: Inventory) -> list[str]:
    """Places the tables of the stack's databases send files to that lie outside their layer's bucket.

    Every place a table's settings name counts (``TableLocation.places``: Glue's location and metadata file, and
    the current Iceberg metadata's location and write path properties, ``lakehouse.table_places``). Drift
    ``terraform plan`` cannot show: the root leaves a table's ``storage_descriptor`` and ``parameters`` to Iceberg
    (``ignore_changes``), and Iceberg's properties are in no Glue field at all. A place in no bucket of the state
    is unmanaged data (no grant, encryption, lifecycle or destroy of the stack reaches it); a Bronze table in the
    Gold bucket is out of its layer (Gold's readers and grants reach it). A table of a database the state does not
    locate is judged against every managed bucket.
    """
    managed = {str(v.get("bucket")) for v in _state_of(state, "aws_s3_bucket")}
    layers = database_buckets(state)
    found = []
    for table, where in sorted(inventory.table_locations.items()):
        layer, own = layers.get(table.split(".", 1)[0].lower(), ("", ""))
        said: dict[str, list[str]] = defaultdict(list)
        for what, uri in where.places.items():
            said[uri].append(what)
        for uri, whats in said.items():
            if own and in_bucket(uri, own):
                continue
            at = f"{table} {uri} ({', '.join(whats)})"
            other = next((b for b in sorted(managed) if in_bucket(uri, b)), None)
            if other is None:
                found.append(
                    f"{at} is unmanaged data: in no bucket of Terraform state"
                    + (f" (its {layer.capitalize()} layer's bucket is {own})" if own else "")
                )
            elif own:
                found.append(f"{at} is in the stack's bucket {other}, not its {layer.capitalize()} layer's {own}")
    return found


def _s3_path(uri: str) -> str | None:
    """``bucket/key`` of an S3 URI without trailing slashes (s3, s3a and s3n name the same objects); else None."""
    scheme, sep, rest = uri.partition("://")
    if not sep or scheme.lower() not in ("s3", "s3a", "s3n"):
        return None
    return rest.rstrip("/") or None


def _same_place(first: str, second: str) -> bool:
    """Whether two locations name one place (scheme aliases and trailing slashes aside: an Iceberg commit
    may write the location back without its slash, pyiceberg's does in the emulator)."""
    return (_s3_path(first) or first.rstrip("/")) == (_s3_path(second) or second.rstrip("/"))


def _inside(inner: str, outer: str) -> bool:
    """Whether path ``inner`` lies below ``outer`` at a ``/`` boundary (``gold/users_v2`` is beside ``gold/users``)."""
    return inner.startswith(outer + "/")


def location_clashes(inventory: Inventory) -> list[str]:
    """Tables of the stack's databases whose files mix with another table's, or whose metadata is not their own.

    Each bucket may be the stack's and still hold a broken lake: Gold ``users`` repointed at
    ``orders_enriched``'s prefix (or one inside or above it) reads that table's files as its own,
    and Athena's ``VACUUM`` of the outer table removes the inner one's files as orphans (files in
    its directory that are not part of its state). So no two tables may have equal or nested
    locations, and an Iceberg table's ``metadata_location`` must lie under its own location
    (Iceberg writes metadata to ``<location>/metadata`` unless ``write.metadata.path`` says
    otherwise, which neither the root nor the pipeline sets).
    """
    located = {
        table: (str(where.location), path)
        for table, where in sorted(inventory.table_locations.items())
        if where.location and (path := _s3_path(where.location))
    }
    tables = sorted(located)
    found = []
    for i, first in enumerate(tables):
        for second in tables[i + 1 :]:
            (uri_1, path_1), (uri_2, path_2) = located[first], located[second]
            if path_1 == path_2:
                found.append(f"{first} at {uri_1} and {second} at {uri_2} share one location")
            elif _inside(path_2, path_1):
                found.append(f"{second} at {uri_2} lies inside {first}'s location {uri_1}")
            elif _inside(path_1, path_2):
                found.append(f"{first} at {uri_1} lies inside {second}'s location {uri_2}")
    for table, where in sorted(inventory.table_locations.items()):
        metadata = where.metadata_location
        if not metadata:
            continue
        path = _s3_path(metadata) or ""
        own = located.get(table)
        if own is not None and _inside(path, own[1]):
            continue
        text = f"{table}'s Iceberg metadata_location {metadata} is not under " + (
            f"its own location {where.location}" if where.location else "a location of its own (it has none)"
        )
        others = [f"{o}'s location {located[o][0]}" for o in tables if o != table and _inside(path, located[o][1])]
        found.append(f"{text}, but under {' and '.join(others)}" if others else text)
    return found


def state_location_drift(state: list[dict[str, Any]], inventory: Inventory) -> list[str]:
    """Tables in Terraform state whose location in Glue is not the one the state records.

    The state holds the location as of the last apply (``ignore_changes`` keeps plan quiet about
    it), so a table repointed since then shows here even where no other table is hurt. Trailing
    slashes do not count: an Iceberg commit may write the location back without one (pyiceberg's
    does, in the emulator).
    """
    found = []
    for values in _state_of(state, "aws_glue_catalog_table"):
        name = f"{values.get('database_name')}.{values.get('name')}"
        descriptors = values.get("storage_descriptor") or [{}]
        declared = str(descriptors[0].get("location") or "") if isinstance(descriptors[0], dict) else ""
        where = inventory.table_locations.get(name)
        if not declared or where is None:
            continue
        actual = where.location or ""
        if not _same_place(actual, declared):
            found.append(f"{name} is at {actual or '(no location)'} but Terraform state records {declared}")
    return found


def pipeline_location_drift(declared: Mapping[str, tuple[str | None, str]], inventory: Inventory) -> list[str]:
    """Tables the pipeline's SQL creates whose location in Glue is not the one its statement declares.

    Terraform state holds only the tables the root makes; the pipeline's own tables (Silver, most of
    Gold) are declared by its ``CREATE TABLE ... LOCATION``. One repointed since at another prefix
    of its bucket clashes with no other table and is in no state, yet it is no longer the table the
    code describes (``CREATE TABLE IF NOT EXISTS`` leaves it as found)."""
    located = {name.lower(): where for name, where in inventory.table_locations.items()}
    found = []
    for name, (location, statement) in sorted(declared.items()):
        where = located.get(name)
        if not location or where is None:
            continue
        actual = where.location or ""
        if not _same_place(actual, location):
            found.append(
                f"{name} is at {actual or '(no location)'} but the pipeline's SQL ({statement}) declares {location}"
            )
    return found


def plan_in_background(stack: Stack) -> Future[PlanResult]:
    """Start the stack's refreshed plan on its own thread: the state read and the account listing
    of ``check_iac_coverage`` run meanwhile (all three only read: the plan takes no lock, writes no state)."""
    return _in_background(stack.plan, "iac-plan")


def _in_background(work: Callable[[], _T], name: str) -> Future[_T]:
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    try:
        return pool.submit(work)
    finally:
        pool.shutdown(wait=False)  # the work runs on; its result or exception waits in the future


def check_iac_coverage(stack: Stack, plan: PlanResult | Future[PlanResult] | None = None) -> Outcome:
    """Plan (unless given or under way), list the stack's resources in the account, judge them against the state.

    A plan under way (``plan_in_background``) is waited for after the state and the account are read:
    the check takes as long as the slowest of the three, not their sum.
    """
    pending = plan if plan is not None else plan_in_background(stack)
    unignoring = _in_background(lambda: unignored_drift(stack.tf), "iac-unignored")
    state = state_resources(stack.state())
    inventory = stack_inventory(stack.target, stack.stack_id)
    planned = pending.result() if isinstance(pending, Future) else pending
    try:
        declared = pipeline_locations(stack.stack_id, inventory.account, stack.target.region)
    except PipelineTablesError as err:
        return Outcome.error(f"cannot tell the pipeline's tables from strays: {err}")
    version = pinned_aws_version(project_root() / "infra")
    shown = _drift_shown(stack, planned)
    dynamic: Mapping[str, frozenset[str]] | SourceError | None = None
    if shown is not None:
        try:
            dynamic = dynamic_blocks(stack.tf.workdir, module_prefixes(shown))
        except SourceError as err:
            dynamic = err
    try:
        unignored: Unignored | Exception = unignoring.result()
    except (SourceError, TerraformError) as err:
        unignored = err
    try:
        commands: list[ShellOut] | SourceError = shell_outs(stack.tf.workdir)
    except SourceError as err:
        commands = err
    return judge_iac(planned, state, inventory, set(declared), declared, version, shown, dynamic, unignored, commands)


def _drift_shown(stack: Stack, plan: PlanResult) -> dict[str, Any] | None:
    """``show -json`` of the saved plan when it reports drift (what drifted, attribute by attribute); else None."""
    if plan.saved is None or not any(c.drift for c in plan.changes):
        return None
    return stack.tf.show_plan(plan.saved)
