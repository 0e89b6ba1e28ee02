"""Exit check 4, whose content Gold is: Marquez's current version of each table this run wrote is this run's.

A job the pipeline does not run can write Gold during the session and date its OpenLineage events before the
session started: Marquez takes every time it shows from the events (``OpenLineageDao``: ``now`` is the event's
``eventTime``), so its run, its job and the dataset version it made (``createdAt``) all read as history. Two
things Marquez does not take from an event's clock: a version's ``createdByRun`` is the run whose events wrote it
(their ``runId``), and a dataset's ``currentVersion`` moves to a run's versions when that run's COMPLETE event
*arrives* (``OpenLineageService.buildJobOutput``; any event of a streaming job; a DatasetEvent makes a run-less
version current at once). So the current version of a table is the last completed write Marquez received,
whenever its events say it happened: Gold's must have been made by one of this session's runs (the run ids the
harness emitted), and so must that of every table upstream of Gold and every table the column flow reaches
(Marquez's column lineage of a table is its current version's) that this run's jobs wrote. A later run of the
pipeline in the session (a chaos recovery's) judges its own emission the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from lakehouse.lineage.client import MarquezClient, MarquezError
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.lineage.jobs import job_node
from lakehouse.lineage.naming import CATALOG, DatasetRef

if TYPE_CHECKING:
    from lakehouse.checks.lineage import Expectation


@dataclass(frozen=True)
class CurrentVersion:
    """Marquez's current version of one dataset and the run that made it (None where Marquez has none)."""

    dataset: str  # the dataset's node id, as Marquez holds it
    version: str | None
    created_at: str | None = None
    run: str | None = None
    state: str | None = None
    job: str | None = None  # ``job:<namespace>:<name>`` of the run's job version
    missing: bool = False  # Marquez answers no version of that id

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v is not False}


def parse_time(text: Any) -> datetime | None:
    """An ISO time from Marquez (``...Z`` or an offset) as an aware datetime, None when absent or unreadable."""
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def as_run_id(text: Any) -> str:
    """Run ids compared as UUIDs (Marquez answers them lower-case); other strings as they are."""
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        return str(text)


def written_datasets(
    exp: Expectation, emission: EmissionStats, flow_tables: Iterable[str] = (), drawn: Iterable[str] = ()
) -> list[DatasetRef]:
    """The datasets this run's jobs wrote that the check judges: Gold and every dataset upstream of it (the
    expected edges' outputs), the tables the column flow reaches (``db.table``), and every other one the gold
    job's graph draws (``drawn``: its node ids; a table beside Gold's path, such as a quarantine table), sorted.

    A dataset no job of this emission writes (its job did not run: :func:`stale_jobs` names that) is left out.
    """
    prefix = job_node(exp.namespace, "")
    ran = {prefix + name for name, runs in emission.run_ids.items() if runs}
    by_node = {d.node_id: d for d in exp.datasets}
    upstream = {e.destination for e in exp.edges} | set(drawn)
    suffixes = tuple(f":{CATALOG}.{t.lower()}" for t in flow_tables)
    wanted = {
        e.destination
        for e in exp.edges | exp.pipeline_edges
        if e.origin in ran and (e.destination in upstream or (suffixes and e.destination.lower().endswith(suffixes)))
    }
    return sorted(by_node[n] for n in wanted if n in by_node)


def read_current(client: MarquezClient, ref: DatasetRef) -> CurrentVersion | None:
    """The dataset's ``currentVersion`` and that version's ``createdByRun``; None when Marquez lacks the dataset
    (the missing edges say so). Raises :class:`MarquezError` when Marquez cannot be read."""
    try:
        held = client.dataset(ref.namespace, ref.name)
    except MarquezError as err:
        if err.status == 404:
            return None
        raise
    ident: dict[str, Any] = held["id"] if isinstance(held.get("id"), dict) else held
    namespace, name = str(ident.get("namespace") or ref.namespace), str(ident.get("name") or ref.name)
    node = DatasetRef(namespace, name).node_id
    current = held.get("currentVersion")
    if not current:
        return CurrentVersion(node, None)
    try:
        version = client.dataset_version(namespace, name, str(current))
    except MarquezError as err:
        if err.status == 404:
            return CurrentVersion(node, str(current), missing=True)
        raise
    return version_made(node, str(current), version)


def version_made(node: str, version_id: str, version: dict[str, Any]) -> CurrentVersion:
    """A dataset version Marquez answered, with the run that made it (``createdByRun``) and that run's job."""
    run: dict[str, Any] = version["createdByRun"] if isinstance(version.get("createdByRun"), dict) else {}
    job: dict[str, Any] = run["jobVersion"] if isinstance(run.get("jobVersion"), dict) else {}
    return CurrentVersion(
        node,
        version_id,
        created_at=version.get("createdAt"),
        run=as_run_id(run["id"]) if run.get("id") else None,
        state=run.get("state"),
        job=f"job:{job['namespace']}:{job['name']}" if job.get("namespace") and job.get("name") else None,
    )


def our_run_ids(emission: EmissionStats) -> set[str]:
    """Every run id this emission sent, as Marquez answers them (``as_run_id``)."""
    return {as_run_id(r) for runs in emission.run_ids.values() for r in runs}


def current_version_problems(found: list[CurrentVersion], emission: EmissionStats) -> list[str]:
    """One reason per dataset whose current version no run of this emission made, naming the version, the run
    and its job (or that there is none)."""
    ours = our_run_ids(emission)
    problems: list[str] = []
    for cur in found:
        if cur.version is None:
            problems.append(
                f"Marquez holds no current version of {cur.dataset}, which this run wrote: no COMPLETE event of a "
                "run writing it reached Marquez"
            )
        elif cur.missing:
            problems.append(f"Marquez's current version {cur.version} of {cur.dataset} is not among its versions")
        elif cur.run is None:
            problems.append(
                f"Marquez's current version {cur.version} of {cur.dataset} (created {cur.created_at}) was made by no "
                "run (a DatasetEvent or a run-less write), not by this run, which wrote it"
            )
        elif cur.run not in ours:
            job = cur.job or "a job Marquez does not name"
            problems.append(
                f"Marquez's current version {cur.version} of {cur.dataset} was made by run {cur.run} ({cur.state}) "
                f"of {job}, not by a run this session emitted: the last completed write of it to reach Marquez, "
                f"whatever its event times say (created {cur.created_at})"
            )
    return problems


#: Versions per page read back from Marquez.
VERSIONS_PAGE = 100
#: Marquez's run states of a finished run (``RunState.isDone``).
DONE = {"COMPLETED", "FAILED", "ABORTED"}


def session_writes(client: MarquezClient, ref: DatasetRef, since: datetime) -> list[CurrentVersion]:
    """The versions of ``ref`` Marquez lists dated at or after ``since`` and made by a run, newest first.

    Marquez makes a version of a dataset for every RunEvent writing it, START included, with the run as its
    ``createdByRun`` (``OpenLineageDao.upsertLineageDataset``), and lists them newest first by ``createdAt``,
    the time of the event that made it (``DatasetVersionDao.findAll``; Marquez web's Versions tab shows that
    list with each version's run, in its state now). Only a COMPLETE moves the dataset's current version: a run
    that never completes leaves its version listed, its run RUNNING and with no job version, while the current
    version stays the last completed one. A version dated before ``since`` is history, also one of a run that
    never ended (an abandoned run of an earlier session, or a START dated back): it sits below this session's
    versions, Marquez shows neither it nor its job as current, and it cannot be told from a crashed run that
    no longer writes anything. Runless versions (a read of a dataset without a current version, a JobEvent's
    declared output) are left to the graph's rules. Returns [] when Marquez lacks the dataset.
    """
    found: list[CurrentVersion] = []
    offset = 0
    while True:
        try:
            versions, total = client.dataset_versions(ref.namespace, ref.name, VERSIONS_PAGE, offset)
        except MarquezError as err:
            if err.status == 404:
                return found
            raise
        for version in versions:
            created = parse_time(version.get("createdAt"))
            if created is not None and created < since:
                return found  # newest first: the rest is older
            made = version_made(ref.node_id, str(version.get("version")), version)
            if made.run is not None:
                found.append(made)
        offset += len(versions)
        if offset >= total or len(versions) < VERSIONS_PAGE:
            return found


def session_write_problems(
    found: list[CurrentVersion], emission: EmissionStats, jobs: Mapping[str, str] | None = None
) -> list[str]:
    """One reason per version written since this session started (:func:`session_writes`) by a run this emission
    did not make: a foreign run still RUNNING (it never completed, so Marquez's current version is still this
    run's, yet the latest write of the table Marquez lists is another producer's), or one that finished (FAILED, or
    a COMPLETE the current-version rule did not catch). ``jobs`` names the job of a run Marquez names none of
    (:func:`lakehouse.checks.lineage_runs.run_jobs`)."""
    ours = our_run_ids(emission)
    problems: list[str] = []
    for write in found:
        if write.run is None or write.run in ours:
            continue
        job = write.job or (jobs or {}).get(write.run)
        if write.state not in DONE:
            by = (
                f"run {write.run}, {write.state}, which never completed (Marquez names no job of it until it ends)"
                if job is None
                else f"run {write.run} of {job}, {write.state}, which never completed"
            )
        else:
            by = f"run {write.run} ({write.state}) of {job or 'a job Marquez does not name'}"
        problems.append(
            f"Marquez lists version {write.version} of {write.dataset}, dated {write.created_at} (since this session "
            f"started), as written by {by}: not a run this session emitted, so the latest writer of the table "
            "Marquez shows is another producer's"
        )
    return problems
