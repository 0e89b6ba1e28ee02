"""`make lint`'s scanners in `make test`: checkov finds nothing on infra/ as committed, zizmor nothing on .github/.

CI runs `make test`, not `make lint`; without this a new resource that checkov flags (it happened: the
catalog's pause schedule, CKV_AWS_297) turns guard.yml, and with it exit check 3, red while CI is green.
The second half shows the scan is not vacuous: the same root with one justified skip taken away fails.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=ROOT, capture_output=True, text=True, timeout=900)


@pytest.mark.xdist_group("scanners")
def test_committed_tree_passes_the_scanners_and_a_dropped_skip_is_caught(tmp_path: Path) -> None:
    scan = _run("make", "--no-print-directory", "scan")
    assert scan.returncode == 0, f"make scan failed:\n{scan.stdout[-4000:]}\n{scan.stderr[-2000:]}"
    assert "Failed checks: 0" in scan.stdout

    broken = tmp_path / "infra"
    shutil.copytree(ROOT / "infra", broken, ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*"))
    schedule = broken / "catalog_service.tf"
    lines = schedule.read_text().splitlines(keepends=True)
    kept = [line for line in lines if "checkov:skip=CKV_AWS_297" not in line]
    assert len(kept) == len(lines) - 1, "the pause schedule's justified skip is where this test expects it"
    schedule.write_text("".join(kept))

    found = _run(CHECKOV, "--config-file", ".github/checkov.yaml", "--directory", broken)
    assert found.returncode == 1, found.stdout[-4000:]
    assert "CKV_AWS_297" in found.stdout
    assert "aws_scheduler_schedule.catalog_pause[0]" in found.stdout
    assert "Failed checks: 1," in found.stdout
