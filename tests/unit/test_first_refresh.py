"""The first refresh after an apply: drift AWS shows too, told from drift only an unfaithful emulator shows.

``data/first_refresh/main-emulator.json`` is the refreshed plan of a full local deploy on main's emulator
(d9d0558, ``make up`` then ``terraform plan -refresh-only``; ``terraform show -json`` trimmed to the drifted
attributes and the keys that link companions): 29 resources "drifted", all of them as they do on AWS (null
read back as empty, attributes the root's companion resources wrote), and the 5 buckets also on their
encryption, because moto answered a new bucket with no encryption where S3 answers its SSE-S3 default.
``fixed-emulator.json`` is the same deploy on this branch's emulator (GetBucketEncryption answers the default):
the same 29 resources drift, as on AWS, and nothing else. The rest builds one case per rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lakehouse.first_refresh import unexplained

DATA = Path(__file__).parent / "data" / "first_refresh"
BUCKET = "lakehouse-s1-gold-123456789012"
TOPIC = "arn:aws:sns:ap-northeast-1:123456789012:lakehouse-s1-alerts"
DENY = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}'
SSE_S3 = [
    {
        "rule": [
            {
                "apply_server_side_encryption_by_default": [{"kms_master_key_id": "", "sse_algorithm": "AES256"}],
                "bucket_key_enabled": False,
            }
        ]
    }
]


def _drift(address: str, kind: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {"address": address, "mode": "managed", "type": kind, "change": {"before": before, "after": after}}


def _plan(drift: list[dict[str, Any]], *companions: tuple[str, str, str]) -> dict[str, Any]:
    """A refreshed plan's ``show -json``: its drift, and companion resources (type, link attribute, parent) in state."""
    resources = [
        {"address": f"{kind}.c{n}", "mode": "managed", "type": kind, "values": {link: parent}}
        for n, (kind, link, parent) in enumerate(companions)
    ]
    return {"resource_drift": drift, "prior_state": {"values": {"root_module": {"resources": resources}}}}


def _bucket(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return _drift('aws_s3_bucket.this["gold"]', "aws_s3_bucket", {"id": BUCKET, **before}, {"id": BUCKET, **after})


def test_main_emulators_first_refresh_names_the_five_buckets_read_without_default_encryption() -> None:
    plan = json.loads((DATA / "main-emulator.json").read_text())
    assert len(plan["resource_drift"]) == 29
    found = unexplained(plan)
    assert [(f.address, f.attribute) for f in found] == [
        (f"aws_s3_bucket.{key}", "server_side_encryption_configuration")
        for key in ('ml["ml-artifacts"]', 'this["athena-results"]', 'this["bronze"]', 'this["gold"]', 'this["silver"]')
    ]
    assert "AWS reads the SSE-S3 (AES256) default encryption on a new aws_s3_bucket" in str(found[0])
    assert '"sse_algorithm":"AES256"' in str(found[0]) and "is null in the state" in str(found[0])


def test_the_same_deploy_on_an_emulator_that_answers_the_default_encryption_drifts_only_as_aws_does() -> None:
    plan = json.loads((DATA / "fixed-emulator.json").read_text())
    assert len(plan["resource_drift"]) == 29  # what AWS shows too: the provider's null-vs-empty, the companions
    assert unexplained(plan) == []


def test_what_aws_shows_after_a_first_apply_is_explained() -> None:
    drift = [
        # terraform-plugin-sdk: null when applied, empty when refreshed
        _drift("aws_sns_topic.alerts", "aws_sns_topic", {"arn": TOPIC, "tags": None}, {"arn": TOPIC, "tags": {}}),
        _drift(
            "aws_cloudwatch_metric_alarm.a", "aws_cloudwatch_metric_alarm", {"ok_actions": None}, {"ok_actions": []}
        ),
        # written by the root's companions, from what AWS reads on a new parent
        _bucket(
            {
                "policy": "",
                "versioning": [{"enabled": False, "mfa_delete": False}],
                "server_side_encryption_configuration": SSE_S3,
            },
            {
                "policy": DENY,
                "versioning": [{"enabled": True, "mfa_delete": False}],
                "server_side_encryption_configuration": SSE_S3,
            },
        ),
        _drift(
            "aws_sns_topic.alerts",
            "aws_sns_topic",
            {"arn": TOPIC, "policy": '{"Id":"__default_policy_ID","Statement":[]}'},
            {"arn": TOPIC, "policy": '{"Id":"alerts","Statement":[]}'},
        ),
        _drift(
            "aws_iam_role.r",
            "aws_iam_role",
            {"id": "r", "inline_policy": []},
            {"id": "r", "inline_policy": [{"name": "p"}]},
        ),
    ]
    companions = [
        ("aws_s3_bucket_policy", "bucket", BUCKET),
        ("aws_s3_bucket_versioning", "bucket", BUCKET),
        ("aws_sns_topic_policy", "arn", TOPIC),
        ("aws_iam_role_policy", "role", "r"),
    ]
    assert unexplained(_plan(drift, *companions)) == []


def test_a_bucket_saved_without_aws_default_encryption_is_unexplained_drift() -> None:
    plan = _plan(
        [_bucket({"server_side_encryption_configuration": []}, {"server_side_encryption_configuration": SSE_S3})],
        ("aws_s3_bucket_server_side_encryption_configuration", "bucket", BUCKET),
    )
    (found,) = unexplained(plan)
    assert (found.address, found.attribute) == ('aws_s3_bucket.this["gold"]', "server_side_encryption_configuration")
    assert "default encryption on a new aws_s3_bucket" in found.why


def test_a_policy_no_companion_of_the_root_wrote_is_unexplained_drift() -> None:
    """The bucket's policy changed, and no aws_s3_bucket_policy of the root names this bucket."""
    plan = _plan([_bucket({"policy": ""}, {"policy": DENY})], ("aws_s3_bucket_policy", "bucket", "another-bucket"))
    (found,) = unexplained(plan)
    assert found.attribute == "policy" and found.why == "no aws_s3_bucket_policy of the root writes it"
    assert '"Effect":"Deny"' in str(found)


def test_an_attribute_no_companion_writes_is_unexplained_drift() -> None:
    """An emulator that loses a tag, or answers another threshold than it was given."""
    tagged = {"owner": "lakehouse-harness/local", "stack_id": "s1"}
    plan = _plan(
        [
            _drift(
                "aws_cloudwatch_metric_alarm.a",
                "aws_cloudwatch_metric_alarm",
                {"threshold": 1.0, "tags_all": tagged},
                {"threshold": 0.0, "tags_all": {"stack_id": "s1"}},
            )
        ]
    )
    assert [(f.attribute, f.why.split(",")[0]) for f in unexplained(plan)] == [
        ("tags_all", "no resource of the root writes it after the resource was created"),
        ("threshold", "no resource of the root writes it after the resource was created"),
    ]


def test_a_topic_policy_that_was_not_snss_default_when_written_is_unexplained_drift() -> None:
    plan = _plan(
        [
            _drift(
                "aws_sns_topic.alerts",
                "aws_sns_topic",
                {"arn": TOPIC, "policy": '{"Id":"someone-elses","Statement":[]}'},
                {"arn": TOPIC, "policy": '{"Id":"alerts","Statement":[]}'},
            )
        ],
        ("aws_sns_topic_policy", "arn", TOPIC),
    )
    (found,) = unexplained(plan)
    assert "the default topic policy (__default_policy_ID) on a new aws_sns_topic" in found.why


def test_a_sensitive_attribute_is_compared_but_not_shown() -> None:
    drift = _drift("aws_iam_role.r", "aws_iam_role", {"description": "a"}, {"description": "b"})
    drift["change"]["after_sensitive"] = {"description": True}
    (found,) = unexplained(_plan([drift]))
    assert found.state == found.account == "(sensitive)"
