"""KPI-co2 reads the same saved plan as KPI-cost: the plan's sizes and pause, and what it leaves out.

The broken stacks: the SageMaker endpoint moved onto an always-on instance (or a database added) left
the CO2 figure and its evidence unchanged: the estimate read the usage file only, and its
``not_estimated`` was a fixed sentence. The catalog grown and never paused changed nothing either.
"""

from __future__ import annotations

from typing import Any

from lakehouse.kpi.carbon import estimate_carbon, judge_carbon, load_coefficients
from lakehouse.kpi.cost import load_usage, planned_resources
from lakehouse.outcome import Status
from tests.unit.plan_docs import REGION, SERVICE, pause_values, plan, resource

CONFIG = 'aws_sagemaker_endpoint_configuration.this["daily-revenue"]'


def _variant(**changes: Any) -> dict[str, Any]:
    """infra/ml.tf's production variant as planned: serverless, 2 GB."""
    serverless = [{"max_concurrency": 2, "memory_size_in_mb": 2048, "provisioned_concurrency": 0}]
    return {"variant_name": "AllTraffic", "instance_type": "", "serverless_config": serverless} | changes


def _ml(variant: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        resource(
            'aws_sagemaker_endpoint.this["daily-revenue"]', "aws_sagemaker_endpoint", {"endpoint_config_name": "v3"}
        ),
        resource(CONFIG, "aws_sagemaker_endpoint_configuration", {"name": "v3", "production_variants": [variant]}),
        resource('aws_sagemaker_model.this["daily-revenue"]', "aws_sagemaker_model"),
    ]


def _estimate(doc: dict[str, Any]) -> Any:
    return estimate_carbon(load_usage(), load_coefficients(), REGION, planned_resources(doc, REGION))


def test_the_healthy_plan_passes_listing_what_it_leaves_out_as_negligible() -> None:
    estimate = _estimate(plan(pause_values(), extra=_ml(_variant())))
    outcome = judge_carbon(estimate, 50.0)
    assert outcome.passed, outcome.reason
    assert estimate.inputs["apprunner_hours_from_plan"][SERVICE]["idle"] == 20.0
    assert estimate.inputs["apprunner_memory_gb_hours"] == (20 + 20) * 0.5
    assert estimate.inputs["sagemaker_memory_gb"] == 2.0 and estimate.kwh["sagemaker_memory"] > 0
    assert not estimate.significant
    left_out = {n["what"]: n for n in outcome.details["estimate"]["not_estimated"]}
    assert "SageMaker serverless inference compute" in left_out
    [rest] = [n for w, n in left_out.items() if "aws_cloudwatch_metric_alarm x5" in w]
    assert "aws_scheduler_schedule x1" in rest["what"] and "aws_sagemaker_model x1" in rest["what"]
    assert rest["why"].endswith("negligible")


def test_the_figure_follows_the_plans_catalog_size_and_pause() -> None:
    healthy = _estimate(plan(pause_values()))
    grown = _estimate(plan(None, cpu="4 vCPU", memory="12 GB"))
    assert grown.inputs["apprunner_memory_gb_hours"] == 730 * 12  # 20 h in use + 710 h idle, at 12 GB
    assert grown.inputs["apprunner_vcpu_hours"] == 20 * 4
    assert grown.kwh["apprunner_memory"] > 400 * healthy.kwh["apprunner_memory"]
    assert grown.kg_co2e > healthy.kg_co2e
    why = grown.to_dict()["inputs"]["apprunner_hours_from_plan"][SERVICE]["why"]
    assert why.startswith(f"no schedule in the plan calls apprunner:PauseService on {SERVICE}")
    no_catalog = _estimate({**plan(None), "planned_values": {"root_module": {"resources": []}}})
    assert no_catalog.kwh["apprunner_compute"] == no_catalog.kwh["apprunner_memory"] == 0.0


def test_the_endpoint_memory_is_the_plans() -> None:
    big = _variant(serverless_config=[{"max_concurrency": 2, "memory_size_in_mb": 6144, "provisioned_concurrency": 0}])
    small, large = (
        _estimate(plan(pause_values(), extra=_ml(_variant()))),
        _estimate(plan(pause_values(), extra=_ml(big))),
    )
    assert large.kwh["sagemaker_memory"] == 3 * small.kwh["sagemaker_memory"]


def test_an_endpoint_moved_onto_an_always_on_instance_is_no_pass_naming_it() -> None:
    on_instance = _variant(instance_type="ml.g5.12xlarge", initial_instance_count=1, serverless_config=[])
    estimate = _estimate(plan(pause_values(), extra=_ml(on_instance)))
    outcome = judge_carbon(estimate, 50.0)
    assert outcome.status is Status.ERROR
    assert str(outcome.reason).startswith(f"{outcome.measured:g} kg CO2e/month is only a lower bound: {CONFIG} (")
    assert "runs on instances (ml.g5.12xlarge x 1), billed every hour they run" in str(outcome.reason)
    assert "the CO2 estimate models on-demand serverless only" in str(outcome.reason)
    [left_out] = estimate.significant
    assert left_out["what"] == f"{CONFIG} (aws_sagemaker_endpoint_configuration)"


def test_provisioned_concurrency_and_an_added_database_are_no_pass_either() -> None:
    warm = _variant(serverless_config=[{"max_concurrency": 2, "memory_size_in_mb": 2048, "provisioned_concurrency": 1}])
    outcome = judge_carbon(_estimate(plan(pause_values(), extra=_ml(warm))), 50.0)
    assert outcome.status is Status.ERROR and "keeps 1 provisioned concurrency" in str(outcome.reason)
    db = resource("aws_db_instance.marquez", "aws_db_instance", {"instance_class": "db.r6g.4xlarge"})
    outcome = judge_carbon(_estimate(plan(pause_values(), extra=[db])), 50.0)
    assert outcome.status is Status.ERROR
    assert "aws_db_instance.marquez (aws_db_instance) is not estimated: keeps capacity provisioned" in str(
        outcome.reason
    )


def test_over_the_threshold_with_something_left_out_is_a_failure_at_least_that_much() -> None:
    db = resource("aws_db_instance.marquez", "aws_db_instance")
    outcome = judge_carbon(_estimate(plan(None, cpu="4 vCPU", memory="12 GB", extra=[db])), 0.5)
    assert outcome.status is Status.FAILED
    assert "estimated at least" in str(outcome.reason) and "aws_db_instance.marquez" in str(outcome.reason)
