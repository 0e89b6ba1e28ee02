"""KPI SBOM + signature coverage: signing in cosign's blob format, verification, tampering, SBOM coverage."""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from lakehouse.kpi.sbom import build_wheel, generate_sbom, installed_distributions, judge_release, sbom_coverage
from lakehouse.kpi.signing import EcdsaSigner, SigningError, signature_path, verify_all, verify_ecdsa

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


def test_every_artifact_signed_gives_full_coverage(release: list[Path], tmp_path: Path) -> None:
    signer = EcdsaSigner()
    for path in release:
        signer.sign(path)
    checks = verify_all(signer, release, tmp_path)
    assert all(c.valid for c in checks)
    assert checks[0].sha256 == hashlib.sha256(release[0].read_bytes()).hexdigest()
    result = judge_release(checks, 1.0, [], signer.name, 1)
    assert result.passed and result.measured == 100.0


def test_a_tampered_artifact_makes_coverage_fall_and_the_kpi_fail(release: list[Path], tmp_path: Path) -> None:
    signer = EcdsaSigner()
    for path in release:
        signer.sign(path)
    release[1].write_bytes(release[1].read_bytes().replace(b"{}", b'{"x": 1}'))  # changed after signing
    checks = verify_all(signer, release, tmp_path)
    assert [c.valid for c in checks] == [True, False]
    result = judge_release(checks, 1.0, [], signer.name, 1)
    assert not result.passed and result.measured == 50.0
    assert "plan.json: signature does not match the artifact" in str(result.reason)


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
    result = judge_release([], coverage, missing, "x", 2)
    assert (
        not result.passed and "no release artifact was signed" in str(result.reason) and "duckdb" in str(result.reason)
    )


def test_the_real_sbom_and_wheel_of_this_environment(tmp_path: Path) -> None:
    python = Path(sys.executable)
    sbom_path = generate_sbom(python, ROOT / "pyproject.toml", tmp_path / "sbom.cdx.json")
    sbom = json.loads(sbom_path.read_text())
    assert sbom["bomFormat"] == "CycloneDX" and sbom["specVersion"] == "1.6"
    coverage, missing = sbom_coverage(sbom, installed_distributions(python))
    assert coverage == 1.0, missing
    wheel = build_wheel(ROOT, tmp_path / "dist")
    assert wheel.name.startswith("lakehouse_code-") and wheel.suffix == ".whl"
