"""`lakehouse validate` (make lint): the committed root is valid, and a broken one is named by file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

from lakehouse.stack import Stack
from lakehouse.target import Target
from tests.integration.conftest import ROOT, make_options


def _validate(root: Path) -> list[str]:
    options = make_options(root=root, stack_id="validate")
    stack = Stack(options, Target(name="aws", region=options.region))
    stack.prepare()
    return stack.tf.validate()


def test_committed_root_is_valid(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "infra", tmp_path / "infra", ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    assert _validate(tmp_path) == []


def test_broken_reference_is_reported_with_file_and_line(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "infra", tmp_path / "infra", ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    (tmp_path / "infra" / "broken.tf").write_text(
        'output "oops" {\n  value = aws_s3_bucket.does_not_exist.id\n}\n', encoding="utf-8"
    )
    errors = _validate(tmp_path)
    assert len(errors) == 1
    assert errors[0].startswith("broken.tf:2: Reference to undeclared resource")
