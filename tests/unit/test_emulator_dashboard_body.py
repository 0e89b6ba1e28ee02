"""The emulator's PutDashboard refuses what CloudWatch refuses (``lakehouse.emulator.dashboard_body``).

Each broken body is one AWS's PutDashboard answers with ``InvalidParameterInput`` and moto 5.2.5 stored, so
exit check 7 judged a dashboard AWS would never hold. Healthy twins: AWS's documented example bodies, the
stack's own (infra/finops.tf, as Terraform renders it), and bodies the checks' tests judge healthy.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from lakehouse.emulator.dashboard_body import (
    NO_DATA_SOURCE,
    NOT_A_STRING,
    ValidationMessage,
    refusal,
    validation_messages,
)
from lakehouse.emulator.extensions import cloudwatch_dashboards
from tests.unit.test_finops import HEALTHY_BODY

PERIOD = "Should be 1, 5, 10, 30, 60 or a multiple of 60"
ROW = ["AWS/EC2", "CPUUtilization", "InstanceId", "i-012345"]

#: AWS's first example body ("Dashboard Body Structure and Syntax", Overall Structure), verbatim.
AWS_EXAMPLE = {
    "start": "-PT6H",
    "periodOverride": "inherit",
    "widgets": [
        {
            "type": "metric",
            "x": 0,
            "y": 0,
            "width": 12,
            "height": 6,
            "properties": {
                "metrics": [["AWS/EC2", "CPUUtilization", "InstanceId", "i-012345"]],
                "period": 300,
                "stat": "Average",
                "region": "us-east-1",
                "title": "EC2 Instance CPU",
                "liveData": False,
                "legend": {"position": "right"},
            },
        },
        {"type": "text", "x": 0, "y": 7, "width": 3, "height": 3, "properties": {"markdown": "Hello world"}},
    ],
}


def _lambda_tile(x: int, metric: str) -> dict[str, Any]:
    return {
        "height": 6,
        "width": 6,
        "y": 0,
        "x": x,
        "type": "metric",
        "properties": {
            "metrics": [["AWS/Lambda", metric, "FunctionName", "my-function"]],
            "region": "us-east-1",
            "title": metric,
            "view": "timeSeries",
            "stacked": False,
        },
    }


#: AWS's second example: three Lambda tiles and a property variable fed by a metric search.
AWS_VARIABLE_EXAMPLE = {
    "widgets": [_lambda_tile(0, "Invocations"), _lambda_tile(6, "Errors"), _lambda_tile(12, "Duration")],
    "variables": [
        {
            "type": "property",
            "property": "FunctionName",
            "inputType": "select",
            "id": "functionName",
            "label": "Function",
            "search": '{AWS/Lambda,FunctionName} MetricName="Duration"',
            "populateFrom": "FunctionName",
            "visible": True,
        }
    ],
}


def stack_body(alarm_period_s: int = 300) -> dict[str, Any]:
    """infra/finops.tf's dashboard as jsonencode renders it (stack lh-1, ap-northeast-1)."""
    ns, stack, wg = "Lakehouse/Pipeline", "lh-1", "lakehouse-lh-1"
    athena = ["AWS/Athena", "ProcessedBytes", "QueryState", "SUCCEEDED", "QueryType", "DML", "WorkGroup", wg]
    return {
        "widgets": [
            {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown": "## Lakehouse"}},
            {
                "type": "metric",
                "x": 0,
                "y": 2,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": "Athena",
                    "region": "ap-northeast-1",
                    "view": "timeSeries",
                    "period": 300,
                    "metrics": [
                        [*athena, {"stat": "Sum", "label": "bytes processed"}],
                        [
                            *athena[:1],
                            "TotalExecutionTime",
                            *athena[2:],
                            {"stat": "p90", "label": "p90", "yAxis": "right"},
                        ],
                    ],
                },
            },
            {
                "type": "metric",
                "x": 12,
                "y": 2,
                "width": 6,
                "height": 6,
                "properties": {
                    "title": "Gold bucket size",
                    "region": "ap-northeast-1",
                    "view": "timeSeries",
                    "period": 86400,
                    "metrics": [
                        [
                            "AWS/S3",
                            "BucketSizeBytes",
                            "BucketName",
                            "gold",
                            "StorageType",
                            "StandardStorage",
                            {"stat": "Average"},
                        ]
                    ],
                },
            },
            {
                "type": "metric",
                "x": 18,
                "y": 2,
                "width": 6,
                "height": 6,
                "properties": {
                    "title": "Estimated charges (account, USD)",
                    "region": "us-east-1",
                    "view": "timeSeries",
                    "period": 21600,
                    "metrics": [["AWS/Billing", "EstimatedCharges", "Currency", "USD", {"stat": "Maximum"}]],
                    "annotations": {"horizontal": [{"label": "monthly cap", "value": 20}]},
                },
            },
            {
                "type": "metric",
                "x": 0,
                "y": 8,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": "Pipeline",
                    "region": "ap-northeast-1",
                    "view": "timeSeries",
                    "period": alarm_period_s,
                    "metrics": [
                        [ns, "Failures", "StackId", stack, {"stat": "Sum"}],
                        [ns, "RowsRefused", "StackId", stack, {"stat": "Maximum"}],
                        [ns, "GoldFreshnessSeconds", "StackId", stack, {"stat": "Minimum", "yAxis": "right"}],
                    ],
                },
            },
            {
                "type": "alarm",
                "x": 12,
                "y": 8,
                "width": 12,
                "height": 6,
                "properties": {
                    "title": "Pipeline alarms",
                    "alarms": ["arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:a"],
                },
            },
        ]
    }


def _planned_body() -> Any:
    """The body of the dashboard in a Terraform plan of infra/ (tests/unit/data/policies/plan.json)."""
    plan = json.loads((Path(__file__).parent / "data" / "policies" / "plan.json").read_text())
    (dashboard,) = [
        r for r in plan["planned_values"]["root_module"]["resources"] if r["type"] == "aws_cloudwatch_dashboard"
    ]
    return json.loads(dashboard["values"]["dashboard_body"])


@pytest.mark.parametrize(
    "body",
    [
        AWS_EXAMPLE,
        AWS_VARIABLE_EXAMPLE,
        {"widgets": []},
        stack_body(),
        stack_body(alarm_period_s=10),  # the local harness's high-resolution alarms
        HEALTHY_BODY,
        pytest.param(None, id="planned"),
    ],
    ids=["aws-example", "aws-variables", "empty", "stack", "stack-local", "finops-healthy", "planned"],
)
def test_bodies_aws_accepts_are_accepted(body: Any) -> None:
    assert validation_messages(_planned_body() if body is None else body) == []


def metric(**props: Any) -> dict[str, Any]:
    return {"widgets": [{"type": "metric", "properties": {"region": "us-east-1", "metrics": [ROW], **props}}]}


def widget(**fields: Any) -> dict[str, Any]:
    body = copy.deepcopy(AWS_EXAMPLE)
    body["widgets"][0].update(fields)
    return body


def row(*items: Any) -> dict[str, Any]:
    return metric(metrics=[list(items)])


def variable(**fields: Any) -> dict[str, Any]:
    return {**metric(), "variables": [{"type": "property", "property": "InstanceId", "id": "v", **fields}]}


W0 = "/widgets/0"
P0 = "/widgets/0/properties"
BROKEN: dict[str, tuple[Any, list[tuple[str, str]]]] = {
    "width 0": (widget(width=0), [(f"{W0}/width", "Should be >= 1")]),
    "width 25": (widget(width=25), [(f"{W0}/width", "Should be <= 24")]),
    "height 0": (widget(height=0), [(f"{W0}/height", "Should be >= 1")]),
    "height 1001": (widget(height=1001), [(f"{W0}/height", "Should be <= 1000")]),
    "x 24": (widget(x=24), [(f"{W0}/x", "Should be <= 23")]),
    "y -1": (widget(y=-1), [(f"{W0}/y", "Should be >= 0")]),
    "x a string": (widget(x="0"), [(f"{W0}/x", "Should be integer")]),
    "width 1.5": (widget(width=1.5), [(f"{W0}/width", "Should be integer")]),
    "unknown type": (widget(type="graph"), [(f"{W0}/type", "Should be equal to one of the allowed values")]),
    "no type": (
        {"widgets": [{"properties": {"markdown": "x"}}]},
        [(W0, "Should have required property 'type'")],
    ),
    "period 7": (metric(period=7), [(f"{P0}/period", PERIOD)]),
    "period 20": (metric(period=20), [(f"{P0}/period", PERIOD)]),
    "period 90": (metric(period=90), [(f"{P0}/period", PERIOD)]),
    "period a string": (metric(period="300"), [(f"{P0}/period", PERIOD)]),
    "row period 45": (row(*ROW, {"period": 45}), [(f"{P0}/metrics/0/4/period", PERIOD)]),
    "visible 0": (row(*ROW, {"visible": 0}), [(f"{P0}/metrics/0/4/visible", "Should be boolean")]),
    "visible 'false'": (row(*ROW, {"visible": "false"}), [(f"{P0}/metrics/0/4/visible", "Should be boolean")]),
    "yAxis middle": (
        row(*ROW, {"yAxis": "middle"}),
        [(f"{P0}/metrics/0/4/yAxis", "Should be equal to one of the allowed values")],
    ),
    "stat a number": (row(*ROW, {"stat": 99}), [(f"{P0}/metrics/0/4/stat", "Should be string")]),
    "stacked 'true'": (metric(stacked="true"), [(f"{P0}/stacked", "Should be boolean")]),
    "view line": (metric(view="line"), [(f"{P0}/view", "Should be equal to one of the allowed values")]),
    "options mid-row": (
        row("AWS/EC2", "CPUUtilization", {"stat": "Sum"}, "InstanceId", "i-1"),
        [(f"{P0}/metrics/0/2", NOT_A_STRING)],
    ),
    "dimension value a number": (
        row("AWS/EC2", "CPUUtilization", "InstanceId", 5),
        [(f"{P0}/metrics/0/3", NOT_A_STRING)],
    ),
    "two option objects": (row(*ROW, {"stat": "Sum"}, {"label": "x"}), [(f"{P0}/metrics/0/4", NOT_A_STRING)]),
    "row a string": (metric(metrics=["AWS/EC2"]), [(f"{P0}/metrics/0", "Should be array")]),
    "empty row": (metric(metrics=[[]]), [(f"{P0}/metrics/0", "Should NOT have fewer than 1 items")]),
    "options-only row": (
        row({"label": "x", "id": "m1"}),
        [(f"{P0}/metrics/0/0", "Should have required property 'expression'")],
    ),
    "501 rows": (metric(metrics=[ROW] * 501), [(f"{P0}/metrics", "Should NOT have more than 500 items")]),
    "501 widgets": (
        {"widgets": [{"type": "text", "properties": {"markdown": "x"}}] * 501},
        [("/widgets", "Should NOT have more than 500 items")],
    ),
    "metric widget without region": (
        {"widgets": [{"type": "metric", "properties": {"metrics": [ROW]}}]},
        [(P0, "Should have required property 'region'")],
    ),
    "metric widget without data": (
        {"widgets": [{"type": "metric", "properties": {"region": "us-east-1"}}]},
        [(P0, NO_DATA_SOURCE)],
    ),
    "widget end without start": (
        metric(end="2026-01-01T00:00:00Z"),
        [(P0, "Should have property start when property end is present")],
    ),
    "text without markdown": (
        {"widgets": [{"type": "text", "properties": {"title": "x"}}]},
        [(P0, "Should have required property 'markdown'")],
    ),
    "widget without properties": (
        {"widgets": [{"type": "text"}]},
        [(W0, "Should have required property 'properties'")],
    ),
    "alarm widget without alarms": (
        {"widgets": [{"type": "alarm", "properties": {"alarms": []}}]},
        [(f"{P0}/alarms", "Should NOT have fewer than 1 items")],
    ),
    "no widgets": ({"start": "-PT6H"}, [("", "Should have required property 'widgets'")]),
    "a list": ([], [("", "Should be object")]),
    "end without start": (
        {"widgets": [], "end": "2026-01-01T00:00:00Z"},
        [("", "Should have property start when property end is present")],
    ),
    "periodOverride always": (
        {"widgets": [], "periodOverride": "always"},
        [("/periodOverride", "Should be equal to one of the allowed values")],
    ),
    "select variable without values": (
        variable(inputType="select"),
        [("/variables/0", "Should have required property 'values' (or 'search' and 'populateFrom')")],
    ),
    "variable without inputType": (variable(), [("/variables/0", "Should have required property 'inputType'")]),
    "variable visible 1": (
        variable(inputType="input", visible=1),
        [("/variables/0/visible", "Should be boolean")],
    ),
}


@pytest.mark.parametrize(("body", "expected"), list(BROKEN.values()), ids=list(BROKEN))
def test_bodies_aws_refuses_are_refused_naming_the_place(body: Any, expected: list[tuple[str, str]]) -> None:
    assert validation_messages(body) == [ValidationMessage(path, message) for path, message in expected]


def test_every_problem_is_named_once() -> None:
    body = widget(width=0, height=0)
    body["widgets"][0]["properties"]["metrics"][0].append({"visible": 0})
    messages = validation_messages(body)
    assert {m.data_path for m in messages} == {f"{W0}/width", f"{W0}/height", f"{P0}/metrics/0/4/visible"}
    assert len(messages) == 3


def test_the_refusal_reads_as_putdashboards() -> None:
    """PutDashboard's message as its answers show it: the count, then the list as indented JSON."""
    text = refusal([ValidationMessage("/widgets/0/width", "Should be >= 1")])
    assert text == (
        "The dashboard body is invalid, there are 1 validation errors:\n"
        '[\n  {\n    "dataPath": "/widgets/0/width",\n    "message": "Should be >= 1"\n  }\n]'
    )


@pytest.fixture
def cloudwatch(moto_aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto's CloudWatch with the emulator's PutDashboard validation, for this test only."""
    from moto.cloudwatch.models import CloudWatchBackend

    if not getattr(CloudWatchBackend, cloudwatch_dashboards._INSTALLED_MARK, False):
        put = cloudwatch_dashboards.validating(CloudWatchBackend.put_dashboard)
        monkeypatch.setattr(CloudWatchBackend, "put_dashboard", put)
    return boto3.client("cloudwatch", region_name="us-east-1")


def test_putdashboard_refuses_with_awss_error_and_stores_nothing(cloudwatch: Any) -> None:
    body = widget(width=0)
    with pytest.raises(cloudwatch.exceptions.DashboardInvalidInputError) as refused:
        cloudwatch.put_dashboard(DashboardName="d", DashboardBody=json.dumps(body))
    answer = refused.value.response
    assert answer["Error"]["Code"] == "InvalidParameterInput"
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert answer["Error"]["Message"] == refusal([ValidationMessage(f"{W0}/width", "Should be >= 1")])
    assert answer["dashboardValidationMessages"] == [{"DataPath": f"{W0}/width", "Message": "Should be >= 1"}]
    assert cloudwatch.list_dashboards()["DashboardEntries"] == []


def test_putdashboard_stores_a_body_aws_accepts(cloudwatch: Any) -> None:
    text = json.dumps(stack_body())
    answer = cloudwatch.put_dashboard(DashboardName="d", DashboardBody=text)
    assert answer["DashboardValidationMessages"] == []
    assert cloudwatch.get_dashboard(DashboardName="d")["DashboardBody"] == text


def test_a_20_s_alarm_period_is_no_graph_period() -> None:
    """Alarms take 10, 20 or 30 s; graphs 1, 5, 10, 30 s: infra/finops.tf draws a 20 s alarm's tile at 10 s."""
    messages = validation_messages(stack_body(alarm_period_s=20))
    assert messages == [ValidationMessage("/widgets/4/properties/period", PERIOD)]
    assert (
        "pipeline_tile_period_s = var.alarm_period_s == 20 ? 10 : var.alarm_period_s"
        in (Path(__file__).parents[2] / "infra" / "finops.tf").read_text()
    )
