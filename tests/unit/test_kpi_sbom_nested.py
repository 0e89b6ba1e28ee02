"""KPI SBOM under attack: packages listed as nested components, where the checks did not look.

CycloneDX lets a component carry its own ``components`` (what it bundles; the described component in
``metadata.component`` too), and scanners (Dependency-Track, Grype) read every level. The checks read
the top level only: a stale ``urllib3 1.26.20`` nested under ``requests``, a nested purl of another
ecosystem, a nested package without a purl or one the environment does not have, all passed beside a
correct top-level list, while a scanner reports (or clears) what the release does not ship. Now every
level counts for every check, and a package listed at any level is listed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lakehouse.kpi.sbom import Distribution, check_cyclonedx, judge_release
from tests.unit.sbom_docs import PROJECT, SBOM_ENV, environment_cyclonedx, signed

INSTALLED = [PROJECT, Distribution("requests", "2.32.5"), Distribution("urllib3", "2.8.0")]
EXPECTED: dict[str, str | None] = {d.name: d.version for d in INSTALLED}


def nest(path: Path, under: str, nested: list[dict[str, Any]], in_metadata: bool = False) -> Path:
    """Put ``nested`` into the component named ``under`` (or the described component) of the SBOM at ``path``."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    holder = doc["metadata"]["component"] if in_metadata else next(c for c in doc["components"] if c["name"] == under)
    holder["components"] = nested
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def library(name: str, version: str, purl: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {"type": "library", "name": name, "version": version, "bom-ref": f"nested-{name}"}
    return found | ({"purl": purl} if purl else {})


def test_a_stale_version_nested_under_another_component_fails_naming_it(tmp_path: Path) -> None:
    sbom = environment_cyclonedx(tmp_path, INSTALLED)
    nest(sbom, "requests", [library("urllib3", "1.26.20", "pkg:pypi/urllib3@1.26.20")])
    check = check_cyclonedx(sbom, SBOM_ENV, "environment", EXPECTED)
    assert check.invalid == [] and check.missing == []
    assert check.wrong_version == ["urllib3 (lists 1.26.20, 2.8.0, installed 2.8.0)"]  # main: [] and the KPI passed
    result = judge_release(signed(), [check], "run-made key", ("integrity", "default"))
    assert not result.passed and "urllib3 (lists 1.26.20, 2.8.0, installed 2.8.0)" in str(result.reason)


def test_nested_purls_names_and_packages_not_installed_are_judged_like_top_level_ones(tmp_path: Path) -> None:
    sbom = environment_cyclonedx(tmp_path, INSTALLED)
    nested = [
        library("urllib3", "2.8.0", "pkg:npm/urllib3@2.8.0"),  # another ecosystem's package
        library("chardet", "5.2.0", None),  # no purl, and not installed
    ]
    nest(sbom, "", nested, in_metadata=True)
    check = check_cyclonedx(sbom, SBOM_ENV, "environment", EXPECTED)
    assert check.invalid == []
    assert check.wrong_purl == ["urllib3 2.8.0 (its purl pkg:npm/urllib3@2.8.0 is another package or version)"]
    assert check.no_purl == ["chardet 5.2.0"]
    assert check.unexpected == ["chardet"]
    assert not judge_release(signed(), [check], "run-made key", ("integrity", "default")).passed  # main: passed


def test_healthy_twin_a_package_listed_only_as_a_nested_component_is_listed(tmp_path: Path) -> None:
    sbom = environment_cyclonedx(tmp_path, [d for d in INSTALLED if d.name != "urllib3"])
    nest(sbom, "requests", [library("urllib3", "2.8.0", "pkg:pypi/urllib3@2.8.0")])
    check = check_cyclonedx(sbom, SBOM_ENV, "environment", EXPECTED)
    assert check.invalid == [] and check.missing == [] and check.wrong_version == [] and check.unexpected == []
    assert check.packages == 2  # every component listed, at any level
    assert judge_release(signed(), [check], "run-made key", ("integrity", "default")).passed
