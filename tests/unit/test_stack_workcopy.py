"""``Stack.prepare`` makes the stack's working copy of infra/ exactly what Terraform would load from infra/.

The broken case: a ``*.tf.json`` (and a ``*_override.tf.json``, and a file of a local module) removed from infra/
stayed in the working copy, because the refresh removed stale ``*.tf`` files of the root folder only: Terraform
still applied them and ``lakehouse.tfsource`` read them. The healthy twin: files still in infra/ are refreshed,
and the state, ``.terraform/``, var files and the lock file of the working copy are kept as before.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.config import RunOptions
from lakehouse.stack import OVERRIDE_FILE, TFVARS_FILE, Stack
from lakehouse.target import local_target
from lakehouse.tfsource import is_configuration

PROVIDERS = 'provider "aws" {\n  region = var.region\n}\n'
#: infra/ at first: native and JSON syntax, an override in JSON syntax, a local module, the lock file.
FILES = {
    "providers.tf": PROVIDERS,
    "main.tf": 'resource "aws_sns_topic" "a" {}\n',
    "extra.tf.json": '{"resource": {"aws_sns_topic": {"b": {}}}}',
    "topics_override.tf.json": '{"resource": {"aws_sns_topic": {"a": {"name": "x"}}}}',
    "modules/m/main.tf": 'resource "aws_sns_topic" "m" {}\n',
    "modules/m/old.tf.json": '{"resource": {"aws_sns_topic": {"old": {}}}}',
    ".terraform.lock.hcl": "# lock v1\n",
}
#: What the working copy has that is not configuration from infra/: never removed.
KEPT = {
    "terraform.tfstate": '{"serial": 7}',
    "terraform.tfstate.backup": '{"serial": 6}',
    ".terraform/providers/aws/provider.bin": "binary",
    ".terraform/modules/remote/main.tf": 'resource "aws_sns_topic" "installed" {}\n',
    "mine.tfvars": 'x = "1"\n',
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def _configuration(root: Path) -> set[str]:
    """Every file Terraform would load from ``root`` and its folders, outside ``.terraform/``."""
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and is_configuration(p.name) and ".terraform" not in p.relative_to(root).parts
    }


@pytest.fixture
def stack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """A stack of ``tmp_path/infra`` prepared once, ``terraform init`` left out (this is about the files)."""
    _write(tmp_path / "infra", FILES)
    prepared = Stack(RunOptions(root=tmp_path, stack_id="lh-copy01"), local_target("http://127.0.0.1:1"))
    monkeypatch.setattr(prepared.tf, "init", lambda: None)
    prepared.prepare()
    _write(prepared.root, KEPT)
    return prepared


def test_files_removed_from_infra_leave_the_working_copy(stack: Stack) -> None:
    infra = stack.options.root / "infra"
    assert {"extra.tf.json", "topics_override.tf.json"} <= _configuration(stack.root)
    for gone in ("extra.tf.json", "topics_override.tf.json", "modules/m/old.tf.json"):
        (infra / gone).unlink()
    stack.prepare()
    stale = _configuration(stack.root) - _configuration(infra) - {OVERRIDE_FILE}
    assert not stale, f"removed from {infra} but still applied from {stack.root}: {sorted(stale)}"  # main: all 3
    assert _configuration(stack.root) == _configuration(infra) | {OVERRIDE_FILE}


def test_files_still_in_infra_are_refreshed_and_state_providers_and_var_files_kept(stack: Stack) -> None:
    infra = stack.options.root / "infra"
    (infra / "extra.tf.json").write_text('{"resource": {"aws_sns_topic": {"c": {}}}}', encoding="utf-8")
    (infra / ".terraform.lock.hcl").write_text("# lock v2\n", encoding="utf-8")
    stack.prepare()
    assert _configuration(stack.root) == _configuration(infra) | {OVERRIDE_FILE}
    assert (stack.root / "extra.tf.json").read_text(encoding="utf-8") == '{"resource": {"aws_sns_topic": {"c": {}}}}'
    assert (stack.root / ".terraform.lock.hcl").read_text(encoding="utf-8") == "# lock v2\n"  # infra/'s, as today
    for name, text in KEPT.items():
        assert (stack.root / name).read_text(encoding="utf-8") == text, name
    assert (stack.root / TFVARS_FILE).is_file()  # the stack's variables, written again


def test_a_local_override_in_infra_is_not_copied_as_before(stack: Stack) -> None:
    infra = stack.options.root / "infra"
    (infra / "localstack_providers_override.tf").write_text(PROVIDERS, encoding="utf-8")  # gitignored, a user's own
    stack.prepare()
    assert not (stack.root / "localstack_providers_override.tf").exists()
    assert (stack.root / OVERRIDE_FILE).is_file()  # the stack's own, pointing at the emulator
