"""Everything of a stack that exists in the account (or emulator), read through the service APIs.

Exit check 5 compares this with Terraform's state: whatever belongs to the stack but is not
in state was made outside Terraform. "Belongs to the stack" is found four ways, and the
evidence says which one found each thing:

- ``tag``: the ``stack_id`` tag equals the stack's id (``default_tags`` of the root put it on
  everything taggable);
- ``name prefix``: the name is ``<project>-<stack_id>`` or starts ``<project>-<stack_id>-``
  (``<project>_<stack_id>_`` for Glue, which allows no hyphens): the root's ``local.name_prefix``,
  so an untagged bucket, role or topic named like the stack is found too;
- ``policies of a stack role`` / ``... user``, ``subscriptions of a stack topic``,
  ``subscriptions to a stack queue``, ``access points of a stack bucket``: what hangs off a stack
  resource (IAM policy attachments and inline policies, SNS subscriptions of a stack topic or
  delivering to a stack queue, S3 access points on a stack bucket whatever their name);
- ``database contents`` and ``LF listing``: every table of a stack database, every Lake
  Formation grant, data cells filter and registered location on the stack's databases,
  tables and buckets or to a stack principal, the data lake settings (admins, read-only admins,
  trusted resource owners, default permissions), and each stack database's default permissions
  for new tables (settings the provider adopts without a plan change when set by hand);
- ``configurations of a stack bucket``: its notification, replication, CORS, website, logging,
  lifecycle, policy, acceleration, requester-pays, object lock, inventory, metrics, analytics and
  intelligent-tiering configurations (``lakehouse.bucket_configs``), each a Terraform resource of its own.

Kinds searched: S3 buckets and access points (S3 Control, in the stack's region, where its buckets are); IAM roles,
users, customer-managed policies, the policies attached to and inline in stack roles and users; SNS topics and their
subscriptions; SQS queues (each stack queue's redrive settings too: ``lakehouse.queue_redrive``) and the
subscriptions that deliver to them; Athena workgroups; App Runner services and auto scaling configurations (every
active revision); SageMaker models, endpoint configurations and endpoints; EventBridge Scheduler schedule groups and
schedules (schedules take no tags: by name prefix, or ``uses the stack``: in a stack group, running as a stack role,
invoking or naming in their input a stack resource); Glue databases and tables (and where a stack database's Iceberg
tables send their next files: their current metadata's location and write path properties, read from S3); budgets;
CloudWatch metric and composite alarms and dashboards (dashboards have no tags: name prefix only; an alarm notifying
a stack topic is ``uses the stack`` whatever its name or tags); customer-managed policies attached to a stack role
or user (``uses the stack``); Lake Formation grants, data cells filters, registered locations and settings, LF-Tag
grants whose expression reaches the LF-Tags of a stack database, table or column, the LF-Tags assigned to those
(``lakehouse.lf_tags``; read only in an account that has LF-Tags), LF-Tags and saved LF-Tag expressions named like
the stack; and, through ``lakehouse.inventory_kinds``, kinds that carry no tag or hang off the stack under any name:
Athena named queries and prepared statements, Glue crawlers, jobs and triggers, EventBridge rules and their targets,
CloudWatch log groups with their metric and subscription filters, KMS aliases and their keys; through
``lakehouse.inventory_doors``, Athena data catalogs (by tag, name, or a stack function or connection they run),
Glue connections and workflows, CloudWatch Logs resource policies (by name, or a stack log group they name) and
EventBridge archives (by name, or a stack bus they archive); through
``lakehouse.inventory_links``, what is linked to a stack resource whatever its name (``uses the stack``): Lambda
event source mappings whose source, function or failure destination is the stack's (read after the tagging sweep),
EventBridge pipes whose source, enrichment or target is the stack's or that run as a stack role (read after the
sweep), S3 Access Grants locations and grants on stack buckets or for stack principals, IAM instance profiles
holding a stack role, Budgets actions of a stack budget or acting on a stack role, user, policy, SCP or instance
(read after the sweep), Glue table optimizers of a stack table, the Glue Data Catalog's resource policy when it
names a stack database, table or role, queues dead-lettering into a stack queue; through ``lakehouse.kms_keys``
(after the sweep), the grants, policy and rotation period of each stack key, and grants to a stack role on any other
customer managed key (and such a key whose policy names a stack role). Regional kinds are read in the stack's
region and in every other region the root deploys to (``EXTRA_REGIONS``: the ``aws.use1`` provider of the billing
alarm); IAM, S3 listings and budgets are account-wide. Every listing pages to its end.

Then a sweep that is not limited to these kinds or regions: in every region the account has enabled
(EC2 DescribeRegions), the Resource Groups Tagging API lists whatever carries the stack's tag, any
service; whatever the listings above did not find is added as a ``tagged resource`` (found by
``tag (tagging API)``), compared with state by ARN. So a tagged queue in a third region, or a tagged
Lambda function or DynamoDB table (kinds the root never makes), is found too. What it cannot find:
an untagged resource of a kind not listed above, or outside the listed regions.

A listing that fails is not skipped: it is recorded in ``Inventory.unreadable`` (service,
operation, region, error) and the check cannot pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.arns import arn_kind, arn_name, arn_service
from lakehouse.bucket_configs import bucket_configs
from lakehouse.checks.s3_routes import s3control  # S3 Control as the target reaches it (local endpoint quirks)
from lakehouse.inventory_doors import (
    data_catalogs,
    event_archives,
    glue_connections_and_workflows,
    log_resource_policies,
)
from lakehouse.inventory_kinds import (
    TAGGED,
    USES_STACK,
    athena_named_queries,
    event_rules,
    glue_jobs_and_crawlers,
    in_region,
    kms_aliases,
    log_filters,
    log_groups,
    stack_arns,
    stack_roles,
)
from lakehouse.inventory_links import (
    access_grants,
    budget_actions,
    dead_letter_sources,
    event_source_mappings,
    glue_resource_policy,
    instance_profiles,
    pipes,
    table_optimizers,
)
from lakehouse.kms_keys import key_grants, outside_keys
from lakehouse.lf_grants import LfGrant, carries_tags, grants_from_listing, reached_by_tags, resource_database
from lakehouse.lf_tags import (
    LF_TAG_EXPRESSION,
    LfTagAssignment,
    assignments_from_answer,
    expression_label,
    read_assigned,
)
from lakehouse.queue_redrive import QueueRedrive, read_redrive
from lakehouse.table_places import GLUE_LOCATION, GLUE_METADATA, iceberg_places, read_metadata
from lakehouse.target import Target

STACK_TAG = "stack_id"
#: Default of the root's ``project`` variable: first part of every name (``<project>-<stack_id>``).
DEFAULT_PROJECT = "lakehouse"
#: Regions the root deploys to besides the stack's own (providers.tf: alias ``use1``).
EXTRA_REGIONS = ("us-east-1",)
#: ``region`` of account-wide things (IAM, budgets).
GLOBAL = "global"
#: Opt-in statuses of a region the account can hold resources in (EC2 DescribeRegions).
ENABLED_REGION = ("opt-in-not-required", "opted-in")
#: Services whose resources the account-wide listings judge (by name): the sweep leaves them to those.
_ACCOUNT_WIDE = ("iam", "budgets")

TAG = "tag"
NAME_PREFIX = "name prefix"
DATABASE_CONTENTS = "database contents"
OF_STACK_TOPIC = "subscriptions of a stack topic"
TO_STACK_QUEUE = "subscriptions to a stack queue"
ON_STACK_BUCKET = "access points of a stack bucket"
OF_STACK_BUCKET = "configurations of a stack bucket"
LF_LISTING = "LF listing"
LF_TAGS_ASSIGNED = "LF-Tags assigned to a stack resource"
TAGGING_API = "tag (tagging API)"

_READ_ERRORS = (ClientError, BotoCoreError)
#: What SQS answers for a queue deleted since it was listed (query and JSON protocols).
_GONE_QUEUE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
#: An ARN inside free text (a schedule's JSON input): up to a quote, space, comma or brace.
_ARN_IN_TEXT = re.compile(r"arn:[^\s\"',{}\[\]]+")


@dataclass(frozen=True, order=True)
class CloudResource:
    """One thing in the account: ``kind`` is the Terraform type that would manage it.

    ``key`` is what state is compared by (an ARN, a name, or a compound such as
    ``role:policy``); ``name`` is what a person calls it; ``found_by`` says how it was found.
    """

    kind: str
    key: str
    name: str
    region: str
    found_by: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "region": self.region, "found_by": list(self.found_by)}


@dataclass
class LakeSettings:
    """``GetDataLakeSettings`` of the stack's region: admins and the defaults for new databases and tables."""

    admins: list[str]
    create_database_default_permissions: list[dict[str, Any]]
    create_table_default_permissions: list[dict[str, Any]]
    #: ``ReadOnlyAdmins`` and ``TrustedResourceOwners``: Optional+Computed in the provider, so one added by
    #: hand is adopted by ``terraform plan`` without a change; only this read shows it.
    read_only_admins: list[str] = field(default_factory=list)
    trusted_resource_owners: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Registration:
    """How Lake Formation reads a registered location (ListResources): the role it vends credentials from, and
    whether federated principals may. Both Optional+Computed in the provider and unset in the root: changed by
    hand (``UpdateResource``), they plan no change."""

    role_arn: str
    with_federation: bool


@dataclass(frozen=True)
class TableLocation:
    """Where a table keeps its files: data (``StorageDescriptor.Location``) and, for Iceberg, its
    current metadata file (the ``metadata_location`` parameter); kept apart because the rules differ.
    ``writes``: where that metadata sends the next files (``lakehouse.table_places.iceberg_places``: its
    ``location`` and write path properties), which no Glue field shows."""

    location: str | None = None
    metadata_location: str | None = None
    writes: Mapping[str, str] = field(default_factory=dict)

    @property
    def places(self) -> dict[str, str]:
        """Every place the table's settings send files to: what says it -> the URI it says."""
        glue = {GLUE_LOCATION: self.location, GLUE_METADATA: self.metadata_location}
        return {**{what: uri for what, uri in glue.items() if uri}, **self.writes}


@dataclass
class Inventory:
    """What the listings found, and what could not be read."""

    stack_id: str
    name_prefix: str
    glue_prefix: str
    account: str = ""
    partition: str = "aws"
    regions: list[str] = field(default_factory=list)
    #: Every region the tagging sweep asked (all the account has enabled).
    swept_regions: list[str] = field(default_factory=list)
    resources: list[CloudResource] = field(default_factory=list)
    grants: list[LfGrant] = field(default_factory=list)
    lake_settings: LakeSettings | None = None
    #: Each stack database (by ARN) -> its ``CreateTableDefaultPermissions`` (what Lake Formation grants on every
    #: new table in it); the root leaves them to the settings, and the provider adopts a hand-set value silently.
    database_defaults: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Each stack queue (ARN) -> its redrive settings (Optional+Computed in the provider: adopted when set by hand).
    queue_redrives: dict[str, QueueRedrive] = field(default_factory=dict)
    #: Each stack KMS key (ARN) -> its key policy (``lakehouse.kms_keys``: Optional+Computed in the provider).
    key_policies: dict[str, str] = field(default_factory=dict)
    #: Each stack KMS key (ARN) -> its rotation period in days while rotation is on, else None (GetKeyRotationStatus;
    #: ``rotation_period_in_days`` is Optional+Computed in the provider).
    key_rotations: dict[str, int | None] = field(default_factory=dict)
    #: Each registered location of a stack bucket (ARN) -> how Lake Formation reads it.
    registrations: dict[str, Registration] = field(default_factory=dict)
    #: Each table of a stack database (``db.table``) -> where its data and Iceberg metadata lie.
    table_locations: dict[str, TableLocation] = field(default_factory=dict)
    #: Each stack table (``db.table``: of a stack database, or tagged for the stack in any other) that Glue keeps
    #: as Iceberg (a ``metadata_location``): the tables Glue table optimizers act on.
    iceberg_tables: set[str] = field(default_factory=set)
    #: LF-Tag values assigned directly to the stack's databases, tables and columns (not inherited ones).
    lf_tag_assignments: list[LfTagAssignment] = field(default_factory=list)
    #: The LF-Tags of the stack's region (ListLFTags): key -> values.
    lf_tags: dict[str, list[str]] = field(default_factory=dict)
    #: "what (operation, region): error" for every listing that failed.
    unreadable: list[str] = field(default_factory=list)
    #: Stack databases and tables Glue listed that were gone when their LF-Tags were read (``lf_tags.read_assigned``).
    gone_while_read: list[str] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[CloudResource]:
        return [r for r in self.resources if r.kind == kind]


def name_prefixes(stack_id: str, project: str = DEFAULT_PROJECT) -> tuple[str, str]:
    """``(lakehouse-<id>, lakehouse_<id with _>)``: infra/providers.tf's ``name_prefix`` and ``glue_prefix``."""
    prefix = f"{project}-{stack_id}"
    return prefix, prefix.replace("-", "_")


def _tags_from_list(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


def _tags_via(operation: Callable[..., dict[str, Any]], field: str, kwargs: dict[str, str]) -> dict[str, str]:
    """Tags from a one-page tag listing, whether it answers a Key/Value list (most) or a map (Glue)."""
    tags = operation(**kwargs).get(field)
    return dict(tags) if isinstance(tags, dict) else _tags_from_list(tags)


def _iam_tags(iam: Any, operation: str, kwargs: dict[str, str]) -> dict[str, str]:
    tags: dict[str, str] = {}
    marker: dict[str, str] = {}
    while True:  # botocore has no paginators for the IAM tag listings
        page = getattr(iam, operation)(**kwargs, **marker)
        tags.update(_tags_from_list(page.get("Tags")))
        if not page.get("IsTruncated"):
            return tags
        marker = {"Marker": page["Marker"]}


def _athena_tags(athena: Any, arn: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    kwargs: dict[str, str] = {}
    while True:  # botocore has no paginator for Athena's ListTagsForResource
        page = athena.list_tags_for_resource(ResourceARN=arn, **kwargs)
        tags.update(_tags_from_list(page.get("Tags")))
        if not page.get("NextToken"):
            return tags
        kwargs = {"NextToken": page["NextToken"]}


def named_like(name: str, stack_id: str, project: str = DEFAULT_PROJECT) -> bool:
    """Whether ``name`` is one of the stack's names: its prefix exactly, or the prefix and a separator."""
    low = name.lower()
    prefixes = name_prefixes(stack_id, project)
    return any(low == p or low.startswith(p + sep) for p, sep in zip(prefixes, ("-", "_"), strict=True))


#: Kinds that carry no tags, found by name only -> their bare name from the inventory's name for them.
UNTAGGED_KINDS: Mapping[str, Callable[[str], str]] = {
    "aws_cloudwatch_dashboard": lambda name: name,
    "aws_scheduler_schedule": lambda label: label.split("/", 1)[-1],  # ``group/name``
    "aws_athena_named_query": lambda label: label.split(" in workgroup ", 1)[0],
    "aws_athena_prepared_statement": lambda label: label.split(" in workgroup ", 1)[0],
    "aws_kms_alias": lambda name: name.removeprefix("alias/"),
    "aws_cloudwatch_log_resource_policy": lambda name: name,
    "aws_cloudwatch_event_archive": lambda label: label.split(" of ", 1)[0],  # ``name of <bus ARN>``
    "aws_cloudwatch_log_group": lambda name: name.strip("/").split("/", 1)[0],
    "aws_lakeformation_lf_tag": lambda label: label.rsplit(" (values: ", 1)[0],  # ``key (values: a, b)``
    LF_TAG_EXPRESSION: lambda label: label.rsplit(" (expression: ", 1)[0],  # ``name (expression: k=a|b)``
}


def extending_stacks(name: str, tags: Mapping[str, str] | None, stack_id: str, project: str = DEFAULT_PROJECT) -> bool:
    """Whether the resource is another stack's whose id extends ``stack_id`` with a hyphen (``lh-1-x`` for
    ``lh-1``): its names start with this stack's prefix too, and only its tag tells them apart."""
    other = str((tags or {}).get(STACK_TAG) or "")
    return other.startswith(stack_id + "-") and named_like(name, other, project)


class _Search:
    """One search of the account for one stack; each ``_read_*`` adds what it finds."""

    def __init__(self, target: Target, stack_id: str, project: str) -> None:
        self.target = target
        self.project = project
        prefix, glue_prefix = name_prefixes(stack_id, project)
        self.inv = Inventory(
            stack_id, prefix, glue_prefix, regions=list(dict.fromkeys((target.region, *EXTRA_REGIONS)))
        )
        #: Ids of stacks extending this one (``lh-1-x``) whose tagged resources the search met.
        self.longer_ids: set[str] = set()
        #: The S3 client Iceberg metadata files are read with (made at the first one).
        self._s3: Any = None
        #: Log groups AWS services write (``/aws/...``), by region: name -> ARN (``inventory_kinds.log_groups``).
        self.service_groups: dict[str, dict[str, str]] = {}

    # -- helpers ----------------------------------------------------------------------------------

    def named_like_stack(self, name: str) -> bool:
        return named_like(name, self.inv.stack_id, self.project)

    def names_stack(self, name: str) -> bool:
        """Whether a name read *inside* another resource (a rule target's ARN, a service log group's path, a
        KMS alias, a Lake Formation location's bucket) names this stack: named like it, and not like a stack
        extending its id the search met by its tags (``lakehouse-lh-1-x-alerts`` is ``lh-1-x``'s topic, and
        the rule targeting it no concern of ``lh-1``). The named resource's own tag is not at hand here."""
        return self.named_like_stack(name) and not any(
            named_like(name, other, self.project) for other in self.longer_ids
        )

    def longer_stacks(self, name: str, tags: Mapping[str, str] | None) -> bool:
        if extending_stacks(name, tags, self.inv.stack_id, self.project):
            self.longer_ids.add(str((tags or {}).get(STACK_TAG)))
            return True
        return False

    def without_longer_stacks_untagged(self) -> None:
        """Drop what carries no tags (dashboards, schedules) but is named like a stack whose id extends
        ours (``lh-1-x``, seen by the tags of its other resources): a name belongs to the most specific
        stack it fits."""

        def theirs(res: CloudResource) -> bool:
            bare = UNTAGGED_KINDS.get(res.kind)
            return (
                bare is not None
                and res.found_by == (NAME_PREFIX,)
                and any(named_like(bare(res.name), other, self.project) for other in self.longer_ids)
            )

        self.inv.resources = [r for r in self.inv.resources if not theirs(r)]

    def found_by(self, name: str, tags: Mapping[str, str] | None) -> tuple[str, ...]:
        how = []
        if tags is not None and tags.get(STACK_TAG) == self.inv.stack_id:
            how.append(TAG)
        if self.named_like_stack(name) and not self.longer_stacks(name, tags):
            how.append(NAME_PREFIX)
        return tuple(how)

    def unreadable(self, what: str, region: str, err: Exception) -> None:
        self.inv.unreadable.append(f"{what} ({region}): {str(err).splitlines()[0] if str(err) else type(err).__name__}")

    def tags(self, what: str, region: str, read: Callable[..., dict[str, str]], *args: Any) -> dict[str, str] | None:
        """Tags of one resource (``read(*args)``); None (recorded as unreadable) when they cannot be read."""
        try:
            return read(*args)
        except _READ_ERRORS as err:
            self.unreadable(f"tags of {what}", region, err)
            return None

    def add(self, kind: str, key: str, name: str, region: str, found_by: tuple[str, ...]) -> CloudResource | None:
        if not found_by:
            return None
        res = CloudResource(kind, key, name, region, found_by)
        self.inv.resources.append(res)
        return res

    def guarded(self, what: str, region: str, read: Callable[..., object], *args: Any) -> None:
        """Run one listing (``read(*args)``); a failure is recorded (never silently skipped), the search goes on."""
        try:
            read(*args)
        except _READ_ERRORS as err:
            self.unreadable(what, region, err)

    # -- S3 ---------------------------------------------------------------------------------------

    def s3_buckets(self) -> None:
        s3 = self.target.client("s3")
        for page in s3.get_paginator("list_buckets").paginate():
            for bucket in page.get("Buckets", []):
                name = bucket["Name"]
                tags = self.tags(f"bucket {name}", GLOBAL, self._bucket_tags, s3, name)
                how = self.found_by(name, tags)
                if how:
                    region = bucket.get("BucketRegion") or self._bucket_region(s3, name)
                    self.add("aws_s3_bucket", name, name, region, how)

    @staticmethod
    def _bucket_tags(s3: Any, name: str) -> dict[str, str]:
        try:
            return _tags_from_list(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
        except ClientError as err:
            if err.response["Error"]["Code"] in ("NoSuchTagSet", "NoSuchBucket"):
                return {}
            raise

    def bucket_configurations(self) -> None:
        """Notifications, replication, CORS, website, logging, lifecycle, policy, ... of every stack bucket
        (``lakehouse.bucket_configs``): each its own Terraform resource, invisible to the plan when made by hand."""
        s3 = self.target.client("s3")
        for bucket in self.inv.of_kind("aws_s3_bucket"):
            for what, read in bucket_configs(s3, bucket.name):
                try:
                    found = read()
                except _READ_ERRORS as err:
                    self.unreadable(what, bucket.region, err)
                    continue
                for config in found:
                    self.add(config.kind, config.key, config.name, bucket.region, (OF_STACK_BUCKET,))

    def access_points(self) -> None:
        """Every access point of the account in the stack's region: by tag, name prefix, or its bucket."""
        control = s3control(self.target)
        region = self.target.region
        buckets = {r.name for r in self.inv.of_kind("aws_s3_bucket")}
        seen: set[str] = set()
        for ap in _pages(lambda **kw: control.list_access_points(AccountId=self.inv.account, **kw), "AccessPointList"):
            name, bucket = str(ap["Name"]), str(ap.get("Bucket") or "")
            arn = str(
                ap.get("AccessPointArn")
                or f"arn:{self.inv.partition}:s3:{region}:{self.inv.account}:accesspoint/{name}"
            )
            if name in seen:
                continue
            seen.add(name)
            tags = self.tags(f"access point {name}", region, self._access_point_tags, control, arn)
            how = self.found_by(name, tags) + ((ON_STACK_BUCKET,) if bucket in buckets else ())
            self.add("aws_s3_access_point", f"{self.inv.account}:{name}", f"{name} on {bucket}", region, how)

    def _access_point_tags(self, control: Any, arn: str) -> dict[str, str]:
        return _tags_from_list(control.list_tags_for_resource(AccountId=self.inv.account, ResourceArn=arn).get("Tags"))

    def _bucket_region(self, s3: Any, name: str) -> str:
        try:
            return str(s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1")
        except _READ_ERRORS:
            return "unknown"

    # -- IAM --------------------------------------------------------------------------------------

    def iam(self) -> None:
        iam = self.target.client("iam")
        roles: list[str] = []
        users: list[str] = []
        for page in iam.get_paginator("list_roles").paginate():
            for role in page["Roles"]:
                if role.get("Path", "/").startswith("/aws-service-role/"):
                    continue
                name = role["RoleName"]
                tags = self.tags(f"role {name}", GLOBAL, _iam_tags, iam, "list_role_tags", {"RoleName": name})
                if self.add("aws_iam_role", name, name, GLOBAL, self.found_by(name, tags)):
                    roles.append(name)
        for page in iam.get_paginator("list_users").paginate():
            for user in page["Users"]:
                name = user["UserName"]
                tags = self.tags(f"user {name}", GLOBAL, _iam_tags, iam, "list_user_tags", {"UserName": name})
                if self.add("aws_iam_user", name, name, GLOBAL, self.found_by(name, tags)):
                    users.append(name)
        for page in iam.get_paginator("list_policies").paginate(Scope="Local"):
            for policy in page["Policies"]:
                arn, name = policy["Arn"], policy["PolicyName"]
                tags = self.tags(f"policy {name}", GLOBAL, _iam_tags, iam, "list_policy_tags", {"PolicyArn": arn})
                self.add("aws_iam_policy", arn, name, GLOBAL, self.found_by(name, tags))
        for role in roles:
            self.guarded(
                f"iam ListAttachedRolePolicies/ListRolePolicies of {role}",
                GLOBAL,
                self._hanging_policies,
                iam,
                "role",
                role,
            )
        for user in users:
            self.guarded(
                f"iam ListAttachedUserPolicies/ListUserPolicies of {user}",
                GLOBAL,
                self._hanging_policies,
                iam,
                "user",
                user,
            )

    def _hanging_policies(self, iam: Any, of: str, name: str) -> None:
        """Managed policies attached to, and inline policies in, one stack role or user."""
        cap = of.capitalize()
        how = (f"policies of a stack {of}",)
        for page in iam.get_paginator(f"list_attached_{of}_policies").paginate(**{f"{cap}Name": name}):
            for att in page["AttachedPolicies"]:
                arn = att["PolicyArn"]
                self.add(f"aws_iam_{of}_policy_attachment", f"{name}/{arn}", f"{name} <- {arn}", GLOBAL, how)
                self._attached_policy(str(arn), str(att.get("PolicyName") or arn.rsplit("/", 1)[-1]), of, name)
        for page in iam.get_paginator(f"list_{of}_policies").paginate(**{f"{cap}Name": name}):
            for policy in page["PolicyNames"]:
                self.add(f"aws_iam_{of}_policy", f"{name}:{policy}", f"{name}:{policy}", GLOBAL, how)

    def _attached_policy(self, arn: str, policy: str, of: str, name: str) -> None:
        """A customer-managed policy a stack role or user holds is the stack's whatever its name or tags: one
        the root only reads (``data "aws_iam_policy"``) and attaches is in no state, and a new default
        version made by hand widens the role with no plan change. AWS-managed policies are AWS's own."""
        if arn.split(":")[4:5] == ["aws"]:
            return
        if not any(r.kind == "aws_iam_policy" and r.key == arn for r in self.inv.resources):  # once, however found
            self.add("aws_iam_policy", arn, policy, GLOBAL, (f"{USES_STACK}: attached to {of} {name}",))

    # -- SQS --------------------------------------------------------------------------------------

    def sqs(self, region: str) -> None:
        sqs = self.target.client("sqs", region=region)
        for page in sqs.get_paginator("list_queues").paginate():
            for url in page.get("QueueUrls") or []:
                name = str(url).rstrip("/").rsplit("/", 1)[-1]
                tags = self.tags(f"queue {name}", region, _tags_via, sqs.list_queue_tags, "Tags", {"QueueUrl": url})
                arn = f"arn:{self.inv.partition}:sqs:{region}:{self.inv.account}:{name}"
                if self.add("aws_sqs_queue", arn, name, region, self.found_by(name, tags)):
                    self.guarded(f"sqs GetQueueAttributes of {name}", region, self._redrive, sqs, name, url, arn)

    def _redrive(self, sqs: Any, name: str, url: str, arn: str) -> None:
        """A stack queue's redrive settings (``lakehouse.queue_redrive``); a queue deleted since listed has none."""
        try:
            self.inv.queue_redrives[arn] = read_redrive(sqs, name, url)
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") not in _GONE_QUEUE:
                raise

    # -- App Runner, SageMaker, EventBridge Scheduler (the v0.9 components) ----------------------

    def apprunner(self, region: str) -> None:
        """Services and every revision of every auto scaling configuration (botocore has no paginators)."""
        apprunner = self.target.client("apprunner", region=region)
        for service in _pages(apprunner.list_services, "ServiceSummaryList"):
            arn, name = service["ServiceArn"], service["ServiceName"]
            tags = self.tags(
                f"App Runner service {name}",
                region,
                _tags_via,
                apprunner.list_tags_for_resource,
                "Tags",
                {"ResourceArn": arn},
            )
            self.add("aws_apprunner_service", arn, name, region, self.found_by(name, tags))
        listing = _bound(apprunner.list_auto_scaling_configurations, LatestOnly=False)
        for config in _pages(listing, "AutoScalingConfigurationSummaryList"):
            arn, name = config["AutoScalingConfigurationArn"], config["AutoScalingConfigurationName"]
            if config.get("IsDefault") or config.get("Status", "active").lower() != "active":
                continue  # the account's DefaultConfiguration is AWS's own; inactive ones are deleted
            tags = self.tags(
                f"auto scaling configuration {name}",
                region,
                _tags_via,
                apprunner.list_tags_for_resource,
                "Tags",
                {"ResourceArn": arn},
            )
            self.add(
                "aws_apprunner_auto_scaling_configuration_version",
                arn,
                f"{name} revision {config.get('AutoScalingConfigurationRevision')}",
                region,
                self.found_by(name, tags),
            )

    def sagemaker(self, region: str) -> None:
        """Models, endpoint configurations and endpoints: what serves the MLflow model."""
        sagemaker = self.target.client("sagemaker", region=region)
        listings = (
            ("aws_sagemaker_model", "list_models", "Models", "ModelName", "ModelArn"),
            (
                "aws_sagemaker_endpoint_configuration",
                "list_endpoint_configs",
                "EndpointConfigs",
                "EndpointConfigName",
                "EndpointConfigArn",
            ),
            ("aws_sagemaker_endpoint", "list_endpoints", "Endpoints", "EndpointName", "EndpointArn"),
        )
        for kind, operation, key, name_field, arn_field in listings:
            for page in sagemaker.get_paginator(operation).paginate():
                for item in page.get(key, []):
                    arn, name = item[arn_field], item[name_field]
                    tags = self.tags(f"{kind} {name}", region, sagemaker_tags, sagemaker, arn)
                    self.add(kind, arn, name, region, self.found_by(name, tags))

    def schedules(self, region: str) -> None:
        """Schedule groups (by tag or name prefix; ``default`` is AWS's own) and schedules: these carry
        no tags (their groups do), so by name prefix or what they use (``_schedule_uses``), in every group."""
        scheduler = self.target.client("scheduler", region=region)
        for page in scheduler.get_paginator("list_schedule_groups").paginate():
            for group in page.get("ScheduleGroups", []):
                arn, name = group["Arn"], group["Name"]
                if name == "default":
                    continue
                tags = self.tags(
                    f"schedule group {name}",
                    region,
                    _tags_via,
                    scheduler.list_tags_for_resource,
                    "Tags",
                    {"ResourceArn": arn},
                )
                self.add("aws_scheduler_schedule_group", arn, name, region, self.found_by(name, tags))
        groups = set(in_region(self, "aws_scheduler_schedule_group", region))
        for page in scheduler.get_paginator("list_schedules").paginate():
            for schedule in page.get("Schedules", []):
                name, group = str(schedule["Name"]), str(schedule.get("GroupName") or "default")
                uses = [f"group {group}"] if group in groups else []
                uses += self._schedule_uses(scheduler, name, group)
                how = self.found_by(name, None) + tuple(f"{USES_STACK}: {u}" for u in uses)
                self.add("aws_scheduler_schedule", schedule["Arn"], f"{group}/{name}", region, how)

    def _schedule_uses(self, scheduler: Any, name: str, group: str) -> list[str]:
        """The stack things one schedule's target uses: a stack role it runs as, a stack resource it
        invokes or its input names (a universal ``aws-sdk`` target names the resource in its input only).

        Schedules take no tags, so a hand-made one named by a person is found only this way (the
        schedule listing has no role nor input: one GetSchedule each)."""
        try:
            target = scheduler.get_schedule(Name=name, GroupName=group).get("Target") or {}
        except ClientError as err:
            if err.response["Error"]["Code"] != "ResourceNotFoundException":  # else deleted since listed
                self.unreadable(f"scheduler GetSchedule {group}/{name}", self.target.region, err)
            return []
        role = str(target.get("RoleArn") or "")
        uses = [f"role {role.rsplit('/', 1)[-1]}"] if role.rsplit("/", 1)[-1] in stack_roles(self) else []
        arns = stack_arns(self)
        invoked = str(target.get("Arn") or "")
        uses += [f"target {invoked}"] if invoked in arns else []
        named = set(_ARN_IN_TEXT.findall(str(target.get("Input") or "")))
        uses += [f"input names {arn}" for arn in sorted(arns & named)]
        return uses

    # -- SNS --------------------------------------------------------------------------------------

    def sns(self, region: str) -> None:
        sns = self.target.client("sns", region=region)
        for page in sns.get_paginator("list_topics").paginate():
            for topic in page["Topics"]:
                arn = topic["TopicArn"]
                name = arn.rsplit(":", 1)[-1]
                tags = self.tags(
                    f"topic {name}",
                    region,
                    _tags_via,
                    sns.list_tags_for_resource,
                    "Tags",
                    {"ResourceArn": arn},
                )
                if self.add("aws_sns_topic", arn, name, region, self.found_by(name, tags)):
                    self.guarded(
                        f"sns ListSubscriptionsByTopic of {name}",
                        region,
                        self._subscriptions,
                        sns,
                        arn,
                        name,
                        region,
                    )

    def _subscriptions(self, sns: Any, topic_arn: str, topic: str, region: str) -> None:
        for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
            for sub in page["Subscriptions"]:
                self._subscription(sub, region, OF_STACK_TOPIC)

    def _subscription(self, sub: Mapping[str, Any], region: str, how: str) -> None:
        """One subscription, once, however many ways it was found."""
        topic_arn = str(sub["TopicArn"])
        key = f"{topic_arn} {sub['Protocol']} {sub['Endpoint']}"
        if any(r.kind == "aws_sns_topic_subscription" and r.key == key for r in self.inv.resources):
            return
        name = f"{sub['Protocol']}:{sub['Endpoint']} on {topic_arn.rsplit(':', 1)[-1]}"
        self.add("aws_sns_topic_subscription", key, name, region, (how,))

    def queue_subscriptions(self, region: str) -> None:
        """Subscriptions of any topic (the stack's or not) that deliver to a stack queue."""
        queues = {r.key for r in self.inv.of_kind("aws_sqs_queue")}
        if not queues:
            return
        sns = self.target.client("sns", region=region)
        for page in sns.get_paginator("list_subscriptions").paginate():
            for sub in page.get("Subscriptions") or []:
                if sub.get("Protocol") == "sqs" and sub.get("Endpoint") in queues:
                    self._subscription(sub, region, TO_STACK_QUEUE)

    # -- Athena -----------------------------------------------------------------------------------

    def athena(self, region: str) -> None:
        athena = self.target.client("athena", region=region)
        kwargs: dict[str, str] = {}
        while True:  # botocore has no paginator for ListWorkGroups
            page = athena.list_work_groups(**kwargs)
            for wg in page["WorkGroups"]:
                name = wg["Name"]
                arn = f"arn:{self.inv.partition}:athena:{region}:{self.inv.account}:workgroup/{name}"
                tags = self.tags(f"workgroup {name}", region, _athena_tags, athena, arn)
                self.add("aws_athena_workgroup", arn, name, region, self.found_by(name, tags))
            if not page.get("NextToken"):
                return
            kwargs = {"NextToken": page["NextToken"]}

    # -- Glue -------------------------------------------------------------------------------------

    def glue(self, region: str, stack_dbs_by_region: dict[str, list[str]]) -> None:
        """Databases and tables; keeps the stack's databases of this region (for Lake Formation)."""
        glue = self.target.client("glue", region=region)
        arn_prefix = f"arn:{self.inv.partition}:glue:{region}:{self.inv.account}"
        stack_dbs = stack_dbs_by_region.setdefault(region, [])
        for page in glue.get_paginator("get_databases").paginate():
            for db in page["DatabaseList"]:
                name = db["Name"]
                arn = f"{arn_prefix}:database/{name}"
                tags = self.tags(f"database {name}", region, _tags_via, glue.get_tags, "Tags", {"ResourceArn": arn})
                ours = self.add("aws_glue_catalog_database", arn, name, region, self.found_by(name, tags)) is not None
                if ours:
                    stack_dbs.append(name)
                    self.inv.database_defaults[arn] = list(db.get("CreateTableDefaultPermissions") or [])
                self.guarded(
                    f"glue GetTables of {name}",
                    region,
                    self._tables,
                    glue,
                    arn_prefix,
                    name,
                    ours,
                    region,
                )

    def _tables(self, glue: Any, arn_prefix: str, database: str, stack_database: bool, region: str) -> None:
        """Every table of a stack database; elsewhere only tables tagged for the stack."""
        for page in glue.get_paginator("get_tables").paginate(DatabaseName=database):
            for table in page["TableList"]:
                name = f"{database}.{table['Name']}"
                arn = f"{arn_prefix}:table/{database}/{table['Name']}"
                metadata = (table.get("Parameters") or {}).get("metadata_location")
                if stack_database:
                    how: tuple[str, ...] = (DATABASE_CONTENTS,)
                    location = (table.get("StorageDescriptor") or {}).get("Location")
                    writes = self._iceberg_writes(name, str(metadata), region) if metadata else {}
                    self.inv.table_locations[name] = TableLocation(
                        str(location) if location else None, str(metadata) if metadata else None, writes
                    )
                else:
                    tags = self.tags(f"table {name}", region, _tags_via, glue.get_tags, "Tags", {"ResourceArn": arn})
                    how = (TAG,) if tags and tags.get(STACK_TAG) == self.inv.stack_id else ()
                if self.add("aws_glue_catalog_table", arn, name, region, how) and metadata:
                    self.inv.iceberg_tables.add(name)

    def _iceberg_writes(self, table: str, metadata_location: str, region: str) -> dict[str, str]:
        """Where a stack Iceberg table's current metadata sends its next files (read from S3); a read that
        fails is recorded (the check cannot pass on what it did not read) and yields nothing."""
        if self._s3 is None:
            self._s3 = self.target.client("s3")
        try:
            return iceberg_places(read_metadata(self._s3, metadata_location, table))
        except (*_READ_ERRORS, ValueError, TypeError) as err:
            self.unreadable(f"s3 GetObject of {table}'s Iceberg metadata {metadata_location}", region, err)
            return {}

    # -- Budgets ----------------------------------------------------------------------------------

    def budgets(self) -> None:
        """Budgets are global (one endpoint for every region), so they are listed once."""
        budgets = self.target.client("budgets")
        account = self.inv.account
        for page in budgets.get_paginator("describe_budgets").paginate(AccountId=account):
            for budget in page.get("Budgets", []):
                name = budget["BudgetName"]
                arn = f"arn:{self.inv.partition}:budgets::{account}:budget/{name}"
                tags = self.tags(
                    f"budget {name}",
                    GLOBAL,
                    _tags_via,
                    budgets.list_tags_for_resource,
                    "ResourceTags",
                    {"ResourceARN": arn},
                )
                self.add("aws_budgets_budget", name, name, GLOBAL, self.found_by(name, tags))

    # -- CloudWatch -------------------------------------------------------------------------------

    def cloudwatch(self, region: str) -> None:
        cloudwatch = self.target.client("cloudwatch", region=region)
        kinds = {"MetricAlarms": "aws_cloudwatch_metric_alarm", "CompositeAlarms": "aws_cloudwatch_composite_alarm"}
        for page in cloudwatch.get_paginator("describe_alarms").paginate(AlarmTypes=["MetricAlarm", "CompositeAlarm"]):
            for field_name, kind in kinds.items():
                for alarm in page.get(field_name, []):
                    arn, name = alarm["AlarmArn"], alarm["AlarmName"]
                    tags = self.tags(
                        f"alarm {name}",
                        region,
                        _tags_via,
                        cloudwatch.list_tags_for_resource,
                        "Tags",
                        {"ResourceARN": arn},
                    )
                    self.add(kind, arn, name, region, self.found_by(name, tags) + self._alarm_uses(alarm, region))

    def _alarm_uses(self, alarm: Mapping[str, Any], region: str) -> tuple[str, ...]:
        """``uses the stack: action <topic>`` for each stack topic an alarm notifies in any state: an alarm
        made by hand (no tag, a person's name) paging the stack's topic is the stack's all the same."""
        topics = {r.key for r in self.inv.of_kind("aws_sns_topic") if r.region == region}
        actions = {
            str(a) for field in ("AlarmActions", "OKActions", "InsufficientDataActions") for a in alarm.get(field) or []
        }
        return tuple(f"{USES_STACK}: action {a}" for a in sorted(actions & topics))

    def dashboards(self, region: str, seen: set[str]) -> None:
        """Dashboards carry no tags: name prefix only. Account-global on AWS; the emulator keeps them
        per region, so every region the root deploys to is asked."""
        cloudwatch = self.target.client("cloudwatch", region=region)
        for page in cloudwatch.get_paginator("list_dashboards").paginate():
            for entry in page.get("DashboardEntries", []):
                name = entry["DashboardName"]
                if name not in seen and self.add(
                    "aws_cloudwatch_dashboard", name, name, GLOBAL, self.found_by(name, None)
                ):
                    seen.add(name)

    # -- Lake Formation ---------------------------------------------------------------------------

    def lake_settings(self) -> None:
        settings = self.target.client("lakeformation").get_data_lake_settings()["DataLakeSettings"]
        self.inv.lake_settings = LakeSettings(
            admins=sorted(a["DataLakePrincipalIdentifier"] for a in settings.get("DataLakeAdmins", [])),
            create_database_default_permissions=list(settings.get("CreateDatabaseDefaultPermissions", [])),
            create_table_default_permissions=list(settings.get("CreateTableDefaultPermissions", [])),
            read_only_admins=sorted(a["DataLakePrincipalIdentifier"] for a in settings.get("ReadOnlyAdmins") or []),
            trusted_resource_owners=sorted(str(o) for o in settings.get("TrustedResourceOwners") or []),
        )

    def lake_formation(self, region: str, stack_dbs: list[str]) -> None:
        """Grants on the stack's databases, tables, filters and buckets, or to a stack principal;
        data cells filters on stack tables; registered locations of stack buckets."""
        lf = self.target.client("lakeformation", region=region)
        dbs = {d.lower() for d in stack_dbs}
        # Stack principals by (kind, name): a principal's ARN carries the IAM path (role/team/x), its name not.
        principals = {
            (kind.removeprefix("aws_iam_"), r.name)
            for kind in ("aws_iam_role", "aws_iam_user")
            for r in self.inv.of_kind(kind)
        }
        buckets = {r.name for r in self.inv.of_kind("aws_s3_bucket")}

        def stack_principal(arn: str) -> bool:
            parts = arn.split(":", 5)
            if len(parts) < 6 or parts[2] != "iam" or parts[4] != self.inv.account or "/" not in parts[5]:
                return False
            kind, _, path_and_name = parts[5].partition("/")
            return (kind, path_and_name.rsplit("/", 1)[-1]) in principals

        def lf_tags() -> None:
            for page in lf.get_paginator("list_lf_tags").paginate():
                for tag in page.get("LFTags", []):
                    key, values = str(tag["TagKey"]), [str(v) for v in tag.get("TagValues") or []]
                    if region == self.target.region:
                        self.inv.lf_tags[key] = values
                    if self.named_like_stack(key):
                        label = f"{key} (values: {', '.join(sorted(values))})"
                        self.add("aws_lakeformation_lf_tag", key.lower(), label, region, (NAME_PREFIX,))
                    defined.append(key)

        def lf_tag_expressions() -> None:
            """Saved LF-Tag expressions named like the stack (the name is all that ties one to a stack)."""
            for page in lf.get_paginator("list_lf_tag_expressions").paginate():
                for found in page.get("LFTagExpressions", []):
                    name = str(found.get("Name", ""))
                    if self.named_like_stack(name):
                        label = expression_label(name, found.get("Expression"))
                        self.add(LF_TAG_EXPRESSION, name.lower(), label, region, (NAME_PREFIX,))

        defined: list[str] = []
        tags_listed = self._guarded_ok("lakeformation ListLFTags", region, lf_tags)
        self.guarded("lakeformation ListLFTagExpressions", region, lf_tag_expressions)
        # Nothing can be assigned in an account without LF-Tags: no read per table there.
        tagged = self._assigned_lf_tags(lf, region, stack_dbs) if defined or not tags_listed else {}

        def grants() -> None:
            by_tags: list[dict[str, Any]] = []
            for entry in _pages(lf.list_permissions, "PrincipalResourcePermissions"):
                resource = entry["Resource"]
                database = resource_database(resource)
                location = str(resource.get("DataLocation", {}).get("ResourceArn") or "")
                # A location is a bucket or a prefix in one (arn:aws:s3:::bucket/prefix).
                bucket = location.split(":::", 1)[-1].split("/", 1)[0] if location else ""
                principal = entry["Principal"]["DataLakePrincipalIdentifier"]
                if (
                    (database or "").lower() in dbs
                    or (bucket and (bucket in buckets or self.names_stack(bucket)))
                    or stack_principal(principal)
                ):
                    self.inv.grants.extend(grants_from_listing(entry, region))
                elif "LFTagPolicy" in resource or "LFTag" in resource:
                    by_tags.append(entry)
            if by_tags:
                self._tag_grants(lf, region, tagged, by_tags)

        def filters() -> None:
            for page in lf.get_paginator("list_data_cells_filter").paginate():
                for f in page.get("DataCellsFilters", []):
                    if f["DatabaseName"].lower() in dbs:
                        name = f"{f['DatabaseName']}.{f['TableName']}.{f['Name']}"
                        self.add("aws_lakeformation_data_cells_filter", name, name, region, (LF_LISTING,))

        def locations() -> None:
            for info in _pages(lf.list_resources, "ResourceInfoList"):
                arn = info["ResourceArn"]
                bucket = arn.split(":::", 1)[-1].split("/", 1)[0]
                if bucket in buckets or self.names_stack(bucket):
                    self.add("aws_lakeformation_resource", arn, arn, region, (LF_LISTING,))
                    self.inv.registrations[arn] = Registration(
                        str(info.get("RoleArn") or ""), bool(info.get("WithFederation"))
                    )

        self.guarded("lakeformation ListPermissions", region, grants)
        self.guarded("lakeformation ListDataCellsFilter", region, filters)
        self.guarded("lakeformation ListResources", region, locations)

    def _guarded_ok(self, what: str, region: str, read: Callable[..., object], *args: Any) -> bool:
        """``guarded``, saying whether the listing was read."""
        before = len(self.inv.unreadable)
        self.guarded(what, region, read, *args)
        return len(self.inv.unreadable) == before

    def _assigned_lf_tags(self, lf: Any, region: str, stack_dbs: list[str]) -> dict[str, dict[str, Any]]:
        """The LF-Tags assigned to each stack database and table (and its columns), kept as
        ``LfTagAssignment``s; answers ``database <db>`` / ``table <db>.<t>`` -> its tags with what it inherits
        (``LFTagOnDatabase`` the database's own), for ``lf_grants.reached_by_tags``.

        ``ShowAssignedLFTags``: without it Lake Formation shows a table the tags it inherits from its database
        and a column those of its table, which were assigned by whoever tagged the database or table. One call
        per database and one per table: a table's answer covers its columns."""
        tagged: dict[str, dict[str, Any]] = {}
        tables = [
            r.name
            for r in self.inv.of_kind("aws_glue_catalog_table")
            if DATABASE_CONTENTS in r.found_by and r.region == region
        ]
        glue = self.target.client("glue", region=region)
        for database in stack_dbs:
            try:
                on_db = read_assigned(lf, glue, database)
            except _READ_ERRORS as err:
                self.unreadable(f"lakeformation GetResourceLFTags of database {database}", region, err)
                on_db = {}
            if on_db is None:  # dropped since Glue listed it, and its tables with it
                self.inv.gone_while_read.append(f"database {database} ({region})")
                continue
            db_tags = list(on_db.get("LFTagOnDatabase") or [])
            self.inv.lf_tag_assignments += assignments_from_answer(on_db, database, "", region)
            tagged[f"database {database}"] = {"LFTagOnDatabase": db_tags}
            for table in (t for t in tables if t.split(".", 1)[0] == database):
                name = table.split(".", 1)[1]
                try:
                    answer = read_assigned(lf, glue, database, name)
                except _READ_ERRORS as err:
                    self.unreadable(f"lakeformation GetResourceLFTags of table {table}", region, err)
                    continue
                if answer is None:
                    self.inv.gone_while_read.append(f"table {table} ({region})")
                    continue
                self.inv.lf_tag_assignments += assignments_from_answer(answer, database, name, region)
                answer["LFTagOnDatabase"] = db_tags  # inherited, as the database's own answer says
                tagged[f"table {table}"] = answer
        self.inv.lf_tag_assignments.sort()
        return tagged

    def _tag_grants(
        self, lf: Any, region: str, tagged: Mapping[str, Mapping[str, Any]], entries: list[dict[str, Any]]
    ) -> None:
        """LF-Tag grants (policy or tag) naming no stack resource, kept when their tags reach a stack database or
        table (``lf_grants.reached_by_tags``): a grant on ``level=open`` to another account opens every stack
        table tagged so, and is in no state when made by hand."""
        if not any(carries_tags(answer) for answer in tagged.values()):
            return  # nothing of the stack carries an LF-Tag: no tag grant (other teams', on theirs) reaches it
        expressions: dict[str, list[dict[str, Any]] | None] = {}  # many grants name one saved expression
        for entry in entries:
            resource = entry["Resource"]
            policy = resource.get("LFTagPolicy") or {}
            expression = policy.get("Expression")
            if "LFTagPolicy" in resource and not expression:
                name = str(policy.get("ExpressionName"))
                if name not in expressions:
                    try:
                        expressions[name] = list(lf.get_lf_tag_expression(Name=name).get("Expression") or [])
                    except _READ_ERRORS as err:
                        self.unreadable(f"lakeformation GetLFTagExpression {name}", region, err)
                        expressions[name] = None
                expression = expressions[name]
                if not expression:
                    continue
            reached = reached_by_tags(resource, expression, tagged)
            if reached:
                shown = ", ".join(reached[:5]) + (f" and {len(reached) - 5} more" if len(reached) > 5 else "")
                self.inv.grants.extend(grants_from_listing(entry, region, f"its LF-Tags reach {shown}"))

    # -- any service, any region: the tagging sweep -----------------------------------------------

    def enabled_regions(self) -> None:
        regions = self.target.client("ec2").describe_regions(AllRegions=False)["Regions"]
        self.inv.swept_regions = sorted(
            r["RegionName"] for r in regions if r.get("OptInStatus", ENABLED_REGION[0]) in ENABLED_REGION
        )

    def tagged(self, region: str, known: set[str]) -> None:
        """Whatever carries the stack's tag in ``region`` that no listing found (``known``: ARNs and S3 names)."""
        tagging = self.target.client("resourcegroupstaggingapi", region=region)
        tag_filter = [{"Key": STACK_TAG, "Values": [self.inv.stack_id]}]
        for page in tagging.get_paginator("get_resources").paginate(TagFilters=tag_filter):
            for mapping in page.get("ResourceTagMappingList", []):
                arn = str(mapping["ResourceARN"])
                if arn in known or arn_service(arn) in _ACCOUNT_WIDE:
                    continue
                if arn_service(arn) == "s3" and arn_name(arn).rsplit("/", 1)[-1] in known:
                    continue  # a bucket (by name) or an access point (accesspoint/<name>) the S3 listings found
                known.add(arn)
                self.add(TAGGED, arn, f"{arn_kind(arn)} {arn_name(arn)}", region, (TAGGING_API,))

    def _known(self) -> set[str]:
        known = {r.key for r in self.inv.resources}
        known |= {r.name for r in self.inv.of_kind("aws_s3_bucket")}
        known |= {r.key.split(":", 1)[1] for r in self.inv.of_kind("aws_s3_access_point")}
        return known

    # -- all --------------------------------------------------------------------------------------

    def run(self) -> Inventory:
        inv = self.inv
        try:
            ident = self.target.client("sts").get_caller_identity()
        except _READ_ERRORS as err:
            self.unreadable("sts GetCallerIdentity", self.target.region, err)
            return inv
        inv.account, inv.partition = ident["Account"], ident["Arn"].split(":")[1]
        self.guarded("s3 ListBuckets", GLOBAL, self.s3_buckets)
        self.bucket_configurations()
        self.guarded("s3control ListAccessPoints", self.target.region, self.access_points)
        self.guarded("iam ListRoles/ListUsers/ListPolicies", GLOBAL, self.iam)
        self.guarded("budgets DescribeBudgets", GLOBAL, self.budgets)
        # Linked to a stack role (lakehouse.inventory_links), whatever their names.
        self.guarded("iam ListInstanceProfiles", GLOBAL, instance_profiles, self, GLOBAL)
        seen_dashboards: set[str] = set()
        stack_dbs: dict[str, list[str]] = {}
        for region in inv.regions:
            self.guarded("sqs ListQueues", region, self.sqs, region)
            self.guarded("sqs ListDeadLetterSourceQueues", region, dead_letter_sources, self, region)
            self.guarded("apprunner ListServices/ListAutoScalingConfigurations", region, self.apprunner, region)
            self.guarded("sagemaker ListModels/ListEndpointConfigs/ListEndpoints", region, self.sagemaker, region)
        for region in inv.regions:
            self.guarded("sns ListTopics", region, self.sns, region)
            self.guarded("sns ListSubscriptions", region, self.queue_subscriptions, region)
            self.guarded("athena ListWorkGroups", region, self.athena, region)
            self.guarded("cloudwatch DescribeAlarms", region, self.cloudwatch, region)
            self.guarded("cloudwatch ListDashboards", region, self.dashboards, region, seen_dashboards)
            self.guarded("glue GetDatabases", region, self.glue, region, stack_dbs)
        # After the kinds they hang off (workgroups, databases, buckets, roles, topics, queues).
        for region in inv.regions:
            self.guarded("scheduler ListScheduleGroups/ListSchedules", region, self.schedules, region)
            self.guarded("athena ListNamedQueries/ListPreparedStatements", region, athena_named_queries, self, region)
            self.guarded("glue GetCrawlers/GetJobs/GetTriggers", region, glue_jobs_and_crawlers, self, region)
            self.guarded("events ListRules/ListTargetsByRule", region, event_rules, self, region)
            self.guarded("logs DescribeLogGroups", region, log_groups, self, region)
            self.guarded("kms ListAliases", region, kms_aliases, self, region)
            # After topics and queues: a catalog is the stack's by what it names.
            self.guarded("athena ListDataCatalogs/GetDataCatalog", region, data_catalogs, self, region)
            self.guarded("glue GetConnections/ListWorkflows", region, glue_connections_and_workflows, self, region)
            self.guarded("glue GetTableOptimizer", region, table_optimizers, self, region)
            self.guarded("glue GetResourcePolicy", region, glue_resource_policy, self, region)
            self.guarded(
                "s3control ListAccessGrantsInstances/ListAccessGrantsLocations/ListAccessGrants",
                region,
                access_grants,
                self,
                region,
            )
        # After IAM, S3 and Glue: the grants are selected by the stack's principals, buckets and databases.
        self.guarded("lakeformation GetDataLakeSettings", self.target.region, self.lake_settings)
        for region in inv.regions:
            self.lake_formation(region, stack_dbs.get(region, []))
        self.guarded("ec2 DescribeRegions", GLOBAL, self.enabled_regions)
        known = self._known()
        for region in inv.swept_regions or inv.regions:
            self.guarded("tagging GetResources", region, self.tagged, region, known)
        # After the sweep: a mapping is the stack's by a stream, table or function the stack knows by its tag only,
        # a budget action by an instance it stops.
        for region in inv.regions:
            self.guarded("lambda ListEventSourceMappings", region, event_source_mappings, self, region)
            self.guarded("pipes ListPipes/DescribePipe", region, pipes, self, region)
            self.guarded("events ListArchives", region, event_archives, self, region)  # of a bus known by its tag
            # Of a stack log group, or one AWS writes for a stack function known by its tag only.
            self.guarded("logs DescribeMetricFilters/DescribeSubscriptionFilters", region, log_filters, self, region)
            self.guarded("logs DescribeResourcePolicies", region, log_resource_policies, self, region)
        self.guarded("budgets DescribeBudgetActionsForAccount", GLOBAL, budget_actions, self, GLOBAL)
        key_grants(self)  # each key guarded on its own, in its own region
        for region in inv.regions:  # after the stack keys: every other key is an outside one
            self.guarded("kms ListKeys", region, outside_keys, self, region)
        self.without_longer_stacks_untagged()
        inv.resources.sort()
        inv.grants.sort()
        return inv


def sagemaker_tags(sagemaker: Any, arn: str) -> dict[str, str]:
    """A SageMaker resource's tags (ListTags, every page)."""
    tags: dict[str, str] = {}
    for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn):
        tags.update(_tags_from_list(page.get("Tags")))
    return tags


def _bound(operation: Callable[..., dict[str, Any]], **fixed: Any) -> Callable[..., dict[str, Any]]:
    return lambda **kwargs: operation(**fixed, **kwargs)


def _pages(operation: Callable[..., dict[str, Any]], key: str) -> Iterator[dict[str, Any]]:
    """Items of a NextToken-paged operation botocore has no paginator for."""
    kwargs: dict[str, str] = {}
    while True:
        page = operation(**kwargs)
        yield from page.get(key, [])
        if not page.get("NextToken"):
            return
        kwargs = {"NextToken": page["NextToken"]}


def stack_inventory(target: Target, stack_id: str, project: str = DEFAULT_PROJECT) -> Inventory:
    """Everything of the stack in the account, found by tag, name prefix and contents (module doc)."""
    return _Search(target, stack_id, project).run()
