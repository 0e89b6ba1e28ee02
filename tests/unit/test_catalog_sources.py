"""@STACK-catalog: the Components' source links name this repository, and a real Backstage's own Locations pass.

Two holes of the last review. A Component's ``backstage.io/source-location`` was read for its directory only, so a
catalog whose Components point at another repository (another owner, another host, a ``github.com/project-slug``
elsewhere) passed. And a real Backstage serves, beside the file's entities, the ``Location`` entity of the location
the file is registered as (``generated-<sha1>``, plugins/catalog-backend/src/util/conversion.ts), which the check
called undefined: a false red on ``aws``. Only that Location passes: one for another repository's catalog (which
brings that catalog's entities in), one a file wrote, one nested under another file, do not. A repository the
harness cannot tell is stated (an error), never passed. The catalog judged is the repository's own, with its
CODEOWNERS and directories; everything but the part under test is healthy.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lakehouse.catalog.model import CATALOG_FILE, served_entity, validate_documents
from lakehouse.catalog.teams import read_codeowners
from lakehouse.checks.catalog import CatalogReadback, Lookup, PauseSchedule, verdict
from lakehouse.config import project_root
from lakehouse.outcome import Outcome, Status

ROOT = project_root()
TEXT = (ROOT / CATALOG_FILE).read_text(encoding="utf-8")
RUNNING = {"Status": "RUNNING", "ServiceArn": "arn:svc", "InstanceConfiguration": {"Memory": "512"}}
PAUSE = PauseSchedule("default/lakehouse-lh-1-catalog-pause", "ENABLED", "rate(1 hour)", "arn:role/p", True)
#: The repository catalog-info.yaml's Components name (this template's placeholder).
HOME = "lakehouse-org/lakehouse-code"
PIPELINE = f"url:https://github.com/{HOME}/tree/main/pipeline/"
#: Where a real Backstage reads the file from when it is registered by URL (app-config or POST /locations).
REGISTERED = f"https://github.com/{HOME}/blob/main/catalog-info.yaml"


def _repository(slug: str | None = HOME, host: str = "github.com") -> Any:
    """The repository the harness knows, built by the module under test (None on main's code: it has none)."""
    try:
        from lakehouse.catalog.repository import Repository
    except ModuleNotFoundError:
        return None
    return None if slug is None else Repository(host, slug, "the test")


def _location(kind: str, target: str, managed_by: str | None = None, name: str | None = None) -> dict[str, Any]:
    """A Location entity as Backstage's locationSpecToLocationEntity makes it (no parent: a registered location)."""
    ref = f"{kind}:{target}"
    digest = hashlib.sha1(ref.encode(), usedforsecurity=False).hexdigest()
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {
            "name": name or f"generated-{digest}",
            "namespace": "default",
            "annotations": {
                "backstage.io/managed-by-location": managed_by or ref,
                "backstage.io/managed-by-origin-location": managed_by or ref,
            },
        },
        "spec": {"type": kind, "target": target},
        "relations": [],
    }


def _verdict(
    *edits: tuple[str, str],
    repository: Any = "home",
    locations: tuple[dict[str, Any], ...] = (),
    read_from: str = f"url:{REGISTERED}",
) -> Outcome:
    """The verdict on the repository's catalog with ``edits``, served as Backstage serves it when registered at
    ``read_from`` (each entity's managed-by annotations), with ``locations`` beside it."""
    text = TEXT
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    entities = validate_documents(str(ROOT / CATALOG_FILE), text)
    read = CatalogReadback(entities, service_name="svc", service=RUNNING, catalog_url="http://c", pauses=[PAUSE])
    read.codeowners = read_codeowners(ROOT)
    read.lookups = [Lookup(e.ref, str(e.spec["type"]), e.name, "read", True) for e in entities if e.kind == "Resource"]
    if hasattr(read, "repository"):
        read.repository = _repository() if repository == "home" else repository
    served = []
    for entity in entities:
        one = served_entity(entity, "x")
        one["metadata"]["annotations"]["backstage.io/managed-by-location"] = read_from
        one["metadata"]["annotations"]["backstage.io/managed-by-origin-location"] = read_from
        served.append(one)
    read.served = served + list(locations)
    return verdict(read)


def _problems(outcome: Outcome, part: str) -> list[str]:
    return list(outcome.details["problems"][part])


# -- source-location / project-slug ------------------------------------------------------------------


def test_the_repositorys_catalog_served_with_backstages_own_location_passes() -> None:
    outcome = _verdict(locations=(_location("url", REGISTERED),))
    assert outcome.status is Status.PASSED, outcome.reason
    assert outcome.details["repository"]["named"] == f"github.com/{HOME}"
    assert outcome.details["unjudged"] == []


def test_the_repository_compares_case_blind_as_github_does() -> None:
    assert _verdict(repository=_repository("Lakehouse-Org/Lakehouse-Code")).status is Status.PASSED


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("url:https://github.com/evil-org/lakehouse-code/tree/main/pipeline/", "github.com/evil-org/lakehouse-code"),
        ("url:https://github.com/lakehouse-org/other-code/blob/main/pipeline/", "github.com/lakehouse-org/other-code"),
        (f"url:https://gitlab.com/{HOME}/tree/main/pipeline/", f"gitlab.com/{HOME}"),
    ],
    ids=["other-owner", "other-name", "other-host"],
)
def test_a_component_whose_source_is_another_repository_fails_naming_both(source: str, names: str) -> None:
    outcome = _verdict((PIPELINE, source))
    assert outcome.status is Status.FAILED
    line = next(e.line for e in validate_documents("c", TEXT) if e.name == "lakehouse-pipeline")
    [problem] = _problems(outcome, "ownership")
    assert problem.startswith(f"component:default/lakehouse-pipeline (line {line}) names source {source!r}")
    assert f"in repository {names}, not this one, github.com/{HOME} (the test)" in problem


def test_a_component_whose_project_slug_is_another_repository_fails() -> None:
    line = f"    backstage.io/source-location: {PIPELINE}\n"
    outcome = _verdict((line, line + "    github.com/project-slug: evil-org/lakehouse-code\n"))
    assert outcome.status is Status.FAILED
    [problem] = _problems(outcome, "ownership")
    assert "names GitHub project 'evil-org/lakehouse-code' (github.com/project-slug)" in problem
    assert _verdict((line, line + f"    github.com/project-slug: {HOME}\n")).status is Status.PASSED


def test_a_source_path_leaving_its_directory_fails() -> None:
    outcome = _verdict((PIPELINE, f"url:https://github.com/{HOME}/tree/main/pipeline/../"))
    assert outcome.status is Status.FAILED
    assert any("a path leaving its own directory" in p for p in _problems(outcome, "ownership"))


def test_a_repository_the_harness_cannot_tell_is_stated_beside_the_verdict() -> None:
    """A checkout with no GitHub origin (a clone of a local copy) and no --github-repo: the rest is judged, and
    the evidence says what was not (the feature's pass condition does not rest on the repository's name)."""
    outcome = _verdict(repository=None)
    assert outcome.status is Status.PASSED, outcome.reason
    [note] = outcome.details["unjudged"]
    assert "which repository this checkout is cannot be told" in note and "--github-repo" in note
    assert "component:default/lakehouse-pipeline" in note
    assert note in outcome.details["notes"]


def test_a_failure_beside_an_unknown_repository_still_fails() -> None:
    owner = "  type: pipeline\n  lifecycle: production\n  owner: group:default/data-owners\n"
    outcome = _verdict((owner, owner.replace("data-owners", "infra-owners")), repository=None)
    assert outcome.status is Status.FAILED
    assert outcome.details["unjudged"]


# -- the Locations a real Backstage serves -------------------------------------------------------------


def test_a_file_registered_location_as_the_local_service_reads_it_passes() -> None:
    path = "/app/catalog-info.yaml"
    outcome = _verdict(read_from=f"file:{path}", locations=(_location("file", path),))
    assert outcome.status is Status.PASSED, outcome.reason


@pytest.mark.parametrize(
    ("location", "why"),
    [
        (
            _location("url", "https://github.com/evil-org/catalog/blob/main/catalog-info.yaml"),
            "entities were read from url:" + REGISTERED,
        ),
        (_location("url", REGISTERED, name="lakehouse-location"), "so this one was written by a catalog file"),
        (
            _location("url", REGISTERED, managed_by="url:https://github.com/evil-org/catalog/blob/main/all.yaml"),
            "no registered location",
        ),
        (
            _location("url", f"https://github.com/{HOME}/blob/main/examples/catalog-info.yaml"),
            "entities were read from",
        ),
    ],
    ids=["another-repositorys-catalog", "named-by-a-file", "nested-under-another-file", "another-file"],
)
def test_a_location_that_is_not_backstages_own_for_this_catalog_fails(location: dict[str, Any], why: str) -> None:
    own = _location("url", REGISTERED)
    beside = () if own["metadata"]["name"] == location["metadata"]["name"] else (own,)  # one entity per name
    outcome = _verdict(locations=(*beside, location))
    assert outcome.status is Status.FAILED
    [problem] = _problems(outcome, "served")
    assert f"serves location:default/{location['metadata']['name']}, which catalog-info.yaml does not define" in problem
    assert why in problem


def test_the_registered_location_of_another_repository_fails_though_the_entities_came_from_it() -> None:
    foreign = "https://github.com/evil-org/lakehouse-code/blob/main/catalog-info.yaml"
    outcome = _verdict(read_from=f"url:{foreign}", locations=(_location("url", foreign),))
    assert outcome.status is Status.FAILED
    [problem] = _problems(outcome, "served")
    assert f"in repository github.com/evil-org/lakehouse-code, not this one, github.com/{HOME}" in problem


def test_a_served_location_with_no_repository_known_is_stated_not_judged() -> None:
    outcome = _verdict(repository=None, locations=(_location("url", REGISTERED),))
    assert outcome.status is Status.PASSED, outcome.reason
    assert any("whether the Location for" in n for n in outcome.details["unjudged"])


# -- which repository the checkout is ------------------------------------------------------------------


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.mark.parametrize(
    "remote",
    [
        f"git@github.com:{HOME}.git",
        f"https://github.com/{HOME}.git",
        f"ssh://git@github.com/{HOME}",
        f"https://github.com/{HOME}",
    ],
)
def test_the_repository_is_the_checkouts_origin_remote(tmp_path: Path, remote: str) -> None:
    from lakehouse.catalog.repository import known_repository

    _git(tmp_path, "init", "-q")
    _git(tmp_path, "remote", "add", "origin", remote)
    found = known_repository(tmp_path, None, {})
    assert found is not None and str(found) == f"github.com/{HOME}"
    assert remote in found.source


def test_the_named_repository_wins_over_the_remote_and_no_remote_is_unknown(tmp_path: Path) -> None:
    from lakehouse.catalog.repository import known_repository

    _git(tmp_path, "init", "-q")
    assert known_repository(tmp_path, None, {}) is None
    _git(tmp_path, "remote", "add", "origin", "git@github.com:someone/fork.git")
    named = known_repository(tmp_path, HOME, {"GITHUB_SERVER_URL": "https://ghe.example.com"})
    assert named is not None and str(named) == f"ghe.example.com/{HOME}"
    assert known_repository(tmp_path / "nothing", None, {}) is None


def test_a_remote_that_names_no_repository_is_unknown() -> None:
    from lakehouse.catalog.repository import from_remote

    assert from_remote("/srv/git/lakehouse.git", "x") is None
    assert from_remote("https://github.com/only-owner", "x") is None
    assert from_remote("file:///srv/git/a/b.git", "x") is None
