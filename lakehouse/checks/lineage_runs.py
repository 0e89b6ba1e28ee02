"""Exit check 4, whose runs this run's run ids are in Marquez: every event carrying one is this run's own.

Marquez keys a run by its ``runId`` alone (``RunDao.upsert``: ``ON CONFLICT(uuid)``), so an event of another job
(another namespace or name) or from another producer that carries one of this run's run ids lands on this run's
run: the run keeps its first job (the conflict updates no job column) but takes the event's state and times; the
other job's current run becomes this run's (``jobs.current_run_uuid``), its COMPLETE makes a job version of
everything the run ever read and wrote, and each dataset the event writes gets a version whose ``createdByRun`` is
this run's id, made current on COMPLETE (``OpenLineageService.buildJobOutput``). Every rule that asks "was it made
by a run this session emitted" then answers yes for another producer's write, at any time its events claim.

What Marquez keeps of who sent an event is the event itself (``GET /events/lineage``: every RunEvent with its
``producer`` and ``job``, re-serialised by Marquez's model: key order, nulls and time format change,
``lakehouse.lineage.digest``).
So the check reads them all, however many (an explicit window from the year 1 to 9999, since Marquez's default one
spans 1970 to 2030 and an event's time is whatever its sender wrote: a window of the session's times would miss a
backdated one) and refuses any that carries one of this run's run ids,
as its own ``runId`` or as the run of its ``parent`` facet, with another job or another producer than the one this
run emitted it with. A sender copying the producer, job and run id (a second COMPLETE with other outputs, a FAIL
after this run's COMPLETE) is caught by the digest: every event carrying one of this run's run ids must be one
this run sent and Marquez accepted (``EmissionStats.event_digests``), resent unchanged at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lakehouse.checks.lineage_versions import as_run_id, parse_time
from lakehouse.lineage.client import MarquezClient, MarquezError
from lakehouse.lineage.digest import event_digest
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.lineage.events import PRODUCER

#: The window read: every time an event can claim that Marquez (PostgreSQL ``timestamptz``, Java ``ZonedDateTime``)
#: answers for, years 1 to 9999 (Marquez's own default window starts at 1970, yet a sender may date an event 1969).
EVENTS_AFTER, EVENTS_BEFORE = "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"
#: Events per page. Marquez sets no maximum on ``limit`` (``OpenLineageResource.getLineageEvents``: ``@Min(0)`` only).
PAGE = 1000


class UnorderedEvents(MarquezError):
    """Marquez answered a page of events out of time order: the check cannot tell it has read them all."""


@dataclass(frozen=True)
class Replay:
    """One event carrying a run id of this run that this run did not send as it is."""

    run: str
    ours: str  # ``job:<namespace>:<name>`` this run emitted the run as
    job: str  # the event's ``job:<namespace>:<name>``
    event_type: str
    event_time: str
    producer: str
    as_parent: bool  # the run id is the event's ``parent`` facet's run, not its own
    digest: str = ""  # the event's ``event_digest``
    #: Our job and producer, but not an event this run sent (its digest matches none of ``event_digests``).
    unsent: bool = False

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _millisecond(event: dict[str, Any]) -> datetime:
    """The event's time, cut to the millisecond (the coarsest time a Marquez keeps: our service keeps milliseconds,
    Marquez microseconds), so that a window starting there holds every event of that millisecond."""
    text = str(event.get("eventTime"))
    head, dot, tail = text.partition(".")
    if dot:  # Python reads at most 6 fraction digits; a sender may write 9
        digits = len(tail) - len(tail.lstrip("0123456789"))
        text = f"{head}.{tail[: min(digits, 6)]}{tail[digits:]}"
    when = parse_time(text)
    if when is None:
        raise UnorderedEvents(f"Marquez answered an event with an unreadable eventTime {event.get('eventTime')!r}")
    return when.replace(microsecond=when.microsecond // 1000 * 1000)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_events(client: MarquezClient) -> list[dict[str, Any]]:
    """Every RunEvent Marquez keeps, oldest first, however many.

    Paged by time, not by a growing offset (``OFFSET`` makes each page of a busy Marquez slower than the last):
    each page starts at the millisecond of the last event read, skipping the events of that millisecond already
    read (Marquez orders by ``eventTime`` alone, so ties keep their order between pages as they do for offset
    paging). Raises :class:`UnorderedEvents` when a page is not in time order, never returns a partial list.
    """
    after, skip = datetime.fromisoformat(EVENTS_AFTER.replace("Z", "+00:00")), 0
    found: list[dict[str, Any]] = []
    while True:
        events = client.events(EVENTS_BEFORE, _stamp(after), limit=PAGE, offset=skip, sort="asc")
        found += events
        if len(events) < PAGE:
            return found
        times = [_millisecond(e) for e in events]
        if times != sorted(times) or times[0] < after:
            raise UnorderedEvents(
                f"Marquez at {client.url} answered a page of lineage events not in eventTime order from {_stamp(after)}"
                ": the check cannot page through them all"
            )
        last = times[-1]
        skip = skip + len(events) if last == after else sum(1 for t in times if t == last)
        after = last


def _part(event: dict[str, Any], key: str) -> dict[str, Any]:
    """The event's ``job`` or ``run`` object, {} when it has none."""
    part = event.get(key)
    return part if isinstance(part, dict) else {}


def _job(event: dict[str, Any]) -> str:
    job = _part(event, "job")
    return f"job:{job.get('namespace')}:{job.get('name')}"


def _parent_run(event: dict[str, Any]) -> str | None:
    facets = _part(event, "run").get("facets")
    parent = facets.get("parent") if isinstance(facets, dict) else None
    prun = parent.get("run") if isinstance(parent, dict) else None
    return as_run_id(prun["runId"]) if isinstance(prun, dict) and prun.get("runId") else None


def replays(events: list[dict[str, Any]], emission: EmissionStats) -> list[Replay]:
    """The events carrying one of ``emission``'s run ids that this run did not send as they are.

    This run sends each run's events with its own job (``emission.namespace``, the job the run id was made for),
    :data:`PRODUCER`, and no ``parent`` facet, and keeps the digest of each one delivered; an identical replay of
    one of them is still this run's, any other event carrying its run id (another job or producer, or the same
    ones with other content) is not.
    """
    ours = {as_run_id(r): f"job:{emission.namespace}:{name}" for name, runs in emission.run_ids.items() for r in runs}
    found: list[Replay] = []
    for event in events:
        run = _part(event, "run")
        own = as_run_id(run.get("runId")) if run.get("runId") else None
        parent = _parent_run(event)
        if own not in ours and parent not in ours:
            continue  # another run's event: most of a busy Marquez, no digest needed
        job, producer = _job(event), str(event.get("producer"))
        digest = event_digest(event)
        for run_id, as_parent in ((own, False), (parent, True)):
            if run_id not in ours:
                continue
            foreign = as_parent or job != ours[run_id] or producer != PRODUCER
            if not foreign and digest in emission.event_digests:
                continue
            found.append(
                Replay(
                    run_id,
                    ours[run_id],
                    job,
                    str(event.get("eventType") or "OTHER"),
                    str(event.get("eventTime")),
                    producer,
                    as_parent,
                    digest,
                    unsent=not foreign,
                )
            )
    return found


def replay_problems(found: list[Replay]) -> list[str]:
    """One reason per run of this run that a foreign event carries, naming the run, its job and the event."""
    by_run: dict[str, list[Replay]] = {}
    for replay in found:
        by_run.setdefault(replay.run, []).append(replay)
    problems = []
    for run, events in sorted(by_run.items()):
        first = events[0]
        more = f" (and {len(events) - 1} more such event(s))" if len(events) > 1 else ""
        event = f"a {first.event_type} event of {first.job} from producer {first.producer} (dated {first.event_time})"
        if first.unsent:
            problems.append(
                f"this run's run {run} of {first.ours} is not only its own in Marquez: {event} carries it, but this "
                f"run sent no such event (its type, time, run, job, inputs, outputs or facets differ from every event "
                f"this run sent){more}; Marquez keys runs by run id, so its state and its inputs and outputs read as "
                "this run's"
            )
            continue
        how = "names it as its parent run" if first.as_parent else "carries it"
        problems.append(
            f"this run's run {run} of {first.ours} is not only its own in Marquez: {event} {how}{more}; Marquez keys "
            "runs by run id, so that job's writes read as made by this run"
        )
    return problems


def run_jobs(events: list[dict[str, Any]]) -> dict[str, str]:
    """Each run id's job (``job:<namespace>:<name>``) as its latest event names it: Marquez names no job of a run
    that only STARTed (its ``jobVersion`` is null until a COMPLETE), its events do."""
    return {as_run_id(_part(e, "run")["runId"]): _job(e) for e in events if _part(e, "run").get("runId")}
