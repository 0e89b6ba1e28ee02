"""@STACK-catalog: the Backstage catalog names the stack's real resources, is owned, is served, and idles paused.

Read / judge / check: :func:`read_catalog` reads everything through the services' APIs (S3 HeadBucket,
Glue GetDatabase, Athena GetWorkGroup, App Runner ListServices/DescribeService, the lineage and MLflow
services' HTTP APIs, the catalog service's ``GET /api/catalog/entities``); the judges are pure; and
:func:`verdict` composes them. What a Resource names comes from catalog-info.yaml's annotations with
the stack's id, account and region filled in (never from the stack's Terraform outputs), so an entity
pointing at something the stack does not have fails, named; so does one naming something that exists but is
not the stack's: a name without the stack's prefix (the same for every stack, or another stack's id), a
``stack_id`` tag of another stack (S3 GetBucketTagging, Glue GetTags, Athena ListTagsForResource, App Runner
ListTagsForResource: a stack whose id extends this one's, ``lh-1`` beside ``lh``, has its prefix; a resource of the
stack's name without the tag is an error, whose it is cannot be told), an
S3 bucket in another region (HeadBucket's ``x-amz-bucket-region``) or of another account (bucket names are global:
one its account's ListBuckets does not list), a Glue resource link (GetDatabase's ``TargetDatabase``: the tables are
the target database's, often another account's) in place of a database. Each is read in its own region: the one the
stack's Terraform state puts it in (its ARN's region, ``lakehouse.catalog.regions``), else the stack's. What
exists must be usable: an App Runner service CREATE_FAILED, DELETE_FAILED or DELETED runs nothing (one
OPERATION_IN_PROGRESS is waited out, with a deadline), a DISABLED Athena workgroup runs no query.

Owned: every owner is a Group of the catalog, and every Group a team of the plan: one the repository's CODEOWNERS
names (its ``github.com/team-slug``), the team CODEOWNERS gives each Component's directory
(``backstage.io/source-location``) to (``lakehouse.catalog.teams``), in this repository: the one the harness is
told, else the checkout's origin remote (``lakehouse.catalog.repository``; unknown: stated as not judged).

Served: the catalog service's answer is compared with the repository's catalog-info.yaml, entity by entity
(spec, the metadata and annotations the file writes). Locally the harness serves the copy taken when the stack
was deployed (``lakehouse.catalog.service.deployed_copy``, as App Runner serves the image built then), so a
service answering a stale or partial catalog fails there as on aws. Backstage's own Location entity for the
file's registered location passes beside them, no other (``lakehouse.catalog.locations``).

Idle: App Runner cannot scale to zero and has no auto-pause (a RUNNING service bills its provisioned
memory while idle), so the stack must pause the service itself. The check reads that mechanism back:
an EventBridge Scheduler schedule (ListSchedules, GetSchedule) whose target is App Runner's
``pauseService`` with this service's ARN, ENABLED, firing at least every stated number of hours, from
now on and with no EndDate (a ``rate(...)`` by its rate, a ``cron(...)`` by its longest gap between two
firings in its ``ScheduleExpressionTimezone``, DST included (``lakehouse.schedule_gap``), an ``at(...)`` or an
expression that cannot be evaluated never; a ``FLEXIBLE`` time window counts: Scheduler may invoke each firing
up to ``MaximumWindowInMinutes`` after its time, so a pause may come that much later than the gap says),
with a role (IAM GetRole, its policies and permissions boundary) of the schedule's own account and at the
very ARN it names (a same-named role of another account or path is another role, never judged in its place)
that Scheduler may assume and that is surely allowed ``apprunner:PauseService`` on the service
(``lakehouse.checks.schedule_role``: a conditioned Allow proves nothing there), and, when the schedule
encrypts its input with a customer managed key (``KmsKeyArn``), allowed to decrypt with that key (KMS
DescribeKey, GetKeyPolicy, ListGrants): Scheduler decrypts as the role at every firing. A schedule must be in the
service's region: a universal target names no region, so Scheduler calls pauseService in the schedule's own (one in
us-east-1 cannot pause a service of eu-central-1); schedules naming the service in the stack's other regions are
read too, to be named with both regions. Every other App Runner service of the stack (named with its prefix or
tagged with its id: ``lakehouse.catalog.service.stack_services``, in every region the stack's state uses, and
every one its state holds) bills idle the same way and is held to the same rule. A region of the state where App
Runner is not offered (botocore's endpoint data, ``lakehouse.catalog.regions.offers``; unless its state holds a
service there) has no App Runner endpoint to
list: it is skipped with a note in the evidence (``details['notes']``); one that offers it and does not answer is an
error. The same holds for EventBridge Scheduler (``offers("scheduler", ...)``, unless its state holds a schedule
there): a region without it is not listed, with a note; a service whose own region has none cannot be paused (a
schedule elsewhere pauses its own region's service), and is named so. Each region's schedules are listed once
(:class:`ScheduleListings`) and shared by all the services judged.
A paused service is resumed to be asked and paused again afterwards (``lakehouse.catalog.service.answering``).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.catalog.locations import Unjudged as UnjudgedLocation
from lakehouse.catalog.locations import location_problem, read_from
from lakehouse.catalog.model import DEFAULT_NAMESPACE, CatalogError, Entity, load_catalog, reference, served_ref
from lakehouse.catalog.regions import StackRegions, not_offered_note, offers, resource_region, stack_regions
from lakehouse.catalog.regions import source as offered_source
from lakehouse.catalog.repository import NAMED_BY, Repository, judge_sources, unjudged_sources
from lakehouse.catalog.service import (
    USABLE,
    CatalogServiceError,
    answering,
    find_service,
    service_name,
    settled,
    stack_services,
)
from lakehouse.catalog.teams import CodeOwners, judge_teams, read_codeowners
from lakehouse.checks.alert_delivery import read_key
from lakehouse.checks.iam_access import Policy
from lakehouse.checks.role_paths import read_role_policies
from lakehouse.checks.schedule_role import key_problems, not_allowed, untrusted
from lakehouse.outcome import Outcome
from lakehouse.ownership import Missing, read_tags
from lakehouse.policies import STACK_TAG
from lakehouse.schedule_gap import Unjudged, longest_gap
from lakehouse.target import Target

THRESHOLD = (
    "catalog-info.yaml valid against Backstage's entity schemas; every Resource it names exists in the stack, "
    "usable, in the region the stack's state puts it; "
    "every Component has a lifecycle and an owner that is a Group of the catalog, a team CODEOWNERS names "
    "(github.com/team-slug) and gives the Component's directory (backstage.io/source-location); every Group is such "
    "a team; the catalog service answers "
    "GET /api/catalog/entities with exactly the file's entities; an enabled schedule of the stack pauses the App "
    "Runner service, and every other App Runner service of the stack, at least every {hours} h, through a role "
    "allowed to"
)
#: The annotations catalog-info.yaml names resources with (README "Backstage catalog").
AWS_NAME = "lakehouse.io/aws-name"
SERVICE = "lakehouse.io/service"
#: Resource types the check can read back, and the API it reads each through.
READERS = {
    "s3-bucket": "S3 HeadBucket",
    "glue-database": "Glue GetDatabase",
    "athena-workgroup": "Athena GetWorkGroup",
    "apprunner-service": "App Runner ListServices",
    "lineage-service": "GET /api/v1/namespaces, and 404 for an unknown namespace",
    "mlflow-service": "GET /api/2.0/mlflow/experiments/search, and 404 for an unknown experiment",
}
HTTP_TIMEOUT_S = 10.0
#: How long a slow or failing answer is asked again before the check says it cannot tell.
HTTP_DEADLINE_S = 120.0
#: How a user names each service the stack runs beside AWS (on aws it has none of its own).
SERVICE_SETTINGS = {"lineage": "MARQUEZ_URL or --marquez-url", "mlflow": "MLFLOW_TRACKING_URI or --mlflow-url"}
PARTS = ("resources", "ownership", "served", "idle")
#: The stated longest time a resumed catalog service may run (the feature's number; infra's default).
DEFAULT_PAUSE_HOURS = 1
#: EventBridge Scheduler's universal target for App Runner's PauseService (any partition).
PAUSE_TARGET = re.compile(r"^arn:aws[a-z-]*:scheduler:::aws-sdk:apprunner:pauseService$")
#: Its universal target for ResumeService: a schedule calling it starts the service whether anyone uses it or not.
RESUME_TARGET = re.compile(r"^arn:aws[a-z-]*:scheduler:::aws-sdk:apprunner:resumeService$")
PAUSE_ACTION = "apprunner:PauseService"
#: The longest flexible time window EventBridge Scheduler accepts (FlexibleTimeWindow.MaximumWindowInMinutes).
MAX_WINDOW_MINUTES = 1440


class Unreadable(RuntimeError):
    """What the check needs could not be read (the outcome is ``error``, never ``passed``)."""


@dataclass(frozen=True)
class Lookup:
    """One Resource of the catalog read back: what it names, through which API, and whether it exists."""

    ref: str
    type: str
    names: str
    api: str
    exists: bool
    #: Why it counts as absent when something answers there (a service that is not the one named).
    why: str = ""
    #: Why what it names, existing or not, is not this stack's (another stack's name, another region).
    foreign: str = ""
    #: The region it was read in: where the stack's Terraform state puts it, else the stack's region.
    region: str = ""
    #: Why it is there but cannot be used (an App Runner service that failed, a disabled workgroup).
    unusable: str = ""


@dataclass
class CatalogReadback:
    """Everything the check judges, as read from the services."""

    entities: list[Entity]
    lookups: list[Lookup] = field(default_factory=list)
    service_name: str = ""
    service: dict[str, Any] | None = None  # DescribeService before the catalog was asked (idle)
    catalog_url: str | None = None
    served: list[dict[str, Any]] | None = None
    #: The schedules whose target pauses this service (GetSchedule), with what their role allows.
    pauses: list[PauseSchedule] = field(default_factory=list)
    #: The enabled schedules of its region that resume it (:func:`read_resumes`): each starts it idle.
    resumes: list[str] = field(default_factory=list)
    #: When it was read (a schedule's StartDate is judged against it).
    read_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: The stack's other App Runner services (by name prefix or stack_id tag, in every region of its state, and
    #: every one its state holds) and the schedules pausing each: each bills while it runs idle, so each must be
    #: paused as the catalog's is.
    others: list[StackService] = field(default_factory=list)
    #: The stack's region (its services in another region are named with theirs).
    region: str = ""
    #: What was not read and why it need not be (a region of the state where App Runner or Scheduler is not offered).
    notes: list[str] = field(default_factory=list)
    #: The repository's CODEOWNERS (None: it has none): the plan's teams the catalog's Groups must be.
    codeowners: CodeOwners | None = None
    #: The repository this checkout is (``lakehouse.catalog.repository.known_repository``; None: it cannot be told,
    #: and the source links and served Locations that only it could judge are stated unjudged, in ``notes``).
    repository: Repository | None = None


@dataclass(frozen=True)
class PauseSchedule:
    """A schedule that calls PauseService on the catalog's service, and whether its role may (IAM)."""

    name: str
    state: str
    expression: str
    role_arn: str
    #: The role's policies surely allow apprunner:PauseService on the service (None: the role does not exist).
    role_allows: bool | None
    #: Why they do not (statements named; ``lakehouse.checks.schedule_role``).
    why_not: tuple[str, ...] = ()
    #: Why EventBridge Scheduler may not assume the role (None: it may, or the role does not exist).
    untrusted: str | None = None
    #: The schedule's StartDate / EndDate (ISO 8601), when it has them: it fires only between the two.
    starts: str | None = None
    ends: str | None = None
    #: The customer managed key encrypting its target input (None: an AWS owned key, which needs nothing).
    key_arn: str | None = None
    #: Why the role cannot decrypt with that key (``lakehouse.checks.schedule_role.key_problems``).
    key_problems: tuple[str, ...] = ()
    #: A ``FLEXIBLE`` time window's MaximumWindowInMinutes (None: mode ``OFF``, each firing on time).
    window_minutes: int | None = None
    #: Why the RoleArn names no role of the schedule's account (another account's, or another path than the
    #: account's role of that name): that role is not read, and the same-named local one is not judged for it.
    role_elsewhere: str | None = None
    #: The ScheduleExpressionTimezone a cron expression is read in (rate expressions ignore it).
    timezone: str = "UTC"
    #: The region the schedule is in (its ARN's; "" when unknown): its universal target calls pauseService there.
    region: str = ""


@dataclass(frozen=True)
class StackService:
    """Another App Runner service of the stack (DescribeService) and the schedules naming it (each with its region:
    a schedule calls pauseService in its own)."""

    service: dict[str, Any]
    pauses: list[PauseSchedule]
    region: str = ""
    #: The enabled schedules of its region that resume it (:func:`read_resumes`).
    resumes: tuple[str, ...] = ()


# -- judges (pure) -----------------------------------------------------------------------------------


def fill(pattern: str, values: Mapping[str, str]) -> str:
    """An annotation's name pattern with the stack's values; a placeholder the check does not know stays visible."""
    out = pattern
    for key, value in values.items():
        out = out.replace("{" + key + "}", value)
    return out


def judge_resources(entities: Sequence[Entity], lookups: Sequence[Lookup]) -> list[str]:
    """Every Resource names something the check can read, and it exists."""
    read = {lookup.ref: lookup for lookup in lookups}
    problems = []
    for entity in entities:
        if entity.kind != "Resource":
            continue
        lookup = read.get(entity.ref)
        if lookup is None:
            problems.append(
                f"{entity.ref} (line {entity.line}) names no resource the check can read back: it needs a "
                f"{AWS_NAME} or {SERVICE} annotation and a spec.type among {sorted(READERS)}"
            )
        elif lookup.foreign:
            problems.append(
                f"{entity.ref} names {lookup.type} {lookup.names!r}, which is not the stack's: {lookup.foreign}"
            )
        elif lookup.unusable:
            problems.append(
                f"{entity.ref} names {lookup.type} {lookup.names!r}, which cannot be used: {lookup.unusable} "
                f"({lookup.api})"
            )
        elif not lookup.exists:
            why = f": {lookup.why}" if lookup.why else ""
            problems.append(
                f"{entity.ref} names {lookup.type} {lookup.names!r}, which does not exist ({lookup.api}{why})"
            )
    return problems


#: The spec fields by which an entity names other entities (Backstage's relations, besides ``owner``), each with
#: the kind a reference without one means (its BuiltinKindsEntityProcessor; None: it has none, and refuses the entity).
REFERENCES: dict[str, str | None] = {
    "system": "system",
    "subcomponentOf": "component",
    "providesApis": "api",
    "consumesApis": "api",
    "dependsOn": None,
    "dependencyOf": None,
    "domain": "domain",
    "parent": "group",
    "children": "group",
    "members": "user",
}


def judge_references(entities: Sequence[Entity]) -> list[str]:
    """Every entity another names (dependsOn, system, consumesApis...) is one of the catalog: a Component depending
    on ``resource:default/x`` that the file does not define names a resource nobody reads back (Backstage shows a
    dangling relation), so "every resource the catalog names exists" would hold only for the ones it defines. Each
    reference is resolved as Backstage does (:func:`lakehouse.catalog.model.reference`): in the writing entity's
    namespace, and a dependsOn without a kind is refused."""
    defined = {e.ref for e in entities}
    problems = []
    for entity in entities:
        for key, kind in REFERENCES.items():
            named = entity.spec.get(key)
            for ref in named if isinstance(named, list) else [named] if named else []:
                full = reference(entity, str(ref), kind)
                if full is None:
                    problems.append(
                        f"{entity.ref} (line {entity.line}) names {str(ref)!r} in spec.{key} without a kind: "
                        f"Backstage has no default kind for spec.{key}, so its processor refuses the entity and the "
                        "catalog never serves it"
                    )
                elif full not in defined:
                    problems.append(
                        f"{entity.ref} (line {entity.line}) names {full} in spec.{key}, which catalog-info.yaml "
                        f"does not define{_own_namespace(entity, str(ref))}"
                    )
    return problems


def _own_namespace(entity: Entity, ref: str) -> str:
    """Why a reference without a namespace is not in ``default`` (empty when it is): Backstage resolves it in the
    namespace of the entity writing it."""
    if "/" in ref or entity.namespace == DEFAULT_NAMESPACE:
        return ""
    return f" (a reference without a namespace is in the entity's own, {entity.namespace})"


def judge_ownership(entities: Sequence[Entity]) -> list[str]:
    """Every Component has a lifecycle and an owner that is a Group of the catalog; other owners must exist too."""
    groups = {e.ref for e in entities if e.kind == "Group"}
    problems = []
    for entity in entities:
        owner = entity.spec.get("owner")
        if entity.kind == "Component" and not str(entity.spec.get("lifecycle") or "").strip():
            problems.append(f"{entity.ref} (line {entity.line}) has no lifecycle")
        if entity.kind not in ("Component", "Resource", "API", "System"):
            continue
        if not str(owner or "").strip():
            problems.append(f"{entity.ref} (line {entity.line}) has no owner")
        elif (ref := reference(entity, str(owner), "group")) not in groups:
            problems.append(
                f"{entity.ref} (line {entity.line}) is owned by {ref}, which is no Group of the catalog"
                + _own_namespace(entity, str(owner))
            )
    return problems


#: The metadata fields an entity's file writes that Backstage serves as written (its own additions, uid, etag,
#: generation and its annotations, are not the file's; name and namespace make the reference).
DESCRIPTIVE = ("title", "description", "labels", "tags", "links")


def _differences(entity: Entity, served: Mapping[str, Any]) -> list[str]:
    """Where a served entity differs from the file's: its apiVersion, spec, the metadata the file writes (a stale
    or partial copy keeps the names but not the title, description, labels, tags or links) and the annotations the
    file states (Backstage adds its own annotations, relations and status to what it serves; those are not the
    file's to judge)."""
    found = []
    if served.get("apiVersion") != entity.data.get("apiVersion"):
        found.append(f"apiVersion {served.get('apiVersion')!r}, not {entity.data.get('apiVersion')!r}")
    meta, stated = served.get("metadata") or {}, entity.data.get("metadata") or {}
    for key in sorted({k for k in stated if k not in ("name", "namespace", "annotations")} | set(DESCRIPTIVE)):
        if meta.get(key) != stated.get(key):
            found.append(f"metadata.{key} {meta.get(key)!r}, not {stated.get(key)!r}")
    spec, wanted = served.get("spec") or {}, entity.spec
    for key in sorted(set(spec) | set(wanted), key=str):
        if spec.get(key) != wanted.get(key):
            found.append(f"spec.{key} {spec.get(key)!r}, not {wanted.get(key)!r}")
    annotations = (served.get("metadata") or {}).get("annotations") or {}
    for key, value in sorted(entity.annotations.items()):
        if str(annotations.get(key)) != value:
            found.append(f"annotation {key} {annotations.get(key)!r}, not {value!r}")
    return found


def _not_own_location(
    copies: Sequence[Mapping[str, Any]], sources: set[str], repository: Repository | None
) -> str | None:
    """Why an entity the file does not define is not Backstage's own Location for the file's registered location
    (``lakehouse.catalog.locations``), as the end of a sentence; None when it is."""
    if any(str(c.get("kind")).lower() != "location" for c in copies):
        return ""
    whys = [why for copy in copies if (why := location_problem(copy, sources, repository)) is not None]
    return f": a Location, but {whys[0]}" if whys else None


def judge_served(
    entities: Sequence[Entity],
    served: Sequence[Mapping[str, Any]] | None,
    url: str | None,
    repository: Repository | None = None,
) -> list[str]:
    """The catalog service answers with exactly the file's entities, each once: every reference, and each entity's
    spec and annotations as the file states them (a service built from an older catalog-info.yaml serves the same
    names). Backstage's catalog holds one entity per kind/namespace/name (references compare case-insensitively),
    so an answer listing one twice is wrong whatever its copies say, and every copy is compared: a stale copy
    beside a fresh one fails. Beside them a real Backstage serves the Location entity of the location the file is
    registered as (``lakehouse.catalog.locations``): that one, for this repository's catalog-info.yaml, and no other."""
    if served is None:
        return [f"the catalog service at {url} answered no entities"]
    expected = {e.ref for e in entities}
    copies: dict[str, list[Mapping[str, Any]]] = {}
    for answered in served:
        copies.setdefault(served_ref(answered), []).append(answered)
    problems = [f"the catalog service at {url} does not serve {ref}" for ref in sorted(expected - set(copies))]
    sources = read_from(served, expected, served_ref)
    for ref in sorted(set(copies) - expected):
        try:
            why = _not_own_location(copies[ref], sources, repository)
        except UnjudgedLocation:
            continue  # stated by unjudged_served: only the repository, unknown, tells
        if why is not None:
            problems.append(f"the catalog service at {url} serves {ref}, which catalog-info.yaml does not define{why}")
    problems += [
        f"the catalog service at {url} serves {ref} {len(found)} times: Backstage's catalog holds one entity per "
        "kind, namespace and name"
        for ref, found in sorted(copies.items())
        if len(found) > 1
    ]
    for entity in entities:
        found = copies.get(entity.ref, [])
        for number, one in enumerate(found, 1):
            if differences := _differences(entity, one):
                which = f" (copy {number} of {len(found)})" if len(found) > 1 else ""
                problems.append(
                    f"the catalog service at {url} serves {entity.ref}{which} unlike catalog-info.yaml "
                    f"(line {entity.line}): " + "; ".join(differences)
                )
    return problems


def unjudged_served(
    entities: Sequence[Entity], served: Sequence[Mapping[str, Any]] | None, repository: Repository | None
) -> list[str]:
    """The served Locations whose being this repository's only the repository, unknown, could tell."""
    expected = {e.ref for e in entities}
    sources = read_from(served or [], expected, served_ref)
    found = []
    for answered in served or []:
        if served_ref(answered) in expected or str(answered.get("kind")).lower() != "location":
            continue
        try:
            location_problem(answered, sources, repository)
        except UnjudgedLocation as err:
            found.append(f"{err} (no {NAMED_BY}, no git remote origin): name it with --github-repo OWNER/NAME")
    return found


def judge_serving(name: str, service: Mapping[str, Any] | None) -> list[str]:
    """The catalog's App Runner service is in a status that serves (a PAUSED one is resumed to be asked): a failed
    or deleted service runs nothing, whatever the harness's local stand-in answers."""
    if service is None or service.get("Status") in USABLE:
        return []
    return [f"App Runner service {name} is {service.get('Status')}, not {' or '.join(USABLE)}: it serves no entities"]


def _named(other: StackService, home: str) -> str:
    """A service's name, with its region when it is not the stack's."""
    name = str(other.service.get("ServiceName"))
    return name if not other.region or other.region == home else f"{name} in {other.region}"


def period_problems(pause: PauseSchedule, max_hours: float, now: datetime) -> list[str]:
    """Why the schedule's firings (its longest gap, plus any flexible time window) are not at least every
    ``max_hours``: a cron is read in its time zone, DST included (``lakehouse.schedule_gap``); an expression
    that cannot be evaluated proves no pause."""
    try:
        gap = longest_gap(pause.expression, pause.timezone, now)
    except Unjudged as err:
        return [f"it fires {pause.expression!r}, which proves no pause at least every {max_hours:g} h: {err}"]
    rate = pause.expression.strip().startswith("rate(")
    how = "" if rate else f" ({gap.why})"
    if gap.hours > max_hours:
        return [f"it fires {pause.expression!r}, not at least every {max_hours:g} h{how}"]
    if pause.window_minutes and (latest := gap.hours + pause.window_minutes / 60) > max_hours:
        return [
            f"it fires {pause.expression!r}{how} within a FLEXIBLE time window of up to {pause.window_minutes} min "
            f"after each time, so a pause may come {latest:g} h after the one before, not at least every "
            f"{max_hours:g} h"
        ]
    return []


def judge_idle(
    name: str,
    service: Mapping[str, Any] | None,
    pauses: Sequence[PauseSchedule],
    max_hours: float,
    now: datetime | None = None,
    resumes: Sequence[str] = (),
) -> list[str]:
    """The stack pauses its App Runner service: one enabled schedule, firing now and for good, often enough
    (its rate plus any flexible time window, the latest a firing may come), run by EventBridge Scheduler as a
    role it may assume and that is surely allowed to pause the service; and no enabled schedule resumes it
    (``resumes``, :func:`read_resumes`): a timer resuming it runs it idle after every pause, used or not."""
    now = now or datetime.now(UTC)
    if service is None:
        return [f"there is no App Runner service {name!r} (ListServices)"]
    memory = (service.get("InstanceConfiguration") or {}).get("Memory")
    bills = f"a RUNNING service bills its provisioned memory ({memory} MB per instance) while idle"
    resumed = [
        f"App Runner service {name} ({service.get('Status')}) is not paused when idle: schedule {which} resumes it "
        f"(resumeService), so it runs whether used or not after every pause ({bills})"
        for which in resumes
    ]
    return resumed + _pause_problems(name, service, pauses, max_hours, now, bills, home_of(service))


def home_of(service: Mapping[str, Any]) -> str | None:
    """The region of an App Runner service (its ARN's)."""
    return resource_region({"arn": str(service.get("ServiceArn") or "")})


def _pause_problems(
    name: str,
    service: Mapping[str, Any],
    pauses: Sequence[PauseSchedule],
    max_hours: float,
    now: datetime,
    bills: str,
    home: str | None,
) -> list[str]:
    """Why no schedule of ``pauses`` pauses the service (empty: one does)."""
    if not pauses:
        return [
            f"App Runner service {name} ({service.get('Status')}) has no schedule that pauses it: no EventBridge "
            f"Scheduler schedule targets pauseService with its ARN (ListSchedules){_no_scheduler(home)}; App Runner "
            f"has no auto-pause, and {bills}"
        ]
    problems: dict[str, list[str]] = {}
    for pause in pauses:
        elsewhere = bool(home and pause.region and pause.region != home)
        # Schedule names are unique per region only: a same-named one elsewhere is another schedule.
        found = problems.setdefault(f"{pause.name} in {pause.region}" if elsewhere else pause.name, [])
        if elsewhere:
            found.append(
                f"its universal target calls pauseService in its own region {pause.region}, not in {home} where the "
                f"service is (App Runner there answers ResourceNotFoundException){_no_scheduler(home)}"
            )
        if pause.state != "ENABLED":
            found.append(f"it is {pause.state}")
        found += period_problems(pause, max_hours, now)
        if pause.starts is not None and datetime.fromisoformat(pause.starts) > now:
            found.append(f"it starts firing only at {pause.starts}")
        if pause.ends is not None:
            found.append(f"it stops firing at {pause.ends} (EndDate): after that nothing pauses the service")
        if pause.role_allows is None:
            found.append(f"its role {pause.role_arn} {pause.role_elsewhere or 'does not exist'}")
            continue
        if pause.untrusted is not None:
            found.append(f"EventBridge Scheduler cannot run as its role {pause.role_arn}: {pause.untrusted}")
        if not pause.role_allows:
            why = f" ({'; '.join(pause.why_not)})" if pause.why_not else ""
            found.append(f"its role {pause.role_arn} is not allowed {PAUSE_ACTION} on the service{why}")
        found += pause.key_problems
    if any(not found for found in problems.values()):
        return []
    named = "; ".join(f"schedule {n}: {', '.join(found)}" for n, found in sorted(problems.items()))
    return [f"App Runner service {name} ({service.get('Status')}) is not paused when idle: {named} ({bills})"]


def _no_scheduler(region: str | None) -> str:
    """Why no schedule can pause a service of ``region`` when EventBridge Scheduler has no endpoint there (a
    schedule of another region pauses a service of its own): empty when it has one."""
    if region is None or offers("scheduler", region):
        return ""
    why = offered_source("scheduler", region)
    return f", and none can be there: EventBridge Scheduler is not offered in {region} {why}"


def verdict(read: CatalogReadback | Outcome, pause_hours: float = DEFAULT_PAUSE_HOURS) -> Outcome:
    """The composed outcome: ``failed`` naming every culprit, by part (``details['problems']``)."""
    if isinstance(read, Outcome):
        return read
    problems = {
        "resources": judge_resources(read.entities, read.lookups) + judge_references(read.entities),
        "ownership": judge_ownership(read.entities)
        + judge_teams(read.entities, read.codeowners)
        + judge_sources(read.entities, read.repository),
        "idle": judge_idle(read.service_name, read.service, read.pauses, pause_hours, read.read_at, read.resumes)
        + [
            problem
            for other in read.others
            for problem in judge_idle(
                _named(other, read.region), other.service, other.pauses, pause_hours, read.read_at, other.resumes
            )
        ],
        "served": judge_serving(read.service_name, read.service)
        + judge_served(read.entities, read.served, read.catalog_url, read.repository),
    }
    unjudged = unjudged_sources(read.entities, read.repository) + unjudged_served(
        read.entities, read.served, read.repository
    )
    repository = read.repository
    details = {
        "problems": problems,
        "entities": [e.ref for e in read.entities],
        "resources": [lookup.__dict__ for lookup in read.lookups],
        "service": {
            "name": read.service_name,
            "status_when_read": (read.service or {}).get("Status"),
            "arn": (read.service or {}).get("ServiceArn"),
            "url": read.catalog_url,
            "pause_schedules": [p.__dict__ for p in read.pauses],
            "resume_schedules": list(read.resumes),
        },
        "other_services": [
            {
                "name": o.service.get("ServiceName"),
                "region": o.region,
                "status_when_read": o.service.get("Status"),
                "arn": o.service.get("ServiceArn"),
                "pause_schedules": [p.__dict__ for p in o.pauses],
                "resume_schedules": list(o.resumes),
            }
            for o in read.others
        ],
        "served": len(read.served or []),
        # What only the repository could judge, unknown (a checkout with no GitHub origin and no --github-repo): stated
        # beside the verdict, as KPI-success-rate states GitHub's runs it could not read. The pass condition the
        # feature states does not rest on it, and a fresh clone of a local copy would otherwise never pass.
        "notes": [*read.notes, *unjudged],
        "repository": None if repository is None else {**repository.__dict__, "named": str(repository)},
        "unjudged": unjudged,
    }
    found = [p for part in PARTS for p in problems[part]]
    threshold = THRESHOLD.format(hours=f"{pause_hours:g}")
    return Outcome.judged(not found, len(read.entities), threshold, "; ".join(found) or None, details)


# -- read --------------------------------------------------------------------------------------------


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def stack_names(values: Mapping[str, str]) -> tuple[str, str]:
    """The two name prefixes of the stack's resources (infra/providers.tf): ``<project>-<stack_id>`` and, for
    Glue and Athena, ``<glue_prefix>``."""
    return f"{values['project']}-{values['stack_id']}", values["glue_prefix"]


def not_the_stacks(name: str, values: Mapping[str, str]) -> str:
    """Why an AWS name is no resource of this stack ("" when it may be one: a stack prefix, then ``-`` or ``_``).
    A name that is the same for every stack (no ``{stack_id}`` in its pattern) or carries another stack's id
    may exist, but it is not what this stack deploys. A name passing this may still be another stack's whose id
    extends this one's: its ``stack_id`` tag decides (:func:`_tagged_the_stacks`)."""
    prefixes = stack_names(values)
    if any(name == p or name.startswith(p + "-") or name.startswith(p + "_") for p in prefixes):
        return ""
    return f"the stack {values['stack_id']}'s names start with {' or '.join(repr(p) for p in prefixes)}"


def _where(region: str, target: Target) -> str:
    """The region a resource was read in, and why there."""
    if region == target.region:
        return f"the stack's region {region}"
    return f"{region}, where the stack's Terraform state puts it"


@dataclass(frozen=True)
class Found:
    """What reading one named AWS resource in its region found."""

    exists: bool
    #: Why it counts as absent though something answered (the region read when it is not the stack's).
    why: str = ""
    #: Why it is not the stack's though it exists (an S3 bucket in another region).
    foreign: str = ""
    #: Why it is there but cannot be used: an App Runner service that failed or is deleted, a disabled workgroup.
    unusable: str = ""


#: Why a bucket HeadBucket finds but the account's ListBuckets does not list is not the stack's.
BUCKET_ELSEWHERE = (
    "S3 ListBuckets of the stack's account does not list it, so another account owns it (bucket names are global: "
    "HeadBucket answers 200 for another account's bucket whose policy lets this one read it), and what the stack "
    "would keep there is in that account's hands"
)


def owns_bucket(s3: Any, name: str) -> bool:
    """Whether the caller's account owns bucket ``name``: S3 ListBuckets lists the buckets the sender of the
    request owns, whatever others it may read (its Prefix narrows the listing to the name)."""
    pages = s3.get_paginator("list_buckets").paginate(Prefix=name)
    return any(bucket.get("Name") == name for page in pages for bucket in page.get("Buckets", []))


def resource_link(database: Mapping[str, Any]) -> str:
    """Why a Glue database GetDatabase answers is no database of the stack ("" when it is one): a resource link
    (``TargetDatabase``) holds no tables of its own; every query through it reads the database it points at, which
    its owner (another account's catalog, most often) keeps, changes or drops."""
    pointed = database.get("TargetDatabase")
    if not pointed:
        return ""
    where = f"database {pointed.get('DatabaseName')!r} of catalog {pointed.get('CatalogId')}" + (
        f" in {pointed['Region']}" if pointed.get("Region") else ""
    )
    return (
        f"Glue GetDatabase answers a resource link (TargetDatabase: {where}), not a database: it holds no tables, "
        "and what a query through it reads is the target's, kept by that catalog's owner"
    )


#: The API each kind's tags are read through (``lakehouse.ownership.read_tags``).
TAG_READERS = {
    "s3-bucket": "S3 GetBucketTagging",
    "glue-database": "Glue GetTags",
    "athena-workgroup": "Athena ListTagsForResource",
    "apprunner-service": "App Runner ListTagsForResource",
}


def _tagged_the_stacks(target: Target, kind: str, name: str, region: str, values: Mapping[str, str]) -> Found:
    """Whether the resource carries the stack's ``stack_id`` tag (infra/'s ``default_tags`` put it on every resource):
    a name check alone passes another stack whose id extends this one's (``lh-1`` for ``lh``: its
    ``lakehouse-lh-1-...`` starts with ``lakehouse-lh-``). A resource without the tag, or whose tags cannot be read,
    is :class:`Unreadable` (whose it is cannot be told), never the stack's."""
    api = TAG_READERS[kind]
    try:
        tags = read_tags(target, kind, name, values["account_id"], values.get("partition") or "aws", region)
    except Missing:
        return Found(False, f"none in {region}")
    except (ClientError, BotoCoreError) as err:
        raise Unreadable(f"{api} of {name!r} in {region}: {err}") from None
    owner = tags.get(STACK_TAG)
    if owner is None:
        raise Unreadable(
            f"{kind} {name!r} in {region} carries no {STACK_TAG} tag ({api}): infra/ tags every resource of the "
            "stack with it, so whose it is cannot be told"
        )
    if owner != values["stack_id"]:
        return Found(True, foreign=f"its {STACK_TAG} tag is {owner!r}, not {values['stack_id']!r} ({api})")
    return Found(True)


def _aws_exists(target: Target, kind: str, name: str, region: str, values: Mapping[str, str]) -> Found:
    """Whether the named AWS resource exists in ``region``, is the stack's (its place, account and ``stack_id``
    tag) and can be used; Unreadable when the API answers anything but found / not found."""
    try:
        if kind == "s3-bucket":
            s3 = target.client("s3", region=region)
            head = s3.head_bucket(Bucket=name)
            headers = head.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            found = head.get("BucketRegion") or headers.get("x-amz-bucket-region")
            if found and found != region:
                foreign = f"S3 HeadBucket answers x-amz-bucket-region {found}, not {_where(region, target)}"
                return Found(True, foreign=foreign)
            if not owns_bucket(s3, name):
                return Found(True, foreign=BUCKET_ELSEWHERE)
        elif kind == "glue-database":
            database = target.client("glue", region=region).get_database(Name=name)["Database"]
            if link := resource_link(database):
                return Found(True, foreign=link)
        elif kind == "athena-workgroup":
            group = target.client("athena", region=region).get_work_group(WorkGroup=name)["WorkGroup"]
            if group.get("State") == "DISABLED":
                return Found(True, unusable=f"it is DISABLED in {region}: Athena runs no query in it")
        elif kind == "apprunner-service":
            client = target.client("apprunner", region=region)
            service = find_service(client, name)
            if service is None:
                return Found(False, f"none in {region}")
            status = str(settled(client, service).get("Status"))
            if status not in USABLE:
                return Found(True, unusable=f"it is {status} in {region}, not {' or '.join(USABLE)}: it runs nothing")
        return _tagged_the_stacks(target, kind, name, region, values)
    except ClientError as err:
        code = _code(err)
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        not_found = code in ("404", "NoSuchBucket", "NotFound", "EntityNotFoundException") or (
            code == "InvalidRequestException" and "not found" in str(err).lower()
        )
        if not_found or (kind == "s3-bucket" and status == 404):
            return Found(False, "" if region == target.region else f"none in {region}")
        raise Unreadable(f"{READERS[kind]} of {name!r} in {region}: {err}") from None
    except BotoCoreError as err:
        raise Unreadable(f"{READERS[kind]} of {name!r} in {region}: {err}") from None


@dataclass(frozen=True)
class Fingerprint:
    """How a service of the stack is told apart from anything else that answers 200 at its URL.

    A web app's fallback route, a proxy or a stub can answer 200 to every path, so one 200 proves
    nothing: the service must answer its listing with its JSON shape *and* refuse a name that cannot
    exist with its own 404 body (Marquez: ``{"code": 404}``; MLflow: ``RESOURCE_DOES_NOT_EXIST``).
    """

    listing: str
    #: The listing's field, when the service always sends it (MLflow omits an empty list).
    listing_field: str | None
    unknown: str
    unknown_field: str
    unknown_value: object


FINGERPRINTS = {
    "lineage-service": Fingerprint("/api/v1/namespaces", "namespaces", "/api/v1/namespaces/{nonce}", "code", 404),
    "mlflow-service": Fingerprint(
        "/api/2.0/mlflow/experiments/search?max_results=1",
        None,
        "/api/2.0/mlflow/experiments/get-by-name?experiment_name={nonce}",
        "error_code",
        "RESOURCE_DOES_NOT_EXIST",
    ),
}


def _json_object(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _http_identified(url: str | None, kind: str, what: str) -> tuple[bool, str]:
    """Whether the named service answers at ``url`` as itself, and if something else answers, why it is not it."""
    if not url:
        how = SERVICE_SETTINGS.get(what, "its setting")
        raise Unreadable(f"no URL for the stack's {what} service (locally the stack runs it; on aws set {how})")
    probe = FINGERPRINTS[kind]
    listing = _answer(url, probe.listing, what)
    if listing is None:
        return False, ""
    if listing.status_code != 200:
        return False, f"GET {probe.listing} answered HTTP {listing.status_code}"
    body = _json_object(listing)
    if body is None or (probe.listing_field is not None and not isinstance(body.get(probe.listing_field), list)):
        shape = f"a JSON object with a {probe.listing_field!r} list" if probe.listing_field else "a JSON object"
        return False, f"GET {probe.listing} answered 200 but not {shape}"
    unknown = probe.unknown.format(nonce=f"lakehouse-check-{uuid.uuid4().hex}")
    refusal = _answer(url, unknown, what)
    refused = _json_object(refusal) if refusal is not None and refusal.status_code == 404 else None
    if refused is None or refused.get(probe.unknown_field) != probe.unknown_value:
        answered = "no answer" if refusal is None else f"HTTP {refusal.status_code}"
        return False, (
            f"GET {unknown} (a name that cannot exist) answered {answered}, not 404 with "
            f"{probe.unknown_field} = {probe.unknown_value!r}: something else answers there"
        )
    return True, ""


def _answer(url: str, path: str, what: str) -> requests.Response | None:
    """The service's answer below 500, or None when the connection is refused (nothing runs there).

    A slow or failing answer on a busy machine proves nothing either way, so it is asked again until
    a deadline and then the check cannot tell (:class:`Unreadable`, an error, never a pass or a fail).
    """
    deadline = time.monotonic() + HTTP_DEADLINE_S
    while True:
        try:
            response = requests.get(url.rstrip("/") + path, timeout=HTTP_TIMEOUT_S)
        except requests.ConnectionError as err:
            if not (isinstance(err, requests.ConnectTimeout) or "timed out" in str(err).lower()):
                return None
            last = f"timed out: {err}"
        except requests.RequestException as err:
            last = f"{type(err).__name__}: {err}"
        else:
            if response.status_code < 500:
                return response
            last = f"HTTP {response.status_code}"
        if time.monotonic() >= deadline:
            raise Unreadable(
                f"the {what} service at {url} did not answer {path} within {HTTP_DEADLINE_S:.0f} s ({last})"
            )
        time.sleep(1.0)  # pause between attempts; the deadline above bounds the wait


def lookup(
    entity: Entity,
    target: Target,
    values: Mapping[str, str],
    services: Mapping[str, str | None],
    places: StackRegions | None = None,
) -> Lookup | None:
    """Read back the resource one Resource entity names, in the region the stack's state puts it (``places``; the
    stack's region when it does not say); None when it names none the check can read."""
    kind = str(entity.spec.get("type") or "")
    annotations = entity.annotations
    if kind not in READERS:
        return None
    if kind in ("lineage-service", "mlflow-service"):
        which = annotations.get(SERVICE)
        if not which:
            return None
        url = services.get(which)
        exists, why = _http_identified(url, kind, which)
        return Lookup(entity.ref, kind, f"{which} at {url}", READERS[kind], exists, why)
    pattern = annotations.get(AWS_NAME)
    if not pattern:
        return None
    name = fill(pattern, values)
    if foreign := not_the_stacks(name, values):
        return Lookup(entity.ref, kind, name, READERS[kind], False, foreign=f"{AWS_NAME} {pattern!r}: {foreign}")
    places = places or stack_regions(None, target.region)
    region = places.region_of(kind, name)
    if kind == "apprunner-service" and not places.has_apprunner(region):
        why = f"App Runner is not offered in {region}"
        return Lookup(entity.ref, kind, name, READERS[kind], False, why, region=region)
    found = _aws_exists(target, kind, name, region, values)
    return Lookup(entity.ref, kind, name, READERS[kind], found.exists, found.why, found.foreign, region, found.unusable)


class ScheduleListings:
    """The schedules of each region whose target calls App Runner's pauseService (ListSchedules, then GetSchedule
    of each), read once per region and shared by every service judged: one service's schedules are a filter of
    its region's, so listing them again for each service only costs calls (and throttling on a busy account).
    A region without EventBridge Scheduler (``places.has("scheduler", ...)``, else botocore's endpoint data) has no
    endpoint to list (EndpointConnectionError): it holds none, with a note in ``notes``."""

    def __init__(self, target: Target, places: StackRegions | None = None) -> None:
        self.target = target
        self.places = places
        self._read: dict[str, list[dict[str, Any]]] = {}
        self._resuming: dict[str, list[dict[str, Any]]] = {}
        #: The regions not listed because Scheduler is not offered there, each named with the data that says so.
        self.notes: list[str] = []

    def pausing(self, region: str) -> list[dict[str, Any]]:
        """GetSchedule of every schedule of ``region`` whose target is pauseService (listed on the first ask)."""
        offered = self.places.has("scheduler", region) if self.places else offers("scheduler", region)
        if region not in self._read and not offered:
            self.notes.append(not_offered_note("scheduler", "EventBridge Scheduler", region))
            self._read[region] = []
            self._resuming[region] = []
        if region not in self._read:
            scheduler = self.target.client("scheduler", region=region)
            found: list[dict[str, Any]] = []
            resuming: list[dict[str, Any]] = []
            for page in scheduler.get_paginator("list_schedules").paginate():
                for summary in page.get("Schedules", []):
                    arn = str((summary.get("Target") or {}).get("Arn", ""))
                    into = found if PAUSE_TARGET.match(arn) else resuming if RESUME_TARGET.match(arn) else None
                    if into is not None:
                        group = summary.get("GroupName", "default")
                        into.append(dict(scheduler.get_schedule(Name=summary["Name"], GroupName=group)))
            self._read[region], self._resuming[region] = found, resuming
        return self._read[region]

    def resuming(self, region: str) -> list[dict[str, Any]]:
        """GetSchedule of every schedule of ``region`` whose target is resumeService (listed with the pausing)."""
        self.pausing(region)
        return self._resuming[region]


def _home(target: Target, service_arn: str, region: str | None) -> str:
    """The region a service's schedules are read in: its ARN's, else ``region``, else the target's."""
    return resource_region({"arn": service_arn}) or region or target.region


def _input_service(schedule: Mapping[str, Any]) -> Any:
    """The ``ServiceArn`` a schedule's universal target passes App Runner (its ``Input`` JSON); None when unreadable."""
    try:
        return json.loads((schedule.get("Target") or {}).get("Input") or "{}").get("ServiceArn")
    except (json.JSONDecodeError, AttributeError):
        return None


def read_resumes(
    target: Target, service_arn: str, region: str | None = None, listings: ScheduleListings | None = None
) -> list[str]:
    """The ENABLED schedules of the service's region whose target calls resumeService with ``service_arn``, each
    named with its expression: such a timer starts the service whether anyone uses it, so it runs idle after every
    pause (the harness resumes it only while it asks it, :func:`lakehouse.catalog.service.answering`). One of another
    region calls resumeService there, where no such service is, and resumes nothing."""
    home = _home(target, service_arn, region)
    listings = listings or ScheduleListings(target)
    found = []
    for schedule in listings.resuming(home):
        resumes = _input_service(schedule)
        ended = schedule.get("EndDate")
        over = isinstance(ended, datetime) and ended <= datetime.now(UTC)  # it fires no more: it resumes nothing
        if resumes == service_arn and schedule.get("State") == "ENABLED" and not over:
            name = f"{schedule.get('GroupName', 'default')}/{schedule['Name']}"
            found.append(f"{name} ({schedule.get('ScheduleExpression')})")
    return sorted(found)


def read_pauses(
    target: Target,
    service_arn: str,
    region: str | None = None,
    elsewhere: Sequence[str] = (),
    listings: ScheduleListings | None = None,
) -> list[PauseSchedule]:
    """The schedules of the account whose target calls pauseService with ``service_arn``, and their roles: read in
    the service's region (its ARN's, else ``region``, else the target's) and in each region of ``elsewhere``, each
    with its own region, so one made in another region is named there (:func:`judge_idle` refuses it).
    ``listings``: the regions' schedules as already listed for other services (listed here when not given).

    A universal target names no region (``arn:aws:scheduler:::aws-sdk:apprunner:pauseService``: its ARN's region
    field is empty, and only Arn, RoleArn and Input configure it: EventBridge Scheduler User Guide, "Using universal
    targets", https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html), so
    Scheduler calls PauseService in the schedule's own region."""
    home = _home(target, service_arn, region)
    listings = listings or ScheduleListings(target)
    found: list[PauseSchedule] = []
    for where in dict.fromkeys([home, *elsewhere]):
        found += _pauses_in(target, service_arn, where, listings.pausing(where))
    return sorted(found, key=lambda p: (p.region != home, p.region, p.name))


def _pauses_in(
    target: Target, service_arn: str, region: str, schedules: Sequence[Mapping[str, Any]]
) -> list[PauseSchedule]:
    """The schedules of ``region`` (its pauseService ones, :class:`ScheduleListings`) that pause ``service_arn``."""
    found = []
    for schedule in schedules:
        target_of = schedule.get("Target") or {}
        if _input_service(schedule) != service_arn:
            continue
        role = str(target_of.get("RoleArn", ""))
        key_arn = str(schedule.get("KmsKeyArn") or "") or None
        found.append(
            PauseSchedule(
                f"{schedule.get('GroupName', 'default')}/{schedule['Name']}",
                str(schedule.get("State")),
                str(schedule.get("ScheduleExpression")),
                role,
                **_role_may_pause(target, role, str(schedule.get("Arn", "")), service_arn, key_arn),
                starts=_iso(schedule.get("StartDate")),
                ends=_iso(schedule.get("EndDate")),
                window_minutes=_window(schedule.get("FlexibleTimeWindow")),
                timezone=str(schedule.get("ScheduleExpressionTimezone") or "UTC"),
                region=resource_region({"arn": str(schedule.get("Arn") or "")}) or region,
            )
        )
    return found


def _role_may_pause(
    target: Target, role_arn: str, schedule_arn: str, service_arn: str, key_arn: str | None = None
) -> dict[str, Any]:
    """What the schedule's role lets Scheduler do: ``role_allows`` (None: no such role), ``why_not``, ``untrusted``;
    and, for a schedule with a customer managed key, ``key_arn`` and ``key_problems`` (the key read in its region)."""
    account_id = schedule_arn.split(":")[4] if schedule_arn.count(":") >= 5 else ""
    role_account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    if account_id and role_account != account_id:
        return {
            "role_allows": None,
            "key_arn": key_arn,
            "role_elsewhere": (
                f"is not a role of the schedule's account {account_id} (account {role_account or 'none'}): the "
                "check reads the roles of this account only, and a schedule is passed (iam:PassRole) a role of its "
                "own account"
            ),
        }
    try:
        role = target.client("iam").get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
    except ClientError as err:
        if _code(err) == "NoSuchEntity":
            return {"role_allows": None, "key_arn": key_arn}
        raise
    if str(role.get("Arn") or "") != role_arn:
        return {
            "role_allows": None,
            "key_arn": key_arn,
            "role_elsewhere": (
                f"does not exist: the account's role of that name is {role.get('Arn')} (another path), which "
                "EventBridge Scheduler does not assume for it"
            ),
        }
    identity, boundary = read_role_policies(target, role_arn)
    why_not = tuple(not_allowed(identity, boundary, PAUSE_ACTION, service_arn))
    trust = Policy.parse("trust policy", role.get("AssumeRolePolicyDocument") or {})
    found: dict[str, Any] = {
        "role_allows": not why_not,
        "why_not": why_not,
        "untrusted": untrusted(trust, account_id, schedule_arn),
        "key_arn": key_arn,
    }
    if key_arn:
        region = key_arn.split(":")[3] if key_arn.count(":") >= 5 and key_arn.split(":")[3] else target.region
        key = read_key(target.client("kms", region=region), key_arn, grants=True)
        found["key_problems"] = tuple(key_problems(key_arn, key, str(role.get("Arn") or role_arn), identity, boundary))
    return found


def _window(window: Any) -> int | None:
    """A FLEXIBLE window's MaximumWindowInMinutes (the API's most, 1440, when unread); None when it is OFF."""
    if not isinstance(window, Mapping) or window.get("Mode") != "FLEXIBLE":
        return None
    return int(window.get("MaximumWindowInMinutes") or MAX_WINDOW_MINUTES)


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else (str(value) if value else None)


def _served(url: str) -> list[dict[str, Any]] | None:
    response = _answer(url, "/api/catalog/entities", "catalog")
    if response is None or response.status_code != 200:
        return None
    try:
        body = response.json()
    except json.JSONDecodeError:
        return None
    return [dict(e) for e in body] if isinstance(body, list) else None


def _stack_services(
    target: Target, stack_id: str, project: str, places: StackRegions, notes: list[str] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """(region, DescribeService) of every App Runner service of the stack: named or tagged as the stack's in each
    region its state uses that offers App Runner (each other one is added to ``notes``: nothing to list there), and
    every service its state holds whatever its name or tags (each in its ARN's region, read even there: the state
    says it was made; one deleted since bills nothing)."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for region in places.regions:
        if not places.has_apprunner(region):
            if notes is not None:
                notes.append(not_offered_note("apprunner", "App Runner", region))
            continue
        for service in stack_services(target.client("apprunner", region=region), stack_id, project):
            found[str(service["ServiceArn"])] = (region, service)
    for arn in places.apprunner_arns:
        region = resource_region({"arn": arn}) or target.region
        if arn in found:
            continue
        try:
            service = dict(target.client("apprunner", region=region).describe_service(ServiceArn=arn)["Service"])
        except ClientError as err:
            if _code(err) == "ResourceNotFoundException":
                continue
            raise
        if service.get("Status") != "DELETED":
            found[arn] = (region, service)
    return sorted(found.values(), key=lambda pair: (pair[0], str(pair[1]["ServiceName"])))


def read_catalog(
    catalog_file: Path,
    target: Target,
    stack_id: str,
    services: Mapping[str, str | None],
    local_catalog_url: str | None,
    project: str = "lakehouse",
    state: Mapping[str, Any] | None = None,
    repository: Repository | None = None,
) -> CatalogReadback | Outcome:
    """Everything the check judges, read through the services' APIs; ``error`` when something cannot be read.

    ``services``: the URLs of the services the stack runs beside AWS (``lineage``, ``mlflow``).
    ``local_catalog_url``: the harness's catalog process (local); else the App Runner service's URL is called.
    ``state``: the stack's ``terraform show -json`` state: the regions it deployed to, each resource read in its
    own (``lakehouse.catalog.regions``); without it, the stack's region only.
    ``repository``: the repository the checkout is (``lakehouse.catalog.repository.known_repository``), which the
    Components' source links and the served Locations must name; None: it cannot be told (stated, not judged).
    """
    try:
        entities = load_catalog(catalog_file)
    except CatalogError as err:
        return Outcome.error(str(err), THRESHOLD, {"problems": {p: [] for p in PARTS}})
    try:
        identity = target.client("sts").get_caller_identity()
        account = str(identity["Account"])
        values = {
            "partition": str(identity["Arn"]).split(":")[1],
            "project": project,
            "stack_id": stack_id,
            "account_id": account,
            "region": target.region,
            "glue_prefix": f"{project}_{stack_id}".replace("-", "_"),  # infra/providers.tf local.glue_prefix
        }
        places = stack_regions(state, target.region)
        read = CatalogReadback(entities, service_name=service_name(stack_id, project), region=target.region)
        read.codeowners = read_codeowners(catalog_file.parent)
        read.repository = repository
        for entity in entities:
            if entity.kind == "Resource" and (found := lookup(entity, target, values, services, places)) is not None:
                read.lookups.append(found)
        home = places.region_of("apprunner-service", read.service_name)
        client = target.client("apprunner", region=home)
        if places.has_apprunner(home):  # elsewhere there is none to find (the resources part names why)
            read.service = find_service(client, read.service_name)  # as found, before anything asks it
        catalog_arn = (read.service or {}).get("ServiceArn")
        listings = ScheduleListings(target, places)
        for region, other in _stack_services(target, stack_id, project, places, read.notes):
            if other.get("ServiceArn") != catalog_arn:
                pauses = read_pauses(target, str(other["ServiceArn"]), region, places.regions, listings)
                resumes = tuple(read_resumes(target, str(other["ServiceArn"]), region, listings))
                read.others.append(StackService(other, pauses, region, resumes))
        if read.service is not None:
            read.pauses = read_pauses(target, str(read.service["ServiceArn"]), home, places.regions, listings)
            read.resumes = read_resumes(target, str(read.service["ServiceArn"]), home, listings)
            with answering(client, read.service) as running:
                read.catalog_url = local_catalog_url or f"https://{running['ServiceUrl']}"
                read.served = _served(read.catalog_url)
        elif local_catalog_url:
            read.catalog_url = local_catalog_url
            read.served = _served(local_catalog_url)
        read.notes += listings.notes
    except (Unreadable, CatalogServiceError, ClientError, BotoCoreError) as err:
        return Outcome.error(f"could not read the catalog's resources: {err}", THRESHOLD, {"problems": {}})
    return read


def check_catalog(
    catalog_file: Path,
    target: Target,
    stack_id: str,
    services: Mapping[str, str | None],
    local_catalog_url: str | None,
    pause_hours: float = DEFAULT_PAUSE_HOURS,
    state: Mapping[str, Any] | None = None,
    repository: Repository | None = None,
) -> Outcome:
    """Read, then judge."""
    read = read_catalog(catalog_file, target, stack_id, services, local_catalog_url, state=state, repository=repository)
    return verdict(read, pause_hours)
