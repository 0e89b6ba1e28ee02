"""The lineage page draws where ``ssn`` flows: every table and column, Bronze to Gold (exit check 4's evidence).

Security reviewers ask which tables and columns ``users.ssn`` reaches; exit check 6 lists them from
the pipeline's SQL. Here the local lineage service's column-flow page
(``/lineage/column/{namespace}/{dataset}/{field}``) of the Bronze field is screenshotted and judged
on the HTML the browser held for that picture (server-rendered SVG, no script: what is in it is what
is drawn). Expected are the tables the pipeline's SQL flows the field into together with those
Marquez's ``/column-lineage`` answers, so an empty page, a stale one, or one drawn from events that
lack a table's column lineage fails, naming the table.

Marquez web has a column view too (``/datasets/column-level/{ns}/{name}?column=datasetField:...``),
but it cuts dataset labels to 25 characters (``awsdatacatalog.<db>...`` is all a table shows) and fits
the graph into the window, so which tables it draws cannot be read from its page: there the picture
is skipped with that reason, never judged, and Marquez's ``/column-lineage`` answer is judged alone: a
table the SQL carries the field into that the API does not reach fails the check, naming it. Either way a table
or column the API reaches and the SQL does not (an event claiming column lineage the SQL has not) fails it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from lakehouse.browser import BrowserNotFound, ScreenshotError, screenshot
from lakehouse.lineage.client import MarquezClient, MarquezError
from lakehouse.lineage.columns import ColumnLineageError, Field, flows_from, pipeline_column_edges
from lakehouse.lineage.naming import CATALOG
from lakehouse.lineage.service.app import SERVICE_HEADER
from lakehouse.lineage.service.layout import dataset_title
from lakehouse.lineage.service.model import field_node_id
from lakehouse.outcome import Outcome
from lakehouse.pipeline.runner import SQL_DIR, stack_values
from lakehouse.pipeline.sqlfiles import SqlFileError, SqlStatement, load

THRESHOLD = (
    "the lineage page of the Bronze field's column flow draws every table (with its columns) that the "
    "pipeline's SQL and Marquez's /column-lineage say its values flow into; without a page of ours (Marquez web), "
    "/column-lineage reaches every table (and column) the SQL says; /column-lineage reaches no table (or column) "
    "the SQL does not"
)
#: Column-lineage hops asked for: the whole pipeline (Marquez's default lineage depth).
DEPTH = 20
#: Marquez web's column view cuts dataset labels here (``ColumnLineageDatasetNode.tsx``, ``truncateText``).
MARQUEZ_WEB_LABEL_CHARS = 25

#: Table (``db.table``) -> the columns of it the field's values reach.
Flow = dict[str, list[str]]


def page_route(web_url: str, namespace: str, dataset: str, field: str, depth: int = DEPTH) -> str:
    """The service's column-flow page of a field."""
    parts = "/".join(quote(p, safe="") for p in (namespace, dataset, field))
    return f"{web_url.rstrip('/')}/lineage/column/{parts}?depth={depth}"


def _grouped(fields: Iterable[tuple[str, str, str]]) -> Flow:
    """``(namespace, dataset, column)`` -> table title -> sorted columns."""
    out: dict[str, set[str]] = {}
    for ns, name, column in fields:
        out.setdefault(dataset_title(ns, name), set()).add(column)
    return {t: sorted(c) for t, c in sorted(out.items())}


def bronze_sources(edges: Iterable[tuple[Field, Field]], bronze_db: str, column: str) -> list[Field]:
    """The Bronze fields named ``column`` that the pipeline's SQL carries into another table."""
    prefix = f"{CATALOG}.{bronze_db.lower()}."
    return sorted({s for s, _ in edges if s[1].lower() == column.lower() and s[0].name.startswith(prefix)})


def sql_flow(edges: Iterable[tuple[Field, Field]], source: Field) -> Flow:
    """Where the pipeline's SQL (column lineage by sqlglot) carries ``source``."""
    return _grouped((d.namespace, d.name, c) for d, c in flows_from(source, list(edges)))


def sql_flow_of(statements: list[SqlStatement], region: str, bronze_db: str, column: str) -> tuple[list[Field], Flow]:
    """The Bronze fields named ``column`` the pipeline's SQL carries into another table, and where the first of
    them flows (empty when none): the tables the column-flow check judges, and whose writing jobs exit check 4
    judges (``check_lineage``'s ``flow_tables``)."""
    sources, flow = _sql_flow(tuple(statements), region, bronze_db, column)
    return list(sources), {table: list(columns) for table, columns in flow}


@lru_cache(maxsize=16)
def _sql_flow(
    statements: tuple[SqlStatement, ...], region: str, bronze_db: str, column: str
) -> tuple[tuple[Field, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
    """``sql_flow_of``, kept per rendered SQL: the chaos runbook asks it in every fault's recovery (immutable)."""
    edges = pipeline_column_edges(statements, region)
    sources = bronze_sources(edges, bronze_db, column)
    flow = sql_flow(edges, sources[0]) if sources else {}
    return tuple(sources), tuple((table, tuple(columns)) for table, columns in flow.items())


def stack_sql(outputs: Mapping[str, Any]) -> tuple[list[SqlStatement], str]:
    """A deployed stack's pipeline SQL and Bronze database, from its outputs (raises ``SqlFileError``,
    ``KeyError``, ``OSError`` when they cannot be read)."""
    return load(SQL_DIR, stack_values(dict(outputs))), str(outputs["glue_database_names"]["bronze"])


def stack_flow_tables(outputs: Mapping[str, Any], region: str, column: str) -> Flow:
    """Where a deployed stack's pipeline SQL carries Bronze ``column``: the ``flows_into_by_sql`` of its
    column-flow check, for a check 4 judged without the page (the chaos runbook's)."""
    statements, bronze_db = stack_sql(outputs)
    return sql_flow_of(statements, region, bronze_db, column)[1]


def api_flow(graph: list[dict[str, Any]], source_id: str) -> Flow:
    """Where Marquez's ``/column-lineage`` graph carries the field: nodes reached along ``outEdges``."""
    by_id = {str(n.get("id")): n for n in graph}
    seen: set[str] = set()
    todo = [e.get("destination") for e in (by_id.get(source_id) or {}).get("outEdges", [])]
    while todo:
        node = str(todo.pop())
        if node in seen or node not in by_id or node == source_id:
            continue
        seen.add(node)
        todo += [e.get("destination") for e in by_id[node].get("outEdges", [])]
    data = [by_id[n].get("data") or {} for n in seen]
    return _grouped((str(d.get("namespace")), str(d.get("dataset")), str(d.get("field"))) for d in data)


class _Drawn(HTMLParser):
    """The tables a column-flow page draws (``text.dataset-title``) and the columns listed in each."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[str]] = {}
        self._current: str | None = None
        self._reading: str | None = None  # "title" | "field" while inside such a <text>
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "text" and ("dataset-title" in classes or "field-name" in classes):
            self._reading, self._text = ("title" if "dataset-title" in classes else "field"), ""

    def handle_data(self, data: str) -> None:
        if self._reading:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag != "text" or not self._reading:
            return
        text = self._text.strip()
        if self._reading == "title":
            self._current = text
            self.tables.setdefault(text, [])
        elif self._current is not None:
            self.tables[self._current].append(text)
        self._reading = None


def drawn_flow(html: str) -> Flow:
    """What a column-flow page draws: table title -> columns listed under it."""
    parser = _Drawn()
    parser.feed(html)
    return {t: sorted(c) for t, c in sorted(parser.tables.items())}


def page_problems(source: str, sql: Flow, api: Flow, drawn: Flow) -> list[str]:
    """Each table (or column) the SQL or the API says ``source`` flows into that the page does not draw.

    The reason says who knows of it: a table only the SQL names is missing from the events' column
    lineage too (the page draws what the API answers).
    """
    problems = []
    for table in sorted(set(sql) | set(api)):
        want = sorted(set(sql.get(table, [])) | set(api.get(table, [])))
        if table in api and table in sql:
            who = "the pipeline's SQL and /column-lineage say"
        elif table in sql:
            who = "the pipeline's SQL says (/column-lineage does not: the lineage events lack its column lineage)"
        else:
            who = "/column-lineage says"
        if table not in drawn:
            problems.append(
                f"the column-flow page of {source} does not show {table} ({', '.join(want)}): {who} it flows there"
            )
        elif missing := [c for c in want if c not in drawn[table]]:
            problems.append(
                f"the column-flow page of {source} shows {table} without column(s) {', '.join(missing)}: "
                f"{who} it flows there"
            )
    return problems


def api_problems(source: str, sql: Flow, api: Flow) -> list[str]:
    """Each table (or column) the pipeline's SQL carries ``source`` into that Marquez's ``/column-lineage`` does
    not: the column-level lineage Marquez shows misses it (the events lack that table's column lineage).

    Judged whatever the page: where no page of ours can be drawn (Marquez web), the API is the only evidence.
    """
    problems = []
    for table, columns in sorted(sql.items()):
        if table not in api:
            problems.append(
                f"Marquez's /column-lineage of {source} does not reach {table} ({', '.join(columns)}): the "
                "pipeline's SQL says it flows there (the lineage events lack its column lineage)"
            )
        elif missing := [c for c in columns if c not in api[table]]:
            problems.append(
                f"Marquez's /column-lineage of {source} reaches {table} without column(s) {', '.join(missing)}: "
                "the pipeline's SQL says it flows there"
            )
    return problems


def claim_problems(source: str, sql: Flow, api: Flow) -> list[str]:
    """Each table (or column) Marquez's ``/column-lineage`` carries ``source`` into that the pipeline's SQL does not.

    This run's events carry exactly the SQL's column lineage, so a flow more (an event's ``columnLineage`` facet
    computing Gold revenue from ssn, a foreign writer's) is a claim the pipeline does not make: the page draws it
    and the security reader is told ssn reaches a table it never does.
    """
    problems = []
    for table, columns in sorted(api.items()):
        if table not in sql:
            where = f"{table} ({', '.join(columns)})"
        elif extra := [c for c in columns if c not in sql[table]]:
            where = f"{table} column(s) {', '.join(extra)}"
        else:
            continue
        problems.append(
            f"Marquez's /column-lineage of {source} says it flows into {where}, which the pipeline's SQL does not "
            "carry it into: the lineage events claim column lineage the SQL does not have"
        )
    return problems


def own_service(web_url: str) -> bool | str:
    """True when ``web_url`` is this project's lineage service (its web answers carry ``SERVICE_HEADER``),
    False for another server (Marquez web), or why it could not be asked."""
    try:
        resp = requests.get(f"{web_url.rstrip('/')}/healthcheck", timeout=10)
    except requests.RequestException as err:
        return f"{web_url} does not answer ({type(err).__name__})"
    return SERVICE_HEADER in resp.headers


def marquez_web_note(web_url: str, source: str) -> str:
    """Why the picture is not taken on Marquez web (the route a reader can open by hand)."""
    return (
        f"{web_url} is Marquez web: its column view (/datasets/column-level/{{namespace}}/{{dataset}}?column={source}) "
        f"cuts dataset labels to {MARQUEZ_WEB_LABEL_CHARS} characters ('{CATALOG}.<db>...' is all a table shows) "
        "and fits the graph to the window, so the tables it draws cannot be read from its page; the picture is "
        "skipped and Marquez's /column-lineage answer is judged alone"
    )


def check_column_page(
    api_url: str | None,
    web_url: str | None,
    web_problem: str | None,
    statements: list[SqlStatement],
    region: str,
    bronze_db: str,
    column: str,
    png_path: Path,
) -> Outcome:
    """Screenshot the column-flow page of the Bronze ``column`` field and judge what it draws.

    ``error`` naming the statement when the pipeline's SQL cannot be followed (``ColumnLineageError``).

    ``skipped`` when there is no page of ours to take (no web URL, or Marquez web: see the module) and Marquez's
    ``/column-lineage`` reaches every table the SQL names (``failed``, naming them, when it does not);
    ``error`` when the API cannot be read; ``failed`` naming every table the page does not show.
    """
    details: dict[str, Any] = {"column": column, "depth": DEPTH}
    try:
        sources, sql = sql_flow_of(statements, region, bronze_db, column)
    except ColumnLineageError as err:  # a flow of a statement nobody could read is no flow to expect or deny
        return Outcome.error(f"the pipeline's SQL cannot be followed for column lineage: {err}", THRESHOLD, details)
    if not sources:
        reason = f"the pipeline's SQL carries no column {column!r} of Bronze database {bronze_db} into another table"
        return Outcome.judged(False, {"tables_drawn": None}, THRESHOLD, reason, details)
    dataset, field = sources[0]
    source = field_node_id(dataset.namespace, dataset.name, field)
    label = f"{dataset_title(dataset.namespace, dataset.name)}.{field}"
    details.update(source=source, other_bronze_sources=[f"{d.name}.{c}" for d, c in sources[1:]])
    details["flows_into_by_sql"] = sql
    if not api_url:
        return Outcome.error("no Marquez to read the column lineage from", THRESHOLD, details)
    try:
        graph = MarquezClient(api_url).column_lineage(source, DEPTH)
    except MarquezError as err:
        return Outcome.error(f"the column lineage of {label} could not be read: {err}", THRESHOLD, details)
    api = api_flow(graph, source)
    details["flows_into_by_api"] = api
    gaps = api_problems(label, sql, api) + claim_problems(label, sql, api)

    def no_page(why: str) -> Outcome:
        """No page to judge: the API's column lineage still is (failed on a gap), else a note only."""
        if gaps:
            measured = {"tables_drawn": None, "tables_in_api": f"{len(set(sql) & set(api))}/{len(sql)}"}
            return Outcome.judged(False, measured, THRESHOLD, "; ".join(gaps), {**details, "page_skipped": why})
        return Outcome.skipped(why, THRESHOLD, details)

    if web_problem or not web_url:
        return no_page(f"the column-flow page cannot be shown: {web_problem or 'no web URL'}")
    ours = own_service(web_url)
    if isinstance(ours, str):
        return Outcome.error(f"the column-flow page cannot be read: {ours}", THRESHOLD, details)
    if not ours:
        return no_page(marquez_web_note(web_url, source))
    url = page_route(web_url, dataset.namespace, dataset.name, field)
    details["url"] = url
    try:
        shot = screenshot(url, png_path, width=1400, height=700)
    except BrowserNotFound as err:
        return Outcome.error(f"no browser for the column-flow page: {err}", THRESHOLD, details)
    except ScreenshotError as err:
        return Outcome.judged(False, {"tables_drawn": None}, THRESHOLD, f"the column-flow page failed: {err}", details)
    drawn = drawn_flow(shot.html)
    details.update(drawn=drawn, screenshot=png_path.name, seconds=shot.seconds)
    problems = page_problems(label, sql, api, drawn) + claim_problems(label, sql, api)
    expected = set(sql) | set(api)
    measured = {
        "tables_drawn": f"{len(expected & set(drawn))}/{len(expected)}",
        "screenshot": png_path.name,
    }
    return Outcome.judged(not problems, measured, THRESHOLD, "; ".join(problems) or None, details)


def stack_column_page(
    outputs: Mapping[str, Any],
    region: str,
    api_url: str | None,
    web_url: str | None,
    web_problem: str | None,
    column: str,
    png_path: Path,
) -> Outcome:
    """:func:`check_column_page` for a deployed stack: its pipeline SQL and Bronze database from its outputs."""
    try:
        statements, bronze_db = stack_sql(outputs)
    except (SqlFileError, KeyError, OSError) as err:
        return Outcome.error(f"the pipeline's SQL could not be read for column lineage: {err}", THRESHOLD)
    return check_column_page(api_url, web_url, web_problem, statements, region, bronze_db, column, png_path)
