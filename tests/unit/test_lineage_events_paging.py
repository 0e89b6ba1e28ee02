"""Exit check 4 reads every RunEvent Marquez keeps (``lakehouse.checks.lineage_runs.read_events``), however many.

Broken (before): past 20,000 stored events the check answered ``error`` on a busy Marquez, and an event dated
before 1970 (outside the window it read) carrying this run's run id went unseen. Now it pages by time through
the years 1 to 9999, so a busy Marquez gets a verdict: a replay anywhere in it fails, none passes. Paging by
time must read each event once, ties in one millisecond (and more of them than a page) included, against a
Marquez-shaped fake (microsecond times, no order among ties but the rows') and against our lineage service
(millisecond times).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from openlineage.client.event_v2 import RunState

from lakehouse.checks import lineage_runs
from lakehouse.checks.lineage_runs import UnorderedEvents, read_events, replay_problems, replays
from lakehouse.lineage.digest import event_digest
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.lineage.events import PRODUCER, JobRun, run_event, to_dict
from lakehouse.lineage.service.app import create_app
from lakehouse.lineage.service.store import Store

NS = "lakehouse-t"
OURS = "0b1d6a8e-1c1f-4c56-9a0c-7f1e2d3c4b5a"
START = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


def event(run_id: str, when: datetime, job: str = "gold.merge", namespace: str = NS) -> dict[str, Any]:
    stamp = when.isoformat().replace("+00:00", "Z")
    return {
        "eventType": "COMPLETE",
        "eventTime": stamp,
        "producer": PRODUCER,
        "run": {"runId": run_id, "facets": {}},
        "job": {"namespace": namespace, "name": job},
    }


def emission() -> EmissionStats:
    ours = event(OURS, START + timedelta(minutes=1))
    return EmissionStats(
        url="http://m",
        namespace=NS,
        started_at=START,
        run_ids={"gold.merge": [OURS]},
        event_digests={event_digest(ours)},
    )


class Marquez:
    """``GET /events/lineage`` as Marquez answers it (``OpenLineageDao.getAllLineageEventsAsc``): RunEvents with
    ``after <= event_time < before`` (``timestamptz``, microseconds), ``ORDER BY event_time`` (ties in the rows'
    order), ``LIMIT``/``OFFSET``; no maximum limit. Counts the requests."""

    url = "http://marquez"

    def __init__(self, events: list[dict[str, Any]]):
        self.rows = sorted(((self._time(e["eventTime"]), e) for e in events), key=lambda r: r[0])
        self.requests = 0

    @staticmethod
    def _time(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    def events(self, before: str, after: str, limit: int = 100, offset: int = 0, sort: str = "asc") -> list[Any]:
        self.requests += 1
        low, high = self._time(after), self._time(before)
        window = [r for r in self.rows if low <= r[0] < high]
        window = window if sort == "asc" else sorted(window, key=lambda r: r[0], reverse=True)
        return [e for _, e in window[offset : offset + limit]]


def busy(count: int) -> list[dict[str, Any]]:
    """``count`` events of other runs and jobs, ten per second from a year before the session."""
    first = START - timedelta(days=365)
    return [
        event(f"00000000-0000-4000-8000-{i:012d}", first + timedelta(milliseconds=100 * i), "other.job", "elsewhere")
        for i in range(count)
    ]


def test_a_busy_marquez_is_read_to_the_end_and_a_replay_past_the_old_limit_fails() -> None:
    """20,100 stored events (the old scan stopped at 20,000 with an error); the replay is the newest."""
    replay = event(OURS, START + timedelta(minutes=5), job="backfill.overwrite")
    marquez = Marquez([*busy(20_100), event(OURS, START + timedelta(minutes=1)), replay])
    found = replays(read_events(marquez), emission())  # type: ignore[arg-type]
    assert [(r.run, r.job) for r in found] == [(OURS, f"job:{NS}:backfill.overwrite")]
    assert f"a COMPLETE event of job:{NS}:backfill.overwrite" in replay_problems(found)[0]


def test_a_busy_marquez_holding_only_this_runs_own_events_passes() -> None:
    marquez = Marquez([*busy(20_100), event(OURS, START + timedelta(minutes=1))])
    events = read_events(marquez)  # type: ignore[arg-type]
    assert len(events) == 20_101
    assert replays(events, emission()) == []


def test_a_replay_dated_before_1970_is_read_too() -> None:
    """Marquez keeps any ``timestamptz``; its own default window (and the old scan's) starts at 1970."""
    replay = event(OURS, datetime(1969, 7, 20, 20, 17, tzinfo=UTC), namespace="elsewhere")
    found = replays(read_events(Marquez([event(OURS, START + timedelta(minutes=1)), replay])), emission())  # type: ignore[arg-type]
    assert [(r.job, r.event_time) for r in found] == [("job:elsewhere:gold.merge", "1969-07-20T20:17:00Z")]


def test_paging_by_time_reads_each_event_once_through_ties_longer_than_a_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pages of 4: nine events in one microsecond (a page all of them), then three in one millisecond at
    different microseconds across a page boundary, then one more."""
    monkeypatch.setattr(lineage_runs, "PAGE", 4)
    same = START + timedelta(microseconds=1)
    stored = [event(f"00000000-0000-4000-8000-{i:012d}", same, job=f"tie{i}") for i in range(9)]
    stored += [
        event(f"00000000-0000-4000-8000-{i:012d}", START + timedelta(microseconds=2000 + i)) for i in (9, 10, 11)
    ]
    stored.append(event(f"00000000-0000-4000-8000-{12:012d}", START + timedelta(seconds=1)))
    marquez = Marquez(stored)
    read = read_events(marquez)  # type: ignore[arg-type]
    assert sorted(e["run"]["runId"] for e in read) == sorted(e["run"]["runId"] for e in stored)
    assert len(read) == len(stored)


def test_a_marquez_answering_out_of_time_order_is_an_error_not_a_partial_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lineage_runs, "PAGE", 2)

    class Unordered(Marquez):
        def events(self, before: str, after: str, limit: int = 100, offset: int = 0, sort: str = "asc") -> list[Any]:
            return list(reversed(super().events(before, after, limit, offset, sort)))

    marquez = Unordered([event(OURS, START + timedelta(seconds=s)) for s in range(3)])
    with pytest.raises(UnorderedEvents, match="not in eventTime order"):
        read_events(marquez)  # type: ignore[arg-type]


class LocalService:
    """``MarquezClient.events`` over our lineage service's app (it keeps event times to the millisecond)."""

    url = "http://local"

    def __init__(self, app: FlaskClient):
        self.app = app

    def events(self, before: str, after: str, limit: int = 100, offset: int = 0, sort: str = "asc") -> list[Any]:
        query = {"before": before, "after": after, "limit": limit, "offset": offset, "sortDirection": sort}
        answer = self.app.get("/api/v1/events/lineage", query_string=query)
        assert answer.status_code == 200, answer.get_json()
        return list(answer.get_json()["events"])


def test_paging_by_time_reads_every_event_of_our_lineage_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Microsecond event times in one millisecond, which our service keeps as that millisecond, across pages."""
    monkeypatch.setattr(lineage_runs, "PAGE", 3)
    app = create_app(Store(tmp_path / "lineage.sqlite")).test_client()
    sent = []
    for i in range(8):
        run = JobRun(NS, f"job{i}")
        when = START + timedelta(microseconds=1000 + 100 * i) if i < 6 else START + timedelta(seconds=i)
        body = to_dict(run_event(run, RunState.COMPLETE, when))
        body["eventTime"] = when.isoformat().replace("+00:00", "Z")
        assert app.post("/api/v1/lineage", json=body).status_code == 201
        sent.append(run.run_id)
    read = read_events(LocalService(app))  # type: ignore[arg-type]
    assert sorted(e["run"]["runId"] for e in read) == sorted(sent)
