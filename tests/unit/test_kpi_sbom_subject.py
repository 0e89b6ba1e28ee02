"""KPI SBOM under attack: a wheel SBOM that carries the shipped wheel's digest but describes another package.

The digest ties an SBOM to the wheel's bytes; the package it describes says what those bytes are. An SBOM
naming the wheel ``duckdb`` (a dependency), with the wheel's own package demoted to a component, lists
every package of the closure at its version and records the right SHA-256, yet a scanner reading it files
the wheel under the wrong package. The described package must be the wheel's own (its METADATA's Name
and Version).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lakehouse.evidence import ArtifactStore
from lakehouse.kpi.release import PreparedRelease, finish_release, prepare_release
from lakehouse.kpi.sbom import CYCLONEDX, SPDX, Distribution, WheelContents, wheel_cyclonedx
from lakehouse.kpi.spdx import wheel_document, write_spdx
from tests.unit.test_kpi_release import ROOT, fast_builds  # noqa: F401  (fast_builds is a fixture)

DIR = "kpi-lh-test/release"
WHEEL = "lakehouse_code-0.1.0-py3-none-any.whl"
NAMES = (("sbom-wheel.spdx.json", SPDX), ("sbom-wheel.cdx.json", CYCLONEDX))


def _rewrite_wheel_sboms(prepared: PreparedRelease, described: Distribution, *others: Distribution) -> None:
    """Both wheel SBOMs again, describing ``described`` with the shipped wheel's SHA-256, validly signed."""
    contents = WheelContents(described, prepared.wheel.sha256, WHEEL, list(others))
    root = prepared.store.root
    write_spdx(wheel_document(contents), root / DIR / "sbom-wheel.spdx.json")
    wheel_cyclonedx(contents, root / DIR / "sbom-wheel.cdx.json")
    for name, _ in NAMES:
        prepared.signer.sign(root / DIR / name)


@pytest.mark.usefixtures("fast_builds")
def test_a_wheel_sbom_describing_another_package_with_the_wheels_digest_fails_naming_both(tmp_path: Path) -> None:
    prepared = prepare_release(ROOT, ArtifactStore(tmp_path / "reports"), DIR)
    _rewrite_wheel_sboms(prepared, Distribution("duckdb", "1.5.5"), Distribution("lakehouse-code", "0.1.0"))
    result = finish_release(prepared, None).result
    assert not result.passed, "a wheel SBOM describing duckdb passed as the SBOM of lakehouse-code's wheel"
    for name, fmt in NAMES:
        assert (
            f"{DIR}/{name} ({fmt} of the wheel) describes the package duckdb 1.5.5, not the wheel's own "
            f"lakehouse-code 0.1.0 (its METADATA)"
        ) in str(result.reason)


@pytest.mark.usefixtures("fast_builds")
def test_a_wheel_sbom_describing_its_package_at_another_version_fails(tmp_path: Path) -> None:
    """The wheel described as lakehouse-code 0.0.9 (an older release's SBOM, its digest patched), the version
    built listed again as a component: the package is "listed at its version", the subject is not."""
    prepared = prepare_release(ROOT, ArtifactStore(tmp_path / "reports"), DIR)
    path = prepared.store.root / DIR / "sbom-wheel.cdx.json"
    sbom = json.loads(path.read_text(encoding="utf-8"))
    sbom["metadata"]["component"]["version"] = "0.0.9"
    sbom["components"].append(
        {"type": "library", "name": "lakehouse-code", "version": "0.1.0", "bom-ref": "pkg:pypi/lakehouse-code@0.1.0"}
    )
    path.write_text(json.dumps(sbom), encoding="utf-8")
    prepared.signer.sign(path)
    result = finish_release(prepared, None).result
    assert not result.passed, "a wheel SBOM describing lakehouse-code 0.0.9 passed for the 0.1.0 wheel"
    assert (
        f"{DIR}/sbom-wheel.cdx.json ({CYCLONEDX} of the wheel) describes the package lakehouse-code 0.0.9, not the "
        "wheel's own lakehouse-code 0.1.0 (its METADATA)"
    ) in str(result.reason)


@pytest.mark.usefixtures("fast_builds")
def test_wheel_sboms_describing_the_wheels_own_package_pass(tmp_path: Path) -> None:
    """Healthy twin: the same rewrite, describing lakehouse-code 0.1.0 (what prepare_release writes)."""
    prepared = prepare_release(ROOT, ArtifactStore(tmp_path / "reports"), DIR)
    _rewrite_wheel_sboms(prepared, Distribution("lakehouse-code", "0.1.0"), Distribution("duckdb", "1.5.5"))
    result = finish_release(prepared, None).result
    assert result.passed and result.measured == 100.0, result.reason
