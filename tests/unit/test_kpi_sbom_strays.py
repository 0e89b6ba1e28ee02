"""KPI SBOM under attack: a second artifact written into the release directory.

The release directory is what ships (sbom.yml uploads ``reports/release/`` whole). A build step that drops
an sdist there (``lakehouse_code-0.1.0.tar.gz``) ships it beside the wheel with no SBOM and no signature:
the KPI judged only what it built and passed at 100 %. Now each file written there during the run that the
run did not build counts as an unsigned artifact, named; a previous run's leftovers are listed, not judged.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lakehouse.evidence import ArtifactStore
from lakehouse.kpi.release import finish_release, prepare_release
from tests.unit.test_kpi_release import ROOT, fast_builds  # noqa: F401  (fast_builds is a fixture)

DIR = "kpi-lh-test/release"
SDIST = f"{DIR}/lakehouse_code-0.1.0.tar.gz"


@pytest.mark.usefixtures("fast_builds")
@pytest.mark.parametrize("stray", [SDIST, f"{DIR}/extra/lakehouse_code-0.0.9-py3-none-any.whl"])
def test_a_file_the_run_did_not_build_in_the_release_dir_fails_naming_it(tmp_path: Path, stray: str) -> None:
    store = ArtifactStore(tmp_path / "reports")
    prepared = prepare_release(ROOT, store, DIR)
    store.write_text(stray, "a second artifact\n")  # written by another build step during the run
    result = finish_release(prepared, store.write_json(f"{DIR}/plan.json", {"planned_values": {}})).result
    assert not result.passed
    assert (
        f"{stray}: written into the release directory during this run but not built by it: it ships with the "
        "release, yet no SBOM describes it and no signature check covers it"
    ) in str(result.reason)
    assert result.measured == pytest.approx(100 * 6 / 7, abs=0.01)  # 6 artifacts signed of 7 shipped
    assert result.details["release"]["strays"] == [stray]


@pytest.mark.usefixtures("fast_builds")
def test_the_release_its_key_and_a_previous_runs_leftovers_pass(tmp_path: Path) -> None:
    """Healthy twin: only the run's artifacts, their signatures and the verdict file; an older leftover
    (a reused stack id's reports) is listed in the evidence, not held against this run."""
    store = ArtifactStore(tmp_path / "reports")
    old = store.root / DIR / "lakehouse_code-0.0.9-py3-none-any.whl"
    store.write_text(f"{DIR}/lakehouse_code-0.0.9-py3-none-any.whl", "an old build\n")
    os.utime(old, (1_000_000_000, 1_000_000_000))  # 2001: before this run
    store.write_text(f"{DIR}/kpi-sbom.json", "{}")
    prepared = prepare_release(ROOT, store, DIR)
    result = finish_release(prepared, store.write_json(f"{DIR}/plan.json", {"planned_values": {}})).result
    assert result.passed and result.measured == 100.0, result.reason
    assert result.details["release"]["strays"] == []
    assert result.details["older_files_in_release_dir"] == [f"{DIR}/lakehouse_code-0.0.9-py3-none-any.whl"]


def test_the_cost_kpi_keeps_infracosts_usage_file_out_of_the_release_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KPI-cost writes the usage file it gives Infracost; beside the plan it would land in the release
    directory (the plan is signed there) and be a stray of a healthy run."""
    import lakehouse.kpi.cost as cost

    release = tmp_path / "kpi-lh-test" / "release"
    release.mkdir(parents=True)
    plan = {"planned_values": {"root_module": {"resources": []}}}
    (release / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    monkeypatch.setattr(cost, "infracost_unavailable", lambda env=None: None)
    monkeypatch.setattr(cost, "run_infracost", lambda plan_json, root, usage_file: {"projects": [], "summary": {}})
    estimate = cost.monthly_cost(
        plan, release / "plan.json", ROOT, "ap-northeast-1", cost.PRICES_FILE, cost.USAGE_FILE, tmp_path / "kpi-lh-test"
    )
    assert estimate.inputs["usage_file"] == str(tmp_path / "kpi-lh-test" / "infracost-usage.yml")
    assert sorted(p.name for p in release.iterdir()) == ["plan.json"]
