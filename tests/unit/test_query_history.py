"""Exit check 6 reads each workgroup's Athena history once, for all its readers, and all of it or errs.

Before, each of the three readers (the copies ``history_copies`` follows, the result folders
``execution_locations`` finds, the analyst's ``shared_results``) listed the history itself
(ListQueryExecutions + BatchGetQueryExecution), so every workgroup was listed twice and ListWorkGroups
called twice; and past the newest 1,000 executions each reader only noted the cut, so a copy made by an
older query passed unseen.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

from lakehouse.checks.hidden_values import HiddenValues
from lakehouse.checks.history_copies import read_statements
from lakehouse.checks.query_results import BATCH, WorkGroupHistory, execution_locations, read_history, shared_results
from lakehouse.checks.security_model import CatalogTable
from lakehouse.checks.security_queries import shared_result_problems
from lakehouse.checks.security_read import hidden_reads, past_results, read_copies, read_histories, read_shared_results
from lakehouse.target import Target

from .test_security import healthy

ANALYST = "analyst-wg"
SSN = "123-45-6789"
CATALOG = [
    CatalogTable("gold", "users", ["user_id", "ssn", "country"], location="s3://lake-gold/users/"),
    CatalogTable("scratch", "users_geo", ["user_id", "country"], location="s3://team-share/users_geo/"),
]


def _execution(query_id: str, sql: str, output: str = "s3://results/wg/", kind: str = "DML") -> dict[str, Any]:
    return {
        "QueryExecutionId": query_id,
        "Query": sql,
        "Status": {"State": "SUCCEEDED"},
        "StatementType": kind,
        "QueryExecutionContext": {"Database": "default"},
        "ResultConfiguration": {"OutputLocation": f"{output}{query_id}.csv"},
    }


class Athena:
    """Athena's history API over fixed workgroups (each newest first), paged as Athena pages it, counting calls;
    GetQueryResults hands back the rows ``results`` gives a query (none otherwise)."""

    def __init__(self, histories: dict[str, list[dict[str, Any]]], results: dict[str, list[str]] | None = None):
        self.histories, self.results, self.calls = histories, results or {}, Counter[str]()

    def list_work_groups(self, **_: Any) -> dict[str, Any]:
        self.calls["ListWorkGroups"] += 1
        return {"WorkGroups": [{"Name": name} for name in self.histories]}

    def list_query_executions(self, WorkGroup: str, MaxResults: int, NextToken: str = "0") -> dict[str, Any]:  # noqa: N803
        self.calls[f"ListQueryExecutions {WorkGroup}"] += 1
        ids = [e["QueryExecutionId"] for e in self.histories[WorkGroup]]
        start, end = int(NextToken), int(NextToken) + min(MaxResults, BATCH)
        return {"QueryExecutionIds": ids[start:end], **({"NextToken": str(end)} if end < len(ids) else {})}

    def batch_get_query_execution(self, QueryExecutionIds: list[str]) -> dict[str, Any]:  # noqa: N803
        self.calls["BatchGetQueryExecution"] += 1
        by_id = {e["QueryExecutionId"]: e for es in self.histories.values() for e in es}
        return {"QueryExecutions": [by_id[i] for i in QueryExecutionIds]}

    def get_query_results(self, QueryExecutionId: str, MaxResults: int, NextToken: str | None = None) -> Any:  # noqa: N803
        self.calls["GetQueryResults"] += 1
        row = self.results.get(QueryExecutionId)
        rows = [{"Data": [{"VarCharValue": "value"}]}] + ([{"Data": [{"VarCharValue": v} for v in row]}] if row else [])
        return {"ResultSet": {"Rows": rows, "ResultSetMetadata": {"ColumnInfo": [{"Name": "value"}]}}}


class Stack:
    """The ``Target`` (and the analyst's session) the readers ask for clients: every client is the stub."""

    region = "us-east-1"
    endpoint_url = None

    def __init__(self, athena: Athena) -> None:
        self.athena = athena

    def client(self, *_: Any, **__: Any) -> Athena:
        return self.athena


def _stack() -> Athena:
    """Three workgroups, each past ListQueryExecutions' first page, each holding one finding of one reader."""
    filler = [_execution(f"{wg}-{i}", "SELECT 1") for wg in ("a", "p", "t") for i in range(120)]
    return Athena(
        {
            ANALYST: [_execution("handed", "SELECT * FROM scratch.users_geo"), *filler[:120]],
            "primary": [*filler[120:240], _execution("exported", "SELECT ssn FROM gold.users", "s3://share/x/")],
            "pipeline": [
                *filler[240:],
                _execution(
                    "merged",
                    "MERGE INTO scratch.users_geo t USING gold.users s ON t.user_id = s.user_id "
                    "WHEN MATCHED THEN UPDATE SET country = s.ssn",
                ),
            ],
        },
        {"handed": [SSN]},
    )


def test_one_listing_per_workgroup_serves_the_three_readers_with_the_same_evidence() -> None:
    athena = _stack()
    stack = cast(Target, Stack(athena))

    histories = read_histories(stack, ANALYST)
    copies, errors, _ = read_copies(stack, histories, CATALOG, ["ssn"])
    folders = past_results(histories, ANALYST, ["s3://results/wg/"], hidden_reads(CATALOG, ["ssn"], copies))
    rb = healthy()
    read_shared_results(stack, histories[0], cast(Any, Stack(athena)), rb, HiddenValues([SSN]))

    assert [h.work_group for h in histories] == [ANALYST, "primary", "pipeline"]
    # 121 executions each: 3 ListQueryExecutions pages and 3 BatchGetQueryExecution calls per workgroup, once.
    assert {op: n for op, n in athena.calls.items() if op != "GetQueryResults"} == {
        "ListWorkGroups": 1,
        f"ListQueryExecutions {ANALYST}": 3,
        "ListQueryExecutions primary": 3,
        "ListQueryExecutions pipeline": 3,
        "BatchGetQueryExecution": 9,
    }
    assert [c.describe() for c in copies] == [
        "scratch.users_geo (country from gold.users.ssn), written by query merged of workgroup pipeline"
    ]
    assert folders.folders == {"s3://share/x/": "primary, query exported"}
    assert any("query handed" in p for p in shared_result_problems(rb)), shared_result_problems(rb)
    assert errors == folders.errors == rb.read_errors == []


def _long(copy_is_oldest_of: int) -> Athena:
    """A workgroup of ``copy_is_oldest_of`` executions whose oldest CTAS copied ssn (newer ones copy nothing)."""
    newer = [_execution(f"q{i}", "SELECT 1", "s3://elsewhere/") for i in range(copy_is_oldest_of - 1)]
    oldest = _execution("copy", "CREATE TABLE scratch.t AS SELECT ssn AS tax_id FROM gold.users", "s3://share/t/")
    return Athena({"team": [*newer, oldest]}, {"copy": [SSN]})


def test_a_history_longer_than_the_bound_errs_naming_the_workgroup_in_every_reader() -> None:
    history = read_history(_long(101), "team", limit=100)

    assert history.cut and len(history.executions) == 100
    statements = read_statements([history])
    locations = execution_locations([history], reads=hidden_reads(CATALOG, ["ssn"]))
    shared = shared_results(history, _long(101), HiddenValues([SSN]))
    for errors, what in [
        (statements.errors, "a copy of a hidden column made"),
        (locations.errors, "a result written outside the workgroup's locations"),
        (shared.errors, "a result handing the analyst a hidden value"),
    ]:
        assert errors == [
            f"workgroup team lists more than 100 query executions (its 100 newest read): {what} by an older one "
            "cannot be judged"
        ]


def test_a_history_within_the_bound_is_read_whole_and_its_oldest_copy_found() -> None:
    athena = _long(100)
    history = read_history(athena, "team", limit=100)

    assert not history.cut and history.executions[-1]["QueryExecutionId"] == "copy"
    assert [s.query_id for s in read_statements([history]).statements] == ["copy"]
    assert execution_locations([history], reads=hidden_reads(CATALOG, ["ssn"])).folders == {
        "s3://share/t/": "team, query copy"
    }
    assert athena.calls == {"ListQueryExecutions team": 2, "BatchGetQueryExecution": 2}


def test_executions_athena_did_not_return_are_errors_of_each_reader() -> None:
    history = WorkGroupHistory("team", (), (("q9", "INTERNAL_ERROR boom"),))
    assert read_statements([history]).errors == [
        "could not read query q9 of workgroup team (a table it wrote could hold a hidden column): INTERNAL_ERROR boom"
    ]
    assert execution_locations([history]).errors == [
        "could not read where query q9 of workgroup team wrote its results: INTERNAL_ERROR boom"
    ]
