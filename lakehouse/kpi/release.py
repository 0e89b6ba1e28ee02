"""KPI SBOM + signature coverage: build the release artifacts into reports/, sign, verify, judge.

Signatures are made over the copies kept under reports/ (after redaction), so a reviewer can
verify exactly the bytes the evidence points at with the public key written next to them.

Two halves, so the half that needs no stack can overlap the deploy: ``prepare_release`` (the SBOM,
the wheel, the signing key, their signatures: nothing about the stack) and ``finish_release`` (the
plan JSON's signature, every signature verified, the judgement). ``start_release`` runs the first
half on a background thread at a lower CPU priority; ``build_signed_release`` runs both in a row.
Either way the files, the signatures and the verdict are the same; the evidence's ``stopwatch_s``
says how long each half took and how long the KPI waited for the first.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse.evidence import ArtifactStore
from lakehouse.kpi.sbom import build_wheel, generate_sbom, installed_distributions, judge_release, sbom_coverage
from lakehouse.kpi.signing import Signer, make_signer, verify_all
from lakehouse.outcome import Outcome

#: CPU priority of the SBOM and wheel builds while they overlap a deploy (``nice -n``).
BACKGROUND_NICE = 10


@dataclass
class Release:
    """The judged release and every file it wrote under reports/ (artifacts, signatures, public key)."""

    result: Outcome
    artifacts: list[str] = field(default_factory=list)


@dataclass
class PreparedRelease:
    """The half of a release that needs no stack: SBOM and wheel in reports/, signed, with their key."""

    store: ArtifactStore
    release_dir: str
    signer: Signer
    sbom_name: str
    wheel_name: str
    public_key_name: str
    signatures: list[str]
    installed: list[str]
    work: Path  # the signer's key files live here until ``finish_release``
    seconds: float = 0.0
    in_background: bool = False

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def prepare_release(root: Path, store: ArtifactStore, release_dir: str, nice: int = 0) -> PreparedRelease:
    """SBOM of this Python environment and the project's wheel, copied into reports/ and signed there."""
    started = time.monotonic()
    python = Path(sys.executable)
    work = Path(tempfile.mkdtemp(prefix="lakehouse-release-"))
    try:
        sbom = generate_sbom(python, root / "pyproject.toml", work / "sbom.cdx.json", nice=nice)
        sbom_name = store.copy(sbom, f"{release_dir}/sbom.cdx.json")
        wheel = build_wheel(root, work / "dist", nice=nice)
        wheel_name = store.copy(wheel, f"{release_dir}/{wheel.name}")
        installed = installed_distributions(python, nice=nice)
        signer = make_signer(work / "keys")
        signatures = [str(signer.sign(store.root / n).relative_to(store.root)) for n in (sbom_name, wheel_name)]
        public = store.write_text(f"{release_dir}/signing-key.pub.pem", signer.public_key_pem())
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    prepared = PreparedRelease(store, release_dir, signer, sbom_name, wheel_name, public, signatures, installed, work)
    prepared.seconds = time.monotonic() - started
    return prepared


def finish_release(prepared: PreparedRelease, plan_name: str, waited_s: float = 0.0) -> Release:
    """Sign the plan JSON already in reports/, verify every signature, judge; the prepared half is closed."""
    started = time.monotonic()
    store = prepared.store
    try:
        plan_sig = str(prepared.signer.sign(store.root / plan_name).relative_to(store.root))
        paths = [store.root / n for n in (prepared.sbom_name, prepared.wheel_name, plan_name)]
        checks = verify_all(prepared.signer, paths, store.root)
    finally:
        prepared.close()
    sbom = json.loads((store.root / prepared.sbom_name).read_text(encoding="utf-8"))
    coverage, missing = sbom_coverage(sbom, prepared.installed)
    result = judge_release(checks, coverage, missing, prepared.signer.name, len(sbom.get("components") or []))
    result.details["stopwatch_s"] = {
        "sbom_wheel_and_signing": round(prepared.seconds, 3),
        "overlapped_the_deploy": prepared.in_background,
        "kpi_waited_for_it": round(waited_s, 3),
        "plan_signing_and_verification": round(time.monotonic() - started, 3),
    }
    written = [*prepared.signatures, plan_sig, prepared.sbom_name, prepared.wheel_name, prepared.public_key_name]
    return Release(result, written)


def build_signed_release(root: Path, store: ArtifactStore, release_dir: str, plan_name: str) -> Release:
    """Both halves in a row (no deploy to overlap)."""
    return finish_release(prepare_release(root, store, release_dir), plan_name)


class EarlyRelease:
    """``prepare_release`` started on a background thread (before a deploy), joined by the KPI step."""

    def __init__(self, root: Path, store: ArtifactStore, release_dir: str, nice: int = BACKGROUND_NICE) -> None:
        self.release_dir = release_dir
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="early-release")
        self._future: Future[PreparedRelease] = self._pool.submit(prepare_release, root, store, release_dir, nice)
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


def start_release(root: Path, store: ArtifactStore, release_dir: str) -> EarlyRelease:
    return EarlyRelease(root, store, release_dir)
