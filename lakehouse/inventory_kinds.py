"""Kinds exit check 5 must find though they carry no tag, or hang off the stack without its name.

The tagging sweep finds a *tagged* Glue crawler, EventBridge rule, log group or KMS key of any
name. These listings find the rest, each a Terraform resource the root could own:

- Athena named queries and prepared statements (``aws_athena_named_query``,
  ``aws_athena_prepared_statement``): no tags. Every one in a stack workgroup
  (``contents of a stack workgroup``), and, in any other workgroup (``primary``, AWS's own, holds
  the account's queries), those named like the stack.
- Glue crawlers, jobs and triggers: by tag or name prefix, and whatever their name when they
  ``use the stack``: a crawler writing to or reading a stack database, or crawling a stack bucket;
  a crawler or job running as a stack role; a job whose script lies in a stack bucket; a trigger
  starting a stack crawler or job.
- EventBridge rules (``aws_cloudwatch_event_rule``) on every bus, by tag or name prefix, or because
  a target delivers to the stack (a stack topic, queue, role or ARN named like the stack), and
  every target of a stack rule (``aws_cloudwatch_event_target``: a rule forwarding to another
  account's bus is drift no plan shows when the rule is hand-made). Rules an AWS service manages
  (``ManagedBy``) are AWS's own.
- CloudWatch Logs: log groups by tag or a path segment named like the stack; metric and
  subscription filters on those and on the log groups AWS services write for stack resources
  (``service_log_groups``: ``/aws/lambda/<stack function>``, ``/aws/apprunner/<stack service>/...``,
  ``/aws/sagemaker/Endpoints/<stack endpoint>``, or any service group with a path segment named like
  the stack). Those groups are AWS's own and not judged, but they hold the stack's logs and no service
  adds a filter to them (a subscription filter ships the logs elsewhere). Filter names are unique per
  log group, and a log group's name per region, so a filter is keyed by region, group and name
  (``filter_key``): a same-named filter on a same-named group in another region is not the state's.
- KMS aliases named ``alias/<stack prefix>...`` and the customer-managed keys they point to
  (tagged keys the sweep finds; AWS-managed keys and keys pending deletion are not judged).

Keys are ARNs where the kind has tags, so the tagging sweep does not list a tagged one twice. Each
listing runs in every region the inventory reads (``Inventory.regions``); a failure is
recorded as unreadable by the caller's ``guarded``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from lakehouse.arns import arn_kind, arn_region

if TYPE_CHECKING:
    from lakehouse.inventory import _Search

IN_STACK_WORKGROUP = "contents of a stack workgroup"
USES_STACK = "uses the stack"
OF_STACK_RULE = "targets of a stack rule"
ON_STACK_LOGS = "filters on stack logs"
OF_STACK_ALIAS = "key of a stack alias"
#: Kind of what only the tagging sweep found (any service): compared with state by ARN.
TAGGED = "tagged resource"

#: BatchGetNamedQuery takes at most 50 ids.
NAMED_QUERY_BATCH = 50
#: Log group names AWS services create and write themselves (never judged as log groups).
SERVICE_LOG_GROUPS = ("/aws/", "/aws-glue/", "sns/", "API-Gateway-Execution-Logs_")
#: Where AWS services write the logs of one resource: group name prefix -> the Terraform type of that resource
#: (its name is the next path segment: ``/aws/lambda/<function>``, ``/aws/apprunner/<service>/<id>/application``).
SERVICE_GROUP_OF: Mapping[str, str] = {
    "/aws/lambda/": "aws_lambda_function",
    "/aws/apprunner/": "aws_apprunner_service",
    "/aws/sagemaker/Endpoints/": "aws_sagemaker_endpoint",
}
METRIC_FILTER = "aws_cloudwatch_log_metric_filter"
SUBSCRIPTION_FILTER = "aws_cloudwatch_log_subscription_filter"
#: KMS key states of a key on its way out (a destroyed stack's keys wait 7-30 days in these).
LEAVING_KEY_STATES = ("PendingDeletion", "PendingReplicaDeletion")

#: How a state entry names what these listings find (``CloudResource.key``), by Terraform type.
STATE_KEY: Mapping[str, Callable[[Mapping[str, Any]], str]] = {
    "aws_athena_named_query": lambda v: v["id"],
    "aws_athena_prepared_statement": lambda v: f"{v['workgroup']}/{v['name']}",
    "aws_glue_crawler": lambda v: v["arn"],
    "aws_glue_job": lambda v: v["arn"],
    "aws_glue_trigger": lambda v: v["arn"],
    "aws_cloudwatch_event_rule": lambda v: v["arn"],
    "aws_cloudwatch_event_target": lambda v: "{}/{}/{}".format(
        str(v.get("event_bus_name") or "default").rsplit("/", 1)[-1], v["rule"], v["target_id"]
    ),
    "aws_cloudwatch_log_group": lambda v: v["arn"],
    "aws_kms_alias": lambda v: v["name"],
    "aws_kms_key": lambda v: v["arn"],
}


def next_token_items(operation: Callable[..., Any], key: str) -> Iterator[Any]:
    """Items of a NextToken-paged listing botocore has no paginator for (a token that is no string ends it)."""
    kwargs: dict[str, str] = {}
    while True:
        page = operation(**kwargs)
        yield from page.get(key) or []
        token = page.get("NextToken")
        if not isinstance(token, str) or not token:
            return
        kwargs = {"NextToken": token}


def _paged(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key) or []


def _arn(search: _Search, service: str, region: str, resource: str) -> str:
    return f"arn:{search.inv.partition}:{service}:{region}:{search.inv.account}:{resource}"


def in_region(search: _Search, kind: str, region: str) -> list[str]:
    return [r.name for r in search.inv.of_kind(kind) if r.region == region]


def _stack_buckets(search: _Search) -> set[str]:
    return {r.name for r in search.inv.of_kind("aws_s3_bucket")}


def stack_roles(search: _Search) -> set[str]:
    return {r.name for r in search.inv.of_kind("aws_iam_role")}


def _role_name(role: str) -> str:
    """A role as Glue keeps it (a name or an ARN with a path) -> its name."""
    return role.rsplit("/", 1)[-1] if role.startswith("arn:") else role


def _bucket_of(uri: str) -> str:
    return uri.split("://", 1)[-1].split("/", 1)[0] if "://" in uri else ""


def _how(search: _Search, name: str, tags: Mapping[str, str] | None, uses: Iterable[str]) -> tuple[str, ...]:
    """How a resource was found: tag / name prefix, then ``uses the stack: <what>`` for each stack thing it uses."""
    return search.found_by(name, tags) + tuple(f"{USES_STACK}: {u}" for u in sorted(set(uses)))


# -- Athena ----------------------------------------------------------------------------------------


def athena_named_queries(search: _Search, region: str) -> None:
    """Every named query and prepared statement of a stack workgroup; those named like the stack in any other."""
    athena = search.target.client("athena", region=region)
    stack_groups = set(in_region(search, "aws_athena_workgroup", region))
    groups = [str(g["Name"]) for g in next_token_items(athena.list_work_groups, "WorkGroups")]
    for group in groups:
        ids = list(_paged(athena, "list_named_queries", "NamedQueryIds", WorkGroup=group))
        for start in range(0, len(ids), NAMED_QUERY_BATCH):  # ``primary`` may hold thousands: 50 per call
            answer = athena.batch_get_named_query(NamedQueryIds=ids[start : start + NAMED_QUERY_BATCH])
            for query in answer.get("NamedQueries") or []:
                query_id = str(query["NamedQueryId"])
                name = str(query.get("Name") or query_id)
                how = (IN_STACK_WORKGROUP,) if group in stack_groups else search.found_by(name, None)
                search.add("aws_athena_named_query", query_id, f"{name} in workgroup {group}", region, how)
            for missed in answer.get("UnprocessedNamedQueryIds") or []:
                search.unreadable(
                    f"athena BatchGetNamedQuery {missed.get('NamedQueryId')} of workgroup {group}",
                    region,
                    RuntimeError(f"{missed.get('ErrorCode') or ''} {missed.get('ErrorMessage') or ''}".strip()),
                )
        listed = next_token_items(partial(athena.list_prepared_statements, WorkGroup=group), "PreparedStatements")
        for statement in listed:
            name = str(statement["StatementName"])
            how = (IN_STACK_WORKGROUP,) if group in stack_groups else search.found_by(name, None)
            search.add("aws_athena_prepared_statement", f"{group}/{name}", f"{name} in workgroup {group}", region, how)


# -- Glue ------------------------------------------------------------------------------------------


def _glue_tags(search: _Search, glue: Any, region: str, what: str, name: str) -> dict[str, str] | None:
    arn = _arn(search, "glue", region, f"{what}/{name}")
    return search.tags(f"glue {what} {name}", region, lambda: dict(glue.get_tags(ResourceArn=arn).get("Tags") or {}))


def glue_jobs_and_crawlers(search: _Search, region: str) -> None:
    """Crawlers, jobs and triggers: by tag, name prefix, or the stack databases, buckets, roles and
    crawlers/jobs they use."""
    glue = search.target.client("glue", region=region)
    databases = {d.lower() for d in in_region(search, "aws_glue_catalog_database", region)}
    buckets, roles = _stack_buckets(search), stack_roles(search)
    stack_crawlers: set[str] = set()
    stack_jobs: set[str] = set()
    for crawler in _paged(glue, "get_crawlers", "Crawlers"):
        name = str(crawler["Name"])
        targets = crawler.get("Targets") or {}
        role = _role_name(str(crawler.get("Role") or ""))
        uses = [f"role {role}"] if role in roles else []
        dbs = [str(crawler.get("DatabaseName") or "")]
        dbs += [str(t.get("DatabaseName") or "") for t in targets.get("CatalogTargets") or []]
        uses += [f"database {d}" for d in dbs if d.lower() in databases]
        paths = [str(t.get("Path") or "") for t in targets.get("S3Targets") or []]
        paths += [str(p) for t in targets.get("DeltaTargets") or [] for p in t.get("DeltaTables") or []]
        for kind in ("IcebergTargets", "HudiTargets"):
            paths += [str(p) for t in targets.get(kind) or [] for p in t.get("Paths") or []]
        uses += [f"bucket {_bucket_of(p)}" for p in paths if _bucket_of(p) in buckets]
        tags = _glue_tags(search, glue, region, "crawler", name)
        if search.add(
            "aws_glue_crawler",
            _arn(search, "glue", region, f"crawler/{name}"),
            name,
            region,
            _how(search, name, tags, uses),
        ):
            stack_crawlers.add(name)
    for job in _paged(glue, "get_jobs", "Jobs"):
        name = str(job["Name"])
        role = _role_name(str(job.get("Role") or ""))
        uses = [f"role {role}"] if role in roles else []
        script = str((job.get("Command") or {}).get("ScriptLocation") or "")
        uses += [f"bucket {_bucket_of(script)}"] if _bucket_of(script) in buckets else []
        tags = _glue_tags(search, glue, region, "job", name)
        if search.add(
            "aws_glue_job", _arn(search, "glue", region, f"job/{name}"), name, region, _how(search, name, tags, uses)
        ):
            stack_jobs.add(name)
    for trigger in _paged(glue, "get_triggers", "Triggers"):
        name = str(trigger["Name"])
        uses = []
        for action in trigger.get("Actions") or []:
            if action.get("JobName") in stack_jobs:
                uses.append(f"job {action['JobName']}")
            if action.get("CrawlerName") in stack_crawlers:
                uses.append(f"crawler {action['CrawlerName']}")
        tags = _glue_tags(search, glue, region, "trigger", name)
        search.add(
            "aws_glue_trigger",
            _arn(search, "glue", region, f"trigger/{name}"),
            name,
            region,
            _how(search, name, tags, uses),
        )


# -- EventBridge -----------------------------------------------------------------------------------


def stack_arns(search: _Search) -> set[str]:
    """ARNs of stack things a rule may deliver to (topics, queues, and whatever else is keyed by ARN)."""
    return {r.key for r in search.inv.resources if r.key.startswith("arn:")}


def named_like_arn(search: _Search, arn: str) -> bool:
    """Whether an ARN's resource part names the stack (``...:function:lakehouse-x-y``, ``.../lakehouse-x``)."""
    rest = arn.split(":", 5)[-1]
    return any(search.names_stack(part) for part in rest.replace(":", "/").split("/"))


def event_rules(search: _Search, region: str) -> None:
    """Rules of every bus (by tag, name prefix, or a target in the stack) and every target of a stack rule."""
    events = search.target.client("events", region=region)
    arns, roles = stack_arns(search), stack_roles(search)
    listed = next_token_items(events.list_event_buses, "EventBuses")
    buses = ["default", *(str(b["Name"]) for b in listed if b.get("Name") != "default")]
    for bus in buses:
        for rule in _paged(events, "list_rules", "Rules", EventBusName=bus):
            if rule.get("ManagedBy"):
                continue  # made and kept by an AWS service
            name, arn = str(rule["Name"]), str(rule["Arn"])
            targets = list(_paged(events, "list_targets_by_rule", "Targets", Rule=name, EventBusName=bus))
            uses = [
                f"target {t['Arn']}"
                for t in targets
                if str(t.get("Arn")) in arns or named_like_arn(search, str(t.get("Arn") or ""))
            ]
            uses += [
                f"role {_role_name(str(t['RoleArn']))}"
                for t in targets
                if _role_name(str(t.get("RoleArn") or "-")) in roles
            ]
            tags = search.tags(
                f"event rule {name}",
                region,
                lambda a=arn: {
                    t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=a).get("Tags") or []
                },
            )
            label = name if bus == "default" else f"{bus}/{name}"
            if not search.add("aws_cloudwatch_event_rule", arn, label, region, _how(search, name, tags, uses)):
                continue
            for target in targets:
                key = f"{bus}/{name}/{target['Id']}"
                search.add(
                    "aws_cloudwatch_event_target",
                    key,
                    f"{target['Id']} of rule {label} -> {target.get('Arn')}",
                    region,
                    (OF_STACK_RULE,),
                )


# -- CloudWatch Logs -------------------------------------------------------------------------------


def _segment_named_like(search: _Search, name: str) -> bool:
    """Whether a path segment of a log group's name is named like the stack (``/aws/apprunner/<stack service>/..``)."""
    return any(search.names_stack(part) for part in name.split("/") if part)


def log_groups(search: _Search, region: str) -> None:
    """Log groups (tag, or a path segment named like the stack; not those AWS services write, which are kept in
    ``search.service_groups`` for ``service_log_groups``)."""
    logs = search.target.client("logs", region=region)
    service = search.service_groups.setdefault(region, {})
    for group in _paged(logs, "describe_log_groups", "logGroups"):
        name = str(group["logGroupName"])
        arn = str(group.get("logGroupArn") or str(group.get("arn") or "").removesuffix(":*"))
        if name.startswith(SERVICE_LOG_GROUPS):
            service[name] = arn or _arn(search, "logs", region, f"log-group:{name}")
            continue
        tags = search.tags(
            f"log group {name}",
            region,
            lambda a=arn: dict(logs.list_tags_for_resource(resourceArn=a).get("tags") or {}),
        )
        how = search.found_by(name, tags) or next(
            (found for part in name.split("/") if part and (found := search.found_by(part, tags))), ()
        )
        search.add("aws_cloudwatch_log_group", arn, name, region, how)


def _stack_names(search: _Search, region: str) -> dict[str, set[str]]:
    """Names of the stack's functions, App Runner services and SageMaker endpoints in ``region``, by Terraform
    type; a Lambda function the tagging sweep found (an ARN) counts as one."""
    names: dict[str, set[str]] = {kind: set() for kind in SERVICE_GROUP_OF.values()}
    for res in search.inv.resources:
        if res.region != region:
            continue
        if res.kind in names:
            names[res.kind].add(res.name)
        elif arn_kind(res.key) == "lambda:function":
            names["aws_lambda_function"].add(res.key.split(":", 5)[5].split(":")[1])
    return names


def service_log_groups(search: _Search, region: str) -> dict[str, str]:
    """The log groups AWS services write for stack resources in ``region`` (name -> ARN), of those ``log_groups``
    listed: a stack function's, App Runner service's or SageMaker endpoint's own group, or one with a path segment
    named like the stack. They hold the stack's logs: a filter or a Logs resource policy on one is the stack's."""
    names = _stack_names(search, region)
    found = {}
    for name, arn in search.service_groups.get(region, {}).items():
        of_stack_resource = any(
            name.startswith(prefix) and name.removeprefix(prefix).split("/", 1)[0] in names[kind]
            for prefix, kind in SERVICE_GROUP_OF.items()
        )
        if of_stack_resource or _segment_named_like(search, name):
            found[name] = arn
    return found


def filter_key(region: str, group: str, name: str) -> str:
    """How a metric or subscription filter is keyed: its region, log group and name (neither holds a colon)."""
    return f"{region}:{group}:{name}"


def log_filters(search: _Search, region: str) -> None:
    """Metric and subscription filters on the stack's log groups and on the groups AWS services write for stack
    resources (``service_log_groups``). Read after the tagging sweep: a function may be the stack's by its tag."""
    logs = search.target.client("logs", region=region)
    watched = in_region(search, "aws_cloudwatch_log_group", region) + sorted(service_log_groups(search, region))
    for name in watched:
        try:
            metric = list(_paged(logs, "describe_metric_filters", "metricFilters", logGroupName=name))
            subscription = list(_paged(logs, "describe_subscription_filters", "subscriptionFilters", logGroupName=name))
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                continue  # the group was deleted since it was listed: no filter on it
            raise
        for flt in metric:
            fname = str(flt["filterName"])
            search.add(METRIC_FILTER, filter_key(region, name, fname), f"{fname} on {name}", region, (ON_STACK_LOGS,))
        for flt in subscription:
            fname = str(flt["filterName"])
            search.add(
                SUBSCRIPTION_FILTER,
                filter_key(region, name, fname),
                f"{fname} on {name} -> {flt.get('destinationArn')}",
                region,
                (ON_STACK_LOGS,),
            )


def filter_keys(state: Iterable[Mapping[str, Any]], home: str) -> set[tuple[str, str]]:
    """(kind, key) of every metric and subscription filter in state (``terraform show -json`` resources), keyed as
    ``log_filters`` keys them. hashicorp/aws 5.x keeps no region for one; its region is its ``region`` attribute
    (6.x), else its destination ARN's (a subscription filter delivers within its own region), else that of the one
    region the state's log groups of its group's name lie in, else ``home`` (the stack's region)."""
    group_regions: dict[str, set[str]] = {}
    for res in state:
        values = res.get("values") or {}
        if res.get("type") == "aws_cloudwatch_log_group" and (region := arn_region(str(values.get("arn") or ""))):
            group_regions.setdefault(str(values.get("name") or _group_of(str(values["arn"]))), set()).add(region)
    keys = set()
    for res in state:
        kind = str(res.get("type") or "")
        if kind not in (METRIC_FILTER, SUBSCRIPTION_FILTER):
            continue
        values = res.get("values") or {}
        group = str(values.get("log_group_name") or "")
        regions = group_regions.get(group, set())
        region = (
            str(values.get("region") or "")
            or arn_region(str(values.get("destination_arn") or ""))
            or (next(iter(regions)) if len(regions) == 1 else "")
            or home
        )
        keys.add((kind, filter_key(region, group, str(values.get("name") or ""))))
    return keys


def _group_of(arn: str) -> str:
    """A log group's name from its ARN (``...:log-group:<name>`` or ``...:log-group:<name>:*``)."""
    return arn.split(":log-group:", 1)[-1].removesuffix(":*")


# -- KMS -------------------------------------------------------------------------------------------


def kms_aliases(search: _Search, region: str) -> None:
    """Aliases named like the stack, and the customer-managed keys they point to."""
    kms = search.target.client("kms", region=region)
    for alias in _paged(kms, "list_aliases", "Aliases"):
        name = str(alias["AliasName"])
        bare = name.removeprefix("alias/")
        if name.startswith("alias/aws/") or not search.names_stack(bare):
            continue
        search.add("aws_kms_alias", name, name, region, search.found_by(bare, None))
        key_id = alias.get("TargetKeyId")
        if not key_id:
            continue
        meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        if meta.get("KeyManager") == "AWS" or meta.get("KeyState") in LEAVING_KEY_STATES:
            continue
        arn = str(meta["Arn"])
        if not any(r.kind == "aws_kms_key" and r.key == arn for r in search.inv.resources):
            search.add("aws_kms_key", arn, f"{meta['KeyId']} ({name})", region, (OF_STACK_ALIAS,))
