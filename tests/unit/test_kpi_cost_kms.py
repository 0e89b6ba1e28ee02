"""KPI cost: KMS billed on the stack's behalf, and settings that bill beyond the table, are never 0 USD.

Broken roots that passed: a lake bucket under SSE-KMS without an S3 Bucket Key (every PUT and GET calls KMS, 0.03
USD per 10,000: 0.66 USD at usage.yml's month, 15 USD at 5 million GETs) priced as its free encryption
configuration; a queue or topic with ``kms_master_key_id``; DSSE-KMS (billed per GB encrypted); a lifecycle rule
transitioning objects to Glacier (priced as a free configuration); an App Runner service deploying automatically
(a monthly fee per application). The healthy twins: SSE-S3, or SSE-KMS with a Bucket Key (KMS requests near 0).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakehouse.kpi.carbon import not_estimated
from lakehouse.kpi.cost import (
    USAGE_FILE,
    CostEstimate,
    estimate_cost,
    judge_cost,
    load_prices,
    load_usage,
    parse_infracost,
    planned_resources,
    price_the_unpriced,
)
from lakehouse.kpi.datafile import DataFileError
from lakehouse.outcome import Outcome, Status
from tests.unit.plan_docs import BUDGET, REGION, SERVICE, pause_values, plan, resource

GOLD = 'aws_s3_bucket.this["gold"]'
SSE = "aws_s3_bucket_server_side_encryption_configuration.gold"
KMS_PRICE = 0.03 / 10_000


def _sse(algorithm: str, bucket_key: bool, bucket: str | None = "lakehouse-gold") -> dict[str, Any]:
    rule = {"apply_server_side_encryption_by_default": [{"sse_algorithm": algorithm}], "bucket_key_enabled": bucket_key}
    return resource(SSE, "aws_s3_bucket_server_side_encryption_configuration", {"bucket": bucket, "rule": [rule]})


def _plan(*extra: dict[str, Any]) -> dict[str, Any]:
    doc = plan(pause_values(), extra=list(extra))
    for res in doc["planned_values"]["root_module"]["resources"]:
        if res["type"] == "aws_s3_bucket":
            res["values"]["bucket"] = "lakehouse-" + res["address"].split('"')[1]
    return doc


def _usage(tmp_path: Path, **s3: int) -> Path:
    doc = yaml.safe_load(USAGE_FILE.read_text(encoding="utf-8"))
    doc["s3"].update(s3)
    path = tmp_path / "usage.yml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def _judge(doc: dict[str, Any], usage: Path = USAGE_FILE) -> tuple[CostEstimate, Outcome]:
    estimate = estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage(usage), target_region=REGION)
    return estimate, judge_cost(estimate, 20.0, BUDGET)


def _kms(estimate: CostEstimate) -> list[tuple[str, float]]:
    return [(line.address, c.monthly_usd) for line in estimate.lines for c in line.components if "KMS" in c.name]


def test_sse_kms_without_a_bucket_key_prices_every_put_and_get_on_the_bucket_it_encrypts() -> None:
    estimate, result = _judge(_plan(_sse("aws:kms", False)))
    assert result.passed, result.reason  # 0.66 USD more, still under the cap
    assert _kms(estimate) == [(GOLD, pytest.approx(220_000 * KMS_PRICE))]  # 20,000 PUT + 200,000 GET
    line = next(line for line in estimate.lines if line.address == GOLD)
    assert "carries all of usage.yml's s3" in line.carries  # the KMS bucket is where the month costs most
    assert any(f"aws:kms without an S3 Bucket Key: every PUT and GET, per {SSE}" in c.name for c in line.components)
    assert "KMS requests" in str(estimate.to_dict())  # in cost.json


def test_a_get_heavy_month_under_sse_kms_fails_the_cap_and_its_healthy_twins_pass(tmp_path: Path) -> None:
    usage = _usage(tmp_path, get_requests=5_000_000)
    estimate, result = _judge(_plan(_sse("aws:kms", False)), usage)
    assert result.status is Status.FAILED and "over the 20 USD cap" in str(result.reason)
    assert GOLD in str(result.reason) and result.measured > 20.0
    keyed, keyed_result = _judge(_plan(_sse("aws:kms", True)), usage)  # a Bucket Key: 1 % of the requests
    assert keyed_result.passed, keyed_result.reason
    assert _kms(keyed) == [(GOLD, pytest.approx(5_020_000 * 0.01 * KMS_PRICE))]
    sse_s3, sse_s3_result = _judge(_plan(_sse("AES256", False)), usage)
    assert sse_s3_result.passed and _kms(sse_s3) == []


def test_a_configuration_the_plan_cannot_tie_to_one_bucket_is_priced_on_the_carrier() -> None:
    """``bucket = each.value.id`` (infra/storage.tf's form) names no bucket: KMS may encrypt any of them."""
    doc = _plan(_sse("aws:kms", False, bucket=None))
    doc["configuration"]["root_module"]["resources"].append(
        {"address": SSE, "expressions": {"bucket": {"references": ["each.value.id", "each.value"]}}}
    )
    estimate, _ = _judge(doc)
    assert [usd for _, usd in _kms(estimate) if usd] == [pytest.approx(220_000 * KMS_PRICE)]


def test_a_configuration_referring_to_its_bucket_puts_the_month_on_that_bucket() -> None:
    doc = _plan(_sse("aws:kms", False, bucket=None))
    doc["configuration"]["root_module"]["resources"].append(
        {"address": SSE, "expressions": {"bucket": {"references": [f"{GOLD}.id", GOLD, "aws_s3_bucket.this"]}}}
    )
    estimate, _ = _judge(doc)
    assert [a for a, usd in _kms(estimate) if usd] == [GOLD]


def test_dsse_kms_is_unpriced_naming_the_configuration() -> None:
    estimate, result = _judge(_plan(_sse("aws:kms:dsse", False)))
    assert result.status is Status.ERROR
    assert f"{SSE} (aws_s3_bucket_server_side_encryption_configuration) has no price: it sets DSSE-KMS" in str(
        result.reason
    )
    assert SSE not in {f["address"] for f in estimate.free}


def test_a_customer_managed_key_is_priced_per_month_and_counted_negligible_for_co2() -> None:
    key = resource("aws_kms_key.lake", "aws_kms_key", {"enable_key_rotation": False})
    rotated = resource("aws_kms_key.rotated", "aws_kms_key", {"enable_key_rotation": True})
    alias = resource("aws_kms_alias.lake", "aws_kms_alias", {"name": "alias/lake"})
    doc = _plan(key, rotated, alias)
    estimate, result = _judge(doc)
    assert result.passed, result.reason
    by_address = {line.address: line.monthly_usd for line in estimate.lines}
    assert by_address["aws_kms_key.lake"] == pytest.approx(1.0)
    assert by_address["aws_kms_key.rotated"] == pytest.approx(3.0)
    assert "aws_kms_alias.lake" in {f["address"] for f in estimate.free}
    assert not [g for g in not_estimated(planned_resources(doc, REGION)) if g["significant"]]


@pytest.mark.parametrize(
    ("rtype", "address", "requests"),
    [("aws_sqs_queue", "aws_sqs_queue.inbox", 10_000), ("aws_sns_topic", "aws_sns_topic.alerts", 200)],
)
def test_a_queue_or_topic_with_a_kms_key_prices_its_kms_requests(rtype: str, address: str, requests: int) -> None:
    doc = _plan()
    resources = doc["planned_values"]["root_module"]["resources"]
    resources[:] = [r for r in resources if r["address"] != address]
    resources.append(resource(address, rtype, {"kms_master_key_id": "alias/aws/sqs"}))
    estimate, _ = _judge(doc)
    assert _kms(estimate) == [(address, pytest.approx(requests * KMS_PRICE))]
    resources[-1]["values"] = {"kms_master_key_id": None, "sqs_managed_sse_enabled": True}
    estimate, _ = _judge(doc)
    assert _kms(estimate) == []


def test_a_lifecycle_rule_transitioning_objects_is_unpriced_and_an_expiring_one_is_free() -> None:
    expire = {"id": "old", "status": "Enabled", "expiration": [{"days": 30}], "transition": []}
    glacier = {"id": "cold", "status": "Enabled", "transition": [{"days": 30, "storage_class": "GLACIER"}]}
    address = "aws_s3_bucket_lifecycle_configuration.this"
    estimate, result = _judge(_plan(resource(address, "aws_s3_bucket_lifecycle_configuration", {"rule": [expire]})))
    assert result.passed and address in {f["address"] for f in estimate.free}
    ruled = resource(address, "aws_s3_bucket_lifecycle_configuration", {"rule": [expire, glacier]})
    estimate, result = _judge(_plan(ruled))
    assert result.status is Status.ERROR
    said = f"{address} (aws_s3_bucket_lifecycle_configuration) has no price: a lifecycle rule transitions objects to"
    assert f"{said} GLACIER" in str(result.reason)
    disabled = copy.deepcopy(ruled)
    disabled["values"]["rule"][1]["status"] = "Disabled"
    assert _judge(_plan(disabled))[1].passed


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ({"auto_deployments_enabled": True, "code_repository": []}, "deploys automatically"),
        ({"auto_deployments_enabled": None}, "deploys automatically"),  # the provider's default: true
        ({"auto_deployments_enabled": False, "code_repository": [{"repository_url": "x"}]}, "builds from a source"),
    ],
)
def test_an_app_runner_service_deploying_automatically_is_unpriced_but_keeps_its_hours(
    source: dict[str, Any], said: str
) -> None:
    doc = _plan()
    for res in doc["planned_values"]["root_module"]["resources"]:
        if res["address"] == SERVICE:
            res["values"]["source_configuration"] = [source]
    estimate, result = _judge(doc)
    assert result.status is Status.ERROR
    assert f"{SERVICE} (aws_apprunner_service) has no price: " in str(result.reason) and said in str(result.reason)
    assert SERVICE in {line.address for line in estimate.lines}  # its instance hours stay in the total


def test_the_bucket_key_share_is_a_share(tmp_path: Path) -> None:
    doc = yaml.safe_load(USAGE_FILE.read_text(encoding="utf-8"))
    for bad, said in ((1.5, "at most 1"), (0, "must be > 0")):
        doc["kms"]["s3_bucket_key_request_share"] = bad
        path = tmp_path / "usage.yml"
        path.write_text(yaml.safe_dump(doc), encoding="utf-8")
        with pytest.raises(DataFileError, match=rf"usage.yml:\d+: kms.s3_bucket_key_request_share: .*{said}"):
            load_usage(path)


def _infracost(doc: dict[str, Any], cost: dict[str, str]) -> CostEstimate:
    """A classic Infracost answer naming every planned resource, costing those in ``cost`` and the KMS keys' month
    with their request parts null (internal/resources/aws/kms_key.go)."""
    resources = planned_resources(doc, REGION)
    answer: list[dict[str, Any]] = []
    for r in resources:
        comps = [
            {
                "name": "x",
                "monthlyQuantity": "1",
                "price": cost.get(r.address, "0"),
                "monthlyCost": cost.get(r.address, "0"),
            }
        ]
        if r.type == "aws_kms_key":
            comps = [
                {"name": "Customer master key", "monthlyQuantity": "1", "price": "1", "monthlyCost": "1"},
                {"name": "Requests", "monthlyQuantity": None, "price": "0.03", "monthlyCost": None},
            ]
        answer.append({"name": r.address, "resourceType": r.type, "costComponents": comps})
    total = str(sum(float(v) for v in cost.values()) + sum(r.type == "aws_kms_key" for r in resources))
    parsed = parse_infracost({"projects": [{"breakdown": {"resources": answer}}], "totalMonthlyCost": total})
    return price_the_unpriced(parsed, resources, load_prices(), load_usage(), REGION)


def test_the_infracost_path_prices_kms_requests_and_keys_from_the_table() -> None:
    key = resource("aws_kms_key.lake", "aws_kms_key", {"enable_key_rotation": False})
    estimate = _infracost(_plan(_sse("aws:kms", False), key), {GOLD: "0.5"})
    assert not estimate.unpriced_components and not estimate.unpriced, (estimate.unpriced, estimate.unpriced_components)
    kms_lines = {line.address: line.monthly_usd for line in estimate.lines if "kms" in line.address.lower()}
    assert kms_lines == {f"{GOLD} (KMS requests)": pytest.approx(220_000 * KMS_PRICE), "aws_kms_key.lake": 1.0}
    keyed = _infracost(_plan(_sse("aws:kms", True)), {GOLD: "0.5"})
    assert [line.monthly_usd for line in keyed.lines if "(KMS requests)" in line.address] == [
        pytest.approx(2_200 * KMS_PRICE)
    ]
    healthy = _infracost(_plan(_sse("AES256", False)), {GOLD: "0.5"})
    assert not [line for line in healthy.lines if "KMS" in line.address]


def test_the_infracost_path_names_a_transitioning_lifecycle_rule_it_calls_free() -> None:
    glacier = {"id": "cold", "status": "Enabled", "transition": [{"days": 30, "storage_class": "DEEP_ARCHIVE"}]}
    address = "aws_s3_bucket_lifecycle_configuration.this"
    doc = _plan(resource(address, "aws_s3_bucket_lifecycle_configuration", {"rule": [glacier]}))
    estimate = _infracost(doc, {GOLD: "0.5"})
    assert [u["address"] for u in estimate.unpriced] == [address]
    assert judge_cost(estimate, 20.0, BUDGET).status is Status.ERROR


def test_cross_region_replication_stays_unpriced() -> None:
    address = "aws_s3_bucket_replication_configuration.dr"
    _, result = _judge(_plan(resource(address, "aws_s3_bucket_replication_configuration", {"role": "r"})))
    assert result.status is Status.ERROR and address in str(result.reason)
