"""Exit check 6 reads the workgroup histories of every enabled region of the account, not only the stack's.

IAM on ``arn:aws:athena:*:<account>:workgroup/*`` (or ``*``) hands the analyst, or a role it can act as, the
history of ``primary`` in any region: a lookup ``WHERE ssn = '...'`` run there carries the value in its text and
result wherever the data lies. Histories carry their region (``WorkGroupHistory.label``): every region has its
own ``primary``, and IAM decides on that region's ARN.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from moto import mock_aws

from lakehouse.checks.history_readers import read_shown, result_readers, work_group_arn
from lakehouse.checks.query_results import WorkGroupHistory, read_history, shared_results
from lakehouse.checks.region_copies import region_copies, region_roots
from lakehouse.checks.role_paths import reachable
from lakehouse.checks.saved_text import read_saved_queries
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import CatalogTable, SecurityReadback, analyst_actor
from lakehouse.checks.security_queries import saved_text_problems, shared_result_problems
from lakehouse.checks.security_read import other_regions, read_other_histories, read_region_copies, read_saved_texts
from lakehouse.emulator.extensions import athena as athena_ext
from lakehouse.target import Target
from tests.unit.test_security import ACCOUNT, healthy
from tests.unit.test_security_history_readers import CLEAN, EXPORT, LOOKUP, _allow, _assumable, stack
from tests.unit.test_shared_results import VALUES, History, Results, _error

HOME, FAR = "eu-west-1", "us-west-2"
FAR_PRIMARY = work_group_arn("primary", FAR, ACCOUNT)


class Athena(History, Results):
    def __init__(self, executions: list[dict[str, Any]], answers: dict[str, Any]) -> None:
        History.__init__(self, *executions)
        Results.__init__(self, answers)


def _shown(rb: SecurityReadback, histories: list[WorkGroupHistory], athena: Any) -> list[str]:
    arns = {h.label: work_group_arn(h.work_group, h.region or HOME, ACCOUNT) for h in histories}
    paths = reachable(analyst_actor(rb), ACCOUNT, rb.roles)
    rb.shown_executions, errors = read_shown(athena, histories, VALUES, arns, result_readers(rb.roles, paths, arns))
    rb.read_errors += errors
    return list(judge_security(rb).details["problems"]["role_workgroup_histories"])


def test_a_role_reading_primary_of_another_region_fails_naming_the_region() -> None:
    rb = stack(extra=_assumable(_allow("athena:*", f"arn:aws:athena:*:{ACCOUNT}:workgroup/*")))
    home = read_history(Athena([CLEAN], {}), "primary")
    far = read_history(Athena([LOOKUP], {}), "primary", region=FAR)
    (problem,) = _shown(rb, [home, far], Athena([], {"count": (["_col0"], [["2"]]), "lookup": (["id"], [["1"]])}))
    assert f"workgroup primary of region {FAR} ({FAR_PRIMARY}" in problem and "in its query text" in problem
    assert "123-45-6789" not in json.dumps(judge_security(rb).details)


def test_a_role_reading_only_the_stacks_region_passes_with_a_lookup_elsewhere() -> None:
    rb = stack(extra=_assumable(_allow("athena:*", f"arn:aws:athena:{HOME}:{ACCOUNT}:workgroup/*")))
    far = read_history(Athena([LOOKUP], {}), "primary", region=FAR)
    home = read_history(Athena([CLEAN], {}), "primary")
    assert _shown(rb, [home, far], Athena([], {"count": (["_col0"], [["2"]])})) == []


def test_another_regions_workgroup_with_aggregates_only_passes() -> None:
    rb = stack(extra=_assumable(_allow("athena:*", "*")))
    far = read_history(Athena([CLEAN], {}), "primary", region=FAR)
    assert _shown(rb, [far], Athena([], {"count": (["_col0"], [["2"]])})) == []


def test_the_analyst_reading_another_regions_lookup_fails_naming_the_region() -> None:
    history = read_history(Athena([LOOKUP], {}), "primary", region=FAR)
    analyst = Athena([LOOKUP], {"lookup": (["user_id", "ssn"], [["1", "123-45-6789"]])})
    analyst.get_query_execution = lambda QueryExecutionId: {"QueryExecution": LOOKUP}  # type: ignore[attr-defined]  # noqa: N803
    found = shared_results(history, analyst, VALUES, own=False)
    rb = healthy()
    rb.shared_results = found.results
    problems = shared_result_problems(rb)
    assert len(problems) == 2 and all(f"of workgroup primary of region {FAR} (" in p for p in problems), problems
    assert not judge_security(rb).passed


def test_the_analyst_refused_in_another_region_passes() -> None:
    history = read_history(Athena([CLEAN], {}), "primary", region=FAR)
    refusal = _error("AccessDeniedException", "not authorized to perform: athena:GetQueryResults")
    found = shared_results(history, Athena([], {"count": refusal}), VALUES, own=False)
    rb = healthy()
    rb.shared_results = found.results
    assert shared_result_problems(rb) == [] and judge_security(rb).passed


@mock_aws
def test_every_enabled_region_of_the_partition_is_read_with_its_workgroups() -> None:
    target = Target(name="aws", region=HOME)
    regions = other_regions(target)
    assert FAR in regions and HOME not in regions
    assert not any(r.startswith(("cn-", "us-gov-")) for r in regions)  # another partition holds another IAM
    boto3.client("athena", region_name=FAR).create_work_group(Name="team")
    histories = read_other_histories(target, [FAR])  # executions: tests/emulator/test_other_workgroups_exit6.py
    assert {h.label: h.region for h in histories} == {f"primary of region {FAR}": FAR, f"team of region {FAR}": FAR}


def test_a_history_of_the_stacks_region_keeps_its_bare_name() -> None:
    assert WorkGroupHistory("primary", ()).label == "primary"
    assert WorkGroupHistory("primary", (), region=FAR).label == f"primary of region {FAR}"


def test_another_regions_result_is_fetched_in_that_region() -> None:
    """A query id is known only in its region: the privileged fetch of a far workgroup's result asks that region's
    Athena (the stack region's answers InvalidRequestException), so an export there showing a value fails."""
    rb = stack(extra=_assumable(_allow("athena:*", f"arn:aws:athena:*:{ACCOUNT}:workgroup/*")))
    far = read_history(Athena([EXPORT], {}), "primary", region=FAR)
    unknown = _error("InvalidRequestException", "QueryExecution export was not found")
    home, far_athena = Athena([], {"export": unknown}), Athena([], {"export": (["tax_id"], [["123-45-6789"]])})
    arns = {far.label: FAR_PRIMARY}
    paths = reachable(analyst_actor(rb), ACCOUNT, rb.roles)
    asked: list[str] = []

    def athena_in(region: str) -> Any:
        asked.append(region)
        return far_athena

    found, errors = read_shown(home, [far], VALUES, arns, result_readers(rb.roles, paths, arns), athena_in=athena_in)
    assert errors == [] and asked == [FAR] and home.calls == 0
    assert [(s.work_group, s.shown) for s in found] == [(far.label, ("result",))]


# -- another region's saved queries and copies of the stack's files (``region_copies``) --------------------------

#: The stack's hidden files, and the other region's catalog: ``far_gold.users`` registered on the stack's Iceberg
#: metadata, ``team.people`` a table of its own with an ssn column, ``far_gold.mirror`` over the stack's data folder.
STORED = ["s3://lake-gold/users/", "s3://lake-gold/users/metadata/00001.metadata.json"]
FAR_CATALOG = [
    CatalogTable(
        "far_gold",
        "users",
        ["user_id", "ssn", "country"],
        location="s3://lake-gold/users",
        metadata_location="s3://lake-gold/users/metadata/00001.metadata.json",
    ),
    CatalogTable("team", "people", ["person_id", "ssn"], location="s3://team-data/people/"),
    CatalogTable("far_gold", "mirror", ["user_id", "ssn"], location="s3://lake-gold/users/data/"),
    CatalogTable("scratch", "listed_copy", ["user_id", "tax_id"], location="s3://far-share/listed_copy/"),
]


def _ran(query_id: str, sql: str, output: str = "s3://far-results/etl/", database: str = "default") -> dict[str, Any]:
    return {
        "QueryExecutionId": query_id,
        "Query": sql,
        "Status": {"State": "SUCCEEDED"},
        "QueryExecutionContext": {"Database": database},
        "ResultConfiguration": {"OutputLocation": f"{output}{query_id}.csv"},
        "StatementType": "DDL" if sql.startswith("CREATE") else "DML",
    }


def _far(*executions: dict[str, Any]) -> WorkGroupHistory:
    return WorkGroupHistory("primary", tuple(executions), region=FAR)


def test_the_other_regions_tables_over_the_stacks_hidden_files_are_its_roots() -> None:
    roots = region_roots(FAR_CATALOG, ["ssn"], STORED)
    assert sorted(t.qualified for t in roots) == ["far_gold.mirror", "far_gold.users"]


def test_a_ctas_of_ssn_in_another_region_is_a_copy_naming_the_region() -> None:
    sql = (
        "CREATE TABLE scratch.users_export WITH (table_type = 'ICEBERG', location = 's3://far-share/users_export/') "
        "AS SELECT user_id, ssn AS tax_id FROM far_gold.users"
    )
    found = region_copies(FAR, [_far(_ran("q1", sql))], FAR_CATALOG, ["ssn"], STORED)
    ((copy, table, listed),) = found.copies
    assert (copy.label, copy.columns, copy.region, listed) == (
        f"scratch.users_export of region {FAR}",
        {"tax_id": ["far_gold.users.ssn"]},
        FAR,
        False,
    )
    assert table is not None and table.location == "s3://far-share/users_export/"
    assert copy.describe().endswith(f"written by query q1 of workgroup primary of region {FAR}")
    assert found.results.folders == {"s3://far-results/etl/": f"primary of region {FAR}, query q1"}


def test_an_insert_into_another_regions_listed_table_is_a_copy_with_its_catalog_entry() -> None:
    sql = "INSERT INTO scratch.listed_copy SELECT user_id, ssn FROM users"
    found = region_copies(FAR, [_far(_ran("q2", sql, database="far_gold"))], FAR_CATALOG, ["ssn"], STORED)
    ((copy, table, listed),) = found.copies
    assert copy.qualified == "scratch.listed_copy" and listed and table is FAR_CATALOG[3]


def test_another_regions_ctas_of_aggregates_copies_nothing() -> None:
    sql = (
        "CREATE TABLE scratch.counts WITH (location = 's3://far-share/counts/') "
        "AS SELECT country, count(*) AS n FROM far_gold.users GROUP BY country"
    )
    found = region_copies(FAR, [_far(_ran("q3", sql))], FAR_CATALOG, ["ssn"], STORED)
    assert found.copies == [] and found.roots == ["far_gold.mirror", "far_gold.users"]


def test_a_region_whose_tables_lie_elsewhere_copied_nothing_of_the_stack() -> None:
    sql = "CREATE TABLE scratch.p AS SELECT person_id, ssn FROM team.people"
    lookup = _ran("q5", "SELECT ssn FROM team.people", output="s3://far-open/")
    found = region_copies(FAR, [_far(_ran("q4", sql), lookup)], FAR_CATALOG[1:2], ["ssn"], STORED)
    assert (found.roots, found.copies, found.results.folders) == ([], [], {})


def test_another_regions_lookup_of_a_root_writes_a_lake_location_naming_the_region() -> None:
    lookup = _ran("q6", "SELECT user_id, ssn FROM far_gold.users", output="s3://far-open/lookups/")
    other = _ran("q7", "SELECT ssn FROM team.people", output="s3://far-open/theirs/")
    found = region_copies(FAR, [_far(lookup, other)], FAR_CATALOG, ["ssn"], STORED)
    assert found.results.folders == {"s3://far-open/lookups/": f"primary of region {FAR}, query q6"}


class _NoCalls:
    """A target any client of which fails the test: a region where no query ran costs no call."""

    region = HOME

    def client(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"no call expected: client{args}")


def test_a_region_where_no_query_ran_reads_no_catalog() -> None:
    idle = WorkGroupHistory("primary", (), region=FAR)
    assert read_region_copies(_NoCalls(), [idle], ["ssn"], STORED) == []  # type: ignore[arg-type]


@mock_aws
def test_another_regions_named_query_and_statement_name_the_region() -> None:
    athena_ext.install()
    athena = boto3.client("athena", region_name=FAR)
    athena.create_named_query(Name="one", Database="g", WorkGroup="primary", QueryString=_SAVED)
    athena.create_named_query(Name="fine", Database="g", WorkGroup="primary", QueryString="SELECT 1")
    athena.create_prepared_statement(StatementName="by_ssn", WorkGroup="primary", QueryStatement=_SAVED)
    found = read_saved_queries(athena, athena, VALUES, ["primary"], region=FAR)
    assert sorted(t.where.split(", ")[0] for t in found.shown) == [f"workgroup primary of region {FAR}"] * 2
    assert found.examined == {"named query": 2, "prepared statement": 1}


@mock_aws
def test_the_saved_texts_of_every_other_region_listed_are_read() -> None:
    athena_ext.install()
    boto3.client("athena", region_name=FAR).create_named_query(
        Name="one", Database="g", WorkGroup="primary", QueryString=_SAVED
    )
    rb = healthy()
    target = Target(name="aws", region=HOME)
    read_saved_texts(target, boto3.Session(region_name=HOME), rb, VALUES, ["primary"], [_far()])
    ((problem,), outcome) = (saved_text_problems(rb), judge_security(rb))
    assert problem.startswith(f"workgroup primary of region {FAR}, named query") and not outcome.passed
    assert "123-45-6789" not in json.dumps(outcome.details, default=str)


_SAVED = "SELECT * FROM gold.users WHERE ssn = '123-45-6789'"
