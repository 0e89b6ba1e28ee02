"""@STACK-catalog's pure parts: catalog-info.yaml against Backstage's schemas, the judges, the served API."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from lakehouse.catalog.model import CATALOG_FILE, CatalogError, Entity, load_catalog, validate_documents
from lakehouse.catalog.server import create_app
from lakehouse.catalog.teams import CodeOwners
from lakehouse.checks.catalog import (
    CatalogReadback,
    Lookup,
    PauseSchedule,
    Unreadable,
    _http_identified,
    fill,
    judge_idle,
    judge_ownership,
    judge_resources,
    judge_served,
    verdict,
)
from lakehouse.checks.review import OwnerRule
from lakehouse.config import project_root
from lakehouse.outcome import Status

ROOT = project_root()
HEADER = "apiVersion: backstage.io/v1alpha1\n"


def _component(name: str, spec: dict[str, Any], line: int = 1) -> Entity:
    data = {"apiVersion": "backstage.io/v1alpha1", "kind": "Component", "metadata": {"name": name}, "spec": spec}
    return Entity(data, line, 0)


def _entity(kind: str, name: str, spec: dict[str, Any] | None = None) -> Entity:
    return Entity({"kind": kind, "metadata": {"name": name}, "spec": spec or {}}, 1, 0)


def test_the_repository_catalog_is_valid_and_complete() -> None:
    entities = load_catalog(ROOT / CATALOG_FILE)
    kinds = {e.kind for e in entities}
    assert kinds == {"System", "Group", "Component", "Resource", "API"}
    components = {e.name for e in entities if e.kind == "Component"}
    assert components == {"lakehouse-pipeline", "lakehouse-harness", "lakehouse-infra"}
    types = {e.spec["type"] for e in entities if e.kind == "Resource"}
    assert {"s3-bucket", "glue-database", "athena-workgroup", "lineage-service", "mlflow-service"} <= types
    assert judge_ownership(entities) == []


def test_a_component_without_owner_is_refused_naming_file_line_document_and_field() -> None:
    text = (
        HEADER
        + "kind: Group\nmetadata:\n  name: team\nspec:\n  type: team\n  children: []\n---\n"
        + HEADER
        + "kind: Component\nmetadata:\n  name: orphan\nspec:\n  type: service\n  lifecycle: production\n"
    )
    with pytest.raises(CatalogError) as err:
        validate_documents("catalog-info.yaml", text)
    message = str(err.value)
    assert "catalog-info.yaml:13: document 1 (Component 'orphan'): field 'spec'" in message
    assert "'owner' is a required property" in message


def test_every_bad_document_is_named_at_once() -> None:
    text = (
        HEADER
        + "kind: Component\nmetadata:\n  name: Bad Name\nspec:\n  type: service\n  lifecycle: x\n  owner: t\n---\n"
        + HEADER
        + "kind: Widget\nmetadata:\n  name: w\n---\n"
        + HEADER
        + "kind: Resource\nmetadata:\n  name: r\nspec:\n  type: 7\n  owner: t\n"
    )
    with pytest.raises(CatalogError) as err:
        validate_documents("c.yaml", text)
    message = str(err.value)
    assert "c.yaml:4: document 0 (Component 'Bad Name'): field 'metadata.name'" in message
    assert "document 1 (Widget 'w'): field 'kind'" in message
    assert "c.yaml:20: document 2 (Resource 'r'): field 'spec.type': 7 is not of type 'string'" in message


def test_a_duplicate_entity_and_broken_yaml_are_named() -> None:
    doc = HEADER + "kind: Group\nmetadata:\n  name: team\nspec:\n  type: team\n  children: []\n"
    with pytest.raises(CatalogError, match=r"c.yaml:9: document 1 \(Group 'team'\): group:default/team already"):
        validate_documents("c.yaml", doc + "---\n" + doc)
    with pytest.raises(CatalogError, match=r"c.yaml:2: not YAML"):
        validate_documents("c.yaml", "kind: [\n  - x: y\n: z")


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "catalog-info.yaml")


def test_a_resource_that_does_not_exist_fails_naming_entity_and_resource() -> None:
    bucket = _entity("Resource", "gold", {"type": "s3-bucket"})
    lookups = [Lookup(bucket.ref, "s3-bucket", "lakehouse-lh-1-gold-123", "S3 HeadBucket", exists=False)]
    assert judge_resources([bucket], lookups) == [
        "resource:default/gold names s3-bucket 'lakehouse-lh-1-gold-123', which does not exist (S3 HeadBucket)"
    ]
    lookups = [Lookup(bucket.ref, "s3-bucket", "lakehouse-lh-1-gold-123", "S3 HeadBucket", exists=True)]
    assert judge_resources([bucket], lookups) == []


def test_a_resource_naming_nothing_readable_fails() -> None:
    vague = _entity("Resource", "somewhere", {"type": "database"})
    [problem] = judge_resources([vague], [])
    assert problem.startswith("resource:default/somewhere (line 1) names no resource the check can read back")


def test_a_component_without_owner_or_lifecycle_or_with_an_unknown_owner_fails() -> None:
    team = _entity("Group", "team")
    entities = [
        team,
        _component("no-owner", {"type": "service", "lifecycle": "production"}),
        _component("no-lifecycle", {"type": "service", "owner": "team"}),
        _component("stranger", {"type": "service", "lifecycle": "production", "owner": "group:default/nobody"}),
        _component("fine", {"type": "service", "lifecycle": "production", "owner": "team"}),
    ]
    assert judge_ownership(entities) == [
        "component:default/no-owner (line 1) has no owner",
        "component:default/no-lifecycle (line 1) has no lifecycle",
        "component:default/stranger (line 1) is owned by group:default/nobody, which is no Group of the catalog",
    ]


def test_the_service_must_serve_exactly_the_files_entities() -> None:
    entities = [_entity("Group", "team"), _entity("System", "lakehouse")]
    served = [{"kind": "Group", "metadata": {"name": "team"}}, {"kind": "API", "metadata": {"name": "extra"}}]
    assert judge_served(entities, served, "http://c") == [
        "the catalog service at http://c does not serve system:default/lakehouse",
        "the catalog service at http://c serves api:default/extra, which catalog-info.yaml does not define",
    ]
    assert judge_served(entities, None, "http://c") == ["the catalog service at http://c answered no entities"]


def test_an_entity_served_unlike_the_file_fails_naming_each_difference() -> None:
    """A service built from an older catalog-info.yaml answers the same references with another owner or
    another resource name: same refs used to pass. Backstage's own annotations and relations are no difference."""
    group = Entity(
        {
            "kind": "Resource",
            "metadata": {"name": "gold", "annotations": {"lakehouse.io/aws-name": "{project}-{stack_id}-gold"}},
            "spec": {"type": "s3-bucket", "owner": "group:default/data-owners"},
        },
        7,
        0,
    )
    backstage = {"backstage.io/managed-by-location": "url:https://x/catalog-info.yaml"}
    healthy = {
        "kind": "Resource",
        "metadata": {"name": "gold", "uid": "u-1", "annotations": {**group.annotations, **backstage}},
        "spec": dict(group.spec),
        "relations": [{"type": "ownedBy", "targetRef": "group:default/data-owners"}],
    }
    assert judge_served([group], [healthy], "http://c") == []
    stale = {
        **healthy,
        "metadata": {"name": "gold", "annotations": {"lakehouse.io/aws-name": "lakehouse-old-gold", **backstage}},
        "spec": {"type": "s3-bucket", "owner": "group:default/someone-else"},
    }
    assert judge_served([group], [stale], "http://c") == [
        "the catalog service at http://c serves resource:default/gold unlike catalog-info.yaml (line 7): "
        "spec.owner 'group:default/someone-else', not 'group:default/data-owners'; "
        "annotation lakehouse.io/aws-name 'lakehouse-old-gold', not '{project}-{stack_id}-gold'"
    ]


RUNNING = {"Status": "RUNNING", "ServiceArn": "arn:svc", "InstanceConfiguration": {"Memory": "512"}}
PAUSE = PauseSchedule("default/lakehouse-lh-1-catalog-pause", "ENABLED", "rate(1 hour)", "arn:role/p", True)


def test_a_service_with_an_enabled_hourly_pause_through_an_allowed_role_passes() -> None:
    assert judge_idle("lakehouse-lh-1-catalog", RUNNING, [PAUSE], 1) == []
    assert judge_idle("lakehouse-lh-1-catalog", RUNNING, [replace(PAUSE, starts="2026-01-01T00:00:00+00:00")], 1) == []
    # A flexible window that still lands every firing within the stated hour (30 min + up to 30 min late).
    flexible = replace(PAUSE, expression="rate(30 minutes)", window_minutes=30)
    assert judge_idle("lakehouse-lh-1-catalog", RUNNING, [flexible], 1) == []
    # Healthy cron pauses: hourly and half-hourly in UTC, hourly in a zone without DST, a flexible half hour.
    for healthy in (
        replace(PAUSE, expression="cron(0 * * * ? *)"),
        replace(PAUSE, expression="cron(*/30 * * * ? *)"),
        replace(PAUSE, expression="cron(15 * * * ? *)", timezone="Asia/Tokyo"),
        replace(PAUSE, expression="cron(0/30 * * * ? *)", window_minutes=30),
    ):
        assert judge_idle("lakehouse-lh-1-catalog", RUNNING, [healthy], 1) == [], healthy
    # One good schedule is enough: a second, broken one does not keep the service running.
    assert judge_idle("lakehouse-lh-1-catalog", RUNNING, [PAUSE, replace(PAUSE, name="b", state="DISABLED")], 1) == []


def test_the_service_not_paused_when_idle_fails_naming_it() -> None:
    [problem] = judge_idle("lakehouse-lh-1-catalog", RUNNING, [], 1)
    assert problem.startswith(
        "App Runner service lakehouse-lh-1-catalog (RUNNING) has no schedule that pauses it: no EventBridge "
        "Scheduler schedule targets pauseService with its ARN"
    )
    assert "512 MB" in problem
    assert judge_idle("lakehouse-lh-1-catalog", None, [PAUSE], 1) == [
        "there is no App Runner service 'lakehouse-lh-1-catalog' (ListServices)"
    ]


@pytest.mark.parametrize(
    ("broken", "named"),
    [
        (replace(PAUSE, state="DISABLED"), "it is DISABLED"),
        (replace(PAUSE, expression="rate(2 hours)"), "it fires 'rate(2 hours)', not at least every 1 h"),
        (
            replace(PAUSE, expression="cron(0 3 * * ? *)"),
            "it fires 'cron(0 3 * * ? *)', not at least every 1 h (cron(0 3 * * ? *) in UTC goes up to 24 h without "
            "firing",
        ),
        (
            # Hourly on weekdays only: nothing pauses the service from Friday 23:00 to Monday 00:00.
            replace(PAUSE, expression="cron(0 * ? * MON-FRI *)"),
            "it fires 'cron(0 * ? * MON-FRI *)', not at least every 1 h (cron(0 * ? * MON-FRI *) in UTC goes up to "
            "49 h without firing",
        ),
        (
            # Hourly in London: when the clocks go back, 01:00 fires once, so 01:00 BST to 02:00 GMT is 2 h.
            replace(PAUSE, expression="cron(0 * * * ? *)", timezone="Europe/London"),
            "it fires 'cron(0 * * * ? *)', not at least every 1 h (cron(0 * * * ? *) in Europe/London goes up to "
            "2 h without firing, between its firings at ",
        ),
        (
            replace(PAUSE, expression="cron(*/30 * * * ? *)", window_minutes=45),
            "it fires 'cron(*/30 * * * ? *)' (cron(*/30 * * * ? *) in UTC goes up to 0.5 h without firing, between "
            "its firings at ",
        ),
        (
            replace(PAUSE, expression="cron(0 * * * ? 2026)"),
            "it fires 'cron(0 * * * ? 2026)', not at least every 1 h (cron(0 * * * ? 2026) in UTC stops firing",
        ),
        (
            replace(PAUSE, expression="at(2026-12-24T00:00:00)"),
            "it fires 'at(2026-12-24T00:00:00)', which proves no pause at least every 1 h: "
            "'at(2026-12-24T00:00:00)' is a one-time schedule",
        ),
        (
            replace(PAUSE, expression="cron(0 * * * * *)"),
            "it fires 'cron(0 * * * * *)', which proves no pause at least every 1 h: cron(0 * * * * *) cannot be "
            "evaluated",
        ),
        (
            replace(PAUSE, expression="cron(0 * * * ? *)", timezone="Mars/Olympus_Mons"),
            "it fires 'cron(0 * * * ? *)', which proves no pause at least every 1 h: cron(0 * * * ? *) in "
            "Mars/Olympus_Mons: 'Mars/Olympus_Mons' "
            "is no time zone the check knows",
        ),
        (replace(PAUSE, role_allows=None), "its role arn:role/p does not exist"),
        (replace(PAUSE, role_allows=False), "its role arn:role/p is not allowed apprunner:PauseService"),
        (
            replace(PAUSE, role_allows=False, why_not=("no statement of its policies allows it",)),
            "its role arn:role/p is not allowed apprunner:PauseService on the service (no statement of its policies",
        ),
        (
            replace(PAUSE, untrusted="its trust policy does not let scheduler.amazonaws.com assume it"),
            "EventBridge Scheduler cannot run as its role arn:role/p: its trust policy does not let",
        ),
        (replace(PAUSE, starts="2999-01-01T00:00:00+00:00"), "it starts firing only at 2999-01-01T00:00:00+00:00"),
        (
            # Hourly on paper, but each firing may come up to a day late: a resumed service may run 25 h.
            replace(PAUSE, window_minutes=1440),
            "it fires 'rate(1 hour)' within a FLEXIBLE time window of up to 1440 min after each time, so a pause may "
            "come 25 h after the one before, not at least every 1 h",
        ),
        (
            replace(PAUSE, window_minutes=15),
            "it fires 'rate(1 hour)' within a FLEXIBLE time window of up to 15 min after each time, so a pause may "
            "come 1.25 h after the one before, not at least every 1 h",
        ),
        (
            replace(PAUSE, ends="2026-01-01T00:00:00+00:00"),
            "it stops firing at 2026-01-01T00:00:00+00:00 (EndDate): after that nothing pauses the service",
        ),
        (
            replace(
                PAUSE,
                key_arn="arn:aws:kms:us-east-1:1:key/k",
                key_problems=("its target input is encrypted with KMS key arn:aws:kms:us-east-1:1:key/k, which is ",),
            ),
            "its target input is encrypted with KMS key arn:aws:kms:us-east-1:1:key/k",
        ),
    ],
)
def test_a_pause_that_cannot_work_fails_naming_the_schedule_and_why(broken: PauseSchedule, named: str) -> None:
    [problem] = judge_idle("lakehouse-lh-1-catalog", RUNNING, [broken], 1)
    assert problem.startswith("App Runner service lakehouse-lh-1-catalog (RUNNING) is not paused when idle: ")
    assert f"schedule default/lakehouse-lh-1-catalog-pause: {named}" in problem


#: One scripted answer: a status and a body (JSON-encoded unless it is a str).
Answer = tuple[int, object]
MARQUEZ = [(200, {"namespaces": [], "totalCount": 0}), (404, {"code": 404, "message": "Namespace 'x' not found."})]
MLFLOW = [(200, {"experiments": []}), (404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Could not find"})]


class _Answers(BaseHTTPRequestHandler):
    """Answers each GET with the next answer of the server's script (the last one repeats)."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        script: list[Answer] = self.server.script  # type: ignore[attr-defined]
        status, body = script.pop(0) if len(script) > 1 else script[0]
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if isinstance(body, str) else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def answering() -> Iterator[Callable[[list[Answer]], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(script: list[Answer]) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
        server.script = list(script)  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_a_service_url_where_nothing_listens_does_not_exist() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert _http_identified(f"http://127.0.0.1:{port}", "mlflow-service", "mlflow") == (False, "")


def test_the_real_services_are_recognised_after_a_failing_answer(answering: Callable[[list[Answer]], str]) -> None:
    assert _http_identified(answering([(503, ""), *MARQUEZ]), "lineage-service", "lineage") == (True, "")
    assert _http_identified(answering([(502, ""), *MLFLOW]), "mlflow-service", "mlflow") == (True, "")
    exists, why = _http_identified(answering([(404, "")]), "mlflow-service", "mlflow")
    assert not exists and "answered HTTP 404" in why


def test_something_answering_200_to_everything_is_not_the_service(answering: Callable[[list[Answer]], str]) -> None:
    """A web app's fallback route, a stub, or the other service at the wrong URL: each named, none passes."""
    exists, why = _http_identified(answering([(200, "<html>app</html>")]), "lineage-service", "lineage")
    assert not exists and "answered 200 but not a JSON object with a 'namespaces' list" in why
    exists, why = _http_identified(answering([(200, {})]), "mlflow-service", "mlflow")
    assert not exists and "answered HTTP 200, not 404 with error_code = 'RESOURCE_DOES_NOT_EXIST'" in why
    exists, why = _http_identified(answering([(200, {"namespaces": []})]), "lineage-service", "lineage")
    assert not exists and "answered HTTP 200, not 404 with code = 404" in why
    marquez_at_mlflow_url = answering([(200, {"namespaces": []}), (404, {"code": 404, "message": "no"})])
    exists, why = _http_identified(marquez_at_mlflow_url, "mlflow-service", "mlflow")
    assert not exists and "something else answers there" in why

    entity = _entity("Resource", "lineage-api", {"type": "lineage-service"})
    lookup = Lookup(entity.ref, "lineage-service", "lineage at http://x", "GET /api/v1/namespaces", False, why)
    assert judge_resources([entity], [lookup]) == [
        f"{entity.ref} names lineage-service 'lineage at http://x', which does not exist "
        f"(GET /api/v1/namespaces: {why})"
    ]


def test_a_service_that_keeps_failing_cannot_be_judged(
    answering: Callable[[list[Answer]], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("lakehouse.checks.catalog.HTTP_DEADLINE_S", 0.0)
    with pytest.raises(Unreadable, match="did not answer /api/v1/namespaces within .*HTTP 500"):
        _http_identified(answering([(500, "")]), "lineage-service", "lineage")


def test_verdict_composes_every_part_and_fills_names() -> None:
    assert fill("{project}-{stack_id}-gold-{account_id}", {"project": "p", "stack_id": "s", "account_id": "1"}) == (
        "p-s-gold-1"
    )
    metadata = {"name": "team", "annotations": {"github.com/team-slug": "org/team"}}
    team = Entity({"kind": "Group", "metadata": metadata, "spec": {}}, 1, 0)
    read = CatalogReadback([team], service_name="svc", service=RUNNING, catalog_url="http://c", pauses=[PAUSE])
    read.codeowners = CodeOwners(ROOT, ".github/CODEOWNERS", (OwnerRule(1, "*", ("@org/team",)),))
    read.served = [{"kind": "Group", "metadata": metadata}]
    assert verdict(read).status is Status.PASSED
    read.pauses = [replace(PAUSE, expression="rate(3 hours)")]
    assert verdict(read, pause_hours=3).status is Status.PASSED  # the stated hours come from the feature
    outcome = verdict(read)
    assert outcome.status is Status.FAILED
    assert outcome.reason is not None and "svc (RUNNING) is not paused when idle" in outcome.reason
    assert outcome.details["problems"]["idle"]
    assert "at least every 1 h" in str(outcome.threshold)


def test_the_catalog_api_answers_in_backstages_shape() -> None:
    client = Client(create_app(ROOT / CATALOG_FILE))
    response = client.get("/api/catalog/entities")
    assert response.status_code == 200
    entities = json.loads(response.get_data())
    assert len(entities) == len(load_catalog(ROOT / CATALOG_FILE))
    pipeline = next(e for e in entities if e["metadata"]["name"] == "lakehouse-pipeline")
    assert pipeline["metadata"]["namespace"] == "default" and pipeline["metadata"]["uid"]
    assert {"type": "ownedBy", "targetRef": "group:default/data-owners"} in pipeline["relations"]
    one = client.get("/api/catalog/entities/by-name/component/default/lakehouse-pipeline")
    assert json.loads(one.get_data())["metadata"]["name"] == "lakehouse-pipeline"
    missing = client.get("/api/catalog/entities/by-name/component/default/nope")
    assert missing.status_code == 404
    assert json.loads(missing.get_data())["error"]["name"] == "NotFound"
    assert client.get("/.backstage/health/v1/liveness").status_code == 200
