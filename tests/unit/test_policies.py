"""The plan's guard rails (lakehouse.policies) on a plan of infra/ and on plans broken one norm at a time.

``data/policies/plan.json`` is ``terraform show -json`` of infra/ as ``python -m lakehouse.policies``
plans it (against the emulator; ``prior_state`` and outputs trimmed). Regenerate it with
``python -m lakehouse.policies --save tests/unit/data/policies/plan.json`` after an infra/ change.
Each broken plan is the fixture with one edit, as the broken root would plan it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lakehouse.policies import Plan, Violation, evaluate, expiry, main, policies

FIXTURE = Path(__file__).parent / "data" / "policies" / "plan.json"
CAP = 20.0
GOLD = 'aws_s3_bucket.this["gold"]'
Doc = dict[str, Any]


@pytest.fixture(scope="module")
def pristine() -> Doc:
    return dict(json.loads(FIXTURE.read_text()))


@pytest.fixture
def plan(pristine: Doc) -> Doc:
    return copy.deepcopy(pristine)


def _resources(doc: Doc) -> list[Doc]:
    return list(doc["planned_values"]["root_module"]["resources"])


def _resource(doc: Doc, address: str) -> Doc:
    return next(r for r in _resources(doc) if r["address"] == address)


def _drop(doc: Doc, address: str) -> None:
    root = doc["planned_values"]["root_module"]
    root["resources"] = [r for r in root["resources"] if r["address"] != address]


def _config(doc: Doc, address: str) -> Doc:
    return next(r for r in doc["configuration"]["root_module"]["resources"] if r["address"] == address)


def _judge(doc: Doc) -> list[str]:
    return [str(v) for v in evaluate(doc, CAP)]


def test_infra_as_planned_breaks_no_policy(plan: Doc) -> None:
    assert _judge(plan) == []
    assert len(policies(CAP)) == 9


def test_every_bucket_setting_is_linked_to_its_own_bucket_through_for_each(plan: Doc) -> None:
    parsed = Plan(plan)
    for setting in parsed.of_type("aws_s3_bucket_versioning", "aws_s3_bucket_public_access_block"):
        assert parsed.bucket_of(setting) == f"aws_s3_bucket.this[{json.dumps(setting.index)}]"


# -- one broken norm each: caught, naming the culprit ------------------------------------------------------

Breaker = Callable[[Doc], None]


def _no_encryption(doc: Doc) -> None:
    _drop(doc, 'aws_s3_bucket_server_side_encryption_configuration.this["gold"]')


def _unencrypted_algorithm(doc: Doc) -> None:
    setting = _resource(doc, 'aws_s3_bucket_server_side_encryption_configuration.this["gold"]')
    setting["values"]["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] = "NONE"


def _versioning_suspended(doc: Doc) -> None:
    _resource(doc, 'aws_s3_bucket_versioning.this["gold"]')["values"]["versioning_configuration"][0]["status"] = (
        "Suspended"
    )


def _no_versioning(doc: Doc) -> None:
    _drop(doc, 'aws_s3_bucket_versioning.this["gold"]')


def _public_policy_allowed(doc: Doc) -> None:
    _resource(doc, 'aws_s3_bucket_public_access_block.this["gold"]')["values"]["block_public_policy"] = False


def _no_public_access_block(doc: Doc) -> None:
    _drop(doc, 'aws_s3_bucket_public_access_block.this["gold"]')


def _no_lifecycle(doc: Doc) -> None:
    _drop(doc, 'aws_s3_bucket_lifecycle_configuration.this["gold"]')


def _no_stack_tag(doc: Doc) -> None:
    del _resource(doc, "aws_sns_topic.alerts")["values"]["tags_all"]["stack_id"]


def _foreign_stack_tag(doc: Doc) -> None:
    _resource(doc, "aws_sns_topic.alerts")["values"]["tags_all"]["stack_id"] = "someone-else"


def _no_expiry_tag(doc: Doc) -> None:
    del _resource(doc, "aws_sns_topic.alerts")["values"]["tags_all"]["expires_at"]


def _relative_expiry_tag(doc: Doc) -> None:
    _resource(doc, "aws_sns_topic.alerts")["values"]["tags_all"]["expires_at"] = "12h"


def _pipeline_policy(doc: Doc, statement: Doc) -> None:
    pipeline = _resource(doc, "aws_iam_role_policy.pipeline")["values"]
    policy = json.loads(pipeline["policy"])
    policy["Statement"].append(statement)
    pipeline["policy"] = json.dumps(policy)


def _gold_arn(doc: Doc) -> str:
    return f"arn:aws:s3:::{_resource(doc, GOLD)['values']['bucket']}"


def _s3_star_on_gold(doc: Doc) -> None:
    _pipeline_policy(doc, {"Sid": "Everything", "Effect": "Allow", "Action": "s3:*", "Resource": _gold_arn(doc)})


def _get_on_every_bucket(doc: Doc) -> None:
    statement = {"Sid": "AllBuckets", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::*/*"}
    _pipeline_policy(doc, statement)


def _not_action_on_gold(doc: Doc) -> None:
    statement = {"Sid": "Inverse", "Effect": "Allow", "NotAction": "iam:*", "Resource": f"{_gold_arn(doc)}/*"}
    _pipeline_policy(doc, statement)


def _public_bucket_policy(doc: Doc) -> None:
    bucket_policy = _resource(doc, 'aws_s3_bucket_policy.this["gold"]')["values"]
    policy = json.loads(bucket_policy["policy"])
    statement = {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
    policy["Statement"].append({**statement, "Resource": f"{_gold_arn(doc)}/*"})
    bucket_policy["policy"] = json.dumps(policy)


def _budget_over_cap(doc: Doc) -> None:
    _resource(doc, "aws_budgets_budget.monthly_cost")["values"]["limit_amount"] = "25"


def _budget_in_another_unit(doc: Doc) -> None:
    _resource(doc, "aws_budgets_budget.monthly_cost")["values"]["budget_type"] = "USAGE"


def _no_budget(doc: Doc) -> None:
    _drop(doc, "aws_budgets_budget.monthly_cost")


def _lf_default_kept(doc: Doc) -> None:
    settings = _resource(doc, "aws_lakeformation_data_lake_settings.this")["values"]
    settings["create_table_default_permissions"] = [{"permissions": ["ALL"], "principal": "IAM_ALLOWED_PRINCIPALS"}]


def _lf_default_set_unknown(doc: Doc) -> None:
    expressions = _config(doc, "aws_lakeformation_data_lake_settings.this")["expressions"]
    expressions["create_database_default_permissions"] = [{"principal": {"references": ["var.principal"]}}]


def _no_lf_settings(doc: Doc) -> None:
    _drop(doc, "aws_lakeformation_data_lake_settings.this")


def _billing_alarm_in_stack_region(doc: Doc) -> None:
    _config(doc, "aws_cloudwatch_metric_alarm.estimated_charges")["provider_config_key"] = "aws"


def _no_billing_alarm(doc: Doc) -> None:
    _drop(doc, "aws_cloudwatch_metric_alarm.estimated_charges")


BROKEN: list[tuple[Breaker, str]] = [
    (_no_encryption, f"bucket-encryption: {GOLD}: no server-side encryption configuration"),
    (_unencrypted_algorithm, f"bucket-encryption: {GOLD}: default encryption 'NONE'"),
    (_versioning_suspended, f"bucket-versioning: {GOLD}: versioning is 'Suspended'"),
    (_no_versioning, f"bucket-versioning: {GOLD}: no versioning configuration"),
    (_public_policy_allowed, f"bucket-public-access-block: {GOLD}: block_public_policy not true"),
    (_no_public_access_block, f"bucket-public-access-block: {GOLD}: no public access block"),
    (_no_lifecycle, f"bucket-lifecycle: {GOLD}: no lifecycle configuration"),
    (_no_stack_tag, "stack-tags: aws_sns_topic.alerts: no 'stack_id' tag"),
    (_foreign_stack_tag, "stack-tags: aws_sns_topic.alerts: 'stack_id' tag is 'someone-else'"),
    (_no_expiry_tag, "stack-tags: aws_sns_topic.alerts: no 'expires_at' tag"),
    (_relative_expiry_tag, "stack-tags: aws_sns_topic.alerts: 'expires_at' tag '12h' is not an RFC 3339"),
    (_s3_star_on_gold, "iam-wildcard: aws_iam_role_policy.pipeline: statement Everything allows s3:*"),
    (_get_on_every_bucket, "iam-wildcard: aws_iam_role_policy.pipeline: statement AllBuckets allows on arn:aws:s3:::*"),
    (_not_action_on_gold, "iam-wildcard: aws_iam_role_policy.pipeline: statement Inverse allows with NotAction"),
    (_public_bucket_policy, 'iam-wildcard: aws_s3_bucket_policy.this["gold"]: statement Public allows Principal'),
    (_budget_over_cap, "budget-cap: aws_budgets_budget.monthly_cost: limit 25 USD is over the cap of 20 USD"),
    (_budget_in_another_unit, "budget-cap: aws_budgets_budget.monthly_cost: budget is USAGE/USD/MONTHLY"),
    (_no_budget, "budget-cap: aws_budgets_budget: no cost budget"),
    (
        _lf_default_kept,
        "lake-formation-defaults: aws_lakeformation_data_lake_settings.this: create_table_default_permissions "
        "grants IAM_ALLOWED_PRINCIPALS",
    ),
    (_lf_default_set_unknown, "lake-formation-defaults: aws_lakeformation_data_lake_settings.this: "),
    (_no_lf_settings, "lake-formation-defaults: aws_lakeformation_data_lake_settings: no data lake settings"),
    (
        _billing_alarm_in_stack_region,
        "billing-alarm: aws_cloudwatch_metric_alarm.estimated_charges: in region 'ap-northeast-1'",
    ),
    (_no_billing_alarm, "billing-alarm: aws_cloudwatch_metric_alarm: no alarm on AWS/Billing EstimatedCharges"),
]


@pytest.mark.parametrize(("breaker", "expected"), BROKEN, ids=[b.__name__.strip("_") for b, _ in BROKEN])
def test_a_broken_plan_is_caught_naming_the_culprit(plan: Doc, breaker: Breaker, expected: str) -> None:
    breaker(plan)
    found = _judge(plan)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_every_policy_has_a_broken_plan() -> None:
    caught = {expected.split(":")[0] for _, expected in BROKEN}
    assert caught == set(policies(CAP))


def test_a_stack_without_expires_at_breaks_the_tag_policy_on_every_taggable_resource(plan: Doc) -> None:
    """What infra/ plans with the variable left null (the harness does not pass it yet)."""
    taggable = [r for r in _resources(plan) if "tags_all" in r["values"]]
    for resource in taggable:
        del resource["values"]["tags_all"]["expires_at"]
    found = evaluate(plan, CAP)
    assert {v.address for v in found} == {r["address"] for r in taggable} and len(taggable) >= 15


def test_unknown_tags_and_policies_cannot_pass(plan: Doc) -> None:
    change = next(rc for rc in plan["resource_changes"] if rc["address"] == "aws_sns_topic.alerts")
    change["change"]["after_unknown"]["tags_all"] = True
    change = next(rc for rc in plan["resource_changes"] if rc["address"] == "aws_iam_role_policy.analyst")
    change["change"]["after_unknown"]["policy"] = True
    del _resource(plan, "aws_iam_role_policy.analyst")["values"]["policy"]
    assert _judge(plan) == [
        "stack-tags: aws_sns_topic.alerts: tags unknown at plan time: cannot be judged",
        "iam-wildcard: aws_iam_role_policy.analyst: policy unknown at plan time",
    ]


def test_a_setting_is_linked_by_literal_key_or_by_bucket_name(plan: Doc) -> None:
    setting = _config(plan, "aws_s3_bucket_versioning.this")
    setting["expressions"]["bucket"] = {"references": ['aws_s3_bucket.this["gold"].id', 'aws_s3_bucket.this["gold"]']}
    del setting["for_each_expression"]
    parsed = Plan(plan)
    versioning = parsed.of_type("aws_s3_bucket_versioning")
    assert {parsed.bucket_of(v) for v in versioning} == {GOLD}
    setting["expressions"]["bucket"] = {"constant_value": "x"}
    for resource in _resources(plan):
        if resource["type"] == "aws_s3_bucket_versioning":
            resource["values"]["bucket"] = _resource(plan, GOLD)["values"]["bucket"]
    parsed = Plan(plan)
    assert {parsed.bucket_of(v) for v in parsed.of_type("aws_s3_bucket_versioning")} == {GOLD}


def test_expiry_is_twelve_hours_later_in_utc() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    now = datetime(2026, 1, 2, 20, 0, 0, tzinfo=timezone(timedelta(hours=9)))
    assert expiry(now) == "2026-01-02T23:00:00Z"
    assert expiry(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1)) == "2026-01-01T01:00:00Z"


def test_cli_exit_codes(tmp_path: Path, plan: Doc, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(FIXTURE)]) == 0
    assert "9 policies" in capsys.readouterr().out
    _budget_over_cap(plan)
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(plan))
    assert main([str(broken)]) == 1
    assert "budget-cap: aws_budgets_budget.monthly_cost" in capsys.readouterr().err
    assert main([str(broken), "--cost-cap", "30"]) == 0
    (tmp_path / "state.json").write_text(json.dumps({"values": {}}))
    assert main([str(tmp_path / "state.json")]) == 2
    assert "not a Terraform plan" in capsys.readouterr().err


def test_violations_print_policy_address_and_reason() -> None:
    assert str(Violation("p", "a.b", "why")) == "p: a.b: why"
