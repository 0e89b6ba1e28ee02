"""What a root's ``ignore_changes`` hides for good: the account against the root, planned without the ignores.

``lakehouse.plan_drift`` reads the drift a refresh finds (state against account). Once a later ``terraform
apply`` has written a hand edit into the state, state and account agree, the refresh finds nothing, the ignore
keeps the plan empty, and only the configuration still says otherwise. This module asks Terraform itself: it
plans a scratch copy of the working directory whose files have every ``ignore_changes`` emptied
(``tfsource.without_ignores``; Iceberg's table attributes, ``plan_drift.ICEBERG_OWNED``, stay ignored). An
override file cannot do it: Terraform merges an override's ``ignore_changes`` only when the list is not empty,
and never unsets ``all`` (hashicorp/terraform ``internal/configs/module_merge.go``). Every ignored attribute the
plan then changes holds, in the account, something other than what the root writes. The provider's own diff
suppression applies (equivalent policy JSON plans nothing), so formatting is never drift.

The copy shares ``.terraform`` (providers, installed modules) by a link and plans with ``-lock=false`` against
a copy of the state: nothing of the stack's own directory is written. Modules installed from a registry or git
live under ``.terraform`` and are not copied (their ignores are reported as not judged).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse.plan_drift import ICEBERG_OWNED, SENSITIVE, config_address, marked, normalised, shown_value
from lakehouse.terraform import Terraform, TerraformError
from lakehouse.tfsource import ALL, SourceError, ignored_changes, is_configuration, module_dirs, without_ignores

#: Actions that change something of a resource.
_CHANGING = {"update", "create", "delete"}


@dataclass(frozen=True)
class IgnoredDrift:
    """One attribute the root writes and ignores, whose value in the account is not the root's."""

    address: str
    attribute: str
    account: Any
    root: Any

    def __str__(self) -> str:
        return (
            f"{self.address}: {self.attribute} in the account ({shown_value(self.account)}) is not what the root "
            f"writes ({shown_value(self.root)}); the root's lifecycle ignore_changes hides it from terraform plan "
            "(planned without the ignore)"
        )


@dataclass(frozen=True)
class Unignored:
    """The ignores judged, what differs, and the ignores that could not be judged (and why)."""

    ignored: Mapping[str, frozenset[str] | str]
    drift: list[IgnoredDrift]
    not_judged: list[str]


def judged_ignores(root: Path) -> tuple[dict[str, frozenset[str] | str], list[str]]:
    """The root's ignores that hide something of the account (Iceberg's own left out), and those in modules
    installed under ``.terraform`` (not overridable in a scratch copy: reported, not judged)."""
    dirs = module_dirs(root)
    judged: dict[str, frozenset[str] | str] = {}
    installed: list[str] = []
    for address, names in ignored_changes(root).items():
        kind = address.split(".")[-2]
        owned = ICEBERG_OWNED.get(kind, frozenset())
        if not isinstance(names, str) and not names - owned:
            continue
        if _installed(dirs.get(_module_prefix(address), root), root):
            installed.append(f"{address} (module installed under .terraform: its ignore_changes is not judged)")
            continue
        judged[address] = names
    return judged, installed


def _module_prefix(address: str) -> str:
    """``module.a.aws_x.n`` -> ``module.a.`` (``""`` for the root module), as ``tfsource.module_dirs`` keys it."""
    return address.rpartition(".")[0].rpartition(".")[0] + "." if address.count(".") > 1 else ""


def _installed(directory: Path, root: Path) -> bool:
    """Whether a module directory lies under the root's ``.terraform`` (or outside the root): not in the copy."""
    try:
        parts = directory.resolve().relative_to(root.resolve()).parts
    except ValueError:
        return True
    return ".terraform" in parts


def kept(kind: str, names: frozenset[str] | str) -> list[str]:
    """What stays ignored in the scratch copy: Iceberg's own table attributes, where the root ignores them."""
    owned = ICEBERG_OWNED.get(kind, frozenset())
    return sorted(owned if isinstance(names, str) else owned & names)


def differences(plan_json: Mapping[str, Any], ignored: Mapping[str, frozenset[str] | str]) -> list[IgnoredDrift]:
    """Every ignored attribute the unignored plan (``show -json``) changes: the account (before) is not the root."""
    found: list[IgnoredDrift] = []
    for change in plan_json.get("resource_changes") or []:
        if change.get("mode", "managed") != "managed":
            continue
        names = ignored.get(config_address(change))
        body = change.get("change") or {}
        if names is None or not _CHANGING & set(body.get("actions") or []):
            continue
        before, after = body.get("before") or {}, body.get("after") or {}
        unknown = body.get("after_unknown") or {}
        if not isinstance(before, Mapping) or not isinstance(after, Mapping):
            continue
        owned = ICEBERG_OWNED.get(str(change.get("type")), frozenset())
        attributes = set(before) | set(after) if names == ALL else set(names)
        for attribute in sorted(attributes - owned):
            if isinstance(unknown, Mapping) and unknown.get(attribute):
                continue  # known only after apply: nothing to compare
            then, now = before.get(attribute), after.get(attribute)
            if normalised(then) == normalised(now):
                continue
            if marked(body.get("before_sensitive"), attribute) or marked(body.get("after_sensitive"), attribute):
                then = now = SENSITIVE
            found.append(IgnoredDrift(str(change.get("address")), attribute, then, now))
    return found


def _scratch_copy(workdir: Path, scratch: Path) -> None:
    """The working directory without ``.terraform`` (linked instead) and the runner's logs."""
    shutil.copytree(
        workdir, scratch, symlinks=True, ignore=shutil.ignore_patterns(".terraform", "terraform-*.log", "*.tfplan")
    )
    if (workdir / ".terraform").exists():
        (scratch / ".terraform").symlink_to((workdir / ".terraform").resolve(), target_is_directory=True)


def unignored_drift(tf: Terraform) -> Unignored:
    """Plan the working directory with its ignores cleared; what the ignores hide. Raises ``SourceError`` (a file
    that cannot be read) or ``TerraformError`` (the plan failed)."""
    ignored, installed = judged_ignores(tf.workdir)
    if not ignored:
        return Unignored({}, [], installed)
    dirs = module_dirs(tf.workdir)
    with tempfile.TemporaryDirectory(prefix="unignored-", dir=tf.log_dir.parent if tf.log_dir else None) as tmp:
        scratch = Path(tmp) / "root"
        _scratch_copy(tf.workdir, scratch)
        for prefix in {_module_prefix(address) for address in ignored}:
            folder = scratch / dirs[prefix].resolve().relative_to(tf.workdir.resolve())
            for path in sorted(p for p in folder.iterdir() if p.is_file() and is_configuration(p.name)):
                if (text := without_ignores(path, kept)) is not None:
                    path.write_text(text, encoding="utf-8")
        plan = Terraform(scratch, tf.var_file, env=tf.env, log_dir=tf.log_dir / "unignored", binary=tf.binary)
        planned = plan.plan(out=Path(tmp) / "unignored.tfplan")
        if planned.saved is None:
            raise TerraformError("plan", planned.exit_code, ["the unignored plan was not saved"], None)
        shown = plan.show_plan(planned.saved)
    return Unignored(ignored, differences(shown, ignored), installed)


__all__ = ["IgnoredDrift", "SourceError", "Unignored", "differences", "unignored_drift"]
