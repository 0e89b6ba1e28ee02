"""KPI SBOM: a package's purl must be the package and version it is listed as.

The broken release: an SBOM listing every installed package at its installed version in the name and
version fields, but with purls carried over from an older lock (``pkg:pypi/urllib3@1.26.20``) or naming
another package. Scanners match vulnerabilities on the purl, so they check what is not shipped; the
check read only names and versions, and the KPI passed. Now each such purl is named.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.kpi.sbom import check_cyclonedx, judge_release
from lakehouse.kpi.spdx import check_spdx, environment_document, write_spdx
from tests.unit.sbom_docs import PROJECT, environment_cyclonedx, signed
from tests.unit.test_kpi_sbom_versions import EXPECTED, INSTALLED

STALE = "pkg:pypi/urllib3@1.26.20"
OTHER = "pkg:pypi/requests@2.8.0"


def _with_purl(path: Path, key: str, purl: str) -> Path:
    doc = json.loads(path.read_text(encoding="utf-8"))
    if key == "components":
        [c] = [c for c in doc["components"] if c["name"] == "urllib3"]
        c["purl"] = purl
    else:
        [p] = [p for p in doc["packages"] if p["name"] == "urllib3"]
        p["externalRefs"][0]["referenceLocator"] = purl
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("purl", [STALE, OTHER, "pkg:npm/urllib3@2.8.0", "pkg:pypi/urllib3"])
def test_a_cyclonedx_purl_of_another_version_or_package_fails_the_kpi_naming_it(tmp_path: Path, purl: str) -> None:
    path = _with_purl(environment_cyclonedx(tmp_path, INSTALLED), "components", purl)
    check = check_cyclonedx(path, "sbom-env.cdx.json", "environment", EXPECTED)
    assert check.missing == [] and check.wrong_version == []  # the name and version fields are right
    assert check.wrong_purl == [f"urllib3 2.8.0 (its purl {purl} is another package or version)"]
    result = judge_release(signed("release/sbom-env.cdx.json"), [check], "run-made key", ("integrity", "default"))
    assert not result.passed
    assert (
        "sbom-env.cdx.json (CycloneDX 1.6 JSON of the environment) gives 1 package(s) a purl, what scanners match "
        f"on, of another package or version: urllib3 2.8.0 (its purl {purl} is another package or version)"
    ) in str(result.reason)


def test_an_spdx_purl_of_another_version_is_named(tmp_path: Path) -> None:
    out = write_spdx(environment_document(PROJECT, INSTALLED), tmp_path / "sbom-env.spdx.json")
    check = check_spdx(_with_purl(out, "packages", STALE), "sbom-env.spdx.json", "environment", EXPECTED)
    assert check.invalid == [] and check.missing == [] and check.wrong_version == []
    assert check.wrong_purl == [f"urllib3 2.8.0 (its purl {STALE} is another package or version)"]


def test_purls_of_the_listed_package_and_version_pass(tmp_path: Path) -> None:
    """Healthy twin: purls as cyclonedx-py and spdx-tools write them (PEP 503 name, any spelling of the version)."""
    path = _with_purl(environment_cyclonedx(tmp_path, INSTALLED), "components", "pkg:pypi/URLLib3@2.8")  # 2.8 == 2.8.0
    cdx = check_cyclonedx(path, "sbom-env.cdx.json", "environment", EXPECTED)
    out = write_spdx(environment_document(PROJECT, INSTALLED), tmp_path / "sbom-env.spdx.json")
    spdx = check_spdx(out, "sbom-env.spdx.json", "environment", EXPECTED)
    assert cdx.wrong_purl == [] and spdx.wrong_purl == []
    assert judge_release(
        signed("release/sbom-env.cdx.json"), [cdx, spdx], "run-made key", ("integrity", "default")
    ).passed
