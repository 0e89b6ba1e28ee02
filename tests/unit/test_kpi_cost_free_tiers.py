"""KPI cost: prices.yml applies no free tier, SQS requests and EventBridge Scheduler invocations included.

prices.yml says free tiers are not applied (they are the account's, shared with whatever else runs there), yet
listed ``aws_sqs_queue`` and ``aws_scheduler_schedule`` free because of theirs (SQS: the first 1M requests a
month; Scheduler: the first 14M invocations): an alerts inbox short-polled by a few readers (60M requests, 24
USD) passed the 20 USD cap at 0. Both are now priced per request, from dated, sourced prices: SQS requests from
usage.yml, a schedule's invocations from its planned expression (at most one a minute).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from lakehouse.kpi.cost import (
    PRICES_FILE,
    USAGE_FILE,
    estimate_cost,
    judge_cost,
    load_prices,
    load_usage,
    planned_resources,
)
from lakehouse.outcome import Status
from tests.unit.plan_docs import BUDGET, PAUSE, REGION, pause_values, plan, resource

INBOX = "aws_sqs_queue.alerts_inbox"
#: A why or source leaning on a free tier ("first 1 million requests per month are free", "free tier").
FREE_TIER = re.compile(r"free tier|first [\d,.]+ (million )?\w+ (a|per) month (are )?free", re.IGNORECASE)


def _judge(usage: Path, pause: dict[str, Any] | None = None) -> Any:
    doc = plan(pause or pause_values(), extra=[resource(INBOX, "aws_sqs_queue", {"fifo_queue": False})])
    estimate = estimate_cost(planned_resources(doc, REGION), load_prices(), load_usage(usage))
    return estimate, judge_cost(estimate, 20.0, BUDGET)


def test_no_type_is_listed_free_because_of_its_free_tier() -> None:
    free = yaml.safe_load(PRICES_FILE.read_text(encoding="utf-8"))["free_resource_types"]
    leaning = {name: e["why"] for name, e in free.items() if FREE_TIER.search(f"{e['why']} {e['source']}")}
    assert leaning == {}, "prices.yml applies no free tier, yet lists these free because of theirs"


def test_a_busy_alerts_inbox_fails_the_cap(tmp_path: Path) -> None:
    doc = yaml.safe_load(USAGE_FILE.read_text(encoding="utf-8"))
    doc["sqs"] = {"requests": 60_000_000}  # readers short-polling the inbox, empty receives included
    usage = tmp_path / "usage.yml"
    usage.write_text(yaml.safe_dump(doc), encoding="utf-8")
    estimate, result = _judge(usage)
    assert result.status is Status.FAILED, result.reason
    assert f"{INBOX} 24.00" in str(result.reason)  # 60M x 0.40 USD per million (Tokyo, standard queue)


def test_the_committed_month_prices_the_inbox_and_the_pause_and_passes() -> None:
    estimate, result = _judge(USAGE_FILE)
    assert result.passed, result.reason
    lines = {line.address: line for line in estimate.lines}
    assert lines[INBOX].monthly_usd == pytest.approx(load_usage()["sqs"]["requests"] * 0.40 / 1e6)
    assert lines[PAUSE].components[0].quantity == 730  # rate(1 hour)
    assert {INBOX, PAUSE}.isdisjoint(f["address"] for f in estimate.free)


@pytest.mark.parametrize(
    ("expression", "invocations"),
    [("rate(1 minute)", 43_800), ("rate(2 hours)", 365), ("cron(0 * * * ? *)", 43_800), ("at(2027-01-01T00:00:00)", 1)],
)
def test_a_schedule_is_priced_for_each_invocation_its_expression_makes(expression: str, invocations: int) -> None:
    estimate, _ = _judge(USAGE_FILE, pause_values(expression))
    [line] = [line for line in estimate.lines if line.address == PAUSE]
    assert line.components[0].quantity == invocations  # a cron at most once a minute: an upper bound
    assert line.monthly_usd == pytest.approx(invocations * 1.25 / 1e6)
