"""The blocks a root writes with ``dynamic``, which a plan's ``show -json`` configuration leaves out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.config import project_root
from lakehouse.terraform import module_prefixes
from lakehouse.tfsource import SourceError, dynamic_blocks

TRICKY = r"""
# dynamic "commented" { }
/* resource "aws_x" "hidden" { dynamic "no" { } } */
locals {
  braces = "not a block { dynamic \"x\" {"
  nested = "${jsonencode({ a = "}" })} $${literal} %{ if true }{%{ endif }"
}
resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = { a = 1, b = { c = 2 } }
  bucket   = "x" // dynamic "trailing" {
  dynamic "rule" {
    for_each = [for k, v in { x = 1 } : { id = k }]
    content {
      id = rule.value.id
      dynamic "transition" {
        for_each = []
        content {}
      }
    }
  }
  rule {
    id = "static"
  }
  policy = <<-EOT
    { "Statement": [ { "dynamic": "no" } ] }
    dynamic "heredoc" {
  EOT
  dynamic "rule_two" {
    for_each = []
    content {}
  }
}
resource "aws_glue_catalog_table" "users" {
  storage_descriptor {
    dynamic "columns" {
      for_each = []
      content {}
    }
  }
}
data "aws_iam_policy_document" "doc" {
  dynamic "statement" {
    for_each = []
    content {}
  }
}
"""


def test_only_top_level_dynamic_blocks_of_resources_count_whatever_strings_comments_and_heredocs_hold(
    tmp_path: Path,
) -> None:
    (tmp_path / "main.tf").write_text(TRICKY, encoding="utf-8")
    # The Glue table's dynamic columns lie inside its static storage_descriptor, which the plan shows as written;
    # a data source is read, never drifts.
    assert dynamic_blocks(tmp_path) == {"aws_s3_bucket_lifecycle_configuration.this": frozenset({"rule", "rule_two"})}


def test_json_syntax_and_installed_modules_are_read(tmp_path: Path) -> None:
    (tmp_path / "main.tf.json").write_text(
        json.dumps({"resource": {"aws_cloudwatch_metric_alarm": {"a": {"dynamic": {"metric_query": {}}}}}}),
        encoding="utf-8",
    )
    (tmp_path / "main.tf.json~").write_text("not read: an editor's backup", encoding="utf-8")
    module = tmp_path / "modules" / "rules"
    module.mkdir(parents=True)
    (module / "rules.tf").write_text('resource "aws_x" "y" {\n  dynamic "z" {\n    content {}\n  }\n}\n')
    (tmp_path / ".terraform" / "modules").mkdir(parents=True)
    (tmp_path / ".terraform" / "modules" / "modules.json").write_text(
        json.dumps(
            {"Modules": [{"Key": "", "Dir": "."}, {"Key": "a.b", "Source": "./modules/rules", "Dir": str(module)}]}
        )
    )
    assert dynamic_blocks(tmp_path) == {
        "aws_cloudwatch_metric_alarm.a": frozenset({"metric_query"}),
        "module.a.module.b.aws_x.y": frozenset({"z"}),
    }


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('resource "a" "b" {\n  x = "open\n}\n', "main.tf:2: not HCL"),
        ('resource "a" "b" {\n  x = 1\n}\n}\n', "main.tf:4: not HCL"),
        ("locals {\n  x = <<EOT\n  y\n}\n", "main.tf:2: not HCL"),
    ],
)
def test_a_file_that_cannot_be_read_is_named_with_its_line(tmp_path: Path, text: str, where: str) -> None:
    (tmp_path / "main.tf").write_text(text, encoding="utf-8")
    with pytest.raises(SourceError, match=where.replace("(", r"\(")) as raised:
        dynamic_blocks(tmp_path)
    assert str(raised.value).startswith(str(tmp_path))


def test_the_shipped_root_writes_its_athena_results_rule_with_dynamic() -> None:
    assert dynamic_blocks(project_root() / "infra") == {
        "aws_s3_bucket_lifecycle_configuration.this": frozenset({"rule"})
    }


def test_a_module_init_did_not_record_is_not_read_as_having_no_dynamic_blocks(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('module "rules" {\n  source = "./rules"\n}\n', encoding="utf-8")
    plan = {
        "configuration": {
            "root_module": {
                "resources": [{"address": "aws_s3_bucket.a"}],
                "module_calls": {"rules": {"module": {"resources": [{"address": "aws_x.y"}]}}},
            }
        }
    }
    assert module_prefixes(plan) == {"", "module.rules."}
    with pytest.raises(SourceError, match=r"modules\.json: no directory recorded for module\.rules\."):
        dynamic_blocks(tmp_path, module_prefixes(plan))
