"""KPI SBOM under attack: a stale entry beside the installed one.

The broken release: the environment SBOM lists urllib3 twice, at 2.8.0 (installed) and at 1.26.20 (not
installed: an entry left from before an upgrade, or merged from another environment's SBOM). The version
check asked only that *some* entry be at the installed version, so the KPI passed, and a scanner reading
the SBOM reports (or clears) urllib3 1.26.20, which the release does not ship. Now every version an SBOM
lists for a shipped package must be the version installed.
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.kpi.sbom import Distribution, check_cyclonedx, judge_release
from lakehouse.kpi.spdx import check_spdx, environment_document, write_spdx
from tests.unit.sbom_docs import PROJECT, environment_cyclonedx, signed

INSTALLED = [PROJECT, Distribution("boto3", "1.44.5"), Distribution("urllib3", "2.8.0")]
EXPECTED: dict[str, str | None] = {d.name: d.version for d in INSTALLED}
#: Every installed package at its installed version, and urllib3 once more at a version not installed.
STALE_BESIDE = [*INSTALLED, Distribution("urllib3", "1.26.20")]


def test_a_stale_entry_beside_the_installed_one_fails_naming_both_versions(tmp_path: Path) -> None:
    check = check_cyclonedx(environment_cyclonedx(tmp_path, STALE_BESIDE), "sbom-env.cdx.json", "environment", EXPECTED)
    assert check.missing == [] and check.invalid == [] and check.unexpected == []
    assert check.wrong_version == ["urllib3 (lists 1.26.20, 2.8.0, installed 2.8.0)"]  # main: [] and the KPI passed
    result = judge_release(signed(), [check], "run-made key", ("integrity", "default"))
    assert not result.passed
    assert "at a version that is not the one installed: urllib3 (lists 1.26.20, 2.8.0, installed 2.8.0)" in str(
        result.reason
    )


def test_a_stale_entry_in_an_spdx_sbom_is_named_too(tmp_path: Path) -> None:
    out = write_spdx(environment_document(PROJECT, STALE_BESIDE), tmp_path / "sbom-env.spdx.json")
    check = check_spdx(out, "sbom-env.spdx.json", "environment", EXPECTED)
    assert check.wrong_version == ["urllib3 (lists 1.26.20, 2.8.0, installed 2.8.0)"]


def test_healthy_twin_each_package_at_its_installed_version_passes(tmp_path: Path) -> None:
    check = check_cyclonedx(environment_cyclonedx(tmp_path, INSTALLED), "sbom-env.cdx.json", "environment", EXPECTED)
    assert check.wrong_version == [] and check.missing == []
    assert judge_release(signed(), [check], "run-made key", ("integrity", "default")).passed
    # The installed version written twice, or as another spelling of the same PEP 440 version, is no stale entry.
    twice = [*INSTALLED, Distribution("urllib3", "2.8")]
    again = check_cyclonedx(environment_cyclonedx(tmp_path, twice), "sbom-env.cdx.json", "environment", EXPECTED)
    assert again.wrong_version == []
    spdx = write_spdx(environment_document(PROJECT, INSTALLED), tmp_path / "sbom-env.spdx.json")
    assert check_spdx(spdx, "sbom-env.spdx.json", "environment", EXPECTED).wrong_version == []
