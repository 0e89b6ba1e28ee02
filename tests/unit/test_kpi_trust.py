"""KPI SBOM: what kind of trust each signature gives (sigstore identity, published key, run-made key).

The sigstore cases run sigstore's real verifier, offline, on a recorded production bundle
(tests/unit/data/sigstore/README.md). Keyless *signing* needs GitHub's OIDC token and Fulcio/Rekor:
it is not exercised here.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from lakehouse.kpi.signing import EcdsaSigner, KeylessSigner, ambient_oidc, make_signer
from lakehouse.kpi.trust import (
    PUBLIC_KEY_ENV,
    PUBLIC_KEY_PEM_ENV,
    PUBLISHED_KEY,
    REQUIRED_TRUST_ENV,
    RUN_MADE_KEY,
    SIGSTORE_IDENTITY,
    TrustConfigError,
    TrustContext,
    check_artifact,
    load_published_key,
    meets,
    required_trust,
    trust_options,
)

DATA = Path(__file__).parent / "data" / "sigstore"
WHEEL = "rfc8785-0.1.2-py3-none-any.whl"
SIGNER_REPO = "trailofbits/rfc8785.py"
SIGNER_REF = "refs/tags/v0.1.2"
SIGNER_SHA = "d8b4a6445f38c48b9137a8099706d9b8073146e4"  # the commit its release run signed at
STARTED = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
def signed_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The recorded wheel and its bundle in a scratch folder (sigstore's cache there too)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in (WHEEL, WHEEL + ".sigstore.json"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path / WHEEL


def test_a_bundle_from_the_expected_workflow_identity_is_sigstore_identity_trust(signed_wheel: Path) -> None:
    ctx = TrustContext(STARTED, repo=SIGNER_REPO, ref=SIGNER_REF, commit=SIGNER_SHA)
    check = check_artifact(signed_wheel, signed_wheel.parent, ctx)
    assert check.valid and check.trusted and check.trust == SIGSTORE_IDENTITY, check.why_not
    assert check.identity == f"https://github.com/{SIGNER_REPO}/.github/workflows/release.yml@{SIGNER_REF}"
    assert check.signature == WHEEL + ".sigstore.json"


def test_a_bundle_from_another_repository_is_not_trusted_and_the_identity_is_named(signed_wheel: Path) -> None:
    check = check_artifact(
        signed_wheel, signed_wheel.parent, TrustContext(STARTED, repo="lakehouse-code/lakehouse-code")
    )
    assert not check.valid and not check.trusted and check.trust is None
    assert "release.yml@refs/tags/v0.1.2 is not a workflow of lakehouse-code/lakehouse-code on refs/heads/main" in str(
        check.why_not
    )


def test_a_bundle_from_the_right_repository_but_not_main_is_not_trusted(signed_wheel: Path) -> None:
    check = check_artifact(signed_wheel, signed_wheel.parent, TrustContext(STARTED, repo=SIGNER_REPO))
    assert not check.trusted and f"is not a workflow of {SIGNER_REPO} on refs/heads/main" in str(check.why_not)


def test_a_bundle_over_changed_bytes_does_not_verify(signed_wheel: Path) -> None:
    signed_wheel.write_bytes(signed_wheel.read_bytes() + b"x")
    ctx = TrustContext(STARTED, repo=SIGNER_REPO, ref=SIGNER_REF, commit=SIGNER_SHA)
    check = check_artifact(signed_wheel, signed_wheel.parent, ctx)
    assert not check.valid and "digest mismatch" in str(check.why_not)


def test_a_bundle_without_a_repository_to_match_is_not_trusted(signed_wheel: Path) -> None:
    check = check_artifact(signed_wheel, signed_wheel.parent, TrustContext(STARTED))
    assert not check.valid and "no repository to match the certificate identity" in str(check.why_not)
    assert SIGNER_REPO in str(check.why_not)


def test_a_garbled_bundle_is_named(signed_wheel: Path) -> None:
    (signed_wheel.parent / (WHEEL + ".sigstore.json")).write_text("{}")
    check = check_artifact(signed_wheel, signed_wheel.parent, TrustContext(STARTED, repo=SIGNER_REPO))
    assert not check.valid and f"{WHEEL}.sigstore.json is not a sigstore bundle" in str(check.why_not)


# -- key signatures -----------------------------------------------------------------------------


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    path = tmp_path / "plan.json"
    path.write_text('{"planned_values": {}}')
    return path


def _public(signer: EcdsaSigner) -> ec.EllipticCurvePublicKey:
    key = serialization.load_pem_public_key(str(signer.public_key_pem()).encode())
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


def _published(tmp_path: Path, signer: EcdsaSigner, written: datetime) -> dict[str, str]:
    pub = tmp_path / "release-key.pub.pem"
    pub.write_text(str(signer.public_key_pem()))
    os.utime(pub, (written.timestamp(), written.timestamp()))
    return {PUBLIC_KEY_ENV: str(pub)}


def test_a_run_made_key_gives_integrity_only(artifact: Path) -> None:
    signer = EcdsaSigner()
    signer.sign(artifact)
    check = check_artifact(artifact, artifact.parent, TrustContext(STARTED, _public(signer)))
    assert check.valid and not check.trusted and check.trust == RUN_MADE_KEY
    assert "integrity" in str(check.why_untrusted) and "not who made it (provenance)" in str(check.why_untrusted)
    assert meets(check, "integrity") and not meets(check, "provenance") and not meets(check, SIGSTORE_IDENTITY)


def test_a_key_published_before_the_run_is_published_key_trust(artifact: Path, tmp_path: Path) -> None:
    signer = EcdsaSigner()
    signer.sign(artifact)
    published = load_published_key(_published(tmp_path, signer, STARTED - timedelta(days=30)))
    check = check_artifact(artifact, artifact.parent, TrustContext(STARTED, _public(signer), published=published))
    assert check.valid and check.trusted and check.trust == PUBLISHED_KEY
    assert meets(check, "provenance") and not meets(check, SIGSTORE_IDENTITY)


def test_a_key_published_after_the_run_started_is_not_trusted_and_named(artifact: Path, tmp_path: Path) -> None:
    signer = EcdsaSigner()
    signer.sign(artifact)
    published = load_published_key(_published(tmp_path, signer, STARTED + timedelta(minutes=3)))
    check = check_artifact(artifact, artifact.parent, TrustContext(STARTED, _public(signer), published=published))
    assert check.valid and not check.trusted and check.trust == RUN_MADE_KEY
    assert "release-key.pub.pem was written at 2026-12-03T14:03:00Z, after the run started at 2026-12-03T14:00:00Z" in (
        str(check.why_untrusted)
    )


def test_a_signature_by_another_key_than_the_published_one_is_not_valid(artifact: Path, tmp_path: Path) -> None:
    signer, other = EcdsaSigner(), EcdsaSigner()
    other.sign(artifact)
    published = load_published_key(_published(tmp_path, signer, STARTED - timedelta(days=1)))
    check = check_artifact(artifact, artifact.parent, TrustContext(STARTED, _public(other), published=published))
    assert not check.valid and "verified with the published key" in str(check.why_not)
    assert "release-key.pub.pem" in str(check.why_not)


def test_a_key_given_as_pem_text_counts_as_published_before_the_run(artifact: Path) -> None:
    signer = EcdsaSigner()
    signer.sign(artifact)
    published = load_published_key({PUBLIC_KEY_PEM_ENV: str(signer.public_key_pem())})
    assert published is not None and not published.postdates(STARTED)
    check = check_artifact(artifact, artifact.parent, TrustContext(STARTED, published=published))
    assert check.trust == PUBLISHED_KEY and check.trusted


def test_missing_signature_and_missing_artifact_are_named(artifact: Path) -> None:
    check = check_artifact(artifact, artifact.parent, TrustContext(STARTED, _public(EcdsaSigner())))
    assert not check.valid and "no signature (plan.json.sigstore.json or plan.json.sig)" in str(check.why_not)
    artifact.unlink()
    check = check_artifact(artifact, artifact.parent, TrustContext(STARTED))
    assert "artifact plan.json is missing" in str(check.why_not)


def test_malformed_published_keys_name_the_option(tmp_path: Path) -> None:
    with pytest.raises(TrustConfigError, match=f"{PUBLIC_KEY_ENV}: .*nowhere.pem"):
        load_published_key({PUBLIC_KEY_ENV: str(tmp_path / "nowhere.pem")})
    with pytest.raises(TrustConfigError, match=f"{PUBLIC_KEY_PEM_ENV}: not a PEM public key"):
        load_published_key({PUBLIC_KEY_PEM_ENV: "garbage"})
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    pem = p384.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    with pytest.raises(TrustConfigError, match="not an EC P-256 public key"):
        load_published_key({PUBLIC_KEY_PEM_ENV: pem})


# -- the required level -------------------------------------------------------------------------


def test_the_required_trust_defaults_to_sigstore_identity_only_in_actions_on_main_with_oidc() -> None:
    on_main = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REF": "refs/heads/main",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x",
        "GITHUB_EVENT_NAME": "push",
    }
    assert required_trust(on_main)[0] == SIGSTORE_IDENTITY
    assert required_trust({**on_main, "GITHUB_REF": "refs/pull/7/merge"})[0] == "integrity"
    no_token = {k: v for k, v in on_main.items() if k != "ACTIONS_ID_TOKEN_REQUEST_URL"}  # guard.yml's make test
    assert required_trust(no_token)[0] == "integrity"
    assert required_trust({})[0] == "integrity"
    assert required_trust({**on_main, REQUIRED_TRUST_ENV: "provenance"}) == ("provenance", REQUIRED_TRUST_ENV)
    with pytest.raises(TrustConfigError, match=f"{REQUIRED_TRUST_ENV}: 'trust-me'"):
        required_trust({REQUIRED_TRUST_ENV: "trust-me"})


def test_the_flags_win_over_the_environment(tmp_path: Path) -> None:
    signer = EcdsaSigner()
    env = {REQUIRED_TRUST_ENV: "integrity", PUBLIC_KEY_PEM_ENV: str(EcdsaSigner().public_key_pem())}
    options = trust_options(
        env, "o/r", STARTED, public_key=_published(tmp_path, signer, STARTED)[PUBLIC_KEY_ENV], required="provenance"
    )
    assert options.required == ("provenance", REQUIRED_TRUST_ENV) and options.repo == "o/r"
    assert options.published is not None and options.published.source.endswith("release-key.pub.pem")


def test_keyless_signing_is_chosen_only_with_an_ambient_github_oidc_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_main = {"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/heads/main", "GITHUB_EVENT_NAME": "push"}
    assert ambient_oidc({**on_main, "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x"})
    assert not ambient_oidc({**on_main, "GITHUB_REF": "refs/pull/7/merge", "ACTIONS_ID_TOKEN_REQUEST_URL": "https://x"})
    assert not ambient_oidc(on_main) and not ambient_oidc({})
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "https://x")
    assert isinstance(make_signer(tmp_path), KeylessSigner)
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_URL")
    monkeypatch.setattr("shutil.which", lambda name: None)
    assert isinstance(make_signer(tmp_path), EcdsaSigner)
