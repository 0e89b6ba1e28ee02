"""``lakehouse reap`` and ``make nuke``: destroy the stacks nobody came back for.

A disposable stack carries an expiry (``lakehouse.lifetime``): in its record and, through the
root's ``default_tags``, as the ``expires_at`` tag of every taggable resource. The reaper judges
two kinds of stack:

- *recorded* stacks (``.lakehouse/stacks/<id>/stack.json`` on this machine): destroyed through
  their state, by the same path as ``make destroy``; a stack a running session holds is skipped.
- *orphans* (``aws`` target only): resources tagged with a ``stack_id`` that has no record here
  (its state is gone: a deleted checkout, a CI runner that died). Found with the Resource Groups
  Tagging API (``GetResources`` with ``TagFilters``) in the stack's region and us-east-1, plus
  IAM roles and budgets, which ``GetResources`` does not return (IAM roles: documented; budgets:
  global), then deleted per resource type the root creates. What the root makes untagged goes
  with its stack: dashboards and Scheduler schedules by their name, Glue tables with their
  database, the S3 locations registered with Lake Formation with their bucket. What the reaper cannot delete it reports.

The code path is the same on AWS and against the emulator: the target only decides credentials
and endpoint (``AWS_ENDPOINT_URL``), so orphan reaping is tested on this machine.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.arns import arn_kind, arn_name, arn_service
from lakehouse.config import RunOptions
from lakehouse.lifetime import EXPIRY_TAG, STACK_TAG, Judgement, judge, parse_expiry
from lakehouse.policies import BILLING_REGION
from lakehouse.stack import OWNER_PREFIX, StackError, StackRecord, destroy_recorded, list_records, stack_dir
from lakehouse.stacklock import busy
from lakehouse.target import Target

#: The reason ``make nuke`` gives for everything it destroys.
NUKE_REASON = "make nuke: every stack the harness made, whatever its expiry"
#: Deletion order within an orphan stack: what refers to a bucket or topic goes before it.
_ORDER = (
    "lakeformation",
    "athena",
    "glue",
    "cloudwatch",
    "budgets",
    "sns",
    "sqs",
    "sagemaker",
    "apprunner",
    "iam",
    "s3",
)
#: Within a service: what uses another resource of it goes first (an endpoint before its config and model).
_KIND_ORDER = (
    "sagemaker:endpoint",
    "sagemaker:endpoint-config",
    "sagemaker:model",
    "apprunner:service",
    "apprunner:autoscalingconfiguration",
)
#: How long a deleted App Runner service may take to be gone before its auto scaling configuration goes.
APPRUNNER_DELETE_DEADLINE_S = 900.0
#: Errors that mean the resource is already gone (a second reap, or a stale tag index).
_GONE = {
    "NoSuchBucket",
    "EntityNotFoundException",
    "NoSuchEntity",
    "NotFound",
    "NotFoundException",
    "ResourceNotFoundException",
    "ResourceNotFound",
    "InvalidRequestException",  # Athena: "WorkGroup is not found"
}


# -- what there is ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaggedResource:
    """One resource found by its tags: ARN, the region it was found in, its tags."""

    arn: str
    region: str
    tags: Mapping[str, str]

    @property
    def service(self) -> str:
        return arn_service(self.arn)

    @property
    def kind(self) -> str:
        """``service:type`` as the tagging API names resource types (``s3:bucket``, ``glue:database``)."""
        return arn_kind(self.arn)

    @property
    def name(self) -> str:
        return arn_name(self.arn)


@dataclass
class OrphanStack:
    """Resources sharing one ``stack_id`` tag that no stack record on this machine accounts for."""

    stack_id: str
    resources: list[TaggedResource] = field(default_factory=list)

    @property
    def expires_at(self) -> str | None:
        """The latest expiry its resources carry: nothing goes before every part says it may."""
        values = {r.tags.get(EXPIRY_TAG) for r in self.resources} - {None}
        parsed = []
        for value in values:
            try:
                parsed.append((parse_expiry(str(value)), str(value)))
            except ValueError:
                return str(value)  # judged (not expired) with the reason the value does not parse
        return max(parsed)[1] if parsed else None

    @property
    def project(self) -> str:
        return next((r.tags["project"] for r in self.resources if r.tags.get("project")), "lakehouse")

    @property
    def harness_made(self) -> bool:
        """Every resource's ``owner`` tag says the harness made it (what ``make nuke`` may remove)."""
        return all(str(r.tags.get("owner", "")).startswith(OWNER_PREFIX) for r in self.resources)


def group_orphans(resources: Iterable[TaggedResource], recorded: Iterable[str]) -> list[OrphanStack]:
    """Pure: resources by ``stack_id``, leaving out stacks recorded here (reaped through their state)."""
    known = set(recorded)
    stacks: dict[str, OrphanStack] = {}
    seen: set[str] = set()
    for resource in resources:
        stack_id = resource.tags.get(STACK_TAG)
        if not stack_id or stack_id in known or resource.arn in seen:
            continue
        seen.add(resource.arn)
        stacks.setdefault(stack_id, OrphanStack(stack_id)).resources.append(resource)
    return sorted(stacks.values(), key=lambda s: s.stack_id)


def judge_record(record: StackRecord, now: datetime, everything: bool = False) -> Judgement:
    """Pure: a recorded stack is due when expired, or always under ``make nuke``."""
    if everything:
        return Judgement(True, NUKE_REASON)
    return judge(record.expires_at, now)


def judge_orphan(orphan: OrphanStack, now: datetime, everything: bool = False) -> Judgement:
    """Pure: an orphan is due when its resources' expiry has passed; under ``make nuke`` when the
    harness made it (its ``owner`` tag), expiry or not. Anything else is left alone."""
    if everything:
        if orphan.harness_made:
            return Judgement(True, NUKE_REASON)
        return Judgement(False, f"not made by the harness (owner tag is not {OWNER_PREFIX}/...): left alone")
    return judge(orphan.expires_at, now)


# -- finding orphans ----------------------------------------------------------------------------------


def scan(target: Target, regions: Iterable[str]) -> list[TaggedResource]:
    """Every resource carrying a ``stack_id`` tag, in ``regions`` (tagging API) and global IAM and Budgets."""
    found: dict[str, TaggedResource] = {}
    for region in sorted(set(regions)):
        pages = target.client("resourcegroupstaggingapi", region=region).get_paginator("get_resources")
        for page in pages.paginate(TagFilters=[{"Key": STACK_TAG}]):
            for mapping in page.get("ResourceTagMappingList", []):
                tags = {t["Key"]: t.get("Value", "") for t in mapping.get("Tags", [])}
                found.setdefault(mapping["ResourceARN"], TaggedResource(mapping["ResourceARN"], region, tags))
    for resource in [*_iam_roles(target), *_budgets(target)]:
        found.setdefault(resource.arn, resource)
    return list(found.values())


def _iam_roles(target: Target) -> Iterator[TaggedResource]:
    """GetResources does not return IAM roles (AWS's tagging API reference): list them and their tags."""
    iam = target.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page.get("Roles", []):
            if role.get("Path", "/").startswith(("/aws-service-role/", "/service-role/")):
                continue
            tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role["RoleName"]).get("Tags", [])}
            if STACK_TAG in tags:
                yield TaggedResource(role["Arn"], "global", tags)


def _budgets(target: Target) -> Iterator[TaggedResource]:
    """Budgets are global and read through their own API (its ListTagsForResource)."""
    account = target.client("sts").get_caller_identity()["Account"]
    budgets = target.client("budgets", region=BILLING_REGION)
    partition = "aws-cn" if target.region.startswith("cn-") else "aws"
    for page in budgets.get_paginator("describe_budgets").paginate(AccountId=account):
        for budget in page.get("Budgets", []):
            arn = f"arn:{partition}:budgets::{account}:budget/{budget['BudgetName']}"
            tags = {
                t["Key"]: t["Value"] for t in budgets.list_tags_for_resource(ResourceARN=arn).get("ResourceTags", [])
            }
            if STACK_TAG in tags:
                yield TaggedResource(arn, "global", tags)


# -- deleting orphans ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deletion:
    """What happened to one resource: deleted, already gone, or not deletable (and why)."""

    what: str
    ok: bool
    note: str = ""

    def __str__(self) -> str:
        return f"{'deleted' if self.ok else 'NOT deleted'} {self.what}" + (f": {self.note}" if self.note else "")


def _client_region(resource: TaggedResource, fallback: str) -> str:
    parts = resource.arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else (resource.region if resource.region != "global" else fallback)


def _empty_and_delete_bucket(target: Target, resource: TaggedResource) -> None:
    """S3 refuses to delete a bucket that holds anything: every version and delete marker goes first."""
    s3 = target.client("s3", region=_client_region(resource, target.region))
    bucket = resource.name
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        keys = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", [])]
        keys += [{"Key": m["Key"], "VersionId": m["VersionId"]} for m in page.get("DeleteMarkers", [])]
        for start in range(0, len(keys), 1000):  # DeleteObjects takes at most 1000 keys
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys[start : start + 1000], "Quiet": True})
    s3.delete_bucket(Bucket=bucket)


def _delete_role(target: Target, resource: TaggedResource) -> None:
    """IAM deletes a role only once its inline and attached policies and instance profiles are gone."""
    iam = target.client("iam")
    name = resource.name.rsplit("/", 1)[-1]
    for policy in iam.list_role_policies(RoleName=name).get("PolicyNames", []):
        iam.delete_role_policy(RoleName=name, PolicyName=policy)
    for attached in iam.list_attached_role_policies(RoleName=name).get("AttachedPolicies", []):
        iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
    for profile in iam.list_instance_profiles_for_role(RoleName=name).get("InstanceProfiles", []):
        iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=name)
    iam.delete_role(RoleName=name)


def _delete_policy(target: Target, resource: TaggedResource) -> None:
    """A customer managed policy: detached everywhere, its old versions deleted, then itself."""
    iam = target.client("iam")
    arn = resource.arn
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    for role in entities.get("PolicyRoles", []):
        iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
    for user in entities.get("PolicyUsers", []):
        iam.detach_user_policy(UserName=user["UserName"], PolicyArn=arn)
    for group in entities.get("PolicyGroups", []):
        iam.detach_group_policy(GroupName=group["GroupName"], PolicyArn=arn)
    for version in iam.list_policy_versions(PolicyArn=arn).get("Versions", []):
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=arn)


def _delete_queue(sqs: Any, name: str, account: str) -> None:
    """SQS deletes by URL, which only the queue's name and owner give."""
    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)


def _delete_apprunner_service(apprunner: Any, arn: str) -> None:
    """App Runner deletes in the background; its auto scaling configuration is in use until it is gone."""
    apprunner.delete_service(ServiceArn=arn)
    deadline = time.monotonic() + APPRUNNER_DELETE_DEADLINE_S
    while time.monotonic() < deadline:
        try:
            if apprunner.describe_service(ServiceArn=arn)["Service"]["Status"] in ("DELETED", "DELETE_FAILED"):
                return
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in _GONE:
                return
            raise
        time.sleep(5.0)  # pause between reads; the deadline above bounds the wait


def _deleter(target: Target, resource: TaggedResource) -> Callable[[], Any] | None:
    """The call that deletes one resource of a type the root creates, or None for any other type."""
    region = _client_region(resource, target.region)
    name = resource.name
    account = resource.arn.split(":")[4] if resource.arn.count(":") >= 5 else ""
    deleters: dict[str, Callable[[], Any]] = {
        "s3:bucket": lambda: _empty_and_delete_bucket(target, resource),
        "glue:database": lambda: target.client("glue", region=region).delete_database(Name=name),
        "glue:table": lambda: target.client("glue", region=region).delete_table(
            DatabaseName=name.split("/")[0], Name=name.split("/")[-1]
        ),
        "athena:workgroup": lambda: target.client("athena", region=region).delete_work_group(
            WorkGroup=name, RecursiveDeleteOption=True
        ),
        "sns:topic": lambda: target.client("sns", region=region).delete_topic(TopicArn=resource.arn),
        "sqs:queue": lambda: _delete_queue(target.client("sqs", region=region), name, account),
        "cloudwatch:alarm": lambda: target.client("cloudwatch", region=region).delete_alarms(AlarmNames=[name]),
        "sagemaker:endpoint": lambda: target.client("sagemaker", region=region).delete_endpoint(EndpointName=name),
        "sagemaker:endpoint-config": lambda: target.client("sagemaker", region=region).delete_endpoint_config(
            EndpointConfigName=name
        ),
        "sagemaker:model": lambda: target.client("sagemaker", region=region).delete_model(ModelName=name),
        "apprunner:service": lambda: _delete_apprunner_service(target.client("apprunner", region=region), resource.arn),
        "apprunner:autoscalingconfiguration": lambda: target.client(
            "apprunner", region=region
        ).delete_auto_scaling_configuration(AutoScalingConfigurationArn=resource.arn),
        "iam:role": lambda: _delete_role(target, resource),
        "iam:policy": lambda: _delete_policy(target, resource),
        "budgets:budget": lambda: target.client("budgets", region=BILLING_REGION).delete_budget(
            AccountId=account, BudgetName=name
        ),
    }
    return deleters.get(resource.kind)


def _attempt(what: str, call: Callable[[], Any]) -> Deletion:
    try:
        call()
    except ClientError as err:
        code = str(err.response.get("Error", {}).get("Code", ""))
        message = str(err.response.get("Error", {}).get("Message", ""))
        if code in _GONE and (code != "InvalidRequestException" or "not found" in message.lower()):
            return Deletion(what, True, "already gone")
        return Deletion(what, False, f"{code}: {message}")
    except BotoCoreError as err:
        return Deletion(what, False, str(err))
    return Deletion(what, True)


def _untagged_parts(target: Target, orphan: OrphanStack, regions: Iterable[str]) -> list[tuple[str, Callable[[], Any]]]:
    """What the root makes without tags, found by what it is attached to or by its name."""
    calls: list[tuple[str, Callable[[], Any]]] = []
    dashboards: dict[str, Callable[[], Any]] = {}
    buckets = {f"arn:aws:s3:::{r.name}" for r in orphan.resources if r.kind == "s3:bucket"}
    for region in sorted(set(regions)):
        # Lake Formation: the S3 locations the stack registered (before their buckets go).
        lf = target.client("lakeformation", region=region)
        registered = [info["ResourceArn"] for info in _pages(lf.list_resources, "ResourceInfoList")]
        for arn in registered:
            if arn.rstrip("/") in buckets:
                calls.append(
                    (f"lakeformation:resource {arn} ({region})", _bind(lf.deregister_resource, ResourceArn=arn))
                )
        prefix = f"{orphan.project}-{orphan.stack_id}-"
        # Scheduler schedules take no tags (their groups do): the root names them like the stack.
        scheduler = target.client("scheduler", region=region)
        for page in scheduler.get_paginator("list_schedules").paginate(NamePrefix=prefix):
            for schedule in page.get("Schedules", []):
                name, group = schedule["Name"], schedule.get("GroupName", "default")
                calls.append(
                    (
                        f"scheduler:schedule {group}/{name} ({region})",
                        _bind(scheduler.delete_schedule, Name=name, GroupName=group),
                    )
                )
        # CloudWatch dashboards take no tags: the root names them <project>-<stack_id>-... (account-global).
        cw = target.client("cloudwatch", region=region)
        for dashboard in _pages(cw.list_dashboards, "DashboardEntries", DashboardNamePrefix=prefix):
            name = dashboard["DashboardName"]
            dashboards.setdefault(name, _bind(cw.delete_dashboards, DashboardNames=[name]))
    return calls + [(f"cloudwatch:dashboard {name}", call) for name, call in sorted(dashboards.items())]


def _pages(call: Callable[..., Any], key: str, **kwargs: Any) -> Iterator[Any]:
    """Every item of a NextToken-paged list operation botocore has no paginator for."""
    token: str | None = None
    while True:
        page = call(**kwargs, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def _bind(func: Callable[..., Any], **kwargs: Any) -> Callable[[], Any]:
    return lambda: func(**kwargs)


def delete_orphan(target: Target, orphan: OrphanStack, regions: Iterable[str]) -> list[Deletion]:
    """Delete an orphan stack's resources in dependency order; every outcome is reported, none hidden."""
    regions = list(regions)
    results: list[Deletion] = []
    try:
        untagged = _untagged_parts(target, orphan, regions)
    except (ClientError, BotoCoreError) as err:
        untagged = []
        results.append(Deletion(f"untagged parts of {orphan.stack_id}", False, f"cannot list them: {err}"))
    for what, call in untagged:
        if what.startswith("lakeformation:"):
            results.append(_attempt(what, call))
    rank = {service: n for n, service in enumerate(_ORDER)}
    kinds = {kind: n for n, kind in enumerate(_KIND_ORDER)}

    def order(r: TaggedResource) -> tuple[int, int, str]:
        return rank.get(r.service, len(_ORDER)), kinds.get(r.kind, len(_KIND_ORDER)), r.arn

    for resource in sorted(orphan.resources, key=order):
        deleter = _deleter(target, resource)
        if deleter is None:
            note = f"a {resource.kind} is not a type the root creates: the reaper does not know how to delete it"
            results.append(Deletion(resource.arn, False, note))
            continue
        results.append(_attempt(resource.arn, deleter))
    results += [_attempt(what, call) for what, call in untagged if not what.startswith("lakeformation:")]
    return results


# -- the whole sweep ----------------------------------------------------------------------------------


@dataclass
class Survey:
    """What the reaper found and how it judged each stack."""

    at: datetime
    recorded: list[tuple[StackRecord, Judgement]] = field(default_factory=list)
    orphans: list[tuple[OrphanStack, Judgement]] = field(default_factory=list)
    #: Why orphans were not looked for (the local target), or None when they were.
    orphans_note: str | None = None


def orphan_regions(target: Target) -> list[str]:
    """The stack's region and us-east-1 (the billing alarm and its topic live there)."""
    return sorted({target.region, BILLING_REGION})


def survey(options: RunOptions, now: datetime, everything: bool = False, orphan_target: Target | None = None) -> Survey:
    """Judge every recorded stack, and (given a target) every orphan found in that account."""
    result = Survey(at=now)
    records = list_records(options)
    result.recorded = [(r, judge_record(r, now, everything)) for r in records]
    if orphan_target is None:
        result.orphans_note = (
            "orphans: not looked for on the local target (each local stack lives in its own emulator, "
            "which ends with it); --target aws looks in the account"
        )
        return result
    resources = scan(orphan_target, orphan_regions(orphan_target))
    orphans = group_orphans(resources, recorded=(r.stack_id for r in records))
    result.orphans = [(o, judge_orphan(o, now, everything)) for o in orphans]
    return result


@dataclass
class Sweep:
    """What a sweep did, line by line, and whether anything due was left standing."""

    lines: list[str] = field(default_factory=list)
    left_standing: int = 0


def reap(options: RunOptions, found: Survey, orphan_target: Target | None, say: Callable[[str], None]) -> Sweep:
    """Destroy what ``found`` judged due: recorded stacks through their state, then orphans.

    A recorded stack a running session holds is skipped with a message; it, a failed destroy and
    every resource that could not be deleted count as left standing.
    """
    done = Sweep()

    def tell(line: str) -> None:
        done.lines.append(line)
        say(line)

    for record, verdict in found.recorded:
        if not verdict.expired:
            continue
        if (who := busy(stack_dir(options, record.stack_id))) is not None:
            tell(f"skipped   {record.stack_id}: in use by a running session ({who}); it destroys the stack itself")
            done.left_standing += 1
            continue
        try:
            result = destroy_recorded(_for_stack(options, record.stack_id))
        except StackError as err:
            tell(f"FAILED    {record.stack_id}: {err}")
            done.left_standing += 1
            continue
        how = f"in {result.wall_s:.1f} s" if result else "(its emulator was gone: forgotten)"
        tell(f"destroyed {record.stack_id} ({record.target}, recorded) {how}: {verdict.reason}")
    if orphan_target is not None:
        still_recorded = {r.stack_id for r in list_records(options)}
        regions = orphan_regions(orphan_target)
        for orphan, verdict in found.orphans:
            if not verdict.expired or orphan.stack_id in still_recorded:
                continue
            deletions = delete_orphan(orphan_target, orphan, regions)
            failed = [d for d in deletions if not d.ok]
            state = "deleted  " if not failed else "PARTLY   "
            tell(f"{state} orphan {orphan.stack_id}: {verdict.reason}; {len(deletions) - len(failed)} deleted")
            for deletion in deletions:
                tell(f"    {deletion}")
            done.left_standing += len(failed)
    return done


def _for_stack(options: RunOptions, stack_id: str) -> RunOptions:
    """The same options for another recorded stack (its id was validated when it was recorded)."""
    other = copy.copy(options)
    other.stack_id = stack_id
    return other


def describe(found: Survey, dry_run: bool) -> list[str]:
    """The listing: each stack, what will happen to it, and why."""
    verb = "would destroy" if dry_run else "destroy"
    lines = [
        f"reap as of {found.at.strftime('%Y-%m-%dT%H:%M:%SZ')}" + (" (dry run: --yes destroys)" if dry_run else "")
    ]
    for record, verdict in found.recorded:
        action = verb if verdict.expired else "keep"
        lines.append(f"  {action:13} {record.stack_id} ({record.target}, recorded): {verdict.reason}")
    for orphan, verdict in found.orphans:
        action = verb if verdict.expired else "keep"
        lines.append(
            f"  {action:13} {orphan.stack_id} (orphan: no state here, {len(orphan.resources)} tagged resources): "
            f"{verdict.reason}"
        )
        if verdict.expired:
            lines += [f"      {r.arn}" for r in orphan.resources]
    if not found.recorded and not found.orphans:
        lines.append("  no stacks found")
    if found.orphans_note:
        lines.append(found.orphans_note)
    return lines


def due(found: Survey) -> int:
    """How many stacks the sweep would destroy."""
    return sum(v.expired for _, v in found.recorded) + sum(v.expired for _, v in found.orphans)
