"""KPI SBOM + signature coverage: signing in cosign's blob format, verification, tampering, SBOM coverage, the judge."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

import lakehouse.kpi.release as release_module
from lakehouse.evidence import ArtifactStore
from lakehouse.kpi.release import BACKGROUND_NICE, build_signed_release, start_release
from lakehouse.kpi.sbom import (
    CYCLONEDX,
    SPDX,
    Distribution,
    ReleaseBuildError,
    SbomCheck,
    build_wheel,
    check_cyclonedx,
    generate_sbom,
    judge_release,
    niced,
    read_distributions,
    sbom_coverage,
    wheel_contents,
    wheel_cyclonedx,
)
from lakehouse.kpi.signing import EcdsaSigner, SignatureCheck, SigningError, signature_path, verify_ecdsa
from lakehouse.kpi.spdx import check_spdx, wheel_document, write_spdx
from lakehouse.kpi.trust import RUN_MADE_KEY, SIGSTORE_IDENTITY, TrustContext, check_artifact, required_trust
from lakehouse.redact import REDACTED, redact_text

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def release(tmp_path: Path) -> list[Path]:
    files = []
    for name, body in (("sbom.cdx.json", b'{"bomFormat": "CycloneDX"}'), ("plan.json", b'{"planned_values": {}}')):
        path = tmp_path / name
        path.write_bytes(body)
        files.append(path)
    return files


def test_signature_is_cosign_blob_format_base64_der_ecdsa_p256_over_sha256(release: list[Path]) -> None:
    signer = EcdsaSigner()
    sig = signer.sign(release[0])
    der = base64.b64decode(sig.read_text())
    public = serialization.load_pem_public_key(signer.public_key_pem().encode())
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
    public.verify(der, release[0].read_bytes(), ec.ECDSA(hashes.SHA256()))  # raises if not


INTEGRITY = required_trust({})  # as a local run reads it
COMPLETE = [
    SbomCheck("sbom-env.cdx.json", CYCLONEDX, "environment", 2, 2),
    SbomCheck("sbom-env.spdx.json", SPDX, "environment", 2, 2),
]


def _verify(signer: EcdsaSigner, paths: list[Path], root: Path) -> list[SignatureCheck]:
    key = serialization.load_pem_public_key(signer.public_key_pem().encode())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    ctx = TrustContext(datetime.now(UTC), key)
    return [check_artifact(p, root, ctx) for p in paths]


def test_every_artifact_signed_gives_full_coverage_at_integrity_and_names_the_trust(
    release: list[Path], tmp_path: Path
) -> None:
    signer = EcdsaSigner()
    for path in release:
        signer.sign(path)
    checks = _verify(signer, release, tmp_path)
    assert all(c.valid for c in checks)
    assert checks[0].sha256 == hashlib.sha256(release[0].read_bytes()).hexdigest()
    result = judge_release(checks, COMPLETE, signer.name, INTEGRITY)
    assert result.passed and result.measured == 100.0
    assert result.details["trust_kinds"] == {"sbom.cdx.json": RUN_MADE_KEY, "plan.json": RUN_MADE_KEY}
    assert "not who made it (provenance)" in result.details["trust_note"]
    assert result.details["trusted_signature_coverage_pct"] == 0.0
    assert REDACTED not in redact_text(json.dumps(result.details))  # the evidence's redaction leaves it readable


def test_run_made_keys_fail_where_sigstore_identity_is_required_naming_each_artifact(
    release: list[Path], tmp_path: Path
) -> None:
    signer = EcdsaSigner()
    for path in release:
        signer.sign(path)
    result = judge_release(_verify(signer, release, tmp_path), COMPLETE, signer.name, (SIGSTORE_IDENTITY, "default"))
    assert not result.passed and result.measured == 0.0
    assert f"plan.json: its signature gives {RUN_MADE_KEY}, not the required {SIGSTORE_IDENTITY}" in str(result.reason)
    assert result.details["signature_coverage_pct"] == 100.0


def test_a_tampered_artifact_makes_coverage_fall_and_the_kpi_fail(release: list[Path], tmp_path: Path) -> None:
    signer = EcdsaSigner()
    for path in release:
        signer.sign(path)
    release[1].write_bytes(release[1].read_bytes().replace(b"{}", b'{"x": 1}'))  # changed after signing
    checks = _verify(signer, release, tmp_path)
    assert [c.valid for c in checks] == [True, False]
    result = judge_release(checks, COMPLETE, signer.name, INTEGRITY)
    assert not result.passed and result.measured == 50.0
    assert "plan.json: signature does not match the artifact" in str(result.reason)


def test_an_sbom_that_lacks_a_package_or_is_invalid_fails_the_kpi_named(release: list[Path], tmp_path: Path) -> None:
    signer = EcdsaSigner()
    for path in release:
        signer.sign(path)
    checks = _verify(signer, release, tmp_path)
    sboms = [
        SbomCheck("sbom-env.cdx.json", CYCLONEDX, "environment", 1, 2, ["duckdb"]),
        SbomCheck("sbom-wheel.spdx.json", SPDX, "wheel", 2, 2, [], ["spdxVersion is SPDX-2.2, not SPDX-2.3"]),
    ]
    result = judge_release(checks, sboms, signer.name, INTEGRITY)
    assert not result.passed and result.measured == 100.0  # the signatures are fine; the SBOMs are not
    assert "sbom-env.cdx.json (CycloneDX 1.6 JSON of the environment) lacks 1 package(s): duckdb" in str(result.reason)
    assert "sbom-wheel.spdx.json: spdxVersion is SPDX-2.2, not SPDX-2.3" in str(result.reason)
    assert "no SBOM was made" in str(judge_release(checks, [], signer.name, INTEGRITY).reason)


def test_missing_garbled_or_foreign_signatures_are_not_valid(release: list[Path]) -> None:
    signer, other = EcdsaSigner(), EcdsaSigner()
    public = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert "no signature file" in str(verify_ecdsa(public, release[0], signature_path(release[0])))
    other.sign(release[0])
    assert "does not match" in str(signer.verify(release[0], signature_path(release[0])))
    signature_path(release[0]).write_text("not base64 !!")
    assert "not base64" in str(signer.verify(release[0], signature_path(release[0])))


def test_a_key_file_must_be_an_unencrypted_p256_pem(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("garbage")
    with pytest.raises(SigningError, match="key.pem: not an unencrypted PEM private key"):
        EcdsaSigner.from_pem(key)
    p384 = ec.generate_private_key(ec.SECP384R1())
    key.write_bytes(
        p384.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    with pytest.raises(SigningError, match="P-256"):
        EcdsaSigner.from_pem(key)


def test_sbom_coverage_names_the_packages_it_lacks() -> None:
    sbom = {
        "metadata": {"component": {"name": "lakehouse-code"}},
        "components": [{"name": "PyYAML"}, {"name": "boto3"}],
    }
    assert sbom_coverage(sbom, ["pyyaml", "boto3", "lakehouse_code"]) == (1.0, [])
    coverage, missing = sbom_coverage(sbom, ["pyyaml", "boto3", "duckdb", "lakehouse-code"])
    assert coverage == 0.75 and missing == ["duckdb"]
    result = judge_release([], COMPLETE, "x", INTEGRITY)
    assert not result.passed and "no release artifact was signed" in str(result.reason)


def test_a_cyclonedx_file_read_back_names_missing_packages_and_what_is_not_cyclonedx(tmp_path: Path) -> None:
    path = tmp_path / "sbom.cdx.json"
    path.write_text(
        json.dumps(
            {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "components": [{"type": "library", "name": "boto3", "version": "1.0", "bom-ref": "boto3"}],
            }
        )
    )
    check = check_cyclonedx(path, "sbom.cdx.json", "environment", ["boto3", "duckdb"])
    assert check.missing == ["duckdb"] and check.invalid == [] and check.packages == 1
    path.write_text(
        json.dumps(
            {"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{"type": "not-a-type", "name": "boto3"}]}
        )
    )
    assert (
        "not valid CycloneDX 1.6: 'not-a-type' is not a valid ComponentType"
        in check_cyclonedx(path, "x", "environment", ["boto3"]).invalid[0]
    )
    path.write_text(json.dumps({"bomFormat": "CycloneDX", "specVersion": "1.4", "components": []}))
    assert "not a CycloneDX 1.6 document" in check_cyclonedx(path, "x", "environment", []).invalid[0]
    path.write_text("{")
    broken = check_cyclonedx(path, "x", "environment", ["boto3"])
    assert "not readable as JSON" in broken.invalid[0] and broken.missing == ["boto3"]


def test_the_real_sbom_and_wheel_of_this_environment(tmp_path: Path) -> None:
    python = Path(sys.executable)
    sbom_path = generate_sbom(python, ROOT / "pyproject.toml", tmp_path / "sbom.cdx.json")
    dists = read_distributions(python)
    installed = {d.name: d.version for d in dists}  # each at the version installed
    check = check_cyclonedx(sbom_path, "sbom.cdx.json", "environment", installed)
    assert check.invalid == [] and check.missing == [] and check.wrong_version == [], check
    assert check.wrong_purl == [], check.wrong_purl[:5]  # cyclonedx-py's purls are its components' own
    assert check.unexpected == [], check  # cyclonedx-py lists nothing that is not installed
    wheel = build_wheel(ROOT, tmp_path / "dist")
    assert wheel.name.startswith("lakehouse_code-") and wheel.suffix == ".whl"
    # The real wheel's SBOMs name its bytes and only its closure.
    contents = wheel_contents(wheel, dists)
    closure = {d.name: d.version for d in (contents.root, *contents.dependencies)}
    for back in (
        check_cyclonedx(wheel_cyclonedx(contents, tmp_path / "w.cdx.json"), "w.cdx.json", "wheel", closure),
        check_spdx(write_spdx(wheel_document(contents), tmp_path / "w.spdx.json"), "w.spdx.json", "wheel", closure),
    ):
        assert back.subject_sha256 == [hashlib.sha256(wheel.read_bytes()).hexdigest()], back
        assert back.wrong_purl == [], back
        assert back.unexpected == [] and back.missing == [] and back.invalid == [], back
        assert (back.subject, back.subject_version) == ("lakehouse-code", contents.root.version), back


# -- the release's first half overlapping the deploy (lakehouse.kpi.release.EarlyRelease) --------


@pytest.fixture
def fast_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The SBOM, wheel and package list as small files, recording the CPU priority asked for each."""
    nices: list[int] = []

    def sbom(python: Path, pyproject: Path, out: Path, nice: int = 0) -> Path:
        nices.append(nice)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            json.dumps(
                {
                    "bomFormat": "CycloneDX",
                    "specVersion": "1.6",
                    "metadata": {"component": {"type": "application", "name": "lakehouse-code", "bom-ref": "root"}},
                    "components": [  # as cyclonedx-py writes a distribution: its purl, what scanners match on
                        {
                            "type": "library",
                            "name": "duckdb",
                            "version": "1.5.5",
                            "bom-ref": "duckdb==1.5.5",
                            "purl": "pkg:pypi/duckdb@1.5.5",
                        }
                    ],
                }
            )
        )
        return out

    def wheel(root: Path, out_dir: Path, nice: int = 0) -> Path:
        nices.append(nice)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / "lakehouse_code-0.1.0-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as zf:  # only its METADATA: what the wheel's SBOMs read
            zf.writestr(  # a fixed date: builds a second apart make the same bytes (the test compares their SHA-256)
                zipfile.ZipInfo("lakehouse_code-0.1.0.dist-info/METADATA", date_time=(1980, 1, 1, 0, 0, 0)),
                "Metadata-Version: 2.1\nName: lakehouse-code\nVersion: 0.1.0\nRequires-Dist: duckdb==1.5.5\n",
            )
        return path

    monkeypatch.setattr(release_module, "generate_sbom", sbom)
    monkeypatch.setattr(release_module, "build_wheel", wheel)
    monkeypatch.setattr(release_module, "read_distributions", lambda python, nice=0: [Distribution("duckdb", "1.5.5")])
    monkeypatch.setattr(release_module, "unclaimed_in_environment", lambda python, nice=0: [])
    return nices


def _plan(store: ArtifactStore) -> str:
    return store.write_json("kpi-lh-test/release/plan.json", {"planned_values": {}})


def test_a_release_prepared_before_the_deploy_is_the_release_built_in_a_row(
    tmp_path: Path, fast_builds: list[int]
) -> None:
    in_row = ArtifactStore(tmp_path / "in-row")
    early_store = ArtifactStore(tmp_path / "early")
    expected = build_signed_release(ROOT, in_row, "kpi-lh-test/release", _plan(in_row))
    early = start_release(ROOT, early_store, "kpi-lh-test/release")
    got = early.finish(_plan(early_store))
    assert got.artifacts == expected.artifacts
    assert (got.result.status, got.result.measured, got.result.reason) == (
        expected.result.status,
        expected.result.measured,
        expected.result.reason,
    )
    same = {k: v for k, v in got.result.details.items() if k not in ("stopwatch_s", "signatures")}
    assert same == {k: v for k, v in expected.result.details.items() if k not in ("stopwatch_s", "signatures")}
    assert [c["artifact"] for c in got.result.details["signatures"]] == [
        c["artifact"] for c in expected.result.details["signatures"]
    ]
    assert got.result.passed and got.result.details["stopwatch_s"]["overlapped_the_deploy"] is True
    assert expected.result.details["stopwatch_s"]["overlapped_the_deploy"] is False
    assert fast_builds == [0, 0, BACKGROUND_NICE, BACKGROUND_NICE]  # in a row, then niced in the background


def test_a_background_build_that_failed_fails_the_kpi_step_with_its_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(python: Path, pyproject: Path, out: Path, nice: int = 0) -> Path:
        raise ReleaseBuildError("cyclonedx-py environment exited with 2: boom")

    monkeypatch.setattr(release_module, "generate_sbom", broken)
    store = ArtifactStore(tmp_path)
    early = start_release(ROOT, store, "kpi-lh-test/release")
    with pytest.raises(ReleaseBuildError, match="cyclonedx-py environment exited with 2"):
        early.finish(_plan(store))


def test_a_prepared_release_nobody_finished_leaves_no_key_files(tmp_path: Path, fast_builds: list[int]) -> None:
    early = start_release(ROOT, ArtifactStore(tmp_path), "kpi-lh-test/release")
    prepared = early._future.result()
    assert prepared.work.exists()
    early.close()
    assert not prepared.work.exists()


def test_niced_lowers_the_priority_only_when_asked() -> None:
    assert niced(["pip", "wheel"], 0) == ["pip", "wheel"]
    assert niced(["pip", "wheel"], 10)[-4:] == ["-n", "10", "pip", "wheel"]


# -- python -m lakehouse.kpi.release (sbom.yml) ----------------------------------------------------


def test_the_release_command_fails_when_run_made_keys_meet_a_provenance_requirement(
    tmp_path: Path, fast_builds: list[int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("GITHUB_ACTIONS", "LAKEHOUSE_SIGNING_KEY", "LAKEHOUSE_SIGNING_PUBLIC_KEY_PEM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("shutil.which", lambda name: None)  # no cosign: the run makes its own key
    assert release_module.main(["--out", str(tmp_path), "--required-trust", "provenance"]) == 1
    verdict = json.loads((tmp_path / "release" / "kpi-sbom.json").read_text())
    assert verdict["status"] == "failed" and verdict["required_trust"] == "provenance"
    assert f"its signature gives {RUN_MADE_KEY}, not the required provenance" in verdict["reason"]
    assert "release/sbom-env.spdx.json: run-made-key (integrity only)" in capsys.readouterr().out


def test_a_signing_key_whose_public_half_was_published_gives_published_key_trust(
    tmp_path: Path, fast_builds: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    private = tmp_path / "release-key.pem"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setenv("LAKEHOUSE_SIGNING_KEY", str(private))
    monkeypatch.setenv("LAKEHOUSE_SIGNING_PUBLIC_KEY_PEM", public.decode())
    assert release_module.main(["--out", str(tmp_path / "out"), "--required-trust", "provenance"]) == 0
    verdict = json.loads((tmp_path / "out" / "release" / "kpi-sbom.json").read_text())
    assert set(verdict["trust_kinds"].values()) == {"published-key"} and verdict["measured"] == 100.0
    assert len(verdict["signatures"]) == 5 and "trust_note" not in verdict  # no plan without a stack
