"""Exit check 4's run-id rule (``lakehouse.checks.lineage_runs``) and session-writes rule
(``lakehouse.checks.lineage_versions.session_write_problems``) on Marquez-shaped answers.

Broken: an event of another job, another producer, or naming this run as its parent, carrying one of this run's
run ids (Marquez reads a run id as a UUID, whatever its case); one copying this run's job, producer and run id
with other outputs or another type (not one this run sent: its digest is none of this run's); a version of Gold
written since the session by a foreign run. Healthy twins: this run's own events, resent unchanged or as Marquez
re-serialises them (key order, no nulls, ``Z`` time); this run's own versions; a foreign run that finished, or
never ended, before the session (history).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from lakehouse.checks.lineage_runs import replay_problems, replays
from lakehouse.checks.lineage_versions import CurrentVersion, session_write_problems, session_writes
from lakehouse.lineage.digest import event_digest
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.lineage.events import PRODUCER
from lakehouse.lineage.naming import DatasetRef

NS = "lakehouse-t"
OURS, THEIRS = "0b1d6a8e-1c1f-4c56-9a0c-7f1e2d3c4b5a", "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a"
GOLD = "dataset:awsathena://athena.eu-west-1.amazonaws.com:awsdatacatalog.t_gold.daily_revenue"


def event(run_id: str, job: str = "gold.merge", namespace: str = NS, producer: str = PRODUCER) -> dict[str, Any]:
    return {
        "eventType": "COMPLETE",
        "eventTime": "2026-12-06T20:01:00.100Z",
        "producer": producer,
        "run": {"runId": run_id, "facets": {}},
        "job": {"namespace": namespace, "name": job},
        "outputs": [{"namespace": "s3://b", "name": "gold/x", "facets": {"schema": {"fields": [{"name": "a"}]}}}],
    }


def emission() -> EmissionStats:
    """This run sent one event of run ``OURS`` (the one :func:`event` builds)."""
    started = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)
    return EmissionStats(
        url="http://m",
        namespace=NS,
        started_at=started,
        run_ids={"gold.merge": [OURS]},
        event_digests={event_digest(event(OURS))},
    )


def as_marquez_answers(sent: dict[str, Any]) -> dict[str, Any]:
    """``sent`` as ``GET /events/lineage`` answers it: keys reordered, the time re-printed by Jackson
    (``.100Z`` -> ``.1+00:00`` is the same instant), explicit nulls of an optional field dropped or added."""
    answered = dict(reversed(list(sent.items())))
    answered["eventTime"] = "2026-12-06T20:01:00.1+00:00"
    answered["schemaURL"] = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
    answered["outputs"][0]["facets"]["schema"]["fields"][0]["description"] = None
    return answered


def test_this_runs_own_events_resent_unchanged_or_as_marquez_answers_them_are_no_replay() -> None:
    stored = [event(OURS), event(OURS), as_marquez_answers(event(OURS)), event(THEIRS, job="other")]
    assert replays(stored, emission()) == []


def test_a_copy_of_this_runs_job_producer_and_run_id_with_other_content_is_named() -> None:
    other_outputs, fail_after = event(OURS), event(OURS)
    other_outputs["outputs"][0]["name"] = "gold/elsewhere"
    fail_after.update(eventType="FAIL", eventTime="2026-12-06T20:02:00Z")
    found = replays([event(OURS), other_outputs, fail_after], emission())
    assert [(r.event_type, r.event_time, r.unsent) for r in found] == [
        ("COMPLETE", "2026-12-06T20:01:00.100Z", True),
        ("FAIL", "2026-12-06T20:02:00Z", True),
    ]
    assert replay_problems(found) == [
        f"this run's run {OURS} of job:{NS}:gold.merge is not only its own in Marquez: a COMPLETE event of "
        f"job:{NS}:gold.merge from producer {PRODUCER} (dated 2026-12-06T20:01:00.100Z) carries it, but this run "
        "sent no such event (its type, time, run, job, inputs, outputs or facets differ from every event this run "
        "sent) (and 1 more such event(s)); Marquez keys runs by run id, so its state and its inputs and outputs "
        "read as this run's"
    ]


def test_another_job_or_producer_carrying_this_runs_run_id_is_named_whatever_the_ids_case() -> None:
    found = replays(
        [event(OURS.upper(), namespace="elsewhere"), event(OURS, producer="https://example.com/tool")], emission()
    )
    assert [(r.run, r.job, r.producer) for r in found] == [
        (OURS, "job:elsewhere:gold.merge", PRODUCER),
        (OURS, f"job:{NS}:gold.merge", "https://example.com/tool"),
    ]
    assert replay_problems(found) == [
        f"this run's run {OURS} of job:{NS}:gold.merge is not only its own in Marquez: a COMPLETE event of "
        f"job:elsewhere:gold.merge from producer {PRODUCER} (dated 2026-12-06T20:01:00.100Z) carries it (and 1 more "
        "such event(s)); Marquez keys runs by run id, so that job's writes read as made by this run"
    ]


def test_an_event_naming_this_run_as_its_parent_is_named() -> None:
    child = event(THEIRS, job="child", namespace="elsewhere")
    child["run"]["facets"] = {"parent": {"job": {"namespace": NS, "name": "gold.merge"}, "run": {"runId": OURS}}}
    found = replays([child], emission())
    assert [(r.run, r.job, r.as_parent) for r in found] == [(OURS, "job:elsewhere:child", True)]
    assert "names it as its parent run" in replay_problems(found)[0]


def test_a_session_write_by_a_foreign_run_is_named_and_this_runs_own_are_not() -> None:
    running = CurrentVersion(GOLD, "v-2", "2026-12-06T20:05:00Z", THEIRS, "RUNNING")
    failed = CurrentVersion(GOLD, "v-3", "2026-12-06T20:06:00Z", THEIRS, "FAILED", "job:elsewhere:backfill")
    mine = CurrentVersion(GOLD, "v-1", "2026-12-06T20:01:00Z", OURS, "COMPLETED", f"job:{NS}:gold.merge")
    assert session_write_problems([mine], emission()) == []
    assert session_write_problems([running, failed, mine], emission()) == [
        f"Marquez lists version v-2 of {GOLD}, dated 2026-12-06T20:05:00Z (since this session started), as written "
        f"by run {THEIRS}, RUNNING, which never completed (Marquez names no job of it until it ends): not a run "
        "this session emitted, so the latest writer of the table Marquez shows is another producer's",
        f"Marquez lists version v-3 of {GOLD}, dated 2026-12-06T20:06:00Z (since this session started), as written "
        f"by run {THEIRS} (FAILED) of job:elsewhere:backfill: not a run this session emitted, so the latest writer "
        "of the table Marquez shows is another producer's",
    ]


ATHENA = "awsathena://athena.eu-west-1.amazonaws.com"
GOLD_REF = DatasetRef(ATHENA, "awsdatacatalog.t_gold.daily_revenue")


class Versions:
    """``GET .../datasets/{name}/versions`` as Marquez answers it: newest first by ``createdAt``, each with its
    ``createdByRun`` in the run's state now (``jobVersion`` null for a run that only STARTed), paged."""

    def __init__(self, versions: list[dict[str, Any]]):
        self.versions = versions

    def dataset_versions(
        self, namespace: str, name: str, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        return self.versions[offset : offset + limit], len(self.versions)


def version(n: int, created: str, run_id: str, state: str, job: str | None = None) -> dict[str, Any]:
    job_version = {"namespace": NS, "name": job, "version": "jv"} if job else None
    return {
        "version": f"v-{n}",
        "createdAt": created,
        "createdByRun": {"id": run_id, "state": state, "jobVersion": job_version},
    }


def gold_history(theirs_state: str, ours_count: int = 1) -> list[dict[str, Any]]:
    """This run's versions of Gold in the session, then a foreign run's version dated a day before it."""
    mine = [
        version(i, f"2026-12-06T20:{i // 60:02d}:{i % 60:02d}Z", OURS, "COMPLETED", "gold.merge")
        for i in range(ours_count)
    ]
    theirs = version(999, "2026-12-05T20:00:00Z", THEIRS, theirs_state)
    return [*reversed(mine), theirs]


@pytest.mark.parametrize("ours_count", [1, 150], ids=["just-below-ours", "past-the-first-page"])
def test_a_foreign_run_that_never_ended_before_the_session_is_history(ours_count: int) -> None:
    """Its START is dated a day before the session and it never ended (an abandoned run, or one dated back): it sits
    below this run's versions and Marquez shows neither it nor its job as current; it cannot be told from a crashed
    run that writes nothing any more, and failing every later session on a shared Marquez for it would be a false
    red (``tests/lineage/test_check.py``'s backdated healthy twins)."""
    found = session_writes(Versions(gold_history("RUNNING", ours_count)), GOLD_REF, emission().started_at)  # type: ignore[arg-type]
    assert {w.run for w in found} == {OURS}
    assert session_write_problems(found, emission()) == []


@pytest.mark.parametrize("state", ["COMPLETED", "FAILED", "ABORTED"])
def test_a_foreign_run_that_finished_before_the_session_is_history(state: str) -> None:
    found = session_writes(Versions(gold_history(state)), GOLD_REF, emission().started_at)  # type: ignore[arg-type]
    assert [w.run for w in found] == [OURS]
    assert session_write_problems(found, emission()) == []
