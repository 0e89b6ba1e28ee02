"""Exit check 6 reads the analyst's own workgroup history as the analyst (``query_results.shared_results``)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from lakehouse.checks.hidden_values import HiddenValues
from lakehouse.checks.query_results import HiddenReads, shared_results

READS = HiddenReads(frozenset({"ssn"}), frozenset({("gold", "users")}))
VALUES = HiddenValues(["123-45-6789", "987-65-4321"])


def _execution(query_id: str, sql: str, state: str = "SUCCEEDED", kind: str = "DML") -> dict[str, Any]:
    return {"QueryExecutionId": query_id, "Query": sql, "Status": {"State": state}, "StatementType": kind}


class History:
    """ListQueryExecutions/BatchGetQueryExecution of one workgroup (the privileged reader)."""

    def __init__(self, *executions: dict[str, Any]) -> None:
        self.executions = list(executions)

    def list_query_executions(self, **_: Any) -> dict[str, Any]:
        return {"QueryExecutionIds": [e["QueryExecutionId"] for e in self.executions]}

    def batch_get_query_execution(self, QueryExecutionIds: list[str]) -> dict[str, Any]:  # noqa: N803
        return {"QueryExecutions": [e for e in self.executions if e["QueryExecutionId"] in QueryExecutionIds]}


class Results:
    """GetQueryResults as the analyst: query id -> (columns, rows) or the ClientError it raises."""

    def __init__(self, answers: dict[str, tuple[list[str], list[list[str]]] | ClientError]) -> None:
        self.answers, self.calls = answers, 0

    def get_query_results(self, QueryExecutionId: str, MaxResults: int, NextToken: str | None = None) -> Any:  # noqa: N803
        self.calls += 1
        answer = self.answers[QueryExecutionId]
        if isinstance(answer, ClientError):
            raise answer
        columns, rows = answer
        data = [[{"VarCharValue": c} for c in columns]] + [[{"VarCharValue": v} for v in r] for r in rows]
        return {
            "ResultSet": {
                "Rows": [{"Data": d} for d in data[:MaxResults]],
                "ResultSetMetadata": {"ColumnInfo": [{"Name": c} for c in columns]},
            }
        }


def _error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "GetQueryResults")


def test_only_succeeded_selects_that_could_read_ssn_are_fetched_and_values_searched_when_named() -> None:
    history = History(
        _execution("whole", "SELECT * FROM gold.users"),
        _execution("renamed", "SELECT user_id, ssn AS tax_id FROM gold.users"),
        _execution("refused", 'SELECT "ssn" FROM gold.users LIMIT 1', state="FAILED"),
        _execution("ctas", "CREATE TABLE gold.x AS SELECT * FROM gold.users", kind="DDL"),
        _execution("elsewhere", "SELECT * FROM sales.orders"),
    )
    results = Results(
        {
            "whole": (["user_id", "ssn"], [["1", "123-45-6789"]]),
            "renamed": (["user_id", "tax_id"], [["1", "123-45-6789"], ["2", "987-65-4321"], ["3", "x"]]),
        }
    )
    found = shared_results(history, results, "analyst", READS, VALUES)
    assert found.errors == []
    by_id = {r.query_id: r for r in found.results}
    assert sorted(by_id) == ["renamed", "whole"]
    assert by_id["whole"].columns == ["user_id", "ssn"] and by_id["whole"].leaks == {}  # columns only
    assert by_id["renamed"].leaks == {"tax_id": 2} and by_id["renamed"].rows == 3  # header row skipped


def test_a_result_refused_to_the_analyst_hands_nothing_and_other_failures_are_errors() -> None:
    history = History(
        _execution("athena", "SELECT * FROM gold.users"),
        _execution("s3", "SELECT * FROM gold.users"),
        _execution("boom", "SELECT * FROM gold.users"),
    )
    results = Results(
        {
            "athena": _error("AccessDeniedException", "not authorized to perform athena:GetQueryResults"),
            "s3": _error("InvalidRequestException", "Access Denied (Service: Amazon S3; Status Code: 403)"),
            "boom": _error("InternalServerException", "boom"),
        }
    )
    found = shared_results(history, results, "analyst", READS, VALUES)
    assert [(r.query_id, r.denied) for r in found.results] == [("athena", True), ("s3", True)]
    assert len(found.errors) == 1 and "query boom of its workgroup analyst" in found.errors[0]


def test_rows_past_the_bound_are_noted_not_searched() -> None:
    history = History(_execution("big", "SELECT ssn AS t FROM gold.users"))
    results = Results({"big": (["t"], [["x"], ["y"], ["123-45-6789"]])})
    found = shared_results(history, results, "analyst", READS, VALUES, max_rows=2)
    assert found.results[0].leaks == {}
    assert found.notes == [
        "query big of workgroup analyst: only the first 2 result rows were searched for hidden values"
    ]


def test_the_checkers_own_marked_probes_are_left_out_and_nothing_else() -> None:
    mark = "-- lakehouse-exit6 analyst probe"
    history = History(
        _execution("probe", f'SELECT "ssn" FROM gold.users LIMIT 1\n{mark}'),
        _execution("deployer", "SELECT * FROM gold.users"),
    )
    results = Results({"deployer": (["user_id", "ssn"], [["1", "123-45-6789"]])})
    found = shared_results(history, results, "analyst", READS, VALUES, own_mark=mark)
    assert [r.query_id for r in found.results] == ["deployer"] and results.calls == 1
