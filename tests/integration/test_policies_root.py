"""lakehouse.policies on real plans: infra/ as committed passes, a root broken in four norms is caught.

No deploy: Terraform plans the root against a throwaway emulator (what `make lint` runs), so this
shows the policies read Terraform's real plan JSON, for_each expansion included.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.config import DEFAULT_MONTHLY_COST_CAP_USD
from lakehouse.policies import evaluate, plan_infra
from lakehouse.stack import TFVARS_FILE


def _break(root: Path) -> None:
    """Versioning suspended on every bucket, the billing alarm on the stack's region, a 50 USD budget, no expiry."""
    storage = root / "storage.tf"
    storage.write_text(storage.read_text().replace('status = "Enabled"\n  }\n}', 'status = "Suspended"\n  }\n}', 1))
    finops = root / "finops.tf"
    text = finops.read_text().replace("  provider = aws.use1\n\n  alarm_name", "  alarm_name")
    finops.write_text(text.replace("limit_amount = local.budget_limit_amount", 'limit_amount = "50"'))
    variables = root / TFVARS_FILE  # the variables every stack gets: take its expiry away
    values = json.loads(variables.read_text())
    del values["expires_at"]
    variables.write_text(json.dumps(values))


@pytest.mark.xdist_group("policies")
def test_infra_passes_and_a_broken_root_is_caught_naming_each_culprit() -> None:
    assert [str(v) for v in evaluate(plan_infra(), DEFAULT_MONTHLY_COST_CAP_USD)] == []

    found = [str(v) for v in evaluate(plan_infra(_break), DEFAULT_MONTHLY_COST_CAP_USD)]
    buckets = [f'aws_s3_bucket.this["{b}"]' for b in ("athena-results", "bronze", "gold", "silver")]
    for bucket in buckets:
        assert f"bucket-versioning: {bucket}: versioning is 'Suspended'" in "\n".join(found)
    assert "budget-cap: aws_budgets_budget.monthly_cost: limit 50 USD is over the cap of 20 USD" in found
    assert any(v.startswith("billing-alarm: aws_cloudwatch_metric_alarm.estimated_charges: in region") for v in found)
    assert "stack-tags: aws_sns_topic.alerts: no 'expires_at' tag" in found
    assert not [
        v for v in found if v.split(":")[0] not in {"bucket-versioning", "budget-cap", "billing-alarm", "stack-tags"}
    ]
