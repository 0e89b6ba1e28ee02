"""Where Terraform gets the hashicorp/aws provider on a machine without registry access.

One place decides it, for every entry point (make, tox, `pytest features/`, the CLI, an installed
wheel): ``LAKEHOUSE_TF_PLUGIN_MIRROR`` when set; otherwise a filesystem mirror that holds the
exact provider version ``infra/`` pins, looked for where Terraform's own implied mirrors live and
one level under ``/opt`` (the FHS place for add-on software). Nothing found: Terraform uses the
registry as on any user's machine. A mirror without the pinned version is never chosen, so a
stale one cannot change what is deployed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

MIRROR_ENV = "LAKEHOUSE_TF_PLUGIN_MIRROR"
PROVIDER = Path("registry.terraform.io") / "hashicorp" / "aws"
_VERSION = re.compile(r'^\s*version\s*=\s*"([0-9][0-9.]*)"', re.M)


def pinned_aws_version(infra: Path) -> str | None:
    """The hashicorp/aws version ``infra/versions.tf`` pins (``None`` when it pins none)."""
    path = infra / "versions.tf"
    if not path.is_file():
        return None
    found = _VERSION.search(path.read_text(encoding="utf-8"))
    return found.group(1) if found else None


def candidate_dirs(env: Mapping[str, str]) -> list[Path]:
    """Terraform's implied local mirror directories, then each folder directly under /opt."""
    home = Path(env.get("HOME") or Path.home())
    data_home = Path(env.get("XDG_DATA_HOME") or home / ".local" / "share")
    found = [
        home / ".terraform.d" / "plugins",
        data_home / "terraform" / "plugins",
        Path("/usr/local/share/terraform/plugins"),
        Path("/usr/share/terraform/plugins"),
    ]
    opt = Path("/opt")
    if opt.is_dir():
        found += sorted(p for p in opt.iterdir() if p.is_dir())
    return found


def holds(mirror: Path, version: str) -> bool:
    return (mirror / PROVIDER / version).is_dir()


def find_mirror(infra: Path, env: Mapping[str, str] | None = None, dirs: Iterable[Path] | None = None) -> Path | None:
    """The mirror to use, or ``None`` for the registry. An explicit ``LAKEHOUSE_TF_PLUGIN_MIRROR`` always wins."""
    env = os.environ if env is None else env
    if explicit := env.get(MIRROR_ENV):
        return Path(explicit)
    version = pinned_aws_version(infra)
    if version is None:
        return None
    return next((d for d in (candidate_dirs(env) if dirs is None else dirs) if holds(d, version)), None)


def main() -> int:
    """Print the mirror ``find_mirror`` chooses for this checkout (nothing for the registry)."""
    from lakehouse.config import project_root

    found = find_mirror(project_root() / "infra")
    if found is not None:
        print(found)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
