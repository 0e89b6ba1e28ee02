"""KPI cost: the custom CloudWatch metrics the stack publishes are billed, not only the alarms that watch them.

The estimate priced each alarm per metric it evaluates (0.10 USD) and the metrics themselves at nothing, yet
CloudWatch bills every metric outside ``AWS/`` 0.30 USD a month for existing. The broken root: 45 alarms (a
``for_each`` over tables) each on its own ``Lakehouse/Pipeline`` metric, 4.50 USD of alarms and 13.50 USD of
metrics on top of the rest, passed the 20 USD cap at 9.34 USD; so did ten metric-math alarms summing five
metrics each, and an alarm on a Metrics Insights query (billed per metric its ``SELECT`` analyzes) at one metric.
Healthy twins: alarms sharing one metric count it once, ``AWS/`` metrics cost nothing, the committed stack passes.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.kpi.cost import (
    CostEstimate,
    estimate_cost,
    judge_cost,
    load_prices,
    load_usage,
    parse_infracost,
    planned_resources,
    price_the_unpriced,
)
from lakehouse.kpi.custom_metrics import Metric, watched
from lakehouse.kpi.datafile import DataFileError
from lakehouse.outcome import Outcome, Status
from tests.unit.plan_docs import BUDGET, REGION, pause_values, plan, resource

NAMESPACE = "Lakehouse/Pipeline"
LINE = f"CloudWatch custom metrics in {REGION}"
#: The stack's own alarms (infra/alarms.tf): one per pipeline metric, dimension StackId.
PIPELINE = ("Failures", "RowsRefused", "EmptyInputFiles", "LineageEventsUndelivered", "GoldUnreadableTables")


def _alarm(name: str, metric: str, namespace: str = NAMESPACE, **dimensions: str) -> dict[str, Any]:
    values = {
        "namespace": namespace,
        "metric_name": metric,
        "dimensions": dimensions or {"StackId": "x"},
        "period": 300,
        "metric_query": [],
        "threshold_metric_id": None,
    }
    return resource(f"aws_cloudwatch_metric_alarm.{name}", "aws_cloudwatch_metric_alarm", values)


def _math_alarm(name: str, metrics: list[str]) -> dict[str, Any]:
    """A metric-math alarm summing ``metrics`` (Terraform's metric_query blocks, the top-level metric unset)."""
    queries: list[dict[str, Any]] = [
        {
            "id": f"m{i}",
            "expression": None,
            "metric": [{"namespace": NAMESPACE, "metric_name": m, "dimensions": {"StackId": "x"}, "period": 300}],
        }
        for i, m in enumerate(metrics)
    ]
    queries.append({"id": "e1", "expression": "SUM(METRICS())", "return_data": True, "metric": []})
    values = {"namespace": None, "metric_name": None, "period": None, "metric_query": queries}
    return resource(f"aws_cloudwatch_metric_alarm.{name}", "aws_cloudwatch_metric_alarm", values)


def _judge(extra: list[dict[str, Any]]) -> tuple[CostEstimate, Outcome]:
    resources = planned_resources(plan(pause_values(), extra=extra), REGION)
    estimate = estimate_cost(resources, load_prices(), load_usage(), target_region=REGION)
    return estimate, judge_cost(estimate, 20.0, BUDGET)


def _line(estimate: CostEstimate) -> Any:
    [line] = [line for line in estimate.lines if line.address == LINE]
    return line


def test_alarms_on_forty_five_custom_metrics_fail_the_cap_naming_the_metrics() -> None:
    alarms = [_alarm(f'table["t{i}"]', "RowsRefused", StackId="x", Table=f"t{i}") for i in range(45)]
    estimate, result = _judge(alarms)
    assert result.status is Status.FAILED, result.reason
    assert f"{LINE} 13.50" in str(result.reason)  # 45 metrics x 0.30, named first among the dearest lines
    line = _line(estimate)
    assert line.components[0].quantity == 45 and line.components[0].unit_price_usd == pytest.approx(0.30)
    assert "45 custom metric(s) the plan's alarms watch" in line.carries


def test_metric_math_alarms_bill_each_custom_metric_they_sum() -> None:
    alarms = [_math_alarm(f'sum["s{i}"]', [f"Rows{i}_{j}" for j in range(5)]) for i in range(10)]
    estimate, result = _judge(alarms)
    assert result.status is Status.FAILED, result.reason
    assert _line(estimate).components[0].quantity == 50


def test_an_alarm_on_a_metrics_insights_query_is_unpriced_naming_it() -> None:
    query = {
        "id": "q1",
        "expression": f'SELECT MAX(RowsRefused) FROM SCHEMA("{NAMESPACE}", StackId, Table) GROUP BY Table',
        "period": 300,
        "return_data": True,
        "metric": [],
    }
    alarm = resource("aws_cloudwatch_metric_alarm.insights", "aws_cloudwatch_metric_alarm", {"metric_query": [query]})
    estimate, result = _judge([alarm])
    assert result.status is Status.ERROR, result.reason
    assert (
        "aws_cloudwatch_metric_alarm.insights (aws_cloudwatch_metric_alarm) has no price: its metric query q1 is a "
        "Metrics Insights query"
    ) in str(result.reason)
    assert "per metric the query analyzes" in str(result.reason)
    assert "aws_cloudwatch_metric_alarm.insights" not in {line.address for line in estimate.lines}


def test_the_infracost_path_adds_the_custom_metrics_it_does_not_price() -> None:
    alarms = [_alarm(f'table["t{i}"]', "RowsRefused", StackId="x", Table=f"t{i}") for i in range(45)]
    resources = planned_resources(plan(pause_values(), extra=alarms), REGION)
    answer = {  # the 2026 CLI pricing each alarm (0.10 USD), the rest left to the table
        "projects": [
            {
                "resources": [
                    {
                        "name": r.address,
                        "type": r.type,
                        "cost_components": [
                            {"name": "Alarm", "quantity": "1", "price": "0.1", "total_monthly_cost": "0.1"}
                        ],
                    }
                    if r.type == "aws_cloudwatch_metric_alarm"
                    else {"name": r.address, "type": r.type, "is_supported": False}
                    for r in resources
                ]
            }
        ],
        "summary": {"total_monthly_cost": "5.0"},
    }
    estimate = price_the_unpriced(parse_infracost(answer), resources, load_prices(), load_usage(), REGION)
    result = judge_cost(estimate, 20.0, BUDGET)
    assert result.status is Status.FAILED, result.reason
    assert _line(estimate).monthly_usd == pytest.approx(13.5)
    assert "fixtures prices" in _line(estimate).components[0].name


# -- healthy twins ----------------------------------------------------------------------------------------


def test_the_stacks_own_alarms_price_the_pipelines_seven_metrics_and_pass() -> None:
    alarms = [_alarm(f'pipeline_["{m}"]', m) for m in PIPELINE]
    alarms.append(_alarm("pipeline_again", "Failures"))  # a second alarm on the same metric: one metric billed
    estimate, result = _judge(alarms)
    assert result.passed, result.reason
    line = _line(estimate)
    assert line.components[0].quantity == 7  # usage.yml: Runs is published, and no alarm watches it
    assert line.monthly_usd == pytest.approx(2.1)
    assert "5 custom metric(s) the plan's alarms watch" in line.carries


def test_alarms_on_aws_metrics_add_no_custom_metric() -> None:
    alarms = [_alarm(f"s3_{i}", "NumberOfObjects", "AWS/S3", BucketName=f"b{i}") for i in range(20)]
    estimate, result = _judge(alarms)
    assert result.passed, result.reason
    assert _line(estimate).components[0].quantity == 7


def test_metric_math_over_a_few_metrics_stays_priced() -> None:
    estimate, result = _judge([_math_alarm("sum", ["Failures", "RowsRefused"])])
    assert result.passed, result.reason
    assert "aws_cloudwatch_metric_alarm.sum" in {line.address for line in estimate.lines}


def test_a_metric_not_known_at_plan_time_counts_as_its_own() -> None:
    one = {"namespace": NAMESPACE, "metric_name": "RowsRefused", "dimensions": {"Table": None}}
    assert watched("a.x", one) == {Metric("(not known at plan time: a.x)", "RowsRefused", ())}
    assert watched("a.y", one) != watched("a.x", one)
    assert watched("a.s3", {"namespace": "AWS/S3", "metric_name": "BucketSizeBytes", "dimensions": {}}) == set()


def test_custom_metrics_in_a_region_the_table_lacks_stop_the_estimate_naming_the_alarm() -> None:
    alarm = _alarm("west", "RowsRefused")
    alarm["values"]["region"] = "us-west-2"
    resources = planned_resources(plan(pause_values()), REGION) + planned_resources(plan(extra=[alarm]), REGION)[-1:]
    answer = {"projects": [{"resources": [{"name": r.address, "type": r.type} for r in resources]}]}
    with pytest.raises(DataFileError, match=r"aws_cloudwatch_metric_alarm\.west are in us-west-2: .*no prices"):
        price_the_unpriced(parse_infracost(answer), resources, load_prices(), load_usage(), REGION)
