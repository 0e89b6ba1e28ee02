"""Exit check 4: Marquez shows the pipeline's lineage, and its UI draws it (screenshot).

Tied to this run: every OpenLineage event the session's pipeline emitted was delivered, and
the latest run Marquez holds for the job that builds the Gold table, and for every job upstream
of it, is COMPLETED and is one this session emitted (its run id), so jobs left in the namespace
by an earlier run, a failed run, or a run posted by anything else afterwards never pass. Marquez
keeps two "latest" runs of a job: the Job's ``latestRun`` is the run that transitioned last by
``eventTime`` (``RunDao.findByLatestJob``), while the lineage graph draws the job's edges and node
state from its current run, the run whose events *arrived* last (``jobs.current_run_uuid``, the
job version of the last terminal event to arrive). Both must be this run's COMPLETED run, so a
foreign run arriving after this one with backdated times cannot lend the graph its edges while
the time-based reading points at ours. The same holds for every other pipeline job this run ran that the graph
draws (a writer of Gold beside the gold job, a reader of an upstream table): a foreign run of one of them, arriving
before this run's last write of Gold, draws Gold written by a job whose SQL never writes it. None of those jobs may
have a parent job (this run's events
name none): a foreign event's ``parent`` run facet makes Marquez link the job it names to a parent
for good and draw it from the parent's current run (:func:`identity_problems`). So must the jobs
writing the tables the column-flow check follows the Bronze field into (:func:`flow_run_problems`):
Marquez's column lineage of a table is its current version's, an earlier session's when this
session's job writing it failed. Then, judged through Marquez's API: the
job namespace has jobs, and the lineage graph of the Gold job holds every edge the pipeline's SQL
implies upstream of it, so that it reaches back to the Bronze datasets, and no edge at any pipeline job it
draws that no pipeline SQL implies (an input declared or replayed by something else, such as another
stack's Bronze). Nor may a job the pipeline does not run be drawn writing one of its tables from a run
that ended since this session started (:func:`foreign_writers`): Gold then shows another builder, its current
version that job's. Those times are the events' own, so a writer dating its events before the session passes
that rule; what it cannot date is Marquez's current version of the table it wrote (the last completed write to
*arrive*): the current version of Gold, of every table upstream of it, of every table the column flow reaches
and of every other table the graph draws (a quarantine table beside Gold's path: the graph shows its writers too)
that this run wrote must have been made by one of this run's runs (``lakehouse.checks.lineage_versions``),
and no version of those tables dated since this session started may be another run's, nor one of another run
that has not ended, whatever its date: a foreign run that STARTs a write of Gold and never completes leaves the
current version and the graph as they were, but Marquez lists its version of Gold, its run RUNNING
(``session_writes``). Marquez keys runs by run id alone, so an event of another job
or producer carrying one of this run's run ids makes its writes read as this run's: no event Marquez keeps may,
nor may one copying this run's job and producer that this run did not send (``lakehouse.checks.lineage_runs``).
The API is the proof of the edges. A table an earlier foreign event claimed as an
alias (its ``symlinks`` dataset facet) is folded by Marquez into that event's dataset, so its edges
are missing under its own name; the reason then names the dataset it resolves to (:func:`alias_problems`).

Then headless Chromium opens Marquez web's route of that job at the depth the graph needs to
reach Bronze, with the full graph (``?depth=N&isFull=true``; Marquez web otherwise opens at
depth 2 and hides what is not directly up- or downstream), and saves a PNG. The Marquez behind
the web (read through its ``/api/v1`` proxy) must hold this run's Gold run as the API does: a web
showing another Marquez (an old one with a complete graph) is no evidence. The page must show
what Marquez web really draws: the job's name (its action bar, cut at 40 characters) and a
Bronze dataset's node label (cut at 15 characters, so only a short Bronze name is distinct;
``web/src/helpers/text.ts``). No screenshot, no pass.

On our lineage service the column-flow page of Bronze ``ssn`` is judged too
(``lakehouse.checks.column_page``, folded in by :func:`with_column_page`): a page that does not draw
a table ssn flows into fails the check, naming it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lakehouse.browser import BrowserNotFound, ScreenshotError, png_summary, screenshot
from lakehouse.checks.lineage_runs import read_events, replay_problems, replays, run_jobs
from lakehouse.checks.lineage_versions import as_run_id as _run_id
from lakehouse.checks.lineage_versions import (
    current_version_problems,
    our_run_ids,
    read_current,
    session_write_problems,
    session_writes,
    written_datasets,
)
from lakehouse.checks.lineage_versions import parse_time as _when
from lakehouse.lineage.client import MarquezClient, MarquezError, ui_route
from lakehouse.lineage.emitter import EmissionStats
from lakehouse.lineage.jobs import Edge, expected_jobs, job_edges, job_node, writers_of
from lakehouse.lineage.naming import CATALOG, DatasetRef, athena_table
from lakehouse.lineage.sqlio import StatementIO
from lakehouse.outcome import Outcome, Status
from lakehouse.pipeline.runner import SQL_DIR, stack_values
from lakehouse.pipeline.sqlfiles import load

THRESHOLD = (
    "every lineage event of this run delivered; the latest run of the gold job and of every job upstream of it, "
    "and the run its lineage node is drawn from, COMPLETED and emitted by this run; none of them another job's "
    "child (a parent run facet); the same for the jobs writing the tables the column flow reaches; every other "
    "pipeline job the graph draws drawn from this run's COMPLETED run; "
    ">= 1 job in the namespace; "
    "the gold job's graph reaches back to Bronze, "
    "with no edge at the pipeline's jobs that its SQL does not imply and no job the pipeline does not run writing "
    "its tables since this run started; Marquez's current version of gold, of every table upstream of it, of "
    "every table the column flow reaches and of every other table of this run the graph draws, made by a run this "
    "run emitted, and no version of them since this run "
    "started by another run (one that never completed too); no event carrying this run's run ids with another "
    "job, producer or as a parent, nor one this run did not send (its digest); a screenshot of it, from a Marquez web "
    "showing the same Marquez; "
    "the column-flow page of Bronze ssn draws every table it flows into (on the local lineage service)"
)
#: Marquez's run state of a finished run (OpenLineage's ``COMPLETE`` event makes it).
COMPLETED = "COMPLETED"
#: Undelivered events named in a reason before "and N more".
NAMED_EVENTS = 5
#: A rendered page has text, boxes and lines; a blank or single-colour PNG is no evidence.
MIN_COLOURS = 8


@dataclass
class Expectation:
    """What Marquez must hold: the gold job, the edges upstream of it, the Bronze datasets it reaches."""

    namespace: str
    gold_job: str
    gold: DatasetRef
    edges: set[Edge]
    bronze: list[DatasetRef]
    #: Marquez's ``depth`` (job hops through shared datasets) at which the gold job's graph holds every edge.
    depth: int = 20
    #: Every edge of every pipeline job (the upstream ones and the rest): what this run's events can draw.
    pipeline_edges: frozenset[Edge] = frozenset()
    #: Every dataset the pipeline's SQL names: how a node id of an expected edge is read back as a dataset.
    datasets: frozenset[DatasetRef] = frozenset()

    @property
    def gold_node(self) -> str:
        return job_node(self.namespace, self.gold_job)


def expectation(jobs: dict[str, StatementIO], namespace: str, gold: DatasetRef, is_bronze: Any = None) -> Expectation:
    """Upstream edges of the last job carrying data into ``gold``, from the jobs' SQL-derived I/O.

    ``is_bronze(dataset) -> bool`` tells Bronze datasets apart; the upstream must contain one.
    """
    writers = writers_of(jobs, gold)
    if not writers:
        raise ValueError(f"no pipeline job writes {gold.name}")
    gold_job = writers[-1]
    all_edges = {e for name, io in jobs.items() for e in job_edges(namespace, name, io)}
    into: dict[str, list[Edge]] = {}
    for edge in all_edges:
        into.setdefault(edge.destination, []).append(edge)
    upstream: set[Edge] = {Edge(job_node(namespace, gold_job), gold.node_id)}  # and the Gold table it writes
    todo, seen = [job_node(namespace, gold_job)], set()
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for edge in into.get(node, []):
            upstream.add(edge)
            todo.append(edge.origin)
    datasets = {d for io in jobs.values() for d in io.inputs + io.outputs}
    bronze = sorted(d for d in datasets if d.node_id in seen and is_bronze is not None and is_bronze(d))
    if not bronze:
        raise ValueError(f"job {gold_job} has no Bronze dataset upstream in the pipeline's SQL")
    needed = {e.origin for e in upstream} | {e.destination for e in upstream}
    depth = max(h for j, h in job_hops(jobs, gold_job).items() if job_node(namespace, j) in needed)
    return Expectation(namespace, gold_job, gold, upstream, bronze, depth, frozenset(all_edges), frozenset(datasets))


def job_hops(jobs: dict[str, StatementIO], start: str) -> dict[str, int]:
    """Marquez's lineage depth of every job from ``start``: hops between jobs sharing a dataset."""
    touching: dict[DatasetRef, set[str]] = {}
    for name, io in jobs.items():
        for d in io.inputs + io.outputs:
            touching.setdefault(d, set()).add(name)
    hops, queue = {start: 0}, deque([start])
    while queue:
        job = queue.popleft()
        for d in jobs[job].inputs + jobs[job].outputs:
            for other in sorted(touching[d]):
                if other not in hops:
                    hops[other] = hops[job] + 1
                    queue.append(other)
    return hops


def graph_edges(graph: list[dict[str, Any]]) -> set[Edge]:
    edges = set()
    for node in graph:
        for e in node.get("inEdges", []) + node.get("outEdges", []):
            edges.add(Edge(str(e.get("origin")), str(e.get("destination"))))
    return edges


def path_back(edges: set[Edge], start: str, targets: set[str]) -> list[str] | None:
    """The shortest chain of nodes from one of ``targets`` down to ``start``, following edges backwards."""
    into: dict[str, list[str]] = {}
    for e in edges:
        into.setdefault(e.destination, []).append(e.origin)
    previous: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node in targets:
            chain = [node]
            while (step := previous[chain[-1]]) is not None:
                chain.append(step)
            return chain
        for origin in sorted(into.get(node, [])):
            if origin not in previous:
                previous[origin] = node
                queue.append(origin)
    return None


def emission_problems(emission: EmissionStats) -> list[str]:
    """What went wrong sending this run's events: not sent at all, none made, or some not delivered."""
    if emission.url is None:
        return [f"the pipeline's lineage was not sent: {emission.errors[0] if emission.errors else 'no Marquez URL'}"]
    if emission.jobs == 0:
        return ["this run emitted no lineage: no pipeline job reached the emitter"]
    if not emission.undelivered:
        return []
    named = ", ".join(emission.undelivered[:NAMED_EVENTS])
    more = len(emission.undelivered) - NAMED_EVENTS
    total = emission.sent + len(emission.undelivered)
    why = f" (first error: {emission.errors[0]})" if emission.errors else ""
    return [
        f"{len(emission.undelivered)} of {total} lineage events of this run were not delivered to {emission.url}: "
        f"{named}{f' and {more} more' if more > 0 else ''}{why}"
    ]


def run_problems(gold_job: str, job: dict[str, Any], emission: EmissionStats, role: str = "the gold job") -> list[str]:
    """A job's ``latestRun`` (Marquez ``GET .../jobs/{job}``) must be COMPLETED and one this run emitted.

    ``role`` names the job in the reasons (the gold job, or an upstream job).
    """
    ours = [_run_id(r) for r in emission.run_ids.get(gold_job, [])]
    latest = job.get("latestRun")
    if not isinstance(latest, dict):
        return [f"{role} {gold_job} has no run in Marquez" + ("" if ours else " and this run emitted none")]
    run_id, state = _run_id(latest.get("id")), str(latest.get("state"))
    when = latest.get("endedAt") or latest.get("updatedAt") or "?"
    found: list[str] = []
    if state != COMPLETED:
        message = (latest.get("facets") or {}).get("errorMessage", {}).get("message")
        found.append(
            f"{role} {gold_job}'s latest run {run_id} is {state}, not {COMPLETED}"
            + (f" ({str(message).strip().splitlines()[0]})" if message and str(message).strip() else "")
        )
    if run_id not in ours:
        emitted = f"this run emitted {', '.join(ours)}" if ours else "this run emitted no run of it"
        found.append(f"{role} {gold_job}'s latest run {run_id} (at {when}) is not one this run emitted ({emitted})")
    return found


def upstream_jobs(exp: Expectation) -> list[str]:
    """Names of the jobs on the expected edges other than the gold job (the gold job is judged on its own)."""
    prefix = job_node(exp.namespace, "")
    jobs = {n.removeprefix(prefix) for e in exp.edges for n in (e.origin, e.destination) if n.startswith(prefix)}
    return sorted(jobs - {exp.gold_job})


def pipeline_jobs(exp: Expectation) -> list[str]:
    """Names of every job of the pipeline (the jobs of its edges, upstream of Gold or not), sorted."""
    prefix = job_node(exp.namespace, "")
    edges = exp.edges | exp.pipeline_edges
    return sorted({n.removeprefix(prefix) for e in edges for n in (e.origin, e.destination) if n.startswith(prefix)})


def job_role(exp: Expectation, name: str) -> str:
    """How a reason names a pipeline job: the gold job, an upstream job (on Gold's path), or another pipeline job
    the gold job's graph draws (a writer of Gold, a reader of an upstream table)."""
    if name == exp.gold_job:
        return "the gold job"
    return "the upstream job" if name in upstream_jobs(exp) else "the pipeline job"


def stale_jobs(exp: Expectation, emission: EmissionStats) -> list[str]:
    """Jobs of the expected edges that this run emitted no run of: Marquez draws their edges from an earlier run."""
    return sorted(j for j in [exp.gold_job, *upstream_jobs(exp)] if not emission.run_ids.get(j))


def upstream_run_problems(jobs: dict[str, dict[str, Any]], emission: EmissionStats) -> list[str]:
    """Each upstream job this run emitted (``name -> Marquez Job``) must have this run's COMPLETED run as its
    latest (by time, as the job's page shows it): a later FAILED, RUNNING or foreign run of an upstream job
    would be what Marquez shows of it while the edges the check counts can still be this run's. The run the
    graph draws the job from (by arrival) is :func:`drawn_run_problems`' to judge.
    Jobs this run emitted nothing of are :func:`stale_jobs`' to name."""
    found: list[str] = []
    for name, job in sorted(jobs.items()):
        if emission.run_ids.get(name):
            found += run_problems(name, job, emission, role="the upstream job")
    return found


def drawn_runs(graph: list[dict[str, Any]], exp: Expectation, names: list[str]) -> dict[str, dict[str, Any] | None]:
    """``name -> the run Marquez draws the job's lineage node from`` (its ``data.latestRun``, None without one),
    for the jobs of ``names`` the graph holds.

    That run is the job's current run (``LineageService.lineage``: ``findRunByUuid(currentRunUuid)``): the run of
    the last RunEvent to *arrive*. Its terminal event is the one whose datasets the graph draws as the job's edges
    (``JobVersionDao.upsertJobVersionOnRunTransition``), and Marquez web colours the node with its state. The Job's
    ``latestRun`` is another run when events arrive late with earlier times (it is the latest by ``eventTime``).
    """
    wanted = {job_node(exp.namespace, name): name for name in names}
    found: dict[str, dict[str, Any] | None] = {}
    for node in graph:
        if node.get("type") == "JOB" and node.get("id") in wanted:
            latest = (node.get("data") or {}).get("latestRun")
            found[wanted[str(node["id"])]] = latest if isinstance(latest, dict) else None
    return found


def drawn_run_problems(
    drawn: dict[str, dict[str, Any] | None], judged: dict[str, Any], emission: EmissionStats, exp: Expectation
) -> list[str]:
    """Each job's drawn run (:func:`drawn_runs`) must be this run's and COMPLETED, like its ``latestRun``.

    ``judged`` is ``name -> the latestRun id already judged`` (:func:`run_problems`): a drawn run that is that
    run is not reported twice. A foreign run arriving after this run's with earlier times is not the job's
    ``latestRun``, yet Marquez draws the job's edges and state from it: the graph is not this run's. That holds
    for every pipeline job this run ran that the graph draws, on Gold's path or beside it (a writer of Gold, a
    reader of an upstream table): Marquez draws each from its current run, and this run's run of it arrived.
    """
    found: list[str] = []
    for name, run in sorted(drawn.items()):
        role = job_role(exp, name)
        ours = [_run_id(r) for r in emission.run_ids.get(name, [])]
        emitted = f"this run emitted {', '.join(ours)}" if ours else "this run emitted no run of it"
        if run is None:
            found.append(
                f"the lineage graph draws {role} {name} with no current run (the last event to arrive for it "
                f"named no run, as a JobEvent does), not this run's COMPLETED run ({emitted})"
            )
            continue
        run_id, state = _run_id(run.get("id")), str(run.get("state"))
        if run_id == _run_id(judged.get(name)):
            continue
        if run_id not in ours:
            found.append(
                f"the lineage graph draws {role} {name} from run {run_id} ({state}), the last run whose events "
                f"arrived, though not its latest by time: a run this run did not emit ({emitted})"
            )
        elif state != COMPLETED:
            found.append(f"the lineage graph draws {role} {name} from this run's {run_id}, {state}, not {COMPLETED}")
    return found


def job_parent(job: dict[str, Any] | None) -> str | None:
    """The parent job a Marquez Job (or lineage node ``data``) names, ``name (uuid)``, or None without one."""
    if not isinstance(job, dict) or not (job.get("parentJobName") or job.get("parentJobUuid")):
        return None
    return f"{job.get('parentJobName') or '?'} ({job.get('parentJobUuid') or 'no uuid'})"


def node_data(graph: list[dict[str, Any]], exp: Expectation, names: list[str]) -> dict[str, dict[str, Any]]:
    """``name -> data`` of the graph's nodes of the jobs of ``names``."""
    wanted = {job_node(exp.namespace, name): name for name in names}
    return {
        wanted[str(n["id"])]: n.get("data") or {} for n in graph if n.get("type") == "JOB" and n.get("id") in wanted
    }


def parents(jobs: dict[str, dict[str, Any]], nodes: dict[str, dict[str, Any]]) -> dict[str, str]:
    """``name -> its parent job`` of the jobs whose Job (``jobs``) or lineage node (``nodes``) names one."""
    found = {name: job_parent(jobs.get(name)) or job_parent(nodes.get(name)) for name in sorted({*jobs, *nodes})}
    return {name: parent for name, parent in found.items() if parent}


def identity_problems(
    jobs: dict[str, dict[str, Any]],
    nodes: dict[str, dict[str, Any]],
    drawn: dict[str, dict[str, Any] | None],
    exp: Expectation,
) -> list[str]:
    """Each pipeline job, as its Job (``jobs``) and its lineage node (``nodes``) show it, must have no parent job.

    This run's events carry no ``parent`` run facet. A RunEvent that does makes Marquez link the job it names to
    a parent (``OpenLineageDao.buildJobFromEvent``: the job's full name is the parent's name, a dot and the
    simple name, so a foreign event of job ``P.x`` with parent ``P`` lands on this run's job ``P.x``), and the
    jobs table keeps the first parent for good (``rewrite_jobs_fqn_table``: ``COALESCE``), even after this run's
    events: the job Marquez shows is another's child, and while the parent is linked its current run is the
    parent's (``parent.getCurrentRunUuid()``), a run the parent's producer chose.
    """
    found: list[str] = []
    for name, parent in parents(jobs, nodes).items():
        role = job_role(exp, name)
        run = drawn.get(name)
        runs = f"run {_run_id(run.get('id'))} ({run.get('state')})" if isinstance(run, dict) else "no run"
        found.append(
            f"Marquez holds {role} {job_node(exp.namespace, name)} as a child of job {parent}, a parent this run's "
            f"events never name (a foreign event's parent run facet linked it); its node is drawn from {runs}"
        )
    return found


def unexpected_edges(exp: Expectation, found: set[Edge]) -> list[Edge]:
    """Edges of the graph at a pipeline job that no pipeline job's SQL implies, sorted.

    This run's events draw exactly the SQL's edges; one more at one of its jobs (an input another stack's
    Bronze, a table the SQL stopped reading) was declared or replayed by something else, and Marquez shows
    Gold built from it. That holds for the pipeline's jobs beside Gold's path too: the graph draws every writer
    of Gold (``daily_revenue.delete``) and every reader of an upstream table, so a foreign run of one of them
    draws Gold written by a job whose SQL never writes it, or its writer reading another stack's Bronze.
    Jobs of other namespaces (another stack sharing a landed file) are not judged.
    """
    ours = {job_node(exp.namespace, name) for name in pipeline_jobs(exp)}
    known = exp.edges | exp.pipeline_edges
    return sorted((e for e in found if (e.origin in ours or e.destination in ours) and e not in known), key=str)


def foreign_writers(graph: list[dict[str, Any]], exp: Expectation, since: datetime) -> list[dict[str, Any]]:
    """Jobs the pipeline does not run that the graph draws writing a dataset the pipeline writes (Gold, Silver,
    Bronze, on Gold's path or beside it: a quarantine table), from a run that ended (or, without one, a job that
    changed) at or after ``since`` (this session's start).

    Marquez draws every writer of a dataset as an edge into it, and the last writer's output is the dataset's
    current version: a backfill, another stack or a replay writing Gold after this run shows Gold built by it, every
    edge at the pipeline's jobs still this run's. A writer whose last run ended before this session is history (an
    older pipeline's job): Marquez forgets it only when the job is deleted. Times are the events' own, so one that
    backdates its events is history here; whose output the table now is, ``lineage_versions`` judges.
    """
    prefix = job_node(exp.namespace, "")
    ours = {n for e in exp.pipeline_edges | exp.edges for n in (e.origin, e.destination) if n.startswith(prefix)}
    tables = {e.destination for e in exp.edges | exp.pipeline_edges if e.destination.startswith("dataset:")}
    nodes = {str(n.get("id")): n for n in graph}
    found: list[dict[str, Any]] = []
    for edge in sorted(graph_edges(graph), key=str):
        if edge.destination not in tables or not edge.origin.startswith("job:") or edge.origin in ours:
            continue
        data = nodes.get(edge.origin, {}).get("data") or {}
        latest = data.get("latestRun")
        run: dict[str, Any] = latest if isinstance(latest, dict) else {}
        stamp = run.get("endedAt") or run.get("updatedAt") or data.get("updatedAt")
        when = _when(stamp)
        if when is not None and when < since:
            continue
        found.append(
            {
                "job": edge.origin,
                "dataset": edge.destination,
                "run": run.get("id"),
                "state": run.get("state"),
                "at": stamp,
            }
        )
    return found


def foreign_writer_problems(writers: list[dict[str, Any]], exp: Expectation) -> list[str]:
    """One reason per foreign writer (:func:`foreign_writers`), naming the job, its run and the dataset."""
    found = []
    for w in writers:
        run = f"run {_run_id(w['run'])}, {w['state']}, ended {w['at']}" if w["run"] else f"no run, changed {w['at']}"
        found.append(
            f"the lineage graph of {exp.gold_job} shows a job the pipeline does not run writing its table since this "
            f"run started: {w['job']} ({run}) writes {w['dataset']}"
        )
    return found


def alias_problems(
    client: MarquezClient, exp: Expectation, graph: list[dict[str, Any]], missing: list[Edge]
) -> list[str]:
    """Each dataset of the ``missing`` expected edges that the graph lacks, which Marquez resolves to another
    dataset: an earlier event's ``symlinks`` dataset facet claimed its name as an alias of that dataset.

    Marquez keeps the first claim of a name (``DatasetSymlinkDao``: ``ON CONFLICT (name, namespace_uuid) DO
    NOTHING``) and folds every later event naming it into the dataset holding it (``OpenLineageDao.
    upsertLineageDataset``), so this run's edges at the table are drawn at the other dataset, named after it,
    next to whatever jobs wrote or read that one. The graph is not this pipeline's; the reason names which.
    """
    drawn = {str(n.get("id")) for n in graph}
    wanted = {n for e in missing for n in (e.origin, e.destination)} - drawn
    edges = graph_edges(graph)
    prefix = job_node(exp.namespace, "")
    ours = {n for e in exp.pipeline_edges | exp.edges for n in (e.origin, e.destination) if n.startswith(prefix)}
    found: list[str] = []
    for ref in sorted(d for d in exp.datasets if d.node_id in wanted):
        try:
            held = client.dataset(ref.namespace, ref.name)
        except MarquezError as err:
            if err.status == 404:
                continue  # not in Marquez at all: the missing edges say so
            raise
        ident: dict[str, Any] = held["id"] if isinstance(held.get("id"), dict) else held
        target = DatasetRef(str(ident.get("namespace")), str(ident.get("name")))
        if target == ref:
            continue
        others = sorted(
            {n for e in edges if target.node_id in (e.origin, e.destination) for n in (e.origin, e.destination)}
            - {target.node_id}
            - ours
        )
        found.append(
            f"Marquez resolves dataset {ref.node_id} to another dataset, {target.node_id}: an event's symlinks "
            "dataset facet made its name an alias of that one before this run named it, so this run's edges at it "
            "are drawn at that dataset"
            + (f", next to job(s) this pipeline does not run: {', '.join(others)}" if others else "")
        )
    return found


def _named(problems: list[str]) -> str:
    """The first few problems, then how many more (a whole namespace of foreign runs stays readable)."""
    more = len(problems) - NAMED_EVENTS
    return "; ".join(problems[:NAMED_EVENTS]) + (f"; and {more} more" if more > 0 else "")


@dataclass
class ApiResult:
    """The API part of the check: ``problems`` found, or ``unreadable`` when Marquez could not be read."""

    problems: list[str]
    details: dict[str, Any] = field(default_factory=dict)
    graph: list[dict[str, Any]] = field(default_factory=list)
    unreadable: str | None = None

    @property
    def passed(self) -> bool:
        return not self.problems and self.unreadable is None

    @property
    def reason(self) -> str | None:
        found = self.problems + ([self.unreadable] if self.unreadable else [])
        return "; ".join(found) or None


def writers_of_tables(exp: Expectation, tables: Iterable[str]) -> dict[str, list[str]]:
    """``db.table`` (as the column-flow page names a table) -> the pipeline jobs writing it, from the SQL's edges."""
    prefix = job_node(exp.namespace, "")
    found: dict[str, list[str]] = {}
    for table in sorted(set(tables)):
        suffix = f":{CATALOG}.{table.lower()}"
        jobs = {
            e.origin.removeprefix(prefix)
            for e in exp.pipeline_edges
            if e.origin.startswith(prefix) and e.destination.lower().endswith(suffix)
        }
        found[table] = sorted(jobs)
    return found


def flow_run_problems(
    client: MarquezClient, exp: Expectation, emission: EmissionStats, tables: Iterable[str], judged: Iterable[str]
) -> tuple[list[str], dict[str, Any]]:
    """The jobs writing ``tables`` (where the column-flow's Bronze field flows, by the SQL) other than the
    ``judged`` ones must have this run's COMPLETED run as their latest, as the jobs upstream of Gold must.

    Marquez's column lineage of a table is its current version's: a job writing it that failed this session (or
    did not run) leaves an earlier session's (or the failed run's own) column lineage answering for this run's.
    Returns the problems and ``job -> its latest run`` (evidence).
    """
    found: list[str] = []
    latest: dict[str, Any] = {}
    done = set(judged)
    for table, jobs in writers_of_tables(exp, tables).items():
        for name in jobs:
            if name in done:
                continue
            done.add(name)
            try:
                job = client.job(exp.namespace, name)
            except MarquezError as err:
                if err.status != 404:
                    raise
                job = {}
            latest[name] = {k: (job.get("latestRun") or {}).get(k) for k in ("id", "state")}
            found += run_problems(name, job, emission, role=f"the job writing {table} (where the column flows)")
    return found, latest


def check_api(
    client: MarquezClient, exp: Expectation, emission: EmissionStats, flow_tables: Iterable[str] = ()
) -> ApiResult:
    """This run's events delivered; jobs in the namespace; the gold job's latest run this run's and COMPLETED;
    the gold job's graph holding the expected edges back to Bronze. ``flow_tables``: the tables the column-flow
    check judges; the jobs writing them must have this run's COMPLETED run too (:func:`flow_run_problems`)."""
    flow_tables = list(flow_tables)  # read twice: the jobs writing them, then their current versions
    details: dict[str, Any] = {"marquez_url": client.url, "namespace": exp.namespace, "gold_job": exp.gold_job}
    problems = emission_problems(emission)
    try:
        jobs, total = client.jobs(exp.namespace)
    except MarquezError as err:
        if err.status != 404:
            return ApiResult(problems, details, unreadable=f"Marquez could not be read: {err}")
        jobs, total = [], 0
    details["jobs_in_namespace"] = total
    details["job_names"] = sorted(j.get("name", "?") for j in jobs)[:50]
    if total < 1 or not jobs:
        try:
            others = sorted(n.get("name", "?") for n in client.namespaces())
        except MarquezError as err:
            others = [f"(namespaces unreadable: {err})"]
        details["namespaces_in_marquez"] = others
        where = f"namespaces there: {', '.join(others)}" if others else "Marquez holds no namespace at all"
        problems.append(f"no job in namespace {exp.namespace!r} at {client.url} ({where})")
        return ApiResult(problems, details)
    try:  # read on its own: a namespace with more jobs than one page of the list may not list it
        gold = client.job(exp.namespace, exp.gold_job)
    except MarquezError as err:
        if err.status == 404:
            problems.append(f"Marquez has {total} job(s) in {exp.namespace!r} but not the gold job {exp.gold_job}")
            return ApiResult(problems, details)
        return ApiResult(problems, details, unreadable=f"the gold job {exp.gold_job} could not be read: {err}")
    latest: dict[str, Any] = gold["latestRun"] if isinstance(gold.get("latestRun"), dict) else {}
    details["gold_latest_run"] = {k: latest.get(k) for k in ("id", "state", "startedAt", "endedAt")}
    details["gold_runs_this_run"] = emission.run_ids.get(exp.gold_job, [])
    problems += run_problems(exp.gold_job, gold, emission)
    listed = {str(j.get("name")): j for j in jobs}
    upstream: dict[str, dict[str, Any]] = {}
    for name in upstream_jobs(exp):
        # Marquez's job list carries each job's latestRun; a job is read on its own when the list has no run of it
        # or does not list it (one page of a busy namespace): an unjudged upstream job could draw a foreign run
        try:
            has_run = isinstance(listed.get(name, {}).get("latestRun"), dict)
            upstream[name] = listed[name] if has_run else client.job(exp.namespace, name)
        except MarquezError as err:
            if err.status == 404:
                continue  # not in Marquez at all: the graph misses its edges, and says so
            return ApiResult(problems, details, unreadable=f"the upstream job {name} could not be read: {err}")
    details["upstream_latest_runs"] = {
        name: {k: (job.get("latestRun") or {}).get(k) for k in ("id", "state")} for name, job in upstream.items()
    }
    if foreign := upstream_run_problems(upstream, emission):
        problems.append(_named(foreign))
    try:
        flow, details["flow_writers_latest_runs"] = flow_run_problems(
            client, exp, emission, flow_tables, [exp.gold_job, *upstream]
        )
    except MarquezError as err:
        return ApiResult(problems, details, unreadable=f"a job writing the column flow could not be read: {err}")
    if flow:
        problems.append(_named(flow))
    try:
        graph = client.lineage(exp.gold_node)
    except MarquezError as err:
        return ApiResult(problems, details, unreadable=f"the lineage of {exp.gold_node} could not be read: {err}")
    judged = {exp.gold_job: latest.get("id")} | {n: (j.get("latestRun") or {}).get("id") for n, j in upstream.items()}
    judged |= {n: r.get("id") for n, r in details["flow_writers_latest_runs"].items()}
    drawn = drawn_runs(graph, exp, [n for n in pipeline_jobs(exp) if n == exp.gold_job or emission.run_ids.get(n)])
    details["drawn_runs"] = {n: {k: (r or {}).get(k) for k in ("id", "state")} for n, r in sorted(drawn.items())}
    if current := drawn_run_problems(drawn, judged, emission, exp):
        problems.append(_named(current))
    read = {exp.gold_job: gold, **upstream}  # the Jobs as the API answered them
    nodes = node_data(graph, exp, list(drawn))
    details["parent_jobs"] = parents(read, nodes)
    if adopted := identity_problems(read, nodes, drawn, exp):
        problems.append(_named(adopted))
    found = graph_edges(graph)
    missing = sorted(exp.edges - found, key=str)
    unexpected = unexpected_edges(exp, found)
    bronze_nodes = {d.node_id for d in exp.bronze}
    chain = path_back(found, exp.gold_node, bronze_nodes)
    try:
        aliased = alias_problems(client, exp, graph, missing) if missing else []
    except MarquezError as err:
        return ApiResult(problems, details, unreadable=f"a dataset of the missing edges could not be read: {err}")
    if aliased:
        details["aliased_datasets"] = aliased
        problems.append(_named(aliased))
    details.update(
        graph_nodes=len(graph),
        graph_jobs=sum(1 for n in graph if n.get("type") == "JOB"),
        graph_edges=len(found),
        expected_edges=len(exp.edges),
        expected_edges_found=len(exp.edges) - len(missing),
        missing_edges=[e.to_dict() for e in missing],
        unexpected_edges=[e.to_dict() for e in unexpected],
        bronze_datasets=sorted(bronze_nodes),
        path_from_bronze=chain,
    )
    if chain is None:
        first = next((e for e in missing if e.origin in bronze_nodes), missing[0] if missing else None)
        hint = (
            f"; missing edge {first}" + (f" and {len(missing) - 1} more" if len(missing) > 1 else "") if first else ""
        )
        problems.append(f"the lineage graph of {exp.gold_job} does not reach back to Bronze{hint}")
    elif missing:
        problems.append(
            f"the lineage graph of {exp.gold_job} lacks {len(missing)} of {len(exp.edges)} expected edges, "
            f"first {missing[0]}"
        )
    if unexpected:
        problems.append(
            f"the lineage graph of {exp.gold_job} holds {len(unexpected)} edge(s) at the pipeline's jobs that no "
            f"pipeline SQL implies (this run did not emit them), first {unexpected[0]}"
        )
    writers = foreign_writers(graph, exp, emission.started_at)
    details["foreign_writers"] = writers
    if writers:
        problems.append(_named(foreign_writer_problems(writers, exp)))
    try:  # whose output each table this run wrote is now, whatever the events' times say
        written = written_datasets(exp, emission, flow_tables, (str(n.get("id")) for n in graph))
        currents = [c for ref in written if (c := read_current(client, ref))]
    except MarquezError as err:
        return ApiResult(problems, details, unreadable=f"a dataset's current version could not be read: {err}")
    details["current_versions"] = {c.dataset: c.to_dict() for c in currents}
    if replaced := current_version_problems(currents, emission):
        problems.append(_named(replaced))
    try:  # every event Marquez keeps: who sent what carrying this run's run ids, and the jobs of unfinished runs
        events = read_events(client)
    except MarquezError as err:
        return ApiResult(problems, details, unreadable=f"Marquez's lineage events could not be read: {err}")
    try:  # who Marquez lists writing those tables: since this session started, or still running whenever it began
        current_ids = {c.version for c in currents}  # a current version is judged above: not named twice
        writes = [
            w
            for ref in written
            for w in session_writes(client, ref, emission.started_at)
            if w.version not in current_ids
        ]
    except MarquezError as err:
        return ApiResult(problems, details, unreadable=f"a dataset's versions could not be read: {err}")
    if foreign := session_write_problems(writes, emission, run_jobs(events)):
        ours = our_run_ids(emission)
        details["foreign_session_writes"] = [w.to_dict() for w in writes if w.run not in ours]
        problems.append(_named(foreign))
    replayed = replays(events, emission)  # that this run's run ids carry only this run's events
    details["replayed_runs"] = [r.to_dict() for r in replayed[:NAMED_EVENTS]]
    if replayed:
        problems.append(_named(replay_problems(replayed)))
    if stale := stale_jobs(exp, emission):
        details["upstream_jobs_not_run"] = stale
        problems.append(
            f"the lineage graph of {exp.gold_job} holds edges of job(s) {', '.join(stale)}, but this run "
            "emitted no run of it this session: those edges are an earlier run's"
        )
    return ApiResult(problems, details, graph)


def web_backend_problem(web: MarquezClient, exp: Expectation, api_latest: Any) -> str | None:
    """None when the Marquez behind Marquez web (read through its ``/api/v1`` proxy, ``web/setupProxy.js``)
    holds the gold job with the latest run the API answered (this run's); else why the page is no evidence.

    A web proxying another Marquez (an older one, another environment) can draw a complete graph of an
    earlier run with the very names the screenshot looks for.
    """
    try:
        job = web.job(exp.namespace, exp.gold_job)
    except MarquezError as err:
        return f"Marquez web at {web.url} cannot show the gold job {exp.gold_job} through its /api/v1: {err}"
    latest: dict[str, Any] = job["latestRun"] if isinstance(job.get("latestRun"), dict) else {}
    shown, wanted = _run_id(latest.get("id")), _run_id(api_latest)
    if shown == wanted:
        return None
    when = latest.get("endedAt") or latest.get("updatedAt") or "?"
    theirs = f"{shown} (at {when})" if latest else "none"
    return (
        f"Marquez web at {web.url} shows another Marquez than the API: its gold job {exp.gold_job}'s latest run is "
        f"{theirs}, the API's (this run's) is {wanted}"
    )


def check_lineage(
    client: MarquezClient,
    exp: Expectation,
    emission: EmissionStats,
    web_url: str | None,
    png_path: Path,
    expect_visible: list[str],
    web_problem: str | None = None,
    flow_tables: Iterable[str] = (),
) -> tuple[Outcome, list[dict[str, Any]]]:
    """This run's emission and the API check, then the screenshot of the gold job's page; fails without one.

    ``emission`` is the session emitter's stats: what ties Marquez's answers to this run.
    ``web_problem`` is what the probe before the run found wrong with ``web_url`` (no screenshot then).
    ``flow_tables``: the tables the column-flow page judges (``column_page``'s ``flows_into_by_sql``).
    Returns the outcome and the lineage graph Marquez answered (evidence).
    """
    api = check_api(client, exp, emission, flow_tables)
    details: dict[str, Any] = {"emission": emission.to_dict(), "marquez": api.details}
    measured: dict[str, Any] = {
        "events_undelivered": len(emission.undelivered),
        "gold_latest_run": api.details.get("gold_latest_run", {}).get("state"),
        "jobs": api.details.get("jobs_in_namespace", 0),
        "expected_edges_found": f"{api.details.get('expected_edges_found', 0)}/{len(exp.edges)}",
        "screenshot": None,
    }
    shot_reason = None
    if web_problem:
        shot_reason = f"the lineage UI cannot be shown: {web_problem}"
    elif web_url:
        url = ui_route(web_url, "job", exp.namespace, exp.gold_job, depth=exp.depth, full=True)
        details["ui_url"] = url
        details["ui_depth"] = exp.depth
        latest_id = api.details.get("gold_latest_run", {}).get("id")
        behind = web_backend_problem(MarquezClient(web_url), exp, latest_id) if api.passed else None
        try:
            # the page is kept as evidence either way; waiting for names the API lacks would only cost time
            texts = expect_visible if api.passed and not behind else []
            shot = screenshot(url, png_path, width=1400, height=900, expect_text=texts)
            summary = png_summary(shot.path)
            details["screenshot"] = {
                "path": png_path.name,
                "seconds": shot.seconds,
                "http_status": shot.status,
                "bytes": png_path.stat().st_size,
                "width": summary.width,
                "height": summary.height,
                "colours_top_rows": summary.colours,
                "texts_checked": texts,
            }
            if behind:
                shot_reason = behind
            elif summary.colours < MIN_COLOURS:
                shot_reason = f"the screenshot of {url} is blank ({summary.colours} colours)"
            else:
                measured["screenshot"] = png_path.name
        except BrowserNotFound as err:
            shot_reason = f"no browser for the screenshot: {err}"
        except ScreenshotError as err:
            shot_reason = f"the lineage UI page failed: {err}"
    else:
        shot_reason = "no Marquez web URL to screenshot"
    if shot_reason:
        details["screenshot_error"] = shot_reason
    if api.problems:
        return Outcome.judged(False, measured, THRESHOLD, api.reason, details), api.graph
    if api.unreadable:
        return Outcome.error(api.unreadable, THRESHOLD, details, measured), api.graph
    if shot_reason:
        return Outcome.judged(False, measured, THRESHOLD, shot_reason, details), api.graph
    return Outcome.judged(True, measured, THRESHOLD, None, details), api.graph


def pipeline_expectation(outputs: dict[str, Any], region: str, data_dir: Path, namespace: str) -> Expectation:
    """The expectation for this project's pipeline: Gold ``daily_revenue`` back to the Bronze bucket/tables."""
    bucket, bronze_db = outputs["bucket_names"]["bronze"], outputs["glue_database_names"]["bronze"]
    statements = load(SQL_DIR, stack_values(outputs))
    jobs = expected_jobs(statements, region, bucket, data_dir)
    gold = athena_table(region, outputs["glue_database_names"]["gold"], "daily_revenue")

    def is_bronze(d: DatasetRef) -> bool:
        return d.namespace == f"s3://{bucket}" or d.name.startswith(f"{CATALOG}.{bronze_db.lower()}.")

    return expectation(jobs, namespace, gold, is_bronze)


#: Marquez web's cuts (``truncateText``): the action bar's Name and a dataset node's label.
NAME_CHARS, DATASET_LABEL_CHARS = 40, 15


def visible_names(exp: Expectation) -> list[str]:
    """Texts the screenshot must show, as Marquez web draws them (matched as visible substrings).

    The gold job's name as the action bar shows it (its first 40 characters), and the label of a
    Bronze dataset whose whole name fits a node (15 characters) and is part of no other dataset's
    name in the graph, so seeing it means the drawn graph reaches Bronze. Full dataset names are
    only in Marquez web's tooltips and never expected.
    """
    others = {n for e in exp.edges for n in (e.origin, e.destination) if n.startswith("dataset:")}
    others -= {d.node_id for d in exp.bronze}
    names = [n.split(":", 1)[1] for n in others]
    short = [
        d.name for d in exp.bronze if len(d.name) <= DATASET_LABEL_CHARS and not any(d.name in other for other in names)
    ]
    return [exp.gold_job[:NAME_CHARS], *sorted(short)[:1]]


def with_column_page(outcome: Outcome, page: Outcome) -> Outcome:
    """Check 4's outcome with the column-flow page's (``lakehouse.checks.column_page``) folded in.

    A page that misses a table fails the check (named in the reason); a page that could not be
    read makes a passing check ``error``; a skipped page (Marquez web, no web URL) is a note only.
    """
    details = {**outcome.details, "column_page": {"status": page.status.value, "reason": page.reason, **page.details}}
    measured = outcome.measured if isinstance(outcome.measured, dict) else {"check": outcome.measured}
    measured = {**measured, "ssn_column_page": (page.measured or {}).get("tables_drawn", page.status.value)}
    reasons = [r for r in (outcome.reason, page.reason) if r]
    if page.status is Status.FAILED and outcome.status in (Status.PASSED, Status.FAILED):
        return Outcome.judged(False, measured, outcome.threshold, "; ".join(reasons), details)
    if page.status is Status.ERROR and outcome.passed:
        return Outcome.error(str(page.reason), outcome.threshold, details, measured)
    return Outcome(outcome.status, measured, outcome.threshold, outcome.reason, details)
