"""Exit check 5 fails a root that runs commands Terraform does not record (``lakehouse.tf_shellouts``).

Each broken root here passed before: ``aws s3 mb`` in a ``null_resource``'s ``local-exec`` makes a bucket
in no state that survives ``terraform destroy``, and nothing read the root's source for it. The rule is
strict (every such block fails, whatever its command), so the twins that stay green are roots without
one: the real ``infra/``, and blocks that run nothing (a ``null_resource`` with triggers only, a ``file``
provisioner).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from lakehouse.config import project_root
from lakehouse.outcome import Status
from lakehouse.terraform import PlanResult
from tests.unit.test_iac import _Stack, read_account  # noqa: F401 - the fixture, used by name

MAKES_A_BUCKET = """
resource "null_resource" "extra_bucket" {
  triggers = { always = "1" }

  provisioner "local-exec" {
    command = "aws s3 mb s3://lakehouse-extra-${var.stack_id}"
  }
}
"""

HARMLESS_LOOKING = """
resource "terraform_data" "hello" {
  provisioner "local-exec" {
    command = "echo deployed"
  }
}

data "external" "whoami" {
  program = ["bash", "-c", "aws sns create-topic --name x >/dev/null; echo '{}'"]
}
"""

RUNS_NOTHING = """
resource "null_resource" "marker" {
  triggers = { stack = var.stack_id }
}

resource "terraform_data" "copy" {
  provisioner "file" {
    source      = "a.txt"
    destination = "/tmp/a.txt"
  }
}
"""


def _root(tmp_path: Path, **extra: str) -> Path:
    """A copy of the real root's ``.tf`` files, with ``extra`` files (name -> text) added."""
    root = tmp_path / "infra"
    root.mkdir()
    for path in (project_root() / "infra").glob("*.tf"):
        shutil.copy(path, root / path.name)
    for name, text in extra.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


class _RootedStack(_Stack):
    """``check_iac_coverage``'s stack (state, account and plan those of test_iac's healthy stack) on ``root``."""

    def __init__(self, root: Path) -> None:
        super().__init__(PlanResult(0), [])
        self.tf: Any = SimpleNamespace(workdir=root)


def _check(root: Path) -> Any:
    from lakehouse.checks.iac import check_iac_coverage

    return check_iac_coverage(_RootedStack(root), PlanResult(0))  # type: ignore[arg-type]


@pytest.mark.usefixtures("read_account")
def test_a_root_making_a_bucket_with_local_exec_fails_check_5_naming_file_line_and_block(tmp_path: Path) -> None:
    outcome = _check(_root(tmp_path, **{"extra.tf": MAKES_A_BUCKET}))

    assert outcome.status is Status.FAILED, outcome.reason
    reason = str(outcome.reason)
    assert 'extra.tf:5: provisioner "local-exec" of null_resource.extra_bucket' in reason, reason
    assert "aws s3 mb s3://lakehouse-extra-${var.stack_id}" in reason
    assert "survives terraform destroy" in reason
    assert outcome.measured["commands_outside_terraform"] == 1


@pytest.mark.usefixtures("read_account")
def test_every_command_fails_whatever_it_looks_like_in_either_syntax(tmp_path: Path) -> None:
    """An ``echo`` in a ``terraform_data`` fails as surely as ``aws sns create-topic`` in a ``data "external"``
    or a JSON-syntax ``local-exec``: what a command makes cannot be told from its text."""
    json_syntax = '{"resource": {"null_resource": {"j": {"provisioner": [{"local-exec": {"command": "./mk.sh"}}]}}}}'
    outcome = _check(_root(tmp_path, **{"hello.tf": HARMLESS_LOOKING, "made.tf.json": json_syntax}))

    assert outcome.status is Status.FAILED
    assert outcome.details["commands_outside_terraform"] == [
        "hello.tf:3: provisioner \"local-exec\" of terraform_data.hello runs 'echo deployed'",
        "hello.tf:8: data.external.whoami runs \"bash -c aws sns create-topic --name x >/dev/null; echo '{}'\"",
        "made.tf.json:1: provisioner \"local-exec\" of null_resource.j runs './mk.sh'",
    ]


@pytest.mark.usefixtures("read_account")
def test_the_real_root_and_blocks_that_run_nothing_pass(tmp_path: Path) -> None:
    outcome = _check(_root(tmp_path, **{"marker.tf": RUNS_NOTHING}))

    assert outcome.passed, outcome.reason
    assert outcome.details["commands_outside_terraform"] == []
    assert outcome.measured["commands_outside_terraform"] == 0


@pytest.mark.usefixtures("read_account")
def test_an_installed_modules_local_exec_counts_and_an_unreadable_file_is_an_error(tmp_path: Path) -> None:
    root = _root(tmp_path)
    module = root / ".terraform" / "modules" / "extras"
    module.mkdir(parents=True)
    (module / "main.tf").write_text(MAKES_A_BUCKET, encoding="utf-8")
    (root / ".terraform" / "modules" / "modules.json").write_text(
        '{"Modules": [{"Key": "", "Dir": "."}, {"Key": "extras", "Dir": ".terraform/modules/extras"}]}',
        encoding="utf-8",
    )
    outcome = _check(root)
    assert outcome.status is Status.FAILED
    [found] = outcome.details["commands_outside_terraform"]
    assert found.startswith(
        '.terraform/modules/extras/main.tf:5: provisioner "local-exec" of module.extras.null_resource.extra_bucket'
    ), found

    (root / ".terraform" / "modules" / "modules.json").unlink()
    (root / "broken.tf").write_text('resource "x" "y" {\n  a = \n', encoding="utf-8")
    outcome = _check(root)
    assert outcome.status is Status.ERROR, outcome.reason  # not read is not judged: never a pass
    assert "broken.tf" in str(outcome.reason) and "blocks that run commands" in str(outcome.reason)
