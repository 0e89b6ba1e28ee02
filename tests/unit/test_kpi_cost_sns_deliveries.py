"""KPI cost: SNS deliveries are priced per subscription protocol, not only the topic's publishes.

SNS bills every delivery apart from the publish: e-mail at 2 USD per 100,000, HTTP/S at 0.60 USD per million, SMS
per message part by the destination's country (0.07451 USD to Japan); SQS and Lambda deliveries are free. The
estimate priced only publishes and listed every aws_sns_topic_subscription as free, so a plan subscribing a phone
to a chatty topic hid its cost: 1,000 alerts texted to a Japanese number are about 75 USD a month, priced 0.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

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
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET, REGION, pause_values, plan, resource

SUB = "aws_sns_topic_subscription"
#: A root planned by Terraform (tests/unit/data/plans/README.md): a queue, a mailbox, two Japanese phones (one
#: number a sensitive variable, which the plan's values still show), an HTTPS hook.
SNS_PLAN = Path(__file__).parent / "data" / "plans" / "sns" / "plan.json"


def _usage(tmp_path: Path, **sns: float) -> Path:
    """The committed usage file with its sns section changed."""
    doc = yaml.safe_load(USAGE_FILE.read_text(encoding="utf-8"))
    doc["sns"].update(sns)
    path = tmp_path / "usage.yml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def _subscription(name: str, protocol: str | None, endpoint: str | None = None) -> dict[str, Any]:
    values = {"topic_arn": "arn:aws:sns:ap-northeast-1:123456789012:alerts", "protocol": protocol, "endpoint": endpoint}
    return resource(f"{SUB}.{name}", SUB, values)


def _estimate(*subscriptions: dict[str, Any], usage: Path = USAGE_FILE) -> CostEstimate:
    resources = planned_resources(plan(pause_values(), extra=list(subscriptions)), REGION)
    return estimate_cost(resources, load_prices(), load_usage(usage))


def _line(estimate: CostEstimate, address: str) -> Any:
    (line,) = [line for line in estimate.lines if line.address == address]
    return line


def test_an_sms_subscription_to_a_chatty_topic_is_priced_and_fails_the_cap(tmp_path: Path) -> None:
    usage = _usage(tmp_path, publishes=1000)
    estimate = _estimate(_subscription("pager", "sms", "+819012345678"), usage=usage)
    line = _line(estimate, f"{SUB}.pager")
    assert line.monthly_usd == pytest.approx(1000 * 0.07451)  # one message part per alert, to Japan
    assert line.components[0].name == "SMS to +81 (Japan, every publish)" and line.components[0].quantity == 1000
    result = judge_cost(estimate, 20.0, BUDGET)
    assert not result.passed and "over the 20 USD cap" in str(result.reason)
    assert f"{SUB}.pager {line.monthly_usd:.2f}" in str(result.reason)


def test_an_email_subscription_is_priced_per_notification() -> None:
    line = _line(_estimate(_subscription("ops", "email", "ops@example.com")), f"{SUB}.ops")
    assert line.monthly_usd == pytest.approx(100 * 2.00 / 100_000)  # usage.yml's 100 alerts, each delivered
    assert line.components[0].unit == "notifications" and line.components[0].unit_price_usd == 2.00


def test_a_long_sms_or_a_large_message_is_billed_per_part_or_chunk(tmp_path: Path) -> None:
    usage = _usage(tmp_path, request_size_kb=100, sms_parts_per_notification=3)
    estimate = _estimate(
        _subscription("pager", "sms", "+12025550100"), _subscription("hook", "https", "https://x"), usage=usage
    )
    assert _line(estimate, f"{SUB}.pager").monthly_usd == pytest.approx(100 * 3 * 0.0075)
    assert _line(estimate, f"{SUB}.hook").components[0].quantity == 200  # 100 KB: two 64 KB chunks each
    assert _line(estimate, "aws_sns_topic.alerts").components[0].quantity == 200


def test_an_sqs_subscription_is_free_and_changes_nothing() -> None:
    """Healthy twin: SNS charges nothing for deliveries to SQS (the stack's alerts inbox) or Lambda."""
    alone = _estimate()
    estimate = _estimate(
        _subscription("inbox", "sqs", "arn:aws:sqs:ap-northeast-1:123456789012:inbox"),
        _subscription("fn", "lambda", "arn:aws:lambda:ap-northeast-1:123456789012:function:f"),
    )
    assert estimate.total_usd == pytest.approx(alone.total_usd)
    assert {f["address"] for f in estimate.free if f["type"] == SUB} == {f"{SUB}.inbox", f"{SUB}.fn"}
    assert not [line for line in estimate.lines if line.type == SUB] and not estimate.unpriced
    assert judge_cost(estimate, 20.0, BUDGET).passed


@pytest.mark.parametrize(
    ("protocol", "endpoint", "why"),
    [
        ("sms", "+2348012345678", "in a country fixtures/cost/prices.yml has no SMS price for"),
        ("sms", None, "its phone number is not known at plan time"),
        ("sms", "09012345678", "is not an E.164 phone number"),
        (None, None, "its protocol is not known at plan time"),
        ("carrier-pigeon", "x", "no price for SNS deliveries over protocol 'carrier-pigeon'"),
    ],
)
def test_a_delivery_the_table_cannot_price_is_an_error_naming_it(
    protocol: str | None, endpoint: str | None, why: str
) -> None:
    result = judge_cost(_estimate(_subscription("pager", protocol, endpoint)), 20.0, BUDGET)
    assert result.status is Status.ERROR
    assert f"{SUB}.pager ({SUB}) has no price: " in str(result.reason) and why in str(result.reason)


def test_the_infracost_path_prices_deliveries_from_the_table_once() -> None:
    """Infracost leaves e-mail and SMS subscriptions out (nothing to build) and prices an HTTP one at 0 (it is told
    none): the table prices each, as in the estimate, and Infracost's 0 USD line is not kept beside it."""
    resources = planned_resources(
        plan(
            pause_values(),
            extra=[
                _subscription("ops", "email", "ops@example.com"),
                _subscription("pager", "sms", "+819012345678"),
                _subscription("hook", "https", "https://example.com/hook"),
                _subscription("inbox", "sqs", "arn:aws:sqs:ap-northeast-1:123456789012:inbox"),
            ],
        ),
        REGION,
    )
    http_zero = {"name": "HTTP notifications", "unit": "1M notifications", "monthlyQuantity": "0", "price": "0.6"}
    http_zero["monthlyCost"] = "0"
    doc = {
        "totalMonthlyCost": "0",
        "projects": [
            {
                "breakdown": {
                    "resources": [
                        {"name": f"{SUB}.hook", "resourceType": SUB, "costComponents": [http_zero]},
                    ]
                }
            }
        ],
    }
    estimate = price_the_unpriced(parse_infracost(doc), resources, load_prices(), load_usage())
    by_address = {line.address: line for line in estimate.lines if line.type == SUB}
    assert set(by_address) == {f"{SUB}.ops", f"{SUB}.pager", f"{SUB}.hook"}
    assert by_address[f"{SUB}.pager"].monthly_usd == pytest.approx(100 * 0.07451)
    assert by_address[f"{SUB}.hook"].monthly_usd == pytest.approx(100 * 0.60 / 1_000_000)
    assert all("[fixtures prices" in line.components[0].name for line in by_address.values())
    assert f"{SUB}.inbox" in {f["address"] for f in estimate.free}
    assert not [u for u in estimate.unpriced if u["type"] == SUB]
    table = estimate_cost(resources, load_prices(), load_usage())
    assert sum(line.monthly_usd for line in by_address.values()) == pytest.approx(
        sum(line.monthly_usd for line in table.lines if line.type == SUB)
    )


def test_a_terraform_plan_s_subscriptions_are_priced_by_protocol() -> None:
    resources = planned_resources(json.loads(SNS_PLAN.read_text(encoding="utf-8")), REGION)
    estimate = estimate_cost(resources, load_prices(), load_usage())
    priced = {line.address: round(line.monthly_usd, 6) for line in estimate.lines if line.type == SUB}
    assert priced == {  # usage.yml's 100 alerts, each delivered to every subscription
        f"{SUB}.phone": round(100 * 0.07451, 6),
        f"{SUB}.pager": round(100 * 0.07451, 6),  # its number is a sensitive variable's: still in the plan
        f"{SUB}.mailbox": round(100 * 2.00 / 100_000, 6),
        f"{SUB}.hook": round(100 * 0.60 / 1_000_000, 6),
    }
    assert [f["address"] for f in estimate.free if f["type"] == SUB] == [f"{SUB}.inbox"]  # its ARN unknown: free
    assert not estimate.unpriced
