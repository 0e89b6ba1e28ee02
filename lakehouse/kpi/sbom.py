"""KPI SBOM + signature coverage 100 %: SBOMs in two formats, every release artifact signed and trusted.

Release artifacts: four SBOMs (CycloneDX 1.6 and SPDX 2.3 JSON, each of the environment and of the
wheel), the project's wheel (``pip wheel --no-deps`` of a copy of the sources, so the checkout
gets no ``build/``) and the stack's plan JSON. The environment's CycloneDX comes from
``cyclonedx-py environment``; the wheel's from cyclonedx-python-lib's model over the wheel's
requirement closure; both SPDX documents from spdx-tools (``lakehouse.kpi.spdx``). Each SBOM is
read back, validated against its format's schema and must list every package it should (every
installed distribution; the wheel's closure). Each artifact is signed (``lakehouse.kpi.signing``)
and its signature classified by ``lakehouse.kpi.trust``; the KPI is the fraction whose signature
meets the required trust level.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path
from typing import Any

from cyclonedx.model import HashAlgorithm, HashType
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL
from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import InvalidWheelFilename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from lakehouse.kpi.manifest import ReleaseManifest, manifest_problems, unsigned
from lakehouse.kpi.signing import SignatureCheck
from lakehouse.kpi.trust import INTEGRITY_ONLY, RUN_MADE_KEY, meets
from lakehouse.outcome import Outcome

CYCLONEDX = "CycloneDX 1.6 JSON"
SPDX = "SPDX 2.3 JSON"
#: Why the plan's Syft is not the SPDX tool here.
SYFT_NOTE = "Syft is not installable here (no PyPI or Debian package): SPDX is built with spdx-tools"
#: The SBOMs every release has: each format of each subject.
REQUIRED_SBOMS = ((CYCLONEDX, "environment"), (SPDX, "environment"), (CYCLONEDX, "wheel"), (SPDX, "wheel"))


class ReleaseBuildError(RuntimeError):
    """An artifact could not be built; the message carries the tool's last lines."""


def _tail(proc: subprocess.CompletedProcess[str]) -> str:
    return "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])


def normalise(name: str) -> str:
    """PEP 503 name normalisation, so ``PyYAML`` and ``pyyaml`` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


#: How long a build tool may run before it counts as hung. A deadline against a hang, not a speed limit:
#: niced under a deploy on a busy 2-core machine, cyclonedx-py took over 300 s (KPI-sbom errored on a
#: healthy stack), and no verdict may depend on how busy the machine is.
TOOL_DEADLINE_S = 1800.0


def niced(argv: list[str], nice: int) -> list[str]:
    """``argv`` at a lower CPU priority (``nice -n``), so work overlapping a deploy yields the CPU to it."""
    tool = shutil.which("nice") if nice > 0 else None
    return [tool, "-n", str(nice), *argv] if tool else argv


def cyclonedx_cli() -> str | None:
    local = Path(sys.executable).parent / "cyclonedx-py"
    return str(local) if local.exists() else shutil.which("cyclonedx-py")


def generate_sbom(python: Path, pyproject: Path, out: Path, nice: int = 0) -> Path:
    """CycloneDX 1.6 JSON of the environment ``python`` runs in (as .github/workflows/sbom.yml does)."""
    cli = cyclonedx_cli()
    if cli is None:
        raise ReleaseBuildError("cyclonedx-py is not installed (pip package cyclonedx-bom)")
    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [
        cli,
        "environment",
        "--pyproject",
        str(pyproject),
        "--spec-version",
        "1.6",
        "--output-format",
        "JSON",
        "--output-file",
        str(out),
        str(python),
    ]
    proc = subprocess.run(niced(argv, nice), capture_output=True, text=True, timeout=TOOL_DEADLINE_S)
    if proc.returncode != 0 or not out.exists():
        raise ReleaseBuildError(f"cyclonedx-py environment exited with {proc.returncode}: {_tail(proc)}")
    return out


_DUMP = """
import importlib.metadata as m, json
def tops(d):
    names = set((d.read_text('top_level.txt') or '').split())
    for f in d.files or ():
        names.add(f.parts[0] if len(f.parts) > 1 else f.parts[0].split('.')[0] if f.parts else '')
    return sorted(n for n in names if n.isidentifier() and not n.startswith('__'))
print(json.dumps([
    {'name': d.metadata['Name'], 'version': d.version, 'requires': d.requires or [], 'top_level': tops(d)}
    for d in m.distributions() if d.metadata['Name']
]))
"""


@dataclass(frozen=True)
class Distribution:
    """One installed distribution as its own metadata describes it."""

    name: str
    version: str
    requires: tuple[str, ...] = ()
    #: The import names it installs at the top of site-packages (its top_level.txt and RECORD): what a copy is named.
    top_level: tuple[str, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        return normalise(self.name)

    @property
    def purl(self) -> str:
        return f"pkg:pypi/{self.key}@{self.version}"


@dataclass
class WheelContents:
    """The wheel's own package and the installed distributions its requirements resolve to."""

    root: Distribution
    sha256: str
    file_name: str
    dependencies: list[Distribution] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # a declared requirement with no installed match, why
    unresolved_names: list[str] = field(default_factory=list)
    #: Distributions the wheel carries inside it (another ``.dist-info/METADATA`` in its files) -> where.
    vendored: dict[str, Distribution] = field(default_factory=dict)


def read_distributions(python: Path, nice: int = 0) -> list[Distribution]:
    """Every distribution installed where ``python`` runs, asked of that interpreter itself."""
    proc = subprocess.run(
        niced([str(python), "-c", _DUMP], nice), capture_output=True, text=True, timeout=TOOL_DEADLINE_S
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise ReleaseBuildError(f"{python} could not list its distributions: {tail}")
    found: dict[str, Distribution] = {}
    for d in json.loads(proc.stdout):
        requires, top_level = tuple(str(r) for r in d["requires"]), tuple(str(n) for n in d.get("top_level") or ())
        dist = Distribution(str(d["name"]), str(d["version"]), requires, top_level)
        found.setdefault(dist.key, dist)  # the first on sys.path wins, as for imports
    return sorted(found.values(), key=lambda d: d.key)


def _own_metadata(wheel: Path, metadata: list[str]) -> str:
    """The wheel's own METADATA: in the top-level ``{name}-{version}.dist-info`` its file name names (PEP 427).

    Not merely the first ``.dist-info/METADATA`` in the archive: a distribution vendored inside the package
    (``lakehouse/_vendor/six-1.16.0.dist-info``) is written before the wheel's own, and the wheel was then
    described as that distribution, with its closure instead of the wheel's.
    """
    top = [n for n in metadata if n.count("/") == 1]
    try:
        name, version, _, _ = parse_wheel_filename(wheel.name)
    except InvalidWheelFilename:
        if len(top) == 1:
            return top[0]
        raise ReleaseBuildError(
            f"{wheel.name}: not a wheel file name (PEP 427), so its .dist-info is not known"
        ) from None

    def names_it(path: str) -> bool:
        dist, _, ver = path.split("/")[0].removesuffix(".dist-info").rpartition("-")
        return normalise(dist) == name and _same_version(ver, str(version))

    own = [n for n in top if names_it(n)]
    if len(own) != 1:
        raise ReleaseBuildError(
            f"{wheel.name} has {len(own)} {name}-{version}.dist-info/METADATA (PEP 427: exactly one), "
            f"among {', '.join(metadata)}"
        )
    return own[0]


def _read_metadata(zf: zipfile.ZipFile, member: str) -> Distribution:
    meta = Parser().parsestr(zf.read(member).decode("utf-8"))
    return Distribution(str(meta["Name"]), str(meta["Version"]), tuple(meta.get_all("Requires-Dist") or ()))


def wheel_contents(wheel: Path, installed: list[Distribution]) -> WheelContents:
    """The wheel's METADATA, its runtime requirement closure resolved against ``installed``, and every
    distribution it vendors (ships inside itself, so its SBOMs must list it too, at the version shipped)."""
    with zipfile.ZipFile(wheel) as zf:
        metadata = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        if not metadata:
            raise ReleaseBuildError(f"{wheel.name} has no .dist-info/METADATA")
        own = _own_metadata(wheel, metadata)
        root = _read_metadata(zf, own)
        vendored = {n: _read_metadata(zf, n) for n in metadata if n != own}
    by_key = {d.key: d for d in installed}
    contents = WheelContents(root, hashlib.sha256(wheel.read_bytes()).hexdigest(), wheel.name, vendored=vendored)
    seen: dict[str, Distribution] = {}
    seen_extras: dict[str, frozenset[str]] = {}
    env = default_environment()
    todo: list[tuple[str, frozenset[str]]] = [(r, frozenset()) for r in root.requires]
    while todo:
        text, extras = todo.pop()
        try:
            req = Requirement(text)
        except InvalidRequirement:
            contents.unresolved.append(f"{text} (not a valid requirement)")
            continue
        if req.marker and not any(req.marker.evaluate({**env, "extra": e}) for e in (extras or {""})):  # type: ignore[dict-item]
            continue
        dist = by_key.get(normalise(req.name))
        if dist is None:
            contents.unresolved.append(f"{req} (not installed)")
            contents.unresolved_names.append(req.name)
            continue
        if not req.specifier.contains(dist.version, prereleases=True):
            contents.unresolved.append(f"{req} (installed {dist.name} {dist.version} does not satisfy it)")
        wanted = frozenset(req.extras)
        if dist.key in seen and wanted <= seen_extras.get(dist.key, frozenset()):
            continue
        seen[dist.key] = dist
        seen_extras[dist.key] = seen_extras.get(dist.key, frozenset()) | wanted
        todo += [(r, wanted) for r in dist.requires]
    for dist in vendored.values():  # shipped in the wheel's bytes: listed whether or not pip installs it too
        seen.setdefault(dist.key, dist)
    contents.dependencies = sorted(seen.values(), key=lambda d: d.key)
    return contents


#: What an SBOM must list: package names, or name -> the version installed (None: no version to hold it to).
Expected = list[str] | dict[str, str | None]


def expected_versions(expected: Expected) -> dict[str, str | None]:
    """``expected`` as normalised name -> version (None where no version is known)."""
    if isinstance(expected, dict):
        return {normalise(n): v for n, v in expected.items()}
    return dict.fromkeys((normalise(n) for n in expected), None)


def _same_version(listed: str, installed: str) -> bool:
    """Equal as PEP 440 versions (``1.0`` == ``1.0.0``), else as text."""
    try:
        return Version(listed) == Version(installed)
    except InvalidVersion:
        return listed.strip() == installed.strip()


def wrong_versions(listed: dict[str, set[str]], expected: Expected) -> list[str]:
    """``name (lists X, installed Y)`` for each expected package the SBOM lists at a version that is not installed.

    A name alone is not coverage: an SBOM of another environment, or made before an upgrade, names
    every package at versions that are not the ones shipped, and a scanner reading it checks the wrong ones.
    Nor is one right entry among wrong ones: a stale entry beside the installed one (``urllib3 1.26.20`` and
    ``2.8.0``) tells a scanner the release ships both, so every version listed must be the one installed.
    ``listed`` has every name the SBOM lists, with an empty set where it gives no version: a package
    named without a version is not listed at the one installed either (a scanner matches nothing to it).
    """
    out = []
    for name, version in sorted(expected_versions(expected).items()):
        found = listed.get(name)
        if version is None or found is None or (found and all(_same_version(v, version) for v in found)):
            continue
        out.append(f"{name} (lists {', '.join(sorted(found)) or 'no version'}, installed {version})")
    return out


def purl_problem(name: str, version: str | None, purl: str) -> str | None:
    """Why a package's purl is not ``pkg:pypi/<name>@<version>`` of the package it is given to (None: it is).

    Scanners (Grype, osv-scanner, Dependency-Track) match vulnerabilities on the purl, not on the name and
    version fields: a package listed at its installed version with a purl of another version, or another
    package, is scanned as that other one.
    """
    try:
        url = PackageURL.from_string(purl)
    except ValueError:
        return f"{name} (its purl {purl!r} is not a package URL)"
    same_package = url.type == "pypi" and normalise(url.name) == normalise(name)
    if same_package and url.version and version and _same_version(url.version, version):
        return None
    return f"{name} {version or '(no version)'} (its purl {purl} is another package or version)"


def cyclonedx_components(sbom: dict[str, Any]) -> list[dict[str, Any]]:
    """Every component the document lists, at any depth: the top-level ones, the ``components`` each carries, and
    those the described component (``metadata.component``) carries, which itself is left out.

    CycloneDX nests what a component bundles, and scanners read every level: a stale version, a wrong purl or a
    package the release lacks one level down is as listed as at the top.
    """

    def nested(holder: Any) -> list[Any]:
        inner = holder.get("components") if isinstance(holder, dict) else None
        return inner if isinstance(inner, list) else []

    todo = [*nested(sbom), *nested((sbom.get("metadata") or {}).get("component"))]
    found = []
    while todo:
        c = todo.pop(0)
        if isinstance(c, dict):
            found.append(c)
            todo += nested(c)
    return found


def cyclonedx_purl_problems(sbom: dict[str, Any]) -> list[str]:
    """``purl_problem`` of each component (and the described one) that has a purl."""
    root = (sbom.get("metadata") or {}).get("component") or {}
    found = []
    for c in [*cyclonedx_components(sbom), root]:
        if isinstance(c, dict) and c.get("name") and c.get("purl"):
            version = None if c.get("version") is None else str(c["version"])
            if why := purl_problem(str(c["name"]), version, str(c["purl"])):
                found.append(why)
    return sorted(found)


#: Why a package listed without a purl is not covered (``SbomCheck.no_purl``).
NO_PURL = "its purl is what scanners match vulnerabilities on: none is matched to a package listed without one"


def cyclonedx_without_purl(sbom: dict[str, Any]) -> list[str]:
    """``name version`` of each component that carries no purl. The described component aside: an environment's
    is the project itself (``cyclonedx-py environment --pyproject`` gives it none), the release's own code."""
    return sorted(
        f"{c['name']} {c.get('version') or '(no version)'}"
        for c in cyclonedx_components(sbom)
        if c.get("name") and not str(c.get("purl") or "").strip()
    )


def cyclonedx_versions(sbom: dict[str, Any]) -> dict[str, set[str]]:
    """Normalised name -> the versions a CycloneDX document lists it at (components and the described one);
    an empty set for a name listed with no version."""
    root = (sbom.get("metadata") or {}).get("component") or {}
    found: dict[str, set[str]] = {}
    for c in [*cyclonedx_components(sbom), root]:
        if isinstance(c, dict) and c.get("name"):
            versions = found.setdefault(normalise(str(c["name"])), set())
            if c.get("version") is not None and str(c["version"]).strip():
                versions.add(str(c["version"]))
    return found


def sbom_coverage(sbom: dict[str, Any], installed: list[str]) -> tuple[float, list[str]]:
    """Fraction of installed distributions the SBOM lists (the described project counts as listed)."""
    listed = {normalise(str(c.get("name", ""))) for c in cyclonedx_components(sbom)}
    root = (sbom.get("metadata") or {}).get("component") or {}
    if root.get("name"):
        listed.add(normalise(str(root["name"])))
    wanted = sorted({normalise(n) for n in installed})
    missing = [n for n in wanted if n not in listed]
    return (1.0 - len(missing) / len(wanted)) if wanted else 0.0, missing


def build_wheel(root: Path, out_dir: Path, nice: int = 0) -> Path:
    """The project's wheel, built from a copy of pyproject.toml, README.md and lakehouse/."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lakehouse-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md"):
            shutil.copy2(root / name, src / name)
        shutil.copytree(root / "lakehouse", src / "lakehouse", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out_dir), str(src)]
        proc = subprocess.run(niced(argv, nice), capture_output=True, text=True, timeout=TOOL_DEADLINE_S)
    wheels = sorted(out_dir.glob("*.whl"))
    if proc.returncode != 0 or not wheels:
        raise ReleaseBuildError(f"pip wheel exited with {proc.returncode}: {_tail(proc)}")
    return wheels[-1]


def wheel_cyclonedx(wheel: WheelContents, out: Path) -> Path:
    """CycloneDX 1.6 JSON of the wheel: it (with its SHA-256) depends on each package of its closure."""
    bom = Bom()

    def component(dist: Distribution) -> Component:
        purl = PackageURL(type="pypi", name=dist.key, version=dist.version)
        return Component(
            name=dist.name, version=dist.version, type=ComponentType.LIBRARY, purl=purl, bom_ref=purl.to_string()
        )

    root = component(wheel.root)
    root.hashes.add(HashType(alg=HashAlgorithm.SHA_256, content=wheel.sha256))  # which wheel: its bytes
    bom.metadata.component = root
    deps = [component(d) for d in wheel.dependencies if d.key != wheel.root.key]
    for dep in deps:
        bom.components.add(dep)
    bom.register_dependency(root, deps)
    text = JsonV1Dot6(bom).output_as_string(indent=2)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out


@dataclass
class SbomCheck:
    """One SBOM file as read back: what it describes, the packages it lacks, why it is not valid."""

    sbom: str
    format: str
    describes: str
    packages: int
    expected: int
    missing: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    #: Packages listed, but never at the version installed (``name (lists X, installed Y)``).
    wrong_version: list[str] = field(default_factory=list)
    #: Packages whose purl (what scanners match on) is another package or version than the one listed.
    wrong_purl: list[str] = field(default_factory=list)
    #: Packages listed (the described one aside) with no purl at all: ``name version`` (``NO_PURL``).
    no_purl: list[str] = field(default_factory=list)
    #: Packages listed that the release does not have (not installed; not in the wheel's closure).
    unexpected: list[str] = field(default_factory=list)
    #: The SHA-256 digests the SBOM records for what it describes (the wheel's file), lower-case hex.
    subject_sha256: list[str] = field(default_factory=list)
    #: The package the SBOM describes (normalised name) and its version, as the file says.
    subject: str | None = None
    subject_version: str | None = None
    #: Code what it describes ships that no distribution's metadata claims, so it cannot list it
    #: (``lakehouse.kpi.unclaimed``): ``path (why)`` or a path, a directory ending in /.
    unlisted_code: list[str] = field(default_factory=list)


def unexpected_packages(listed: set[str], root: str | None, expected: Expected) -> list[str]:
    """Normalised names listed but not expected, the described root aside (an environment SBOM's is the project).

    Listing more is not harmless: an SBOM of another wheel, or of a fatter environment, names packages
    the release does not ship, and a scanner's findings on them are about something else.
    """
    wanted = set(expected_versions(expected))
    return sorted(n for n in listed if n not in wanted and n != root)


def cyclonedx_subject(sbom: dict[str, Any]) -> tuple[str | None, list[str]]:
    """The described component's normalised name and its SHA-256 hashes (``metadata.component.hashes``)."""
    root = (sbom.get("metadata") or {}).get("component") or {}
    if not isinstance(root, dict):
        return None, []
    hashes = [
        str(h.get("content", "")).lower()
        for h in root.get("hashes") or []
        if isinstance(h, dict) and str(h.get("alg", "")).upper() == "SHA-256"
    ]
    return (normalise(str(root["name"])) if root.get("name") else None), hashes


def check_cyclonedx(path: Path, name: str, describes: str, expected: Expected) -> SbomCheck:
    """Read the file back with cyclonedx-python-lib's model (1.6 JSON) and list the expected packages it lacks.

    The model, not the JSON schema: jsonschema takes ~45 s on the environment's SBOM (its SPDX
    licence enumerations), the model ~0.4 s and refuses the same wrong types and enumerations.
    """
    check = SbomCheck(name, CYCLONEDX, describes, 0, len(expected_versions(expected)))
    try:
        sbom = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        check.invalid.append(f"not readable as JSON: {err}")
        check.missing = sorted(expected_versions(expected))
        return check
    if not isinstance(sbom, dict) or (sbom.get("bomFormat"), sbom.get("specVersion")) != ("CycloneDX", "1.6"):
        head = (sbom.get("bomFormat"), sbom.get("specVersion")) if isinstance(sbom, dict) else type(sbom).__name__
        check.invalid.append(f"not a CycloneDX 1.6 document ({head})")
        sbom = sbom if isinstance(sbom, dict) else {}
    else:
        try:
            Bom.from_json(sbom)  # type: ignore[attr-defined]
        except (ValueError, TypeError, KeyError) as err:
            check.invalid.append(f"not valid CycloneDX 1.6: {str(err)[:300]}")
    check.packages = len(cyclonedx_components(sbom))
    check.missing = sbom_coverage(sbom, list(expected_versions(expected)))[1]
    check.wrong_version = wrong_versions(cyclonedx_versions(sbom), expected)
    check.wrong_purl = cyclonedx_purl_problems(sbom)
    check.no_purl = cyclonedx_without_purl(sbom)
    root, check.subject_sha256 = cyclonedx_subject(sbom)
    described = (sbom.get("metadata") or {}).get("component")
    check.subject = root
    if isinstance(described, dict) and described.get("version") is not None:
        check.subject_version = str(described["version"])
    listed = {normalise(str(c["name"])) for c in cyclonedx_components(sbom) if c.get("name")}
    check.unexpected = unexpected_packages(listed, root, expected)
    return check


def judge_release(
    signatures: list[SignatureCheck],
    sboms: list[SbomCheck],
    signer: str,
    required: tuple[str, str],
    manifest: ReleaseManifest | None = None,
) -> Outcome:
    """Pass when every artifact's signature meets the required trust and every SBOM is valid and complete.

    ``manifest`` (what this run built; ``finish_release`` always gives it): the coverage is over all of
    it, an artifact without a signature check counting as unsigned, and the wheel's SBOMs and signature
    must be about the wheel's bytes.
    """
    level, level_from = required
    meeting = sum(meets(c, level) for c in signatures)
    valid = sum(c.valid for c in signatures)
    trusted = sum(c.trusted for c in signatures)
    total = len(signatures) + (len(unsigned(manifest, signatures)) + len(manifest.strays) if manifest else 0)

    def pct(n: int) -> float:
        return round(100 * n / total, 2) if total else 0.0

    details: dict[str, Any] = {
        "unit": f"% of release artifacts whose signature is valid at the required trust ({level})",
        "required_trust": level,
        "required_trust_from": level_from,
        "signer": signer,
        "signatures": [vars(c) for c in signatures],
        "trust_kinds": {c.artifact: c.trust for c in signatures},
        "signature_coverage_pct": pct(valid),
        "trusted_signature_coverage_pct": pct(trusted),
        "sboms": [vars(s) for s in sboms],
        "sbom_formats": sorted({s.format for s in sboms}),
        "spdx_tool": SYFT_NOTE,
    }
    if any(c.trust == RUN_MADE_KEY for c in signatures):
        details["trust_note"] = INTEGRITY_ONLY
    problems = []
    if manifest is not None:
        details["release"] = manifest.to_dict()
        problems += manifest_problems(manifest, signatures, sboms, REQUIRED_SBOMS)
    if not signatures:
        problems.append("no release artifact was signed")
    for c in signatures:
        if not c.valid:
            problems.append(f"{c.artifact}: {c.why_not}")
        elif not meets(c, level):
            problems.append(f"{c.artifact}: its signature gives {c.trust}, not the required {level}")
    if not sboms:
        problems.append("no SBOM was made")
    for s in sboms:
        problems += [f"{s.sbom}: {why}" for why in s.invalid]
        if s.missing:
            problems.append(
                f"{s.sbom} ({s.format} of the {s.describes}) lacks {len(s.missing)} package(s): "
                + ", ".join(s.missing[:8])
            )
        if s.wrong_version:
            problems.append(
                f"{s.sbom} ({s.format} of the {s.describes}) lists {len(s.wrong_version)} package(s) at a version "
                "that is not the one installed: " + ", ".join(s.wrong_version[:8])
            )
        if s.wrong_purl:
            problems.append(
                f"{s.sbom} ({s.format} of the {s.describes}) gives {len(s.wrong_purl)} package(s) a purl, what "
                "scanners match on, of another package or version: " + ", ".join(s.wrong_purl[:8])
            )
        if s.no_purl:
            problems.append(
                f"{s.sbom} ({s.format} of the {s.describes}) lists {len(s.no_purl)} package(s) without a purl "
                f"({NO_PURL}): " + ", ".join(s.no_purl[:8])
            )
        if s.unlisted_code:
            problems.append(
                f"{s.sbom} ({s.format} of the {s.describes}) cannot list {len(s.unlisted_code)} piece(s) of code the "
                f"{s.describes} ships without a distribution's metadata (a copied package, no .dist-info claims it): "
                + ", ".join(s.unlisted_code[:8])
            )
        if s.unexpected:
            absent = "not in its requirement closure" if s.describes == "wheel" else "not installed"
            problems.append(
                f"{s.sbom} ({s.format} of the {s.describes}) lists {len(s.unexpected)} package(s) the {s.describes} "
                f"does not have ({absent}): " + ", ".join(s.unexpected[:8])
            )
    measured = pct(meeting)
    reason = None
    if problems:
        reason = f"coverage at trust {level}: {measured:g} % ({meeting}/{total} artifacts): " + "; ".join(problems)
    return Outcome.judged(not problems, measured, 100.0, reason, details)
