"""Exit check 5's plan without the ignores reaches a module installed from a registry (``lakehouse.ignored_drift``).

``terraform init`` copies a registry or git module under ``.terraform/modules/<key>`` and records it in
``.terraform/modules/modules.json``; the scratch copy planned without the ignores must clear that module's
``ignore_changes`` too (a copy of the package, the manifest pointing at it), or what it hides passes. No
registry is reached: the package is written as init installs it (hashicorp/terraform ``internal/modsdir``),
and init, finding it recorded with a matching source and version, keeps it. The module's resource is
Terraform's built-in ``terraform_data``: the real binary plans it offline, with no provider to download.
A module upgrade that writes another value, hidden by the module's ignore, plans "No changes"; the plan
without the ignores names it, and nothing of the working directory is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from lakehouse.ignored_drift import unignored_drift
from lakehouse.terraform import Terraform

MODULE_TF = """
resource "terraform_data" "setting" {
  input = "%s"
  lifecycle {
    ignore_changes = [input]
  }
}
"""
ADDRESS = "module.thing.terraform_data.setting"


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_value_an_installed_registry_modules_ignore_hides_is_judged(tmp_path: Path) -> None:
    workdir = tmp_path / "root"
    package = workdir / ".terraform" / "modules" / "thing"
    package.mkdir(parents=True)
    (workdir / "main.tf").write_text('module "thing" {\n  source  = "acme/thing/aws"\n  version = "~> 1.0"\n}\n')
    (package / "main.tf").write_text(MODULE_TF % "as-deployed")
    manifest = workdir / ".terraform" / "modules" / "modules.json"
    records = [
        {"Key": "", "Source": "", "Dir": "."},
        {
            "Key": "thing",
            "Source": "registry.terraform.io/acme/thing/aws",
            "Version": "1.0.0",
            "Dir": ".terraform/modules/thing",
        },
    ]
    manifest.write_text(json.dumps({"Modules": records}))
    # A CLI configuration of its own: the shell's (a mirror, or one that does not exist) is not this test's.
    (tmp_path / "terraform.rc").write_text("")
    tf = Terraform(workdir, env={"TF_CLI_CONFIG_FILE": str(tmp_path / "terraform.rc")}, log_dir=tmp_path / "logs")
    tf.init()
    assert {r["Key"]: r["Dir"] for r in json.loads(manifest.read_text())["Modules"]} == {
        "": ".",
        "thing": ".terraform/modules/thing",
    }, "init kept the installed package"
    applied = tf.apply()
    assert applied.ok, applied.diagnostics

    healthy = unignored_drift(tf)
    assert dict(healthy.ignored) == {ADDRESS: frozenset({"input"})}
    assert healthy.drift == [] and healthy.not_judged == []

    # The module now writes another value; its ignore keeps the plan empty (the hole).
    (package / "main.tf").write_text(MODULE_TF % "as-written")
    assert tf.plan().clean
    before = _files(workdir)
    found = unignored_drift(tf)
    assert [(d.address, d.attribute, d.account, d.root) for d in found.drift] == [
        (ADDRESS, "input", "as-deployed", "as-written")
    ], found
    assert "ignore_changes hides it" in str(found.drift[0])
    assert _files(workdir) == before, "the plan without the ignores wrote nothing of the working directory"
    assert "ignore_changes = [input]" in (package / "main.tf").read_text()
