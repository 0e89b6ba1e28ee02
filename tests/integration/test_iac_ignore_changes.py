"""Exit check 5 on a real plan: a hand edit the root's ``lifecycle { ignore_changes }`` hides is still drift.

A root of its own (the real provider pin and lock file, on the emulator): a bucket, its policy and its
lifecycle rules, the policy and the rules ignored as a careless root might; the rules written only with
``dynamic``, which the plan's JSON configuration leaves out (``lakehouse.tfsource`` reads them from the root).
Deployed, exit check 5 passes; the policy widened by hand plans "No changes" (``plan_changes`` stays empty),
and the check fails naming the policy's address and attribute, read from the refreshed plan Terraform saved
(``lakehouse.plan_drift``); so does the expiry of the dynamic rule cut by hand. A later ``terraform apply``
writes both edits into the state, where the refresh no longer sees them: the plan made without the ignores
(``lakehouse.ignored_drift``) still names both.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from lakehouse.checks.iac import check_iac_coverage
from lakehouse.config import new_stack_id
from lakehouse.outcome import Status
from lakehouse.stack import Lifecycle
from tests.integration.conftest import ROOT, make_options

ROOT_TF = """
    variable "stack_id" { type = string }
    variable "region" { type = string }
    variable "owner" { type = string }
    provider "aws" {
      region = var.region
      default_tags { tags = { stack_id = var.stack_id } }
    }
    resource "aws_s3_bucket" "data" {
      bucket        = "${var.stack_id}-ignored-policy"
      force_destroy = true
    }
    resource "aws_s3_bucket_policy" "tls_only" {
      bucket = aws_s3_bucket.data.id
      policy = jsonencode({
        Version = "2012-10-17"
        Statement = [{
          Sid       = "DenyInsecureTransport"
          Effect    = "Deny"
          Principal = "*"
          Action    = "s3:*"
          Resource  = [aws_s3_bucket.data.arn, "${aws_s3_bucket.data.arn}/*"]
          Condition = { Bool = { "aws:SecureTransport" = "false" } }
        }]
      })
      lifecycle {
        ignore_changes = [policy]
      }
    }
    resource "aws_s3_bucket_lifecycle_configuration" "expiry" {
      bucket = aws_s3_bucket.data.id
      dynamic "rule" {
        for_each = { raw = 30 }
        content {
          id     = "expire-${rule.key}"
          status = "Enabled"
          filter { prefix = "${rule.key}/" }
          expiration { days = rule.value }
        }
      }
      lifecycle {
        ignore_changes = [rule]
      }
    }
"""


POLICY = "aws_s3_bucket_policy.tls_only"
EXPIRY = "aws_s3_bucket_lifecycle_configuration.expiry"


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "infra").mkdir(parents=True)
    for name in ("versions.tf", ".terraform.lock.hcl"):
        shutil.copy(ROOT / "infra" / name, root / "infra" / name)
    (root / "infra" / "main.tf").write_text(textwrap.dedent(ROOT_TF))
    return root


@pytest.mark.xdist_group("ignored-policy")
def test_a_bucket_policy_widened_by_hand_that_the_root_ignores_fails_check_5(tmp_path: Path) -> None:
    stack_id = new_stack_id()
    life = Lifecycle(make_options(root=_project(tmp_path), stack_id=stack_id, reports_dir=tmp_path / "reports"))
    dep = life.up()
    try:
        assert dep.ok, dep.error
        healthy = check_iac_coverage(dep.stack)
        assert healthy.status is Status.PASSED, healthy.reason
        # Planned without the ignores too (lakehouse.ignored_drift): the deployed values are the root's.
        assert healthy.details["ignores_planned_without"] == [EXPIRY, POLICY]
        assert healthy.details["ignored_attributes_differ"] == []

        bucket = f"{stack_id}-ignored-policy"
        public_read = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicRead",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
        dep.stack.target.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read))
        outcome = check_iac_coverage(dep.stack)
        assert outcome.details["plan_changes"] == []  # the hole: Terraform plans nothing over the edit
        # The bucket drifts too (its own policy attribute, Optional+Computed and unset in the root: not judged).
        assert "aws_s3_bucket_policy.tls_only" in outcome.details["refresh_drift"]
        assert outcome.status is Status.FAILED, outcome.details
        assert outcome.details["drift_the_plan_keeps"] == [
            reason for reason in outcome.details["drift_the_plan_keeps"] if reason.startswith("aws_s3_bucket_policy")
        ], "only the ignored policy is drift the plan keeps"
        assert "aws_s3_bucket_policy.tls_only: policy changed outside Terraform" in str(outcome.reason)
        assert "PublicRead" in str(outcome.reason)

        one_day = {"ID": "expire-raw", "Status": "Enabled", "Filter": {"Prefix": "raw/"}, "Expiration": {"Days": 1}}
        s3 = dep.stack.target.client("s3")
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [one_day]})
        outcome = check_iac_coverage(dep.stack)
        assert outcome.details["plan_changes"] == []
        assert outcome.status is Status.FAILED, outcome.details
        rules = [r for r in outcome.details["drift_the_plan_keeps"] if r.startswith("aws_s3_bucket_lifecycle")]
        assert len(rules) == 1, outcome.details["drift_the_plan_keeps"]
        assert rules[0].startswith("aws_s3_bucket_lifecycle_configuration.expiry: rule (a dynamic block"), rules
        assert '"days":1' in rules[0], rules

        # A later apply writes both hand edits into the state: state and account agree, the refresh finds no
        # drift and the ignores keep the plan empty. Only the root still says otherwise.
        applied = dep.stack.tf.apply()
        assert applied.ok, applied.diagnostics
        outcome = check_iac_coverage(dep.stack)
        assert outcome.details["plan_changes"] == [] and outcome.details["refresh_drift"] == []
        assert outcome.details["drift_the_plan_keeps"] == []  # the hole before lakehouse.ignored_drift
        assert outcome.status is Status.FAILED, outcome.details
        differ = sorted(outcome.details["ignored_attributes_differ"])
        assert [d.split(":")[0] for d in differ] == [EXPIRY, POLICY], differ
        assert differ[0].startswith(f"{EXPIRY}: rule in the account (") and '"days":1' in differ[0], differ
        assert "PublicRead" in differ[1] and "DenyInsecureTransport" in differ[1], differ
        assert "ignore_changes hides it" in str(outcome.reason)
    finally:
        life.down()
