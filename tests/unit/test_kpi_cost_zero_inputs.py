"""KPI cost and CO2: a committed input that zeroes what it multiplies is refused, naming file, line and field.

A price of 0 made a priced resource free (App Runner's memory, the month's largest line, at 0 USD), a usage size
of 0 made every counted query or inference free and emission-free, a PUE or grid factor of 0 made the whole
figure (or a region's) 0 kg: each passed its KPI whatever the stack. Counts may still be 0 (a month without a
prediction), and a price that is no price (Athena's minimum billed MB) may be 0.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lakehouse.kpi.carbon import COEFFICIENTS_FILE, estimate_carbon, judge_carbon, load_coefficients
from lakehouse.kpi.cost import (
    PRICES_FILE,
    USAGE_FILE,
    PlannedResource,
    estimate_cost,
    judge_cost,
    load_prices,
    load_usage,
)
from lakehouse.kpi.datafile import DataFileError, load_data_file
from tests.unit.plan_docs import BUDGET

REGION = "ap-northeast-1"


def _with(source: Path, field: str, value: str, tmp_path: Path) -> tuple[Path, int]:
    """A copy of ``source`` with ``field`` (``a.b.c``) set to ``value``, and that field's line."""
    line = load_data_file(source).lines[field]
    rows = source.read_text(encoding="utf-8").splitlines()
    key = rows[line - 1].split(":", 1)[0]
    rows[line - 1] = f"{key}: {value}"
    out = tmp_path / source.name
    out.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out, line


def _refused(load: Callable[[Path], Any], path: Path, line: int, field: str, why: str) -> None:
    with pytest.raises(DataFileError) as err:
        load(path)
    assert f"{path}:{line}: {field}: must be" in str(err.value) and why in str(err.value)


@pytest.mark.parametrize(
    "key",
    ["apprunner_usd_per_gb_hour", "sagemaker_serverless_usd_per_gb_second", "s3_standard_usd_per_gb_month"],
)
def test_a_price_of_zero_is_refused_not_a_free_resource(tmp_path: Path, key: str) -> None:
    field = f"regions.{REGION}.{key}"
    path, line = _with(PRICES_FILE, field, "0", tmp_path)
    _refused(load_prices, path, line, field, "free_resource_types")


@pytest.mark.parametrize(
    "field",
    [
        "sagemaker.seconds_per_inference",
        "sagemaker.memory_gb",
        "athena.engine_seconds_per_query",
        "athena.dpu_per_query",
        "apprunner.vcpu",
        "apprunner.memory_gb",
    ],
)
def test_a_usage_size_of_zero_is_refused(tmp_path: Path, field: str) -> None:
    path, line = _with(USAGE_FILE, field, "0", tmp_path)
    _refused(load_usage, path, line, field, "takes time and capacity")


@pytest.mark.parametrize(
    ("field", "value", "why"),
    [
        ("coefficients.pue.value", "0", "must be > 0"),
        ("coefficients.pue.value", "0.5", "The Green Grid"),
        ("coefficients.s3_replication_factor.value", "0.5", "kept at least once"),
        ("coefficients.memory_kwh_per_gb_hour.value", "0", "would be 0 however much"),
        ("coefficients.vcpu_per_dpu.value", "0", "would be 0 however much"),
        ("coefficients.max_watts_per_vcpu.value", "0.5", "more busy than idle"),
        (f"grid_tco2e_per_kwh.{REGION}.value", "0", "emission-free"),
    ],
)
def test_a_coefficient_that_zeroes_the_figure_is_refused(tmp_path: Path, field: str, value: str, why: str) -> None:
    path, line = _with(COEFFICIENTS_FILE, field, value, tmp_path)
    _refused(load_coefficients, path, line, field, why)


# -- healthy twins ----------------------------------------------------------------------------------


def _stack() -> list[PlannedResource]:
    """An App Runner catalog, a serverless endpoint, a workgroup and a bucket, no pause (App Runner runs all month)."""
    size = {"instance_configuration": [{"cpu": "256", "memory": "512"}]}
    serverless = {"name": "v1", "production_variants": [{"serverless_config": [{"memory_size_in_mb": 2048}]}]}
    return [
        PlannedResource("aws_apprunner_service.catalog", "aws_apprunner_service", REGION, size),
        PlannedResource(
            "aws_sagemaker_endpoint.model", "aws_sagemaker_endpoint", REGION, {"endpoint_config_name": "v1"}
        ),
        PlannedResource(
            "aws_sagemaker_endpoint_configuration.v1", "aws_sagemaker_endpoint_configuration", REGION, serverless
        ),
        PlannedResource("aws_athena_workgroup.this", "aws_athena_workgroup", REGION),
        PlannedResource("aws_s3_bucket.gold", "aws_s3_bucket", REGION),
    ]


def test_the_committed_inputs_load_and_price_every_planned_resource_above_zero() -> None:
    estimate = estimate_cost(_stack(), load_prices(), load_usage())
    assert not estimate.unpriced and all(line.monthly_usd > 0 for line in estimate.lines)
    assert judge_cost(estimate, 20.0, BUDGET).passed
    carbon = estimate_carbon(load_usage(), load_coefficients(), REGION, _stack())
    assert carbon.kg_co2e > 0 and all(carbon.kwh[part] > 0 for part in ("athena_compute", "apprunner_memory"))
    assert judge_carbon(carbon, 50.0).passed


@pytest.mark.parametrize("field", ["sagemaker.inferences", "sns.publishes", "athena.mb_scanned_per_query"])
def test_a_count_of_zero_still_loads(tmp_path: Path, field: str) -> None:
    path, _ = _with(USAGE_FILE, field, "0", tmp_path)
    assert load_usage(path)[field.split(".")[0]][field.split(".")[1]] == 0


def test_limits_that_are_real_still_load(tmp_path: Path) -> None:
    """Athena's minimum billed MB is no price; a utilisation of 0, a PUE of exactly 1, a tiny grid factor are real."""
    path, _ = _with(PRICES_FILE, f"regions.{REGION}.athena_min_mb_per_query", "0", tmp_path)
    assert load_prices(path).prices(REGION)["athena_min_mb_per_query"] == 0
    for field, value in [
        ("coefficients.pue.value", "1"),
        ("coefficients.avg_cpu_utilization.value", "0"),
        (f"grid_tco2e_per_kwh.{REGION}.value", "0.0000088"),
    ]:
        path, _ = _with(COEFFICIENTS_FILE, field, value, tmp_path)
        load_coefficients(path)
