"""Glue catalog tag handling the emulator fixes (lakehouse.emulator.extensions.glue).

Why it matters: the harness finds a stack's resources through the Resource Groups
Tagging API by the ``stack_id`` tag; a deleted database must not be listed there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

ACCOUNT_ID = "123456789012"
REGION = "ap-northeast-1"


@pytest.fixture
def glue(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("glue")


@pytest.fixture
def tagging(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("resourcegroupstaggingapi")


def arn_of(name: str) -> str:
    return f"arn:aws:glue:{REGION}:{ACCOUNT_ID}:database/{name}"


def new_database(glue: Any, stack_id: str) -> str:
    """A database created the way Terraform's aws_glue_catalog_database does (tags on create)."""
    name = f"lakehouse_{uuid.uuid4().hex[:8]}_gold"
    glue.create_database(
        DatabaseInput={"Name": name, "LocationUri": "s3://gold-bucket/"},
        Tags={"stack_id": stack_id, "project": "lakehouse"},
    )
    return name


def tagged_with(tagging: Any, stack_id: str) -> list[str]:
    found = tagging.get_resources(TagFilters=[{"Key": "stack_id", "Values": [stack_id]}])
    return [m["ResourceARN"] for m in found["ResourceTagMappingList"]]


def test_database_tags_are_readable_and_listed_by_the_tagging_api(glue: Any, tagging: Any) -> None:
    stack_id = uuid.uuid4().hex[:8]
    name = new_database(glue, stack_id)
    assert glue.get_tags(ResourceArn=arn_of(name))["Tags"] == {"stack_id": stack_id, "project": "lakehouse"}
    assert tagged_with(tagging, stack_id) == [arn_of(name)]


def test_deleted_database_leaves_no_tagged_resource_behind(glue: Any, tagging: Any) -> None:
    stack_id = uuid.uuid4().hex[:8]
    name = new_database(glue, stack_id)
    glue.delete_database(Name=name)
    assert tagged_with(tagging, stack_id) == []


def test_recreated_database_does_not_inherit_old_tags(glue: Any) -> None:
    stack_id = uuid.uuid4().hex[:8]
    name = new_database(glue, stack_id)
    glue.delete_database(Name=name)
    glue.create_database(DatabaseInput={"Name": name})
    assert glue.get_tags(ResourceArn=arn_of(name))["Tags"] == {}


def test_tags_of_an_unknown_database_are_not_found(glue: Any) -> None:
    with pytest.raises(ClientError) as info:
        glue.get_tags(ResourceArn=arn_of("no_such_db"))
    assert info.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_tag_and_untag_round_trip(glue: Any) -> None:
    name = new_database(glue, "x")
    glue.tag_resource(ResourceArn=arn_of(name), TagsToAdd={"ttl": "24h"})
    glue.untag_resource(ResourceArn=arn_of(name), TagsToRemove=["project"])
    assert glue.get_tags(ResourceArn=arn_of(name))["Tags"] == {"stack_id": "x", "ttl": "24h"}
