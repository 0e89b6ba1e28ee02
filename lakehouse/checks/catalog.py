"""@STACK-catalog: the Backstage catalog names the stack's real resources, is owned, is served, and idles paused.

Read / judge / check: :func:`read_catalog` reads everything through the services' APIs (S3 HeadBucket,
Glue GetDatabase, Athena GetWorkGroup, App Runner ListServices/DescribeService, the lineage and MLflow
services' HTTP APIs, the catalog service's ``GET /api/catalog/entities``); the judges are pure; and
:func:`verdict` composes them. What a Resource names comes from catalog-info.yaml's annotations with
the stack's id, account and region filled in (never from the stack's Terraform outputs), so an entity
pointing at something the stack does not have fails, named.

The idle state is read before the catalog is asked: the App Runner service must be PAUSED (App Runner
cannot scale to zero, and a RUNNING service bills its provisioned memory while idle). To ask it, it is
resumed and paused again afterwards (``lakehouse.catalog.service.answering``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError

from lakehouse.catalog.model import CatalogError, Entity, load_catalog, parse_ref, served_ref
from lakehouse.catalog.service import CatalogServiceError, answering, find_service, service_name
from lakehouse.outcome import Outcome
from lakehouse.target import Target

THRESHOLD = (
    "catalog-info.yaml valid against Backstage's entity schemas; every Resource it names exists in the stack; "
    "every Component has an owner that is a Group of the catalog and a lifecycle; the catalog service answers "
    "GET /api/catalog/entities with exactly the file's entities; the App Runner service is PAUSED while idle"
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
    "lineage-service": "GET /api/v1/namespaces",
    "mlflow-service": "GET /api/2.0/mlflow/experiments/search",
}
HTTP_TIMEOUT_S = 10.0
#: How a user names each service the stack runs beside AWS (on aws it has none of its own).
SERVICE_SETTINGS = {"lineage": "MARQUEZ_URL or --marquez-url", "mlflow": "MLFLOW_TRACKING_URI or --mlflow-url"}
PARTS = ("resources", "ownership", "served", "idle")


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


@dataclass
class CatalogReadback:
    """Everything the check judges, as read from the services."""

    entities: list[Entity]
    lookups: list[Lookup] = field(default_factory=list)
    service_name: str = ""
    service: dict[str, Any] | None = None  # DescribeService before the catalog was asked (idle)
    catalog_url: str | None = None
    served: list[dict[str, Any]] | None = None


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
        elif not lookup.exists:
            problems.append(f"{entity.ref} names {lookup.type} {lookup.names!r}, which does not exist ({lookup.api})")
    return problems


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
        elif (ref := parse_ref(str(owner), "group")) not in groups:
            problems.append(f"{entity.ref} (line {entity.line}) is owned by {ref}, which is no Group of the catalog")
    return problems


def judge_served(entities: Sequence[Entity], served: Sequence[Mapping[str, Any]] | None, url: str | None) -> list[str]:
    """The catalog service answers with exactly the file's entities (by reference)."""
    if served is None:
        return [f"the catalog service at {url} answered no entities"]
    expected = {e.ref for e in entities}
    answered = [served_ref(e) for e in served]
    problems = [f"the catalog service at {url} does not serve {ref}" for ref in sorted(expected - set(answered))]
    problems += [
        f"the catalog service at {url} serves {ref}, which catalog-info.yaml does not define"
        for ref in sorted(set(answered) - expected)
    ]
    return problems


def judge_idle(name: str, service: Mapping[str, Any] | None) -> list[str]:
    """The App Runner service exists and is PAUSED while idle (a RUNNING one bills its provisioned memory)."""
    if service is None:
        return [f"there is no App Runner service {name!r} (ListServices)"]
    status = service.get("Status")
    if status == "PAUSED":
        return []
    scaling = service.get("AutoScalingConfigurationSummary") or {}
    memory = (service.get("InstanceConfiguration") or {}).get("Memory")
    return [
        f"App Runner service {name} is {status} while idle, not PAUSED: its provisioned instances "
        f"({memory} MB each, auto scaling {scaling.get('AutoScalingConfigurationName', '?')}) bill memory while idle"
    ]


def verdict(read: CatalogReadback | Outcome) -> Outcome:
    """The composed outcome: ``failed`` naming every culprit, by part (``details['problems']``)."""
    if isinstance(read, Outcome):
        return read
    problems = {
        "resources": judge_resources(read.entities, read.lookups),
        "ownership": judge_ownership(read.entities),
        "idle": judge_idle(read.service_name, read.service),
        "served": judge_served(read.entities, read.served, read.catalog_url),
    }
    details = {
        "problems": problems,
        "entities": [e.ref for e in read.entities],
        "resources": [lookup.__dict__ for lookup in read.lookups],
        "service": {
            "name": read.service_name,
            "status_when_idle": (read.service or {}).get("Status"),
            "arn": (read.service or {}).get("ServiceArn"),
            "url": read.catalog_url,
        },
        "served": len(read.served or []),
    }
    found = [p for part in PARTS for p in problems[part]]
    return Outcome.judged(not found, len(read.entities), THRESHOLD, "; ".join(found) or None, details)


# -- read --------------------------------------------------------------------------------------------


def _code(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Code", ""))


def _aws_exists(target: Target, kind: str, name: str) -> bool:
    """Whether the named AWS resource exists; Unreadable when the API answers anything but found / not found."""
    try:
        if kind == "s3-bucket":
            target.client("s3").head_bucket(Bucket=name)
        elif kind == "glue-database":
            target.client("glue").get_database(Name=name)
        elif kind == "athena-workgroup":
            target.client("athena").get_work_group(WorkGroup=name)
        elif kind == "apprunner-service":
            return find_service(target.client("apprunner"), name) is not None
        return True
    except ClientError as err:
        code = _code(err)
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        not_found = code in ("404", "NoSuchBucket", "NotFound", "EntityNotFoundException") or (
            code == "InvalidRequestException" and "not found" in str(err).lower()
        )
        if not_found or (kind == "s3-bucket" and status == 404):
            return False
        raise Unreadable(f"{READERS[kind]} of {name!r}: {err}") from None
    except BotoCoreError as err:
        raise Unreadable(f"{READERS[kind]} of {name!r}: {err}") from None


def _http_exists(url: str | None, path: str, what: str) -> bool:
    if not url:
        how = SERVICE_SETTINGS.get(what, "its setting")
        raise Unreadable(f"no URL for the stack's {what} service (locally the stack runs it; on aws set {how})")
    try:
        response = requests.get(url.rstrip("/") + path, timeout=HTTP_TIMEOUT_S)
    except requests.RequestException:
        return False  # nothing answers there: the service the catalog names is not running
    return response.status_code == 200


def lookup(
    entity: Entity, target: Target, values: Mapping[str, str], services: Mapping[str, str | None]
) -> Lookup | None:
    """Read back the resource one Resource entity names; None when it names none the check can read."""
    kind = str(entity.spec.get("type") or "")
    annotations = entity.annotations
    if kind not in READERS:
        return None
    if kind in ("lineage-service", "mlflow-service"):
        which = annotations.get(SERVICE)
        if not which:
            return None
        url = services.get(which)
        path = "/api/v1/namespaces" if kind == "lineage-service" else "/api/2.0/mlflow/experiments/search?max_results=1"
        return Lookup(entity.ref, kind, f"{which} at {url}", READERS[kind], _http_exists(url, path, which))
    pattern = annotations.get(AWS_NAME)
    if not pattern:
        return None
    name = fill(pattern, values)
    return Lookup(entity.ref, kind, name, READERS[kind], _aws_exists(target, kind, name))


def _served(url: str) -> list[dict[str, Any]] | None:
    try:
        response = requests.get(url.rstrip("/") + "/api/catalog/entities", timeout=HTTP_TIMEOUT_S)
    except requests.RequestException:
        return None
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except json.JSONDecodeError:
        return None
    return [dict(e) for e in body] if isinstance(body, list) else None


def read_catalog(
    catalog_file: Path,
    target: Target,
    stack_id: str,
    services: Mapping[str, str | None],
    local_catalog_url: str | None,
    project: str = "lakehouse",
) -> CatalogReadback | Outcome:
    """Everything the check judges, read through the services' APIs; ``error`` when something cannot be read.

    ``services``: the URLs of the services the stack runs beside AWS (``lineage``, ``mlflow``).
    ``local_catalog_url``: the harness's catalog process (local); else the App Runner service's URL is called.
    """
    try:
        entities = load_catalog(catalog_file)
    except CatalogError as err:
        return Outcome.error(str(err), THRESHOLD, {"problems": {p: [] for p in PARTS}})
    try:
        account = str(target.client("sts").get_caller_identity()["Account"])
        values = {
            "project": project,
            "stack_id": stack_id,
            "account_id": account,
            "region": target.region,
            "glue_prefix": f"{project}_{stack_id}".replace("-", "_"),  # infra/providers.tf local.glue_prefix
        }
        read = CatalogReadback(entities, service_name=service_name(stack_id, project))
        for entity in entities:
            if entity.kind == "Resource" and (found := lookup(entity, target, values, services)) is not None:
                read.lookups.append(found)
        client = target.client("apprunner")
        read.service = find_service(client, read.service_name)  # idle: before anything asks it
        if read.service is not None:
            with answering(client, read.service) as running:
                read.catalog_url = local_catalog_url or f"https://{running['ServiceUrl']}"
                read.served = _served(read.catalog_url)
        elif local_catalog_url:
            read.catalog_url = local_catalog_url
            read.served = _served(local_catalog_url)
    except (Unreadable, CatalogServiceError, ClientError, BotoCoreError) as err:
        return Outcome.error(f"could not read the catalog's resources: {err}", THRESHOLD, {"problems": {}})
    return read


def check_catalog(
    catalog_file: Path,
    target: Target,
    stack_id: str,
    services: Mapping[str, str | None],
    local_catalog_url: str | None,
) -> Outcome:
    """Read, then judge."""
    return verdict(read_catalog(catalog_file, target, stack_id, services, local_catalog_url))
