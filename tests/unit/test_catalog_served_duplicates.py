"""@STACK-catalog served: an answer listing one entity twice is wrong, and a stale copy anywhere in it fails.

Backstage's catalog holds one entity per kind/namespace/name, so ``GET /api/catalog/entities`` never lists one
twice. On main ``judge_served`` indexed the answer by reference, keeping the last copy: a service answering a
stale copy of an entity followed by a fresh one (or the same entity twice) passed.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from werkzeug.test import Client

from lakehouse.catalog.model import CATALOG_FILE, load_catalog
from lakehouse.catalog.server import create_app
from lakehouse.checks.catalog import judge_served
from lakehouse.config import project_root

CATALOG = project_root() / CATALOG_FILE
URL = "http://c"
ENTITIES = load_catalog(CATALOG)
PIPELINE = "component:default/lakehouse-pipeline"
OLD = "Lands the CSVs in Bronze (the old pipeline, before Silver and Gold)."


def _served() -> list[dict[str, Any]]:
    """GET /api/catalog/entities of the harness's catalog service over the repository's catalog-info.yaml."""
    response = Client(create_app(CATALOG)).get("/api/catalog/entities")
    assert response.status_code == 200
    return list(json.loads(response.get_data()))


def _pipeline(served: list[dict[str, Any]]) -> dict[str, Any]:
    [found] = [e for e in served if e["metadata"]["name"] == "lakehouse-pipeline"]
    return found


def _stale(entity: dict[str, Any]) -> dict[str, Any]:
    """The entity as an older catalog-info.yaml described it: same reference, spec and annotations."""
    old = copy.deepcopy(entity)
    old["metadata"]["description"] = OLD
    return old


def _line() -> int:
    return next(e.line for e in ENTITIES if e.ref == PIPELINE)


def _twice(count: int) -> str:
    return (
        f"the catalog service at {URL} serves {PIPELINE} {count} times: Backstage's catalog holds one entity per "
        "kind, namespace and name"
    )


def test_a_stale_copy_before_a_fresh_one_fails_naming_the_entity_its_copies_and_the_stale_one() -> None:
    served = _served()
    fresh = _pipeline(served)
    served.insert(served.index(fresh), _stale(fresh))  # stale first, the fresh copy last (main kept the last)
    problems = judge_served(ENTITIES, served, URL)
    assert problems[0] == _twice(2)
    assert problems[1].startswith(
        f"the catalog service at {URL} serves {PIPELINE} (copy 1 of 2) unlike catalog-info.yaml (line {_line()}): "
        f"metadata.description {OLD!r}, not "
    )
    assert len(problems) == 2


def test_a_stale_copy_after_a_fresh_one_fails_too() -> None:
    served = _served()
    served.append(_stale(_pipeline(served)))
    problems = judge_served(ENTITIES, served, URL)
    assert problems[0] == _twice(2)
    assert "serves component:default/lakehouse-pipeline (copy 2 of 2) unlike catalog-info.yaml" in problems[1]
    assert len(problems) == 2


@pytest.mark.parametrize("count", [2, 3])
def test_identical_copies_of_one_entity_fail_naming_how_many(count: int) -> None:
    served = _served()
    served += [copy.deepcopy(_pipeline(served)) for _ in range(count - 1)]
    assert judge_served(ENTITIES, served, URL) == [_twice(count)]


def test_a_copy_differing_only_in_the_case_of_its_reference_is_the_same_entity() -> None:
    """Backstage compares references case-insensitively: ``Component:default/Lakehouse-Pipeline`` is the same one."""
    served = _served()
    shouting = copy.deepcopy(_pipeline(served))
    shouting["kind"], shouting["metadata"]["name"] = "COMPONENT", "Lakehouse-Pipeline"
    assert judge_served(ENTITIES, [*served, shouting], URL) == [_twice(2)]


def test_each_entity_served_once_as_the_file_states_it_passes() -> None:
    """The healthy twin: the repository's catalog, each entity once, Backstage's additions no difference."""
    assert judge_served(ENTITIES, _served(), URL) == []
