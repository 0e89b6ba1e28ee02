"""KPI SBOM under attack: code shipped without a distribution's metadata.

The broken releases: a copy of ``requests`` in the project's package (``lakehouse/_vendor/requests/``) or in the
environment's site-packages (a ``requests/`` directory put there by hand), with no ``.dist-info``. Every SBOM
lists distributions, and the check compared those with the installed distributions and the wheel's closure, so
the copied code was invisible: all four SBOMs complete, the KPI passed, and nothing recorded which requests ships.
Now the code no distribution claims is found (``lakehouse.kpi.unclaimed``) and fails the KPI, naming the directory.
"""

from __future__ import annotations

import sys
import venv
import zipfile
from pathlib import Path

import pytest

import lakehouse.kpi.release as release_module
from lakehouse.evidence import ArtifactStore
from lakehouse.kpi.release import finish_release, prepare_release
from lakehouse.kpi.sbom import Distribution, wheel_contents
from tests.unit.test_kpi_release import ROOT, fast_builds  # noqa: F401  (fast_builds is a fixture)

DIR = "kpi-lh-test/release"
WHEEL = "lakehouse_code-0.1.0-py3-none-any.whl"
OWN = "Metadata-Version: 2.1\nName: lakehouse-code\nVersion: 0.1.0\nRequires-Dist: duckdb==1.5.5\n"
#: The environment scan itself, kept before ``fast_builds`` stands in an empty answer for it.
REAL_SCAN = getattr(release_module, "unclaimed_in_environment", None)


def _wheel(out_dir: Path, members: list[tuple[str, str]]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / WHEEL
    with zipfile.ZipFile(path, "w") as zf:
        for member, text in members:
            zf.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), text)
    return path


HEALTHY = [
    ("lakehouse/__init__.py", ""),
    ("lakehouse/kpi/sbom.py", "# ours\n"),
    ("lakehouse_code-0.1.0.dist-info/METADATA", OWN),
]
#: requests copied into the package, without its .dist-info.
COPIED = [
    *HEALTHY[:2],
    ("lakehouse/_vendor/__init__.py", ""),
    ("lakehouse/_vendor/requests/__init__.py", "# requests\n"),
]
COPIED += [("lakehouse/_vendor/requests/api.py", "# requests\n"), HEALTHY[2]]


def _release(tmp_path: Path, members: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch) -> str | None:
    """The release with the given wheel, judged; its reason (None: it passed)."""
    monkeypatch.setattr(release_module, "build_wheel", lambda root, out_dir, nice=0: _wheel(out_dir, members))
    result = finish_release(prepare_release(ROOT, ArtifactStore(tmp_path / "reports"), DIR), None).result
    return None if result.passed else str(result.reason)


@pytest.mark.usefixtures("fast_builds")
def test_a_package_copied_into_the_wheel_without_metadata_fails_naming_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reason = _release(tmp_path, COPIED, monkeypatch)
    assert reason is not None, "the wheel ships a copy of requests no SBOM lists, and the KPI passed"  # main
    assert (
        f"{DIR}/sbom-wheel.cdx.json (CycloneDX 1.6 JSON of the wheel) cannot list 1 piece(s) of code the wheel ships "
        "without a distribution's metadata (a copied package, no .dist-info claims it): lakehouse/_vendor/requests/ "
        "(in the vendoring directory _vendor/, no .dist-info beside it)"
    ) in reason
    assert f"{DIR}/sbom-wheel.spdx.json (SPDX 2.3 JSON of the wheel) cannot list 1 piece(s)" in reason


@pytest.mark.usefixtures("fast_builds")
def test_healthy_twin_a_wheel_of_the_projects_own_code_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _release(tmp_path, HEALTHY, monkeypatch) is None


def test_a_copy_named_as_an_installed_distributions_package_is_named(tmp_path: Path) -> None:
    """No vendoring directory: ``lakehouse/util/yaml/`` is PyYAML's import package ``yaml``, copied."""
    from lakehouse.kpi.unclaimed import unclaimed_in_wheel

    members = [*HEALTHY, ("lakehouse/util/yaml/__init__.py", "# PyYAML\n"), ("lakehouse/util/yaml/nodes.py", "")]
    installed = [Distribution("PyYAML", "6.0.3", top_level=("_yaml", "yaml")), Distribution("duckdb", "1.5.5")]
    wheel = _wheel(tmp_path, members)
    found = unclaimed_in_wheel(wheel, wheel_contents(wheel, installed), installed)
    assert found == ["lakehouse/util/yaml/ (named as PyYAML's import package 'yaml', no .dist-info)"]
    # The project's own package is not a copy of the installed project (the editable install's top level).
    own = [*installed, Distribution("lakehouse-code", "0.1.0", top_level=("lakehouse",))]
    healthy = _wheel(tmp_path / "h", HEALTHY)
    assert unclaimed_in_wheel(healthy, wheel_contents(healthy, own), own) == []


def test_a_vendored_copy_with_its_dist_info_is_claimed_by_it(tmp_path: Path) -> None:
    """six with its .dist-info beside it is a distribution the SBOMs list (test_kpi_sbom_vendored), not unclaimed."""
    from lakehouse.kpi.unclaimed import unclaimed_in_wheel

    six = "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n"
    members = [*COPIED[:3], ("lakehouse/_vendor/six.py", ""), ("lakehouse/_vendor/six-1.16.0.dist-info/METADATA", six)]
    wheel = _wheel(tmp_path, [*members, HEALTHY[2]])
    installed = [Distribution("six", "1.17.0", top_level=("six",)), Distribution("duckdb", "1.5.5")]
    assert unclaimed_in_wheel(wheel, wheel_contents(wheel, installed), installed) == []


def _environment(tmp_path: Path, copied: bool) -> Path:
    """A real virtual environment (no pip): six installed with its RECORD, and a copied ``requests/`` if asked."""
    env = tmp_path / "env"
    venv.EnvBuilder(with_pip=False, symlinks=True).create(env)
    [site] = list(env.glob("lib/python*/site-packages")) or list(env.glob("Lib/site-packages"))
    (site / "six.py").write_text("# six\n", encoding="utf-8")
    info = site / "six-1.16.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n", encoding="utf-8")
    (info / "RECORD").write_text("six.py,,\nsix-1.16.0.dist-info/METADATA,,\nsix-1.16.0.dist-info/RECORD,,\n")
    if copied:
        (site / "requests").mkdir()
        (site / "requests" / "__init__.py").write_text("# requests, copied by hand\n", encoding="utf-8")
    return env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


@pytest.mark.usefixtures("fast_builds")
def test_a_package_copied_into_site_packages_without_metadata_fails_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    python = _environment(tmp_path, copied=True)
    if REAL_SCAN is not None:
        monkeypatch.setattr(release_module, "unclaimed_in_environment", REAL_SCAN)
    monkeypatch.setattr(sys, "executable", str(python))  # the environment prepare_release describes
    reason = _release(tmp_path, HEALTHY, monkeypatch)
    assert reason is not None, "site-packages ships a copy of requests no SBOM lists, and the KPI passed"  # main
    assert f"{DIR}/sbom-env.cdx.json (CycloneDX 1.6 JSON of the environment) cannot list 1 piece(s)" in reason
    site = next(python.parent.parent.glob("lib/python*/site-packages")).resolve()
    assert f"{site}/requests/" in reason and "six.py" not in reason


def test_healthy_twin_site_packages_holding_only_installed_code_has_nothing_unclaimed(tmp_path: Path) -> None:
    from lakehouse.kpi.unclaimed import unclaimed_in_environment

    assert unclaimed_in_environment(_environment(tmp_path, copied=False)) == []
