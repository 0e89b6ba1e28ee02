"""infra.yml prices pull requests with Infracost and our month of usage, translated the way KPI-cost does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from lakehouse.config import project_root
from lakehouse.infracost import main

ROOT = project_root()


def _resource(address: str, kind: str) -> dict[str, Any]:
    name = address.split(".")[1].split("[")[0]
    return {"address": address, "mode": "managed", "type": kind, "name": name, "values": {}}


def _plan() -> dict[str, Any]:
    """The part of `terraform show -json` the translation reads: four buckets, the catalog, two topics."""
    buckets = [_resource(f'aws_s3_bucket.this["{p}"]', "aws_s3_bucket") for p in ("bronze", "silver", "gold", "x")]
    others = [
        _resource("aws_glue_catalog_database.this", "aws_glue_catalog_database"),
        _resource("aws_sns_topic.alerts", "aws_sns_topic"),
        _resource("aws_sns_topic.billing_alerts", "aws_sns_topic"),
    ]
    return {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": buckets + others}},
        "configuration": {"root_module": {"resources": []}},
    }


def test_usage_file_is_written_per_planned_address(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_plan()))
    out = tmp_path / "infracost-usage.yml"
    assert main([str(plan), str(out), "--region", "us-east-1"]) == 0
    doc = yaml.safe_load(out.read_text())
    assert doc["version"] == "0.1"
    usage = doc["resource_usage"]
    # fixtures/cost/usage.yml: 5 GB, 20000 PUTs, 200000 GETs, 100 publishes, each on the one resource carrying it
    # (all in us-east-1 at the same prices: the first address), the others zero, stated.
    assert usage['aws_s3_bucket.this["bronze"]']["standard"]["storage_gb"] == 5
    assert usage['aws_s3_bucket.this["bronze"]']["standard"]["monthly_tier_1_requests"] == 20000
    assert usage['aws_s3_bucket.this["gold"]']["standard"]["storage_gb"] == 0
    assert usage['aws_s3_bucket.this["gold"]']["standard"]["monthly_tier_1_requests"] == 0
    assert usage["aws_glue_catalog_database.this"]["monthly_requests"] == 50000
    assert usage["aws_sns_topic.alerts"]["monthly_requests"] == 100
    assert usage["aws_sns_topic.billing_alerts"]["monthly_requests"] == 0


def test_not_a_plan_is_named(tmp_path: Path, capsys: Any) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"format_version": "1.2"}')
    assert main([str(plan), str(tmp_path / "out.yml"), "--region", "us-east-1"]) == 1
    assert f"{plan}: not a saved plan's" in capsys.readouterr().err


def test_infra_plan_job_comments_the_monthly_cost() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/infra.yml").read_text())
    plan, apply = workflow["jobs"]["plan"], workflow["jobs"]["apply"]
    assert plan["permissions"]["pull-requests"] == "write"
    assert "pull-requests" not in workflow["permissions"] and "pull-requests" not in apply["permissions"]
    scripts = "\n".join(step.get("run", "") for step in plan["steps"])
    assert "python -m lakehouse.infracost" in scripts and "--usage-file=" in scripts
    assert "infracost comment github" in scripts and "--behavior=update" in scripts
    setup = next(s for s in plan["steps"] if str(s.get("uses", "")).startswith("infracost/actions/setup@"))
    assert str(setup["with"]["version"]).count(".") == 2, "the Infracost CLI is pinned to one version"
