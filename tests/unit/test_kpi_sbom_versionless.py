"""KPI SBOM: a package listed without any version is not listed at the version installed.

The broken release: an SBOM naming every installed package but giving some no version at all
(CycloneDX ``version`` and SPDX ``versionInfo`` are optional, both schemas accept it). The version
check compared only the versions a file gives, so a name with none passed as covered; a scanner
reading it can match no vulnerability to that package. Now it is a wrong version naming the package.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lakehouse.kpi.sbom import check_cyclonedx, judge_release
from lakehouse.kpi.spdx import check_spdx, environment_document, write_spdx
from tests.unit.sbom_docs import PROJECT, environment_cyclonedx, signed
from tests.unit.test_kpi_sbom_versions import EXPECTED, INSTALLED


def _without_version(doc: dict[str, Any], name: str, key: str) -> dict[str, Any]:
    for package in doc["components" if key == "version" else "packages"]:
        if package["name"] == name:
            del package[key]
            if key == "version":  # its purl too: nothing in the file says which urllib3
                package["purl"] = package["bom-ref"] = "pkg:pypi/urllib3"
    return doc


def test_a_cyclonedx_component_without_a_version_fails_the_kpi_naming_it(tmp_path: Path) -> None:
    path = environment_cyclonedx(tmp_path, INSTALLED)
    path.write_text(json.dumps(_without_version(json.loads(path.read_text()), "urllib3", "version")))
    check = check_cyclonedx(path, "sbom-env.cdx.json", "environment", EXPECTED)
    assert check.missing == [] and check.invalid == []  # named, and valid CycloneDX 1.6
    assert check.wrong_version == ["urllib3 (lists no version, installed 2.8.0)"]
    result = judge_release(signed("release/sbom-env.cdx.json"), [check], "run-made key", ("integrity", "default"))
    assert not result.passed
    assert "urllib3 (lists no version, installed 2.8.0)" in str(result.reason)


def test_an_spdx_package_without_a_version_names_it(tmp_path: Path) -> None:
    out = write_spdx(environment_document(PROJECT, INSTALLED), tmp_path / "sbom-env.spdx.json")
    out.write_text(json.dumps(_without_version(json.loads(out.read_text()), "urllib3", "versionInfo")))
    check = check_spdx(out, "sbom-env.spdx.json", "environment", EXPECTED)
    assert check.missing == [] and check.invalid == []  # named, and valid SPDX 2.3
    assert check.wrong_version == ["urllib3 (lists no version, installed 2.8.0)"]


def test_every_package_at_its_version_passes_in_both_formats(tmp_path: Path) -> None:
    cdx = check_cyclonedx(environment_cyclonedx(tmp_path, INSTALLED), "sbom-env.cdx.json", "environment", EXPECTED)
    out = write_spdx(environment_document(PROJECT, INSTALLED), tmp_path / "sbom-env.spdx.json")
    spdx = check_spdx(out, "sbom-env.spdx.json", "environment", EXPECTED)
    assert cdx.wrong_version == [] and spdx.wrong_version == []
    # a package expected with no known version (a requirement the environment lacks) is not held to one
    assert (
        check_cyclonedx(tmp_path / "sbom-env.cdx.json", "x", "environment", {**EXPECTED, "urllib3": None}).wrong_version
        == []
    )
    assert judge_release(signed("release/sbom-env.cdx.json"), [cdx], "run-made key", ("integrity", "default")).passed
