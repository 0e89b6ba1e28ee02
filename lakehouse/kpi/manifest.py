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

if TYPE_CHECKING:  # sbom.py imports this module for its judge
    from lakehouse.kpi.sbom import SbomCheck
    from lakehouse.kpi.signing import SignatureCheck


@dataclass(frozen=True)
class BuiltWheel:
    """The wheel this run built: its name under reports/, its file name and the SHA-256 of its bytes."""

    artifact: str
    file_name: str
    sha256: str


@dataclass(frozen=True)
class ReleaseManifest:
    """Every artifact this run built (names under reports/), its SBOMs' (format, subject) and its wheel."""

    artifacts: tuple[str, ...]
    sboms: dict[str, tuple[str, str]]
    wheel: BuiltWheel

    def to_dict(self) -> dict[str, object]:
        return {
            "artifacts": list(self.artifacts),
            "wheel": {"artifact": self.wheel.artifact, "file": self.wheel.file_name, "sha256": self.wheel.sha256},
        }


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
