"""What a release built in this run must ship (KPI SBOM): every artifact signed, its wheel's SBOMs about its wheel.

The coverage's denominator is this manifest, not whichever signatures happen to exist: a release
that lost an artifact, or whose signing skipped one, is below 100 %, not 100 % of fewer. The wheel
is held to its bytes: the SHA-256 of the wheel built in this run must be the one its SBOMs record
for the package they describe and the one its signature was verified over, so an SBOM made for an
older build (or another wheel), or a valid signature over other bytes, does not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:  # sbom.py imports this module for its judge
    from lakehouse.kpi.sbom import SbomCheck
    from lakehouse.kpi.signing import SignatureCheck


@dataclass(frozen=True)
class BuiltWheel:
    """The wheel this run built: its name under reports/, its file name and the SHA-256 of its bytes."""

    artifact: str
    file_name: str
    sha256: str
    #: The package the wheel is (its METADATA's Name, normalised, and Version): what its SBOMs must describe.
    package: str = ""
    version: str = ""


@dataclass(frozen=True)
class ReleaseManifest:
    """Every artifact this run built (names under reports/), its SBOMs' (format, subject) and its wheel."""

    artifacts: tuple[str, ...]
    sboms: dict[str, tuple[str, str]]
    wheel: BuiltWheel
    #: Files written into the release directory during the run that it did not build (nor sign): they ship
    #: with it (sbom.yml uploads the whole directory), so each counts as an artifact no signature covers.
    strays: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        wheel = {"artifact": self.wheel.artifact, "file": self.wheel.file_name, "sha256": self.wheel.sha256}
        if self.wheel.package:
            wheel |= {"package": self.wheel.package, "version": self.wheel.version}
        return {"artifacts": list(self.artifacts), "wheel": wheel, "strays": list(self.strays)}


def _same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a.strip() == b.strip()


def subject_problem(s: SbomCheck, wheel: BuiltWheel) -> str | None:
    """Why a wheel SBOM's described package is not the wheel's own package (None when it is, or unknown).

    The digest says which bytes the SBOM is about, the described package what they are: an SBOM naming the
    wheel after a dependency, or after an older version of itself, files the wheel's findings under another
    package even when it lists every package of the closure at its version.
    """
    if not wheel.package:
        return None
    if s.subject == wheel.package and _same_version(s.subject_version or "", wheel.version):
        return None
    described = f"{s.subject or '(none)'} {s.subject_version or '(no version)'}"
    return (
        f"{s.sbom} ({s.format} of the wheel) describes the package {described}, not the wheel's own "
        f"{wheel.package} {wheel.version} (its METADATA)"
    )


def short(digest: str) -> str:
    return digest[:16] + "…" if len(digest) > 16 else digest or "(none)"


def unsigned(manifest: ReleaseManifest, signatures: Iterable[SignatureCheck]) -> list[str]:
    """The manifest's artifacts no signature check was made for (they count against the coverage)."""
    signed = {c.artifact for c in signatures}
    return [name for name in manifest.artifacts if name not in signed]


def manifest_problems(
    manifest: ReleaseManifest,
    signatures: list[SignatureCheck],
    sboms: list[SbomCheck],
    required: Iterable[tuple[str, str]],
) -> list[str]:
    """Why the signed and read-back release is not the whole release this run built, each naming the artifact."""
    problems = [
        f"{name}: built by this run but not among the signed artifacts" for name in unsigned(manifest, signatures)
    ]
    problems += [
        f"{name}: written into the release directory during this run but not built by it: it ships with the "
        "release, yet no SBOM describes it and no signature check covers it"
        for name in manifest.strays
    ]
    roles = set(manifest.sboms.values())
    problems += [
        f"no {fmt} SBOM of the {describes} in the release"
        for fmt, describes in required
        if (fmt, describes) not in roles
    ]
    checked = {s.sbom for s in sboms}
    problems += [
        f"{name}: an SBOM of this release that was not read back" for name in manifest.sboms if name not in checked
    ]
    problems += [f"{s.sbom}: not an SBOM this run built" for s in sboms if s.sbom not in manifest.sboms]
    wheel = manifest.wheel
    for s in sboms:
        if s.describes != "wheel":
            continue
        if why := subject_problem(s, wheel):
            problems.append(why)
        if not s.subject_sha256:
            problems.append(
                f"{s.sbom} ({s.format} of the wheel) records no SHA-256 for the package it describes, so nothing "
                f"ties it to {wheel.file_name} built in this run"
            )
        elif wheel.sha256 not in s.subject_sha256:
            problems.append(
                f"{s.sbom} ({s.format} of the wheel) describes a wheel with SHA-256 "
                f"{', '.join(short(d) for d in s.subject_sha256)}, not {wheel.file_name} built in this run "
                f"({short(wheel.sha256)}): it is the SBOM of another build"
            )
    for c in signatures:
        if c.artifact == wheel.artifact and c.sha256 and c.sha256 != wheel.sha256:
            problems.append(
                f"{c.artifact}: the signature was checked over bytes with SHA-256 {short(c.sha256)}, not the wheel "
                f"built in this run ({short(wheel.sha256)}): another wheel is signed and shipped"
            )
    return problems
