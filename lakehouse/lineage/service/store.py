"""Durable storage of OpenLineage events and the model Marquez derives from them (SQLite).

Each accepted event is kept verbatim and folded into namespaces, jobs, datasets and runs
the way Marquez does: a job's inputs and outputs (the edges its graph draws) are those of the run
whose terminal event arrived last (all events of the run merged), never a run that only started;
its current run (``currentRunUuid``, the run its lineage node shows) is the run of the last
RunEvent to arrive, by arrival, not by time; a run's state and ``transitionedAt`` are those of
its last-arriving event with an ``eventType``, and a job's ``latestRun`` is its run with the latest
``transitionedAt`` (see :func:`run_state` and :meth:`Store.runs_of`), by time; a dataset's facets are
those of its current version (the run that wrote it last: an earlier version's column lineage
does not live on), its fields come from its ``schema`` facet, and every namespace named by a
job or a dataset exists. A dataset's versions are Marquez's (see :meth:`Store._version`): each RunEvent naming
it as an output makes (or finds) the version of that run, whose ``createdByRun`` is the run and whose
``createdAt`` is the event's own time; the dataset's ``currentVersion`` moves to a run's versions only when its
COMPLETE event *arrives* (or any event of a streaming job), so it is the last completed writer by arrival,
whatever the event times say. A DatasetEvent makes a runless version current.
A RunEvent's ``parent`` run facet links its job to a parent job as Marquez does
(``OpenLineageDao.buildJobFromEvent``, see :meth:`Store._parent_job`): the parent's current run becomes the
facet's run, the child is named ``<parent>.<simple name>`` and drawn from the parent's current run, and keeps
its first parent. A dataset's ``symlinks`` facet makes each identifier it names an alias of the dataset as
Marquez does (``OpenLineageDao.upsertLineageDataset``, see :meth:`Store._link`): the first dataset to claim a
name keeps it, and a later event naming an alias is folded into (and drawn as) the dataset it aliases.
SQLite in WAL mode with one writer at a time; the file survives a restart of the service.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL, event_time TEXT NOT NULL,
  event_type TEXT, run_id TEXT NOT NULL, job_namespace TEXT NOT NULL, job_name TEXT NOT NULL, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  namespace TEXT NOT NULL, name TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  facets TEXT NOT NULL DEFAULT '{}', inputs TEXT NOT NULL DEFAULT '[]', outputs TEXT NOT NULL DEFAULT '[]',
  latest_run_id TEXT, current_version TEXT, PRIMARY KEY (namespace, name)
);
CREATE TABLE IF NOT EXISTS datasets (
  namespace TEXT NOT NULL, name TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  fields TEXT NOT NULL DEFAULT '[]', facets TEXT NOT NULL DEFAULT '{}', last_modified_at TEXT,
  current_version TEXT, PRIMARY KEY (namespace, name)
);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, job_namespace TEXT NOT NULL, job_name TEXT NOT NULL, created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL, state TEXT NOT NULL, started_at TEXT, ended_at TEXT, facets TEXT NOT NULL DEFAULT '{}',
  inputs TEXT NOT NULL DEFAULT '[]', outputs TEXT NOT NULL DEFAULT '[]', job_version TEXT, transitioned_at TEXT
);
CREATE TABLE IF NOT EXISTS dataset_symlinks (
  namespace TEXT NOT NULL, name TEXT NOT NULL, dataset_namespace TEXT NOT NULL, dataset_name TEXT NOT NULL,
  is_primary INTEGER NOT NULL, PRIMARY KEY (namespace, name)
);
CREATE TABLE IF NOT EXISTS dataset_versions (
  uuid TEXT PRIMARY KEY, version_key TEXT NOT NULL UNIQUE, namespace TEXT NOT NULL, name TEXT NOT NULL,
  created_at TEXT NOT NULL, run_id TEXT, fields TEXT NOT NULL DEFAULT '[]', lifecycle_state TEXT NOT NULL DEFAULT '',
  facets TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS events_by_run ON events (run_id, seq);
CREATE INDEX IF NOT EXISTS dataset_versions_by_dataset ON dataset_versions (namespace, name, created_at);
CREATE INDEX IF NOT EXISTS dataset_versions_by_run ON dataset_versions (run_id);
"""

#: OpenLineage eventType -> Marquez run state; any other non-null type is RUNNING (``OpenLineageDao.getRunState``).
RUN_STATES = {"START": "RUNNING", "RUNNING": "RUNNING", "COMPLETE": "COMPLETED", "FAIL": "FAILED", "ABORT": "ABORTED"}
#: ``GET /events/lineage``'s window when no ``before``/``after`` is given (``OpenLineageResource``'s defaults).
EVENTS_BEFORE, EVENTS_AFTER = "2030-01-01T00:00:00.000Z", "1970-01-01T00:00:00.000Z"
#: Marquez's ``RunState.isDone``: a run in one of these has a job version and an end.
DONE = {"COMPLETED", "FAILED", "ABORTED"}
#: Columns added after the first release: added to an older file when it is opened (then filled, idempotently:
#: a run that ever had a state has a transition time; its last event's time is the best an old file knows).
MIGRATIONS = (
    "ALTER TABLE datasets ADD COLUMN current_version TEXT",
    "ALTER TABLE runs ADD COLUMN transitioned_at TEXT",
    "UPDATE runs SET transitioned_at = updated_at WHERE transitioned_at IS NULL AND state != 'NEW'",
    "ALTER TABLE jobs ADD COLUMN simple_name TEXT",
    "ALTER TABLE jobs ADD COLUMN parent_namespace TEXT",
    "ALTER TABLE jobs ADD COLUMN parent_name TEXT",
)


def run_state(event_type: Any) -> str | None:
    """The state a RunEvent's ``eventType`` moves its run to, as Marquez does, or None (no state change).

    Marquez (``OpenLineageDao.updateBaseMarquezModel``, ``getRunState``; ``RunDao.upsert`` sets
    ``current_run_state``/``transitioned_at`` from the event on every arrival): a null type leaves the run's
    state and transition time alone; START, RUNNING and any unknown type (OTHER) make it RUNNING; COMPLETE,
    FAIL and ABORT finish it. The last event to *arrive* wins, whatever its ``eventTime``.
    """
    if event_type is None:
        return None
    return RUN_STATES.get(str(event_type).upper(), "RUNNING")


def event_kind(event: Any) -> str:
    """Marquez's ``EventTypeResolver``: ``schemaURL`` ending ``/DatasetEvent`` or ``/JobEvent``, else RunEvent."""
    url = str(event.get("schemaURL") or "") if isinstance(event, dict) else ""
    for kind in ("DatasetEvent", "JobEvent"):
        if url.endswith("/" + kind):
            return kind
    return "RunEvent"


class EventError(ValueError):
    """An event Marquez would refuse; ``status`` is the HTTP status it answers with."""

    def __init__(self, status: int, messages: list[str]):
        super().__init__("; ".join(messages))
        self.status = status
        self.messages = messages


def iso(text: str, what: str = "eventTime") -> str:
    """An OpenLineage timestamp (or ``what`` else is one) normalised to UTC ISO-8601 with ``Z`` (Marquez's
    Instant format)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        raise EventError(400, [f"{what} {text!r} is not an ISO-8601 date-time"]) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def validate(event: Any) -> None:
    """What Marquez checks before it accepts an event (``LineageEvent``/``DatasetEvent``/``JobEvent``
    @NotNull fields) -> 422."""
    if not isinstance(event, dict):
        raise EventError(400, ["the body is not a JSON object"])
    kind = event_kind(event)
    if kind == "DatasetEvent":
        missing = [f"{name} must not be null" for name in ("eventTime", "producer", "dataset") if not event.get(name)]
        dataset = event.get("dataset")
        if isinstance(dataset, dict):
            missing += [f"dataset.{k} must not be null" for k in ("namespace", "name") if not dataset.get(k)]
        if missing:
            raise EventError(422, missing)
        return
    required = ("eventTime", "producer", "job") if kind == "JobEvent" else ("eventTime", "producer", "run", "job")
    missing = [f"{name} must not be null" for name in required if not event.get(name)]
    run, job = event.get("run"), event.get("job")
    if isinstance(run, dict) and not run.get("runId"):
        missing.append("run.runId must not be null")
    if isinstance(job, dict):
        missing += [f"job.{k} must not be null" for k in ("namespace", "name") if not job.get(k)]
    elif job is not None:
        missing.append("job must be an object")
    if missing:
        raise EventError(422, missing)


def run_uuid(run_id: str) -> str:
    """Marquez stores run ids as UUIDs and converts other strings with ``nameUUIDFromBytes`` (MD5, v3)."""
    try:
        return str(uuid.UUID(run_id))
    except ValueError:
        import hashlib

        digest = bytearray(hashlib.md5(run_id.encode()).digest())  # noqa: S324 - Java's nameUUIDFromBytes
        digest[6] = (digest[6] & 0x0F) | 0x30
        digest[8] = (digest[8] & 0x3F) | 0x80
        return str(uuid.UUID(bytes=bytes(digest)))


def name_based_uuid(*parts: str) -> str:
    """Marquez's ``Utils.toNameBasedUuid``: Java's ``nameUUIDFromBytes`` (MD5, v3) of the URL namespace's bytes
    and the parts joined with dots, which is Python's ``uuid3(NAMESPACE_URL, ...)``."""
    return str(uuid.uuid3(uuid.NAMESPACE_URL, ".".join(parts)))


def parent_job_name(name: str) -> str:
    """Marquez's ``Utils.parseParentJobName``: a name up to its last dot (an Airflow ``dag.task``'s DAG)."""
    return name[: name.rindex(".")] if "." in name else name


@dataclass(frozen=True)
class ParentFacet:
    """The ``parent`` run facet of a RunEvent: the run (and its job) that started this one."""

    namespace: str
    name: str
    run_id: str

    @classmethod
    def of(cls, run: dict[str, Any]) -> ParentFacet | None:
        """The facet when it names a job and a run, else None (Marquez needs both to link a parent)."""
        parent = (run.get("facets") or {}).get("parent")
        if not isinstance(parent, dict):
            return None
        job, prun = parent.get("job") or {}, parent.get("run") or {}
        if not (isinstance(job, dict) and isinstance(prun, dict)):
            return None
        if not (job.get("namespace") and job.get("name") and prun.get("runId")):
            return None
        return cls(str(job["namespace"]), str(job["name"]), str(prun["runId"]))

    def run_uuid(self) -> str:
        """Marquez's ``Utils.findParentRunUuid``: the run id as a UUID, else name-based on (namespace, the job
        name up to its last dot, run id)."""
        try:
            return str(uuid.UUID(self.run_id))
        except ValueError:
            return name_based_uuid(self.namespace, parent_job_name(self.name), self.run_id)


def _streaming(job: dict[str, Any]) -> bool:
    """Marquez's ``LineageEvent.Job.isStreamingJob``: the ``jobType`` facet's processingType is STREAMING."""
    job_type = (job.get("facets") or {}).get("jobType") or {}
    return isinstance(job_type, dict) and str(job_type.get("processingType") or "").upper() == "STREAMING"


def _ids(datasets: Any) -> list[dict[str, str]]:
    out = []
    for d in datasets or []:
        if isinstance(d, dict) and d.get("namespace") and d.get("name"):
            out.append({"namespace": str(d["namespace"]), "name": str(d["name"])})
    return out


def _parent_columns(parent: tuple[str, str, str] | None) -> tuple[str | None, str | None, str | None]:
    """(simple_name, parent_namespace, parent_name) a job upsert writes: no parent, no simple name (its name)."""
    return (parent[2], parent[0], parent[1]) if parent else (None, None, None)


def _fields(facets: dict[str, Any]) -> list[dict[str, Any]]:
    """A dataset's fields (Marquez's ``Field``: name, type, tags, description) from its ``schema`` facet."""
    return [
        {"name": f.get("name"), "type": f.get("type"), "tags": [], "description": f.get("description")}
        for f in (facets.get("schema") or {}).get("fields") or []
        if isinstance(f, dict) and f.get("name")
    ]


def _merge(a: list[dict[str, str]], b: list[dict[str, str]]) -> list[dict[str, str]]:
    seen = {(d["namespace"], d["name"]) for d in a}
    return a + [d for d in b if (d["namespace"], d["name"]) not in seen]


@dataclass
class Store:
    """The service's state in one SQLite file."""

    path: Path

    def __post_init__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            for statement in MIGRATIONS:
                with suppress(sqlite3.OperationalError):  # already there
                    db.execute(statement)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        try:
            with db:  # one transaction: committed on success, rolled back on error
                yield db
        finally:
            db.close()

    # -- writing ---------------------------------------------------------------------------------

    def add(self, event: dict[str, Any]) -> None:
        """Keep one validated event (Run, Dataset or Job event) and fold it into the model, in one transaction."""
        validate(event)
        kind = event_kind(event)
        if kind == "DatasetEvent":
            self._add_dataset_event(event)
            return
        if kind == "JobEvent":
            self._add_job_event(event)
            return
        when = iso(str(event["eventTime"]))
        job, run = event["job"], event["run"]
        ns, name, rid = str(job["namespace"]), str(job["name"]), run_uuid(str(run["runId"]))
        etype = str(event.get("eventType") or "OTHER").upper()
        moved_to = run_state(event.get("eventType"))
        facet = ParentFacet.of(run)
        with self._lock, self._connect() as db:
            linked_inputs, linked_outputs = (
                self._link_all(db, event.get("inputs"), when),
                self._link_all(db, event.get("outputs"), when),
            )
            inputs, outputs = _ids(linked_inputs), _ids(linked_outputs)
            parent: tuple[str, str, str | None] | None = None
            simple = name
            if facet is not None:  # Marquez's OpenLineageDao.buildJobFromEvent: the parent first, then the child
                parent = self._parent_job(db, facet, ns, name, when, moved_to)
                simple = name.removeprefix(parent[1] + ".")
                name = f"{parent[1]}.{simple}"  # jobs_view's trigger: the parent's name, a dot, the simple name
            self._keep(db, event, when, rid, ns, name)
            for namespace in {ns} | {d["namespace"] for d in inputs + outputs}:
                self._touch_namespace(db, namespace, when)
            for dataset in linked_inputs + linked_outputs:
                if isinstance(dataset, dict) and dataset.get("namespace") and dataset.get("name"):
                    is_output = dataset in linked_outputs
                    modified = is_output and etype == "COMPLETE"
                    self._touch_dataset(
                        db,
                        dataset,
                        when,
                        modified=modified,
                        version_facets=self._run_facets(db, rid, dataset) if modified else None,
                    )
            for dataset in linked_inputs:  # Marquez: the inputs first, each read at its current version
                self._version(db, dataset, when, rid, is_input=True)
            for dataset in linked_outputs:
                self._version(db, dataset, when, rid, is_input=False)
            run_row = db.execute("SELECT * FROM runs WHERE id = ?", (rid,)).fetchone()
            if run_row is None:
                db.execute(
                    "INSERT INTO runs (id, job_namespace, job_name, created_at, updated_at, state) "
                    "VALUES (?,?,?,?,?,?)",
                    (rid, ns, name, when, when, "NEW"),
                )
                run_row = db.execute("SELECT * FROM runs WHERE id = ?", (rid,)).fetchone()
            run_inputs = _merge(json.loads(run_row["inputs"]), inputs)
            run_outputs = _merge(json.loads(run_row["outputs"]), outputs)
            facets = {**json.loads(run_row["facets"]), **(run.get("facets") or {})}
            # Marquez's RunDao.upsert/updateStartState/updateEndState: every event that moves the state sets it,
            # its transition time, and (RUNNING) the start or (done) the end, in arrival order
            state = moved_to or run_row["state"]
            transitioned = when if moved_to else run_row["transitioned_at"]
            started = when if moved_to == "RUNNING" else run_row["started_at"]
            ended = when if moved_to in DONE else run_row["ended_at"]
            version = None
            # Marquez makes a job version (the job's current I/O) when a run finishes (``updateMarquezOnComplete``),
            # or, for a streaming job, on any event naming datasets (``updateMarquezOnStreamingJob``)
            if moved_to in DONE or (_streaming(job) and (inputs or outputs)):
                key = json.dumps([ns, name, sorted(map(str, run_inputs)), sorted(map(str, run_outputs))])
                version = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
            db.execute(
                "UPDATE runs SET updated_at=?, state=?, transitioned_at=?, started_at=?, ended_at=?, facets=?, "
                "inputs=?, outputs=?, job_version=coalesce(?, job_version) WHERE id=?",
                (
                    when,
                    state,
                    transitioned,
                    started,
                    ended,
                    json.dumps(facets),
                    json.dumps(run_inputs),
                    json.dumps(run_outputs),
                    version,
                    rid,
                ),
            )
            streaming_end = moved_to in DONE and not inputs and not outputs and _streaming(job)
            self._touch_job(
                db,
                ns,
                name,
                when,
                job.get("facets") or {},
                rid if parent is None else parent[2],  # a child's current run is its parent's current run
                run_inputs,
                run_outputs,
                version,
                dropped=(not inputs and not streaming_end, not outputs and not streaming_end),
                parent=None if parent is None else (parent[0], parent[1], simple),
            )
            if event.get("eventType") is not None and (etype == "COMPLETE" or _streaming(job)):
                self._current_versions_of(db, rid)

    def _parent_job(
        self, db: sqlite3.Connection, facet: ParentFacet, ns: str, name: str, when: str, moved_to: str | None
    ) -> tuple[str, str, str | None]:
        """The parent job of a RunEvent naming ``facet`` -> (namespace, name, its current run), as Marquez's
        ``OpenLineageDao.findParentJobRow`` finds or makes it.

        The job of the run the facet names, when that job is the facet's (same namespace and name), is taken as
        it is. Otherwise (no such run, or a run of another job: a run id clash, then a name-based run id)
        ``createParentJobRunRecord`` upserts a job of the facet's name in the *child's* namespace whose current
        run becomes the facet's run, and upserts that run with the child event's state and time: so a RunEvent
        of any job naming another job of the namespace as its parent redraws that job from a run of its choosing.
        """
        wanted = parent_job_name(facet.name) if facet.name == name else facet.name
        puid = facet.run_uuid()
        found = db.execute("SELECT job_namespace, job_name FROM runs WHERE id = ?", (puid,)).fetchone()
        if found is not None and (found["job_namespace"], found["job_name"]) == (facet.namespace, wanted):
            row = db.execute(
                "SELECT latest_run_id FROM jobs WHERE namespace=? AND name=?", (facet.namespace, wanted)
            ).fetchone()
            return facet.namespace, wanted, row["latest_run_id"] if row else None
        if found is not None:
            puid = name_based_uuid(facet.namespace, wanted, puid)
        self._touch_job(db, ns, wanted, when, {}, puid, [], [], None)
        row = db.execute("SELECT * FROM runs WHERE id = ?", (puid,)).fetchone()
        if row is None:  # RunDao.upsert: a new run belongs to the parent job; an existing one keeps its job
            db.execute(
                "INSERT INTO runs (id, job_namespace, job_name, created_at, updated_at, state) VALUES (?,?,?,?,?,?)",
                (puid, ns, wanted, when, when, "NEW"),
            )
            row = db.execute("SELECT * FROM runs WHERE id = ?", (puid,)).fetchone()
        if moved_to is not None:  # the child event's state (updateStartState / updateEndState)
            db.execute(
                "UPDATE runs SET updated_at=?, state=?, transitioned_at=?, started_at=?, ended_at=? WHERE id=?",
                (
                    when,
                    moved_to,
                    when,
                    when if moved_to == "RUNNING" else row["started_at"],
                    when if moved_to in DONE else row["ended_at"],
                    puid,
                ),
            )
        return ns, wanted, puid

    def _touch_namespace(self, db: sqlite3.Connection, name: str, when: str) -> None:
        db.execute(
            "INSERT INTO namespaces (name, created_at, updated_at) VALUES (?,?,?) "
            "ON CONFLICT(name) DO UPDATE SET updated_at = max(updated_at, excluded.updated_at)",
            (name, when, when),
        )

    def _add_dataset_event(self, event: dict[str, Any]) -> None:
        """A DatasetEvent: the dataset (and its namespace) with its facets; no job, no run."""
        when, dataset = iso(str(event["eventTime"])), event["dataset"]
        ns = str(dataset["namespace"])
        with self._lock, self._connect() as db:
            self._keep(db, event, when, "", "", "")
            self._touch_namespace(db, ns, when)
            linked = self._link(db, dataset, when)
            self._touch_dataset(db, linked, when, modified=False)
            # Marquez (``updateMarquezModel(DatasetEvent)``): a run-less version, made current at once
            version = self._version(db, linked, when, None, is_input=False)
            db.execute(
                "UPDATE datasets SET current_version=? WHERE namespace=? AND name=?",
                (version, linked["namespace"], linked["name"]),
            )

    def _add_job_event(self, event: dict[str, Any]) -> None:
        """A JobEvent: the job with its facets and declared inputs/outputs, their datasets; no run."""
        when, job = iso(str(event["eventTime"])), event["job"]
        ns, name = str(job["namespace"]), str(job["name"])
        with self._lock, self._connect() as db:
            linked_inputs, linked_outputs = (
                self._link_all(db, event.get("inputs"), when),
                self._link_all(db, event.get("outputs"), when),
            )
            inputs, outputs = _ids(linked_inputs), _ids(linked_outputs)
            self._keep(db, event, when, "", ns, name)
            for namespace in {ns} | {d["namespace"] for d in inputs + outputs}:
                self._touch_namespace(db, namespace, when)
            for dataset in linked_inputs + linked_outputs:
                if isinstance(dataset, dict) and dataset.get("namespace") and dataset.get("name"):
                    self._touch_dataset(db, dataset, when, modified=False)
            for dataset in linked_inputs:  # run-less versions: none made current (``upsertLineageDataset``)
                self._version(db, dataset, when, None, is_input=True)
            for dataset in linked_outputs:
                self._version(db, dataset, when, None, is_input=False)
            # Marquez (``updateMarquezModel(JobEvent)``): the job is upserted with no run, which clears its
            # ``current_run_uuid``, and a runless version of the declared I/O becomes current
            key = json.dumps([ns, name, sorted(map(str, inputs)), sorted(map(str, outputs))])
            version = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
            self._touch_job(db, ns, name, when, job.get("facets") or {}, None, inputs, outputs, version, declared=True)

    def _keep(self, db: sqlite3.Connection, event: dict[str, Any], when: str, rid: str, ns: str, name: str) -> None:
        received = iso(datetime.now(UTC).isoformat())
        etype = str(event.get("eventType") or "OTHER").upper() if event_kind(event) == "RunEvent" else None
        db.execute(
            "INSERT INTO events (received_at, event_time, event_type, run_id, job_namespace, job_name, body) "
            "VALUES (?,?,?,?,?,?,?)",
            (received, when, etype, rid, ns, name, json.dumps(event)),
        )

    def _run_facets(self, db: sqlite3.Connection, rid: str, dataset: dict[str, Any]) -> dict[str, Any]:
        """The facets every event of run ``rid`` so far (this one kept already) gave ``dataset``, later ones winning.

        Marquez keeps dataset facets (and column lineage) per dataset version: the version a run writes holds
        that run's facets, none of an earlier version's (``column_lineage`` rows are per output dataset version).
        """
        key = (str(dataset["namespace"]), str(dataset["name"]))
        merged: dict[str, Any] = {}
        for (body,) in db.execute("SELECT body FROM events WHERE run_id = ? ORDER BY seq", (rid,)).fetchall():
            event = json.loads(body)
            for d in (event.get("inputs") or []) + (event.get("outputs") or []):
                if isinstance(d, dict) and self._resolve(db, str(d.get("namespace")), str(d.get("name"))) == key:
                    merged.update(d.get("facets") or {})
        return merged

    def _resolve(self, db: sqlite3.Connection, namespace: str, name: str) -> tuple[str, str]:
        """The dataset ``namespace``/``name`` stands for: the one it is an alias of, else itself (Marquez's
        ``dataset_symlinks``; a dataset known before aliases were kept has no row and is itself)."""
        row = db.execute(
            "SELECT dataset_namespace, dataset_name FROM dataset_symlinks WHERE namespace=? AND name=?",
            (namespace, name),
        ).fetchone()
        return (str(row[0]), str(row[1])) if row else (namespace, name)

    def _link(self, db: sqlite3.Connection, dataset: dict[str, Any], when: str) -> dict[str, Any]:
        """``dataset`` as Marquez folds it in: named as the dataset it resolves to, its ``symlinks`` facet's
        identifiers made aliases of that dataset.

        Marquez (``OpenLineageDao.upsertLineageDataset``, ``DatasetSymlinkDao``) first claims the dataset's own
        name as a primary symlink (``INSERT ... ON CONFLICT (name, namespace_uuid) DO NOTHING``) and reads back
        whichever dataset holds that name; then each identifier is claimed the same way for that dataset. The
        first claim wins for good: a name another event made an alias earlier is that other dataset
        (``datasets.upsert ... ON CONFLICT (uuid)`` keeps its namespace and name), and an identifier already
        taken stays with its holder.
        """
        ns, name = str(dataset["namespace"]), str(dataset["name"])
        db.execute("INSERT OR IGNORE INTO dataset_symlinks VALUES (?,?,?,?,1)", (ns, name, ns, name))
        target = self._resolve(db, ns, name)
        symlinks = (dataset.get("facets") or {}).get("symlinks")
        identifiers = symlinks.get("identifiers") if isinstance(symlinks, dict) else None
        for ident in identifiers if isinstance(identifiers, list) else []:
            if isinstance(ident, dict) and ident.get("namespace") and ident.get("name"):
                alias = (str(ident["namespace"]), str(ident["name"]))
                db.execute("INSERT OR IGNORE INTO dataset_symlinks VALUES (?,?,?,?,0)", (*alias, *target))
                self._touch_namespace(db, alias[0], when)  # Marquez upserts the identifier's namespace
        return {**dataset, "namespace": target[0], "name": target[1]}

    def _link_all(self, db: sqlite3.Connection, datasets: Any, when: str) -> list[dict[str, Any]]:
        """The event's named datasets (with a namespace and a name), each :meth:`_link`-ed, in order."""
        return [
            self._link(db, d, when)
            for d in datasets or []
            if isinstance(d, dict) and d.get("namespace") and d.get("name")
        ]

    def _touch_dataset(
        self,
        db: sqlite3.Connection,
        dataset: dict[str, Any],
        when: str,
        modified: bool,
        version_facets: dict[str, Any] | None = None,
    ) -> None:
        """Create or update a dataset (its version is :meth:`_version`'s to make).

        When a run wrote it (``modified``), its facets become ``version_facets`` (that run's), replacing the
        earlier version's; otherwise an event's facets are merged into the current version's.
        """
        facets = dataset.get("facets") or {}
        fields = _fields(facets)
        ns, name = str(dataset["namespace"]), str(dataset["name"])
        row = db.execute("SELECT * FROM datasets WHERE namespace=? AND name=?", (ns, name)).fetchone()
        if row is None:
            db.execute(
                "INSERT INTO datasets (namespace, name, created_at, updated_at, fields, facets, last_modified_at) "
                "VALUES (?,?,?,?,?,?,?)",
                (
                    ns,
                    name,
                    when,
                    when,
                    json.dumps(fields),
                    json.dumps(version_facets if version_facets is not None else facets),
                    when if modified else None,
                ),
            )
            return
        db.execute(
            "UPDATE datasets SET updated_at=?, fields=?, facets=?, last_modified_at=? WHERE namespace=? AND name=?",
            (
                max(when, row["updated_at"]),
                json.dumps(fields) if fields else row["fields"],
                json.dumps(version_facets if version_facets is not None else {**json.loads(row["facets"]), **facets}),
                when if modified else row["last_modified_at"],
                ns,
                name,
            ),
        )

    def _version(
        self, db: sqlite3.Connection, dataset: dict[str, Any], when: str, run_id: str | None, is_input: bool
    ) -> str:
        """The dataset version an event's ``dataset`` names, made or found as Marquez's
        ``OpenLineageDao.upsertLineageDataset`` does; returns its uuid (the ``version`` Marquez answers).

        A read (``is_input``) of a dataset with a current version is that version. Otherwise the version is keyed
        by what Marquez hashes into it (``Utils.newDatasetVersionFor``: namespace, source, name, fields, lifecycle
        state, run id), so every event of one run naming the same schema lands on one version; a new one is made
        at the event's time (``createdAt``, the event's own clock) and an existing one keeps its first time
        (``DatasetVersionDao.upsert``: ``ON CONFLICT(version) DO UPDATE SET run_uuid``). Its ``createdByRun`` is
        the run for a write, none for a read or a run-less (Dataset or Job) event. A run's read of a dataset
        with no current version makes the new version current; a write never does here (only its run's COMPLETE
        does, :meth:`_current_versions_of`).
        """
        ns, name = str(dataset["namespace"]), str(dataset["name"])
        current = db.execute("SELECT current_version FROM datasets WHERE namespace=? AND name=?", (ns, name)).fetchone()
        current_id = current["current_version"] if current is not None else None
        if is_input and current_id:
            found = db.execute("SELECT uuid FROM dataset_versions WHERE uuid=?", (current_id,)).fetchone()
            if found is not None:
                return str(found["uuid"])
        facets = dataset.get("facets") or {}
        fields = _fields(facets)
        state = str((facets.get("lifecycleStateChange") or {}).get("lifecycleStateChange") or "")
        source = str((facets.get("dataSource") or {}).get("name") or "default")
        key = json.dumps([ns, source, name, [(f["name"], f["type"], f["description"]) for f in fields], state, run_id])
        creator = None if is_input else run_id
        row = db.execute("SELECT uuid, facets FROM dataset_versions WHERE version_key=?", (key,)).fetchone()
        if row is None:
            version = str(uuid.uuid4())  # Marquez's row uuid is random too
            db.execute(
                "INSERT INTO dataset_versions (uuid, version_key, namespace, name, created_at, run_id, fields, "
                "lifecycle_state, facets) VALUES (?,?,?,?,?,?,?,?,?)",
                (version, key, ns, name, when, creator, json.dumps(fields), state, json.dumps(facets)),
            )
        else:
            version = str(row["uuid"])
            merged = {**json.loads(row["facets"]), **facets}  # each event's facets are linked to the version
            db.execute(
                "UPDATE dataset_versions SET run_id=?, facets=? WHERE uuid=?", (creator, json.dumps(merged), version)
            )
        if is_input and run_id is not None and not current_id:
            db.execute("UPDATE datasets SET current_version=? WHERE namespace=? AND name=?", (version, ns, name))
        return version

    def _current_versions_of(self, db: sqlite3.Connection, run_id: str | None) -> None:
        """Every version ``run_id`` wrote becomes its dataset's current one (Marquez's
        ``OpenLineageService.buildJobOutput`` on a COMPLETE event, or any event of a streaming job, in the order
        the run made them): the dataset's current version is the last completed writer's *to arrive*."""
        for row in db.execute("SELECT * FROM dataset_versions WHERE run_id=? ORDER BY rowid", (run_id,)).fetchall():
            db.execute(
                "UPDATE datasets SET current_version=? WHERE namespace=? AND name=?",
                (row["uuid"], row["namespace"], row["name"]),
            )

    def _touch_job(
        self,
        db: sqlite3.Connection,
        ns: str,
        name: str,
        when: str,
        facets: dict[str, Any],
        run_id: str | None,
        inputs: list[dict[str, str]],
        outputs: list[dict[str, str]],
        version: str | None,
        declared: bool = False,
        dropped: tuple[bool, bool] = (False, False),
        parent: tuple[str, str, str] | None = None,
    ) -> None:
        """Create or update a job: its I/O is that of the run whose terminal event arrived last (or, from a
        JobEvent, declared); its current run (``currentRunUuid``) is ``run_id``: the run of the last RunEvent
        to arrive, None after a JobEvent (Marquez upserts the job with ``current_run_uuid`` of the event).

        ``version`` is None unless the event made a job version (a run finished, a JobEvent): only then does
        the job's I/O change to ``inputs``/``outputs``. A START or RUNNING event draws no edge, even for a job
        that has none yet (Marquez links datasets to a job version only in ``upsertJobVersionOnRunTransition``);
        a JobEvent declaring no inputs (outputs) leaves the current ones (``upsertRunlessJobVersion`` marks
        earlier ones previous only while linking new ones).
        ``dropped`` (inputs, outputs): the RunEvent named none of them, so the job's current ones stop being
        current until a run finishes (Marquez's ``markInputOrOutputDatasetAsPreviousFor`` in
        ``OpenLineageDao.updateBaseMarquezModel``): its graph loses those edges, whatever run the event is of.
        ``parent`` (namespace, name, simple name): the job's parent from a ``parent`` run facet. As Marquez's
        ``rewrite_jobs_fqn_table`` trigger does, a job keeps the first parent it was given (``COALESCE``), even
        through later events naming none; its ``simpleName`` is the name without the parent's (else its name).
        """
        versioned = version is not None
        row = db.execute("SELECT * FROM jobs WHERE namespace=? AND name=?", (ns, name)).fetchone()
        if row is None:
            io = [json.dumps(d) if versioned else "[]" for d in (inputs, outputs)]
            db.execute(
                "INSERT INTO jobs (namespace, name, created_at, updated_at, facets, inputs, outputs, latest_run_id, "
                "current_version, simple_name, parent_namespace, parent_name) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (ns, name, when, when, json.dumps(facets), io[0], io[1], run_id, version, *_parent_columns(parent)),
            )
            return
        current = [
            json.dumps(new) if versioned and (new or not declared) else "[]" if drop else old
            for new, old, drop in ((inputs, row["inputs"], dropped[0]), (outputs, row["outputs"], dropped[1]))
        ]
        simple, parent_ns, parent_name = _parent_columns(parent)
        db.execute(
            "UPDATE jobs SET updated_at=?, facets=?, inputs=?, outputs=?, latest_run_id=?, current_version=?, "
            "simple_name=?, parent_namespace=coalesce(parent_namespace, ?), parent_name=coalesce(parent_name, ?) "
            "WHERE namespace=? AND name=?",
            (
                max(when, row["updated_at"]),
                json.dumps({**json.loads(row["facets"]), **facets}),
                current[0],
                current[1],
                run_id,
                version or row["current_version"],
                simple,
                parent_ns,
                parent_name,
                ns,
                name,
            ),
        )

    # -- reading ---------------------------------------------------------------------------------

    def rows(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        with self._connect() as db:
            return list(db.execute(sql, params).fetchall())

    def namespaces(self) -> list[sqlite3.Row]:
        return self.rows("SELECT * FROM namespaces ORDER BY name")

    def namespace(self, name: str) -> sqlite3.Row | None:
        found = self.rows("SELECT * FROM namespaces WHERE name=?", name)
        return found[0] if found else None

    def jobs(self, namespace: str | None = None) -> list[sqlite3.Row]:
        if namespace is None:
            return self.rows("SELECT * FROM jobs ORDER BY namespace, name")
        return self.rows("SELECT * FROM jobs WHERE namespace=? ORDER BY name", namespace)

    def job(self, namespace: str, name: str) -> sqlite3.Row | None:
        found = self.rows("SELECT * FROM jobs WHERE namespace=? AND name=?", namespace, name)
        return found[0] if found else None

    def datasets(self, namespace: str | None = None) -> list[sqlite3.Row]:
        if namespace is None:
            return self.rows("SELECT * FROM datasets ORDER BY namespace, name")
        return self.rows("SELECT * FROM datasets WHERE namespace=? ORDER BY name", namespace)

    def dataset(self, namespace: str, name: str) -> sqlite3.Row | None:
        """The dataset named so, or the one that name is an alias of (Marquez's ``findDatasetByName``:
        ``(namespace, name) = ANY(d.dataset_symlinks)``); answered under the dataset's own name."""
        alias = self.rows(
            "SELECT dataset_namespace, dataset_name FROM dataset_symlinks WHERE namespace=? AND name=?", namespace, name
        )
        if alias:
            namespace, name = str(alias[0][0]), str(alias[0][1])
        found = self.rows("SELECT * FROM datasets WHERE namespace=? AND name=?", namespace, name)
        return found[0] if found else None

    def dataset_versions(self, namespace: str, name: str, limit: int, offset: int) -> tuple[list[sqlite3.Row], int]:
        """A dataset's versions newest first, as Marquez lists them (``DatasetVersionDao.findAll``: ``ORDER BY
        created_at DESC``, the events' own times; the later made first on a tie), and how many there are."""
        rows = self.rows(
            "SELECT * FROM dataset_versions WHERE namespace=? AND name=? ORDER BY created_at DESC, rowid DESC "
            "LIMIT ? OFFSET ?",
            namespace,
            name,
            limit,
            offset,
        )
        total = self.rows("SELECT count(*) AS n FROM dataset_versions WHERE namespace=? AND name=?", namespace, name)
        return rows, int(total[0]["n"])

    def dataset_version(self, version: str) -> sqlite3.Row | None:
        """One version by its uuid, whichever dataset it is of (``DatasetVersionDao.findBy``)."""
        found = self.rows("SELECT * FROM dataset_versions WHERE uuid=?", version)
        return found[0] if found else None

    def runs_of(self, namespace: str, name: str, limit: int = 10) -> list[sqlite3.Row]:
        """A job's runs as Marquez lists them for its ``latestRun``/``latestRuns`` (``RunDao.findByLatestJob``:
        ``ORDER BY transitioned_at DESC, started_at DESC``, PostgreSQL putting NULLs first when descending)."""
        return self.rows(
            "SELECT * FROM runs WHERE job_namespace=? AND job_name=? ORDER BY transitioned_at IS NULL DESC, "
            "transitioned_at DESC, started_at IS NULL DESC, started_at DESC LIMIT ?",
            namespace,
            name,
            limit,
        )

    def run(self, run_id: str) -> sqlite3.Row | None:
        found = self.rows("SELECT * FROM runs WHERE id=?", run_id)
        return found[0] if found else None

    def events(
        self,
        limit: int,
        offset: int,
        descending: bool = True,
        before: str = EVENTS_BEFORE,
        after: str = EVENTS_AFTER,
    ) -> tuple[list[dict[str, Any]], int]:
        """``GET /events/lineage`` as Marquez answers it (``OpenLineageDao.getAllLineageEventsDesc``/``Asc``,
        ``getAllLineageTotalCount``): the RunEvents with ``after <= eventTime < before`` (the events' own times,
        ``iso``-normalised), and the count of *every* event in that window, Dataset and Job events too."""
        order = "DESC" if descending else "ASC"
        window = "event_time < ? AND event_time >= ?"
        sql = (
            f"SELECT body FROM events WHERE {window} AND event_type IS NOT NULL "  # noqa: S608 - fixed words only
            f"ORDER BY event_time {order}, seq {order} LIMIT ? OFFSET ?"
        )
        rows = self.rows(sql, before, after, limit, offset)
        total = self.rows(f"SELECT count(*) AS n FROM events WHERE {window}", before, after)[0]["n"]  # noqa: S608
        return [json.loads(r["body"]) for r in rows], int(total)
