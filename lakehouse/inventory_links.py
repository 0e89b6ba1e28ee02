"""What belongs to the stack by what it is attached to, whatever its name or tags.

Exit check 5 finds most things by the stack's tag or name prefix. These kinds are found by their link to a
resource the stack owns (``uses the stack: <what>``, as schedules, alarms and attached policies are), so an
untagged one named by a person is found too, and each is a Terraform resource of its own that must be in state:

- Lambda event source mappings of any source type (ListEventSourceMappings, every mapping of the region):
  ``aws_lambda_event_source_mapping``, when the source is a stack queue, or a Kinesis stream, DynamoDB table
  stream, MSK cluster, MQ broker or DocumentDB cluster the stack tagged or named; when the function it feeds
  (self-managed Kafka has no source ARN), the secret it reads its source with (``SourceAccessConfigurations``) or
  its on-failure destination is the stack's. One made by hand drains the alert inbox into a
  function, so the alerts exit check 7 counts are consumed before anyone reads them, and nothing in state says so.
- IAM instance profiles holding a stack role (ListInstanceProfiles; GetInstanceProfile for tags):
  ``aws_iam_instance_profile``. A profile lets any EC2 instance act as the role; destroy leaves the profile.
- Budgets actions of the account (DescribeBudgetActionsForAccount, read after the tagging sweep):
  ``aws_budgets_budget_action``, on a stack budget, or on any budget when they apply a policy to a stack role or
  user, or to a group named for the stack or holding a stack user (GetGroup), apply a stack policy, attach an SCP
  named or tagged for the stack (``APPLY_SCP_POLICY``), stop EC2 or RDS instances tagged for the stack or (RDS)
  named like it (``RUN_SSM_DOCUMENTS``), or run as a stack role. An action applies an IAM or SCP policy, or stops
  instances, when its budget is crossed.
- Glue table optimizers (compaction, snapshot retention, orphan file deletion) of a stack Iceberg table: of a
  stack database, or tagged for the stack in any other
  (GetTableOptimizer of each type): ``aws_glue_catalog_table_optimizer``. They rewrite and delete the table's files.
- EventBridge Pipes (ListPipes, DescribePipe for the role, enrichment and tags): ``aws_pipes_pipe``, when its
  source, enrichment or target is the stack's (a stack queue, or a stream, table, topic, function, bus... the stack
  tagged or named; a DynamoDB stream is its table's) or it runs as a stack role. A pipe is an event source mapping
  by another service: one made by hand on the alert inbox consumes every alert and forwards it anywhere, with a
  person's name and no tag, and the mapping listing never shows it. Read after the tagging sweep, as mappings are.
- S3 Access Grants (S3 Control ListAccessGrantsInstances/-Locations/ListAccessGrants, in each region the inventory
  reads): ``aws_s3control_access_grants_location`` whose scope lies in a stack bucket (or is read with a stack role),
  and ``aws_s3control_access_grant`` whose scope lies in a stack bucket, that sits in such a location, or that is
  granted to a stack role or user. S3 vends credentials for a grant around the bucket's IAM and Lake Formation
  setup, and the grant is in no plan. The account's instance, and a location or grant over every bucket (``s3://``,
  ``s3://*``), are the account's, not the stack's (as a catalog policy on ``*`` is).
- The Glue Data Catalog's resource policy (GetResourcePolicy), when it names a stack database or table (an
  ARN of one, or a pattern naming one, such as ``table/<stack db>/*``; ``*`` or ``database/*`` covers every
  database and is the account's, not the stack's) or a stack role:
  ``aws_glue_resource_policy``. One per catalog and region; it decides who outside the account reads the lake.
- Queues outside the stack that dead-letter into a stack queue (ListDeadLetterSourceQueues of each stack queue):
  ``aws_sqs_queue_redrive_policy`` (or the source queue's own ``redrive_policy``), keyed ``<source URL> -> <stack
  queue ARN>`` (``lakehouse.queue_redrive``). SQS moves every message received too often there into the stack's
  queue, so a hand-made one writes into the alert inbox; a stack queue's own redrive is judged as its setting.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from fnmatch import fnmatchcase
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.arns import arn_name, arn_service
from lakehouse.checks.s3_routes import s3control
from lakehouse.inventory_kinds import (
    TAGGED,
    USES_STACK,
    in_region,
    named_like_arn,
    next_token_items,
    stack_arns,
    stack_roles,
)
from lakehouse.queue_redrive import REDRIVE_POLICY, dead_letter_target, redrive_key

if TYPE_CHECKING:
    from lakehouse.inventory import _Search

#: The table optimizer types Glue has (botocore's ``TableOptimizerType``).
OPTIMIZER_TYPES = ("compaction", "retention", "orphan_file_deletion")
#: What Glue answers for an optimizer a table does not have, and for a catalog without a resource policy.
_NONE_THERE = "EntityNotFoundException"
#: What Organizations answers for a policy that is not there, and in an account of no organization (no SCP).
_NO_SUCH_POLICY = ("PolicyNotFoundException", "AWSOrganizationsNotInUseException")


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
    "aws_pipes_pipe": lambda v: v["arn"],
    "aws_s3control_access_grants_location": lambda v: v["access_grants_location_arn"],
    "aws_s3control_access_grant": lambda v: v["access_grant_arn"],
    # A queue's own redrive_policy counts as well (``queue_redrive.redrive_keys``, added by checks.iac).
    REDRIVE_POLICY: lambda v: redrive_key(str(v["queue_url"]), dead_letter_target(str(v.get("redrive_policy") or ""))),
}


def _uses(what: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{USES_STACK}: {w}" for w in sorted(set(what)))


def _function(arn: str) -> str:
    """A function ARN without its version or alias qualifier (``...:function:<name>[:<qualifier>]``)."""
    return ":".join(arn.split(":")[:7])


def _source_label(mapping: Mapping[str, Any]) -> str:
    """What a mapping reads: its source's name (a queue, stream, table stream, cluster or broker), or the
    bootstrap servers of a self-managed Kafka cluster (which has no ARN)."""
    source = str(mapping.get("EventSourceArn") or "")
    if source:
        return arn_name(source)
    servers = ((mapping.get("SelfManagedEventSource") or {}).get("Endpoints") or {}).get("KAFKA_BOOTSTRAP_SERVERS")
    return f"Kafka {','.join(servers or ['?'])}"


def _mapping_uses(search: _Search, mapping: Mapping[str, Any], region: str, ours: set[str]) -> list[str]:
    """The stack things one event source mapping links: its source (a stack queue, a stream, DynamoDB table,
    MSK cluster or MQ broker the stack tagged or named), the function it feeds, its on-failure destination.

    ``ours``: ARNs of what the search found so far, the tagging sweep's included (any service)."""
    queues = {q.key: q.name for q in search.inv.of_kind("aws_sqs_queue") if q.region == region}
    uses = []
    source = str(mapping.get("EventSourceArn") or "")
    if source in queues:
        uses.append(f"queue {queues[source]}")
    elif source and (source.split("/stream/", 1)[0] in ours or named_like_arn(search, source)):
        uses.append(f"source {source}")  # a DynamoDB stream is its table's (``table/<name>/stream/<label>``)
    function = _function(str(mapping.get("FunctionArn") or ""))
    if function in ours or search.names_stack(function.rsplit(":", 1)[-1]):
        uses.append(f"function {function.rsplit(':', 1)[-1]}")
    on_failure = str(((mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination") or "")
    if on_failure and (on_failure in ours or named_like_arn(search, on_failure)):
        uses.append(f"on-failure destination {on_failure}")
    uses += _secrets_used(search, mapping, ours)
    return uses


def _secrets_used(search: _Search, mapping: Mapping[str, Any], ours: set[str]) -> list[str]:
    """The stack secrets a mapping reads its source with (``SourceAccessConfigurations``: a Kafka, MQ or DocumentDB
    source's credentials or certificates, a Secrets Manager ARN, whole or without its random suffix, as Lambda
    takes it), tagged or named for the stack: self-managed Kafka has no source ARN, and its secret may be the only
    thing of the stack it names."""
    used = []
    for access in mapping.get("SourceAccessConfigurations") or []:
        uri = str(access.get("URI") or "")
        if arn_service(uri) != "secretsmanager":  # VPC_SUBNET, VPC_SECURITY_GROUP: not ARNs
            continue
        if uri in ours or any(arn.startswith(f"{uri}-") for arn in ours) or named_like_arn(search, uri):
            used.append(f"{access.get('Type') or 'access'} secret {uri}")
    return used


def event_source_mappings(search: _Search, region: str) -> None:
    """Every event source mapping of ``region`` (any source type: SQS, Kinesis, DynamoDB streams, MSK,
    self-managed Kafka, MQ, DocumentDB) whose source, function or failure destination is the stack's, or that
    carries the stack's tag. Run after the tagging sweep: a stack stream or function is known by its tag only;
    the sweep's entry for a tagged mapping becomes this typed one."""
    client = search.target.client("lambda", region=region)
    ours = stack_arns(search)
    swept = {r.key: r for r in search.inv.of_kind(TAGGED)}
    for page in client.get_paginator("list_event_source_mappings").paginate():
        for mapping in page.get("EventSourceMappings") or []:
            uuid, function = str(mapping["UUID"]), str(mapping.get("FunctionArn") or "")
            arn = str(mapping.get("EventSourceMappingArn") or _esm_arn({"function_arn": function, "uuid": uuid}))
            tagged = swept.get(arn)
            how = (tagged.found_by if tagged else ()) + _uses(_mapping_uses(search, mapping, region, ours))
            if tagged:
                search.inv.resources.remove(tagged)
            name = f"{uuid}: {_source_label(mapping)} -> {function.split(':function:', 1)[-1]}"
            search.add("aws_lambda_event_source_mapping", arn, name, region, how)


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


def _group_users(iam: Any, group: str) -> list[str]:
    """The users of an IAM group (GetGroup, paged by ``Marker``); none for a group that does not exist."""
    users: list[str] = []
    marker: dict[str, str] = {}
    while True:
        try:
            page = iam.get_group(GroupName=group, **marker)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "NoSuchEntity":
                return users
            raise
        users += [str(u.get("UserName")) for u in page.get("Users") or []]
        if page.get("IsTruncated") is not True or not page.get("Marker"):
            return users
        marker = {"Marker": str(page["Marker"])}


def _groups_used(search: _Search, groups: Iterable[Any], users: set[str]) -> list[str]:
    """The groups of a budget action's IAM definition that are the stack's: named for it (a group has no tags),
    or holding a stack user, whom a policy attached to the group binds as if attached to the user."""
    iam = search.target.client("iam")
    found = []
    for name in sorted({str(g).rsplit("/", 1)[-1] for g in groups}):  # ``[path/]name``, as roles and users
        held = sorted(set(_group_users(iam, name)) & users)
        if search.names_stack(name) or held:
            found.append(f"group {name}" + (f" (holding stack user {', '.join(held)})" if held else ""))
    return found


def _scp_used(search: _Search, scp: Mapping[str, Any], region: str) -> list[str]:
    """The stack's Organizations policy an SCP definition attaches (``ScpActionDefinition.PolicyId``) to its
    targets when the budget is crossed: named like the stack or carrying its tag (Organizations DescribePolicy,
    ListTagsForResource). A policy that is gone, or an account in no organization, has none to link; a read that
    fails is recorded (``_Search.tags``), not taken for "not the stack's"."""
    policy_id = str(scp.get("PolicyId") or "")
    if not policy_id:
        return []
    orgs = search.target.client("organizations")
    try:
        summary = orgs.describe_policy(PolicyId=policy_id)["Policy"]["PolicySummary"]
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") not in _NO_SUCH_POLICY:
            search.unreadable(f"organizations DescribePolicy of {policy_id}", region, err)
        return []
    except BotoCoreError as err:
        search.unreadable(f"organizations DescribePolicy of {policy_id}", region, err)
        return []
    name = str(summary.get("Name") or "")
    tags = search.tags(f"Organizations policy {policy_id}", region, _organizations_tags, orgs, policy_id)
    return [f"SCP {name} ({policy_id})"] if search.found_by(name, tags) else []


def _organizations_tags(orgs: Any, resource_id: str) -> dict[str, str]:
    """An Organizations resource's tags (ListTagsForResource, every page)."""
    pages = orgs.get_paginator("list_tags_for_resource").paginate(ResourceId=resource_id)
    return {str(t["Key"]): str(t.get("Value", "")) for page in pages for t in page.get("Tags") or []}


def _instances_stopped(search: _Search, ssm: Mapping[str, Any]) -> list[str]:
    """The stack's EC2 or RDS instances an SSM definition stops (``SsmActionDefinition``: ``ActionSubType``,
    ``Region``, ``InstanceIds``; an RDS instance is named by its identifier): tagged for the stack (the tagging
    sweep's ARNs, any region) or, for RDS, whose identifier is named like it. An EC2 instance id names nothing."""
    region, rds = str(ssm.get("Region") or ""), ssm.get("ActionSubType") == "STOP_RDS_INSTANCES"
    where = f"arn:{search.inv.partition}:{'rds' if rds else 'ec2'}:{region}:{search.inv.account}"
    ours = stack_arns(search)
    found = []
    for instance in (str(i) for i in ssm.get("InstanceIds") or []):
        arn = f"{where}:db:{instance}" if rds else f"{where}:instance/{instance}"
        if arn in ours or (rds and search.names_stack(instance)):
            found.append(f"{'RDS' if rds else 'EC2'} instance {instance} ({region})")
    return found


def _action_uses(search: _Search, action: Mapping[str, Any], budgets: set[str], region: str) -> list[str]:
    """The stack things one budget action links: the stack budget it belongs to, the stack roles, users, groups
    (:func:`_groups_used`) or customer-managed policy its IAM definition applies (``IamActionDefinition``: the
    policy is attached to them when the budget is crossed), the stack SCP its SCP definition attaches
    (:func:`_scp_used`), the stack instances its SSM definition stops (:func:`_instances_stopped`), and the stack
    role it runs as (``ExecutionRoleArn``)."""
    uses = [f"budget {action.get('BudgetName')}"] if action.get("BudgetName") in budgets else []
    definition = action.get("Definition") or {}
    uses += _scp_used(search, definition.get("ScpActionDefinition") or {}, region)
    uses += _instances_stopped(search, definition.get("SsmActionDefinition") or {})
    iam = definition.get("IamActionDefinition") or {}
    roles, users = stack_roles(search), {r.name for r in search.inv.of_kind("aws_iam_user")}
    # Roles and users are names, with their IAM path or without (the API's pattern: ``[path/]name``).
    named = [(f"role {n}", n in roles) for n in (str(r).rsplit("/", 1)[-1] for r in iam.get("Roles") or [])]
    named += [(f"user {n}", n in users) for n in (str(u).rsplit("/", 1)[-1] for u in iam.get("Users") or [])]
    uses += [what for what, ours in named if ours]
    uses += _groups_used(search, iam.get("Groups") or [], users)
    if iam.get("PolicyArn") in {r.key for r in search.inv.of_kind("aws_iam_policy")}:
        uses.append(f"policy {iam['PolicyArn']}")
    runs_as = str(action.get("ExecutionRoleArn") or "").rsplit("/", 1)[-1]
    uses += [f"execution role {runs_as}"] if runs_as in roles else []
    return uses


def budget_actions(search: _Search, region: str) -> None:
    """Every budget action of the account (Budgets is account-wide) that belongs to a stack budget, or, on any
    budget, applies a policy to a stack role, user or group, applies a stack policy or SCP, stops a stack instance,
    or runs as a stack role: an action on someone else's budget that attaches a deny-all policy to the pipeline role
    (or to a group of a stack user) stops the stack when that budget is crossed, and destroy leaves it. Run after
    the tagging sweep: a stack instance is known by its tag only."""
    client = search.target.client("budgets")
    budgets = {b.name for b in search.inv.of_kind("aws_budgets_budget")}
    paged = client.get_paginator("describe_budget_actions_for_account").paginate(AccountId=search.inv.account)
    for action in (a for page in paged for a in page.get("Actions") or []):
        budget, action_id = str(action.get("BudgetName")), str(action["ActionId"])
        name = f"{action.get('ActionType')} action {action_id} on budget {budget}"
        how = _uses(_action_uses(search, action, budgets, region))
        search.add("aws_budgets_budget_action", f"{budget}:{action_id}", name, region, how)


def table_optimizers(search: _Search, region: str) -> None:
    """Every optimizer of every stack Iceberg table in ``region``, of a stack database or tagged for the stack in
    any other (Glue optimizes Iceberg tables only; a view has none): GetTableOptimizer of each type, as the
    provider reads one (``findTableOptimizer``: ``EntityNotFoundException`` is "none of that type")."""
    glue = search.target.client("glue", region=region)
    account = search.inv.account
    iceberg = search.inv.iceberg_tables
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


# -- EventBridge Pipes -----------------------------------------------------------------------------


def _pipe_uses(search: _Search, pipe: Mapping[str, Any], ours: set[str]) -> list[str]:
    """The stack things one pipe links: its source, enrichment and target (an ARN of the stack's, the tagging
    sweep's included, or one named like it; a DynamoDB stream is its table's), and the role it runs as."""
    uses = []
    for what in ("Source", "Enrichment", "Target"):
        linked = str(pipe.get(what) or "")
        if linked and (linked.split("/stream/", 1)[0] in ours or named_like_arn(search, linked)):
            uses.append(f"{what.lower()} {linked}")
    role = str(pipe.get("RoleArn") or "").rsplit("/", 1)[-1]
    uses += [f"role {role}"] if role and role in stack_roles(search) else []
    return uses


def pipes(search: _Search, region: str) -> None:
    """Every EventBridge pipe of ``region`` whose source, enrichment or target is the stack's, that runs as a stack
    role, or that is tagged or named for the stack. ListPipes has no role nor tags: one DescribePipe each (a pipe
    deleted since it was listed is gone, not unreadable). Run after the tagging sweep (a stack stream or function is
    known by its tag only); the sweep's entry for a tagged pipe becomes this typed one."""
    client = search.target.client("pipes", region=region)
    ours = stack_arns(search)
    swept = {r.key: r for r in search.inv.of_kind(TAGGED)}
    for page in client.get_paginator("list_pipes").paginate():
        for listed in page.get("Pipes") or []:
            name, arn = str(listed["Name"]), str(listed["Arn"])
            try:
                pipe = {**listed, **client.describe_pipe(Name=name)}
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") == "NotFoundException":
                    continue
                raise
            tags = {str(k): str(v) for k, v in (pipe.get("Tags") or {}).items()}
            tagged = swept.get(arn)
            if tagged:
                search.inv.resources.remove(tagged)
            how = search.found_by(name, tags) + _uses(_pipe_uses(search, pipe, ours)) or (
                tagged.found_by if tagged else ()
            )
            label = f"{name}: {_pipe_end(pipe.get('Source'))} -> {_pipe_end(pipe.get('Target'))}"
            search.add("aws_pipes_pipe", arn, label, region, how)


def _pipe_end(arn: Any) -> str:
    """A pipe's source or target as a person names it: the resource part of its ARN (``smk://`` Kafka as is)."""
    text = str(arn or "?")
    return arn_name(text) if text.startswith("arn:") else text


# -- S3 Access Grants ------------------------------------------------------------------------------

#: What S3 Control answers for Access Grants calls in a region without an instance.
_NO_GRANTS_INSTANCE = "AccessGrantsInstanceNotExistsError"


def _scope_bucket(scope: str) -> str:
    """The bucket of an Access Grants scope (``s3://bucket/prefix*``); "" for one over every bucket (``s3://``)."""
    bucket = scope.removeprefix("s3://").split("/", 1)[0]
    return "" if "*" in bucket else bucket


def access_grants(search: _Search, region: str) -> None:
    """Access Grants locations and grants of ``region`` that reach a stack bucket (by their scope), are read with or
    granted to a stack role or user, or (grants) sit in a stack location. None without an instance in the region."""
    control = s3control(search.target, region)
    try:
        _stack_access_grants(search, region, control)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") != _NO_GRANTS_INSTANCE:
            raise  # else the instance was deleted since it was listed, and its grants with it


def _stack_access_grants(search: _Search, region: str, control: Any) -> None:
    account = search.inv.account
    listing = partial(control.list_access_grants_instances, AccountId=account)
    if not list(next_token_items(listing, "AccessGrantsInstancesList")):
        return
    buckets = {r.name for r in search.inv.of_kind("aws_s3_bucket")}
    principals = {
        (kind.removeprefix("aws_iam_"), r.name)
        for kind in ("aws_iam_role", "aws_iam_user")
        for r in search.inv.of_kind(kind)
    }

    def bucket_used(scope: str) -> list[str]:
        bucket = _scope_bucket(scope)
        return [f"bucket {bucket}"] if bucket and (bucket in buckets or search.names_stack(bucket)) else []

    def principal_used(arn: str) -> list[str]:
        kind, _, name = arn.split(":", 5)[-1].partition("/")
        name = name.rsplit("/", 1)[-1]
        return [f"{kind} {name}"] if arn.startswith("arn:") and (kind, name) in principals else []

    stack_locations: set[str] = set()
    locations = partial(control.list_access_grants_locations, AccountId=account)
    for location in next_token_items(locations, "AccessGrantsLocationsList"):
        scope = str(location.get("LocationScope") or "")
        uses = bucket_used(scope) + principal_used(str(location.get("IAMRoleArn") or ""))
        label = f"{location.get('AccessGrantsLocationId')} on {scope}"
        arn = str(location.get("AccessGrantsLocationArn"))
        if search.add("aws_s3control_access_grants_location", arn, label, region, _uses(uses)):
            stack_locations.add(str(location.get("AccessGrantsLocationId")))
    for grant in next_token_items(partial(control.list_access_grants, AccountId=account), "AccessGrantsList"):
        scope, grantee = str(grant.get("GrantScope") or ""), grant.get("Grantee") or {}
        uses = bucket_used(scope)
        if grantee.get("GranteeType") == "IAM":
            uses += principal_used(str(grantee.get("GranteeIdentifier") or ""))
        if grant.get("AccessGrantsLocationId") in stack_locations:
            uses.append(f"location {grant['AccessGrantsLocationId']}")
        who = f"{grantee.get('GranteeType')} {grantee.get('GranteeIdentifier')}"
        label = f"{grant.get('AccessGrantId')}: {grant.get('Permission')} on {scope} to {who}"
        search.add("aws_s3control_access_grant", str(grant.get("AccessGrantArn")), label, region, _uses(uses))


# -- SQS dead-letter sources -----------------------------------------------------------------------

#: What SQS answers for a queue deleted since it was listed (query and JSON protocols).
_GONE_QUEUE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def dead_letter_sources(search: _Search, region: str) -> None:
    """Every queue of ``region`` that is not the stack's and dead-letters into a stack queue (SQS keeps a dead-letter
    queue in its source's account and region). Run after the queues of ``region`` and their redrive settings."""
    sqs = search.target.client("sqs", region=region)
    stack = {read.url: (arn, read.name) for arn, read in search.inv.queue_redrives.items()}
    for url, (arn, name) in sorted(stack.items()):
        try:
            sources = [
                str(u)
                for page in sqs.get_paginator("list_dead_letter_source_queues").paginate(QueueUrl=url)
                for u in page.get("queueUrls") or []
            ]
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _GONE_QUEUE:
                continue  # deleted since it was listed: nothing dead-letters into it
            raise
        for source in (s for s in sources if s not in stack):
            label = f"{source.rsplit('/', 1)[-1]} dead-letters into {name}"
            search.add(REDRIVE_POLICY, redrive_key(source, arn), label, region, _uses([f"dead-letter queue {name}"]))
