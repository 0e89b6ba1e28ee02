"""@STACK-catalog: a Glue database the catalog names must be a database, not a resource link to another's.

A Glue resource link is a catalog entry whose ``TargetDatabase`` points at a database of another catalog (most often
another account's, shared through Lake Formation): it holds no tables, and every query through it reads the target,
which that account keeps, changes or drops. GetDatabase answers it as found, so the check counted it as the stack's
Gold database. The broken stack: its Gold database is a link to account 111111111111's; the healthy twin: the same
lookup of a database the stack's own catalog holds.
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.catalog.model import CATALOG_FILE, Entity, load_catalog
from lakehouse.checks.catalog import judge_resources, lookup
from lakehouse.config import project_root
from lakehouse.target import Target

ACCOUNT = "123456789012"  # moto's default account: the stack's
VALUES = {"project": "lakehouse", "stack_id": "lh-1", "account_id": ACCOUNT, "region": "us-east-1"}
VALUES = {**VALUES, "glue_prefix": "lakehouse_lh_1"}


def _database_entity(layer: str) -> Entity:
    [entity] = [
        e
        for e in load_catalog(project_root() / CATALOG_FILE)
        if e.spec.get("type") == "glue-database" and e.annotations.get("lakehouse.io/aws-name", "").endswith(layer)
    ]
    return entity


@pytest.fixture
def target(moto_aws: None) -> Any:
    yield Target(name="aws", region="us-east-1")


def test_a_resource_link_to_another_accounts_database_is_not_the_stacks(target: Any) -> None:
    entity = _database_entity("gold")
    name = f"{VALUES['glue_prefix']}_gold"
    link = {"CatalogId": "111111111111", "DatabaseName": "shared_gold", "Region": "us-east-1"}
    target.client("glue").create_database(DatabaseInput={"Name": name, "TargetDatabase": link})
    found = lookup(entity, target, VALUES, {})
    assert found is not None and found.exists and found.names == name
    assert judge_resources([entity], [found]) == [
        f"{entity.ref} names glue-database '{name}', which is not the stack's: Glue GetDatabase answers a resource "
        "link (TargetDatabase: database 'shared_gold' of catalog 111111111111 in us-east-1), not a database: it holds"
        " no tables, and what a query through it reads is the target's, kept by that catalog's owner"
    ]


def test_a_database_of_the_stacks_own_catalog_is_the_stacks(target: Any) -> None:
    """The healthy twin: a real database, tagged as the stack's default_tags tag it (a link of another name beside
    it changes nothing)."""
    entity = _database_entity("gold")
    name = f"{VALUES['glue_prefix']}_gold"
    glue = target.client("glue")
    glue.create_database(DatabaseInput={"Name": name}, Tags={"stack_id": VALUES["stack_id"]})
    link = {"CatalogId": "111111111111", "DatabaseName": "shared_gold"}
    glue.create_database(DatabaseInput={"Name": f"{name}_link", "TargetDatabase": link})
    found = lookup(entity, target, VALUES, {})
    assert found is not None and found.exists and not found.foreign
    assert judge_resources([entity], [found]) == []
