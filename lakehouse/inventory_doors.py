"""Kinds that open a door onto the stack's data, logs or events, which exit check 5 found by no listing.

Named like the stack, or untagged, or of a kind the tagging sweep does not list, each of these passed the check
when made by hand; each is a Terraform resource the root could own, so it must be in state:

- Athena data catalogs (ListDataCatalogs, GetDataCatalog): ``aws_athena_data_catalog``, by tag, name prefix, or
  because its parameters name a stack resource (a ``LAMBDA`` catalog whose metadata or record function is the
  stack's, a ``FEDERATED`` one through a stack connection). A federated catalog runs a function over whatever the
  function can read, and queries through it reach the lake beside the workgroups Lake Formation and IAM were
  judged for. ``AwsDataCatalog`` is the account's own Glue catalog.
- Glue connections (GetConnections): ``aws_glue_connection``, by tag or name prefix. A crawler or job using one
  reaches a database or network the plan does not show, with the credentials it holds.
- Glue workflows (ListWorkflows): ``aws_glue_workflow``, by tag or name prefix; a workflow runs its triggers'
  jobs and crawlers (a trigger starting a stack job is ``lakehouse.inventory_kinds``' already).
- CloudWatch Logs resource policies (DescribeResourcePolicies): ``aws_cloudwatch_log_resource_policy``. Account-scoped
  ones by name prefix, or because a ``Resource`` names a stack log group (its ARN, a pattern matching one, or a path
  segment named like the stack: the groups App Runner and SageMaker write for stack resources); a pattern over every
  log group is the account's. A policy scoped to one log group (PutResourcePolicy with ``resourceArn``: ``policyScope``
  ``RESOURCE``, listed only when asked with the group's ARN) is the stack's when the group is: each stack log group is
  asked, and each group AWS services write for a stack resource (``inventory_kinds.service_log_groups``; read after
  the tagging sweep: a function may be the stack's by its tag only). Such a policy lets a service write into, or
  deliver from, the stack's logs. No tags: the tagging sweep never lists one. Policy names are unique per region
  only, so a policy is keyed by its region (or its group) and name: a same-named policy in another region is not
  the state's. State (hashicorp/aws 5.100.0) keeps no region for one:
  its ``region`` attribute where the provider has it (6.x), else the one region its document's log ARNs name, else
  the stack's own region (``log_policy_keys``).
- EventBridge archives (ListArchives): ``aws_cloudwatch_event_archive``, by name prefix or because it archives a
  stack bus (its source ARN is the stack's or named like it). An archive keeps the bus's events (the stack's alerts)
  and replays them into its rules. No tags. Read after the tagging sweep: a stack bus may be known by its tag only.

Keys are ARNs where the kind has tags, so the tagging sweep does not list a tagged one twice. Each listing runs in
every region the inventory reads; a failure is recorded as unreadable by the caller's ``guarded``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lakehouse.inventory_kinds import USES_STACK, named_like_arn, next_token_items, service_log_groups, stack_arns

if TYPE_CHECKING:
    from lakehouse.inventory import _Search

#: The Glue Data Catalog every account has in Athena (type GLUE): the account's, never the stack's.
ACCOUNT_CATALOG = "AwsDataCatalog"
#: A log group name no stack has: a policy pattern matching it covers every group, not the stack's.
_NOBODY = "/~no-stack~"
LOG_POLICY = "aws_cloudwatch_log_resource_policy"
#: How a policy scoped to a stack log group was found.
ON_STACK_GROUP = f"{USES_STACK}: policy scoped to a stack log group"
#: A log ARN's region (``arn:aws:logs:eu-west-1:...``); ``*`` or empty is no region.
_LOGS_REGION = re.compile(r"^arn:[^:]+:logs:([a-z0-9-]+):")

#: How a state entry names what these listings find (``CloudResource.key``), by Terraform type.
STATE_KEY: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "aws_athena_data_catalog": lambda v: v["arn"],
    "aws_glue_connection": lambda v: v["arn"],
    "aws_glue_workflow": lambda v: v["arn"],
    "aws_cloudwatch_event_archive": lambda v: v["arn"],
}


def _arn(search: _Search, service: str, region: str, resource: str) -> str:
    return f"arn:{search.inv.partition}:{service}:{region}:{search.inv.account}:{resource}"


def _how(search: _Search, name: str, tags: Mapping[str, str] | None, uses: Iterable[str]) -> tuple[str, ...]:
    return search.found_by(name, tags) + tuple(f"{USES_STACK}: {u}" for u in sorted(set(uses)))


def _names_stack(search: _Search, text: str, ours: set[str]) -> bool:
    return text in ours or (text.startswith("arn:") and named_like_arn(search, text))


# -- Athena ----------------------------------------------------------------------------------------


def data_catalogs(search: _Search, region: str) -> None:
    """Every Athena data catalog but the account's: by tag, name prefix, or a parameter naming a stack resource."""
    athena = search.target.client("athena", region=region)
    ours = stack_arns(search)
    for summary in _paged(athena, "list_data_catalogs", "DataCatalogsSummary"):
        name = str(summary.get("CatalogName") or "")
        if not name or name == ACCOUNT_CATALOG:
            continue
        arn = _arn(search, "athena", region, f"datacatalog/{name}")
        catalog = athena.get_data_catalog(Name=name).get("DataCatalog") or {}
        params = catalog.get("Parameters") or {}
        # A value may hold several (``metadata-function=<arn>,record-function=<arn>`` as one string).
        values = [(str(k), part.split("=", 1)[-1].strip()) for k, v in params.items() for part in str(v).split(",")]
        uses = [f"{key} {value}" for key, value in values if _names_stack(search, value, ours)]
        tags = search.tags(
            f"data catalog {name}",
            region,
            lambda a=arn: {t["Key"]: t["Value"] for t in next_token_items(_bound(athena, a), "Tags")},
        )
        label = f"{name} ({summary.get('Type') or catalog.get('Type') or '?'})"
        search.add("aws_athena_data_catalog", arn, label, region, _how(search, name, tags, uses))


def _bound(athena: Any, arn: str) -> Callable[..., Any]:
    return lambda **kwargs: athena.list_tags_for_resource(ResourceARN=arn, **kwargs)


# -- Glue ------------------------------------------------------------------------------------------


def glue_connections_and_workflows(search: _Search, region: str) -> None:
    """Glue connections and workflows named like the stack or tagged for it."""
    glue = search.target.client("glue", region=region)

    def tags_of(what: str, name: str) -> dict[str, str] | None:
        arn = _arn(search, "glue", region, f"{what}/{name}")
        return search.tags(
            f"glue {what} {name}", region, lambda: dict(glue.get_tags(ResourceArn=arn).get("Tags") or {})
        )

    for connection in _paged(glue, "get_connections", "ConnectionList", HidePassword=True):
        name = str(connection["Name"])
        how = search.found_by(name, tags_of("connection", name))
        search.add("aws_glue_connection", _arn(search, "glue", region, f"connection/{name}"), name, region, how)
    for name in map(str, _paged(glue, "list_workflows", "Workflows")):
        how = search.found_by(name, tags_of("workflow", name))
        search.add("aws_glue_workflow", _arn(search, "glue", region, f"workflow/{name}"), name, region, how)


# -- CloudWatch Logs -------------------------------------------------------------------------------


def _statements(policy: Any) -> list[Mapping[str, Any]]:
    found = policy.get("Statement") if isinstance(policy, Mapping) else None
    return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, Mapping)]


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def log_policy_uses(search: _Search, region: str, document: str, groups: Iterable[str]) -> list[str]:
    """The stack log groups a Logs resource policy's ``Resource`` names: a stack group's ARN or a pattern matching
    one (``groups``: their names), or a group path with a segment named like the stack."""
    try:
        policy = json.loads(document)
    except ValueError:
        return []
    prefix = _arn(search, "logs", region, "log-group:")
    anyone = (f"{prefix}{_NOBODY}", f"{prefix}{_NOBODY}:*", f"{prefix}{_NOBODY}:log-stream:x")
    uses = []
    for statement in _statements(policy):
        for resource in _strings(statement.get("Resource")):
            if any(fnmatchcase(probe, resource) for probe in anyone):
                continue  # every log group (``*``, ``log-group:*``): the account's policy, not the stack's
            group = resource.split(":log-group:", 1)[-1].split(":", 1)[0] if ":log-group:" in resource else ""
            if group and any(search.names_stack(part) for part in group.split("/") if part):
                uses.append(f"log group {group}")
                continue
            uses += [
                f"log group {g}"
                for g in groups
                if any(fnmatchcase(f"{prefix}{g}{tail}", resource) for tail in ("", ":*", ":log-stream:x"))
            ]
    return uses


def log_policy_key(region: str, name: str, group_arn: str = "") -> str:
    """How a Logs resource policy is keyed: by its log group's ARN when scoped to one, else by its region, and its
    name (unique per region, or per group)."""
    return f"{group_arn or region} {name}"


def log_resource_policies(search: _Search, region: str) -> None:
    """Account-level Logs resource policies named like the stack or naming a stack log group, and every policy
    scoped to a stack log group; the groups AWS services write for stack resources (``service_log_groups``) count
    as the stack's: they hold its logs."""
    logs = search.target.client("logs", region=region)
    stack_groups = {r.key: r.name for r in search.inv.of_kind("aws_cloudwatch_log_group") if r.region == region}
    stack_groups |= {arn: name for name, arn in service_log_groups(search, region).items()}
    groups = list(stack_groups.values())
    for policy in _paged(logs, "describe_resource_policies", "resourcePolicies"):
        name = str(policy.get("policyName") or "")
        uses = log_policy_uses(search, region, str(policy.get("policyDocument") or ""), groups)
        search.add(LOG_POLICY, log_policy_key(region, name), name, region, _how(search, name, None, uses))
    for arn, group in sorted(stack_groups.items()):
        try:
            scoped = list(
                _paged(logs, "describe_resource_policies", "resourcePolicies", resourceArn=arn, policyScope="RESOURCE")
            )
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                continue  # the group was deleted since it was listed: no policy on it
            raise
        for policy in scoped:
            name = str(policy.get("policyName") or "")
            attached = str(policy.get("resourceArn") or arn).removesuffix(":*")
            search.add(
                LOG_POLICY, log_policy_key(region, name, attached), f"{name} on {group}", region, (ON_STACK_GROUP,)
            )


def log_policy_keys(state: Iterable[Mapping[str, Any]], home: str) -> set[tuple[str, str]]:
    """(kind, key) of every Logs resource policy in state (``terraform show -json`` resources), keyed as the
    listing keys them. Its region: the ``region`` attribute (hashicorp/aws 6.x), else the one region its document's
    log ARNs name (a policy grants on its own region's groups only), else ``home`` (the stack's region)."""
    keys = set()
    for res in state:
        if res.get("type") != LOG_POLICY:
            continue
        values = res.get("values") or {}
        name = str(values.get("policy_name") or "")
        region = str(values.get("region") or "") or _document_region(str(values.get("policy_document") or "")) or home
        keys.add((LOG_POLICY, log_policy_key(region, name, str(values.get("resource_arn") or "").removesuffix(":*"))))
    return keys


def _document_region(document: str) -> str:
    """The one region a policy document's log ARNs name (empty: none, or several)."""
    try:
        policy = json.loads(document)
    except ValueError:
        return ""
    found = {
        m.group(1)
        for statement in _statements(policy)
        for resource in _strings(statement.get("Resource"))
        if (m := _LOGS_REGION.match(resource))
    }
    return found.pop() if len(found) == 1 else ""


# -- EventBridge -----------------------------------------------------------------------------------


def event_archives(search: _Search, region: str) -> None:
    """Archives named like the stack or archiving a stack bus."""
    events = search.target.client("events", region=region)
    ours = stack_arns(search)
    for archive in next_token_items(events.list_archives, "Archives"):
        name = str(archive["ArchiveName"])
        source = str(archive.get("EventSourceArn") or "")
        uses = [f"bus {source}"] if source and _names_stack(search, source, ours) else []
        arn = _arn(search, "events", region, f"archive/{name}")
        search.add("aws_cloudwatch_event_archive", arn, f"{name} of {source}", region, _how(search, name, None, uses))


def _paged(client: Any, operation: str, key: str, **kwargs: Any) -> Iterable[Any]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key) or []
