"""KPI cost: an alarm is billed per metric it evaluates, at its resolution, not one standard metric each.

Every ``aws_cloudwatch_metric_alarm`` was priced 0.10 USD/month. The stack itself can make them dearer:
``alarm_period_s`` 10 (the local harness's chaos runs) makes each high resolution (0.30), a metric-math
alarm bills each metric of its queries, an anomaly-detection one three. The broken root: 60 alarms (a
``for_each`` grown over tables), each a high-resolution sum of 10 metrics, 180 USD a month, passed at 10.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.kpi.cost import alarm_metric_units, estimate_cost, judge_cost, load_prices, load_usage, planned_resources
from tests.unit.plan_docs import BUDGET, REGION, pause_values, plan, resource


def _math_alarm(n: int, period: int) -> dict[str, Any]:
    """An alarm on the sum of ``n`` metrics as Terraform plans it (metric_query blocks, the top-level period unset)."""
    queries: list[dict[str, Any]] = [
        {
            "id": f"m{i}",
            "expression": None,
            "return_data": False,
            "metric": [{"metric_name": "RowsRefused", "namespace": "Lakehouse", "period": period, "stat": "Sum"}],
        }
        for i in range(n)
    ]
    queries.append({"id": "e1", "expression": "SUM(METRICS())", "return_data": True, "metric": []})
    return {"period": None, "metric_query": queries, "threshold_metric_id": None}


@pytest.mark.parametrize(
    ("values", "units"),
    [
        ({"period": 300}, 1),  # infra/alarms.tf on AWS
        ({"period": 10}, 3),  # alarm_period_s = 10: high resolution
        ({"period": 60, "threshold_metric_id": "ad1", "metric_query": [{"id": "m1", "metric": [{"period": 300}]}]}, 3),
        (_math_alarm(10, 300), 10),
        (_math_alarm(10, 10), 30),
    ],
)
def test_an_alarm_bills_each_metric_at_its_resolution(values: dict[str, Any], units: int) -> None:
    assert alarm_metric_units(values)[0] == units


def test_sixty_high_resolution_math_alarms_fail_the_cap_naming_them() -> None:
    alarms = [
        resource(f'aws_cloudwatch_metric_alarm.table["t{i}"]', "aws_cloudwatch_metric_alarm", _math_alarm(10, 10))
        for i in range(60)
    ]
    estimate = estimate_cost(planned_resources(plan(pause_values(), extra=alarms), REGION), load_prices(), load_usage())
    result = judge_cost(estimate, 20.0, BUDGET)
    assert not result.passed and result.measured > 180.0
    assert 'aws_cloudwatch_metric_alarm.table["t0"] 3.00' in str(result.reason)  # among the dearest, named
    [line] = [line for line in estimate.lines if line.address == 'aws_cloudwatch_metric_alarm.table["t0"]']
    assert line.components[0].name == "10 alarm metric(s), high resolution"
    assert line.monthly_usd == pytest.approx(3.0)


def test_the_stacks_standard_alarms_cost_a_tenth_each() -> None:
    estimate = estimate_cost(planned_resources(plan(pause_values()), REGION), load_prices(), load_usage())
    alarms = [line for line in estimate.lines if line.type == "aws_cloudwatch_metric_alarm"]
    assert len(alarms) == 5 and all(line.monthly_usd == pytest.approx(0.10) for line in alarms)
    assert judge_cost(estimate, 20.0, BUDGET).passed
