"""Exit check 6 reads the analyst's own workgroup history as the analyst (``query_results.shared_results``)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from lakehouse.checks.hidden_values import HiddenValues
from lakehouse.checks.query_results import read_history, shared_results
from lakehouse.checks.security_queries import shared_result_problems

from .test_security import healthy

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


def test_every_succeeded_select_is_fetched_and_searched_by_value() -> None:
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
            "elsewhere": (["order_id", "amount"], [["7", "12.50"]]),
        }
    )
    found = shared_results(read_history(history, "analyst"), results, VALUES)
    assert found.errors == []
    by_id = {r.query_id: r for r in found.results}
    assert sorted(by_id) == ["elsewhere", "renamed", "whole"]
    assert by_id["whole"].leaks == {"ssn": 1}
    assert by_id["renamed"].leaks == {"tax_id": 2} and by_id["renamed"].rows == 3  # header row skipped
    assert by_id["elsewhere"].leaks == {} and by_id["elsewhere"].rows == 1


#: Privileged queries run in the analyst's workgroup whose results copy ssn, found neither by the query's text
#: (no ssn, no table of a database holding it) nor by the result's column names.
COPIES = {
    "copy": ("SELECT * FROM scratch.users_export", ["user_id", "tax_id"], [["1", "123-45-6789"]]),
    "view": ("SELECT * FROM gold.users_v", ["user_id", "ref"], [["1", "987-65-4321"]]),
    "json": (
        "SELECT CAST(CAST(ROW(u.*) AS ROW(id bigint, tax varchar)) AS JSON) FROM gold.users u",
        ["_col0"],
        [['{"id":1,"tax":"123-45-6789"}']],
    ),
    "joined": (  # names ssn, but the value sits inside one longer token
        "SELECT concat_ws('-', CAST(user_id AS varchar), ssn) AS ref FROM gold.users",
        ["ref"],
        [["42-123-45-6789"]],
    ),
}
#: Results of the same workgroup that hold no ssn value: they must stay green.
CLEAN = {
    "count": ("SELECT count(*) FROM gold.users", ["_col0"], [["2"]]),
    "granted": ("SELECT user_id, email FROM gold.users", ["user_id", "email"], [["1", "a@example.com"]]),
}


def _judged(cases: dict[str, tuple[str, list[str], list[list[str]]]]) -> list[str]:
    history = History(*(_execution(query_id, sql) for query_id, (sql, _, _) in cases.items()))
    results = Results({query_id: (columns, rows) for query_id, (_, columns, rows) in cases.items()})
    found = shared_results(read_history(history, "analyst"), results, VALUES)
    assert found.errors == []
    rb = healthy()
    rb.shared_results = found.results
    return shared_result_problems(rb)


def test_a_result_copying_ssn_under_any_name_or_inside_a_value_fails() -> None:
    """The copies pass on main: their rows were searched only when the query named ssn, and not at all when it
    named no table of a database holding it; ``42-123-45-6789`` is one token whose digits are no value's."""
    problems = _judged({**COPIES, **CLEAN})
    missed = [
        query_id
        for query_id, (_, columns, _) in COPIES.items()
        if not any(p.startswith(f"query {query_id} ") and f"of ssn in {columns[-1]}," in p for p in problems)
    ]
    assert missed == [], problems
    assert len(problems) == len(COPIES), problems


def test_results_holding_no_ssn_value_pass() -> None:
    assert _judged(CLEAN) == []


def test_an_empty_result_with_a_column_named_ssn_shows_nothing_and_passes() -> None:
    """A tool reading the schema (``LIMIT 0``) hands over no value (red on main: judged by the column's name)."""
    assert _judged({"schema": ("SELECT * FROM gold.users LIMIT 0", ["user_id", "ssn"], [])}) == []


def test_a_column_named_ssn_with_rows_fails_even_when_no_known_value_is_in_it() -> None:
    """Values the privileged read did not see (past ``MAX_VALUES``, another table's) still come under the name."""
    (problem,) = _judged({"other": ("SELECT * FROM gold.users", ["user_id", "ssn"], [["1", "555-00-1111"]])})
    assert problem.startswith("query other ") and "holding ssn," in problem


def test_a_result_refused_to_the_analyst_hands_nothing_and_other_failures_are_errors() -> None:
    history = History(  # the failure first: Athena's refusal of one result is its refusal of the workgroup's rest
        _execution("boom", "SELECT * FROM gold.users"),
        _execution("s3", "SELECT * FROM gold.users"),
        _execution("athena", "SELECT * FROM gold.users"),
    )
    results = Results(
        {
            "athena": _error("AccessDeniedException", "not authorized to perform athena:GetQueryResults"),
            "s3": _error("InvalidRequestException", "Access Denied (Service: Amazon S3; Status Code: 403)"),
            "boom": _error("InternalServerException", "boom"),
        }
    )
    found = shared_results(read_history(history, "analyst"), results, VALUES)
    assert [(r.query_id, r.denied) for r in found.results] == [("s3", True), ("athena", True)]
    assert len(found.errors) == 1 and "query boom of its workgroup analyst" in found.errors[0]


def test_rows_past_the_bound_are_noted_not_searched() -> None:
    history = History(_execution("big", "SELECT ssn AS t FROM gold.users"))
    results = Results({"big": (["t"], [["x"], ["y"], ["123-45-6789"]])})
    found = shared_results(read_history(history, "analyst"), results, VALUES, max_rows=2)
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
    found = shared_results(read_history(history, "analyst"), results, VALUES, own_mark=mark)
    assert [r.query_id for r in found.results] == ["deployer"] and results.calls == 1


# -- the execution itself: query text and error message (GetQueryExecution) -------------------------------------

#: Executions of the analyst's workgroup whose *text* hands over a value, whatever their state or result: a query
#: naming one, an INSERT of literal rows, a failed cast Athena quotes the value of.
TEXTS = {
    "lookup": (_execution("lookup", "SELECT user_id FROM gold.users WHERE ssn = '123-45-6789'"), ["query text"]),
    "insert": (
        _execution("insert", "INSERT INTO gold.users VALUES (9, 'z@example.com', '987-65-4321', 'JP')"),
        ["query text"],
    ),
    "cast": (
        {
            **_execution("cast", "SELECT CAST(ssn AS integer) FROM gold.users", state="FAILED"),
            "Status": {
                "State": "FAILED",
                "StateChangeReason": "INVALID_CAST_ARGUMENT: Cannot cast '123-45-6789' to INT",
                "AthenaError": {"ErrorMessage": "INVALID_CAST_ARGUMENT: Cannot cast '123-45-6789' to INT"},
            },
        },
        ["error message"],
    ),
    "ddl": (
        _execution("ddl", "ALTER TABLE gold.users SET TBLPROPERTIES ('note' = '987654321')", kind="DDL"),
        ["query text"],
    ),
}
#: Texts without a value (a masked one, another number, an error quoting no value): green.
PLAIN_TEXTS = {
    "masked": _execution("masked", "SELECT user_id FROM gold.users WHERE ssn LIKE '%-6789'"),
    "other": _execution("other", "SELECT * FROM gold.users WHERE user_id = 1234567890", state="FAILED"),
    "refused": {
        **_execution("refused", 'SELECT "ssn" FROM gold.users', state="FAILED"),
        "Status": {"State": "FAILED", "StateChangeReason": "COLUMN_NOT_FOUND: Column 'ssn' cannot be resolved"},
    },
}


class Executions(Results):
    """GetQueryResults and GetQueryExecution as the analyst: the same executions, or the ClientError raised."""

    def __init__(
        self,
        answers: dict[str, tuple[list[str], list[list[str]]] | ClientError],
        executions: dict[str, dict[str, Any] | ClientError],
    ) -> None:
        super().__init__(answers)
        self.executions, self.asked = executions, []

    def get_query_execution(self, QueryExecutionId: str) -> Any:  # noqa: N803
        self.asked.append(QueryExecutionId)
        answer = self.executions[QueryExecutionId]
        if isinstance(answer, ClientError):
            raise answer
        return {"QueryExecution": answer}


def _found(executions: list[dict[str, Any]], analyst: dict[str, dict[str, Any] | ClientError] | None = None) -> Any:
    answers = {e["QueryExecutionId"]: (["user_id"], [["1"]]) for e in executions}
    athena = Executions(answers, analyst if analyst is not None else {e["QueryExecutionId"]: e for e in executions})
    return shared_results(read_history(History(*executions), "analyst"), athena, VALUES), athena


def test_a_value_in_the_query_text_or_error_message_of_any_execution_fails() -> None:
    """Red on main: only succeeded DML results were read; the analyst's GetQueryExecution of its own workgroup
    returns each query's text and error message, whoever ran it and whatever became of it."""
    found, _ = _found([e for e, _ in TEXTS.values()])
    assert found.errors == []
    assert {r.query_id: r.shown for r in found.results} == {q: shown for q, (_, shown) in TEXTS.items()}
    rb = healthy()
    rb.shared_results = found.results
    problems = shared_result_problems(rb)
    assert len(problems) == len(TEXTS), problems
    assert problems[0] == (
        "query lookup of the analyst's own workgroup (`SELECT user_id FROM gold.users WHERE ssn = '<hidden value>'`) "
        "shows values of ssn in its query text, and the analyst's GetQueryExecution hands it over: its workgroup's "
        "history is the analyst's to read, whoever ran the query"
    )
    assert not any(v in p for p in problems for v in ("123-45-6789", "987-65-4321", "987654321"))  # masked
    assert all("123-45-6789" not in str(r.to_dict()) for r in found.results)


def test_texts_without_a_value_pass_and_the_analyst_is_asked_only_about_those_with_one() -> None:
    found, athena = _found(list(PLAIN_TEXTS.values()))
    rb = healthy()
    rb.shared_results = found.results
    assert found.errors == [] and shared_result_problems(rb) == []
    assert athena.asked == []  # the privileged listing found no value: nothing to confirm as the analyst
    assert [r.query_id for r in found.results] == ["masked"]  # the only succeeded DML: its result read


def test_an_execution_the_analyst_may_not_read_shows_it_nothing_and_other_failures_are_errors() -> None:
    lookup, cast = TEXTS["lookup"][0], TEXTS["cast"][0]
    denied = _error("AccessDeniedException", "not authorized to perform athena:GetQueryExecution")
    found, athena = _found([cast, lookup], {"lookup": denied, "cast": _error("InternalServerException", "boom")})
    assert athena.asked == ["cast", "lookup"]
    assert [(r.query_id, r.shown) for r in found.results] == [("lookup", [])]  # its result still read: no value
    assert len(found.errors) == 1 and "query cast (GetQueryExecution)" in found.errors[0]
    assert "123-45-6789" not in found.errors[0]


# -- other workgroups: what the analyst's IAM lets it read there (``own=False``) --------------------------------


def _other(executions: list[dict[str, Any]], analyst: Executions) -> list[str]:
    found = shared_results(read_history(History(*executions), "primary"), analyst, VALUES, own=False)
    assert found.errors == []
    rb = healthy()
    rb.shared_results = found.results
    return shared_result_problems(rb)


def test_a_lookup_in_another_workgroup_the_analyst_may_read_fails_naming_it() -> None:
    """Red on main: only the analyst's own workgroup was read as the analyst (``primary``'s lookup passed)."""
    lookup = _execution("lookup", "SELECT * FROM silver.users WHERE ssn = '123-45-6789'")
    analyst = Executions({"lookup": (["user_id", "ssn"], [["1", "123-45-6789"]])}, {"lookup": lookup})
    problems = _other([lookup], analyst)
    assert len(problems) == 2, problems
    assert problems[0].startswith(
        "query lookup of workgroup primary (`SELECT * FROM silver.users WHERE ssn = '<hidden value>'`) shows values "
        "of ssn in its query text, and the analyst's GetQueryExecution hands it over: the analyst's IAM lets it read"
    )
    assert "has a result holding ssn, and the analyst's GetQueryResults hands it over" in problems[1]


def test_another_workgroup_athena_refuses_is_asked_once_per_operation_and_kept_out() -> None:
    """Athena's IAM decides on the workgroup's ARN: its refusal of one execution is its refusal of them all, so a
    ``primary`` of thousands of queries costs one call per operation; refusals are not evidence there."""
    executions = [
        _execution(f"q{i}", f"SELECT * FROM gold.users WHERE ssn = '{v}'") for i, v in enumerate(VALUES.exact)
    ]
    executions += [_execution("count", "SELECT count(*) FROM gold.users")]
    denied = {
        op: _error("AccessDeniedException", f"User: x is not authorized to perform: athena:{op} on resource: y")
        for op in ("GetQueryExecution", "GetQueryResults")
    }
    answers: dict[str, Any] = {e["QueryExecutionId"]: denied["GetQueryResults"] for e in executions}
    analyst = Executions(answers, {e["QueryExecutionId"]: denied["GetQueryExecution"] for e in executions})
    found = shared_results(read_history(History(*executions), "primary"), analyst, VALUES, own=False)
    assert found.errors == [] and found.results == []
    assert found.refused == {"GetQueryExecution", "GetQueryResults"}
    assert analyst.asked == ["q0"] and analyst.calls == 1


def test_s3_refusing_one_result_file_is_not_taken_for_the_workgroup() -> None:
    """S3 decides per result file: the next result of the workgroup is still fetched (and here holds a value)."""
    first = _execution("first", "SELECT * FROM gold.users")
    second = _execution("second", "SELECT user_id, ssn AS t FROM gold.users")
    s3 = _error("InvalidRequestException", "Access Denied (Service: Amazon S3; Status Code: 403)")
    analyst = Executions({"first": s3, "second": (["user_id", "t"], [["1", "987-65-4321"]])}, {})
    problems = _other([first, second], analyst)
    assert analyst.calls == 2
    assert len(problems) == 1 and problems[0].startswith("query second of workgroup primary ")


def test_another_workgroup_the_analyst_reads_without_values_passes() -> None:
    clean = [_execution("count", "SELECT count(*) FROM gold.users"), _execution("mail", "SELECT email FROM gold.users")]
    analyst = Executions({"count": (["_col0"], [["2"]]), "mail": (["email"], [["a@example.com"]])}, {})
    assert _other(clean, analyst) == []
