"""Exit check 7 counts a dashboard row only if CloudWatch computes its statistic: a blank tile watches nothing.

A row with ``"stat": "Averag"`` or ``"p99.9x"`` is drawn, its metric is published, and CloudWatch
shows no data for it. The grammar is CloudWatch's statistics definitions (``metric_statistics``).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from lakehouse.checks.dashboard_metrics import count_metric_series
from lakehouse.checks.finops import judge_finops
from lakehouse.outcome import Status
from tests.unit.test_finops import WG, healthy, metric_widget

BYTES = ["AWS/Athena", "ProcessedBytes", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", WG]
TIME = ["AWS/Athena", "TotalExecutionTime", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", WG]
GOLD = ["AWS/S3", "BucketSizeBytes", "BucketName", "gold", "StorageType", "StandardStorage"]
CHARGES = ["AWS/Billing", "EstimatedCharges", "Currency", "USD"]

#: Statistics CloudWatch does not compute (misspelt, a suffix, a bound out of range, an empty or reversed range).
BROKEN = [
    "Averag",
    "average",
    "p99.9x",
    "p101",
    "P",
    "tm",
    "TM()",
    "TM(:)",
    "TM(10%:90)",
    "TM(90%:10%)",
    "TM(5%:120%)",
    "PR90",
    "p99.12345678901",
    "Median",
]
#: Statistics CloudWatch documents (the standard five, IQM, percentiles, one-number and bounded forms).
VALID = [
    "SampleCount",
    "Average",
    "Sum",
    "Minimum",
    "Maximum",
    "IQM",
    "p99",
    "p99.9",
    "p0",
    "p100",
    "tm90",
    "wm98",
    "tc90",
    "ts90",
    "TM(2%:98%)",
    "TM(150:1000)",
    "TM(10%:)",
    "TS(80%:)",
    "WM(10%:90%)",
    "TC(0.005:0.030)",
    "PR(:300)",
    "PR(100:2000)",
]


def body(*rows: list[Any]) -> dict[str, Any]:
    return {"widgets": [metric_widget(*rows)]}


@pytest.mark.parametrize("stat", BROKEN)
def test_a_row_with_a_statistic_cloudwatch_does_not_compute_counts_no_series(stat: str) -> None:
    """Broken tile: the metric is real, the statistic is not; CloudWatch draws nothing."""
    counted = count_metric_series(body([*GOLD, {"stat": stat}]))
    assert counted.count == 0
    assert counted.not_counted[0].startswith(
        "widget 0 (metric) row 0: AWS/S3 BucketSizeBytes BucketName=gold StorageType=StandardStorage "
        "[ap-northeast-1] draws no data: "
    ), counted.not_counted
    assert repr(stat) in counted.not_counted[0]


def test_the_widgets_statistic_counts_when_the_row_names_none() -> None:
    """Broken tile: the widget's ``stat`` (every row's default) is misspelt."""
    counted = count_metric_series({"widgets": [metric_widget(GOLD, BYTES, stat="Maxmum")]})
    assert counted.count == 0
    assert len(counted.no_statistic) == 2


@pytest.mark.parametrize("stat", VALID)
def test_a_documented_statistic_counts(stat: str) -> None:
    """Healthy twin: each statistic CloudWatch documents draws its series."""
    counted = count_metric_series(body([*GOLD, {"stat": stat}]))
    assert counted.count == 1, counted.not_counted


def test_a_blank_tile_is_named_in_the_verdict() -> None:
    """Broken dashboard: three published series of the stack, one drawn with ``p99.9x``: two shown, fewer than 3."""
    rows = [BYTES, [*TIME, {"stat": "p99.9x"}], GOLD]
    data = healthy(dashboard_body=json.dumps({"widgets": [metric_widget(*rows)]}))
    result = judge_finops(data)
    assert result.status is Status.FAILED
    assert result.measured["dashboard_metric_series"] == 2
    assert (
        "drawn with a statistic CloudWatch does not compute: widget 0 (metric) row 1: AWS/Athena TotalExecutionTime "
        f"QueryState=SUCCEEDED QueryType=DML WorkGroup={WG} [ap-northeast-1] draws no data: 'p99.9x' is no "
        "CloudWatch statistic"
    ) in str(result.reason)


def test_the_same_series_drawn_once_with_a_valid_statistic_still_counts() -> None:
    """Healthy twin: a blank second line of a series that another row draws well does not take the series away."""
    rows = [BYTES, [*TIME, {"stat": "p90"}], [*TIME, {"stat": "p99.9x"}], GOLD]
    result = judge_finops(healthy(dashboard_body=json.dumps({"widgets": [metric_widget(*rows)]})))
    assert result.passed, result.reason
    assert result.measured["dashboard_metric_series"] == 3
