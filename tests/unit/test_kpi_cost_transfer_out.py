"""KPI cost: the usage file's data transfer out is priced, not only counted for CO2.

fixtures/cost/usage.yml states ``s3.gb_transferred_out`` (results downloaded) and KPI-co2 counts its network
energy, but no cost line priced it: a stack whose month downloads 200 GB of results (about 23 USD in Tokyo)
passed the 20 USD cap at under 5 USD. It is now a component of the buckets' lines, at the region's
internet data-transfer-out price.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from lakehouse.kpi.cost import (
    USAGE_FILE,
    estimate_cost,
    judge_cost,
    load_prices,
    load_usage,
    parse_infracost,
    planned_resources,
    price_the_unpriced,
)
from tests.unit.plan_docs import BUDGET, REGION, pause_values, plan


def _judge(usage: Path) -> tuple[Any, Any]:
    estimate = estimate_cost(planned_resources(plan(pause_values()), REGION), load_prices(), load_usage(usage))
    return estimate, judge_cost(estimate, 20.0, BUDGET)


def test_a_month_downloading_200_gb_fails_the_cap(tmp_path: Path) -> None:
    doc = yaml.safe_load(USAGE_FILE.read_text(encoding="utf-8"))
    doc["s3"]["gb_transferred_out"] = 200
    usage = tmp_path / "usage.yml"
    usage.write_text(yaml.safe_dump(doc), encoding="utf-8")
    estimate, result = _judge(usage)
    assert not result.passed
    assert result.measured > 20.0 and "over the 20 USD cap" in str(result.reason)
    transfer = [c for line in estimate.lines for c in line.components if c.name == "data transfer out to the internet"]
    assert sum(c.quantity for c in transfer) == 200
    assert sum(c.monthly_usd for c in transfer) == pytest.approx(200 * 0.114)


def test_the_committed_month_prices_its_gigabyte_out_and_passes() -> None:
    estimate, result = _judge(USAGE_FILE)
    assert result.passed, result.reason
    transfer = [c for line in estimate.lines for c in line.components if c.name == "data transfer out to the internet"]
    assert round(sum(c.monthly_usd for c in transfer), 6) == 0.114  # 1 GB, on the bucket carrying the S3 month
    assert [c.quantity for c in transfer if c.quantity] == [1]


def test_the_infracost_path_prices_the_transfer_out_from_the_table() -> None:
    """Infracost is not given the transfer (lakehouse.infracost): the table prices it on the bucket carrying it."""
    resources = planned_resources(plan(pause_values()), REGION)
    empty = parse_infracost({"projects": [{"breakdown": {"resources": []}}], "totalMonthlyCost": "0"})
    estimate = price_the_unpriced(empty, resources, load_prices(), load_usage())
    transfer = [line for line in estimate.lines if line.address.endswith("(data transfer out)")]
    assert len(transfer) == 1 and estimate.total_usd == pytest.approx(0.114)
    assert (
        transfer[0].address == 'aws_s3_bucket.this["bronze"] (data transfer out)'
        and "carries all" in transfer[0].carries
    )
    assert transfer[0].components[0].name == "data transfer out to the internet [fixtures prices 2026-11-22]"
