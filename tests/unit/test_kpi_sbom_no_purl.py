"""KPI SBOM: a package listed without a purl is not covered.

The broken release: an SBOM that lists every installed package by name and version but drops the purls (a
generator writing only the name fields, or an edit stripping them). Scanners (Grype, osv-scanner,
Dependency-Track) match vulnerabilities on the purl, so nothing is matched to those packages: they are as good
as omitted. The check judged only the purls present, and the KPI passed. Now each package listed without one is
named; the described package aside (``cyclonedx-py environment --pyproject`` gives the project none).
"""

from __future__ import annotations

import json
from pathlib import Path

from lakehouse.kpi.sbom import check_cyclonedx, judge_release
from lakehouse.kpi.spdx import check_spdx, environment_document, write_spdx
from tests.unit.sbom_docs import PROJECT, environment_cyclonedx, signed
from tests.unit.test_kpi_sbom_versions import EXPECTED, INSTALLED

TRUST = ("integrity", "default")


def _without_purl(path: Path, key: str) -> Path:
    """``path`` with urllib3's purl dropped (CycloneDX ``components``, or SPDX ``packages``' external refs)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    if key == "components":
        [c] = [c for c in doc["components"] if c["name"] == "urllib3"]
        del c["purl"]
    else:
        [p] = [p for p in doc["packages"] if p["name"] == "urllib3"]
        del p["externalRefs"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_cyclonedx_package_without_a_purl_fails_the_kpi_naming_it(tmp_path: Path) -> None:
    path = _without_purl(environment_cyclonedx(tmp_path, INSTALLED), "components")
    check = check_cyclonedx(path, "sbom-env.cdx.json", "environment", EXPECTED)
    assert check.invalid == [] and check.missing == [] and check.wrong_version == [] and check.wrong_purl == []
    assert check.no_purl == ["urllib3 2.8.0"]
    result = judge_release(signed("release/sbom-env.cdx.json"), [check], "run-made key", TRUST)
    assert not result.passed
    assert (
        "sbom-env.cdx.json (CycloneDX 1.6 JSON of the environment) lists 1 package(s) without a purl (its purl is "
        "what scanners match vulnerabilities on: none is matched to a package listed without one): urllib3 2.8.0"
    ) in str(result.reason)


def test_an_spdx_package_without_a_purl_fails_the_kpi_naming_it(tmp_path: Path) -> None:
    out = write_spdx(environment_document(PROJECT, INSTALLED), tmp_path / "sbom-env.spdx.json")
    check = check_spdx(_without_purl(out, "packages"), "sbom-env.spdx.json", "environment", EXPECTED)
    assert check.invalid == [] and check.missing == [] and check.wrong_version == [] and check.wrong_purl == []
    assert check.no_purl == ["urllib3 2.8.0"]
    result = judge_release(signed("release/sbom-env.spdx.json"), [check], "run-made key", TRUST)
    assert not result.passed and "lists 1 package(s) without a purl" in str(result.reason)


def test_every_package_with_its_purl_passes_and_the_described_project_needs_none(tmp_path: Path) -> None:
    """Healthy twin: as cyclonedx-py and spdx-tools write them; the environment's described project has no purl."""
    path = environment_cyclonedx(tmp_path, INSTALLED)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert "purl" not in doc["metadata"]["component"]
    cdx = check_cyclonedx(path, "sbom-env.cdx.json", "environment", EXPECTED)
    out = write_spdx(environment_document(PROJECT, INSTALLED), tmp_path / "sbom-env.spdx.json")
    spdx = check_spdx(out, "sbom-env.spdx.json", "environment", EXPECTED)
    assert cdx.no_purl == [] and spdx.no_purl == []
    assert judge_release(signed("release/sbom-env.cdx.json"), [cdx, spdx], "run-made key", TRUST).passed
