"""`terraform show -json` documents of infra/ for the cost and CO2 tests, edited the way a broken root plans.

The shape is a fresh saved plan's: ``planned_values`` (values known at plan time: the pause schedule's
target input, the service's ARN are not) and ``configuration`` (each resource's references), enough
of infra/ to price: the workgroups, buckets, dashboard, alarms, topics, the catalog and its pause.
"""

from __future__ import annotations

import copy
from typing import Any

REGION = "ap-northeast-1"
SERVICE = "aws_apprunner_service.catalog[0]"
PAUSE = "aws_scheduler_schedule.catalog_pause[0]"
#: The stack's monthly cost budget as the cost KPI's tests give it (20 USD, the plan's cap).
BUDGET = {
    "BudgetName": "lakehouse-x-monthly-cost",
    "BudgetLimit": {"Amount": "20.0", "Unit": "USD"},
    "BudgetType": "COST",
    "TimeUnit": "MONTHLY",
}
ALARMS = ("pipeline-failures", "rows-refused", "input-empty", "lineage-undelivered", "gold-unreadable")


def _res(address: str, rtype: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    name = address.split(".")[1].split("[")[0]
    return {"address": address, "mode": "managed", "type": rtype, "name": name, "values": values or {}}


def pause_values(expression: str = "rate(1 hour)", state: str = "ENABLED", **changes: Any) -> dict[str, Any]:
    """infra/catalog_service.tf's pause schedule as planned (the service's ARN unknown until apply)."""
    return {
        "name": "lakehouse-lh-x-catalog-pause",
        "schedule_expression": expression,
        "schedule_expression_timezone": "UTC",
        "state": state,
        "end_date": None,
        "flexible_time_window": [{"maximum_window_in_minutes": None, "mode": "OFF"}],
        "target": [{"arn": "arn:aws:scheduler:::aws-sdk:apprunner:pauseService", "retry_policy": [{}]}],
        **changes,
    }


def plan(
    pause: dict[str, Any] | None = None,
    cpu: str = "256",
    memory: str = "512",
    extra: list[dict[str, Any]] | None = None,
    pause_refers_to: str = "aws_apprunner_service.catalog",
) -> dict[str, Any]:
    """infra/ as planned; ``pause`` None: the schedule removed from the root."""
    resources = [
        _res("aws_athena_workgroup.this", "aws_athena_workgroup"),
        _res("aws_athena_workgroup.analyst", "aws_athena_workgroup"),
        *(_res(f'aws_s3_bucket.this["{b}"]', "aws_s3_bucket") for b in ("bronze", "silver", "gold", "results")),
        _res("aws_cloudwatch_dashboard.finops", "aws_cloudwatch_dashboard"),
        *(_res(f'aws_cloudwatch_metric_alarm.pipeline["{a}"]', "aws_cloudwatch_metric_alarm") for a in ALARMS),
        _res("aws_sns_topic.alerts", "aws_sns_topic"),
        _res(
            "aws_apprunner_auto_scaling_configuration_version.catalog[0]",
            "aws_apprunner_auto_scaling_configuration_version",
        ),
        _res(
            SERVICE,
            "aws_apprunner_service",
            {
                "instance_configuration": [{"cpu": cpu, "memory": memory}],
                "source_configuration": [{"auto_deployments_enabled": False, "code_repository": []}],
            },
        ),
        _res("aws_iam_role.catalog_pause[0]", "aws_iam_role"),
        *([_res(PAUSE, "aws_scheduler_schedule", pause)] if pause is not None else []),
        *(extra or []),
    ]
    config: list[dict[str, Any]] = []
    if pause is not None:
        refs = [f"{pause_refers_to}[0].arn", f"{pause_refers_to}[0]", pause_refers_to]
        config.append(
            {
                "address": "aws_scheduler_schedule.catalog_pause",
                "provider_config_key": "aws",
                "expressions": {
                    "schedule_expression": {"references": ["var.catalog_pause_every_hours"]},
                    "target": [
                        {
                            "arn": {"references": ["local.partition"]},
                            "input": {"references": refs},
                            "role_arn": {"references": ["aws_iam_role.catalog_pause[0].arn"]},
                        }
                    ],
                },
            }
        )
    return {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": resources}},
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"references": ["var.region"]}}}},
            "root_module": {"resources": config},
        },
    }


def resource(address: str, rtype: str, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """One more planned resource (for ``plan(extra=...)``)."""
    return _res(address, rtype, values)


def with_tiny_paused_service(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with a second App Runner service, 0.25 vCPU / 0.5 GB, paused hourly by its own schedule (padding)."""
    padded = copy.deepcopy(doc)
    tiny = _res("aws_apprunner_service.pad", "aws_apprunner_service", {"instance_configuration": [{}]})
    tiny["values"]["instance_configuration"] = [{"cpu": "256", "memory": "512"}]  # App Runner's smallest
    pause = _res("aws_scheduler_schedule.pad_pause", "aws_scheduler_schedule", pause_values())
    padded["planned_values"]["root_module"]["resources"] += [tiny, pause]
    target = {"input": {"references": ["aws_apprunner_service.pad.arn", "aws_apprunner_service.pad"]}}
    padded["configuration"]["root_module"]["resources"].append(
        {
            "address": "aws_scheduler_schedule.pad_pause",
            "provider_config_key": "aws",
            "expressions": {"target": [target]},
        }
    )
    return padded
