"""A column the pipeline's SQL names is placed in one table as Athena does, or is an error naming it: never silence.

sqlglot's lineage follows an unqualified column of a join that no known schema holds (a table whose columns are
unknown, an ambiguous name) nowhere and says nothing; a ``*`` of such a table becomes one ``*`` field; a UNION's
lineage was taken from its left side only. Each let ``ssn`` reach Gold with no column lineage saying so: exit
check 6's "where ssn flows" and exit check 4's column page would judge a pipeline whose flow they never saw.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakehouse.checks.column_page import check_column_page, sql_flow_of
from lakehouse.checks.ssn_lineage import flows
from lakehouse.lineage.columns import ColumnLineageError, Schema, column_lineage
from lakehouse.lineage.sqlio import statement_io
from lakehouse.outcome import Status
from lakehouse.pipeline.sqlfiles import SqlStatement
from tests.unit.test_column_lineage_unknown import REGION, pipeline

#: Every pipeline statement's column lineage as main's code gave it before columns were checked (file:line).
BEFORE = Path(__file__).parent / "data" / "pipeline_column_lineage.json"
SCHEMA: Schema = {
    "s": {
        "users": {"user_id": "bigint", "ssn": "string", "name": "string"},
        "orders": {"order_id": "bigint", "user_id": "bigint", "amount": "double"},
    },
    "g": {"t": {"user_id": "bigint", "x": "string"}},
}
SILVER, GOLD = "lh_t_silver", "lh_t_gold"
JOIN = f"FROM {SILVER}.orders o JOIN {SILVER}.tmp t ON o.user_id = t.uid"
#: Broken pipelines: Silver's ssn reaches ``lh_t_gold.c`` only through a reference main's lineage lost.
CARRIED = {
    # a CTAS'd Silver table (no DDL columns) joined, its column unqualified
    "ctas_then_join": [
        f"CREATE TABLE {SILVER}.tmp AS SELECT user_id AS uid, ssn AS s2 FROM {SILVER}.users",
        f"CREATE TABLE {GOLD}.c AS SELECT o.order_id, s2 {JOIN}",
    ],
    "ctas_then_star": [
        f"CREATE TABLE {SILVER}.tmp AS SELECT user_id, ssn FROM {SILVER}.users",
        f"CREATE TABLE {GOLD}.c AS SELECT * FROM {SILVER}.tmp",
    ],
    "union_right_side": [
        f"CREATE TABLE {GOLD}.c AS SELECT email AS v FROM {SILVER}.users UNION ALL SELECT ssn FROM {SILVER}.users"
    ],
    "insert_union_in_cte": [
        f"CREATE TABLE {GOLD}.c (v string)",
        f"INSERT INTO {GOLD}.c WITH w AS (SELECT 1 AS k) SELECT email FROM {SILVER}.users "
        f"UNION SELECT ssn FROM {SILVER}.users",
    ],
}
#: Statements whose ssn flow cannot be known: a table no DDL declares (created outside the pipeline).
UNKNOWABLE = {
    "join_unknown_table": (
        f"CREATE TABLE {GOLD}.c AS SELECT o.order_id, ssn FROM {SILVER}.orders o "
        f"JOIN {SILVER}.outside x ON o.user_id = x.user_id",
        f"ssn: a column of none of {SILVER}.orders, {SILVER}.outside (columns unknown)",
    ),
    "star_of_unknown_table": (
        f"CREATE TABLE {GOLD}.c AS SELECT o.order_id, x.* FROM {SILVER}.orders o "
        f"JOIN {SILVER}.outside x ON o.user_id = x.user_id",
        f"x.*: the columns it writes are unknown (it reads {SILVER}.outside (columns unknown))",
    ),
}


def with_gold_copy(*sqls: str) -> list[SqlStatement]:
    """The real pipeline, then ``39_gold_copy.sql``'s statements."""
    path = Path("pipeline/sql/39_gold_copy.sql")
    return [*pipeline(), *(SqlStatement(path, 3 + i, i + 1, sql) for i, sql in enumerate(sqls))]


def names(found: dict[str, set[tuple[Any, str]]]) -> dict[str, list[str]]:
    return {col: sorted(f"{d.name.split('.', 1)[1]}.{f}" for d, f in srcs) for col, srcs in found.items()}


# -- broken: ssn reaches Gold; every answer built on column lineage says so, or says it cannot know ------------


@pytest.mark.parametrize("case", sorted(CARRIED))
def test_ssn_carried_into_gold_through_a_lost_reference_is_found(case: str) -> None:
    statements = with_gold_copy(*CARRIED[case])
    assert f"{GOLD}.c" in flows(statements, REGION, "ssn")  # exit check 6's "flows into"
    _, flow = sql_flow_of(statements, REGION, "lh_t_bronze", "ssn")
    assert f"{GOLD}.c" in flow  # the tables exit check 4's column page must draw


@pytest.mark.parametrize("case", sorted(UNKNOWABLE))
def test_a_column_no_schema_places_is_an_error_naming_the_statement_and_column(case: str) -> None:
    sql, why = UNKNOWABLE[case]
    with pytest.raises(ColumnLineageError) as raised:
        flows(with_gold_copy(sql), REGION, "ssn")
    said = str(raised.value)
    assert "pipeline/sql/39_gold_copy.sql:3" in said and "39_gold_copy.1" in said and why in said


def test_the_column_page_check_is_error_naming_the_column_not_judged_without_it(tmp_path: Path) -> None:
    sql, _ = UNKNOWABLE["join_unknown_table"]
    outcome = check_column_page(None, None, None, with_gold_copy(sql), REGION, "lh_t_bronze", "ssn", tmp_path / "p.png")
    assert outcome.status is Status.ERROR
    assert (
        outcome.reason is not None and "39_gold_copy.sql:3" in outcome.reason and "ssn: a column of" in outcome.reason
    )


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        (
            "INSERT INTO g.t SELECT user_id, ssn FROM s.orders o JOIN s.users u ON o.user_id = u.user_id",
            "user_id: ambiguous (Athena refuses it), a column of s.orders, s.users",
        ),
        (
            "INSERT INTO g.t SELECT o.user_id, nope FROM s.orders o JOIN s.users u ON o.user_id = u.user_id",
            "nope: a column of none of s.orders, s.users",
        ),
        (
            "INSERT INTO g.t SELECT o.user_id, z.ssn FROM s.orders o JOIN s.users u ON o.user_id = u.user_id",
            "z.ssn: no table or alias z here",
        ),
        (
            "MERGE INTO g.t t USING (SELECT o.user_id, ssn FROM s.orders o JOIN s.gone u ON o.user_id = u.user_id) s"
            " ON t.user_id = s.user_id WHEN NOT MATCHED THEN INSERT (user_id, x) VALUES (s.user_id, s.ssn)",
            "ssn: a column of none of s.orders, s.gone (columns unknown)",
        ),
        (
            "UPDATE g.t SET x = (SELECT max(ssn) FROM s.orders o JOIN s.gone u ON o.user_id = u.user_id)",
            "Cannot resolve 'ssn' due to missing source schemas",  # sqlglot's qualify says it
        ),
        ("CREATE TABLE g.c AS SELECT * FROM s.gone", "*: the columns it writes are unknown (it reads s.gone"),
    ],
)
def test_an_unplaceable_column_is_named_with_the_lineage_that_could_be_followed(sql: str, why: str) -> None:
    with pytest.raises(ColumnLineageError, match="cannot follow column") as raised:
        column_lineage(sql, REGION, SCHEMA)
    assert why in str(raised.value)


def test_the_right_side_of_a_union_is_followed() -> None:
    sql = "INSERT INTO g.t SELECT user_id, 'x' FROM s.orders UNION ALL SELECT user_id, ssn FROM s.users"
    assert names(column_lineage(sql, REGION, SCHEMA)) == {
        "user_id": ["s.orders.user_id", "s.users.user_id"],
        "x": ["s.users.ssn"],
    }


# -- healthy twins: what Athena resolves is followed, no error ----------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "x"),
    [
        ("INSERT INTO g.t SELECT o.user_id, ssn FROM s.orders o JOIN s.users u ON o.user_id = u.user_id", "ssn"),
        ("INSERT INTO g.t SELECT user_id, ssn FROM s.orders JOIN s.users USING (user_id)", "ssn"),
        (
            "INSERT INTO g.t WITH w AS (SELECT o.user_id, ssn FROM s.orders o JOIN s.users u ON o.user_id = u.user_id)"
            " SELECT user_id, ssn FROM w",
            "ssn",
        ),
        (
            "INSERT INTO g.t SELECT user_id, v FROM (SELECT o.user_id, ssn v FROM s.orders o "
            "JOIN s.users u ON o.user_id = u.user_id) q",
            "ssn",
        ),
        ("INSERT INTO g.t SELECT user_id, e FROM s.users u CROSS JOIN UNNEST(split(ssn, '-')) AS x(e)", "ssn"),
        ("INSERT INTO g.t SELECT user_id, array_join(transform(ARRAY[ssn], v -> upper(v)), ',') FROM s.users", "ssn"),
        (
            "INSERT INTO g.t SELECT o.user_id, (SELECT max(ssn) FROM s.users WHERE user_id = o.user_id) "
            "FROM s.orders o",
            "ssn",
        ),
        (
            "INSERT INTO g.t SELECT o.user_id, q.f.a FROM s.orders o "
            "JOIN (SELECT user_id, CAST(ROW(ssn) AS ROW(a varchar)) AS f FROM s.users) q ON q.user_id = o.user_id",
            "ssn",
        ),
        ("INSERT INTO g.t SELECT user_id, ssn FROM s.gone", "ssn"),  # one source: it can only be its column
    ],
)
def test_a_column_athena_resolves_is_followed_without_error(sql: str, x: str) -> None:
    found = names(column_lineage(sql, REGION, SCHEMA))
    assert found["x"] == [f"s.{'gone' if 's.gone' in sql else 'users'}.{x}"]


def test_a_star_over_a_join_and_an_update_naming_its_target_are_followed() -> None:
    star = "CREATE TABLE g.c AS SELECT * FROM s.orders o JOIN s.users u ON o.user_id = u.user_id"
    assert names(column_lineage(star, REGION, SCHEMA))["ssn"] == ["s.users.ssn"]
    update = "UPDATE g.t SET x = (SELECT max(ssn) FROM s.users u WHERE u.user_id = t.user_id)"
    assert names(column_lineage(update, REGION, SCHEMA)) == {"x": ["s.users.ssn"]}


def test_every_pipeline_statement_has_the_lineage_it_had_before() -> None:
    """The real pipeline's SQL, each statement against the columns its DDL declared so far (as
    ``pipeline_column_edges``): the same lineage main's code gave before columns were checked."""
    schema: Schema = {}
    now: dict[str, dict[str, list[str]]] = {}
    for stmt in pipeline():
        io = statement_io(stmt.sql, REGION)
        for ref, cols in io.schemas.items():
            _, database, table = ref.name.split(".", 2)
            schema.setdefault(database, {})[table] = {c.name: c.type for c in cols}
        if io.outputs:
            found = column_lineage(stmt.sql, REGION, schema)
            now[f"{stmt.path.name}:{stmt.line}"] = {c: sorted(f"{d.name}.{f}" for d, f in v) for c, v in found.items()}
    assert now == json.loads(BEFORE.read_text())
