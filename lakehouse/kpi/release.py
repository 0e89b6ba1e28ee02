"""KPI SBOM + signature coverage: build the release artifacts into reports/, sign, verify, judge.

Signatures are made over the copies kept under reports/ (after redaction), so a reviewer can
verify exactly the bytes the evidence points at with the public key written next to them (or,
keyless, with the certificate inside each sigstore bundle).

Two halves, so the half that needs no stack can overlap the deploy: ``prepare_release`` (the four
SBOMs, the wheel, the signing key, their signatures: nothing about the stack) and ``finish_release`` (the
plan JSON's signature, every signature verified, the judgement). ``start_release`` runs the first
half on a background thread at a lower CPU priority; ``build_signed_release`` runs both in a row.
Either way the files, the signatures and the verdict are the same; the evidence's ``stopwatch_s``
says how long each half took and how long the KPI waited for the first.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from lakehouse.evidence import ArtifactStore
from lakehouse.kpi.manifest import BuiltWheel, ReleaseManifest
from lakehouse.kpi.sbom import (
    CYCLONEDX,
    SPDX,
    Distribution,
    Expected,
    SbomCheck,
    build_wheel,
    check_cyclonedx,
    generate_sbom,
    judge_release,
    read_distributions,
    wheel_contents,
    wheel_cyclonedx,
)
from lakehouse.kpi.signing import Signer, ambient_oidc, make_signer
from lakehouse.kpi.spdx import check_spdx, environment_document, wheel_document, write_spdx
from lakehouse.kpi.trust import TrustOptions, check_artifact, sigstore_verifier
from lakehouse.kpi.unclaimed import unclaimed_in_environment, unclaimed_in_wheel
from lakehouse.outcome import Outcome

PROJECT = "lakehouse-code"

#: CPU priority of the SBOM and wheel builds while they overlap a deploy (``nice -n``).
BACKGROUND_NICE = 10


@dataclass
class Release:
    """The judged release and every file it wrote under reports/ (artifacts, signatures, public key)."""

    result: Outcome
    artifacts: list[str] = field(default_factory=list)


@dataclass
class PreparedRelease:
    """The half of a release that needs no stack: SBOMs and wheel in reports/, signed, with their key."""

    store: ArtifactStore
    release_dir: str
    signer: Signer
    trust: TrustOptions
    sboms: dict[str, tuple[str, str, Expected]]  # name in reports/ -> (format, what it describes, expected)
    wheel_name: str
    public_key_name: str | None
    signatures: list[str]
    work: Path  # the signer's key files live here until ``finish_release``
    #: The wheel as built (its SHA-256 taken from pip's output, before it was copied, signed or described).
    wheel: BuiltWheel
    #: What each subject ("environment", "wheel") ships that no distribution claims (``lakehouse.kpi.unclaimed``).
    unlisted_code: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    in_background: bool = False

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def prepare_release(
    root: Path, store: ArtifactStore, release_dir: str, nice: int = 0, trust: TrustOptions | None = None
) -> PreparedRelease:
    """Four SBOMs (CycloneDX and SPDX, environment and wheel) and the wheel, copied into reports/, signed there."""
    started = time.monotonic()
    python = Path(sys.executable)
    work = Path(tempfile.mkdtemp(prefix="lakehouse-release-"))
    try:
        installed = read_distributions(python, nice=nice)
        env_cdx = generate_sbom(python, root / "pyproject.toml", work / "sbom-env.cdx.json", nice=nice)
        wheel = build_wheel(root, work / "dist", nice=nice)
        contents = wheel_contents(wheel, installed)
        unlisted = {
            "environment": unclaimed_in_environment(python, nice=nice),
            "wheel": unclaimed_in_wheel(wheel, contents, installed),
        }
        project = next((d for d in installed if d.key == PROJECT), None) or Distribution(PROJECT, contents.root.version)
        env_spdx = write_spdx(environment_document(project, installed), work / "sbom-env.spdx.json")
        wheel_cdx = wheel_cyclonedx(contents, work / "sbom-wheel.cdx.json")
        wheel_spdx = write_spdx(wheel_document(contents), work / "sbom-wheel.spdx.json")
        # Each package at the version installed: an SBOM naming it at another version does not describe it.
        everything: dict[str, str | None] = {d.name: d.version for d in installed}
        closure: dict[str, str | None] = {d.name: d.version for d in (contents.root, *contents.dependencies)}
        # A requirement the environment cannot satisfy is expected in the wheel's SBOMs and so named missing.
        closure |= dict.fromkeys(contents.unresolved_names)
        sboms: dict[str, tuple[str, str, Expected]] = {}
        for path, fmt, describes, expected in (
            (env_cdx, "CycloneDX", "environment", everything),
            (env_spdx, "SPDX", "environment", everything),
            (wheel_cdx, "CycloneDX", "wheel", closure),
            (wheel_spdx, "SPDX", "wheel", closure),
        ):
            sboms[store.copy(path, f"{release_dir}/{path.name}")] = (fmt, describes, expected)
        wheel_name = store.copy(wheel, f"{release_dir}/{wheel.name}")
        built = BuiltWheel(wheel_name, wheel.name, contents.sha256, contents.root.key, contents.root.version)
        signer = make_signer(work / "keys")
        signatures = [str(signer.sign(store.root / n).relative_to(store.root)) for n in (*sboms, wheel_name)]
        pem = signer.public_key_pem()
        public = store.write_text(f"{release_dir}/signing-key.pub.pem", pem) if pem else None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    prepared = PreparedRelease(
        store, release_dir, signer, trust or TrustOptions(), sboms, wheel_name, public, signatures, work, built
    )
    prepared.unlisted_code = unlisted
    prepared.seconds = time.monotonic() - started
    return prepared


def _run_key(signer: Signer) -> ec.EllipticCurvePublicKey | None:
    pem = signer.public_key_pem()
    key = serialization.load_pem_public_key(pem.encode("ascii")) if pem else None
    return key if isinstance(key, ec.EllipticCurvePublicKey) else None


#: What ``main`` writes into the release directory beside the artifacts: the verdict, not a release artifact.
VERDICT_FILE = "kpi-sbom.json"


def _not_built(prepared: PreparedRelease, artifacts: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Files in the release directory that are neither this run's artifacts, their signatures, its public key
    nor its verdict: (written since the run started, older). The first ship with this release unsigned; the
    older are a previous run's left behind under a reused directory (listed in the evidence, not judged)."""
    store = prepared.store
    ours = {*artifacts, *(f"{a}{suffix}" for a in artifacts for suffix in (".sig", ".sigstore.json"))}
    ours |= {
        f"{prepared.release_dir}/{VERDICT_FILE}",
        *([prepared.public_key_name] if prepared.public_key_name else []),
    }
    since = prepared.trust.run_started.timestamp()
    strays: list[str] = []
    stale: list[str] = []
    for path in sorted((store.root / prepared.release_dir).rglob("*")):
        name = str(path.relative_to(store.root))
        if path.is_file() and name not in ours:
            (strays if path.stat().st_mtime >= since else stale).append(name)
    return tuple(strays), tuple(stale)


def finish_release(prepared: PreparedRelease, plan_name: str | None, waited_s: float = 0.0) -> Release:
    """Sign the plan JSON already in reports/ (if any), read back every SBOM, classify every signature, judge."""
    started = time.monotonic()
    store, trust = prepared.store, prepared.trust
    plan = [plan_name] if plan_name else []
    try:
        plan_sigs = [str(prepared.signer.sign(store.root / n).relative_to(store.root)) for n in plan]
        ctx = trust.context(
            _run_key(prepared.signer),
            prepared.signer.key_source,
            # Where it signed keylessly it can reach sigstore's TUF repository for the current trust root.
            lambda: sigstore_verifier(offline=not ambient_oidc()),
        )
        paths = [store.root / n for n in (*prepared.sboms, prepared.wheel_name, *plan)]
        checks = [check_artifact(p, store.root, ctx) for p in paths]
    finally:
        prepared.close()
    sboms: list[SbomCheck] = []
    for name, (fmt, describes, expected) in prepared.sboms.items():
        check = check_cyclonedx if fmt == "CycloneDX" else check_spdx
        sboms.append(check(store.root / name, name, describes, expected))
        sboms[-1].unlisted_code = list(prepared.unlisted_code.get(describes, []))
    artifacts = tuple(str(p.relative_to(store.root)) for p in paths)
    strays, stale = _not_built(prepared, artifacts)
    manifest = ReleaseManifest(
        artifacts,
        {
            n: (CYCLONEDX if fmt == "CycloneDX" else SPDX, describes)
            for n, (fmt, describes, _) in prepared.sboms.items()
        },
        prepared.wheel,
        strays,
    )
    result = judge_release(checks, sboms, prepared.signer.name, trust.required, manifest)
    if stale:
        result.details["older_files_in_release_dir"] = list(stale)
    result.details["stopwatch_s"] = {
        "sboms_wheel_and_signing": round(prepared.seconds, 3),
        "overlapped_the_deploy": prepared.in_background,
        "kpi_waited_for_it": round(waited_s, 3),
        "plan_signing_and_verification": round(time.monotonic() - started, 3),
    }
    written = [*prepared.signatures, *plan_sigs, *prepared.sboms, prepared.wheel_name]
    if prepared.public_key_name:
        written.append(prepared.public_key_name)
    return Release(result, written)


def build_signed_release(
    root: Path, store: ArtifactStore, release_dir: str, plan_name: str, trust: TrustOptions | None = None
) -> Release:
    """Both halves in a row (no deploy to overlap)."""
    return finish_release(prepare_release(root, store, release_dir, trust=trust), plan_name)


class EarlyRelease:
    """``prepare_release`` started on a background thread (before a deploy), joined by the KPI step."""

    def __init__(
        self,
        root: Path,
        store: ArtifactStore,
        release_dir: str,
        nice: int = BACKGROUND_NICE,
        trust: TrustOptions | None = None,
    ) -> None:
        self.release_dir = release_dir
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="early-release")
        self._future: Future[PreparedRelease] = self._pool.submit(
            prepare_release, root, store, release_dir, nice, trust
        )
        self._pool.shutdown(wait=False)

    def finish(self, plan_name: str) -> Release:
        """Wait for the prepared half (its error, if any, is raised here) and finish the release."""
        started = time.monotonic()
        prepared = self._future.result()
        prepared.in_background = True
        return finish_release(prepared, plan_name, waited_s=time.monotonic() - started)

    def close(self) -> None:
        """At session end: a prepared half nobody finished leaves no key files behind."""
        if self._future.cancel():
            return
        with contextlib.suppress(Exception):  # its error belongs to the KPI that never ran
            self._future.result().close()


def start_release(
    root: Path, store: ArtifactStore, release_dir: str, trust: TrustOptions | None = None
) -> EarlyRelease:
    return EarlyRelease(root, store, release_dir, trust=trust)


def main(argv: list[str] | None = None) -> int:
    """``python -m lakehouse.kpi.release``: the release without a stack (sbom.yml), judged as the KPI judges it."""
    import argparse
    import os

    from lakehouse.config import project_root
    from lakehouse.kpi.trust import LEVELS, TrustConfigError, trust_options

    parser = argparse.ArgumentParser(prog="python -m lakehouse.kpi.release", description=main.__doc__)
    parser.add_argument("--out", type=Path, default=Path("reports"), help="where release/ is written (reports/)")
    parser.add_argument("--github-repo", default=os.environ.get("GITHUB_REPOSITORY"), metavar="OWNER/NAME")
    parser.add_argument("--required-trust", choices=tuple(LEVELS), default=None)
    parser.add_argument("--signing-public-key", default=None, metavar="PEM")
    args = parser.parse_args(argv)
    try:
        trust = trust_options(
            dict(os.environ),
            args.github_repo,
            datetime.now(UTC),
            args.signing_public_key,
            args.required_trust,
            checkout=project_root(),
        )
    except TrustConfigError as err:
        parser.error(str(err))
    store = ArtifactStore(args.out)
    release = finish_release(prepare_release(project_root(), store, "release", trust=trust), None)
    result = release.result
    store.write_json(
        f"release/{VERDICT_FILE}",
        {"status": result.status.value, "measured": result.measured, "reason": result.reason, **result.details},
    )
    for check in release.result.details["signatures"]:
        print(f"{check['artifact']}: {check['trust'] if check['valid'] else 'NOT VALID: ' + str(check['why_not'])}")
    print(f"{release.result.status.value}: {release.result.reason or 'every artifact signed at the required trust'}")
    return 0 if release.result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
