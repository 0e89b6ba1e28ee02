"""A statement whose column lineage sqlglot cannot read is an error naming it, never an empty lineage.

Skipped silently, an unparseable statement's flows vanish from every answer built on the pipeline's column
lineage: where ``ssn`` flows (exit check 6's evidence), the column-flow page's expected tables (exit check 4),
the emitted ``columnLineage`` facets. A check would then judge a flow absent that nobody could read.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.checks.column_page import check_column_page
from lakehouse.checks.history_copies import Statement, catalog_schema, history_copies
from lakehouse.checks.ssn_lineage import flows
from lakehouse.lineage.columns import ColumnLineageError, Schema, column_lineage, pipeline_column_edges
from lakehouse.lineage.naming import athena_table
from lakehouse.outcome import Status
from lakehouse.pipeline.runner import SQL_DIR, stack_values
from lakehouse.pipeline.sqlfiles import SqlStatement, load

REGION = "us-east-1"
OUTPUTS = {
    "glue_database_names": {"bronze": "lh_t_bronze", "silver": "lh_t_silver", "gold": "lh_t_gold"},
    "bucket_names": {"bronze": "lh-t-bronze", "silver": "lh-t-silver", "gold": "lh-t-gold"},
}
SCHEMA: Schema = {"s": {"src": {"id": "bigint", "ssn": "string"}}}
#: A Gold statement a typo broke: ``SELEC``; it would copy Silver's ssn into a Gold table.
BROKEN = "INSERT INTO lh_t_gold.users_copy SELEC user_id, ssn FROM lh_t_silver.users"


def pipeline() -> list[SqlStatement]:
    return load(SQL_DIR, stack_values(OUTPUTS))


def with_broken() -> list[SqlStatement]:
    """The real pipeline, one unparseable statement appended as ``39_gold_copy.sql``'s first."""
    return [*pipeline(), SqlStatement(Path("pipeline/sql/39_gold_copy.sql"), 3, 1, BROKEN)]


def test_an_unparseable_statement_has_an_unknown_column_lineage_not_an_empty_one() -> None:
    with pytest.raises(ColumnLineageError, match="cannot parse"):
        column_lineage("MERGE INTO (", REGION, SCHEMA)


def test_a_column_sqlglot_cannot_follow_is_named() -> None:
    sql = "INSERT INTO g.t (id, x) SELECT a.id, a.nope FROM s.src a JOIN s.src b ON a.id = b.id"
    with pytest.raises(ColumnLineageError, match="cannot follow column.*Unknown column: nope"):
        column_lineage(sql, REGION, SCHEMA)


def test_the_pipelines_column_edges_name_the_unparseable_statement() -> None:
    with pytest.raises(ColumnLineageError) as raised:
        pipeline_column_edges(with_broken(), REGION)
    said = str(raised.value)
    assert "pipeline/sql/39_gold_copy.sql:3" in said and "39_gold_copy.1" in said
    assert "SELEC user_id, ssn" in said  # the statement itself


def test_where_ssn_flows_is_not_answered_from_a_pipeline_with_an_unreadable_statement() -> None:
    with pytest.raises(ColumnLineageError, match="39_gold_copy"):
        flows(with_broken(), REGION, "ssn")


def test_the_column_flow_check_is_error_naming_the_statement_not_judged_without_it(tmp_path: Path) -> None:
    outcome = check_column_page(None, None, None, with_broken(), REGION, "lh_t_bronze", "ssn", tmp_path / "p.png")
    assert outcome.status is Status.ERROR
    assert outcome.reason is not None and "39_gold_copy.sql:3" in outcome.reason and "cannot parse" in outcome.reason


def test_the_healthy_pipeline_is_followed_whole_athenas_path_column_included() -> None:
    """``"$path"`` (Athena's hidden column) once stopped sqlglot and silently cost orders_staged its lineage."""
    edges = pipeline_column_edges(pipeline(), REGION)
    bronze, staged = (
        athena_table(REGION, "lh_t_bronze", "orders_csv"),
        athena_table(REGION, "lh_t_silver", "orders_staged"),
    )
    into_staged = {(s[1], t[1]) for s, t in edges if s[0] == bronze and t[0] == staged}
    assert {("order_id", "order_id"), ("user_id", "user_id"), ("amount", "amount")} <= into_staged
    assert not any(s[1].startswith("$") for s, _ in edges)  # a hidden column is no dataset's field
    assert "lh_t_gold.users" in flows(pipeline(), REGION, "ssn")


def test_a_past_copy_whose_columns_cannot_be_followed_is_noted_not_passed_over() -> None:
    """Exit check 6's history: a CTAS of ``ssn`` sqlglot cannot follow (a column no catalog lists) is named."""
    schema = catalog_schema({("gold", "users"): ["user_id", "ssn"]})
    sql = "CREATE TABLE scratch.x AS SELECT u.ssn AS tax_id, u.gone FROM gold.users u JOIN gold.users v ON true"
    found, notes = history_copies([Statement("q1", "team", sql, "default")], schema, [("gold", "users", "ssn")], REGION)
    assert found == []
    assert len(notes) == 1 and notes[0].startswith("query q1 of workgroup team writes a table but its columns")
    assert "Unknown column: gone" in notes[0]


def test_a_past_copy_sqlglot_follows_has_no_note() -> None:
    schema = catalog_schema({("gold", "users"): ["user_id", "ssn"]})
    sql = "CREATE TABLE scratch.x AS SELECT u.ssn AS tax_id FROM gold.users u JOIN gold.users v ON true"
    found, notes = history_copies([Statement("q1", "team", sql, "default")], schema, [("gold", "users", "ssn")], REGION)
    assert [(c.qualified, c.columns) for c in found] == [("scratch.x", {"tax_id": ["gold.users.ssn"]})]
    assert notes == []
