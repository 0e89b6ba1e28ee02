"""The stack's working copy of ``infra/``: its configuration exactly ``infra/``'s, its state and providers kept.

Every stack applies a copy of ``infra/`` in its own folder, refreshed before each ``terraform init``. Terraform
loads every ``*.tf`` and ``*.tf.json`` of a module directory (override files included), so a file removed from
``infra/`` but left in the copy would still be applied, and read back by ``lakehouse.tfsource``. The refresh
removes every configuration file of the copy first, then copies ``infra/`` again: the copy's configuration is
then exactly what Terraform would load from ``infra/``. State, ``.terraform/`` (providers and the modules init
installed), var files and the lock file of the last init are not configuration and are kept; the lock file
``infra/`` commits replaces the copy's, as every copy of ``infra/`` does.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

from lakehouse.tfsource import is_configuration

#: Never copied from ``infra/``: a developer's own providers and state, local overrides (gitignored: the stack
#: writes its own, ``lakehouse.stack.OVERRIDE_FILE``) and auto-loaded var files (the stack writes its own).
NOT_COPIED = (".terraform", "*.tfstate*", "*_override.tf", "*.auto.tfvars*")


def _kept_dir(name: str) -> bool:
    """A folder of the copy the refresh never enters (``.terraform/``: providers and installed modules)."""
    return not any(fnmatch.fnmatch(name, pattern) for pattern in NOT_COPIED)


def remove_configuration(copy: Path) -> list[Path]:
    """Delete every configuration file Terraform would load from ``copy`` and its folders (local modules), outside
    ``.terraform/``; return them. Nothing else (state, var files, the lock file) is touched."""
    removed: list[Path] = []
    for folder, dirs, files in os.walk(copy):
        dirs[:] = [d for d in dirs if _kept_dir(d)]
        for name in files:
            if is_configuration(name):
                path = Path(folder) / name
                path.unlink()
                removed.append(path)
    return sorted(removed)


def refresh(source: Path, copy: Path) -> list[Path]:
    """Make ``copy``'s configuration exactly ``source``'s (``infra/``), keeping its state and ``.terraform/``.

    Returns the configuration files removed before the copy (those still in ``source`` are copied back).
    """
    removed = remove_configuration(copy) if copy.exists() else []
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns(*NOT_COPIED), dirs_exist_ok=True)
    return removed
