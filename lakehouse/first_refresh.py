"""The drift a refresh right after the first apply shows on AWS too, told from drift only an unfaithful emulator shows.

Right after ``terraform apply``, a refreshed plan (``plan -refresh-only``, or the plan of exit check 5) of a
healthy stack on AWS still reports "drift" (``resource_drift`` of ``terraform show -json``). Two kinds come
from the AWS provider itself, whatever the account answers:

* **null became empty.** The provider (terraform-plugin-sdk v2) saves an attribute the root leaves unset as
  null when it applies (the planned null wins over the empty map or list it read back) and keeps the empty value
  when it refreshes: ``tags`` under ``default_tags`` (hashicorp/terraform-provider-aws#37601), an alarm's
  ``ok_actions``, a Glue database's ``parameters``. ``plan_drift.normalised`` makes null and empty one.
* **a companion resource wrote it.** A parent's computed attribute that another resource of the root manages
  (a bucket's ``policy``, by ``aws_s3_bucket_policy``; a role's ``inline_policy``, by ``aws_iam_role_policy``)
  was saved when the parent was created, before its companion existed; the refresh reads what the companion
  wrote. It must drift *from what AWS reads on a new parent* (no policy; for a bucket's encryption, the SSE-S3
  default every bucket has had since January 2023), and the companion must be in the root.

Any other drift means the emulator answered a read differently from what it answered when Terraform wrote the
resource, or differently from AWS for a new resource: ``unexplained`` names each such attribute.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lakehouse.plan_drift import SENSITIVE, marked, normalised, shown_value
from lakehouse.terraform import state_resources


def _equals(value: Any) -> Callable[[Any], bool]:
    """The normalised value AWS reads on a new parent is ``value``."""
    return lambda found: found == normalised(value)


def _default_topic_policy(found: Any) -> bool:
    """The access policy SNS gives a new topic (its owner's account may use it), whose Id is ``__default_policy_ID``."""
    return isinstance(found, Mapping) and found.get("Id") == "__default_policy_ID"


@dataclass(frozen=True)
class Companion:
    """A resource type of the root that writes an attribute of its parent after the parent was created."""

    kind: str
    #: The companion's attribute that names its parent ...
    link: str
    #: ... by this attribute of the parent.
    parent_key: str
    #: Whether a (normalised) value is what AWS reads on a new parent, before any companion wrote it.
    new_parent: Callable[[Any], bool]
    #: What AWS reads on a new parent, for the evidence.
    new_parent_reads: str


_NOTHING = _equals(None)
#: S3's default encryption of every bucket without one of its own, as the provider reads it into ``aws_s3_bucket``.
SSE_S3_DEFAULT = [
    {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}], "bucket_key_enabled": False}]}
]

#: (parent type, attribute) -> the companion that writes it. Only pairs the provider reads into the parent.
COMPANIONS: Mapping[tuple[str, str], Companion] = {
    ("aws_s3_bucket", "policy"): Companion("aws_s3_bucket_policy", "bucket", "id", _NOTHING, "no policy"),
    ("aws_s3_bucket", "lifecycle_rule"): Companion(
        "aws_s3_bucket_lifecycle_configuration", "bucket", "id", _NOTHING, "no lifecycle rules"
    ),
    ("aws_s3_bucket", "versioning"): Companion(
        "aws_s3_bucket_versioning",
        "bucket",
        "id",
        _equals([{"enabled": False, "mfa_delete": False}]),
        "versioning never enabled",
    ),
    ("aws_s3_bucket", "server_side_encryption_configuration"): Companion(
        "aws_s3_bucket_server_side_encryption_configuration",
        "bucket",
        "id",
        _equals(SSE_S3_DEFAULT),
        "the SSE-S3 (AES256) default encryption",
    ),
    ("aws_iam_role", "inline_policy"): Companion("aws_iam_role_policy", "role", "id", _NOTHING, "no inline policy"),
    ("aws_iam_role", "managed_policy_arns"): Companion(
        "aws_iam_role_policy_attachment", "role", "id", _NOTHING, "no attached policy"
    ),
    ("aws_sqs_queue", "policy"): Companion("aws_sqs_queue_policy", "queue_url", "id", _NOTHING, "no policy"),
    ("aws_sns_topic", "policy"): Companion(
        "aws_sns_topic_policy", "arn", "arn", _default_topic_policy, "the default topic policy (__default_policy_ID)"
    ),
    ("aws_apprunner_auto_scaling_configuration_version", "has_associated_service"): Companion(
        "aws_apprunner_service", "auto_scaling_configuration_arn", "arn", _equals(False), "no associated service"
    ),
}


@dataclass(frozen=True)
class Unexplained:
    """One attribute a refresh read differently from what Terraform wrote, which AWS would not show."""

    address: str
    attribute: str
    state: Any
    account: Any
    why: str

    def __str__(self) -> str:
        return (
            f"{self.address}: {self.attribute} is {shown_value(self.state)} in the state and "
            f"{shown_value(self.account)} in the account ({self.why})"
        )


def _companions(plan_json: Mapping[str, Any]) -> set[tuple[str, str]]:
    """(type, parent named) of every resource in the refreshed state that names a parent as a companion does."""
    links = {(c.kind, c.link) for c in COMPANIONS.values()}
    found = set()
    for res in state_resources(plan_json.get("prior_state") or {}):
        values = res.get("values") or {}
        for kind, link in links:
            if res.get("type") == kind and values.get(link):
                found.add((kind, str(values[link])))
    return found


def _why(kind: str, attribute: str, then: Any, now: Mapping[str, Any], companions: set[tuple[str, str]]) -> str | None:
    """Why the change of ``attribute`` is not what AWS shows after a first apply; None when it is."""
    rule = COMPANIONS.get((kind, attribute))
    if rule is None:
        return "no resource of the root writes it after the resource was created, and AWS reads back what was written"
    if (rule.kind, str(now.get(rule.parent_key))) not in companions:
        return f"no {rule.kind} of the root writes it"
    if not rule.new_parent(then):
        return f"AWS reads {rule.new_parent_reads} on a new {kind}, which Terraform would have saved"
    return None


def unexplained(plan_json: Mapping[str, Any]) -> list[Unexplained]:
    """Every drifted attribute of a refreshed plan (``terraform show -json``) made right after an apply that AWS
    would not show: not null-versus-empty, and not written by a companion resource of the root onto a parent
    as AWS reads a new one."""
    companions = _companions(plan_json)
    found = []
    for drift in plan_json.get("resource_drift") or []:
        if drift.get("mode", "managed") != "managed":
            continue
        change = drift.get("change") or {}
        before, after = change.get("before") or {}, change.get("after") or {}
        if not isinstance(before, Mapping) or not isinstance(after, Mapping):
            continue
        kind = str(drift.get("type"))
        for attribute in sorted({*before, *after}):
            then, now = normalised(before.get(attribute)), normalised(after.get(attribute))
            if then == now or (why := _why(kind, attribute, then, after, companions)) is None:
                continue
            if marked(change.get("before_sensitive"), attribute) or marked(change.get("after_sensitive"), attribute):
                then = now = SENSITIVE  # compared, never written to the evidence
            found.append(Unexplained(str(drift.get("address")), attribute, then, now, why))
    return found
