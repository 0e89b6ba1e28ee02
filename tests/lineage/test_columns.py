"""Column-level lineage: what sqlglot derives from the pipeline's SQL, where ``ssn`` flows, the facet
on the emitted events, and Marquez's ``/column-lineage`` on our service."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask.testing import FlaskClient

from lakehouse.lineage.columns import Schema, column_lineage, flows_from, pipeline_column_edges
from lakehouse.lineage.emitter import LineageEmitter
from lakehouse.lineage.events import to_dict, to_json
from lakehouse.lineage.naming import athena_table
from lakehouse.lineage.service.app import create_app
from lakehouse.lineage.service.store import Store
from tests.lineage.conftest import NAMESPACE, REGION, emit_pipeline, statements
from tests.lineage.spec import openlineage_errors

ATHENA = athena_table(REGION, "x", "y").namespace
SCHEMA: Schema = {
    "s": {"src": {"id": "bigint", "ssn": "string", "name": "string"}},
    "g": {"t": {"id": "bigint", "ssn": "string"}},
}


def names(flows: dict[str, set[tuple[Any, str]]]) -> dict[str, list[str]]:
    return {col: sorted(f"{d.name.split('.', 1)[1]}.{f}" for d, f in found) for col, found in flows.items()}


def test_insert_select_star_and_ctas_map_columns_to_their_sources() -> None:
    assert names(column_lineage("INSERT INTO g.t SELECT id, upper(ssn) FROM s.src", REGION, SCHEMA)) == {
        "id": ["s.src.id"],
        "ssn": ["s.src.ssn"],
    }
    assert names(column_lineage("INSERT INTO g.t SELECT * FROM s.src", REGION, SCHEMA))["ssn"] == ["s.src.ssn"]
    ctas = "CREATE TABLE g.c AS WITH w AS (SELECT id, name || ssn AS tag FROM s.src) SELECT tag FROM w"
    assert names(column_lineage(ctas, REGION, SCHEMA)) == {"tag": ["s.src.name", "s.src.ssn"]}


def test_an_insert_without_columns_maps_by_the_tables_column_order_whatever_was_asked_before() -> None:
    """The answer is remembered per statement and schema; a reordered table is another schema."""
    sql = "INSERT INTO g.t SELECT id, ssn FROM s.src"
    first = column_lineage(sql, REGION, SCHEMA)
    first["id"].clear()  # a caller's copy: the remembered answer is not touched
    assert names(column_lineage(sql, REGION, SCHEMA)) == {"id": ["s.src.id"], "ssn": ["s.src.ssn"]}
    swapped: Schema = {**SCHEMA, "g": {"t": {"ssn": "string", "id": "bigint"}}}
    assert names(column_lineage(sql, REGION, swapped)) == {"ssn": ["s.src.id"], "id": ["s.src.ssn"]}


def test_merge_follows_update_set_and_insert_values_into_the_using_query() -> None:
    merge = (
        "MERGE INTO g.t t USING (SELECT id, ssn FROM s.src) s ON t.id = s.id "
        "WHEN MATCHED THEN UPDATE SET ssn = s.ssn "
        "WHEN NOT MATCHED THEN INSERT (id, ssn) VALUES (s.id, s.ssn)"
    )
    assert names(column_lineage(merge, REGION, SCHEMA)) == {"ssn": ["s.src.ssn"], "id": ["s.src.id"]}


def test_rowless_statements_have_no_column_lineage() -> None:
    """An unparseable one has an unknown lineage, not an empty one (``test_column_lineage_unknown``)."""
    assert column_lineage("DROP TABLE g.t", REGION, SCHEMA) == {}
    assert column_lineage("CREATE TABLE g.n (a int)", REGION, SCHEMA) == {}


def test_bronze_users_ssn_flows_into_silver_and_gold_tables() -> None:
    """The question security reviewers ask: every table and column ``users.ssn`` reaches."""
    start = (athena_table(REGION, "lh_t_bronze", "users_csv"), "ssn")
    reached = [
        f"{d.name.split('.', 1)[1]}.{f}" for d, f in flows_from(start, pipeline_column_edges(statements(), REGION))
    ]
    assert reached == [
        "lh_t_gold.users.ssn",
        "lh_t_silver.users.ssn",
        "lh_t_silver.users_rejected.reject_reason",  # computed from ssn ('ssn malformed')
        "lh_t_silver.users_rejected.ssn",
        "lh_t_silver.users_staged.reject_reason",
        "lh_t_silver.users_staged.ssn",
    ]


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def emit(self, event: Any) -> None:
        self.events.append(to_dict(event))


def test_the_emitted_events_carry_the_column_lineage_facet_and_it_validates() -> None:
    recorder = Recorder()
    emit_pipeline(LineageEmitter("http://recorder", NAMESPACE, REGION, client=recorder))  # type: ignore[arg-type]
    gold_users = next(
        e for e in recorder.events if e["eventType"] == "COMPLETE" and e["job"]["name"] == "lh_t_gold.users.merge"
    )
    facet = gold_users["outputs"][0]["facets"]["columnLineage"]
    assert facet["fields"]["ssn"]["inputFields"] == [
        {"namespace": ATHENA, "name": "awsdatacatalog.lh_t_silver.users", "field": "ssn", "transformations": []}
    ]
    assert openlineage_errors(gold_users) == []


def test_our_service_serves_marquezs_column_lineage(tmp_path: Path) -> None:
    client: FlaskClient = create_app(Store(tmp_path / "l.sqlite")).test_client()

    class Poster:
        def emit(self, ev: Any) -> None:
            assert client.post("/api/v1/lineage", data=to_json(ev), content_type="application/json").status_code == 201

    emit_pipeline(LineageEmitter("http://test", NAMESPACE, REGION, client=Poster()))  # type: ignore[arg-type]
    node = quote(f"datasetField:{ATHENA}:awsdatacatalog.lh_t_bronze.users_csv:ssn", safe="")
    resp = client.get(f"/api/v1/column-lineage?nodeId={node}&withDownstream=true")
    assert resp.status_code == 200
    graph = resp.get_json()["graph"]
    ids = {n["id"] for n in graph}
    assert f"datasetField:{ATHENA}:awsdatacatalog.lh_t_gold.users:ssn" in ids
    assert all(list(n) == ["id", "type", "data", "inEdges", "outEdges"] and n["type"] == "DATASET_FIELD" for n in graph)
    gold = next(n for n in graph if n["id"].endswith("lh_t_gold.users:ssn"))["data"]  # ColumnLineageNodeData
    assert gold == {
        "namespace": ATHENA,
        "dataset": "awsdatacatalog.lh_t_gold.users",
        "field": "ssn",
        "fieldType": "varchar",  # the type the DDL declares (string), as the schema facet carries it
        "inputFields": [{"namespace": ATHENA, "dataset": "awsdatacatalog.lh_t_silver.users", "field": "ssn"}],
    }
    upstream = client.get(
        f"/api/v1/column-lineage?nodeId={quote(f'datasetField:{ATHENA}:awsdatacatalog.lh_t_gold.users:ssn', safe='')}"
    )
    assert f"datasetField:{ATHENA}:awsdatacatalog.lh_t_bronze.users_csv:ssn" in {
        n["id"] for n in upstream.get_json()["graph"]
    }
    assert client.get("/api/v1/column-lineage").get_json() == {"errors": ["query param nodeId must not be null"]}
