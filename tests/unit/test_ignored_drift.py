"""What a root's ``ignore_changes`` hides once a later apply wrote it into the state (``lakehouse.ignored_drift``).

The plan without the ignores is Terraform's (``tests/integration/test_iac_ignore_changes.py`` runs it on a real
root); here: which ignores are read and cleared, and what the unignored plan's JSON counts as drift.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.ignored_drift import differences, judged_ignores, kept, scratch_copy
from lakehouse.plan_drift import SENSITIVE
from lakehouse.tfsource import ALL, SourceError, ignored_changes, without_ignores

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


POLICY_MODULE = """
resource "aws_s3_bucket_policy" "p" {
  bucket = "b"
  policy = "{}"
  lifecycle {
    ignore_changes = [policy] # a registry module's own ignore
  }
}
module "inner" {
  source = "./modules/inner"
}
"""
ALARM_MODULE = 'resource "aws_cloudwatch_metric_alarm" "a" {\n  lifecycle { ignore_changes = all }\n}\n'


def _installed(workdir: Path) -> Path:
    """A root using two registry modules as ``terraform init`` installs them: each package copied under
    ``.terraform/modules/<key>`` (a local module inside a package with it), every one recorded in
    ``modules.json`` (hashicorp/terraform ``internal/modsdir/manifest.go``: Key, Source, Version, Dir relative
    to the working directory)."""
    _root(workdir, 'module "thing" {\n  source  = "acme/thing/aws"\n  version = "1.0.0"\n}\n')
    modules = workdir / ".terraform" / "modules"
    (modules / "thing" / "modules" / "inner").mkdir(parents=True)
    (modules / "thing" / "main.tf").write_text(POLICY_MODULE)
    (modules / "thing" / "modules" / "inner" / "main.tf").write_text(ALARM_MODULE)
    (modules / "plain").mkdir()
    (modules / "plain" / "main.tf").write_text('resource "aws_sns_topic" "t" {\n  name = "t"\n}\n')
    records = [
        {"Key": "", "Source": "", "Dir": "."},
        {
            "Key": "plain",
            "Source": "registry.terraform.io/acme/plain/aws",
            "Version": "2.0.0",
            "Dir": ".terraform/modules/plain",
        },
        {
            "Key": "thing",
            "Source": "registry.terraform.io/acme/thing/aws",
            "Version": "1.0.0",
            "Dir": ".terraform/modules/thing",
        },
        {"Key": "thing.inner", "Source": "./modules/inner", "Dir": ".terraform/modules/thing/modules/inner"},
    ]
    (modules / "modules.json").write_text(json.dumps({"Modules": records}))
    providers = workdir / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "aws"
    providers.mkdir(parents=True)
    (providers / "terraform-provider-aws").write_text("a provider binary")
    return workdir


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


INSTALLED_IGNORES = {
    "module.thing.aws_s3_bucket_policy.p": frozenset({"policy"}),
    "module.thing.module.inner.aws_cloudwatch_metric_alarm.a": ALL,
}


def test_ignores_of_modules_installed_from_a_registry_are_judged(tmp_path: Path) -> None:
    """Before: listed "not judged" (their scratch copy was a link to the original), so their hidden drift passed."""
    assert judged_ignores(_installed(tmp_path)) == (INSTALLED_IGNORES, [])


def test_the_scratch_copy_clears_an_installed_modules_ignores_and_never_the_originals(tmp_path: Path) -> None:
    workdir = _installed(tmp_path / "work")
    before = _files(workdir)
    scratch = tmp_path / "scratch"
    scratch_copy(workdir, scratch, judged_ignores(workdir)[0])
    assert _files(workdir) == before, "the working directory is never written"
    assert ignored_changes(workdir) == INSTALLED_IGNORES
    assert ignored_changes(scratch) == {}, "every ignore of the installed modules cleared in the copy"
    edited = (scratch / ".terraform" / "modules" / "thing" / "main.tf").read_text()
    assert "    ignore_changes = [] # a registry module's own ignore\n" in edited
    # Only packages with ignores are copied; the rest of .terraform (providers, other packages) is linked.
    data = scratch / ".terraform"
    assert not (data / "modules").is_symlink() and not (data / "modules" / "thing").is_symlink()
    assert (data / "providers").is_symlink() and (data / "providers").resolve() == workdir / ".terraform" / "providers"
    assert (data / "modules" / "plain").resolve() == workdir / ".terraform" / "modules" / "plain"
    recorded = json.loads((data / "modules" / "modules.json").read_text())["Modules"]
    assert recorded == json.loads((workdir / ".terraform" / "modules" / "modules.json").read_text())["Modules"]


def test_a_recorded_absolute_dir_or_a_linked_file_of_a_module_never_reaches_the_original(tmp_path: Path) -> None:
    real = _installed(tmp_path / "work")
    workdir = tmp_path / "alias"  # the same directory by another name
    workdir.symlink_to(real, target_is_directory=True)
    manifest = workdir / ".terraform" / "modules" / "modules.json"
    records = json.loads(manifest.read_text())["Modules"]
    records[2]["Dir"] = str(real / ".terraform" / "modules" / "thing")  # absolute: the copy's must be its own
    manifest.write_text(json.dumps({"Modules": records}))
    shared = tmp_path / "shared.tf"
    shared.write_text('resource "aws_sqs_queue" "q" {\n  lifecycle { ignore_changes = [policy] }\n}\n')
    (workdir / ".terraform" / "modules" / "thing" / "queue.tf").symlink_to(shared)
    before, shared_before = _files(workdir), shared.read_bytes()
    assert judged_ignores(workdir)[0]["module.thing.aws_sqs_queue.q"] == frozenset({"policy"})
    scratch_copy(workdir, tmp_path / "scratch", judged_ignores(workdir)[0])
    assert _files(workdir) == before and shared.read_bytes() == shared_before
    copied = tmp_path / "scratch" / ".terraform" / "modules"
    assert json.loads((copied / "modules.json").read_text())["Modules"][2]["Dir"] == ".terraform/modules/thing"
    assert not (copied / "thing" / "queue.tf").is_symlink()
    assert "ignore_changes = []" in (copied / "thing" / "queue.tf").read_text()


def test_a_module_folder_linked_out_of_the_working_directory_is_an_error_naming_it(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "main.tf").write_text(ALARM_MODULE)
    workdir = _root(tmp_path / "work", 'module "linked" {\n  source = "./linked"\n}\n')
    (workdir / "linked").symlink_to(outside, target_is_directory=True)
    (workdir / ".terraform" / "modules").mkdir(parents=True)
    (workdir / ".terraform" / "modules" / "modules.json").write_text(
        json.dumps(
            {
                "Modules": [
                    {"Key": "", "Source": "", "Dir": "."},
                    {"Key": "linked", "Source": "./linked", "Dir": "linked"},
                ]
            }
        )
    )
    with pytest.raises(SourceError, match=r"linked: reached through a link out of the working directory") as raised:
        scratch_copy(workdir, tmp_path / "scratch", judged_ignores(workdir)[0])
    assert "module.linked.aws_cloudwatch_metric_alarm.a" in str(raised.value)
    assert (outside / "main.tf").read_text() == ALARM_MODULE


def test_a_module_outside_the_working_directory_is_reported_not_judged(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "main.tf").write_text(ALARM_MODULE)
    workdir = _root(tmp_path / "work", 'module "shared" {\n  source = "../shared"\n}\n')
    (workdir / ".terraform" / "modules").mkdir(parents=True)
    (workdir / ".terraform" / "modules" / "modules.json").write_text(
        json.dumps(
            {
                "Modules": [
                    {"Key": "", "Source": "", "Dir": "."},
                    {"Key": "shared", "Source": "../shared", "Dir": "../shared"},
                ]
            }
        )
    )
    judged, not_judged = judged_ignores(workdir)
    assert judged == {} and len(not_judged) == 1
    assert not_judged[0].startswith("module.shared.aws_cloudwatch_metric_alarm.a (module directory ")


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
