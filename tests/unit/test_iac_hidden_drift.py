"""Exit check 5 and drift the plan keeps: a hand edit the root's ``ignore_changes`` hides plans "No changes".

The fixtures are ``terraform show -json`` of a refreshed plan (format 1.2, as Terraform 1.11 writes it):
``resource_drift`` (before = state, after = the account), ``resource_changes`` and ``configuration``.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lakehouse.checks.iac import check_iac_coverage, judge_iac
from lakehouse.ignored_drift import IgnoredDrift, Unignored
from lakehouse.outcome import Status
from lakehouse.plan_drift import hidden_drift, normalised
from lakehouse.terraform import PlannedChange, PlanResult, TerraformError
from tests.unit.test_iac import EXPECTED, STATE, _Stack, healthy, read_account

__all__ = ["read_account"]  # the fixture, imported for this module's tests

GOLD_BUCKET = "lakehouse-lh-1-gold-123456789012"
DATA = Path(__file__).parent / "data" / "plan_drift"
#: The root the captured plans were made from: a lifecycle rule written only with ``dynamic``, ignored.
DYNAMIC_ROOT = DATA / "root"
RULES = "aws_s3_bucket_lifecycle_configuration.expiry"
POLICY_ADDRESS = 'aws_s3_bucket_policy.tls_only["gold"]'


def _policy(*actions: str, spaced: bool = False) -> str:
    statement = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": list(actions)}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=2 if spaced else None)


def _drift(kind: str, name: str, key: str | None, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    address = f'{kind}.{name}["{key}"]' if key else f"{kind}.{name}"
    return {
        "address": address,
        "mode": "managed",
        "type": kind,
        "name": name,
        **({"index": key} if key else {}),
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {"actions": ["update"], "before": before, "after": after, "after_unknown": {}},
    }


def _unchanged(entry: dict[str, Any]) -> dict[str, Any]:
    """The planned change of a drifted resource whose drift the root ignores: a no-op on the account's values."""
    after = entry["change"]["after"]
    return {**entry, "change": {"actions": ["no-op"], "before": after, "after": after, "after_unknown": {}}}


def _config(kind: str, name: str, *attributes: str) -> dict[str, Any]:
    return {
        "address": f"{kind}.{name}",
        "mode": "managed",
        "type": kind,
        "name": name,
        "expressions": {a: {"references": ["var.x"]} for a in attributes},
        "schema_version": 0,
    }


def _plan_json(drift: list[dict[str, Any]], changes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "resource_drift": drift,
        "resource_changes": [_unchanged(d) for d in drift] if changes is None else changes,
        "configuration": {
            "root_module": {
                "resources": [
                    _config("aws_s3_bucket_policy", "tls_only", "bucket", "policy"),
                    _config("aws_cloudwatch_metric_alarm", "pipeline", "alarm_name", "threshold", "tags"),
                    _config(
                        "aws_glue_catalog_table",
                        "gold_users",
                        "name",
                        "database_name",
                        "table_type",
                        "storage_descriptor",
                        "open_table_format_input",
                    ),
                ]
            }
        },
    }


def _policy_drift(before: str, after: str) -> dict[str, Any]:
    return _drift(
        "aws_s3_bucket_policy",
        "tls_only",
        "gold",
        {"bucket": GOLD_BUCKET, "id": GOLD_BUCKET, "policy": before},
        {"bucket": GOLD_BUCKET, "id": GOLD_BUCKET, "policy": after},
    )


def _drifted_plan() -> PlanResult:
    """What ``terraform plan -json`` streams for a drifted resource whose change the root ignores: exit code 0."""
    return PlanResult(0, [PlannedChange(POLICY_ADDRESS, "update", drift=True)])


def _judge(plan_json: dict[str, Any] | None, plan: PlanResult | None = None) -> Any:
    return judge_iac(plan or _drifted_plan(), STATE, healthy(), EXPECTED, None, None, plan_json)


def test_a_bucket_policy_edited_by_hand_that_the_root_ignores_fails_naming_address_and_attribute() -> None:
    widened = _policy_drift(_policy("s3:*"), _policy("s3:GetObject"))
    result = _judge(_plan_json([widened]))
    assert result.status is Status.FAILED
    reason = str(result.reason)
    assert f"{POLICY_ADDRESS}: policy changed outside Terraform" in reason, reason
    assert "ignore_changes" in reason and "s3:GetObject" in reason
    assert result.measured["drift_the_plan_keeps"] == 1
    assert result.details["problems"]["unmanaged"] == []  # nothing unmanaged: the plan half fails


def test_an_alarm_threshold_ignored_and_edited_fails_whatever_else_is_noise() -> None:
    noisy = _drift(
        "aws_cloudwatch_metric_alarm",
        "pipeline",
        "rows_refused",
        {"alarm_name": "a", "threshold": 1, "tags": None, "dimensions": {}},
        {"alarm_name": "a", "threshold": 1000, "tags": {}, "dimensions": {"Stage": "x"}},  # dimensions: not set
    )
    found = hidden_drift(_plan_json([noisy]))
    assert [(h.address, h.attribute, h.state, h.account) for h in found] == [
        ('aws_cloudwatch_metric_alarm.pipeline["rows_refused"]', "threshold", 1, 1000)
    ]


def test_null_versus_empty_and_a_reformatted_policy_are_noise() -> None:
    noise = _policy_drift(_policy("s3:*"), _policy("s3:*", spaced=True))
    empty = _drift(
        "aws_cloudwatch_metric_alarm",
        "pipeline",
        "stale",
        {"alarm_name": "a", "threshold": 1, "tags": None},
        {"alarm_name": "a", "threshold": 1, "tags": {}},
    )
    result = _judge(_plan_json([noise, empty]))
    assert result.status is Status.PASSED, result.reason
    assert result.details["drift_the_plan_keeps"] == []
    assert result.details["refresh_drift"] == [POLICY_ADDRESS]
    assert normalised({"a": None, "b": "", "c": [], "d": {}}) is None
    assert normalised('{"x": [1]}') == normalised('{\n  "x": [1]\n}')


def test_the_gold_users_table_iceberg_rewrote_is_left_to_the_location_checks() -> None:
    """Iceberg's commits rewrite the table's storage_descriptor and parameters; the root ignores both, rightly."""
    committed = _drift(
        "aws_glue_catalog_table",
        "gold_users",
        None,
        {"name": "users", "parameters": {}, "storage_descriptor": [{"location": "s3://g/users/", "columns": []}]},
        {
            "name": "users",
            "parameters": {"metadata_location": "s3://g/users/metadata/00001.metadata.json"},
            "storage_descriptor": [{"location": "s3://g/users", "columns": [{"name": "id", "type": "int"}]}],
        },
    )
    plan = PlanResult(0, [PlannedChange("aws_glue_catalog_table.gold_users", "update", drift=True)])
    result = _judge(_plan_json([committed]), plan)
    assert result.status is Status.PASSED, result.reason
    # Narrow: another attribute of the same table changed by hand and ignored is still drift the plan keeps.
    renamed = _drift(
        "aws_glue_catalog_table", "gold_users", None, {"table_type": "EXTERNAL_TABLE"}, {"table_type": "VIEW"}
    )
    assert [h.attribute for h in hidden_drift(_plan_json([renamed]))] == ["table_type"]


def test_drift_the_plan_puts_back_is_the_planned_change_not_hidden_drift() -> None:
    widened = _policy_drift(_policy("s3:*"), _policy("s3:GetObject"))
    put_back = {
        **widened,
        "change": {
            "actions": ["update"],
            "before": widened["change"]["after"],
            "after": widened["change"]["before"],
            "after_unknown": {},
        },
    }
    plan = PlanResult(2, [PlannedChange(POLICY_ADDRESS, "update", drift=True), PlannedChange(POLICY_ADDRESS, "update")])
    result = _judge(_plan_json([widened], [put_back]), plan)
    assert result.status is Status.FAILED
    assert result.details["drift_the_plan_keeps"] == []
    assert f"1 resource(s) to change: {POLICY_ADDRESS}" in str(result.reason)


def test_an_ignored_attribute_a_later_apply_wrote_into_the_state_fails_and_an_unplannable_root_is_an_error() -> None:
    """State and account agree (no refresh drift, an empty plan); only the plan without the ignores differs."""
    drift = IgnoredDrift(POLICY_ADDRESS, "policy", _policy("s3:GetObject"), _policy("s3:*"))
    unignored = Unignored({POLICY_ADDRESS: frozenset({"policy"})}, [drift], [])
    result = judge_iac(PlanResult(0), STATE, healthy(), EXPECTED, None, None, None, None, unignored)
    assert result.status is Status.FAILED
    assert result.measured["ignored_attributes_differ"] == 1
    assert f"{POLICY_ADDRESS}: policy in the account (" in str(result.reason) and "s3:GetObject" in str(result.reason)
    assert result.details["ignores_planned_without"] == [POLICY_ADDRESS]

    clean = Unignored({POLICY_ADDRESS: frozenset({"policy"})}, [], [])
    assert judge_iac(PlanResult(0), STATE, healthy(), EXPECTED, None, None, None, None, clean).passed

    failed = TerraformError("plan", 1, ["Error: Invalid resource type"], None)
    result = judge_iac(PlanResult(0), STATE, healthy(), EXPECTED, None, None, None, None, failed)
    assert result.status is Status.ERROR
    assert "planned without its lifecycle ignore_changes" in str(result.reason)


def test_drift_without_the_saved_plan_to_show_is_not_a_pass() -> None:
    result = _judge(None)
    assert result.status is Status.ERROR
    assert f"the refreshed plan's drift of {POLICY_ADDRESS} (no saved plan to show)" in str(result.reason)


@pytest.mark.usefixtures("read_account")
def test_the_check_reads_the_saved_plan_when_the_plan_reports_drift(tmp_path: Path) -> None:
    saved = tmp_path / "last.tfplan"
    widened = _policy_drift(_policy("s3:*"), _policy("s3:GetObject"))
    shown: list[Path] = []
    stack = _Stack(PlanResult(0, [PlannedChange(POLICY_ADDRESS, "update", drift=True)], saved=saved), [])
    stack.tf = SimpleNamespace(  # type: ignore[attr-defined]
        show_plan=lambda path: shown.append(path) or _plan_json([widened]), workdir=DYNAMIC_ROOT
    )
    outcome = check_iac_coverage(stack)  # type: ignore[arg-type]
    assert shown == [saved]
    assert outcome.status is Status.FAILED
    assert f"{POLICY_ADDRESS}: policy changed outside Terraform" in str(outcome.reason)


def test_a_sensitive_value_is_compared_but_never_written() -> None:
    widened = _policy_drift(_policy("s3:*"), _policy("s3:GetObject"))
    widened["change"]["after_sensitive"] = {"policy": True}
    (found,) = hidden_drift(_plan_json([widened]))
    assert (found.attribute, found.state, found.account) == ("policy", "(sensitive)", "(sensitive)")
    assert "s3:GetObject" not in str(found)


def _captured(name: str) -> dict[str, Any]:
    """A refreshed plan Terraform 1.11 and hashicorp/aws 5.100.0 made of ``DYNAMIC_ROOT`` on the emulator."""
    return dict(json.loads((DATA / f"dynamic_rule_{name}.json").read_text(encoding="utf-8")))


def _check_on_captured(name: str, root: Path, tmp_path: Path) -> Any:
    """Exit check 5 over a stack whose saved refreshed plan is the captured one and whose root is ``root``."""
    plan_json = _captured(name)
    drifted = [PlannedChange(str(d["address"]), "update", drift=True) for d in plan_json["resource_drift"]]
    stack = _Stack(PlanResult(0, drifted, saved=tmp_path / "last.tfplan"), [])
    stack.tf = SimpleNamespace(show_plan=lambda _path: plan_json, workdir=root)  # type: ignore[attr-defined]
    return check_iac_coverage(stack)  # type: ignore[arg-type]


@pytest.mark.usefixtures("read_account")
def test_a_rule_written_with_dynamic_edited_by_hand_that_the_root_ignores_fails(tmp_path: Path) -> None:
    """Terraform's JSON drops ``dynamic`` blocks from the configuration: the expiry cut from 30 days to 1 by hand
    (``PutBucketLifecycleConfiguration``) plans "No changes" and used to pass."""
    outcome = _check_on_captured("broken", DYNAMIC_ROOT, tmp_path)
    assert outcome.status is Status.FAILED, outcome.details
    assert outcome.details["plan_changes"] == []
    (kept,) = outcome.details["drift_the_plan_keeps"]
    assert kept.startswith(f"{RULES}: rule (a dynamic block of the root, which the plan's configuration does not show)")
    assert '"days":30' in kept and '"days":1' in kept, kept


@pytest.mark.usefixtures("read_account")
def test_the_dynamic_rule_as_applied_passes_whatever_the_bucket_reports(tmp_path: Path) -> None:
    """Healthy twin: the same root just applied. The bucket's own ``lifecycle_rule`` (Optional+Computed, unset)
    refreshes from the account's rules, and no block of the root changed."""
    outcome = _check_on_captured("healthy", DYNAMIC_ROOT, tmp_path)
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.details["refresh_drift"] == ["aws_s3_bucket.data"]
    assert outcome.details["drift_the_plan_keeps"] == []


@pytest.mark.usefixtures("read_account")
def test_a_root_whose_dynamic_blocks_cannot_be_read_is_not_a_pass(tmp_path: Path) -> None:
    """Drift the plan reports and a root that cannot be read: what the plan's configuration leaves out is unknown."""
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "data" {\n  bucket = "x"\n', encoding="utf-8")
    outcome = _check_on_captured("healthy", tmp_path, tmp_path)
    assert outcome.status is Status.ERROR, outcome.details
    assert f"the root's dynamic blocks ({tmp_path / 'main.tf'}:3: not HCL Terraform can read" in str(outcome.reason)
