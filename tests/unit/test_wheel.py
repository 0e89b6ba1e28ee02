"""The wheel the SBOM KPI signs is a working package: its data files inside, runs outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lakehouse.kpi.sbom import build_wheel
from tests.report.conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(ROOT, tmp_path_factory.mktemp("dist"))


def test_the_wheel_holds_every_data_file(wheel: Path) -> None:
    """Templates, the catalog's vendored schemas: every file of the package that is not code is package data."""
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "lakehouse").rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    assert {"lakehouse/report/templates/evidence.html.j2", "lakehouse/catalog/schemas/Entity.schema.json"} <= shipped
    assert shipped <= names, sorted(shipped - names)
    assert "lakehouse/cli.py" in names and "lakehouse/lineage/service/app.py" in names


def test_the_installed_wheel_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    # The wheel's own code (not the editable checkout) on the path first; dependencies from this venv.
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)]
    subprocess.run(pip, check=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copytree(ROOT / "tests" / "report" / "data", elsewhere / "run")
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("LAKEHOUSE_ROOT", None)

    def lakehouse(*args: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "lakehouse.cli", *args]
        return subprocess.run(argv, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)

    where = subprocess.run(
        [sys.executable, "-c", "import lakehouse; print(lakehouse.__file__)"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip().startswith(str(site)), where.stdout
    assert lakehouse("--help").returncode == 0
    version = lakehouse("--version")
    assert version.returncode == 0 and version.stdout.startswith("lakehouse ")
    report = lakehouse("report", "--evidence", "run/evidence.json")
    assert report.returncode == 0, report.stdout + report.stderr
    html = (elsewhere / "run" / "evidence.html").read_text(encoding="utf-8")
    assert "Lakehouse evidence" in html
    lineage_templates = site / "lakehouse" / "lineage" / "service" / "templates"
    assert (lineage_templates / "lineage.html.j2").is_file()
