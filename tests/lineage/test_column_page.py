"""The column-flow page: where a field's values flow, drawn from the service's own ``/column-lineage``
(events from the pipeline's real SQL), and the check that judges it (exit check 4's ssn picture)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
from flask.testing import FlaskClient

from lakehouse.checks.column_page import (
    api_flow,
    bronze_sources,
    check_column_page,
    drawn_flow,
    page_problems,
    sql_flow,
)
from lakehouse.checks.lineage import with_column_page
from lakehouse.lineage.columns import pipeline_column_edges
from lakehouse.lineage.emitter import LineageEmitter
from lakehouse.lineage.events import to_dict
from lakehouse.lineage.naming import athena_table
from lakehouse.lineage.service.app import SERVICE_HEADER, create_app
from lakehouse.lineage.service.process import LineageHandle
from lakehouse.lineage.service.store import Store
from lakehouse.outcome import Outcome, Status
from tests.lineage.conftest import NAMESPACE, OUTPUTS, REGION, emit_pipeline, statements
from tests.lineage.marquez_web import marquez_web

ATHENA = athena_table(REGION, "x", "y").namespace
BRONZE_USERS = "awsdatacatalog.lh_t_bronze.users_csv"
SOURCE = f"datasetField:{ATHENA}:{BRONZE_USERS}:ssn"
PAGE = f"/lineage/column/{quote(ATHENA, safe='')}/{BRONZE_USERS}/ssn"
LABEL = "lh_t_bronze.users_csv.ssn"
#: Where the pipeline's SQL carries Bronze users.ssn (tests/lineage/test_columns.py derives the same).
FLOW = {
    "lh_t_gold.users": ["ssn"],
    "lh_t_silver.users": ["ssn"],
    "lh_t_silver.users_rejected": ["reject_reason", "ssn"],
    "lh_t_silver.users_staged": ["reject_reason", "ssn"],
}
Strip = Callable[[dict[str, Any]], dict[str, Any]]


def without_silver_users_column_lineage(event: dict[str, Any]) -> dict[str, Any]:
    """The broken stream: the event writing Silver users carries no ``columnLineage`` facet."""
    for out in event.get("outputs") or []:
        if out["name"] == "awsdatacatalog.lh_t_silver.users":
            out.get("facets", {}).pop("columnLineage", None)
    return event


def fed_client(tmp_path: Path, strip: Strip | None = None) -> FlaskClient:
    """The service app holding the pipeline's events (optionally altered by ``strip``)."""
    client = create_app(Store(tmp_path / "lineage.sqlite")).test_client()
    feed(client, strip)
    return client


def feed(client: FlaskClient, strip: Strip | None = None) -> None:
    """One run of the pipeline's events posted to the app (optionally altered by ``strip``)."""

    class Poster:
        def emit(self, ev: Any) -> None:
            body = strip(to_dict(ev)) if strip else to_dict(ev)
            assert client.post("/api/v1/lineage", json=body).status_code == 201

    emit_pipeline(LineageEmitter("http://test", NAMESPACE, REGION, client=Poster()))  # type: ignore[arg-type]


def fed_service(service: LineageHandle, strip: Strip | None = None) -> None:
    """The pipeline's events posted over HTTP to a real service process."""

    class Poster:
        def emit(self, ev: Any) -> None:
            body = strip(to_dict(ev)) if strip else to_dict(ev)
            assert requests.post(f"{service.url}/api/v1/lineage", json=body, timeout=10).status_code == 201

    emit_pipeline(LineageEmitter(service.url, NAMESPACE, REGION, client=Poster()))  # type: ignore[arg-type]


def judged(client: FlaskClient) -> tuple[str, list[str]]:
    """The page's HTML and the check's problems with it (SQL and API flows as the check reads them)."""
    html = client.get(PAGE).get_data(as_text=True)
    graph = client.get(f"/api/v1/column-lineage?nodeId={quote(SOURCE, safe='')}&withDownstream=true").get_json()
    edges = pipeline_column_edges(statements(), REGION)
    (source,) = bronze_sources(edges, "lh_t_bronze", "ssn")
    return html, page_problems(LABEL, sql_flow(edges, source), api_flow(graph["graph"], SOURCE), drawn_flow(html))


# -- the page -------------------------------------------------------------------------------------------


def test_the_page_draws_where_bronze_users_ssn_flows_from_the_pipelines_events(tmp_path: Path) -> None:
    client = fed_client(tmp_path)
    resp = client.get(PAGE)
    assert resp.status_code == 200 and resp.mimetype == "text/html" and resp.headers[SERVICE_HEADER]
    html, problems = judged(client)
    assert problems == []
    assert drawn_flow(html) == {"lh_t_bronze.users_csv": ["ssn"], **FLOW}
    assert "<script" not in html and '<svg class="column-flow"' in html
    # the source field is the one marked; edges go field to field, the source's own ones marked too
    assert re.findall(r'<g class="field source" data-id="([^"]+)"', html) == [SOURCE]
    wires = re.findall(r'<path class="edge( from-source)?" data-origin="([^"]+)" data-destination="([^"]+)"', html)
    assert len(wires) == 6
    assert {(o, d.rsplit(":", 2)[-2:][1]) for mark, o, d in wires if mark} == {
        (SOURCE, "ssn"),
        (SOURCE, "reject_reason"),
    }
    assert "4 tables downstream" in html


def test_the_page_draws_what_the_api_answers_and_nothing_upstream(tmp_path: Path) -> None:
    """From Gold users ssn nothing flows on: the page shows that one box, not what feeds it."""
    client = fed_client(tmp_path)
    gold = f"/lineage/column/{quote(ATHENA, safe='')}/awsdatacatalog.lh_t_gold.users/ssn"
    html = client.get(gold).get_data(as_text=True)
    assert drawn_flow(html) == {"lh_t_gold.users": ["ssn"]}
    assert "No column lineage leaves lh_t_gold.users.ssn" in html


def test_unknown_datasets_and_fields_answer_html_404_on_the_page_and_json_404_in_the_api(tmp_path: Path) -> None:
    client = fed_client(tmp_path)
    ns = quote(ATHENA, safe="")
    for path, message in (
        (f"/lineage/column/{ns}/awsdatacatalog.nope.t/ssn", "Dataset 'awsdatacatalog.nope.t' not found."),
        (f"/lineage/column/{ns}/{BRONZE_USERS}/nope", "Field 'nope' of dataset"),
        (f"/lineage/column/{ns}/{BRONZE_USERS}", "/lineage/column/{namespace}/{dataset}/{field}"),
    ):
        resp = client.get(path)
        assert (resp.status_code, resp.mimetype) == (404, "text/html"), path
        assert message in resp.get_data(as_text=True), path
    api = client.get("/api/v1/column-lineage?nodeId=" + quote(f"datasetField:{ATHENA}:awsdatacatalog.nope.t:ssn"))
    assert (api.status_code, api.get_json()) == (
        404,
        {"code": 404, "message": "Dataset 'awsdatacatalog.nope.t' not found."},
    )
    deep = client.get(f"/api/v1/column-lineage?depth=-1&nodeId={quote(SOURCE, safe='')}")
    assert deep.status_code == 400 and deep.get_json() == {
        "errors": ["query param depth must be greater than or equal to 0"]
    }
    assert SERVICE_HEADER not in api.headers  # API answers stay Marquez's


# -- the judge on broken pages ----------------------------------------------------------------------------


def test_a_stream_missing_silver_users_column_lineage_draws_a_page_the_check_rejects(tmp_path: Path) -> None:
    client = fed_client(tmp_path, without_silver_users_column_lineage)
    html, problems = judged(client)
    assert "lh_t_silver.users" not in drawn_flow(html) and "lh_t_gold.users" not in drawn_flow(html)
    assert len(problems) == 2
    assert problems[0].startswith(f"the column-flow page of {LABEL} does not show lh_t_gold.users (ssn)")
    assert problems[1].startswith(f"the column-flow page of {LABEL} does not show lh_t_silver.users (ssn)")
    assert all("the lineage events lack its column lineage" in p for p in problems)


def test_a_stream_missing_silver_users_column_lineage_after_a_complete_one_is_rejected_too(tmp_path: Path) -> None:
    """An earlier run's complete stream, then this run's without Silver users' column lineage: Marquez's column
    lineage is that of a dataset's current version (``column_lineage`` rows per output dataset version), so the
    earlier run's facet must not live on in the version this run wrote, and the page must not draw it."""
    client = fed_client(tmp_path)  # the earlier run
    feed(client, without_silver_users_column_lineage)  # this run
    html, problems = judged(client)
    assert "lh_t_silver.users" not in drawn_flow(html) and "lh_t_gold.users" not in drawn_flow(html)
    assert [p.split(":")[0] for p in problems] == [
        f"the column-flow page of {LABEL} does not show lh_t_gold.users (ssn)",
        f"the column-flow page of {LABEL} does not show lh_t_silver.users (ssn)",
    ]
    assert all("the lineage events lack its column lineage" in p for p in problems)
    feed(client)  # a later complete run draws it all again
    assert judged(client)[1] == []


def test_an_empty_or_stale_page_or_a_missing_column_is_named() -> None:
    api = {"lh_t_gold.users": ["ssn"], "lh_t_silver.users": ["ssn"]}
    assert page_problems(LABEL, api, api, {}) == [
        f"the column-flow page of {LABEL} does not show lh_t_gold.users (ssn): "
        "the pipeline's SQL and /column-lineage say it flows there",
        f"the column-flow page of {LABEL} does not show lh_t_silver.users (ssn): "
        "the pipeline's SQL and /column-lineage say it flows there",
    ]
    stale = {"lh_t_silver.users": ["ssn"]}
    assert [p.split(":")[0] for p in page_problems(LABEL, api, api, stale)] == [
        f"the column-flow page of {LABEL} does not show lh_t_gold.users (ssn)"
    ]
    thin = {"lh_t_gold.users": [], "lh_t_silver.users": ["ssn"]}
    assert page_problems(LABEL, {}, api, thin) == [
        f"the column-flow page of {LABEL} shows lh_t_gold.users without column(s) ssn: "
        "/column-lineage says it flows there"
    ]
    assert page_problems(LABEL, api, api, {**api, "lh_t_other.t": ["x"]}) == []  # more drawn is no problem


def test_drawn_flow_reads_only_the_drawn_labels() -> None:
    html = (
        '<svg><g class="dataset"><title>dataset:a:lh.hidden</title><text class="dataset-title">lh.t</text>'
        '<text>subtitle</text><g class="field"><text class="field-name">ssn</text></g></g>'
        '<g class="dataset"><text class="dataset-title">lh.u</text></g></svg>'
    )
    assert drawn_flow(html) == {"lh.t": ["ssn"], "lh.u": []}
    assert drawn_flow("<html><body>not found</body></html>") == {}


# -- the check end to end: a real service process, real Chromium --------------------------------------------


def run_check(service: LineageHandle, tmp_path: Path, web_url: str | None = None) -> Outcome:
    return check_column_page(
        service.url,
        web_url or service.url,
        None,
        statements(),
        REGION,
        OUTPUTS["glue_database_names"]["bronze"],
        "ssn",
        tmp_path / "ssn-column-flow.png",
    )


def test_the_check_passes_with_a_screenshot_of_a_complete_page(service: LineageHandle, tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    fed_service(service)
    outcome = run_check(service, tmp_path)
    if outcome.status is Status.ERROR and "no browser" in str(outcome.reason):
        pytest.skip(str(outcome.reason))
    assert outcome.passed, outcome.reason
    assert outcome.measured == {"tables_drawn": "4/4", "screenshot": "ssn-column-flow.png"}
    assert outcome.details["flows_into_by_api"] == FLOW == outcome.details["flows_into_by_sql"]
    assert (tmp_path / "ssn-column-flow.png").stat().st_size > 10_000


def test_the_check_fails_naming_silver_users_when_its_column_lineage_is_missing(
    service: LineageHandle, tmp_path: Path
) -> None:
    pytest.importorskip("playwright")
    fed_service(service, without_silver_users_column_lineage)
    outcome = run_check(service, tmp_path)
    if outcome.status is Status.ERROR and "no browser" in str(outcome.reason):
        pytest.skip(str(outcome.reason))
    assert outcome.status is Status.FAILED
    assert "does not show lh_t_silver.users (ssn)" in str(outcome.reason)
    assert "does not show lh_t_gold.users (ssn)" in str(outcome.reason)
    assert outcome.measured["tables_drawn"] == "2/4"


def test_on_marquez_web_the_picture_is_skipped_with_the_reason(service: LineageHandle, tmp_path: Path) -> None:
    """Marquez web's column view cuts labels at 25 characters: nothing to assert, so no verdict on a guess."""
    fed_service(service)
    with marquez_web(service.url) as web:
        outcome = run_check(service, tmp_path, web)
    assert outcome.status is Status.SKIPPED
    assert "is Marquez web" in str(outcome.reason) and "/datasets/column-level/" in str(outcome.reason)
    assert outcome.details["flows_into_by_api"] == FLOW  # the API's answer is still the evidence
    assert not (tmp_path / "ssn-column-flow.png").exists()


def test_on_marquez_web_a_column_lineage_missing_silver_users_fails_naming_it(
    service: LineageHandle, tmp_path: Path
) -> None:
    """The events writing Silver users carry no column lineage, and the web is Marquez web: the page is not ours to
    judge, and the check skipped without reading what Marquez's /column-lineage answered, so exit check 4 (a
    skipped page is a note only) passed a Marquez whose column-level lineage stops at Silver."""
    fed_service(service, without_silver_users_column_lineage)
    with marquez_web(service.url) as web:
        outcome = run_check(service, tmp_path, web)
    assert outcome.status is Status.FAILED, outcome.reason
    assert outcome.reason == (
        f"Marquez's /column-lineage of {LABEL} does not reach lh_t_gold.users (ssn): the pipeline's SQL says it "
        f"flows there (the lineage events lack its column lineage); Marquez's /column-lineage of {LABEL} does not "
        "reach lh_t_silver.users (ssn): the pipeline's SQL says it flows there (the lineage events lack its "
        "column lineage)"
    )
    assert outcome.measured == {"tables_drawn": None, "tables_in_api": "2/4"}
    assert "is Marquez web" in outcome.details["page_skipped"]
    assert not with_column_page(Outcome.judged(True, {}, "t", None), outcome).passed
    assert not (tmp_path / "ssn-column-flow.png").exists()


# -- folded into exit check 4 -----------------------------------------------------------------------------


def test_exit_check_4_fails_on_a_page_missing_a_table_and_only_notes_a_skipped_one() -> None:
    ok = Outcome.judged(True, {"jobs": 3}, "t", None, {"a": 1})
    bad_page = Outcome.judged(
        False, {"tables_drawn": "2/4"}, "p", "does not show lh_t_silver.users (ssn)", {"url": "u"}
    )
    folded = with_column_page(ok, bad_page)
    assert folded.status is Status.FAILED and folded.reason == "does not show lh_t_silver.users (ssn)"
    assert folded.measured == {"jobs": 3, "ssn_column_page": "2/4"} and folded.details["column_page"]["url"] == "u"
    failing = with_column_page(Outcome.judged(False, {}, "t", "graph stale"), bad_page)
    assert failing.reason == "graph stale; does not show lh_t_silver.users (ssn)"
    skipped = with_column_page(ok, Outcome.skipped("is Marquez web", "p"))
    assert skipped.passed and skipped.details["column_page"] == {"status": "skipped", "reason": "is Marquez web"}
    unread = with_column_page(ok, Outcome.error("column lineage could not be read", "p"))
    assert unread.status is Status.ERROR and unread.reason == "column lineage could not be read"


def test_a_datasets_lineage_page_links_each_column_to_its_flow(tmp_path: Path) -> None:
    client = fed_client(tmp_path)
    html = client.get(f"/lineage/dataset/{quote(ATHENA, safe='')}/{BRONZE_USERS}").get_data(as_text=True)
    assert f'<a href="{PAGE}">ssn</a>' in html
    assert client.get(PAGE).status_code == 200
