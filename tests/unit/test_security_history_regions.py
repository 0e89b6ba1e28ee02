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
from lakehouse.checks.role_paths import reachable
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback, analyst_actor
from lakehouse.checks.security_queries import shared_result_problems
from lakehouse.checks.security_read import other_regions, read_other_histories
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
