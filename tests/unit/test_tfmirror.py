"""The provider mirror is chosen by the library, the same for make, tox, pytest and the CLI."""

from __future__ import annotations

from pathlib import Path

from lakehouse.tfmirror import MIRROR_ENV, PROVIDER, find_mirror, pinned_aws_version
from tests.report.conftest import ROOT


def _infra(tmp_path: Path, version: str) -> Path:
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "versions.tf").write_text(f'terraform {{\n  aws = {{\n    version = "{version}"\n  }}\n}}\n')
    return infra


def _mirror(tmp_path: Path, name: str, version: str) -> Path:
    path = tmp_path / name
    (path / PROVIDER / version).mkdir(parents=True)
    return path


def test_the_pinned_version_is_read_from_infra() -> None:
    assert pinned_aws_version(ROOT / "infra") == "5.100.0"


def test_a_mirror_holding_the_pinned_version_is_chosen_and_a_stale_one_is_not(tmp_path: Path) -> None:
    infra = _infra(tmp_path, "5.100.0")
    stale = _mirror(tmp_path, "old", "5.1.0")
    good = _mirror(tmp_path, "good", "5.100.0")
    assert find_mirror(infra, env={}, dirs=[stale, good]) == good
    assert find_mirror(infra, env={}, dirs=[stale]) is None  # the registry, as on a user's machine


def test_the_variable_always_wins(tmp_path: Path) -> None:
    infra = _infra(tmp_path, "5.100.0")
    good = _mirror(tmp_path, "good", "5.100.0")
    assert find_mirror(infra, env={MIRROR_ENV: "/somewhere"}, dirs=[good]) == Path("/somewhere")
