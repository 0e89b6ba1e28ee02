"""What belongs to the stack by what it is attached to, whatever its name or tags.

Exit check 5 finds most things by the stack's tag or name prefix. These kinds are found by their link to a
resource the stack owns (``uses the stack: <what>``, as schedules, alarms and attached policies are), so an
untagged one named by a person is found too, and each is a Terraform resource of its own that must be in state:

- Lambda event source mappings reading a stack queue (ListEventSourceMappings by the queue's ARN):
  ``aws_lambda_event_source_mapping``. One made by hand drains the alert inbox into a function, so the
  alerts exit check 7 counts are consumed before anyone reads them, and nothing in state says so.
- IAM instance profiles holding a stack role (ListInstanceProfiles; GetInstanceProfile for tags):
  ``aws_iam_instance_profile``. A profile lets any EC2 instance act as the role; destroy leaves the profile.
- Budgets actions on a stack budget (DescribeBudgetActionsForBudget): ``aws_budgets_budget_action``. An
  action applies an IAM or SCP policy, or stops instances, when the budget is crossed.
- Glue table optimizers (compaction, snapshot retention, orphan file deletion) of an Iceberg table of a stack
  database
  (GetTableOptimizer of each type): ``aws_glue_catalog_table_optimizer``. They rewrite and delete the table's files.
- The Glue Data Catalog's resource policy (GetResourcePolicy), when it names a stack database or table (an
  ARN of one, or a pattern naming one, such as ``table/<stack db>/*``; ``*`` or ``database/*`` covers every
  database and is the account's, not the stack's) or a stack role:
  ``aws_glue_resource_policy``. One per catalog and region; it decides who outside the account reads the lake.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lakehouse.inventory_kinds import USES_STACK, in_region, stack_roles

if TYPE_CHECKING:
    from lakehouse.inventory import _Search

#: The table optimizer types Glue has (botocore's ``TableOptimizerType``).
OPTIMIZER_TYPES = ("compaction", "retention", "orphan_file_deletion")
#: What Glue answers for an optimizer a table does not have, and for a catalog without a resource policy.
_NONE_THERE = "EntityNotFoundException"


def _esm_arn(values: Mapping[str, Any]) -> str:
    """An event source mapping's ARN as state holds it (``arn``), or built from its function's region and
    account and its ``uuid`` (the form AWS gives: ``arn:aws:lambda:<region>:<account>:event-source-mapping:<uuid>``)."""
    if values.get("arn"):
        return str(values["arn"])
    return ":".join(str(values["function_arn"]).split(":")[:5]) + f":event-source-mapping:{values['uuid']}"


#: How a state entry names what these listings find (``CloudResource.key``), by Terraform type.
STATE_KEY: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "aws_lambda_event_source_mapping": _esm_arn,
    "aws_iam_instance_profile": lambda v: v["name"],
    "aws_budgets_budget_action": lambda v: f"{v['budget_name']}:{v['action_id']}",
    "aws_glue_catalog_table_optimizer": lambda v: "{}:{}.{}:{}".format(
        v["catalog_id"], v["database_name"], v["table_name"], v["type"]
    ),
    "aws_glue_resource_policy": lambda v: f"catalog policy {v.get('region') or v['id']}",
}


def _uses(what: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{USES_STACK}: {w}" for w in sorted(set(what)))


def event_source_mappings(search: _Search, region: str) -> None:
    """Event source mappings whose source is a stack queue of ``region``, whatever function they feed."""
    client = search.target.client("lambda", region=region)
    for queue in search.inv.of_kind("aws_sqs_queue"):
        if queue.region != region:
            continue
        paged = client.get_paginator("list_event_source_mappings").paginate(EventSourceArn=queue.key)
        for mapping in (m for page in paged for m in page.get("EventSourceMappings") or []):
            uuid, function = str(mapping["UUID"]), str(mapping.get("FunctionArn") or "")
            arn = str(mapping.get("EventSourceMappingArn") or _esm_arn({"function_arn": function, "uuid": uuid}))
            name = f"{uuid}: {queue.name} -> {function.split(':function:', 1)[-1]}"
            search.add("aws_lambda_event_source_mapping", arn, name, region, _uses([f"queue {queue.name}"]))


def instance_profiles(search: _Search, region: str) -> None:
    """Instance profiles holding a stack role, or tagged or named for the stack (IAM is account-wide)."""
    iam = search.target.client("iam")
    roles = stack_roles(search)
    for page in iam.get_paginator("list_instance_profiles").paginate():
        for profile in page.get("InstanceProfiles") or []:
            name = str(profile["InstanceProfileName"])
            held = [f"role {r['RoleName']}" for r in profile.get("Roles") or [] if r.get("RoleName") in roles]
            tags = search.tags(  # ListInstanceProfiles answers no tags
                f"instance profile {name}",
                region,
                lambda n=name: {
                    str(t["Key"]): str(t.get("Value", ""))
                    for t in iam.get_instance_profile(InstanceProfileName=n)["InstanceProfile"].get("Tags") or []
                },
            )
            search.add("aws_iam_instance_profile", name, name, region, search.found_by(name, tags) + _uses(held))


def budget_actions(search: _Search, region: str) -> None:
    """The actions of every stack budget (Budgets is account-wide)."""
    budgets = search.target.client("budgets")
    for budget in search.inv.of_kind("aws_budgets_budget"):
        paged = budgets.get_paginator("describe_budget_actions_for_budget").paginate(
            AccountId=search.inv.account, BudgetName=budget.name
        )
        for action in (a for page in paged for a in page.get("Actions") or []):
            action_id = str(action["ActionId"])
            name = f"{action.get('ActionType')} action {action_id} on budget {budget.name}"
            search.add(
                "aws_budgets_budget_action",
                f"{budget.name}:{action_id}",
                name,
                region,
                _uses([f"budget {budget.name}"]),
            )


def table_optimizers(search: _Search, region: str) -> None:
    """Every optimizer of every Iceberg table of the stack's databases in ``region`` (Glue optimizes Iceberg
    tables only; a view has none): GetTableOptimizer of each type, as the provider reads one
    (``findTableOptimizer``: ``EntityNotFoundException`` is "none of that type")."""
    glue = search.target.client("glue", region=region)
    account = search.inv.account
    iceberg = {name for name, where in search.inv.table_locations.items() if where.metadata_location}
    for table in (t for t in in_region(search, "aws_glue_catalog_table", region) if t in iceberg):
        database, name = table.split(".", 1)
        for kind in OPTIMIZER_TYPES:
            try:
                glue.get_table_optimizer(CatalogId=account, DatabaseName=database, TableName=name, Type=kind)
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") == _NONE_THERE:
                    continue
                raise
            key = f"{account}:{table}:{kind}"
            label = f"{kind} optimizer of {table}"
            search.add("aws_glue_catalog_table_optimizer", key, label, region, _uses([f"table {table}"]))


def _statements(policy: Any) -> list[Mapping[str, Any]]:
    found = policy.get("Statement") if isinstance(policy, Mapping) else None
    return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, Mapping)]


def _strings(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


#: A database and table name no stack has: a policy pattern matching it names everyone's, not the stack's.
_NOBODY = "~no-stack~"


def catalog_policy_uses(search: _Search, region: str, policy_json: str) -> list[str]:
    """The stack databases, tables and roles a Glue catalog policy names (``Resource`` ARNs or patterns
    matching one; ``Principal`` ARNs of stack roles)."""
    try:
        policy = json.loads(policy_json)
    except ValueError:
        return []
    arn = f"arn:{search.inv.partition}:glue:{region}:{search.inv.account}"
    tables = in_region(search, "aws_glue_catalog_table", region)
    ours = {f"{arn}:database/{d}": f"database {d}" for d in in_region(search, "aws_glue_catalog_database", region)}
    ours |= {f"{arn}:table/{t.replace('.', '/', 1)}": f"table {t}" for t in tables}
    roles = stack_roles(search)
    # A pattern matching any database (``*``, ``database/*``) covers the stack without naming it: in a shared account
    # it is the account's policy, not the stack's (what it shares is exit check 6's question, not ownership).
    anyone = (f"{arn}:database/{_NOBODY}", f"{arn}:table/{_NOBODY}/{_NOBODY}")
    uses = []
    for statement in _statements(policy):
        for resource in _strings(statement.get("Resource")):
            if any(fnmatchcase(probe, resource) for probe in anyone):
                continue
            uses += [what for target, what in ours.items() if fnmatchcase(target, resource)]
        for principal in _strings(statement.get("Principal")):
            if f":{search.inv.account}:role/" in principal and principal.rsplit("/", 1)[-1] in roles:
                uses.append(f"role {principal.rsplit('/', 1)[-1]}")
    return uses


def glue_resource_policy(search: _Search, region: str) -> None:
    """The Data Catalog's resource policy of ``region``, when it names something of the stack."""
    glue = search.target.client("glue", region=region)
    try:
        answer = glue.get_resource_policy()
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") == _NONE_THERE:
            return  # the catalog has no policy
        raise
    text = str(answer.get("PolicyInJson") or "")
    uses = catalog_policy_uses(search, region, text) if text else []
    if uses:
        key = f"catalog policy {region}"
        search.add("aws_glue_resource_policy", key, f"Data Catalog policy of {region}", region, _uses(uses))
