"""KPI cost: an object the saved plan keeps is priced in the region its ARN names, not the one its configuration says.

The broken stack (``tests/unit/data/plans/arnregions``, a real ``-refresh=false`` plan against a state): its keys,
queue and pause schedule were applied in eu-west-1 and ap-northeast-1; the configuration now puts them in
us-east-1, and the plan keeps them as they are (no-op), each with its ARN. The estimate priced every one at
us-east-1's prices: the eu-west-1 key (a region fixtures/cost/prices.yml has no row for) at us-east-1's price, the
Tokyo schedule's invocations at 1.00 USD per million instead of Tokyo's 1.25, and the KPI passed. Now each is
priced where its ARN says, or the estimate stops naming the resource, its region and the ARN.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from lakehouse.kpi.cost import (
    CostEstimate,
    arn_placed,
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
from tests.unit.plan_docs import BUDGET, REGION, pause_values, plan

PLAN = Path(__file__).parent / "data" / "plans" / "arnregions" / "plan.json"
TARGET = "us-east-1"  # var.region in the plan
EU_KEY = "aws_kms_key.lake"
SCHEDULE = "aws_scheduler_schedule.catalog_pause"


def _plan() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(PLAN.read_text(encoding="utf-8"))
    return doc


#: The multi-Region primary, its replica and the external key (tests/unit/test_kpi_cost_kms_replica.py).
FRESH_KEYS = ("aws_kms_key.multi", "aws_kms_replica_key.dr", "aws_kms_external_key.byok")


def _estimate(without: tuple[str, ...] = (EU_KEY,)) -> CostEstimate:
    resources = [r for r in planned_resources(_plan(), TARGET) if r.address not in (*without, *FRESH_KEYS)]
    return estimate_cost(resources, load_prices(), load_usage(), target_region=TARGET)


def test_a_kept_key_in_a_region_the_table_lacks_stops_the_estimate_naming_it_its_region_and_arn() -> None:
    with pytest.raises(DataFileError) as err:  # main: all priced at us-east-1's prices, 6.46 USD, KPI passed
        _estimate(without=())
    said = str(err.value)
    assert f"{EU_KEY} (aws_kms_key) is planned in eu-west-1" in said
    assert "arn:aws:kms:eu-west-1:123456789012:key/" in said and "its configuration says us-east-1" in said
    assert "no prices for region 'eu-west-1'" in said


def test_kept_objects_are_priced_at_their_arns_region() -> None:
    regions = {r.address: r.region for r in planned_resources(_plan(), TARGET)}
    assert regions[EU_KEY] == "eu-west-1"  # main: us-east-1 for all four
    assert regions["aws_kms_key.moved"] == regions["aws_sqs_queue.inbox"] == regions[SCHEDULE] == "ap-northeast-1"
    lines = {line.address: line for line in _estimate().lines}
    schedule = lines[SCHEDULE]
    assert schedule.region == "ap-northeast-1" and "its ARN in the plan" in schedule.region_from
    assert [c.unit_price_usd for c in schedule.components] == [1.25]  # main: 1.00, us-east-1's
    assert lines["aws_kms_key.moved"].region == lines["aws_sqs_queue.inbox"].region == "ap-northeast-1"


def test_the_infracost_path_prices_a_kept_key_at_its_arns_region_too() -> None:
    resources = [r for r in planned_resources(_plan(), TARGET) if r.address not in FRESH_KEYS]
    named = [  # Infracost prices the queue and the schedule; the table prices every key (FROM_TABLE_ONLY)
        {"name": a, "resourceType": a.split(".")[0], "costComponents": [{"monthlyCost": "0.01"}]}
        for a in ("aws_sqs_queue.inbox", SCHEDULE)
    ]
    answer = {"projects": [{"breakdown": {"resources": named}}], "totalMonthlyCost": "0.02"}
    with pytest.raises(DataFileError, match=r"aws_kms_key\.lake \(aws_kms_key\) is planned in eu-west-1"):
        price_the_unpriced(parse_infracost(answer), resources, load_prices(), load_usage(), TARGET)
    kept = [r for r in resources if r.address != EU_KEY]
    estimate = price_the_unpriced(parse_infracost(answer), kept, load_prices(), load_usage(), TARGET)
    assert next(line for line in estimate.lines if line.address == "aws_kms_key.moved").region == "ap-northeast-1"
    assert judge_cost(estimate, 20.0, BUDGET).status is Status.PASSED


def test_a_region_its_configuration_cannot_tell_is_its_arns_when_the_plan_keeps_it() -> None:
    doc = copy.deepcopy(_plan())
    doc["configuration"]["provider_config"]["aws"]["expressions"]["region"] = {"references": ["local.region"]}
    regions = {r.address: r.region for r in planned_resources(doc, TARGET)}
    assert regions["aws_kms_key.moved"] == "ap-northeast-1"  # was: unknown, the KPI error although the ARN says
    assert regions["aws_kms_key.fresh"] == ""  # created: no ARN yet, still unknown (error naming it)
    resources = [r for r in planned_resources(doc, TARGET) if r.address in ("aws_kms_key.moved", "aws_kms_key.fresh")]
    outcome = judge_cost(estimate_cost(resources, load_prices(), load_usage()), 20.0, BUDGET)
    assert outcome.status is Status.ERROR and "aws_kms_key.fresh" in str(outcome.reason)
    assert "aws_kms_key.moved" not in str(outcome.reason)


def test_healthy_twins_a_key_kept_in_its_configured_region_and_a_fresh_key_are_priced_as_before() -> None:
    by_address = {r.address: r for r in planned_resources(_plan(), TARGET)}
    for address in ("aws_kms_key.home", "aws_kms_key.fresh"):  # ARN agreeing, none yet
        assert by_address[address].region == TARGET and by_address[address].region_from == ""
    lines = {line.address: line for line in _estimate().lines}
    assert lines["aws_kms_key.home"].monthly_usd == lines["aws_kms_key.fresh"].monthly_usd == pytest.approx(1.0)
    assert lines["aws_kms_key.home"].region_from == ""


def test_healthy_twin_arns_agreeing_with_the_configuration_change_nothing() -> None:
    bare = plan(pause_values())
    with_arns = copy.deepcopy(bare)
    for res in with_arns["planned_values"]["root_module"]["resources"]:
        service = {"aws_s3_bucket": "s3", "aws_sns_topic": "sns"}.get(res["type"], res["type"].split("_")[1])
        region = "" if service == "s3" else REGION  # a bucket's ARN names no region
        res["values"]["arn"] = f"arn:aws:{service}:{region}:123456789012:{res['name']}"
    priced = [
        estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage(), target_region=REGION)
        for doc in (bare, with_arns)
    ]
    assert priced[1].total_usd == pytest.approx(priced[0].total_usd)
    assert judge_cost(priced[1], 20.0, BUDGET).status is Status.PASSED
    assert not [line for line in priced[1].lines if line.region_from]


def test_only_a_priced_types_own_arn_places_it() -> None:
    topic_arn = "arn:aws:sns:eu-west-1:123456789012:elsewhere"
    assert arn_placed("aws_sns_topic", {"arn": topic_arn}, REGION)[0] == "eu-west-1"
    assert arn_placed("aws_sns_topic_policy", {"arn": topic_arn}, REGION) == (REGION, "")  # an argument, not its own
    assert arn_placed("aws_s3_bucket", {"arn": "arn:aws:s3:::lake"}, REGION) == (REGION, "")  # global: says nothing
    assert arn_placed("aws_kms_key", {"arn": None}, REGION) == (REGION, "")  # unknown until apply
