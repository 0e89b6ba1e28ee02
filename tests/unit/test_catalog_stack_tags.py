"""@STACK-catalog: a resource the catalog names must carry the stack's ``stack_id`` tag, not merely its name prefix.

The check took a name starting with ``lakehouse-<stack_id>-`` for the stack's. Another stack whose id extends this
one's (``lh-1`` beside ``lh``) names its resources ``lakehouse-lh-1-...``, which starts with ``lakehouse-lh-``: a
catalog of stack ``lh`` naming ``{project}-{stack_id}-1-bronze-{account_id}`` passed "every resource the catalog
names exists in the stack" with stack ``lh-1``'s bucket. The broken cases: each kind the catalog names, made by
stack ``lh-1`` (tagged so) and named from stack ``lh``'s catalog; the healthy twins: the repository's own entities
naming resources tagged ``lh``. A resource named exactly as the stack names it but without the tag is an error
(whose it is cannot be told), never a pass.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from lakehouse.catalog.model import CATALOG_FILE, Entity, load_catalog
from lakehouse.checks.catalog import Unreadable, judge_resources, lookup
from lakehouse.config import project_root
from lakehouse.target import Target

ACCOUNT = "123456789012"  # moto's default account
VALUES = {"project": "lakehouse", "stack_id": "lh", "account_id": ACCOUNT, "region": "us-east-1"}
VALUES = {**VALUES, "glue_prefix": "lakehouse_lh", "partition": "aws"}
#: Each kind: the repository's entity, and the name the stack's id extended by ``-1`` gives it.
KINDS = {
    "s3-bucket": ("lakehouse-bronze-bucket", "{project}-{stack_id}-1-bronze-{account_id}"),
    "glue-database": ("lakehouse-bronze-database", "{glue_prefix}_1_bronze"),
    "athena-workgroup": ("lakehouse-workgroup", "{project}-{stack_id}-1"),
    "apprunner-service": ("lakehouse-catalog-service", "{project}-{stack_id}-1-catalog"),
}
#: The API each kind's tags are read through, as the reason names it.
APIS = {
    "s3-bucket": "S3 GetBucketTagging",
    "glue-database": "Glue GetTags",
    "athena-workgroup": "Athena ListTagsForResource",
    "apprunner-service": "App Runner ListTagsForResource",
}
SOURCE = {"ImageRepository": {"ImageIdentifier": "public.ecr.aws/x/y:1", "ImageRepositoryType": "ECR_PUBLIC"}}


@pytest.fixture
def target(moto_aws: None) -> Iterator[Target]:
    """moto with the emulator's Athena (moto answers ListTagsForResource "does not exist" for an untagged workgroup;
    AWS and the emulator answer no tags) and its App Runner (moto has none)."""
    from lakehouse.emulator.extensions import apprunner, athena

    athena.install()
    apprunner.install()
    yield Target(name="aws", region="us-east-1")


def _entity(name: str, pattern: str | None = None) -> Entity:
    """The repository's entity ``name``; with ``pattern``, naming that instead (a copy, the file untouched)."""
    [entity] = [e for e in load_catalog(project_root() / CATALOG_FILE) if e.name == name]
    if pattern is None:
        return entity
    data = copy.deepcopy(entity.data)
    data["metadata"]["annotations"]["lakehouse.io/aws-name"] = pattern
    return Entity(data, entity.line, entity.index)


def _make(target: Target, kind: str, name: str, stack_id: str | None) -> None:
    """The resource ``name`` as a stack ``stack_id`` makes it (its provider's default_tags); None: untagged."""
    tags = {"stack_id": stack_id} if stack_id else {}
    listed = [{"Key": k, "Value": v} for k, v in tags.items()]
    if kind == "s3-bucket":
        target.client("s3").create_bucket(Bucket=name)
        if listed:
            target.client("s3").put_bucket_tagging(Bucket=name, Tagging={"TagSet": listed})
    elif kind == "glue-database":
        target.client("glue").create_database(DatabaseInput={"Name": name}, Tags=tags)
    elif kind == "athena-workgroup":
        extra: dict[str, Any] = {"Tags": listed} if listed else {}
        target.client("athena").create_work_group(Name=name, **extra)
    else:
        extra = {"Tags": listed} if listed else {}
        target.client("apprunner").create_service(ServiceName=name, SourceConfiguration=SOURCE, **extra)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_another_stack_whose_id_extends_this_ones_is_not_the_stacks(target: Target, kind: str) -> None:
    ref, pattern = KINDS[kind]
    entity = _entity(ref, pattern)
    name = pattern.format(**VALUES)
    _make(target, kind, name, "lh-1")
    found = lookup(entity, target, VALUES, {})
    assert found is not None and found.names == name and found.exists
    api = APIS[kind]
    assert judge_resources([entity], [found]) == [
        f"resource:default/{ref} names {kind} '{name}', which is not the stack's: its stack_id tag is 'lh-1', not "
        f"'lh' ({api})"
    ]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_stacks_own_tagged_resource_is_the_stacks(target: Target, kind: str) -> None:
    """The healthy twin: the repository's entity, the resource tagged with the stack's id (and stack lh-1's beside)."""
    ref, pattern = KINDS[kind]
    entity = _entity(ref)
    name = entity.annotations["lakehouse.io/aws-name"].format(**VALUES)
    _make(target, kind, name, "lh")
    _make(target, kind, pattern.format(**VALUES), "lh-1")
    found = lookup(entity, target, VALUES, {})
    assert found is not None and found.exists and not found.foreign
    assert judge_resources([entity], [found]) == []


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_untagged_resource_of_the_stacks_name_is_an_error(target: Target, kind: str) -> None:
    """Named exactly as the stack names it, but without a stack_id tag: whose it is cannot be told (error)."""
    ref, _ = KINDS[kind]
    entity = _entity(ref)
    name = entity.annotations["lakehouse.io/aws-name"].format(**VALUES)
    _make(target, kind, name, None)
    with pytest.raises(Unreadable, match=f"{kind} '{name}' in us-east-1 carries no stack_id tag"):
        lookup(entity, target, VALUES, {})
