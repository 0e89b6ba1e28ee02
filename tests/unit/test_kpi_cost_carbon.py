"""KPI cost and CO2: the plan parser, the estimator, both Infracost generations, the judges, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakehouse.kpi.carbon import estimate_carbon, judge_carbon, load_coefficients
from lakehouse.kpi.cost import (
    PRICES_FILE,
    USAGE_FILE,
    InfracostError,
    PlannedResource,
    estimate_cost,
    infracost_argv,
    infracost_unavailable,
    infracost_usage,
    judge_cost,
    load_prices,
    load_usage,
    parse_infracost,
    planned_resources,
    price_the_unpriced,
    write_infracost_usage,
)
from lakehouse.kpi.datafile import DataFileError
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET

DATA = Path(__file__).parent / "data" / "infracost"


def _plan(unpriced: bool = True) -> dict[str, Any]:
    """The shape of `terraform show -json <planfile>` for a few of infra/'s resources (+ App Runner, unpriced)."""

    def res(address: str, rtype: str) -> dict[str, Any]:
        return {"address": address, "mode": "managed", "type": rtype, "name": address.split(".")[1].split("[")[0]}

    return {
        "format_version": "1.2",
        "planned_values": {
            "root_module": {
                "resources": [
                    res("aws_athena_workgroup.this", "aws_athena_workgroup"),
                    res('aws_s3_bucket.this["bronze"]', "aws_s3_bucket"),
                    res('aws_s3_bucket.this["gold"]', "aws_s3_bucket"),
                    res("aws_cloudwatch_dashboard.finops", "aws_cloudwatch_dashboard"),
                    res("aws_cloudwatch_metric_alarm.estimated_charges", "aws_cloudwatch_metric_alarm"),
                    res("aws_iam_role.pipeline", "aws_iam_role"),
                    *([res("aws_lightsail_instance.marquez", "aws_lightsail_instance")] if unpriced else []),
                    {"address": "data.aws_partition.current", "mode": "data", "type": "aws_partition"},
                ]
            }
        },
        "configuration": {
            "provider_config": {
                "aws": {"name": "aws", "expressions": {"region": {"references": ["var.region"]}}},
                "aws.use1": {
                    "name": "aws",
                    "alias": "use1",
                    "expressions": {"region": {"constant_value": "us-east-1"}},
                },
            },
            "root_module": {
                "resources": [
                    {"address": "aws_cloudwatch_metric_alarm.estimated_charges", "provider_config_key": "aws.use1"},
                    {"address": "aws_s3_bucket.this", "provider_config_key": "aws"},
                ]
            },
        },
    }


def test_planned_resources_take_their_region_from_the_provider_alias() -> None:
    found = {r.address: r for r in planned_resources(_plan(), "ap-northeast-1")}
    assert "data.aws_partition.current" not in found
    assert found["aws_cloudwatch_metric_alarm.estimated_charges"].region == "us-east-1"
    assert found['aws_s3_bucket.this["bronze"]'].region == "ap-northeast-1"


def test_not_a_plan_is_refused() -> None:
    with pytest.raises(ValueError, match="planned_values"):
        planned_resources({"values": {}}, "ap-northeast-1")


def test_estimate_prices_each_resource_and_lists_the_free_and_the_unpriced() -> None:
    est = estimate_cost(planned_resources(_plan(), "ap-northeast-1"), load_prices(), load_usage())
    lines = {line.address: line for line in est.lines}
    assert lines["aws_cloudwatch_dashboard.finops"].monthly_usd == pytest.approx(3.0)
    assert lines["aws_cloudwatch_metric_alarm.estimated_charges"].region == "us-east-1"
    # 200 queries/day x 30 days, each billed at the 10 MB minimum: 0.06 TB x 5 USD.
    assert lines["aws_athena_workgroup.this"].monthly_usd == pytest.approx(0.3)
    # usage.yml's 5 GB carried by one of the 2 buckets (same region, same price: the first), at the Tokyo price.
    bronze = lines['aws_s3_bucket.this["bronze"]'].components[0]
    assert bronze.quantity == pytest.approx(5) and bronze.unit_price_usd == pytest.approx(0.025)
    assert [f["address"] for f in est.free] == ["aws_iam_role.pipeline"]
    assert "aws.amazon.com/iam" in est.free[0]["why"] and "2026-" in est.free[0]["why"]  # source and date
    assert [u["address"] for u in est.unpriced] == ["aws_lightsail_instance.marquez"]
    assert est.total_usd == pytest.approx(sum(line.monthly_usd for line in est.lines))


def test_an_unpriced_resource_is_an_error_naming_it_never_0_usd() -> None:
    est = estimate_cost(planned_resources(_plan(), "ap-northeast-1"), load_prices(), load_usage())
    result = judge_cost(est, 20.0, BUDGET)
    assert result.status is Status.ERROR
    assert "aws_lightsail_instance.marquez (aws_lightsail_instance) has no price" in str(result.reason)
    assert "lower bound" in str(result.reason)
    priced = estimate_cost(planned_resources(_plan(unpriced=False), "ap-northeast-1"), load_prices(), load_usage())
    assert judge_cost(priced, 20.0, BUDGET).passed


def test_an_unpriced_resource_over_the_cap_is_still_a_failure() -> None:
    est = estimate_cost(planned_resources(_plan(), "ap-northeast-1"), load_prices(), load_usage())
    result = judge_cost(est, 1.0, BUDGET)
    assert result.status is Status.FAILED
    assert "is at least" in str(result.reason) and "aws_lightsail_instance.marquez" in str(result.reason)


def test_a_free_type_must_say_why_with_source_and_date(tmp_path: Path) -> None:
    text = PRICES_FILE.read_text()
    bad = tmp_path / "prices.yml"
    row = next(r for r in text.splitlines() if r.startswith("  aws_iam_role:"))
    line = text.splitlines().index(row) + 1
    bad.write_text(text.replace(row, '  aws_iam_role: "IAM has no charge"'))
    with pytest.raises(DataFileError, match=rf"prices.yml:{line}: free_resource_types.aws_iam_role: must say"):
        load_prices(bad)
    bad.write_text(text.replace(row, '  aws_iam_role: {why: "IAM has no charge", source: "aws.amazon.com/iam"}'))
    with pytest.raises(DataFileError, match=r"free_resource_types.aws_iam_role.as_of: is missing"):
        load_prices(bad)
    bad.write_text(text.replace(row, '  aws_iam_role: {why: "free", source: "aws.amazon.com/iam", as_of: "soon"}'))
    with pytest.raises(DataFileError, match=r"free_resource_types.aws_iam_role.as_of: must be a date"):
        load_prices(bad)


def test_a_type_removed_from_the_free_list_becomes_an_error(tmp_path: Path) -> None:
    text = PRICES_FILE.read_text()
    bad = tmp_path / "prices.yml"
    bad.write_text("\n".join(r for r in text.splitlines() if not r.startswith("  aws_iam_role:")))
    est = estimate_cost(planned_resources(_plan(unpriced=False), "ap-northeast-1"), load_prices(bad), load_usage())
    result = judge_cost(est, 20.0, BUDGET)
    assert result.status is Status.ERROR and "aws_iam_role.pipeline (aws_iam_role) has no price" in str(result.reason)


def test_a_usage_file_that_makes_the_stack_expensive_fails_the_kpi(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yml"
    usage.write_text(USAGE_FILE.read_text().replace("queries_per_day: 200", "queries_per_day: 100000"))
    est = estimate_cost(planned_resources(_plan(), "ap-northeast-1"), load_prices(), load_usage(usage))
    result = judge_cost(est, 20.0, BUDGET)
    assert not result.passed and result.measured > 20
    assert "over the 20 USD cap" in str(result.reason) and "aws_athena_workgroup.this" in str(result.reason)


def test_a_budget_above_the_cap_or_missing_fails_the_kpi() -> None:
    est = estimate_cost(planned_resources(_plan(), "ap-northeast-1"), load_prices(), load_usage())
    high = {**BUDGET, "BudgetLimit": {"Amount": "50", "Unit": "USD"}}
    assert "budget's limit 50 USD is above the 20 USD cap" in str(judge_cost(est, 20.0, high).reason)
    assert "budget was not found" in str(judge_cost(est, 20.0, None).reason)


def test_a_price_file_with_a_bad_value_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "prices.yml"
    text = PRICES_FILE.read_text().replace("s3_put_usd_per_1k: 0.005 ", 's3_put_usd_per_1k: "cheap" ', 1)
    bad.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if '"cheap"' in t)
    with pytest.raises(
        DataFileError, match=rf"prices.yml:{line}: regions.us-east-1.s3_put_usd_per_1k: must be a number"
    ):
        load_prices(bad)


def test_a_region_missing_from_the_price_table_is_an_error() -> None:
    with pytest.raises(DataFileError, match="no prices for region 'eu-west-1'"):
        estimate_cost(planned_resources(_plan(), "eu-west-1"), load_prices(), load_usage())


def test_usage_file_errors_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "usage.yml"
    bad.write_text(USAGE_FILE.read_text().replace("  gb_stored: 5", "  gb_stored: -5"))
    with pytest.raises(DataFileError, match=r"usage.yml:\d+: s3.gb_stored: must be >= 0"):
        load_usage(bad)
    bad.write_text("athena: [1, 2\n")
    with pytest.raises(DataFileError, match=r"usage.yml:\d+: not valid YAML"):
        load_usage(bad)


def _resources() -> list[PlannedResource]:
    return [
        *planned_resources(_plan(unpriced=False), "ap-northeast-1"),
        PlannedResource("aws_lakeformation_permissions.analyst", "aws_lakeformation_permissions", "ap-northeast-1"),
    ]


def test_infracost_classic_breakdown_json_with_a_null_usage_cost_is_an_error_naming_it() -> None:
    est = parse_infracost(json.loads((DATA / "classic-breakdown.json").read_text()))
    assert est.source == "infracost (classic CLI)"
    assert est.total_usd == pytest.approx(3.1)
    assert {u["type"] for u in est.unpriced} == {"aws_athena_workgroup", "aws_lakeformation_permissions"}
    assert {f["type"] for f in est.free} == {"aws_budgets_budget", "aws_iam_role"}
    # The S3 bucket's storage cost is null (no usage): listed, not counted as 0.
    assert est.unpriced_components == [
        {
            "address": 'aws_s3_bucket.this["bronze"]',
            "component": "Storage",
            "why": "monthlyCost is null (usage unknown)",
        }
    ]
    est = price_the_unpriced(est, _resources(), load_prices(), load_usage())
    assert est.unpriced == []  # the workgroup priced by the dated table, the LF permission free by its entry
    lines = {line.address: line for line in est.lines}
    assert lines["aws_athena_workgroup.this"].monthly_usd == pytest.approx(0.3)
    assert "fixtures prices 2026-11-22" in lines["aws_athena_workgroup.this"].components[0].name
    # + usage.yml's 1 GB transferred out (Tokyo, 0.114 USD/GB), which Infracost is not given, from the table
    out = [line.monthly_usd for address, line in lines.items() if address.endswith("(data transfer out)")]
    assert sum(out) == pytest.approx(0.114)
    assert est.total_usd == pytest.approx(3.4 + 0.114)
    result = judge_cost(est, 20.0, BUDGET)
    assert result.status is Status.ERROR
    assert """aws_s3_bucket.this["bronze"] 'Storage' has no cost""" in str(result.reason)


def test_infracost_classic_with_every_usage_priced_passes() -> None:
    doc = json.loads((DATA / "classic-breakdown.json").read_text())
    s3 = doc["projects"][0]["breakdown"]["resources"][2]
    s3["monthlyCost"] = s3["subresources"][0]["costComponents"][0]["monthlyCost"] = "0.0625"
    est = price_the_unpriced(parse_infracost(doc), _resources(), load_prices(), load_usage())
    assert est.unpriced == [] and est.unpriced_components == []
    assert judge_cost(est, 20.0, BUDGET).passed


def test_infracost_unsupported_type_missing_from_the_table_stays_an_error() -> None:
    doc = json.loads((DATA / "classic-breakdown.json").read_text())
    doc["summary"]["unsupportedResourceCounts"]["aws_lightsail_instance"] = 1
    resources = [*_resources(), PlannedResource("aws_lightsail_instance.m", "aws_lightsail_instance", "ap-northeast-1")]
    est = price_the_unpriced(parse_infracost(doc), resources, load_prices(), load_usage())
    assert [u["address"] for u in est.unpriced] == ["aws_lightsail_instance.m"]
    assert "aws_lightsail_instance.m (aws_lightsail_instance) has no price" in str(judge_cost(est, 20.0, BUDGET).reason)


def test_infracost_2026_cli_scan_json() -> None:
    est = parse_infracost(json.loads((DATA / "cli-scan.json").read_text()))
    assert est.source == "infracost (2026 CLI)"
    assert est.total_usd == pytest.approx(3.225)
    assert sorted(line.address for line in est.lines) == [
        "aws_cloudwatch_dashboard.finops",
        "aws_cloudwatch_metric_alarm.estimated_charges",
        'aws_s3_bucket.this["bronze"]',
        'aws_s3_bucket.this["gold"]',
    ]
    assert [u["type"] for u in est.unpriced] == ["aws_athena_workgroup"]
    assert judge_cost(est, 20.0, BUDGET).status is Status.ERROR  # the workgroup has no price yet
    assert judge_cost(price_the_unpriced(est, _resources(), load_prices(), load_usage()), 20.0, BUDGET).passed
    doc = json.loads((DATA / "cli-scan.json").read_text())
    del doc["summary"]["total_monthly_cost"]  # omitted when nil: the components are summed
    assert parse_infracost(doc).total_usd == pytest.approx(3.225)
    assert not judge_cost(parse_infracost(doc), 3.0, BUDGET).passed


def test_infracost_2026_cli_null_usage_cost_is_an_error_naming_it() -> None:
    doc = json.loads((DATA / "cli-scan.json").read_text())
    doc["projects"][0]["resources"].append(
        {
            "name": "aws_sns_topic.alerts",
            "type": "aws_sns_topic",
            "is_supported": True,
            "is_free": False,
            "cost_components": [
                {
                    "name": "API requests (over 1M)",
                    "unit": "1M requests",
                    "price": "0.5",
                    "quantity": None,
                    "total_monthly_cost": None,
                }
            ],
        }
    )
    est = price_the_unpriced(parse_infracost(doc), _resources(), load_prices(), load_usage())
    result = judge_cost(est, 20.0, BUDGET)
    assert result.status is Status.ERROR
    assert "aws_sns_topic.alerts 'API requests (over 1M)' has no cost" in str(result.reason)


def test_the_usage_file_is_given_to_infracost_in_its_format(tmp_path: Path) -> None:
    resources = [
        *planned_resources(_plan(unpriced=False), "ap-northeast-1"),
        PlannedResource("aws_glue_catalog_database.lake", "aws_glue_catalog_database", "ap-northeast-1"),
        PlannedResource("aws_sns_topic.alerts", "aws_sns_topic", "ap-northeast-1"),
        PlannedResource("aws_sns_topic_subscription.ops", "aws_sns_topic_subscription", "x", {"protocol": "email"}),
    ]
    doc = infracost_usage(resources, load_usage(), load_prices())
    assert doc["version"] == "0.1"
    usage = doc["resource_usage"]
    assert usage['aws_s3_bucket.this["bronze"]']["standard"] == {  # it carries the S3 month, the other bucket none
        "storage_gb": 5.0,
        "monthly_tier_1_requests": 20000,
        "monthly_tier_2_requests": 200000,
        "monthly_select_data_scanned_gb": 0,
        "monthly_select_data_returned_gb": 0,
    }
    others = [a for a in usage if a.startswith("aws_s3_bucket.") and a != 'aws_s3_bucket.this["bronze"]']
    assert others and all(usage[a]["standard"]["storage_gb"] == 0 for a in others)
    assert usage["aws_glue_catalog_database.lake"] == {"monthly_objects": 50.0, "monthly_requests": 50000.0}
    sns = usage["aws_sns_topic.alerts"]
    assert sns["monthly_requests"] == 100 and sns["request_size_kb"] == 1
    # deliveries are priced from the table on each subscription (both paths): Infracost is told none, stated
    assert sns["email_subscriptions"] == 0 and sns["sms_subscriptions"] == 0
    assert usage["aws_sns_topic_subscription.ops"] == {"monthly_requests": 0, "request_size_kb": 1}
    written = write_infracost_usage(resources, load_usage(), tmp_path / "infracost-usage.yml", load_prices())
    import yaml

    assert yaml.safe_load(written.read_text()) == doc
    classic = infracost_argv(Path("plan.json"), Path("infra"), written, None)
    assert classic[:2] == ["infracost", "breakdown"] and classic[-2:] == ["--usage-file", str(written)]
    scan = infracost_argv(Path("plan.json"), Path("infra"), written, "Flags:\n  --usage-file string  usage")
    assert scan[:2] == ["infracost", "scan"] and "--usage-file" in scan


def test_infracost_json_with_a_bad_number_is_refused() -> None:
    doc = json.loads((DATA / "classic-breakdown.json").read_text())
    doc["totalMonthlyCost"] = "three"
    with pytest.raises(InfracostError, match="totalMonthlyCost is not a decimal"):
        parse_infracost(doc)
    with pytest.raises(InfracostError, match="no projects"):
        parse_infracost({"summary": {}})


def test_infracost_is_used_only_when_installed_and_configured(tmp_path: Path) -> None:
    assert "not installed" in str(infracost_unavailable({"PATH": str(tmp_path)}))
    fake = tmp_path / "infracost"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert "not configured" in str(infracost_unavailable({"PATH": str(tmp_path)}))
    assert infracost_unavailable({"PATH": str(tmp_path), "INFRACOST_API_KEY": "ico-x"}) is None


def test_co2_of_the_committed_usage_is_small_and_every_coefficient_has_a_source() -> None:
    coeff = load_coefficients()
    assert all(coeff.sources.values())
    est = estimate_carbon(load_usage(), coeff, "ap-northeast-1", planned_resources(_plan(False), "ap-northeast-1"))
    assert 0 < est.kg_co2e < 50
    assert est.inputs["grid_tco2e_per_kwh"] == {"ap-northeast-1": 0.0004658}  # CCF trunk (2022-06 update), Tokyo
    result = judge_carbon(est, 50.0)
    assert result.passed and result.details["unit"] == "kg CO2e/month"


def test_co2_fails_when_the_usage_is_far_larger(tmp_path: Path) -> None:
    usage = tmp_path / "usage.yml"
    usage.write_text(USAGE_FILE.read_text().replace("queries_per_day: 200", "queries_per_day: 500000"))
    plan = planned_resources(_plan(False), "us-east-1")
    result = judge_carbon(estimate_carbon(load_usage(usage), load_coefficients(), "us-east-1", plan), 50.0)
    assert not result.passed and "over 50 kg" in str(result.reason) and "athena_compute" in str(result.reason)


def test_a_coefficient_without_a_source_names_its_line(tmp_path: Path) -> None:
    from lakehouse.kpi.carbon import COEFFICIENTS_FILE

    text = COEFFICIENTS_FILE.read_text()
    start = text.index("  pue:")
    end = text.index("\n", text.index("source:", start))
    bad = tmp_path / "carbon.yml"
    bad.write_text(text[:start] + "  pue:\n    value: 1.135\n" + text[end + 1 :])
    with pytest.raises(DataFileError, match=r"carbon.yml:\d+: coefficients.pue.source: is missing"):
        load_coefficients(bad)
    with pytest.raises(DataFileError, match="no region 'eu-west-1'"):
        estimate_carbon(load_usage(), load_coefficients(), "eu-west-1", [])


@pytest.mark.parametrize("value", [".nan", ".inf"])
def test_a_price_that_is_not_finite_is_refused_with_file_line_and_field(tmp_path: Path, value: str) -> None:
    bad = tmp_path / "prices.yml"
    text = PRICES_FILE.read_text()
    key = "athena_usd_per_tb_scanned:"
    line = next(n for n, row in enumerate(text.splitlines(), 1) if key in row)
    bad.write_text("\n".join(row.split(":")[0] + ": " + value if key in row else row for row in text.splitlines()))
    with pytest.raises(ValueError) as err:
        load_prices(bad)
    assert str(bad) in str(err.value) and f":{line}" in str(err.value) and "finite" in str(err.value)
