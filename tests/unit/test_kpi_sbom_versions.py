"""KPI SBOM: an SBOM must list each package at the version installed, not only its name.

The broken release: an environment SBOM made before an upgrade (or of another environment) names
every installed package, some at versions that are not installed. Coverage by name was 100 % and
the KPI passed; a vulnerability scanner reading that SBOM checks versions that are not shipped.
"""

from __future__ import annotations

from pathlib import Path

from lakehouse.kpi.sbom import (
    CYCLONEDX,
    Distribution,
    SbomCheck,
    WheelContents,
    check_cyclonedx,
    judge_release,
    wheel_cyclonedx,
)
from lakehouse.kpi.spdx import check_spdx, environment_document, wheel_document, write_spdx
from tests.unit.sbom_docs import PROJECT, environment_cyclonedx, signed

INSTALLED = [
    PROJECT,
    Distribution("boto3", "1.44.5"),
    Distribution("urllib3", "2.8.0"),
    Distribution("PyYAML", "6.0.3"),
]
#: What the release expects: every installed package at its installed version.
EXPECTED: dict[str, str | None] = {d.name: d.version for d in INSTALLED}
#: The same names, urllib3 at the version installed before an upgrade.
STALE = [Distribution("urllib3", "1.26.20") if d.key == "urllib3" else d for d in INSTALLED]


def test_a_stale_cyclonedx_sbom_fails_the_kpi_naming_the_version(tmp_path: Path) -> None:
    check = check_cyclonedx(environment_cyclonedx(tmp_path, STALE), "sbom-env.cdx.json", "environment", EXPECTED)
    assert check.missing == [] and check.invalid == []  # every name is there: coverage by name was 100 %
    assert check.wrong_version == ["urllib3 (lists 1.26.20, installed 2.8.0)"]
    result = judge_release(signed("release/sbom-env.cdx.json"), [check], "run-made key", ("integrity", "default"))
    assert not result.passed
    assert (
        "sbom-env.cdx.json (CycloneDX 1.6 JSON of the environment) lists 1 package(s) at a version that is not "
        "the one installed: urllib3 (lists 1.26.20, installed 2.8.0)"
    ) in str(result.reason)


def test_a_stale_spdx_sbom_names_the_version(tmp_path: Path) -> None:
    out = write_spdx(environment_document(PROJECT, STALE), tmp_path / "sbom-env.spdx.json")
    check = check_spdx(out, "sbom-env.spdx.json", "environment", EXPECTED)
    assert check.missing == [] and check.invalid == []
    assert check.wrong_version == ["urllib3 (lists 1.26.20, installed 2.8.0)"]


def test_a_wheel_sbom_at_another_release_of_the_project_is_named(tmp_path: Path) -> None:
    """The wheel's SBOMs describe lakehouse-code 0.0.9 while the wheel shipped is 0.1.0."""
    old = WheelContents(Distribution("lakehouse-code", "0.0.9"), "0" * 64, "lakehouse_code-0.0.9-py3-none-any.whl")
    old.dependencies = [Distribution("boto3", "1.44.5")]
    expected: dict[str, str | None] = {"lakehouse-code": "0.1.0", "boto3": "1.44.5"}
    cdx = check_cyclonedx(wheel_cyclonedx(old, tmp_path / "w.cdx.json"), "w.cdx.json", "wheel", expected)
    spdx = check_spdx(write_spdx(wheel_document(old), tmp_path / "w.spdx.json"), "w.spdx.json", "wheel", expected)
    assert cdx.wrong_version == spdx.wrong_version == ["lakehouse-code (lists 0.0.9, installed 0.1.0)"]


def test_a_healthy_sbom_passes_and_equal_versions_are_equal(tmp_path: Path) -> None:
    check = check_cyclonedx(environment_cyclonedx(tmp_path, INSTALLED), "sbom-env.cdx.json", "environment", EXPECTED)
    assert check.wrong_version == [] and check.missing == []
    assert judge_release(signed("release/sbom-env.cdx.json"), [check], "run-made key", ("integrity", "default")).passed
    # PEP 440: 6.0 is 6.0.0 (a stale entry beside the installed one: tests/unit/test_kpi_sbom_stale_entry.py).
    relaxed = {**EXPECTED, "PyYAML": "6.0.0"}
    listed = [Distribution("PyYAML", "6.0") if d.key == "pyyaml" else d for d in INSTALLED]
    again = check_cyclonedx(environment_cyclonedx(tmp_path, listed), "sbom-env.cdx.json", "environment", relaxed)
    assert again.wrong_version == []
    # A package with no known version (a requirement not installed) is held to its name only.
    named = check_cyclonedx(environment_cyclonedx(tmp_path, INSTALLED), "x", "wheel", {**EXPECTED, "duckdb": None})
    assert named.missing == ["duckdb"] and named.wrong_version == []
    assert SbomCheck("x", CYCLONEDX, "wheel", 0, 0).wrong_version == []
