"""The store's rows in Marquez's JSON shapes, and Marquez's lineage graph.

Key names and their order follow Marquez's Java models (``Job``, ``Run``, ``Dataset``, ``JobData``,
``DatasetData``, ``Node`` with ``@JsonPropertyOrder``), serialised as Marquez's mapper does: plain
null fields are left out (``NON_NULL``), empty ``Optional`` getters are written as ``null``. The
contract tests validate every answer against Marquez's published ``openapi.yml``, so a client
written against real Marquez works here unchanged.
"""

from __future__ import annotations

import json
import sqlite3
from collections import deque
from typing import Any

from lakehouse.lineage.service.store import Store, name_based_uuid

DATASET_TYPE = "DB_TABLE"
JOB_TYPE = "BATCH"
DEFAULT_DEPTH = 20
OWNER = "anonymous"


class NodeNotFound(LookupError):
    """The node id names nothing Marquez knows (answered with 404)."""


def namespace_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "name": row["name"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "ownerName": OWNER,
        "description": None,
        "isHidden": False,
    }


def run_json(row: sqlite3.Row) -> dict[str, Any]:
    started, ended = row["started_at"], row["ended_at"]
    duration = None
    if started and ended:
        from datetime import datetime

        delta = datetime.fromisoformat(ended.replace("Z", "+00:00")) - datetime.fromisoformat(
            started.replace("Z", "+00:00")
        )
        duration = int(delta.total_seconds() * 1000)
    return {
        "id": row["id"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "nominalStartTime": None,
        "nominalEndTime": None,
        "state": row["state"],
        "startedAt": started,
        "endedAt": ended,
        "durationMs": duration,
        "args": {},
        # a run that has not finished has no job version yet (Marquez: null until COMPLETE/FAIL/ABORT)
        "jobVersion": (
            {"namespace": row["job_namespace"], "name": row["job_name"], "version": row["job_version"]}
            if row["job_version"]
            else None
        ),
        "inputDatasetVersions": [],
        "outputDatasetVersions": [],
        "facets": json.loads(row["facets"]),
    }


def _dataset_ids(text: str) -> list[dict[str, str]]:
    return [{"namespace": d["namespace"], "name": d["name"]} for d in json.loads(text)]


def job_json(store: Store, row: sqlite3.Row) -> dict[str, Any]:
    """A Job of ``GET /namespaces/{ns}/jobs[/{name}]``: its ``latestRun`` is the first of ``latestRuns``
    (Marquez's ``JobDao.setJobData``), the run that transitioned last.

    Its inputs (outputs) are the job's current ones, else, when it has none (a run that only started), the
    latest run's (``setJobData`` takes the latest run's datasets, ``setJobDataset`` the current version's
    when there are any).
    """
    rows = store.runs_of(row["namespace"], row["name"])
    runs = [run_json(r) for r in rows]
    latest = runs[0] if runs else None
    inputs, outputs = (
        _dataset_ids(row[key]) or (_dataset_ids(rows[0][key]) if rows else []) for key in ("inputs", "outputs")
    )
    return {
        "id": {"namespace": row["namespace"], "name": row["name"]},
        "type": JOB_TYPE,
        "name": row["name"],
        **job_identity(row),
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "namespace": row["namespace"],
        "inputs": inputs,
        "outputs": outputs,
        "location": None,
        "description": None,
        "latestRun": latest,
        "latestRuns": runs,
        "facets": json.loads(row["facets"]),
        "currentVersion": row["current_version"],
        "labels": [],
        "tags": [],
    }


def job_identity(row: sqlite3.Row) -> dict[str, Any]:
    """A job's ``simpleName`` and, when an event's ``parent`` run facet gave it one, ``parentJobName`` and
    ``parentJobUuid`` (``jobs_view``: the parent's name and uuid; left out when null, as Marquez does).

    Marquez's job uuids are random; here a parent's is name-based on its namespace and name, stable per job.
    """
    found: dict[str, Any] = {"simpleName": row["simple_name"] or row["name"]}
    if row["parent_name"]:
        found["parentJobName"] = row["parent_name"]
        found["parentJobUuid"] = name_based_uuid(row["parent_namespace"], row["parent_name"])
    return found


def dataset_json(row: sqlite3.Row) -> dict[str, Any]:
    """A Dataset of ``GET /namespaces/{ns}/datasets[/{name}]``."""
    return {
        "id": {"namespace": row["namespace"], "name": row["name"]},
        "type": DATASET_TYPE,
        "name": row["name"],
        "physicalName": row["name"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "namespace": row["namespace"],
        "sourceName": source_name(row),
        "fields": json.loads(row["fields"]),
        "tags": [],
        "lastModifiedAt": row["last_modified_at"],
        "lastLifecycleState": lifecycle_state(row),
        "description": None,
        "facets": json.loads(row["facets"]),
        "currentVersion": row["current_version"],
        "deleted": False,
    }


def dataset_version_json(store: Store, dataset: sqlite3.Row, version: sqlite3.Row) -> dict[str, Any]:
    """A DatasetVersion of ``GET /namespaces/{ns}/datasets/{name}/versions[/{version}]``.

    Keys in the order of ``DatasetVersion.java``'s fields (it has no ``@JsonPropertyOrder``); its ``id`` is the
    dataset's (a ``DatasetId``, though openapi.yml says ``DatasetVersionId``); ``version`` is the version's uuid
    (``dv.uuid AS current_version_uuid``), the dataset's ``currentVersion`` when it is the current one;
    ``lifecycleState`` is ``""`` without a ``lifecycleStateChange`` facet (``upsertLineageDataset`` stores
    ``orElse("")``); ``createdByRun`` is the run that wrote it (``findAllWithRun``), null for a read or a
    run-less event; ``createdAt`` is the time of the event that made it, as that event says.
    """
    run = store.run(version["run_id"]) if version["run_id"] else None
    fields = json.loads(version["fields"])
    schema = ".".join([dataset["namespace"], dataset["name"], *(f"{f['name']}:{f['type']}" for f in fields)])
    return {
        "id": {"namespace": dataset["namespace"], "name": dataset["name"]},
        "type": DATASET_TYPE,
        "name": dataset["name"],
        "physicalName": dataset["name"],
        "createdAt": version["created_at"],
        "version": version["uuid"],
        "namespace": dataset["namespace"],
        "sourceName": source_name(dataset),
        "fields": fields,
        "tags": [],
        "lifecycleState": version["lifecycle_state"],
        "description": None,
        "currentSchemaVersion": name_based_uuid(schema),
        "createdByRun": run_json(run) if run is not None else None,
        "facets": json.loads(version["facets"]),
    }


def source_name(row: sqlite3.Row | None) -> str:
    """Marquez's ``sourceName``: the ``dataSource`` facet's name, else ``default``."""
    facets = json.loads(row["facets"]) if row else {}
    return str((facets.get("dataSource") or {}).get("name") or "default")


def lifecycle_state(row: sqlite3.Row | None) -> str | None:
    """The ``lifecycleStateChange`` facet's state (CREATE, OVERWRITE, DROP, ...), else null."""
    facets = json.loads(row["facets"]) if row else {}
    state = (facets.get("lifecycleStateChange") or {}).get("lifecycleStateChange")
    return str(state) if state else None


def _job_data(store: Store, row: sqlite3.Row) -> dict[str, Any]:
    """``JobData``: the Job-like ``data`` of a lineage node, with its parent job's name and uuid when it has one.

    Its ``latestRun`` is the job's current run (``LineageService.lineage``: ``findRunByUuid(currentRunUuid)``),
    the run of the last RunEvent to *arrive*, whose state Marquez web draws on the node; not the Job's
    ``latestRun`` (the run that transitioned last, by ``eventTime``). They differ when a run's events arrive
    after another's but carry earlier times.
    """
    full = job_json(store, row)
    current = store.run(row["latest_run_id"]) if row["latest_run_id"] else None
    data = {
        "id": full["id"],
        "type": JOB_TYPE,
        "name": full["name"],
        **job_identity(row),
        "currentRunUuid": row["latest_run_id"],
        "createdAt": full["createdAt"],
        "updatedAt": full["updatedAt"],
        "namespace": full["namespace"],
        "inputs": _dataset_ids(row["inputs"]),  # the graph's: the job's current datasets only
        "outputs": _dataset_ids(row["outputs"]),
        "location": None,
        "description": None,
        "latestRun": run_json(current) if current is not None else None,
    }
    if data["currentRunUuid"] is None:  # a plain null field: Marquez leaves it out
        del data["currentRunUuid"]
    return data


def _dataset_data(row: sqlite3.Row | None, namespace: str, name: str) -> dict[str, Any]:
    """``DatasetData``: the Dataset-like ``data`` of a lineage node."""
    return {
        "id": {"namespace": namespace, "name": name},
        "type": DATASET_TYPE,
        "name": name,
        "physicalName": name,
        "createdAt": row["created_at"] if row else None,
        "updatedAt": row["updated_at"] if row else None,
        "namespace": namespace,
        "sourceName": source_name(row),
        "fields": json.loads(row["fields"]) if row else [],
        "tags": [],
        "lastModifiedAt": row["last_modified_at"] if row else None,
        "description": None,
        "lastLifecycleState": lifecycle_state(row),
    }


def parse_node_id(node_id: str) -> tuple[str, str, str]:
    """``job:<ns>:<name>`` / ``dataset:<ns>:<name>`` -> (type, ns, name); colons in URIs are fine.

    Like Marquez's ``NodeId``, the namespace may itself hold ``scheme://host:port``: the name
    is what follows the last ``:`` that is not part of the namespace's URI authority.
    """
    kind, sep, rest = node_id.partition(":")
    if not sep or kind not in ("job", "dataset") or not rest:
        raise ValueError(f"nodeId {node_id!r} must look like job:<namespace>:<name> or dataset:<namespace>:<name>")
    rest = rest.split("#", 1)[0]
    if "://" in rest:
        scheme, _, tail = rest.partition("://")
        authority, sep2, name = tail.partition(":")
        if not sep2 or not name:
            raise ValueError(f"nodeId {node_id!r} has no name after the namespace")
        maybe_port, sep3, after = name.partition(":")  # host:port:name
        if sep3 and maybe_port.isdigit():
            return kind, f"{scheme}://{authority}:{maybe_port}", after
        return kind, f"{scheme}://{authority}", name
    ns, sep4, name = rest.partition(":")
    if not sep4 or not name:
        raise ValueError(f"nodeId {node_id!r} has no name after the namespace")
    return kind, ns, name


def lineage(store: Store, node_id: str, depth: int = DEFAULT_DEPTH) -> list[dict[str, Any]]:
    """``GET /lineage?nodeId=&depth=``: jobs within ``depth`` job hops of the node, with their datasets.

    Jobs connect through the datasets they share, upstream and downstream, as in Marquez.
    Nodes are sorted by id; edges only between nodes of the graph.
    """
    kind, ns, name = parse_node_id(node_id)
    jobs = {f"job:{r['namespace']}:{r['name']}": r for r in store.jobs()}
    names: dict[str, tuple[str, str]] = {}  # dataset node id -> (namespace, name)

    def ids(text: str) -> list[str]:
        out = []
        for d in json.loads(text):
            node = f"dataset:{d['namespace']}:{d['name']}"
            names[node] = (d["namespace"], d["name"])
            out.append(node)
        return out

    io = {jid: (ids(r["inputs"]), ids(r["outputs"])) for jid, r in jobs.items()}
    touching: dict[str, set[str]] = {}
    for jid, (ins, outs) in io.items():
        for ds in ins + outs:
            touching.setdefault(ds, set()).add(jid)
    start = f"{kind}:{ns}:{name}"
    if kind == "job":
        if start not in jobs:
            raise NodeNotFound(f"Job '{name}' not found.")
        frontier = {start}
    else:
        row = store.dataset(ns, name)  # an alias (``symlinks`` facet) starts at the dataset it names
        if row is None:
            raise NodeNotFound(f"Dataset '{name}' not found.")
        ns, name = str(row["namespace"]), str(row["name"])
        start = f"dataset:{ns}:{name}"
        frontier = set(touching.get(start, set()))
    seen_jobs: set[str] = set(frontier)
    queue = deque((j, 0) for j in frontier)
    while queue:
        jid, hops = queue.popleft()
        if hops >= depth:
            continue
        ins, outs = io[jid]
        for ds in ins + outs:
            for other in touching.get(ds, ()):
                if other not in seen_jobs:
                    seen_jobs.add(other)
                    queue.append((other, hops + 1))
    datasets = {ds for j in seen_jobs for ds in io[j][0] + io[j][1]}
    if kind == "dataset":
        datasets.add(start)
        names[start] = (ns, name)
    in_edges: dict[str, list[dict[str, str]]] = {n: [] for n in seen_jobs | datasets}
    out_edges: dict[str, list[dict[str, str]]] = {n: [] for n in seen_jobs | datasets}
    for jid in seen_jobs:
        ins, outs = io[jid]
        for ds in ins:
            edge = {"origin": ds, "destination": jid}
            out_edges[ds].append(edge)
            in_edges[jid].append(edge)
        for ds in outs:
            edge = {"origin": jid, "destination": ds}
            out_edges[jid].append(edge)
            in_edges[ds].append(edge)
    rows = {f"dataset:{r['namespace']}:{r['name']}": r for r in store.datasets()}
    graph = []
    for node in sorted(seen_jobs | datasets):
        if node in jobs:
            data = _job_data(store, jobs[node])
            node_type = "JOB"
        else:
            data = _dataset_data(rows.get(node), *names[node])
            node_type = "DATASET"
        key = lambda e: (e["origin"], e["destination"])  # noqa: E731
        graph.append(
            {
                "id": node,
                "type": node_type,
                "data": data,
                "inEdges": sorted(in_edges[node], key=key),
                "outEdges": sorted(out_edges[node], key=key),
            }
        )
    return graph


# -- column lineage ---------------------------------------------------------------------------------

FieldId = tuple[str, str, str]  # (namespace, dataset, field)


def column_edges(store: Store) -> dict[FieldId, list[FieldId]]:
    """Each field -> the fields it is computed from, from the datasets' ``columnLineage`` facets."""
    into: dict[FieldId, list[FieldId]] = {}
    for row in store.datasets():
        fields = ((json.loads(row["facets"]).get("columnLineage") or {}).get("fields")) or {}
        for name, spec in fields.items():
            sources = [
                (str(i["namespace"]), str(i["name"]), str(i["field"]))
                for i in (spec or {}).get("inputFields") or []
                if isinstance(i, dict) and i.get("namespace") and i.get("name") and i.get("field")
            ]
            into[(row["namespace"], row["name"], name)] = sources
    return into


def _field_node(field: FieldId) -> str:
    return f"datasetField:{field[0]}:{field[1]}:{field[2]}"


def column_lineage(
    store: Store, node_id: str, depth: int = DEFAULT_DEPTH, downstream: bool = False
) -> list[dict[str, Any]]:
    """``GET /column-lineage?nodeId=&depth=&withDownstream=``: fields upstream (and downstream) of a field
    (``datasetField:<ns>:<name>:<field>``) or of every field of a dataset (``dataset:<ns>:<name>``).

    Node data is Marquez's ``ColumnLineageNodeData`` (namespace, dataset, field, fieldType, inputFields).
    """
    if node_id.startswith("datasetField:"):
        rest, sep, field = node_id.removeprefix("datasetField:").rpartition(":")
        if not sep or not field:
            raise ValueError(f"nodeId {node_id!r} must look like datasetField:<namespace>:<name>:<field>")
        _, ns, name = parse_node_id(f"dataset:{rest}")
        fields = {field}
    else:
        kind, ns, name = parse_node_id(node_id)
        if kind != "dataset":
            raise ValueError(f"nodeId {node_id!r}: column lineage starts at a dataset or a datasetField")
        fields = set()
    row = store.dataset(ns, name)
    if row is None:
        raise NodeNotFound(f"Dataset '{name}' not found.")
    ns, name = str(row["namespace"]), str(row["name"])  # an alias (``symlinks`` facet) answers for its dataset
    into = column_edges(store)
    fields = fields or {f["name"] for f in json.loads(row["fields"])} or {f for n, d, f in into if (n, d) == (ns, name)}
    out_of: dict[FieldId, list[FieldId]] = {}
    for target, sources in into.items():
        for source in sources:
            out_of.setdefault(source, []).append(target)
    seen: set[FieldId] = set()
    for neighbours in [into, *([out_of] if downstream else [])]:
        frontier = [(ns, name, f) for f in fields]
        seen |= set(frontier)
        for _ in range(depth + 1):
            frontier = [n for f in frontier for n in neighbours.get(f, []) if n not in seen]
            seen |= set(frontier)
    types = {
        (r["namespace"], r["name"], f["name"]): f.get("type") for r in store.datasets() for f in json.loads(r["fields"])
    }
    graph = []
    for field_id in sorted(seen):
        sources = into.get(field_id, [])
        data: dict[str, Any] = {"namespace": field_id[0], "dataset": field_id[1], "field": field_id[2]}
        if types.get(field_id):
            data["fieldType"] = types[field_id]
        data["inputFields"] = [{"namespace": s[0], "dataset": s[1], "field": s[2]} for s in sources]
        node = _field_node(field_id)
        graph.append(
            {
                "id": node,
                "type": "DATASET_FIELD",
                "data": data,
                "inEdges": [{"origin": _field_node(s), "destination": node} for s in sources if s in seen],
                "outEdges": [
                    {"origin": node, "destination": _field_node(t)}
                    for t in sorted(out_of.get(field_id, []))
                    if t in seen
                ],
            }
        )
    return graph


def field_node_id(namespace: str, dataset: str, field: str) -> str:
    """Marquez's id of a dataset's field in the column-lineage graph."""
    return _field_node((namespace, dataset, field))


def known_field(store: Store, namespace: str, dataset: str, field: str) -> bool:
    """The dataset's schema names the field, or some ``columnLineage`` facet does (as output or input)."""
    row = store.dataset(namespace, dataset)
    if row is not None and any(f.get("name") == field for f in json.loads(row["fields"])):
        return True
    wanted = (namespace, dataset, field)
    return any(target == wanted or wanted in sources for target, sources in column_edges(store).items())


def reachable(graph: list[dict[str, Any]], node_id: str, edges: str, end: str) -> set[str]:
    """Ids of the node and every node reached from it along ``edges`` (``outEdges``/``inEdges``) to ``end``."""
    by_id = {n["id"]: n for n in graph}
    seen: set[str] = set()
    todo = [node_id]
    while todo:
        n = todo.pop()
        if n in seen or n not in by_id:
            continue
        seen.add(n)
        todo += [e[end] for e in by_id[n].get(edges, [])]
    return seen


def downstream(graph: list[dict[str, Any]], node_id: str) -> list[dict[str, Any]]:
    """The node and every node reached from it along ``outEdges``: where a field's values flow."""
    seen = reachable(graph, node_id, "outEdges", "destination")
    return [n for n in graph if n["id"] in seen]
