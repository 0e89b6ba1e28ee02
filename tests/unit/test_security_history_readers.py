"""Exit check 6: a role the analyst can become that reads a workgroup's history holding a hidden value
(``history_readers``): the analyst's own Athena calls are not the only way to another workgroup's queries."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from lakehouse.checks import security_model
from lakehouse.checks.hidden_values import MASK
from lakehouse.checks.history_readers import RESULT, ShownExecution, read_shown, result_readers, work_group_arn
from lakehouse.checks.query_results import SharedResult, read_history
from lakehouse.checks.role_paths import Edge, RoleInfo, reachable
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback, analyst_actor, analyst_reach
from tests.unit.test_security import ACCOUNT
from tests.unit.test_security_role_paths import _allow, _policy, _trust, stack
from tests.unit.test_shared_results import VALUES, History, Results, _error, _execution

REGION = "eu-west-1"
PRIMARY = work_group_arn("primary", REGION, ACCOUNT)
ANALYSTS = work_group_arn("analysts", REGION, ACCOUNT)
READER = f"arn:aws:iam::{ACCOUNT}:role/lh-athena-reader"
LAMBDA = f"arn:aws:iam::{ACCOUNT}:role/lh-lambda-athena"
#: Where a deployer's query in ``primary`` (not enforcing its configuration) wrote its result: no lake location.
RESULTS_FILE = "s3://team-scratch-1/primary/res.csv"
#: The deployer's lookups in ``primary``: a value in the text, and a result holding values under another name.
LOOKUP = _execution("lookup", "SELECT user_id FROM silver.users WHERE ssn = '123-45-6789'")
EXPORT = {**_execution("export", "SELECT * FROM scratch.users_export"), "ResultConfiguration": {}}
CLEAN = _execution("count", "SELECT count(*) FROM gold.users")


class Athena(History, Results):
    """The privileged principal's Athena: one workgroup's history and its results."""

    def __init__(self, executions: list[dict[str, Any]], answers: dict[str, Any]) -> None:
        History.__init__(self, *executions)
        Results.__init__(self, answers)


def _with_output(execution: dict[str, Any], output: str = RESULTS_FILE) -> dict[str, Any]:
    return {**execution, "ResultConfiguration": {"OutputLocation": output}}


def _assumable(*statements: dict[str, Any]) -> dict[str, RoleInfo]:
    """A role trusting the analyst role by name (no identity policy needed to assume it)."""
    trust = _trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/lh-analyst"}, "TrustAnalyst")
    return {READER: RoleInfo(READER, trust, [_policy("inline policy athena", *statements)])}


def _passable(*statements: dict[str, Any]) -> dict[str, RoleInfo]:
    """A role trusting Lambda: the analyst may PassRole it and CreateFunction (stack(...) adds those)."""
    trust = _trust({"Service": "lambda.amazonaws.com"}, "TrustLambda")
    return {LAMBDA: RoleInfo(LAMBDA, trust, [_policy("inline policy athena", *statements)])}


PASS_AND_LAUNCH = (
    _allow("iam:PassRole", LAMBDA, sid="PassLambdaRole"),
    _allow("lambda:CreateFunction", "*", sid="MakeFunctions"),
)


def _judged(
    rb: SecurityReadback, executions: list[dict[str, Any]], answers: dict[str, Any] | None = None
) -> tuple[list[str], dict[str, Any], Athena]:
    """Read ``primary``'s history as the read side does (results only where a reachable role or user may fetch
    them), then judge: the problems of this kind, the whole details, and the stand-in (its calls)."""
    athena = Athena(executions, answers or {})
    history = read_history(athena, "primary")
    arns = {"primary": PRIMARY}
    reach = analyst_reach(rb)
    fetch = result_readers({**rb.roles, **rb.user_infos}, {**reach.roles, **reach.users}, arns)
    rb.shown_executions, errors = read_shown(athena, [history], VALUES, arns, fetch)
    rb.read_errors += errors
    result = judge_security(rb)
    return list(result.details["problems"]["role_workgroup_histories"]), result.details, athena


def _no_values(details: dict[str, Any]) -> None:
    text = json.dumps(details)
    assert "123-45-6789" not in text and "987-65-4321" not in text


# -- broken stacks ------------------------------------------------------------------------------------------------


def test_an_assumable_role_with_athena_star_on_star_reads_a_lookup_in_primary_and_fails() -> None:
    rb = stack(extra=_assumable(_allow("athena:*", "*")))
    answers = {"lookup": (["user_id"], [["1"]]), "count": (["_col0"], [["2"]])}
    problems, details, _ = _judged(rb, [LOOKUP, CLEAN], answers)
    (problem,) = problems
    assert "role lh-athena-reader (role lh-athena-reader (assumes it" in problem.replace("analyst lh-analyst -> ", "")
    assert f"athena:GetQueryExecution on workgroup primary ({PRIMARY}" in problem
    assert "query lookup of workgroup primary" in problem and "ssn in its query text" in problem
    assert f"WHERE ssn = '{MASK}'" in problem
    assert details["workgroup_histories"]["role_reads"][0]["role"] == READER
    _no_values(details)


def test_a_passable_lambda_role_reading_primarys_results_fails() -> None:
    """PassRole + CreateFunction of a role with Athena's result reads on ``primary`` and the result bucket."""
    rb = stack(
        *PASS_AND_LAUNCH,
        extra=_passable(
            _allow(["athena:GetQueryResults", "athena:GetQueryExecution"], PRIMARY, sid="ReadPrimary"),
            _allow("s3:GetObject", "arn:aws:s3:::team-scratch-1/*", sid="ReadResults"),
        ),
    )
    export = _with_output(EXPORT)
    problems, details, athena = _judged(
        rb, [export, CLEAN], {"export": (["id", "tax_id"], [["1", "987-65-4321"]]), "count": (["_col0"], [["2"]])}
    )
    assert athena.calls == 2  # the privileged principal searched both results
    found = [p for p in problems if "query export of workgroup primary" in p]
    assert len(found) == 1, problems
    assert "may pass it to a service that runs as it" in found[0]
    assert f"athena:GetQueryResults on workgroup primary ({PRIMARY}" in found[0]
    assert f"in its {RESULT}" in found[0] and "ReadResults" in found[0]
    _no_values(details)


def test_a_passable_lambda_role_reading_a_lookups_text_in_primary_fails() -> None:
    rb = stack(*PASS_AND_LAUNCH, extra=_passable(_allow("athena:GetQueryExecution", PRIMARY, sid="ReadPrimary")))
    (problem,) = _judged(rb, [LOOKUP])[0]
    assert "role lh-lambda-athena" in problem and "in its query text" in problem


def test_a_managed_result_needs_no_s3_read_and_fails() -> None:
    rb = stack(extra=_assumable(_allow("athena:GetQueryResults", "*")))
    problems, _, _ = _judged(rb, [EXPORT], {"export": (["id", "tax_id"], [["1", "987-65-4321"]])})
    (problem,) = problems
    assert "athena:GetQueryResults" in problem and "no OutputLocation" in problem


def test_a_result_the_privileged_principal_cannot_read_is_an_error_naming_the_roles() -> None:
    rb = stack(extra=_assumable(_allow("athena:*", "*")))
    _judged(rb, [_with_output(EXPORT)], {"export": _error("InternalServerException", "boom")})
    errors = [e for e in rb.read_errors if "query export" in e]
    assert errors and READER in errors[0] and "workgroup primary" in errors[0]
    assert not judge_security(rb).passed


# -- healthy twins ------------------------------------------------------------------------------------------------


def test_a_reachable_role_without_athena_reads_on_that_workgroup_passes() -> None:
    rb = stack(extra=_assumable(_allow("athena:*", ANALYSTS, sid="OwnWorkgroup"), _allow("athena:ListWorkGroups", "*")))
    problems, details, athena = _judged(rb, [LOOKUP, _with_output(EXPORT)])
    assert problems == [] and athena.calls == 0  # no role may fetch primary's results: none searched
    assert judge_security(rb).passed, judge_security(rb).reason
    assert details["workgroup_histories"]["executions_showing_hidden_values"][0]["query_id"] == "lookup"


def test_a_role_fetching_results_without_the_s3_read_of_the_file_passes() -> None:
    """Athena serves a result only to a caller that may read its file: athena:* alone fetches nothing."""
    rb = stack(extra=_assumable(_allow("athena:GetQueryResults", "*")))
    problems, _, athena = _judged(rb, [_with_output(EXPORT)], {"export": (["tax_id"], [["987-65-4321"]])})
    assert athena.calls == 1 and problems == []


def test_a_workgroup_whose_history_holds_no_value_passes() -> None:
    rb = stack(
        extra=_assumable(_allow("athena:*", "*"), _allow("s3:GetObject", "arn:aws:s3:::team-scratch-1/primary/*"))
    )
    problems, details, _ = _judged(rb, [_with_output(CLEAN)], {"count": (["_col0"], [["2"]])})
    assert problems == [] and details["workgroup_histories"]["executions_showing_hidden_values"] == []
    result = judge_security(rb)
    assert result.passed, result.reason


def test_a_role_the_analyst_cannot_become_is_not_judged() -> None:
    rb = stack()
    rb.roles[READER] = RoleInfo(READER, _trust({"Service": "glue.amazonaws.com"}), [_policy("p", _allow("*", "*"))])
    assert _judged(rb, [LOOKUP])[0] == []


def test_the_analysts_own_fetch_is_reused_not_repeated() -> None:
    athena = Athena([_with_output(EXPORT)], {})
    history = read_history(athena, "primary")
    known = [SharedResult("export", "", leaks={"tax_id": 1}, work_group="primary", own=False)]
    found, errors = read_shown(athena, [history], VALUES, {"primary": PRIMARY}, {"primary": [READER]}, known)
    assert errors == [] and athena.calls == 0 and [e.shown for e in found] == [(RESULT,)]


# -- named once ---------------------------------------------------------------------------------------------------

OWN_LOOKUP = ShownExecution("analysts", ANALYSTS, "lookup", f"SELECT 1 WHERE ssn = '{MASK}'", ("query text",))


def _own(query_id: str, **seen: Any) -> SharedResult:
    """What the analyst's own calls were handed of an execution of its own workgroup."""
    return SharedResult(query_id, "SELECT ...", work_group="analysts", own=True, **seen)


def test_a_reachable_role_reading_the_analysts_own_workgroup_is_named_once_as_the_analysts() -> None:
    rb = stack(extra=_assumable(_allow("athena:*", ANALYSTS, sid="OwnWorkgroup")))
    rb.shared_results = [_own("lookup", shown=["query text"])]
    rb.shown_executions = [OWN_LOOKUP]
    result = judge_security(rb)
    assert len(result.details["problems"]["analyst_workgroup_results"]) == 1
    assert result.details["problems"]["role_workgroup_histories"] == []
    assert result.details["workgroup_histories"]["role_reads"] == [] and not result.passed


def test_what_a_role_reads_beyond_the_analysts_own_calls_is_still_named() -> None:
    """The analyst saw the lookup's text but was refused its result: the role fetching the result is named, for it."""
    rb = stack(extra=_assumable(_allow("athena:*", ANALYSTS, sid="OwnWorkgroup")))
    rb.shared_results = [_own("lookup", shown=["query text"], denied=True)]
    rb.shown_executions = [replace(OWN_LOOKUP, shown=("query text", RESULT))]
    (problem,) = judge_security(rb).details["problems"]["role_workgroup_histories"]
    assert "athena:GetQueryResults on workgroup analysts" in problem and "in its result (" in problem
    assert "query text" not in problem


# -- one reach per judgement --------------------------------------------------------------------------------------


def test_the_roles_the_analyst_reaches_are_computed_once_per_judgement(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def counted(*args: Any, **kwargs: Any) -> dict[str, list[Edge]]:
        calls.append("reachable")
        return reachable(*args, **kwargs)

    rb = stack(extra=_assumable(_allow("athena:*", "*")))
    rb.shown_executions = [replace(OWN_LOOKUP, work_group="primary", work_group_arn=PRIMARY)]
    before = judge_security(rb).details
    monkeypatch.setattr(security_model, "reachable", counted)
    assert judge_security(rb).details == before and calls == ["reachable"]
    rb.reached = reachable(analyst_actor(rb), ACCOUNT, rb.roles)  # as the read leaves it
    assert judge_security(rb).details == before and calls == ["reachable"]
