"""Send the pipeline's OpenLineage events while it runs; never let lineage break the pipeline.

The emitter is a pipeline listener (``run_pipeline(listeners=[emitter.statement],
landing_listeners=[emitter.landing])``). Each job gets a START event (at the time the job
started) and a COMPLETE or FAIL event. A failed send is counted and its reason kept;
a delivered one leaves its digest (``lakehouse.lineage.digest``), taken after the client added its own
facets (environment variables, tags, source code location), so exit 4 can tell it from a copy;
after a few failures in a row the emitter stops trying (a dead endpoint would otherwise
cost a timeout per event) and counts the rest as not sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import RunEvent, RunState
from openlineage.client.transport.http import HttpConfig, HttpTransport

from lakehouse.athena import QueryRecord
from lakehouse.lineage.columns import ColumnLineageError, Schema, column_lineage
from lakehouse.lineage.digest import event_digest
from lakehouse.lineage.events import JobRun, run_event, to_dict
from lakehouse.lineage.jobnames import JobNamer
from lakehouse.lineage.jobs import LANDING_JOB, landing_io
from lakehouse.lineage.naming import DatasetRef
from lakehouse.lineage.sqlio import Column, SqlLineageError, StatementIO, statement_io
from lakehouse.pipeline.landing import Landed
from lakehouse.pipeline.sqlfiles import SqlStatement

#: Per-request timeout; lineage must cost the pipeline little even when Marquez is slow.
TIMEOUT_S = 2.0
#: One quick retry for a dropped connection; none for HTTP errors (Marquez answers at once).
RETRY = {"total": 1, "connect": 1, "read": 0, "backoff_factor": 0.1, "status_forcelist": []}
#: Consecutive failed sends after which the emitter stops trying for this run.
GIVE_UP_AFTER = 3
MAX_ERRORS_KEPT = 5

#: ``(database, table) -> columns`` from the catalog, or None when unknown.
SchemaLookup = Callable[[str, str], list[Column] | None]


@dataclass
class EmissionStats:
    """What happened to the events of one run: the pipeline result and the evidence carry it."""

    url: str | None
    namespace: str
    sent: int = 0
    failed: int = 0
    not_sent: int = 0
    jobs: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: When this emitter was made (UTC): the session's runs start after it.
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: Job name -> the OpenLineage run ids this emitter made for it, oldest first.
    run_ids: dict[str, list[str]] = field(default_factory=dict)
    #: ``"<job> <eventType>"`` of every event that failed or was never sent, in order.
    undelivered: list[str] = field(default_factory=list)
    #: The digest (``lakehouse.lineage.digest.event_digest``) of every event Marquez accepted: exit 4 holds every
    #: stored event carrying one of :attr:`run_ids` to one of them.
    event_digests: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return self.url is not None and self.failed == 0 and self.not_sent == 0

    def summary(self) -> str:
        if self.url is None:
            return f"lineage: not sent ({self.errors[0] if self.errors else 'no Marquez URL'})"
        text = f"lineage: {self.sent} events of {self.jobs} jobs sent to {self.url} (namespace {self.namespace})"
        if self.failed or self.not_sent:
            text += f", {self.failed} failed, {self.not_sent} not sent: {self.errors[0] if self.errors else '?'}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "namespace": self.namespace,
            "jobs": self.jobs,
            "events_sent": self.sent,
            "events_failed": self.failed,
            "events_not_sent": self.not_sent,
            "seconds": round(self.seconds, 3),
            "errors": self.errors,
            "warnings": self.warnings,
            "started_at": self.started_at.isoformat(timespec="milliseconds"),
            "run_ids": self.run_ids,
            "undelivered_events": self.undelivered,
            "events_digested": len(self.event_digests),
        }


def _label(event: RunEvent) -> str:
    """``"<job> <eventType>"``, e.g. ``lh_gold.daily_revenue.merge COMPLETE``: how reasons name an event."""
    kind = event.eventType.value if event.eventType is not None else "OTHER"
    return f"{event.job.name} {kind}"


def http_client(url: str, timeout_s: float = TIMEOUT_S) -> OpenLineageClient:
    """openlineage-python's HTTP transport to ``{url}/api/v1/lineage`` with a short timeout and retry."""
    config = HttpConfig(url=url, endpoint="api/v1/lineage", timeout=timeout_s, retry=dict(RETRY))
    return OpenLineageClient(transport=HttpTransport(config))


class LineageEmitter:
    """Describes each pipeline job as OpenLineage events and sends them (see module doc)."""

    def __init__(
        self,
        url: str | None,
        namespace: str,
        region: str,
        client: OpenLineageClient | None = None,
        schema_lookup: SchemaLookup | None = None,
    ):
        self.namespace = namespace
        self.region = region
        self.stats = EmissionStats(url=url, namespace=namespace)
        if url is None and client is None:
            self.stats.errors.append("no Marquez URL configured (MARQUEZ_URL or --marquez-url)")
        self.client = client if client is not None else (http_client(url) if url else None)
        self.schema_lookup = schema_lookup
        self._schemas: dict[DatasetRef, list[Column]] = {}
        self._failures_in_a_row = 0
        self._names = JobNamer(region)
        #: Columns the run's DDL declared, per table (the schema column lineage resolves against).
        self._declared: dict[DatasetRef, list[Column]] = {}

    # -- listeners -------------------------------------------------------------------------------

    def landing(self, data_dir: Path, landed: list[Landed], seconds: float) -> None:
        """Bronze landing finished: one job, the local CSVs in, the Bronze folders out."""
        bucket = landed[0].uri[len("s3://") :].split("/", 1)[0] if landed else ""
        io = landing_io(bucket, data_dir)
        run = JobRun(
            self.namespace,
            LANDING_JOB,
            inputs=tuple(io.inputs),
            outputs=tuple(io.outputs),
            schemas=io.schemas,
            integration="PYTHON",
            job_type="LANDING",
        )
        self._job(run, seconds, ok=True)

    def statement(self, stmt: SqlStatement, record: QueryRecord) -> None:
        """A statement finished (the pipeline's ``Listener``): its job's START and COMPLETE/FAIL."""
        try:
            io = statement_io(stmt.sql, self.region)
        except SqlLineageError as err:
            self.stats.warnings.append(f"{stmt.where}: {err}; its job is sent without datasets")
            io = StatementIO(kind="UNKNOWN")
        schemas = {d: cols for d in io.outputs if (cols := self._schema(d, io))}
        for d in io.outputs if io.dropped else ():
            self._declared.pop(d, None)
        self._declared.update(io.schemas)
        flows: dict[str, set[tuple[DatasetRef, str]]] = {}
        if io.outputs and io.inputs:
            try:
                flows = column_lineage(stmt.sql, self.region, self._known_columns())
            except ColumnLineageError as err:
                self.stats.warnings.append(f"{stmt.where}: {err}; its job is sent without column lineage")
        run = JobRun(
            self.namespace,
            self._names.name(stmt, io),
            inputs=tuple(io.inputs),
            outputs=tuple(io.outputs),
            schemas=schemas,
            sql=stmt.sql,
            query_id=record.query_execution_id,
            column_lineage={io.outputs[0]: flows} if flows else {},
        )
        self._job(run, (record.wall_ms or 0) / 1000.0, ok=record.ok, error=record.error)

    # -- internals -------------------------------------------------------------------------------

    def _schema(self, dataset: DatasetRef, io: StatementIO) -> list[Column] | None:
        """The output's columns: the catalog's when it can be asked, else what the DDL declared."""
        if dataset in io.schemas or io.dropped:  # the DDL changed it: forget what we knew
            self._schemas.pop(dataset, None)
        if dataset not in self._schemas and self.schema_lookup is not None and not io.dropped:
            _, database, table = dataset.name.split(".", 2)
            try:
                if found := self.schema_lookup(database, table):
                    self._schemas[dataset] = found
            except Exception as err:  # the catalog is a nice-to-have here, never a reason to fail
                self.stats.warnings.append(f"schema of {dataset.name}: {type(err).__name__}: {err}")
        return self._schemas.get(dataset) or io.schemas.get(dataset)

    def _known_columns(self) -> Schema:
        """Every table's columns known so far in this run (catalog or DDL), as sqlglot's schema."""
        known: Schema = {}
        for ref, cols in [*self._declared.items(), *self._schemas.items()]:  # the catalog's last: it wins
            parts = ref.name.split(".")
            if ref.namespace.startswith("awsathena://") and len(parts) == 3:
                known.setdefault(parts[1], {})[parts[2]] = {c.name: c.type for c in cols}
        return known

    def _job(self, run: JobRun, seconds: float, ok: bool, error: str | None = None) -> None:
        self.stats.jobs += 1
        self.stats.run_ids.setdefault(run.name, []).append(run.run_id)
        ended = datetime.now(UTC)
        self._send(run_event(run, RunState.START, ended - timedelta(seconds=seconds)))
        self._send(run_event(run, RunState.COMPLETE if ok else RunState.FAIL, ended, error=error))

    def _send(self, event: RunEvent) -> None:
        if self.client is None or self._failures_in_a_row >= GIVE_UP_AFTER:
            self.stats.not_sent += 1
            self.stats.undelivered.append(_label(event))
            return
        started = time.monotonic()
        try:
            self.client.emit(event)
        except Exception as err:  # any transport error: lineage never breaks the pipeline
            self.stats.failed += 1
            self.stats.undelivered.append(_label(event))
            self._failures_in_a_row += 1
            if len(self.stats.errors) < MAX_ERRORS_KEPT:
                first = str(err).strip().splitlines()[0] if str(err).strip() else ""
                self.stats.errors.append(f"{_label(event)}: {type(err).__name__}: {first}")
            if self._failures_in_a_row == GIVE_UP_AFTER:
                self.stats.errors.append(f"gave up after {GIVE_UP_AFTER} failed sends in a row")
        else:
            self.stats.sent += 1
            self.stats.event_digests.add(event_digest(to_dict(event)))  # the client may have added facets in place
            self._failures_in_a_row = 0
        finally:
            self.stats.seconds += time.monotonic() - started


def glue_schema_lookup(glue: Any) -> SchemaLookup:
    """A ``SchemaLookup`` reading columns from the Glue catalog (both targets)."""

    def lookup(database: str, table: str) -> list[Column] | None:
        found = glue.get_table(DatabaseName=database, Name=table)["Table"]
        columns = found.get("StorageDescriptor", {}).get("Columns", [])
        columns += found.get("PartitionKeys", [])
        return [Column(c["Name"], c.get("Type", "unknown")) for c in columns] or None

    return lookup
