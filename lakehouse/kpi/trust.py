"""How far each release signature can be trusted (KPI SBOM + signature coverage).

A signature proves only what its key proves. Three kinds, named in every artifact's evidence:

- ``sigstore-identity``: a sigstore bundle (``<artifact>.sigstore.json``) whose Fulcio certificate
  was issued by GitHub Actions' OIDC issuer to a workflow of the given repository running on
  ``refs/heads/main``, in a run of that repository's main (Fulcio's Source Repository URI and Ref:
  a reusable workflow of main called from elsewhere carries main's name but signs its caller's bytes)
  started by a push, by hand or on schedule (Fulcio's Build Trigger: a ``pull_request_target``,
  ``workflow_run`` or ``issue_comment`` run on main can run a fork's code), at the commit under test
  (Fulcio's Source Repository Digest: another commit's signature is another build's), verified with
  sigstore's verifier (chain, transparency log, signature): provenance.
- ``published-key``: a signature that verifies with a public key published *before* the run: a
  PEM file (``LAKEHOUSE_SIGNING_PUBLIC_KEY``, e.g. committed in the repository) last written
  before the run started, or PEM text in ``LAKEHOUSE_SIGNING_PUBLIC_KEY_PEM``: provenance, as far
  as whoever holds the private key.
- ``run-made-key (integrity only)``: a key the run made itself (or any key whose public half was
  not published before the run): the bytes were not changed after signing, nothing more.

The verdict counts a signature at the level ``LAKEHOUSE_SBOM_REQUIRED_TRUST`` asks for:
``integrity`` (any valid signature; the default elsewhere), ``provenance`` (sigstore-identity or
published-key) or ``sigstore-identity`` (the default in GitHub Actions on refs/heads/main in a job
granted ``id-token: write`` of a run started by a push, by hand or on schedule, the jobs that can sign
keylessly: smoke.yml, e2e.yml, sbom.yml; a job without it, such as guard.yml's ``make test``, or a
``pull_request_target`` run, has nothing to sign with but a run-made key).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography import x509
from cryptography.hazmat import asn1
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore.errors import Error as SigstoreError
from sigstore.models import Bundle
from sigstore.verify import policy

from lakehouse.checks.history import commit_under_test
from lakehouse.config import project_root
from lakehouse.kpi.signing import (
    PROVENANCE_TRIGGERS,
    SignatureCheck,
    ambient_oidc,
    foreign_trigger,
    signature_path,
    verify_ecdsa,
)

SIGSTORE_IDENTITY = "sigstore-identity"
PUBLISHED_KEY = "published-key"
RUN_MADE_KEY = "run-made-key (integrity only)"
#: The issuer of GitHub Actions' OIDC tokens (what Fulcio records in the certificate).
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
#: The only ref whose workflows sign with provenance (the plan: this repository's workflow on main).
MAIN = "refs/heads/main"
PUBLIC_KEY_ENV = "LAKEHOUSE_SIGNING_PUBLIC_KEY"
PUBLIC_KEY_PEM_ENV = "LAKEHOUSE_SIGNING_PUBLIC_KEY_PEM"
REQUIRED_TRUST_ENV = "LAKEHOUSE_SBOM_REQUIRED_TRUST"
#: Required levels, weakest first, and the trust kinds each accepts.
LEVELS: dict[str, frozenset[str]] = {
    "integrity": frozenset({SIGSTORE_IDENTITY, PUBLISHED_KEY, RUN_MADE_KEY}),
    "provenance": frozenset({SIGSTORE_IDENTITY, PUBLISHED_KEY}),
    SIGSTORE_IDENTITY: frozenset({SIGSTORE_IDENTITY}),
}
INTEGRITY_ONLY = (
    "a key made by the run (or one whose public half was not published before it) proves the artifact was not "
    "changed after signing (integrity), not who made it (provenance)"
)


class TrustConfigError(ValueError):
    """A trust option is malformed; the message names the option."""


def bundle_path(artifact: Path) -> Path:
    return artifact.with_name(artifact.name + ".sigstore.json")


@dataclass(frozen=True)
class PublishedKey:
    """A public key said to be published before the run; ``written_at`` None for a key given as text."""

    source: str
    key: ec.EllipticCurvePublicKey
    written_at: datetime | None

    def postdates(self, run_started: datetime) -> bool:
        return self.written_at is not None and self.written_at >= run_started


def load_published_key(env: Mapping[str, str]) -> PublishedKey | None:
    """The published public key the options name (file or PEM text), None when none is given."""
    if pem := env.get(PUBLIC_KEY_PEM_ENV):
        return PublishedKey(PUBLIC_KEY_PEM_ENV, _public_key(pem.encode("ascii"), PUBLIC_KEY_PEM_ENV), None)
    if not (path := env.get(PUBLIC_KEY_ENV)):
        return None
    file = Path(path)
    try:
        data, mtime = file.read_bytes(), file.stat().st_mtime
    except OSError as err:
        raise TrustConfigError(f"{PUBLIC_KEY_ENV}: {path}: {err.strerror or err}") from None
    return PublishedKey(str(file), _public_key(data, f"{PUBLIC_KEY_ENV} {path}"), datetime.fromtimestamp(mtime, UTC))


def _public_key(pem: bytes, where: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as err:
        raise TrustConfigError(f"{where}: not a PEM public key ({err})") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise TrustConfigError(f"{where}: not an EC P-256 public key")
    return key


@dataclass(frozen=True)
class TrustOptions:
    """What the verdict asks of the signatures: the level and its source, the published key, the repository."""

    required: tuple[str, str] = ("integrity", "default")
    published: PublishedKey | None = None
    repo: str | None = None  # owner/name whose workflows on main a sigstore identity must be
    run_started: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: The commit under test (a sigstore identity must be a run at it) and where it came from.
    commit: str | None = None
    commit_source: str = "no commit under test given"

    def context(
        self, run_key: ec.EllipticCurvePublicKey | None, run_key_source: str, verifier: Callable[[], BundleVerifier]
    ) -> TrustContext:
        """The classification's context with this run's key: every option carried over (the commit too)."""
        return TrustContext(
            self.run_started,
            run_key,
            run_key_source,
            published=self.published,
            repo=self.repo,
            commit=self.commit,
            commit_source=self.commit_source,
            verifier=verifier,
        )


def trust_options(
    env: Mapping[str, str],
    repo: str | None,
    run_started: datetime,
    public_key: str | None = None,
    required: str | None = None,
    checkout: Path | None = None,
) -> TrustOptions:
    """The trust options from the flags (``public_key``, ``required``) or else the environment; the commit under
    test is ``GITHUB_SHA``, else the ``checkout``'s (default: this project's) git HEAD."""
    commit, commit_source = commit_under_test(checkout or project_root(), env)
    if public_key:  # the flag wins over both environment variables
        env = {k: v for k, v in env.items() if k != PUBLIC_KEY_PEM_ENV} | {PUBLIC_KEY_ENV: public_key}
    if required:
        env = {**env, REQUIRED_TRUST_ENV: required}
    return TrustOptions(required_trust(env), load_published_key(env), repo, run_started, commit, commit_source)


def required_trust(env: Mapping[str, str]) -> tuple[str, str]:
    """The level the verdict asks for and where it came from (the option, or the default and why)."""
    if value := env.get(REQUIRED_TRUST_ENV, "").strip():
        if value not in LEVELS:
            raise TrustConfigError(f"{REQUIRED_TRUST_ENV}: {value!r} is not one of {', '.join(LEVELS)}")
        return value, REQUIRED_TRUST_ENV
    if ambient_oidc(env):
        return SIGSTORE_IDENTITY, "default in GitHub Actions on refs/heads/main in a job granted an OIDC token"
    if (event := foreign_trigger(env)) is not None:
        return "integrity", (
            f"default in a GitHub Actions run on refs/heads/main started by {event} (GITHUB_EVENT_NAME), which can "
            f"run code that is not main's: only {', '.join(PROVENANCE_TRIGGERS)} runs sign keylessly"
        )
    return "integrity", "default outside a GitHub Actions job on refs/heads/main granted an OIDC token"


class WorkflowIdentity:
    """sigstore policy: issued by GitHub Actions to a workflow of ``repo`` running on ``ref`` (main), in a run of
    ``repo``'s ``ref`` started by one of ``PROVENANCE_TRIGGERS``, at ``commit`` (the commit under test; None: unknown,
    and then no certificate passes: a signature of any commit of main would)."""

    def __init__(
        self, repo: str, commit: str | None, ref: str = MAIN, commit_source: str = "the commit under test"
    ) -> None:
        self.repo, self.ref, self.commit, self.commit_source = repo, ref, commit, commit_source
        self.pattern = re.compile(
            rf"https://github\.com/{re.escape(repo)}/\.github/workflows/[^/@]+\.ya?ml@{re.escape(ref)}", re.IGNORECASE
        )

    def __str__(self) -> str:
        return f"a workflow of {self.repo} on {self.ref} (issuer {GITHUB_ISSUER})"

    def verify(self, cert: x509.Certificate) -> None:
        """The SAN names a workflow file of ``repo`` at ``ref``, and the run that signed was ``repo``'s at ``ref``,
        started by a push, by hand or on schedule, at the commit under test.

        The SAN is the workflow *file* (``job_workflow_ref``): a reusable workflow of this repository on main,
        called by another repository or a pull request's ref, signs its caller's bytes under it. Which run it
        was is in Fulcio's Source Repository URI and Ref (the ``repository`` and ``ref`` claims), what started it
        in the Build Trigger (``event_name``), and which commit it ran in the Source Repository Digest (``sha``).
        """
        from sigstore.errors import VerificationError

        policy.OIDCIssuer(GITHUB_ISSUER).verify(cert)
        sans = certificate_identities(cert)
        if not any(self.pattern.fullmatch(s) for s in sans):
            raise VerificationError(f"certificate identity {', '.join(sans) or '(none)'} is not {self}")
        run, named = signing_run(cert), ", ".join(sans)
        if run.source is None or run.ref is None:
            raise VerificationError(
                f"certificate identity {named} names {self}, but the certificate does not say which "
                "repository and ref the signing run was of (no Source Repository URI and Ref, nor GitHub Workflow "
                "Repository and Ref): a reusable workflow of this repository on main signs for any caller"
            )
        if run.source.lower() != f"https://github.com/{self.repo}".lower() or run.ref != self.ref:
            raise VerificationError(
                f"certificate identity {named} is a workflow file of {self.repo} on {self.ref}, but the "
                f"run that signed was of {run.source} at {run.ref} (Fulcio's Source Repository URI and Ref): a "
                f"reusable workflow called from another repository or ref signs that caller's bytes, not "
                f"{self.repo}'s {self.ref}"
            )
        self._verify_trigger(run, named)
        self._verify_commit(run, named)

    def _verify_trigger(self, run: SigningRun, named: str) -> None:
        """Started by an event that runs ``ref``'s own code: other events on main can run a fork's."""
        from sigstore.errors import VerificationError

        allowed = ", ".join(PROVENANCE_TRIGGERS)
        if run.trigger is None:
            raise VerificationError(
                f"certificate identity {named} is a run of {self.repo}'s {self.ref}, but the certificate does not "
                "say which event started it (no Build Trigger, nor GitHub Workflow Trigger): a pull_request_target, "
                f"workflow_run or issue_comment run on {self.ref} can run a fork's code; only {allowed} runs count"
            )
        if run.trigger not in PROVENANCE_TRIGGERS:
            raise VerificationError(
                f"certificate identity {named} is a run of {self.repo}'s {self.ref} started by {run.trigger} "
                f"(Fulcio's Build Trigger): such a run executes {self.ref}'s workflow file but can check out and run "
                f"code that is not {self.ref}'s (a fork's pull request, another run's artifacts), so its signature "
                f"is not provenance of {self.ref}; only {allowed} runs count"
            )

    def _verify_commit(self, run: SigningRun, named: str) -> None:
        """At the commit under test: a signature made by a run at another commit of main is another build's."""
        from sigstore.errors import VerificationError

        if self.commit is None:
            at = run.digest or "(not said)"
            raise VerificationError(
                f"certificate identity {named} is a run of {self.repo}'s {self.ref} at commit {at}, but the commit "
                f"under test is unknown ({self.commit_source}): a signature of any commit of {self.ref} would count"
            )
        if run.digest is None:
            raise VerificationError(
                f"certificate identity {named} is a run of {self.repo}'s {self.ref}, but the certificate does not "
                "say at which commit (no Source Repository Digest, nor GitHub Workflow SHA): a signature of any "
                f"commit of {self.ref} would count"
            )
        if run.digest.lower() != self.commit.lower():
            raise VerificationError(
                f"certificate identity {named} is a run of {self.repo}'s {self.ref} at commit {run.digest} "
                f"(Fulcio's Source Repository Digest), not at the commit under test {self.commit} "
                f"({self.commit_source}): it signed another build of {self.ref}"
            )


#: Fulcio's extensions for the run a certificate was issued to (sigstore/fulcio docs/oid-info.md): the
#: ``repository``, ``ref``, ``event_name`` and ``sha`` claims, as DER UTF8Strings, and their older raw-bytes forms.
SOURCE_REPOSITORY_URI = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.12")
SOURCE_REPOSITORY_REF = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.14")
BUILD_TRIGGER = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.20")
SOURCE_REPOSITORY_DIGEST = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.13")
WORKFLOW_REPOSITORY = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.5")
WORKFLOW_REF = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.6")
WORKFLOW_TRIGGER = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.2")
WORKFLOW_SHA = x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.3")


def _extension(cert: x509.Certificate, oid: x509.ObjectIdentifier, der: bool) -> str | None:
    try:
        ext = cert.extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None
    raw = ext.value if isinstance(ext, x509.UnrecognizedExtension) else None
    if raw is None:
        return None
    try:
        return asn1.decode_der(str, raw) if der else raw.decode()
    except ValueError:  # not a UTF8String / not UTF-8: says nothing of the run
        return None


@dataclass(frozen=True)
class SigningRun:
    """The GitHub Actions run a Fulcio certificate was issued to, as far as the certificate says (None: not said)."""

    source: str | None  # repository URI
    ref: str | None
    trigger: str | None  # the event that started it
    digest: str | None  # the commit it ran


def signing_run(cert: x509.Certificate) -> SigningRun:
    """What a Fulcio certificate says of the run it was issued to: the newer extensions, else the older."""

    def either(new: x509.ObjectIdentifier, old: x509.ObjectIdentifier) -> str | None:
        value = _extension(cert, new, der=True)
        return value if value is not None else _extension(cert, old, der=False)

    source = _extension(cert, SOURCE_REPOSITORY_URI, der=True)
    if source is None and (legacy := _extension(cert, WORKFLOW_REPOSITORY, der=False)) is not None:
        source = f"https://github.com/{legacy}"
    return SigningRun(
        source,
        either(SOURCE_REPOSITORY_REF, WORKFLOW_REF),
        either(BUILD_TRIGGER, WORKFLOW_TRIGGER),
        either(SOURCE_REPOSITORY_DIGEST, WORKFLOW_SHA),
    )


def certificate_identities(cert: x509.Certificate) -> list[str]:
    """The URI and e-mail SANs of a certificate (where Fulcio puts the signer's identity)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return sorted([*san.get_values_for_type(x509.UniformResourceIdentifier), *san.get_values_for_type(x509.RFC822Name)])


class BundleVerifier(Protocol):
    """The part of ``sigstore.verify.Verifier`` used here (raises sigstore's errors when not verified)."""

    def verify_artifact(self, input_: bytes, bundle: Bundle, policy: Any) -> None: ...


def sigstore_verifier(offline: bool) -> BundleVerifier:
    """sigstore's verifier for the public-good instance (offline: the trust root shipped with sigstore)."""
    from sigstore.verify import Verifier

    return Verifier.production(offline=offline)


@dataclass
class TrustContext:
    """What the classification needs: the run's start, the keys, the repository and commit, a sigstore verifier."""

    run_started: datetime
    run_key: ec.EllipticCurvePublicKey | None = None
    run_key_source: str = "a key made by this run"
    published: PublishedKey | None = None
    repo: str | None = None
    ref: str = MAIN
    #: The commit under test (``GITHUB_SHA``, else git HEAD): a sigstore identity must be a run at it.
    commit: str | None = None
    commit_source: str = "no commit under test given"
    verifier: Callable[[], BundleVerifier] = lambda: sigstore_verifier(offline=True)


def check_artifact(artifact: Path, root: Path, ctx: TrustContext) -> SignatureCheck:
    """Verify the artifact's signature and say what kind of trust it gives (paths relative to ``root``)."""
    bundle, sig = bundle_path(artifact), signature_path(artifact)
    use = bundle if bundle.exists() else sig
    check = SignatureCheck(str(artifact.relative_to(root)), str(use.relative_to(root)), "", 0, False)
    if not artifact.exists():
        check.why_not = f"artifact {artifact.name} is missing"
        return check
    data = artifact.read_bytes()
    check.sha256, check.bytes = hashlib.sha256(data).hexdigest(), len(data)
    if use == bundle:
        _check_bundle(check, data, bundle, ctx)
    elif not sig.exists():
        check.why_not = f"no signature ({bundle.name} or {sig.name})"
    else:
        _check_key_signature(check, artifact, sig, ctx)
    return check


def _check_bundle(check: SignatureCheck, data: bytes, bundle: Path, ctx: TrustContext) -> None:
    try:
        parsed = Bundle.from_json(bundle.read_bytes())
    except (SigstoreError, ValueError) as err:
        check.why_not = f"{bundle.name} is not a sigstore bundle ({err})"
        return
    check.identity = ", ".join(certificate_identities(parsed.signing_certificate))
    if ctx.repo is None:
        check.why_not = (
            f"{bundle.name}: no repository to match the certificate identity {check.identity} against "
            "(--github-repo or GITHUB_REPOSITORY)"
        )
        return
    wanted = WorkflowIdentity(ctx.repo, ctx.commit, ctx.ref, ctx.commit_source)
    try:
        ctx.verifier().verify_artifact(data, parsed, wanted)
    except SigstoreError as err:
        check.why_not = f"{bundle.name} does not verify against {wanted}: {err}"
        return
    check.valid, check.trusted, check.trust = True, True, SIGSTORE_IDENTITY


def _check_key_signature(check: SignatureCheck, artifact: Path, sig: Path, ctx: TrustContext) -> None:
    published = ctx.published
    if published is not None:
        why = verify_ecdsa(published.key, artifact, sig)
        if why is not None:
            check.why_not = f"{why} (verified with the published key {published.source})"
            return
        check.valid = True
        if published.postdates(ctx.run_started):
            check.trust = RUN_MADE_KEY
            check.why_untrusted = (
                f"the public key {published.source} was written at {published.written_at:%Y-%m-%dT%H:%M:%SZ}, "
                f"after the run started at {ctx.run_started:%Y-%m-%dT%H:%M:%SZ}: it was not published before the run"
            )
            return
        check.trusted, check.trust = True, PUBLISHED_KEY
        return
    if ctx.run_key is None:
        check.why_not = f"no key to verify {sig.name} with"
        return
    why = verify_ecdsa(ctx.run_key, artifact, sig)
    if why is not None:
        check.why_not = why
        return
    check.valid, check.trust = True, RUN_MADE_KEY
    check.why_untrusted = f"verified with {ctx.run_key_source}: {INTEGRITY_ONLY}"


def meets(check: SignatureCheck, level: str) -> bool:
    """A valid signature whose trust kind the required level accepts."""
    return check.valid and check.trust in LEVELS[level]
