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

The copy plans with ``-lock=false`` against a copy of the state and links what it only reads
(``.terraform/providers``, installed modules without ignores to clear): nothing of the stack's own directory is
written. A module installed from a registry or git (``.terraform/modules/<key>``, recorded in
``.terraform/modules/modules.json``) whose ignores are judged is copied into the scratch ``.terraform/modules``
and edited like the root, its ``modules.json`` record pointing at the copy: a hand edit it hides is judged like
the root's. A module directory outside the working directory is not in the copy (reported as not judged).
"""

from __future__ import annotations

import json
import os
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
    """The root's ignores that hide something of the account (Iceberg's own left out), those of installed modules
    (``.terraform/modules``) included; and those of modules outside the working directory, which a scratch copy
    does not hold (reported, not judged)."""
    dirs = module_dirs(root)
    judged: dict[str, frozenset[str] | str] = {}
    outside: list[str] = []
    for address, names in ignored_changes(root).items():
        kind = address.split(".")[-2]
        owned = ICEBERG_OWNED.get(kind, frozenset())
        if not isinstance(names, str) and not names - owned:
            continue
        directory = dirs.get(_module_prefix(address), root)
        if _copied_path(directory, root) is None:
            outside.append(f"{address} (module directory {directory} is outside the working directory: not judged)")
            continue
        judged[address] = names
    return judged, outside


def _module_prefix(address: str) -> str:
    """``module.a.aws_x.n`` -> ``module.a.`` (``""`` for the root module), as ``tfsource.module_dirs`` keys it."""
    return address.rpartition(".")[0].rpartition(".")[0] + "." if address.count(".") > 1 else ""


def _in_workdir(directory: Path, root: Path) -> Path | None:
    """A directory's path relative to the working directory, or ``None`` when it lies outside: read as written
    (``..`` folded, links not followed: a linked folder is refused where it is edited), else both resolved (an
    absolute ``Dir`` recorded through another spelling of the working directory)."""
    for inner, outer in ((os.path.abspath(directory), os.path.abspath(root)), (directory.resolve(), root.resolve())):
        try:
            return Path(inner).relative_to(outer)
        except ValueError:
            continue
    return None


def _copied_path(directory: Path, root: Path) -> Path | None:
    """Where a module directory is in the scratch copy (relative to it): in the root's own folders, or in a package
    ``terraform init`` installed under ``.terraform/modules``; ``None`` when the copy cannot hold it."""
    relative = _in_workdir(directory, root)
    if relative is None or (relative.parts[:1] == (".terraform",) and not _installed_package(relative)):
        return None
    return relative


def _installed_package(relative: Path) -> str | None:
    """``.terraform/modules/<key>/...`` -> ``<key>``: the package ``terraform init`` installed the module in."""
    parts = relative.parts
    return parts[2] if len(parts) > 2 and parts[:2] == (".terraform", "modules") else None


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


def scratch_copy(workdir: Path, scratch: Path, ignored: Mapping[str, frozenset[str] | str]) -> None:
    """Make ``scratch`` the working directory with the ``ignored`` resources' ``ignore_changes`` cleared (``kept``).

    The root's folders are copied (runner logs and saved plans left out); of ``.terraform``, the installed packages
    holding an ignored resource are copied and ``modules.json`` is rewritten with every directory relative to the
    copy, everything else is linked. Only files inside ``scratch`` are written: an edited file replaces its copy (a
    link is removed, never written through). Raises ``SourceError`` (a file that cannot be read, or a module
    folder the copy reaches only through a link)."""
    dirs = module_dirs(workdir)
    folders = {}
    for prefix in {_module_prefix(address) for address in ignored}:
        relative = _copied_path(dirs[prefix], workdir)
        if relative is None:
            raise SourceError(f"{dirs[prefix]}: module directory outside the working directory {workdir}")
        folders[prefix] = relative
    shutil.copytree(
        workdir, scratch, symlinks=True, ignore=shutil.ignore_patterns(".terraform", "terraform-*.log", "*.tfplan")
    )
    packages = {package for relative in folders.values() if (package := _installed_package(relative))}
    _scratch_data_dir(workdir, scratch, packages)
    inside = scratch.resolve()
    for prefix, relative in sorted(folders.items()):
        folder = scratch / relative
        if not folder.resolve().is_relative_to(inside):
            raise SourceError(
                f"{workdir / relative}: reached through a link out of the working directory, so its ignores "
                f"({', '.join(sorted(a for a in ignored if _module_prefix(a) == prefix))}) cannot be cleared in a copy"
            )
        for path in sorted(p for p in folder.iterdir() if is_configuration(p.name) and p.is_file()):
            if (text := without_ignores(path, kept)) is not None:
                path.unlink()  # a link in the copy would write through to what it points at
                path.write_text(text, encoding="utf-8")


def _scratch_data_dir(workdir: Path, scratch: Path, packages: set[str]) -> None:
    """The scratch ``.terraform``: ``packages`` of ``.terraform/modules`` copied (without git's own files), a
    ``modules.json`` whose directories name the copy's, every other entry a link to the working directory's."""
    data = workdir / ".terraform"
    if not data.exists():
        return
    (scratch / ".terraform").mkdir()
    for entry in sorted(data.iterdir()):
        if entry.name != "modules" or not entry.is_dir():
            (scratch / ".terraform" / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
            continue
        modules = scratch / ".terraform" / "modules"
        modules.mkdir()
        for installed in sorted(entry.iterdir()):
            if installed.name == "modules.json":
                (modules / installed.name).write_text(_relative_manifest(installed, workdir), encoding="utf-8")
            elif installed.name in packages:
                shutil.copytree(
                    installed, modules / installed.name, symlinks=True, ignore=shutil.ignore_patterns(".git")
                )
            else:
                (modules / installed.name).symlink_to(installed.resolve(), target_is_directory=installed.is_dir())


def _relative_manifest(manifest: Path, workdir: Path) -> str:
    """``modules.json`` with each recorded ``Dir`` inside the working directory written relative to it, so the
    copy's Terraform loads the copy's modules (init writes them relative; an absolute one would reach the
    original, its ignores intact)."""
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))
        records = recorded.get("Modules") or []
    except (OSError, json.JSONDecodeError, AttributeError) as err:
        raise SourceError(f"{manifest}: {err}") from None
    for record in records:
        if isinstance(record, dict) and (relative := _in_workdir(workdir / str(record.get("Dir") or ""), workdir)):
            record["Dir"] = relative.as_posix()
    return json.dumps(recorded)


def unignored_drift(tf: Terraform) -> Unignored:
    """Plan the working directory with its ignores cleared; what the ignores hide. Raises ``SourceError`` (a file
    that cannot be read) or ``TerraformError`` (the plan failed)."""
    ignored, outside = judged_ignores(tf.workdir)
    if not ignored:
        return Unignored({}, [], outside)
    with tempfile.TemporaryDirectory(prefix="unignored-", dir=tf.log_dir.parent if tf.log_dir else None) as tmp:
        scratch = Path(tmp) / "root"
        scratch_copy(tf.workdir, scratch, ignored)
        plan = Terraform(scratch, tf.var_file, env=tf.env, log_dir=tf.log_dir / "unignored", binary=tf.binary)
        planned = plan.plan(out=Path(tmp) / "unignored.tfplan")
        if planned.saved is None:
            raise TerraformError("plan", planned.exit_code, ["the unignored plan was not saved"], None)
        shown = plan.show_plan(planned.saved)
    return Unignored(ignored, differences(shown, ignored), outside)


__all__ = ["IgnoredDrift", "SourceError", "Unignored", "differences", "scratch_copy", "unignored_drift"]
