"""SPDX 2.3 JSON SBOMs of the environment and of the wheel, built with spdx-tools' model and writer.

Syft (the plan's SPDX tool) is not installable here (no PyPI or Debian package), so the documents
are made from what the environment's own interpreter reports (``importlib.metadata``): every
installed distribution for the environment, and for the wheel its own package plus the closure of
its declared ``Requires-Dist`` (markers and extras evaluated) resolved to the installed versions.
spdx-tools validates each document before it is written; the KPI reads the file back, parses and
validates it again, so what is judged is the file on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from spdx_tools.spdx.model import (
    Actor,
    ActorType,
    Checksum,
    ChecksumAlgorithm,
    CreationInfo,
    Document,
    ExternalPackageRef,
    ExternalPackageRefCategory,
    Package,
    Relationship,
    RelationshipType,
    SpdxNoAssertion,
)
from spdx_tools.spdx.parser.error import SPDXParsingError
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
from spdx_tools.spdx.writer.json.json_writer import write_document_to_file

from lakehouse.kpi.sbom import (
    SPDX,
    Distribution,
    Expected,
    ReleaseBuildError,
    SbomCheck,
    WheelContents,
    expected_versions,
    normalise,
    purl_problem,
    unexpected_packages,
    wrong_versions,
)

SPDX_VERSION = "SPDX-2.3"
TOOL = "lakehouse-code-kpi-sbom (spdx-tools 0.8.5)"


def _spdx_id(dist: Distribution) -> str:
    """SPDXRef-Package-<name>-<version>, reduced to the letters, digits, '.' and '-' SPDX ids allow."""
    raw = f"{dist.key}-{dist.version}"
    return "SPDXRef-Package-" + "".join(c if c.isalnum() or c in ".-" else "-" for c in raw)


def _package(dist: Distribution, **extra: object) -> Package:
    """A package as pip knows it: name, version, its purl; licences and origin left NOASSERTION."""
    return Package(
        spdx_id=_spdx_id(dist),
        name=dist.name,
        download_location=SpdxNoAssertion(),
        version=dist.version,
        files_analyzed=False,
        license_concluded=SpdxNoAssertion(),
        license_declared=SpdxNoAssertion(),
        copyright_text=SpdxNoAssertion(),
        external_references=[ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER, "purl", dist.purl)],
        **extra,  # type: ignore[arg-type]
    )


def _document(name: str, root: Package, others: list[Package], relation: RelationshipType) -> Document:
    created = datetime.now(UTC).replace(microsecond=0)
    info = CreationInfo(
        spdx_version=SPDX_VERSION,
        spdx_id="SPDXRef-DOCUMENT",
        name=name,
        document_namespace=f"https://lakehouse-code.invalid/spdx/{name}-{created:%Y%m%dT%H%M%SZ}",
        creators=[Actor(ActorType.TOOL, TOOL)],
        created=created,
    )
    relationships = [Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, root.spdx_id)]
    relationships += [Relationship(root.spdx_id, relation, p.spdx_id) for p in others]
    return Document(info, packages=[root, *others], relationships=relationships)


def environment_document(project: Distribution, installed: list[Distribution]) -> Document:
    """The environment: the project's package CONTAINS every other installed distribution."""
    others = [_package(d) for d in installed if d.key != project.key]
    return _document(f"{project.key}-environment", _package(project), others, RelationshipType.CONTAINS)


def wheel_document(wheel: WheelContents) -> Document:
    """The wheel (with its SHA-256) DEPENDS_ON each installed distribution of its requirement closure."""
    root = _package(
        wheel.root,
        file_name=wheel.file_name,
        checksums=[Checksum(ChecksumAlgorithm.SHA256, wheel.sha256)],
    )
    others = [_package(d) for d in wheel.dependencies if d.key != wheel.root.key]
    return _document(f"{wheel.root.key}-wheel", root, others, RelationshipType.DEPENDS_ON)


def write_spdx(document: Document, out: Path) -> Path:
    """Validate with spdx-tools and write its JSON; an invalid document is refused with the messages."""
    problems = validate_full_spdx_document(document, SPDX_VERSION)
    if problems:
        raise ReleaseBuildError(f"{out.name}: invalid SPDX: " + "; ".join(m.validation_message for m in problems[:5]))
    out.parent.mkdir(parents=True, exist_ok=True)
    write_document_to_file(document, str(out), validate=False)
    return out


@dataclass
class SpdxReadBack:
    """An SPDX file as read back from disk: package names, and why it is not a valid SPDX 2.3 document."""

    packages: list[str]
    problems: list[str]
    #: Normalised name -> the versions the file lists it at (empty: listed without a version).
    versions: dict[str, set[str]] = field(default_factory=dict)
    #: The normalised name of the package the document DESCRIBES, and that package's SHA-256 checksums.
    described: str | None = None
    subject_sha256: list[str] = field(default_factory=list)
    described_version: str | None = None
    #: ``purl_problem`` of each package's purl external reference.
    wrong_purl: list[str] = field(default_factory=list)
    #: ``name version`` of each package but the described one with no purl external reference (``NO_PURL``).
    no_purl: list[str] = field(default_factory=list)


def read_spdx(path: Path) -> SpdxReadBack:
    """Parse and validate the file itself (spdx-tools' parser and validator); problems name what is wrong."""
    try:
        document = parse_file(str(path))
    except SPDXParsingError as err:
        return SpdxReadBack([], [f"not parseable as SPDX: {'; '.join(err.get_messages()[:5])}"])
    except (OSError, ValueError) as err:
        return SpdxReadBack([], [f"not readable: {err}"])
    messages = [m.validation_message for m in validate_full_spdx_document(document, SPDX_VERSION)]
    if document.creation_info.spdx_version != SPDX_VERSION:
        messages.insert(0, f"spdxVersion is {document.creation_info.spdx_version}, not {SPDX_VERSION}")
    versions: dict[str, set[str]] = {}
    for p in document.packages:  # a package with no versionInfo: an empty set (listed, at no version)
        listed_at = versions.setdefault(normalise(p.name), set())
        if p.version is not None and str(p.version).strip():
            listed_at.add(str(p.version))
    ids = {
        r.related_spdx_element_id
        for r in document.relationships
        if r.spdx_element_id == "SPDXRef-DOCUMENT" and r.relationship_type == RelationshipType.DESCRIBES
    }
    described = [p for p in document.packages if p.spdx_id in ids]
    sha = [c.value.lower() for p in described for c in p.checksums if c.algorithm == ChecksumAlgorithm.SHA256]
    root = normalise(described[0].name) if len(described) == 1 else None
    version = str(described[0].version) if len(described) == 1 and described[0].version is not None else None
    purls = sorted(
        why
        for p in document.packages
        for ref in p.external_references
        if ref.reference_type == "purl"
        and (why := purl_problem(p.name, None if p.version is None else str(p.version), ref.locator))
    )
    no_purl = sorted(
        f"{p.name} {p.version or '(no version)'}"
        for p in document.packages
        if p.spdx_id not in ids and not any(ref.reference_type == "purl" for ref in p.external_references)
    )
    return SpdxReadBack([p.name for p in document.packages], messages, versions, root, sha, version, purls, no_purl)


def check_spdx(path: Path, name: str, describes: str, expected: Expected) -> SbomCheck:
    """The SPDX file read back: spdx-tools' validation problems, the expected packages it lacks or misversions."""
    back = read_spdx(path)
    listed = {normalise(n) for n in back.packages}
    wanted = sorted(expected_versions(expected))
    missing = [n for n in wanted if n not in listed]
    wrong = wrong_versions(back.versions, expected)
    check = SbomCheck(name, SPDX, describes, len(back.packages), len(wanted), missing, back.problems, wrong)
    check.unexpected = unexpected_packages(listed, back.described, expected)
    check.wrong_purl = back.wrong_purl
    check.no_purl = back.no_purl
    check.subject_sha256 = back.subject_sha256
    check.subject, check.subject_version = back.described, back.described_version
    return check
