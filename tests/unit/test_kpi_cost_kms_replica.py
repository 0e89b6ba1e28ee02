"""KPI cost: multi-Region replica keys and keys with imported key material are priced per key-month, in their region.

Before, ``aws_kms_replica_key`` and ``aws_kms_external_key`` were neither priced nor listed free: a stack with one
was ``error`` whatever it cost. aws.amazon.com/kms/pricing bills each primary and each replica multi-Region key, and
each key with imported key material, the same month as any customer managed key (fixtures/cost/prices.yml
``kms_usd_per_key_month``, cited there), each in the region it is in (a replica: its provider's, not its primary's).
A replica shares its primary's automatic rotation: rotated, it is priced at its dearest month (3 key-months), and so
is a replica whose primary the plan does not make (its rotation cannot be told). S3 Intelligent-Tiering keeps no
sourced price in the repository: still ``error`` naming the resource.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lakehouse.kpi.carbon import not_estimated
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
from lakehouse.kpi.datafile import DataFileError
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET, REGION, pause_values, plan, resource

#: A real plan (tests/unit/data/plans/arnregions): aws_kms_key.multi (multi-Region, rotated) in us-east-1, its
#: replica aws_kms_replica_key.dr through the tokyo alias, aws_kms_external_key.byok in us-east-1.
PLAN = Path(__file__).parent / "data" / "plans" / "arnregions" / "plan.json"
TARGET = "us-east-1"
REPLICA = "aws_kms_replica_key.dr"
EXTERNAL = "aws_kms_external_key.byok"
PRIMARY_ARN = "arn:aws:kms:us-east-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef"


def _keys() -> list[Any]:
    keys = (REPLICA, EXTERNAL, "aws_kms_key.multi")
    return [r for r in planned_resources(json.loads(PLAN.read_text(encoding="utf-8")), TARGET) if r.address in keys]


def _lines(estimate: CostEstimate) -> dict[str, tuple[str, float, str]]:
    return {line.address: (line.region, line.monthly_usd, line.components[0].name) for line in estimate.lines}


def test_a_replica_and_an_external_key_are_priced_per_key_month_in_their_own_region() -> None:
    estimate = estimate_cost(_keys(), load_prices(), load_usage())
    assert not estimate.unpriced, estimate.unpriced  # main: both unpriced, the KPI error
    lines = _lines(estimate)
    assert lines[REPLICA][:2] == ("ap-northeast-1", pytest.approx(3.0))  # its primary rotates: so does it
    assert "multi-Region replica key, rotated" in lines[REPLICA][2]
    assert lines[EXTERNAL][:2] == (TARGET, pytest.approx(1.0))
    assert "imported key material" in lines[EXTERNAL][2]
    assert judge_cost(estimate, 20.0, BUDGET).status is Status.PASSED


def _replica(values: dict[str, Any], refers_to: list[str] | None = None) -> dict[str, Any]:
    """infra/ as planned with a multi-Region primary (not rotated) and a replica of ``values``."""
    primary = resource("aws_kms_key.multi", "aws_kms_key", {"multi_region": True, "enable_key_rotation": False})
    doc = plan(pause_values(), extra=[primary, resource(REPLICA, "aws_kms_replica_key", values)])
    config = {"primary_key_arn": {"references": refers_to or []}}
    doc["configuration"]["root_module"]["resources"].append(
        {"address": REPLICA, "provider_config_key": "aws", "expressions": config}
    )
    return doc


def _replica_line(doc: dict[str, Any]) -> tuple[str, float, str]:
    estimate = estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage(), target_region=REGION)
    assert judge_cost(estimate, 20.0, BUDGET).status is Status.PASSED
    return _lines(estimate)[REPLICA]


def test_a_replica_follows_its_primarys_rotation_and_its_own_known_status() -> None:
    refers = ["aws_kms_key.multi.arn", "aws_kms_key.multi"]
    assert _replica_line(_replica({}, refers))[1] == pytest.approx(1.0)  # primary not rotated
    assert _replica_line(_replica({"key_rotation_enabled": True}, refers))[1] == pytest.approx(3.0)  # it exists
    assert _replica_line(_replica({"key_rotation_enabled": False}))[1] == pytest.approx(1.0)


def test_a_replica_of_a_primary_the_plan_does_not_make_is_priced_at_its_dearest_month() -> None:
    region, usd, what = _replica_line(_replica({"primary_key_arn": PRIMARY_ARN}))
    assert (region, usd) == (REGION, pytest.approx(3.0))
    assert "its primary is not one the plan makes" in what


def test_a_replica_in_a_region_the_table_lacks_stops_the_estimate_naming_it() -> None:
    doc = _replica({"primary_key_arn": PRIMARY_ARN, "arn": "arn:aws:kms:eu-west-1:123456789012:key/mrk-0123"})
    with pytest.raises(DataFileError, match=r"aws_kms_replica_key\.dr \(aws_kms_replica_key\) is planned in eu-west-1"):
        estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage())


def test_the_infracost_path_prices_replica_and_external_keys_from_the_table() -> None:
    keys = _keys()
    answer = [  # Infracost's own line for the external key is replaced, the replica it leaves out is priced
        {"name": EXTERNAL, "resourceType": "aws_kms_external_key", "costComponents": [{"monthlyCost": "1.00"}]}
    ]
    parsed = parse_infracost({"projects": [{"breakdown": {"resources": answer}}], "totalMonthlyCost": "1.00"})
    estimate = price_the_unpriced(parsed, keys, load_prices(), load_usage())
    assert not estimate.unpriced and not estimate.unpriced_components, estimate.unpriced
    assert {a: usd for a, (_, usd, _) in _lines(estimate).items()} == {
        REPLICA: pytest.approx(3.0),
        EXTERNAL: pytest.approx(1.0),
        "aws_kms_key.multi": pytest.approx(3.0),
    }
    assert estimate.total_usd == pytest.approx(7.0)  # Infracost's 1.00 for the external key not counted twice


def test_replica_and_external_keys_draw_no_capacity_for_co2() -> None:
    assert not [g for g in not_estimated(_keys()) if g["significant"]]


def test_s3_intelligent_tiering_stays_unpriced_naming_it() -> None:
    address = "aws_s3_bucket_intelligent_tiering_configuration.gold"
    doc = plan(pause_values(), extra=[resource(address, "aws_s3_bucket_intelligent_tiering_configuration", {})])
    estimate = estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage(), target_region=REGION)
    outcome = judge_cost(estimate, 20.0, BUDGET)
    assert outcome.status is Status.ERROR and address in str(outcome.reason)
