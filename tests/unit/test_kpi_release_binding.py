"""KPI SBOM: the release judged is the one this run built, all of it, about the wheel's own bytes.

Broken releases, each built through the real ``prepare_release``/``finish_release`` (the slow tools
stood in by ``fast_builds``) and tampered with before the judgement, every file validly signed:
the wheel's SBOMs made for an older build of the same version, another wheel signed and shipped,
an SBOM listing a package the wheel does not require, an artifact left out of the signatures.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from lakehouse.evidence import ArtifactStore
from lakehouse.kpi.manifest import BuiltWheel, ReleaseManifest
from lakehouse.kpi.release import PreparedRelease, finish_release, prepare_release
from lakehouse.kpi.sbom import (
    CYCLONEDX,
    SPDX,
    Distribution,
    SbomCheck,
    judge_release,
    wheel_contents,
    wheel_cyclonedx,
)
from lakehouse.kpi.signing import SignatureCheck
from lakehouse.kpi.spdx import wheel_document, write_spdx
from lakehouse.kpi.trust import RUN_MADE_KEY
from tests.unit.test_kpi_release import ROOT, fast_builds  # noqa: F401  (fast_builds is a fixture)

DIR = "kpi-lh-test/release"
WHEEL = "lakehouse_code-0.1.0-py3-none-any.whl"


def _other_wheel(tmp_path: Path, *requires: str, extra_file: str = "lakehouse/old_build.py") -> Path:
    """A wheel of the same name and version as the one built, with other bytes (an older build)."""
    path = tmp_path / "old" / WHEEL
    path.parent.mkdir(exist_ok=True)
    meta = "Metadata-Version: 2.1\nName: lakehouse-code\nVersion: 0.1.0\nRequires-Dist: duckdb==1.5.5\n"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "lakehouse_code-0.1.0.dist-info/METADATA", meta + "".join(f"Requires-Dist: {r}\n" for r in requires)
        )
        zf.writestr(extra_file, "OLD = True\n")
    return path


def _prepared(tmp_path: Path) -> PreparedRelease:
    return prepare_release(ROOT, ArtifactStore(tmp_path / "reports"), DIR)


def _resign(prepared: PreparedRelease, *names: str) -> None:
    for name in names:
        prepared.signer.sign(prepared.store.root / name)


@pytest.mark.usefixtures("fast_builds")
def test_the_healthy_release_is_bound_to_its_wheel(tmp_path: Path) -> None:
    prepared = _prepared(tmp_path)
    built = prepared.wheel
    result = finish_release(prepared, None).result
    assert result.passed and result.measured == 100.0, result.reason
    assert result.details["release"]["wheel"] == {
        "artifact": f"{DIR}/{WHEEL}",
        "file": WHEEL,
        "sha256": built.sha256,
        "package": "lakehouse-code",  # what its SBOMs must describe (tests/unit/test_kpi_sbom_subject.py)
        "version": "0.1.0",
    }
    assert len(result.details["release"]["artifacts"]) == 5


@pytest.mark.usefixtures("fast_builds")
def test_wheel_sboms_made_for_an_older_build_fail_naming_both_digests(tmp_path: Path) -> None:
    prepared = _prepared(tmp_path)
    old = wheel_contents(_other_wheel(tmp_path), [Distribution("duckdb", "1.5.5")])
    root = prepared.store.root
    write_spdx(wheel_document(old), root / DIR / "sbom-wheel.spdx.json")
    wheel_cyclonedx(old, root / DIR / "sbom-wheel.cdx.json")
    _resign(prepared, f"{DIR}/sbom-wheel.spdx.json", f"{DIR}/sbom-wheel.cdx.json")  # validly signed
    built = prepared.wheel.sha256
    result = finish_release(prepared, None).result
    assert not result.passed and result.measured == 100.0  # every signature is fine: the SBOMs are not
    for name, fmt in (("sbom-wheel.spdx.json", SPDX), ("sbom-wheel.cdx.json", CYCLONEDX)):
        assert (
            f"{DIR}/{name} ({fmt} of the wheel) describes a wheel with SHA-256 {old.sha256[:16]}…, not {WHEEL} "
            f"built in this run ({built[:16]}…): it is the SBOM of another build"
        ) in str(result.reason)
    assert old.sha256 != built


@pytest.mark.usefixtures("fast_builds")
def test_another_wheel_signed_and_shipped_fails_naming_the_signed_bytes(tmp_path: Path) -> None:
    prepared = _prepared(tmp_path)
    shipped = prepared.store.root / prepared.wheel_name
    other = _other_wheel(tmp_path).read_bytes()
    shipped.write_bytes(other)
    _resign(prepared, prepared.wheel_name)  # a valid signature, over other bytes
    built = prepared.wheel.sha256
    result = finish_release(prepared, None).result
    assert not result.passed
    wheel_sig = next(c for c in result.details["signatures"] if c["artifact"] == prepared.wheel_name)
    assert wheel_sig["valid"] is True
    assert (
        f"{DIR}/{WHEEL}: the signature was checked over bytes with SHA-256 {wheel_sig['sha256'][:16]}…, not the "
        f"wheel built in this run ({built[:16]}…): another wheel is signed and shipped"
    ) in str(result.reason)


@pytest.mark.usefixtures("fast_builds")
def test_a_wheel_sbom_listing_a_package_the_wheel_does_not_require_fails_naming_it(tmp_path: Path) -> None:
    """An SBOM of a fatter wheel: it names ``boto3``, which the shipped wheel's METADATA never requires."""
    prepared = _prepared(tmp_path)
    installed = [Distribution("duckdb", "1.5.5"), Distribution("boto3", "1.44.5")]
    fat = wheel_contents(_other_wheel(tmp_path, "boto3==1.44.5"), installed)
    fat.sha256 = prepared.wheel.sha256  # even claiming the shipped wheel's digest
    root = prepared.store.root
    write_spdx(wheel_document(fat), root / DIR / "sbom-wheel.spdx.json")
    wheel_cyclonedx(fat, root / DIR / "sbom-wheel.cdx.json")
    _resign(prepared, f"{DIR}/sbom-wheel.spdx.json", f"{DIR}/sbom-wheel.cdx.json")
    result = finish_release(prepared, None).result
    assert not result.passed
    for name, fmt in (("sbom-wheel.spdx.json", SPDX), ("sbom-wheel.cdx.json", CYCLONEDX)):
        assert (
            f"{DIR}/{name} ({fmt} of the wheel) lists 1 package(s) the wheel does not have "
            "(not in its requirement closure): boto3"
        ) in str(result.reason)
    assert "SBOM of another build" not in str(result.reason)


def _signed(*names: str) -> list[SignatureCheck]:
    return [SignatureCheck(n, n + ".sig", "a" * 64, 10, True, trust=RUN_MADE_KEY) for n in names]


def test_coverage_is_over_everything_the_run_built_not_the_signatures_that_exist() -> None:
    sboms = {
        f"r/{n}": role
        for n, role in (
            ("env.cdx.json", (CYCLONEDX, "environment")),
            ("env.spdx.json", (SPDX, "environment")),
        )
    }
    manifest = ReleaseManifest(
        ("r/env.cdx.json", "r/env.spdx.json", "r/w.whl", "r/plan.json"), sboms, BuiltWheel("r/w.whl", "w.whl", "a" * 64)
    )
    checks = [SbomCheck(n, fmt, d, 1, 1) for n, (fmt, d) in sboms.items()]
    # The plan JSON never reached the signing: three of four artifacts signed, each validly.
    result = judge_release(
        _signed("r/env.cdx.json", "r/env.spdx.json", "r/w.whl"), checks, "k", ("integrity", "x"), manifest
    )
    assert not result.passed and result.measured == 75.0
    reason = str(result.reason)
    assert "coverage at trust integrity: 75 % (3/4 artifacts)" in reason
    assert "r/plan.json: built by this run but not among the signed artifacts" in reason
    assert f"no {CYCLONEDX} SBOM of the wheel in the release" in reason and f"no {SPDX} SBOM of the wheel" in reason
    # Without the manifest the same signatures would read 100 %: the hole this closes.
    assert (
        judge_release(_signed("r/env.cdx.json", "r/env.spdx.json", "r/w.whl"), checks, "k", ("integrity", "x")).measured
        == 100.0
    )


@pytest.mark.parametrize("drop", ["sbom", "extra"])
def test_sboms_read_back_must_be_the_ones_built(drop: str) -> None:
    roles = {"r/a.cdx.json": (CYCLONEDX, "environment")}
    manifest = ReleaseManifest(("r/a.cdx.json",), roles, BuiltWheel("r/w.whl", "w.whl", "a" * 64))
    checks = (
        []
        if drop == "sbom"
        else [
            SbomCheck("r/a.cdx.json", CYCLONEDX, "environment", 1, 1),
            SbomCheck("r/old.cdx.json", CYCLONEDX, "environment", 1, 1),
        ]
    )
    reason = str(judge_release(_signed("r/a.cdx.json"), checks, "k", ("integrity", "x"), manifest).reason)
    wanted = (
        "r/a.cdx.json: an SBOM of this release that was not read back"
        if drop == "sbom"
        else "r/old.cdx.json: not an SBOM this run built"
    )
    assert wanted in reason


@pytest.mark.usefixtures("fast_builds")
def test_a_wheel_sbom_without_a_digest_and_an_environment_sbom_of_a_fatter_environment_fail(tmp_path: Path) -> None:
    """A wheel SBOM naming no SHA-256 cannot be about the wheel shipped; an environment SBOM listing
    ``requests``, which is not installed, describes another environment."""
    prepared = _prepared(tmp_path)
    root = prepared.store.root
    cdx = root / DIR / "sbom-wheel.cdx.json"
    doc = json.loads(cdx.read_text())
    del doc["metadata"]["component"]["hashes"]
    cdx.write_text(json.dumps(doc))
    env = root / DIR / "sbom-env.cdx.json"
    doc = json.loads(env.read_text())
    doc["components"].append({"type": "library", "name": "requests", "version": "2.32.5", "bom-ref": "requests"})
    env.write_text(json.dumps(doc))
    _resign(prepared, f"{DIR}/sbom-wheel.cdx.json", f"{DIR}/sbom-env.cdx.json")
    reason = str(finish_release(prepared, None).result.reason)
    assert (
        f"{DIR}/sbom-wheel.cdx.json ({CYCLONEDX} of the wheel) records no SHA-256 for the package it describes, "
        f"so nothing ties it to {WHEEL} built in this run"
    ) in reason
    assert (
        f"{DIR}/sbom-env.cdx.json ({CYCLONEDX} of the environment) lists 1 package(s) the environment does not "
        "have (not installed): requests"
    ) in reason
