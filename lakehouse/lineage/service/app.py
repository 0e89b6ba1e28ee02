"""The Flask app: Marquez's REST API subset and its lineage web route, on one port.

API (base ``/api/v1``, shapes in ``model``): ``POST /lineage`` (Run, Dataset and Job events
stored, 201, empty body), ``GET /namespaces``, ``/namespaces/{ns}``, ``/namespaces/{ns}/jobs[/{name}]``
(an unknown namespace has no jobs: 200, empty list, as in Marquez), ``/namespaces/{ns}/datasets[/{name}]``,
``/namespaces/{ns}/datasets/{name}/versions[/{version}]`` (newest first by ``createdAt``, ``limit``/``offset``),
``/lineage?nodeId=&depth=``, ``/column-lineage?nodeId=&depth=&withDownstream=`` (from the outputs'
``columnLineage`` facets), ``/events/lineage``. Errors are Marquez's JSON: parameter and event
validation ``{"errors": [...]}`` (400/422), not found ``{"code": 404, "message": ...}``, also for a
route that does not exist under ``/api``.

Web: ``/`` lists jobs, ``/lineage/{job|dataset}/{ns}/{name}`` draws the graph as inline SVG (no
script, no external fetch) at Marquez web's route, with its query parameters: ``depth`` (default 2,
as Marquez web opens the graph) and ``isFull`` (``true`` draws every node of the graph; otherwise
only what is up- or downstream of the selected node, as Marquez web hides the rest).
``/lineage/column/{ns}/{dataset}/{field}`` draws where one field's values flow (``/column-lineage``
downstream of it; ``depth``, default 20): datasets left to right with the columns reached, edges
column to column. A dataset's page links each of its columns there.
``/healthcheck`` answers ``OK`` like Marquez web's server.

Path parameters are read from the raw request URI: a namespace like ``s3://bucket``
arrives as ``s3%3A%2F%2Fbucket`` and must not be split at its encoded slashes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from flask import Flask, Response, render_template, request
from werkzeug.exceptions import HTTPException

from lakehouse.lineage.service import model
from lakehouse.lineage.service.layout import column_layout, dataset_title, layout
from lakehouse.lineage.service.store import EventError, Store, iso

API = "/api/v1"
#: Marquez web opens a lineage graph at this depth unless the URL says ``depth=`` (TableLevel.tsx).
WEB_DEFAULT_DEPTH = 2
#: On every web answer: this service drew the page (Marquez web serves its app at any route).
SERVICE_HEADER = "X-Lakehouse-Lineage"


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _error(status: int, message: str) -> Response:
    """Marquez's (Dropwizard's) error body: ``{"code": N, "message": "..."}``."""
    return _json({"code": status, "message": message}, status)


def _invalid(*messages: str, status: int = 400) -> Response:
    """Marquez's (Dropwizard's) validation error body: ``{"errors": ["..."]}``."""
    return _json({"errors": list(messages)}, status)


def _segments(prefix: str) -> list[str]:
    """The raw path after ``prefix``, split at literal slashes, each segment percent-decoded."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
    path = str(raw).split("?", 1)[0]
    if "://" in path.split("/", 1)[0]:  # absolute-form request target
        path = "/" + path.split("/", 3)[-1]
    rest = path[len(prefix) :].strip("/") if path.startswith(prefix) else ""
    return [unquote(s) for s in rest.split("/")] if rest else []


def _graph_answer(build: Callable[[str, int], list[dict[str, Any]]]) -> Response:
    """``/lineage`` and ``/column-lineage``: ``nodeId`` and ``depth`` read and validated as Marquez does,
    the graph ``build(node_id, depth)`` makes, or Marquez's 400/404 body."""
    node_id = request.args.get("nodeId")
    if not node_id:
        return _invalid("query param nodeId must not be null")
    try:
        depth = int(request.args.get("depth", model.DEFAULT_DEPTH))
    except ValueError:
        return _invalid("query param depth must be an integer")
    if depth < 0:
        return _invalid("query param depth must be greater than or equal to 0")
    try:
        graph = build(node_id, depth)
    except ValueError as err:
        return _invalid(str(err))
    except model.NodeNotFound as err:
        return _error(404, str(err))
    return _json({"graph": graph})


def _page(name: str) -> tuple[int, int]:
    try:
        limit = int(request.args.get("limit", 100))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        raise EventError(400, ["limit and offset must be integers"]) from None
    if limit < 0 or offset < 0:
        raise EventError(400, [f"{name}: limit and offset must not be negative"])
    return limit, offset


def _verbs(store: Store, graph: list[dict[str, Any]]) -> dict[str, str]:
    """The first word of each job's ``sql`` facet (MERGE, INSERT, CREATE, ...), or its ``jobType``."""
    verbs = {}
    for node in graph:
        if node["type"] != "JOB":
            continue
        row = store.job(node["data"]["namespace"], node["data"]["name"])
        facets = json.loads(row["facets"]) if row else {}
        query = str((facets.get("sql") or {}).get("query", "")).split()
        verb = query[0].upper() if query else str((facets.get("jobType") or {}).get("jobType", ""))
        if verb:
            verbs[node["id"]] = verb
    return verbs


def connected(graph: list[dict[str, Any]], node_id: str) -> list[dict[str, Any]]:
    """Marquez web without "Full Graph": the node and what is up- or downstream of it along edges.

    (``createElkNodes`` in Marquez web's ``routes/table-level/layout.ts``.)
    """
    down = model.reachable(graph, node_id, "outEdges", "destination")
    keep = down | model.reachable(graph, node_id, "inEdges", "origin") | {node_id}
    return [n for n in graph if n["id"] in keep]


def _with_query(**params: Any) -> str:
    """The current page's path with ``params`` set in its query string."""
    args = {**request.args.to_dict(), **{k: str(v) for k, v in params.items()}}
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
    return (
        str(raw).split("?", 1)[0] + "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in args.items())
    )


def create_app(store: Store) -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))
    app.json.sort_keys = False  # type: ignore[attr-defined]

    @app.errorhandler(EventError)
    def _bad(err: EventError) -> Response:
        return _invalid(*err.messages, status=err.status)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response | HTTPException:
        """Under ``/api`` every error is Marquez's JSON (Dropwizard answers a missing route that way)."""
        if request.path.startswith("/api/"):
            return _error(err.code or 500, f"HTTP {err.code} {err.name}")
        return err

    @app.post(f"{API}/lineage")
    def post_lineage() -> Response:
        try:
            event = json.loads(request.get_data(as_text=True) or "null")
        except json.JSONDecodeError:
            return _error(400, "Unable to process JSON")
        store.add(event)  # Run, Dataset and Job events alike (Marquez's EventTypeResolver)
        return Response(status=201)

    @app.get(f"{API}/namespaces")
    def namespaces() -> Response:
        limit, offset = _page("namespaces")
        rows = store.namespaces()[offset : offset + limit]
        return _json({"namespaces": [model.namespace_json(r) for r in rows]})

    @app.get(f"{API}/namespaces/<path:_rest>")
    def under_namespace(_rest: str) -> Response:
        parts = _segments(f"{API}/namespaces")
        if len(parts) == 1:
            row = store.namespace(parts[0])
            return _json(model.namespace_json(row)) if row else _error(404, f"Namespace '{parts[0]}' not found.")
        versions = len(parts) in (4, 5) and parts[1] == "datasets" and parts[3] == "versions"
        if len(parts) < 2 or parts[1] not in ("jobs", "datasets") or (len(parts) > 3 and not versions):
            return _error(404, "HTTP 404 Not Found")
        ns, what = parts[0], parts[1]
        if store.namespace(ns) is None and not (what == "jobs" and len(parts) == 2):
            return _error(404, f"Namespace '{ns}' not found.")  # the job list alone does not check it
        if versions:
            return dataset_versions(ns, parts[2], parts[4] if len(parts) == 5 else None)
        if what == "jobs":
            if len(parts) == 3:
                job = store.job(ns, parts[2])
                if job is None:
                    return _error(404, f"Job '{parts[2]}' not found.")
                return _json(model.job_json(store, job))
            limit, offset = _page("jobs")
            jobs = store.jobs(ns)
            return _json(
                {"jobs": [model.job_json(store, r) for r in jobs[offset : offset + limit]], "totalCount": len(jobs)}
            )
        if len(parts) == 3:
            ds = store.dataset(ns, parts[2])
            if ds is None:
                return _error(404, f"Dataset '{parts[2]}' not found.")
            return _json(model.dataset_json(ds))
        limit, offset = _page("datasets")
        datasets = store.datasets(ns)
        shown = [model.dataset_json(r) for r in datasets[offset : offset + limit]]
        return _json({"datasets": shown, "totalCount": len(datasets)})

    def dataset_versions(ns: str, name: str, version: str | None) -> Response:
        """``.../datasets/{name}/versions`` (newest first, ``limit``/``offset``) or ``.../versions/{version}``,
        as Marquez's ``DatasetResource.listVersions``/``getVersion`` answer them."""
        ds = store.dataset(ns, name)
        if ds is None:
            return _error(404, f"Dataset '{name}' not found.")
        if version is not None:
            try:
                wanted = str(uuid.UUID(version))
            except ValueError:  # JAX-RS: a path parameter that does not convert is a missing resource
                return _error(404, "HTTP 404 Not Found")
            row = store.dataset_version(wanted)
            if row is None:
                return _error(404, f"Dataset version '{wanted}' not found.")
            held = store.dataset(str(row["namespace"]), str(row["name"])) or ds
            return _json(model.dataset_version_json(store, held, row))
        try:
            limit = int(request.args.get("limit", 100))
            offset = int(request.args.get("offset", 0))
        except ValueError:
            return _error(404, "HTTP 404 Not Found")  # a query parameter that does not convert (JAX-RS)
        if limit < 0 or offset < 0:
            # ``checkArgument`` throws IllegalArgumentException, which no mapper of Marquez's handles: Dropwizard's
            # catch-all answers 500 with a logged id
            return _error(
                500, f"There was an error processing your request. It has been logged (ID {uuid.uuid4().hex[:16]})."
            )
        rows, total = store.dataset_versions(str(ds["namespace"]), str(ds["name"]), limit, offset)
        return _json({"versions": [model.dataset_version_json(store, ds, r) for r in rows], "totalCount": total})

    @app.get(f"{API}/lineage")
    def get_lineage() -> Response:
        return _graph_answer(lambda node_id, depth: model.lineage(store, node_id, depth))

    @app.get(f"{API}/column-lineage")
    def get_column_lineage() -> Response:
        downstream = request.args.get("withDownstream", "false").lower() == "true"
        return _graph_answer(lambda node_id, depth: model.column_lineage(store, node_id, depth, downstream))

    @app.get(f"{API}/events/lineage")
    def events() -> Response:
        limit, offset = _page("events")
        window = {key: iso(request.args[key], key) for key in ("before", "after") if request.args.get(key) is not None}
        found, total = store.events(limit, offset, request.args.get("sortDirection", "desc").lower() != "asc", **window)
        return _json({"events": found, "totalCount": total})

    # -- web -------------------------------------------------------------------------------------

    @app.get("/healthcheck")
    def healthcheck() -> Response:
        return Response("OK", mimetype="text/plain")

    @app.get("/")
    def index() -> str:
        jobs = [
            {
                "namespace": r["namespace"],
                "name": r["name"],
                "href": f"/lineage/job/{quote(r['namespace'], safe='')}/{quote(r['name'], safe='')}",
            }
            for r in store.jobs()
        ]
        return render_template("index.html.j2", jobs=jobs, namespaces=store.namespaces())

    @app.get("/lineage/<path:_rest>")
    def lineage_page(_rest: str) -> tuple[str, int]:
        parts = _segments("/lineage")
        if len(parts) == 4 and parts[0] == "column":
            return column_page(*parts[1:])
        if len(parts) != 3 or parts[0] not in ("job", "dataset"):
            return render_template(
                "error.html.j2",
                message="expected /lineage/{job|dataset}/{namespace}/{name} "
                "or /lineage/column/{namespace}/{dataset}/{field}",
            ), 404
        kind, ns, name = parts
        node_id = f"{kind}:{ns}:{name}"
        full = request.args.get("isFull") == "true"
        try:
            depth = max(0, int(request.args.get("depth") or WEB_DEFAULT_DEPTH))
            graph = model.lineage(store, node_id, depth)
        except (ValueError, model.NodeNotFound) as err:
            return render_template("error.html.j2", message=str(err)), 404
        hidden = len(graph)
        if not full:
            graph = connected(graph, node_id)
        hidden -= len(graph)
        drawn = layout(graph, selected=node_id, notes=_verbs(store, graph))
        row = store.dataset(ns, name) if kind == "dataset" else None
        columns = [
            {"name": f["name"], "href": "/lineage/column/" + "/".join(quote(p, safe="") for p in (ns, name, f["name"]))}
            for f in (json.loads(row["fields"]) if row else [])
        ]
        jobs = sum(1 for n in graph if n["type"] == "JOB")
        edges = sum(len(n["outEdges"]) for n in graph)
        return (
            render_template(
                "lineage.html.j2",
                kind=kind,
                namespace=ns,
                name=name,
                node_id=node_id,
                depth=depth,
                full=full,
                hidden=hidden,
                toggle=_with_query(depth=depth, isFull="false" if full else "true"),
                layout=drawn,
                jobs=jobs,
                datasets=len(graph) - jobs,
                edges=edges,
                api=f"{API}/lineage?nodeId={quote(node_id, safe='')}&depth={depth}",
                columns=columns,
            ),
            200,
        )

    def column_page(ns: str, name: str, field: str) -> tuple[str, int]:
        """Where one field's values flow: ``/column-lineage`` downstream of it, datasets with the columns reached."""
        if store.dataset(ns, name) is None:
            return render_template("error.html.j2", message=f"Dataset '{name}' not found."), 404
        if not model.known_field(store, ns, name, field):
            return render_template("error.html.j2", message=f"Field '{field}' of dataset '{name}' not found."), 404
        source = model.field_node_id(ns, name, field)
        try:
            depth = max(0, int(request.args.get("depth") or model.DEFAULT_DEPTH))
        except ValueError:
            return render_template("error.html.j2", message="depth must be an integer"), 404
        graph = model.downstream(model.column_lineage(store, source, depth, downstream=True), source)
        drawn = column_layout(graph, source)
        api = f"{API}/column-lineage?nodeId={quote(source, safe='')}&depth={depth}&withDownstream=true"
        return (
            render_template(
                "column.html.j2",
                namespace=ns,
                name=name,
                title=dataset_title(ns, name),
                field=field,
                source=source,
                depth=depth,
                layout=drawn,
                tables=sum(1 for b in drawn.boxes if not b.source),
                columns=len(graph) - 1,
                edges=len(drawn.wires),
                api=api,
                dataset_href=f"/lineage/dataset/{quote(ns, safe='')}/{quote(name, safe='')}",
            ),
            200,
        )

    @app.after_request
    def _mark(resp: Response) -> Response:
        """Web answers say which server drew them, so a check tells this page from Marquez web's."""
        if not request.path.startswith("/api/"):
            resp.headers[SERVICE_HEADER] = "lakehouse"
        return resp

    return app
