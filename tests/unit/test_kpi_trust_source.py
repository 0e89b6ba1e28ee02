"""KPI SBOM under attack: a sigstore identity of this repository's workflow on main, signed by another run.

Fulcio names a GitHub Actions certificate after the workflow *file* that ran (``job_workflow_ref``: the SAN
``https://github.com/OWNER/NAME/.github/workflows/F.yml@refs/heads/main``), and records the run it ran for
in other extensions: the ``repository`` and ``ref`` claims as Source Repository URI and Ref
(1.3.6.1.4.1.57264.1.12 and .14; formerly GitHub Workflow Repository and Ref, .5 and .6; sigstore/fulcio
docs/oid-info.md). A reusable workflow of this repository on main, called from another repository or from a
pull request's ref (``uses: OWNER/NAME/.github/workflows/F.yml@main``), signs what that caller checked out,
under a SAN naming this repository's main. The policy matched the SAN alone, so such a signature counted as
sigstore-identity trust. Now the run's repository and ref must be this repository's main too.

The certificates are made here with the extensions Fulcio writes (the chain, the log and the signature are
sigstore's verifier's part, run on a recorded production bundle in test_kpi_trust.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sigstore.errors import VerificationError

from lakehouse.kpi.trust import GITHUB_ISSUER, WorkflowIdentity

REPO = "acme/lakehouse-code"
SAN = f"https://github.com/{REPO}/.github/workflows/sbom.yml@refs/heads/main"
#: The commit under test, and the one the healthy certificates' runs signed at.
SHA = "4f2c0de1a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4"


def _utf8(text: str) -> bytes:
    """A DER UTF8String (how Fulcio writes its newer extensions)."""
    raw = text.encode()
    size = bytes([len(raw)]) if len(raw) < 128 else bytes([0x81, len(raw)])
    return b"\x0c" + size + raw


def certificate(
    source: str | None,
    ref: str | None,
    legacy: tuple[str, str] | None = None,
    *,
    trigger: str | None = "push",
    digest: str | None = SHA,
    legacy_run: tuple[str, str] | None = None,
) -> x509.Certificate:
    """A code-signing certificate as Fulcio issues one to GitHub Actions, naming ``SAN`` and the run's
    ``source`` repository URI and ``ref``, the event that started it (``trigger``, Build Trigger) and its
    commit (``digest``, Source Repository Digest) (None: the extension left out); ``legacy``: the older
    GitHub Workflow Repository and Ref extensions (``owner/name``, ref), ``legacy_run`` the older GitHub
    Workflow Trigger and SHA (event, commit), raw bytes."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "sigstore.dev")])
    now = datetime.now(UTC)
    exts: list[tuple[str, bytes]] = [("1.3.6.1.4.1.57264.1.1", GITHUB_ISSUER.encode())]
    if source is not None:
        exts.append(("1.3.6.1.4.1.57264.1.12", _utf8(source)))
    if ref is not None:
        exts.append(("1.3.6.1.4.1.57264.1.14", _utf8(ref)))
    if trigger is not None:
        exts.append(("1.3.6.1.4.1.57264.1.20", _utf8(trigger)))
    if digest is not None:
        exts.append(("1.3.6.1.4.1.57264.1.13", _utf8(digest)))
    if legacy is not None:
        exts += [("1.3.6.1.4.1.57264.1.5", legacy[0].encode()), ("1.3.6.1.4.1.57264.1.6", legacy[1].encode())]
    if legacy_run is not None:
        exts += [("1.3.6.1.4.1.57264.1.2", legacy_run[0].encode()), ("1.3.6.1.4.1.57264.1.3", legacy_run[1].encode())]
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(minutes=10))
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(SAN)]), critical=True)
    )
    for oid, value in exts:
        builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(oid), value), critical=False)
    return builder.sign(key, hashes.SHA256())


@pytest.mark.parametrize(
    ("source", "ref", "named"),
    [
        # Another repository calls this repository's reusable workflow at main: its bytes, this SAN.
        ("https://github.com/mallory/fork", "refs/heads/main", "https://github.com/mallory/fork at refs/heads/main"),
        # A pull request of this repository calls it at main: the pull request's bytes, this SAN.
        (f"https://github.com/{REPO}", "refs/pull/7/merge", f"https://github.com/{REPO} at refs/pull/7/merge"),
    ],
)
def test_the_main_workflow_file_called_by_another_run_is_not_this_repositorys_main(
    source: str, ref: str, named: str
) -> None:
    with pytest.raises(VerificationError) as raised:  # main: no error, sigstore-identity trust
        WorkflowIdentity(REPO, SHA).verify(certificate(source, ref))
    why = str(raised.value)
    assert SAN in why and f"the run that signed was of {named}" in why
    assert "Source Repository URI and Ref" in why


def test_a_certificate_that_does_not_say_which_run_signed_is_not_trusted() -> None:
    with pytest.raises(VerificationError) as raised:
        WorkflowIdentity(REPO, SHA).verify(certificate(None, None))
    assert "does not say which repository and ref the signing run was of" in str(raised.value)


def test_the_older_workflow_repository_and_ref_extensions_are_read_too() -> None:
    with pytest.raises(VerificationError, match="mallory/fork at refs/heads/main"):
        WorkflowIdentity(REPO, SHA).verify(certificate(None, None, legacy=("mallory/fork", "refs/heads/main")))
    WorkflowIdentity(REPO, SHA).verify(certificate(None, None, legacy=(REPO, "refs/heads/main")))


def test_healthy_twin_a_run_of_this_repositorys_main_is_trusted() -> None:
    WorkflowIdentity(REPO, SHA).verify(certificate(f"https://github.com/{REPO}", "refs/heads/main"))
    # GitHub's names are case-blind, as the SAN match is: --github-repo need not spell the owner's case.
    WorkflowIdentity(REPO.upper(), SHA).verify(certificate(f"https://github.com/{REPO}", "refs/heads/main"))
