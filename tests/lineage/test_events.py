"""The event builder and the emitter: every event valid against the official OpenLineage schemas
(vendored), failures counted, never raised."""

from __future__ import annotations

import socket
import uuid
from typing import Any

from openlineage.client.event_v2 import RunState

from lakehouse.athena import QueryRecord
from lakehouse.lineage.digest import event_digest
from lakehouse.lineage.emitter import GIVE_UP_AFTER, LineageEmitter
from lakehouse.lineage.events import PRODUCER, JobRun, run_event, to_dict
from lakehouse.lineage.naming import athena_table, s3_location
from lakehouse.lineage.sqlio import Column
from tests.lineage.conftest import NAMESPACE, REGION, emit_pipeline, statements
from tests.lineage.spec import openlineage_errors

GOLD = athena_table(REGION, "lh_t_gold", "daily_revenue")
ENRICHED = athena_table(REGION, "lh_t_gold", "orders_enriched")


def validate(event: dict[str, Any]) -> None:
    """The official OpenLineage schemas (vendored: tests/lineage/data/openlineage, SOURCES.md)."""
    assert openlineage_errors(event) == []


def test_start_and_complete_events_carry_the_required_fields_namespaces_and_schema() -> None:
    run = JobRun(
        NAMESPACE,
        "lh_t_gold.daily_revenue.merge",
        inputs=(ENRICHED,),
        outputs=(GOLD,),
        schemas={GOLD: [Column("country", "string")]},
        sql="MERGE INTO ...",
        query_id="q-1",
    )
    start, done = to_dict(run_event(run, RunState.START)), to_dict(run_event(run, RunState.COMPLETE))
    for event in (start, done):
        validate(event)
        assert event["producer"] == PRODUCER and event["run"]["runId"] == run.run_id
        assert uuid.UUID(event["run"]["runId"])
        assert event["job"] == {**event["job"], "namespace": NAMESPACE, "name": "lh_t_gold.daily_revenue.merge"}
        assert event["inputs"][0]["namespace"] == "awsathena://athena.ap-northeast-1.amazonaws.com"
        assert event["inputs"][0]["name"] == "awsdatacatalog.lh_t_gold.orders_enriched"
        assert event["outputs"][0]["facets"]["schema"]["fields"][0] == {
            **event["outputs"][0]["facets"]["schema"]["fields"][0],
            "name": "country",
            "type": "string",
        }
        assert event["job"]["facets"]["sql"]["query"] == "MERGE INTO ..."
    assert (start["eventType"], done["eventType"]) == ("START", "COMPLETE")
    assert "externalQuery" not in start["run"]["facets"]
    assert done["run"]["facets"]["externalQuery"]["externalQueryId"] == "q-1"


def test_a_failed_job_says_why_and_s3_datasets_follow_the_naming_spec() -> None:
    folder = s3_location("s3://lh-t-bronze/raw/orders/")
    assert (folder.namespace, folder.name) == ("s3://lh-t-bronze", "raw/orders")
    run = JobRun(NAMESPACE, "10_bronze.2", inputs=(folder,), outputs=(GOLD,))
    event = to_dict(run_event(run, RunState.FAIL, error="SYNTAX_ERROR: line 1:1"))
    validate(event)
    assert event["eventType"] == "FAIL"
    assert event["run"]["facets"]["errorMessage"]["message"] == "SYNTAX_ERROR: line 1:1"


def test_the_schema_check_itself_rejects_what_the_spec_forbids() -> None:
    event = to_dict(run_event(JobRun(NAMESPACE, "j", inputs=(ENRICHED,)), RunState.START))
    del event["run"]["runId"]
    event["inputs"][0]["facets"]["dataSource"]["uri"] = "file"  # the old landing inputs' bare word
    event["job"]["facets"]["jobType"]["processingType"] = 7
    assert sorted(openlineage_errors(event)) == [
        "inputs/0/facets/dataSource: uri: 'file' is not a 'uri'",
        "job/facets/jobType: processingType: 7 is not of type 'string'",
        "run: 'runId' is a required property",
    ]
    unknown = {
        **event,
        "run": {"runId": "x", "facets": {"x": {"_producer": PRODUCER, "_schemaURL": "https://e/x.json"}}},
    }
    assert "run/facets/x: https://e/x.json: schema not vendored" in " ".join(openlineage_errors(unknown))


class Recorder:
    """An OpenLineage client that keeps what it is given (the emitter's ``client``)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def emit(self, event: Any) -> None:
        self.events.append(to_dict(event))


def test_every_event_the_pipeline_emits_validates_against_the_official_schemas() -> None:
    """All of a pipeline run's events, successes and a failure, landing (local files) included."""
    recorder = Recorder()
    emitter = LineageEmitter("http://recorder", NAMESPACE, REGION, client=recorder)  # type: ignore[arg-type]
    emit_pipeline(emitter)
    failing = statements()[-1]
    emitter.statement(failing, QueryRecord(sql=failing.sql, query_execution_id="q-x", wall_ms=3, error="boom"))
    assert len(recorder.events) == 2 * emitter.stats.jobs
    assert {e["eventType"] for e in recorder.events} == {"START", "COMPLETE", "FAIL"}
    assert any(d["namespace"] == "file" for e in recorder.events for d in e["inputs"])
    problems = {f"{e['job']['name']} {e['eventType']}: {p}" for e in recorder.events for p in openlineage_errors(e)}
    assert problems == set()


class TaggingRecorder(Recorder):
    """Adds a run facet in place before keeping the event, as ``OpenLineageClient.emit`` does with its environment
    variables, tags and source code location facets."""

    def emit(self, event: Any) -> None:
        event.run.facets["tags"] = {"_producer": PRODUCER, "_schemaURL": "https://e/tags.json", "tags": []}
        super().emit(event)


def test_the_emitter_keeps_the_digest_of_every_event_as_the_client_sent_it() -> None:
    recorder = TaggingRecorder()
    emitter = LineageEmitter("http://recorder", NAMESPACE, REGION, client=recorder)  # type: ignore[arg-type]
    emit_pipeline(emitter)
    assert all("tags" in e["run"]["facets"] for e in recorder.events)
    assert emitter.stats.event_digests == {event_digest(e) for e in recorder.events}
    assert len(emitter.stats.event_digests) == emitter.stats.sent == 2 * emitter.stats.jobs


def _dead_url() -> str:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_a_dead_marquez_never_breaks_the_pipeline_and_every_undelivered_event_is_counted() -> None:
    emitter = LineageEmitter(_dead_url(), NAMESPACE, REGION)
    emit_pipeline(emitter)  # must not raise
    stats = emitter.stats
    jobs = 1 + len(statements())
    assert stats.jobs == jobs and stats.sent == 0 and stats.event_digests == set()
    assert stats.failed == GIVE_UP_AFTER and stats.not_sent == 2 * jobs - GIVE_UP_AFTER
    assert "ConnectionError" in stats.errors[0] and f"gave up after {GIVE_UP_AFTER}" in stats.errors[-1]
    assert not stats.ok and "not sent" in stats.summary()


def test_without_a_marquez_url_nothing_is_sent_and_the_summary_says_so() -> None:
    emitter = LineageEmitter(None, NAMESPACE, REGION)
    emit_pipeline(emitter)
    assert emitter.stats.sent == 0 and emitter.stats.not_sent == 2 * emitter.stats.jobs
    assert "no Marquez URL" in emitter.stats.summary()


def test_every_job_gets_start_and_complete_delivered_to_a_live_service(service) -> None:  # type: ignore[no-untyped-def]
    emitter = LineageEmitter(service.url, NAMESPACE, REGION)
    emit_pipeline(emitter)
    stats = emitter.stats
    assert stats.ok and stats.sent == 2 * stats.jobs == 2 * (1 + len(statements()))
