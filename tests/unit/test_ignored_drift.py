"""What a root's ``ignore_changes`` hides once a later apply wrote it into the state (``lakehouse.ignored_drift``).

The plan without the ignores is Terraform's (``tests/integration/test_iac_ignore_changes.py`` runs it on a real
root); here: which ignores are read and cleared, and what the unignored plan's JSON counts as drift.
"""

from __future__ import annotations

import json
from pathlib import Path

from lakehouse.ignored_drift import differences, judged_ignores, kept
from lakehouse.plan_drift import SENSITIVE
from lakehouse.tfsource import ALL, ignored_changes, without_ignores

ROOT = """
resource "aws_s3_bucket_policy" "p" {
  bucket = "b"
  policy = "{}"
  lifecycle {
    ignore_changes = [policy, tags["team"]]
  }
}
resource "aws_cloudwatch_metric_alarm" "a" {
  lifecycle { ignore_changes = all }
}
resource "aws_sns_topic" "legacy" {
  lifecycle { ignore_changes = ["policy"] }
}
resource "aws_sns_topic" "none" {
  lifecycle { ignore_changes = [] }
}
resource "aws_glue_catalog_table" "iceberg" {
  lifecycle { ignore_changes = [parameters, storage_descriptor] }
}
resource "aws_glue_catalog_table" "widened" {
  lifecycle { ignore_changes = [parameters, owner] }
}
"""


def _root(tmp_path: Path, text: str = ROOT) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "main.tf").write_text(text)
    return tmp_path


def test_ignores_are_read_as_terraform_merges_them_an_override_replacing_the_list(tmp_path: Path) -> None:
    root = _root(tmp_path)
    (root / "later_override.tf").write_text(
        'resource "aws_sns_topic" "legacy" {\n  lifecycle { ignore_changes = [] }\n}\n'
    )
    (root / "extra.tf.json").write_text(
        json.dumps({"resource": {"aws_iam_role": {"r": {"lifecycle": {"ignore_changes": "all"}}}}})
    )
    assert ignored_changes(root) == {
        "aws_s3_bucket_policy.p": frozenset({"policy", "tags"}),
        "aws_cloudwatch_metric_alarm.a": ALL,
        "aws_glue_catalog_table.iceberg": frozenset({"parameters", "storage_descriptor"}),
        "aws_glue_catalog_table.widened": frozenset({"parameters", "owner"}),
        "aws_iam_role.r": ALL,
    }


def test_icebergs_own_table_attributes_alone_need_no_unignored_plan(tmp_path: Path) -> None:
    judged, not_judged = judged_ignores(_root(tmp_path))
    assert "aws_glue_catalog_table.iceberg" not in judged
    assert judged["aws_glue_catalog_table.widened"] == frozenset({"parameters", "owner"})
    assert not_judged == []
    shipped = Path(__file__).resolve().parents[2] / "infra"
    assert judged_ignores(shipped) == ({}, []), "the shipped root ignores only Iceberg's attributes"


def test_the_scratch_copy_empties_each_ignore_in_place_and_keeps_icebergs(tmp_path: Path) -> None:
    """An override file cannot clear an ignore (Terraform merges only a non-empty list, never unsets ``all``):
    the copy's own files are edited, comments and layout kept."""
    root = _root(tmp_path)
    text = without_ignores(root / "main.tf", kept)
    assert text is not None
    assert ignored_changes(_root(tmp_path / "copy", text)) == {
        "aws_glue_catalog_table.iceberg": frozenset({"parameters", "storage_descriptor"}),
        "aws_glue_catalog_table.widened": frozenset({"parameters"}),
    }
    assert '  policy = "{}"\n  lifecycle {\n    ignore_changes = []\n  }\n}' in text
    assert 'resource "aws_cloudwatch_metric_alarm" "a" {\n  lifecycle { ignore_changes = [] }\n}' in text
    (root / "j.tf.json").write_text(
        json.dumps({"resource": {"aws_s3_bucket": {"b": {"lifecycle": {"ignore_changes": "all"}}}}})
    )
    assert json.loads(str(without_ignores(root / "j.tf.json", kept))) == {
        "resource": {"aws_s3_bucket": {"b": {"lifecycle": {"ignore_changes": []}}}}
    }
    (root / "plain.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = "x"\n}\n')
    assert without_ignores(root / "plain.tf", kept) is None


def _plan(*changes: dict[str, object]) -> dict[str, object]:
    return {"resource_changes": list(changes)}


def _change(address: str, before: dict[str, object], after: dict[str, object], **extra: object) -> dict[str, object]:
    kind, name = address.split(".")[-2:]
    body: dict[str, object] = {"actions": ["update"], "before": before, "after": after, **extra}
    return {"address": address, "mode": "managed", "type": kind, "name": name, "change": body}


PUBLIC = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]})
TLS_ONLY = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*"}]})


def test_an_ignored_attribute_the_unignored_plan_changes_is_drift_naming_account_and_root() -> None:
    found = differences(
        _plan(
            _change("aws_s3_bucket_policy.p", {"policy": PUBLIC, "bucket": "b"}, {"policy": TLS_ONLY, "bucket": "b"})
        ),
        {"aws_s3_bucket_policy.p": frozenset({"policy"})},
    )
    assert [(d.address, d.attribute) for d in found] == [("aws_s3_bucket_policy.p", "policy")]
    text = str(found[0])
    assert "in the account (" in text and '"Principal":"*"' in text and '"Effect":"Deny"' in text


def test_what_the_plan_leaves_alone_or_the_root_does_not_ignore_is_not_this_drift() -> None:
    same_json = json.dumps(json.loads(TLS_ONLY), indent=2)
    plan = _plan(
        # the same document written otherwise: not a change
        _change("aws_s3_bucket_policy.p", {"policy": TLS_ONLY}, {"policy": same_json}),
        # a change of an attribute the root does not ignore: the ordinary plan shows it already
        _change("aws_sns_topic.legacy", {"name": "a", "policy": "x"}, {"name": "b", "policy": "x"}),
        # known only after apply
        _change("aws_cloudwatch_metric_alarm.a", {"arn": "x"}, {"arn": None}, after_unknown={"arn": True}),
        # no change planned at all
        {**_change("aws_sns_topic.none", {"policy": "x"}, {"policy": "y"}), "change": {"actions": ["no-op"]}},
        # Iceberg's own attributes, even under ignore_changes = all
        _change("aws_glue_catalog_table.t", {"parameters": {"a": "1"}}, {"parameters": {"a": "2"}}),
    )
    ignored = {
        "aws_s3_bucket_policy.p": frozenset({"policy"}),
        "aws_sns_topic.legacy": frozenset({"policy"}),
        "aws_cloudwatch_metric_alarm.a": ALL,
        "aws_sns_topic.none": frozenset({"policy"}),
        "aws_glue_catalog_table.t": ALL,
    }
    assert differences(plan, ignored) == []


def test_ignore_all_judges_every_attribute_and_instance_keys_and_modules_map_to_the_config_address() -> None:
    change = _change('module.m[0].aws_cloudwatch_metric_alarm.a["x"]', {"threshold": 90}, {"threshold": 1})
    change.update(module_address="module.m[0]", name="a", index="x")
    found = differences(_plan(change), {"module.m.aws_cloudwatch_metric_alarm.a": ALL})
    assert [(d.address, d.attribute, d.account, d.root) for d in found] == [
        ('module.m[0].aws_cloudwatch_metric_alarm.a["x"]', "threshold", 90, 1)
    ]


def test_a_sensitive_value_is_compared_but_never_written() -> None:
    change = _change(
        "aws_db_instance.d", {"password": "old-secret"}, {"password": "new-secret"}, after_sensitive={"password": True}
    )
    found = differences(_plan(change), {"aws_db_instance.d": frozenset({"password"})})
    assert len(found) == 1 and found[0].account == found[0].root == SENSITIVE
    assert "secret" not in str(found[0])
