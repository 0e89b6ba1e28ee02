"""Exit check 7 counts the tiles as the dashboard opens: a variable's default can point them elsewhere.

A body whose rows name the stack's workgroup, under a ``property`` variable ``WorkGroup`` whose default
is another stack's workgroup, opens on that one: the rows as written watch the stack, the tiles do not.
"""

from __future__ import annotations

import json
from typing import Any

from lakehouse.checks.dashboard_metrics import count_metric_series
from lakehouse.checks.finops import judge_finops
from lakehouse.outcome import Status
from tests.unit.test_finops import WG, healthy, metric_widget

OURS = {"stack_id": "lh-1"}
OTHER_WG = "lakehouse-lh-2"
BYTES = ["AWS/Athena", "ProcessedBytes", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", WG]
TIME = ["AWS/Athena", "TotalExecutionTime", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", WG]
QUEUED = ["AWS/Athena", "QueryQueueTime", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", WG]


def workgroup_variable(**fields: Any) -> dict[str, Any]:
    return {"type": "property", "property": "WorkGroup", "inputType": "select", "id": "wg", **fields}


def judged(*variables: dict[str, Any]) -> Any:
    body = {"widgets": [metric_widget(BYTES, TIME, QUEUED)], "variables": list(variables)}
    data = healthy(
        stack_id="lh-1",
        budget_tags=OURS,
        alarm_tags=OURS,
        dashboard_body=json.dumps(body),
        own_names=frozenset({WG}),
    )
    drawn = count_metric_series(body)
    data.published_series = dict.fromkeys(drawn.series, True)  # both stacks publish
    return judge_finops(data)


def test_a_property_variable_defaulting_to_another_stacks_workgroup_shows_that_one() -> None:
    """Broken dashboard: three tiles on the stack's workgroup, opened on lh-2's by the variable's default."""
    result = judged(workgroup_variable(defaultValue=OTHER_WG, values=[{"value": OTHER_WG}, {"value": WG}]))
    assert result.status is Status.FAILED
    assert result.measured["dashboard_metric_series"] == 0
    reason = str(result.reason)
    assert f"WorkGroup={OTHER_WG} [ap-northeast-1]: another stack's (WorkGroup={OTHER_WG})" in reason
    assert (
        f"the dashboard opens elsewhere: variable wg (property 'WorkGroup') opens the dashboard at '{OTHER_WG}': "
        "3 value(s) in the widgets read so, not as written"
    ) in reason


def test_first_of_the_values_is_the_default() -> None:
    """Broken dashboard: ``__FIRST`` of a list that starts with another stack's workgroup."""
    result = judged(workgroup_variable(defaultValue="__FIRST", values=[{"value": OTHER_WG}, {"value": WG}]))
    assert result.status is Status.FAILED
    assert result.measured["dashboard_metric_series"] == 0


def test_first_result_of_a_search_is_not_known_from_the_body() -> None:
    """Broken dashboard: the tiles open on whatever workgroup a metric search lists first."""
    search = '{AWS/Athena,QueryState,QueryType,WorkGroup} MetricName="ProcessedBytes"'
    result = judged(workgroup_variable(defaultValue="__FIRST", search=search, populateFrom="WorkGroup"))
    assert result.status is Status.FAILED
    assert result.measured["dashboard_metric_series"] == 0
    assert any(
        "opens on whatever a search finds first (WorkGroup=(first search result of variable wg" in row
        for row in result.details["metric_rows_not_counted"]
    )


def test_a_pattern_variable_rewrites_the_widgets_strings() -> None:
    """Broken dashboard: a pattern variable replacing the stack's id in every string with another stack's."""
    result = judged({"type": "pattern", "pattern": "lh-1", "inputType": "input", "id": "stack", "defaultValue": "lh-2"})
    assert result.status is Status.FAILED
    assert result.measured["dashboard_metric_series"] == 0


def test_variables_that_open_on_the_stack_or_have_no_default_leave_the_tiles_as_written() -> None:
    """Healthy twin: a default naming the stack's own workgroup, first of a list that starts with it, or none."""
    for variable in (
        workgroup_variable(defaultValue=WG, values=[{"value": WG}, {"value": OTHER_WG}]),
        workgroup_variable(defaultValue="__FIRST", values=[{"value": WG}, {"value": OTHER_WG}]),
        workgroup_variable(values=[{"value": OTHER_WG}]),
        {"type": "pattern", "pattern": "lh-1", "inputType": "input", "id": "stack"},
    ):
        result = judged(variable)
        assert result.passed, (variable, result.reason)
        assert result.measured["dashboard_metric_series"] == 3
        assert result.details["dashboard_variables_applied"] == []
