"""Signing release artifacts and verifying the signatures (KPI SBOM + signature coverage).

In GitHub Actions with ``id-token: write`` (an ambient OIDC credential), keylessly with sigstore:
a Fulcio certificate for the workflow's identity, the signature logged in Rekor, the bundle in
``<artifact>.sigstore.json`` (``lakehouse.kpi.trust`` verifies it against the repository's
workflow on main). Elsewhere there is no identity to sign with, so a key: with ``cosign`` on
PATH, ``cosign sign-blob`` with a key pair made for the run (no transparency log: nothing
leaves the machine). Without it, the same format by hand: an ECDSA P-256 signature over the
blob's SHA-256, DER encoded, base64 in ``<artifact>.sig``, verifiable with
``cosign verify-blob --key <pub> --signature <sig> --insecure-ignore-tlog``. The private key
stays in a temporary directory (or the file ``LAKEHOUSE_SIGNING_KEY`` names) and never reaches
reports/; the public key is kept as evidence. Such a key proves integrity only, unless its
public half was published before the run (``lakehouse.kpi.trust``).
"""

from __future__ import annotations

import base64
import binascii
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

KEY_ENV = "LAKEHOUSE_SIGNING_KEY"


class SigningError(RuntimeError):
    """An artifact could not be signed; the message names it."""


class Signer(Protocol):
    name: str
    key_source: str

    def sign(self, artifact: Path) -> Path: ...

    def public_key_pem(self) -> str | None:
        """The public key the signatures verify with (None: keyless, the certificate is in each bundle)."""
        ...


def signature_path(artifact: Path) -> Path:
    return artifact.with_name(artifact.name + ".sig")


class EcdsaSigner:
    """cosign's blob-signature format without cosign: ECDSA P-256 over SHA-256, base64 DER."""

    name = "ecdsa-p256-sha256 (cosign blob format, cryptography)"

    def __init__(self, key: ec.EllipticCurvePrivateKey | None = None, key_source: str = "a key made by this run"):
        self._key = key or ec.generate_private_key(ec.SECP256R1())
        #: Where the key came from, for the evidence (a given key's public half may still be unpublished).
        self.key_source = key_source
        if not isinstance(self._key.curve, ec.SECP256R1):
            raise SigningError(f"the signing key must be on P-256, not {self._key.curve.name}")

    @classmethod
    def from_pem(cls, path: Path) -> EcdsaSigner:
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as err:
            raise SigningError(f"{path}: not an unencrypted PEM private key ({err})") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise SigningError(f"{path}: not an EC private key")
        return cls(key, f"the key {path} ({KEY_ENV}) with no public key published before the run")

    def sign(self, artifact: Path) -> Path:
        der = self._key.sign(artifact.read_bytes(), ec.ECDSA(hashes.SHA256()))
        sig = signature_path(artifact)
        sig.write_text(base64.b64encode(der).decode("ascii"), encoding="ascii")
        return sig

    def verify(self, artifact: Path, signature: Path) -> str | None:
        return verify_ecdsa(self._key.public_key(), artifact, signature)

    def public_key_pem(self) -> str:
        return (
            self._key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )


def verify_ecdsa(public: ec.EllipticCurvePublicKey, artifact: Path, signature: Path) -> str | None:
    """Verify a base64 DER ECDSA/SHA-256 blob signature; None when valid, else why not."""
    if not signature.exists():
        return f"no signature file {signature.name}"
    try:
        der = base64.b64decode(signature.read_text(encoding="ascii").strip(), validate=True)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return f"{signature.name} is not base64"
    try:
        public.verify(der, artifact.read_bytes(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "signature does not match the artifact (changed after signing, or another key)"
    return None


class CosignSigner:
    """The cosign CLI with a key pair generated for this run (empty password, no tlog upload)."""

    name = "cosign"
    key_source = "a cosign key pair made by this run"

    def __init__(self, key_dir: Path):
        self.key_dir = key_dir
        self.env = {**os.environ, "COSIGN_PASSWORD": ""}
        key_dir.mkdir(parents=True, exist_ok=True)
        self._run(["cosign", "generate-key-pair", "--output-key-prefix", str(key_dir / "cosign")])

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, capture_output=True, text=True, env=self.env, timeout=120, cwd=self.key_dir)

    def sign(self, artifact: Path) -> Path:
        sig = signature_path(artifact)
        out = self._run(
            [
                "cosign",
                "sign-blob",
                "--yes",
                "--tlog-upload=false",
                "--key",
                str(self.key_dir / "cosign.key"),
                "--output-signature",
                str(sig),
                str(artifact),
            ]
        )
        if out.returncode != 0:
            raise SigningError(f"cosign sign-blob {artifact.name}: {out.stderr.strip()[:300]}")
        return sig

    def verify(self, artifact: Path, signature: Path) -> str | None:
        if not signature.exists():
            return f"no signature file {signature.name}"
        out = self._run(
            [
                "cosign",
                "verify-blob",
                "--insecure-ignore-tlog=true",
                "--key",
                str(self.key_dir / "cosign.pub"),
                "--signature",
                str(signature),
                str(artifact),
            ]
        )
        return None if out.returncode == 0 else (out.stderr.strip().splitlines() or ["cosign verify-blob failed"])[-1]

    def public_key_pem(self) -> str:
        return (self.key_dir / "cosign.pub").read_text(encoding="ascii")


class KeylessSigner:
    """sigstore keyless signing with the ambient OIDC credential (GitHub Actions with ``id-token: write``).

    A fresh token per artifact: the release's halves lie a deploy apart, longer than a token lives.
    """

    name = "sigstore keyless (Fulcio certificate for the workflow identity, Rekor log)"
    key_source = "a short-lived key certified by Fulcio for this job's OIDC identity"

    def sign(self, artifact: Path) -> Path:
        from sigstore.errors import Error as SigstoreError
        from sigstore.models import ClientTrustConfig
        from sigstore.oidc import IdentityToken, detect_credential
        from sigstore.sign import SigningContext

        try:
            token = detect_credential()
            if token is None:
                raise SigningError(f"{artifact.name}: no ambient OIDC credential to sign keylessly with")
            context = SigningContext.from_trust_config(ClientTrustConfig.production())
            with context.signer(IdentityToken(token), cache=False) as signer:
                bundle = signer.sign_artifact(artifact.read_bytes())
        except SigstoreError as err:
            raise SigningError(f"sigstore could not sign {artifact.name}: {err}") from None
        out = artifact.with_name(artifact.name + ".sigstore.json")
        out.write_text(bundle.to_json(), encoding="utf-8")
        return out

    def public_key_pem(self) -> None:
        return None


#: The events (``GITHUB_EVENT_NAME``, Fulcio's Build Trigger) whose runs execute the ref's own workflow file at the
#: ref's own commit (``GITHUB_SHA`` is its tip), started by a push, by hand or on schedule, or (at a tag, never on
#: main) by publishing a release: their signatures are provenance of that commit. Every other event that runs on
#: main (``pull_request_target``, ``workflow_run``, ``issue_comment``, ...) runs main's workflow file too, but for
#: something a fork can make (its pull request's head, another run's artifacts, a comment): not main's code.
PROVENANCE_TRIGGERS = ("push", "workflow_dispatch", "schedule", "release")


def foreign_trigger(env: Mapping[str, str] | None = None) -> str | None:
    """The event of a GitHub Actions run on main granted an OIDC token that cannot give main's provenance (None:
    not such a run, or started by one of ``PROVENANCE_TRIGGERS``); ``"(none)"`` when the event is not said."""
    env = dict(os.environ) if env is None else env
    if not _on_main_with_token(env):
        return None
    event = env.get("GITHUB_EVENT_NAME", "").strip()
    return None if event in PROVENANCE_TRIGGERS else event or "(none)"


def ambient_oidc(env: Mapping[str, str] | None = None) -> bool:
    """GitHub Actions on main grants this job an OIDC token (``permissions: id-token: write``), in a run started by
    a push, by hand or on schedule (``PROVENANCE_TRIGGERS``).

    Only there: elsewhere (a pull request; a ``pull_request_target`` or ``workflow_run`` run on main, which can run a
    fork's code) the certificate would carry an identity or trigger the verification refuses by design, and a
    run-made key's integrity is all that run can give.
    """
    env = dict(os.environ) if env is None else env
    return _on_main_with_token(env) and foreign_trigger(env) is None


def _on_main_with_token(env: Mapping[str, str]) -> bool:
    return (
        env.get("GITHUB_ACTIONS") == "true"
        and env.get("GITHUB_REF") == "refs/heads/main"
        and bool(env.get("ACTIONS_ID_TOKEN_REQUEST_URL"))
    )


def make_signer(key_dir: Path) -> Signer:
    """sigstore keyless with an OIDC credential; else cosign when installed, else ECDSA P-256
    (from ``LAKEHOUSE_SIGNING_KEY`` or a fresh key)."""
    if ambient_oidc():
        return KeylessSigner()
    if shutil.which("cosign"):
        return CosignSigner(key_dir)
    if path := os.environ.get(KEY_ENV):
        return EcdsaSigner.from_pem(Path(path))
    return EcdsaSigner()


@dataclass
class SignatureCheck:
    """One artifact's signature: valid (integrity) and trusted (provenance), and the kind of trust."""

    artifact: str
    signature: str
    sha256: str
    bytes: int
    valid: bool
    why_not: str | None = None
    trusted: bool = False
    trust: str | None = None  # lakehouse.kpi.trust: sigstore-identity, published-key, run-made-key (integrity only)
    identity: str | None = None  # a sigstore certificate's identity
    why_untrusted: str | None = None
