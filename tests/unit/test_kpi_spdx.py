"""KPI SBOM: SPDX 2.3 documents of the environment and of the wheel (spdx-tools), and the wheel's closure."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

from lakehouse.kpi.sbom import Distribution, ReleaseBuildError, check_cyclonedx, wheel_contents, wheel_cyclonedx
from lakehouse.kpi.spdx import check_spdx, environment_document, read_spdx, wheel_document, write_spdx

INSTALLED = [
    Distribution("boto3", "1.44.5", ("botocore==1.44.5", "s3transfer>=0.19")),
    Distribution("botocore", "1.44.5", ("urllib3>=2", "awscrt; extra == 'crt'")),
    Distribution("s3transfer", "0.19.3", ()),
    Distribution("urllib3", "2.8.0", ()),
    Distribution("moto", "5.2.5", ("boto3", "PyYAML; extra == 's3'", "docker; extra == 'awslambda'")),
    Distribution("PyYAML", "6.0.3", ()),
    Distribution("docker", "7.2.0", ()),
    Distribution("ruff", "0.17.6", ()),
    Distribution("lakehouse-code", "0.1.0", ()),
]


def _wheel(tmp_path: Path, *requires: str) -> Path:
    path = tmp_path / "lakehouse_code-0.1.0-py3-none-any.whl"
    lines = [
        "Metadata-Version: 2.1",
        "Name: lakehouse-code",
        "Version: 0.1.0",
        *(f"Requires-Dist: {r}" for r in requires),
    ]
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("lakehouse_code-0.1.0.dist-info/METADATA", "\n".join(lines) + "\n")
    return path


def test_the_environment_document_lists_every_distribution_and_validates(tmp_path: Path) -> None:
    doc = environment_document(INSTALLED[-1], INSTALLED)
    out = write_spdx(doc, tmp_path / "env.spdx.json")
    data = json.loads(out.read_text())
    assert data["spdxVersion"] == "SPDX-2.3" and data["dataLicense"] == "CC0-1.0"
    purls = {p["name"]: p["externalRefs"][0]["referenceLocator"] for p in data["packages"]}
    assert purls["PyYAML"] == "pkg:pypi/pyyaml@6.0.3" and len(purls) == len(INSTALLED)
    check = check_spdx(out, "env.spdx.json", "environment", [d.name for d in INSTALLED])
    assert check.invalid == [] and check.missing == [] and check.packages == len(INSTALLED)


def test_a_package_missing_from_the_spdx_file_is_named(tmp_path: Path) -> None:
    out = write_spdx(environment_document(INSTALLED[-1], INSTALLED[:-2] + INSTALLED[-1:]), tmp_path / "env.spdx.json")
    check = check_spdx(out, "env.spdx.json", "environment", [d.name for d in INSTALLED])
    assert check.missing == ["ruff"] and check.invalid == []


def test_an_invalid_or_foreign_spdx_file_is_named(tmp_path: Path) -> None:
    out = write_spdx(environment_document(INSTALLED[-1], INSTALLED), tmp_path / "env.spdx.json")
    data = json.loads(out.read_text())
    data["relationships"] = [r for r in data["relationships"] if r["relationshipType"] != "DESCRIBES"]
    data["documentDescribes"] = []
    data["packages"][2]["SPDXID"] = data["packages"][1]["SPDXID"]  # a duplicate id
    out.write_text(json.dumps(data))
    problems = read_spdx(out).problems
    assert any("DESCRIBES" in p for p in problems) and any("unique" in p or "duplicated" in p for p in problems)
    data["spdxVersion"] = "SPDX-2.2"
    out.write_text(json.dumps(data))
    assert "spdxVersion is SPDX-2.2, not SPDX-2.3" in read_spdx(out).problems[0]
    out.write_text('{"spdxVersion": "SPDX-2.3"}')
    back = check_spdx(out, "env.spdx.json", "environment", ["boto3"])
    assert "not parseable as SPDX" in back.invalid[0] and back.missing == ["boto3"]


def test_the_wheel_closure_follows_extras_and_markers_and_names_what_is_not_installed(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, "boto3==1.44.5", "moto[s3]==5.2.5", "duckdb==1.5.5", "pytest; extra == 'dev'")
    contents = wheel_contents(wheel, INSTALLED)
    names = [d.name for d in contents.dependencies]
    # moto[s3] brings PyYAML, not docker (awslambda) nor awscrt (crt); ruff and the dev extra are not runtime.
    assert names == ["boto3", "botocore", "moto", "PyYAML", "s3transfer", "urllib3"]
    assert contents.unresolved == ["duckdb==1.5.5 (not installed)"] and contents.unresolved_names == ["duckdb"]
    out = write_spdx(wheel_document(contents), tmp_path / "wheel.spdx.json")
    data = json.loads(out.read_text())
    root = data["packages"][0]
    assert root["name"] == "lakehouse-code" and root["checksums"][0]["algorithm"] == "SHA256"
    assert {r["relationshipType"] for r in data["relationships"]} == {"DESCRIBES", "DEPENDS_ON"}
    expected = [contents.root.name, *names, *contents.unresolved_names]
    assert check_spdx(out, "wheel.spdx.json", "wheel", expected).missing == ["duckdb"]
    cdx = check_cyclonedx(wheel_cyclonedx(contents, tmp_path / "wheel.cdx.json"), "wheel.cdx.json", "wheel", expected)
    assert cdx.missing == ["duckdb"] and cdx.invalid == [] and cdx.packages == len(names)


def test_a_requirement_the_installed_version_does_not_satisfy_is_named(tmp_path: Path) -> None:
    contents = wheel_contents(_wheel(tmp_path, "urllib3<2"), INSTALLED)
    assert contents.unresolved == ["urllib3<2 (installed urllib3 2.8.0 does not satisfy it)"]


def test_a_wheel_without_metadata_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("x/__init__.py", "")
    with pytest.raises(ReleaseBuildError, match="x.whl has no .dist-info/METADATA"):
        wheel_contents(path, INSTALLED)


def test_an_invalid_document_is_not_written(tmp_path: Path) -> None:
    doc = environment_document(INSTALLED[-1], INSTALLED)
    doc.creation_info.document_namespace = "not a uri"
    with pytest.raises(ReleaseBuildError, match="env.spdx.json: invalid SPDX: .*document_namespace"):
        write_spdx(doc, tmp_path / "env.spdx.json")
    assert not (tmp_path / "env.spdx.json").exists()


def test_this_environment_in_spdx_is_complete_and_valid(tmp_path: Path) -> None:
    from lakehouse.kpi.sbom import read_distributions

    installed = read_distributions(Path(sys.executable))
    project = next(d for d in installed if d.key == "lakehouse-code")
    out = write_spdx(environment_document(project, installed), tmp_path / "env.spdx.json")
    check = check_spdx(out, "env.spdx.json", "environment", {d.name: d.version for d in installed})
    assert check.invalid == [] and check.missing == [] and check.wrong_version == [] and check.unexpected == []
    assert check.packages == len(installed)
