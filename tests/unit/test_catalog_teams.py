"""@STACK-catalog: the catalog's owners are the plan's teams, the ones CODEOWNERS names for the owned directories.

The check asked only that an owner be a Group the catalog defines: a made-up Group (one CODEOWNERS names nowhere,
or naming no team at all) owned Components and passed, and so did a real team owning a Component whose directory
CODEOWNERS gives to another. The broken catalogs: the repository's catalog-info.yaml with one such change, judged
with the repository's .github/CODEOWNERS; the healthy twin: the repository's own catalog and CODEOWNERS.
"""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

from lakehouse.catalog.model import CATALOG_FILE, load_catalog
from lakehouse.checks.catalog import CatalogReadback, verdict
from lakehouse.config import project_root

ROOT = project_root()
PIPELINE = "url:https://github.com/lakehouse-org/lakehouse-code/tree/main/pipeline/"
#: How the pipeline Component is named, with its line.
PIPE = "component:default/lakehouse-pipeline (line {})"
NOBODY = """---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: nobody
  description: A team the plan does not have.
{annotations}spec:
  type: team
  children: []
"""


def _repository(tmp_path: Path, *edits: tuple[str, str], extra: str = "", codeowners: bool = True) -> Path:
    """A copy of the repository's catalog-info.yaml with ``edits`` (each a text found once, and its replacement) and
    ``extra`` documents, beside a copy of its .github/CODEOWNERS (``codeowners``) and its directories' names."""
    text = (ROOT / CATALOG_FILE).read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (tmp_path / CATALOG_FILE).write_text(text + extra, encoding="utf-8")
    if codeowners:
        (tmp_path / ".github").mkdir()
        shutil.copy(ROOT / ".github" / "CODEOWNERS", tmp_path / ".github" / "CODEOWNERS")
    for directory in ("pipeline", "lakehouse", "infra"):
        (tmp_path / directory).mkdir()
    return tmp_path / CATALOG_FILE


def _ownership(catalog: Path) -> list[str]:
    """The ownership part of the verdict on ``catalog``, its repository's CODEOWNERS read as the check reads it
    (main's check reads none: every broken case below passed there)."""
    read = CatalogReadback(load_catalog(catalog))
    try:
        teams = importlib.import_module("lakehouse.catalog.teams")
    except ModuleNotFoundError:
        teams = None
    if teams is not None:
        read.codeowners = teams.read_codeowners(catalog.parent)
    return list(verdict(read).details["problems"]["ownership"])


def _line(catalog: Path, name: str) -> int:
    """The line ``name``'s document starts at in ``catalog``."""
    return next(e.line for e in load_catalog(catalog) if e.name == name)


def _owner(component: str, group: str) -> tuple[str, str]:
    """The edit giving ``component`` (lakehouse-infra or lakehouse-pipeline) to ``group``."""
    if component == "lakehouse-infra":
        old = "  type: infrastructure\n  lifecycle: production\n  owner: group:default/infra-owners\n"
        return old, old.replace("infra-owners", group)
    old = "  type: pipeline\n  lifecycle: production\n  owner: group:default/data-owners\n"
    return old, old.replace("data-owners", group)


def test_the_repositorys_catalog_is_owned_by_the_teams_of_its_codeowners() -> None:
    """The healthy twin: the repository's own catalog-info.yaml and .github/CODEOWNERS."""
    assert _ownership(ROOT / CATALOG_FILE) == []


def test_a_made_up_group_codeowners_does_not_name_fails(tmp_path: Path) -> None:
    annotations = "  annotations:\n    github.com/team-slug: lakehouse-org/nobody\n"
    catalog = _repository(tmp_path, _owner("lakehouse-infra", "nobody"), extra=NOBODY.format(annotations=annotations))
    assert _ownership(catalog) == [
        f"group:default/nobody (line {_line(catalog, 'nobody')})"
        f" is GitHub team @lakehouse-org/nobody, which .github/CODEOWNERS names "
        "nowhere (it names @lakehouse-org/data-owners @lakehouse-org/infra-owners): no team of the plan reviews "
        "what it owns",
        f"component:default/lakehouse-infra (line {_line(catalog, 'lakehouse-infra')})"
        f" is owned by group:default/nobody (@lakehouse-org/nobody), but "
        ".github/CODEOWNERS line 4 `/infra/` gives infra/ to @lakehouse-org/infra-owners",
    ]


def test_a_group_naming_no_team_fails(tmp_path: Path) -> None:
    catalog = _repository(tmp_path, _owner("lakehouse-infra", "nobody"), extra=NOBODY.format(annotations=""))
    assert _ownership(catalog) == [
        f"group:default/nobody (line {_line(catalog, 'nobody')})"
        f" names no GitHub team (annotation github.com/team-slug: <org>/<team>), so it "
        "is no team of .github/CODEOWNERS"
    ]


def test_a_team_owning_a_component_whose_directory_codeowners_gives_another_fails(tmp_path: Path) -> None:
    catalog = _repository(tmp_path, _owner("lakehouse-pipeline", "infra-owners"))
    assert _ownership(catalog) == [
        PIPE.format(_line(catalog, "lakehouse-pipeline")) + " is owned by group:default/infra-owners "
        "(@lakehouse-org/infra-owners), but .github/CODEOWNERS line 5 `/pipeline/` gives pipeline/ to "
        "@lakehouse-org/data-owners"
    ]


@pytest.mark.parametrize(
    ("location", "why"),
    [
        ("", "names no directory of the repository (backstage.io/source-location: url:https://<host>/<org>/<repo>/"
         "tree/<ref>/<path>/), so whether its owner reviews it cannot be told"),
        (PIPELINE.replace("pipeline", "pipelines"),
         "names directory pipelines/ (backstage.io/source-location), which the repository does not have"),
    ],
)  # fmt: skip
def test_a_component_naming_no_directory_of_the_repository_fails(tmp_path: Path, location: str, why: str) -> None:
    line = f"    backstage.io/source-location: {PIPELINE}\n"
    catalog = _repository(tmp_path, (line, line.replace(PIPELINE, location) if location else ""))
    if not location:  # the annotations map left empty
        catalog.write_text(catalog.read_text(encoding="utf-8").replace("  annotations:\nspec:", "spec:"), "utf-8")
    assert _ownership(catalog) == [PIPE.format(_line(catalog, "lakehouse-pipeline")) + f" {why}"]


def test_a_repository_without_codeowners_ties_the_groups_to_no_team(tmp_path: Path) -> None:
    assert _ownership(_repository(tmp_path, codeowners=False)) == [
        "the repository has no CODEOWNERS (.github/CODEOWNERS, CODEOWNERS, docs/CODEOWNERS): the catalog's Groups "
        "are tied to no team of the plan"
    ]


def test_a_component_whose_directory_codeowners_gives_no_owner_fails(tmp_path: Path) -> None:
    catalog = _repository(tmp_path)
    codeowners = tmp_path / ".github" / "CODEOWNERS"
    codeowners.write_text(codeowners.read_text(encoding="utf-8") + "/pipeline/\n", encoding="utf-8")
    assert _ownership(catalog) == [
        PIPE.format(_line(catalog, "lakehouse-pipeline")) + " is owned by group:default/data-owners "
        "(@lakehouse-org/data-owners), but .github/CODEOWNERS gives pipeline/ no owner (line 11 `/pipeline/` names "
        "none): its changes need no approval of its team"
    ]
