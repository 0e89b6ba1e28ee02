"""KPI SBOM under attack: a wheel that carries another distribution inside it.

The broken release: the package vendors ``six`` (``lakehouse/_vendor/six-1.16.0.dist-info`` and its code),
so the built wheel holds two ``.dist-info/METADATA`` files, the vendored one written first. The release
read the first one as the wheel's: both wheel SBOMs described ``six 1.16.0`` with the wheel's digest and
six's closure, lakehouse-code and its requirement duckdb were in neither, and the KPI passed at 100 %.
Now the wheel's own METADATA is the one its file name names (PEP 427), and every distribution it vendors
is part of what its SBOMs must list, at the version shipped.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

import lakehouse.kpi.release as release_module
from lakehouse.evidence import ArtifactStore
from lakehouse.kpi.release import PreparedRelease, finish_release, prepare_release
from lakehouse.kpi.sbom import CYCLONEDX, Distribution, ReleaseBuildError, wheel_contents
from tests.unit.test_kpi_release import ROOT, fast_builds  # noqa: F401  (fast_builds is a fixture)

DIR = "kpi-lh-test/release"
WHEEL = "lakehouse_code-0.1.0-py3-none-any.whl"
OWN = "Metadata-Version: 2.1\nName: lakehouse-code\nVersion: 0.1.0\nRequires-Dist: duckdb==1.5.5\n"
SIX = "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n"


def _wheel(out_dir: Path, members: list[tuple[str, str]], name: str = WHEEL) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / name
    with zipfile.ZipFile(path, "w") as zf:
        for member, text in members:  # fixed dates: the same bytes each build
            zf.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), text)
    return path


#: The code first and the wheel's own .dist-info last, as setuptools writes a wheel.
VENDORING = [
    ("lakehouse/__init__.py", ""),
    ("lakehouse/_vendor/six.py", "# six\n"),
    ("lakehouse/_vendor/six-1.16.0.dist-info/METADATA", SIX),
    ("lakehouse_code-0.1.0.dist-info/METADATA", OWN),
]


@pytest.fixture
def vendoring_wheel(fast_builds: list[int], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(release_module, "build_wheel", lambda root, out_dir, nice=0: _wheel(out_dir, VENDORING))


def _prepared(tmp_path: Path) -> PreparedRelease:
    return prepare_release(ROOT, ArtifactStore(tmp_path / "reports"), DIR)


@pytest.mark.usefixtures("vendoring_wheel")
def test_the_wheel_sboms_describe_the_wheels_own_package_and_list_what_it_vendors(tmp_path: Path) -> None:
    prepared = _prepared(tmp_path)
    assert (prepared.wheel.package, prepared.wheel.version) == ("lakehouse-code", "0.1.0"), "described as six"
    cdx = json.loads((prepared.store.root / DIR / "sbom-wheel.cdx.json").read_text(encoding="utf-8"))
    assert cdx["metadata"]["component"]["name"] == "lakehouse-code"
    assert sorted((c["name"], c["version"]) for c in cdx["components"]) == [("duckdb", "1.5.5"), ("six", "1.16.0")]
    result = finish_release(prepared, None).result
    assert result.passed, result.reason  # covered: its own package, its requirement and what it vendors


@pytest.mark.usefixtures("vendoring_wheel")
def test_a_wheel_sbom_leaving_out_the_vendored_distribution_fails_naming_it(tmp_path: Path) -> None:
    """The wheel SBOM of a generator that reads only Requires-Dist: six is in the wheel's bytes, not in it."""
    prepared = _prepared(tmp_path)
    path = prepared.store.root / DIR / "sbom-wheel.cdx.json"
    sbom = json.loads(path.read_text(encoding="utf-8"))
    sbom["components"] = [c for c in sbom["components"] if c["name"] != "six"]
    sbom["dependencies"] = [
        {"ref": d["ref"], "dependsOn": [x for x in d.get("dependsOn", []) if "six" not in x]}
        for d in sbom.get("dependencies", [])
        if "six" not in d["ref"]
    ]
    path.write_text(json.dumps(sbom), encoding="utf-8")
    prepared.signer.sign(path)
    result = finish_release(prepared, None).result
    assert not result.passed
    assert f"{DIR}/sbom-wheel.cdx.json ({CYCLONEDX} of the wheel) lacks 1 package(s): six" in str(result.reason)


def test_the_wheels_own_metadata_is_the_one_its_file_name_names(tmp_path: Path) -> None:
    contents = wheel_contents(_wheel(tmp_path, VENDORING), [Distribution("duckdb", "1.5.5")])
    assert (contents.root.name, contents.root.version) == ("lakehouse-code", "0.1.0")
    assert contents.vendored == {"lakehouse/_vendor/six-1.16.0.dist-info/METADATA": Distribution("six", "1.16.0")}
    assert [d.name for d in contents.dependencies] == ["duckdb", "six"]


def test_a_wheel_without_the_dist_info_its_name_names_is_refused_naming_what_it_has(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path, VENDORING[:3])  # only the vendored six's METADATA
    with pytest.raises(ReleaseBuildError, match=rf"{WHEEL} has 0 lakehouse-code-0.1.0.dist-info/METADATA .*six-1.16.0"):
        wheel_contents(wheel, [])


def test_a_healthy_wheel_vendors_nothing(tmp_path: Path) -> None:
    contents = wheel_contents(_wheel(tmp_path, [VENDORING[0], VENDORING[3]]), [Distribution("duckdb", "1.5.5")])
    assert (contents.root.key, [d.name for d in contents.dependencies]) == ("lakehouse-code", ["duckdb"])
