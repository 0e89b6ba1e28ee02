"""LF-Tags on databases, tables and columns as the emulator answers them (lakehouse.emulator.extensions.lakeformation).

moto answered a table's GetResourceLFTags with the table's own tags only (no database, no columns, no
inheritance: ``ShowAssignedLFTags`` was ignored), and AddLFTagsToResource replaced every tag a resource
carried with the new ones. Exit check 5 tells tags assigned by hand from inherited ones with
``ShowAssignedLFTags``, and checks 5 and 6 read column tags from a table's answer; Terraform's
``aws_lakeformation_resource_lf_tag`` adds one tag per resource. Here each is done through boto3 as AWS does it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

COLUMNS = ["user_id", "ssn"]


@pytest.fixture
def lf(aws_client: Callable[[str], Any]) -> Any:
    return aws_client("lakeformation")


@pytest.fixture
def tagged(aws_client: Callable[[str], Any], lf: Any) -> dict[str, Any]:
    """A fresh database and table, LF-Tags ``<x>-domain``, ``<x>-level``, ``<x>-pii`` (unique to the test)."""
    glue, x = aws_client("glue"), uuid.uuid4().hex[:8]
    database = f"db_{x}"
    glue.create_database(DatabaseInput={"Name": database})
    columns = [{"Name": c, "Type": "string"} for c in COLUMNS]
    glue.create_table(DatabaseName=database, TableInput={"Name": "users", "StorageDescriptor": {"Columns": columns}})
    keys = {"domain": f"{x}-domain", "level": f"{x}-level", "pii": f"{x}-pii"}
    lf.create_lf_tag(TagKey=keys["domain"], TagValues=["sales"])
    lf.create_lf_tag(TagKey=keys["level"], TagValues=["open", "closed"])
    lf.create_lf_tag(TagKey=keys["pii"], TagValues=["yes", "no"])
    return {"glue": glue, "database": database, "table": {"DatabaseName": database, "Name": "users"}, **keys}


def _pair(key: str, value: str) -> dict[str, Any]:
    return {"TagKey": key, "TagValues": [value]}


def _shape(tags: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(t["TagKey"], v) for t in tags for v in t["TagValues"]}


def _columns(answer: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    return {c["Name"]: _shape(c["LFTags"]) for c in answer.get("LFTagsOnColumns", [])}


def test_a_tables_answer_holds_its_database_its_own_and_its_columns_tags_inherited_unless_assigned_only(
    lf: Any, tagged: dict[str, Any]
) -> None:
    domain, level, pii, table = tagged["domain"], tagged["level"], tagged["pii"], tagged["table"]
    lf.add_lf_tags_to_resource(Resource={"Database": {"Name": tagged["database"]}}, LFTags=[_pair(domain, "sales")])
    lf.add_lf_tags_to_resource(Resource={"Table": table}, LFTags=[_pair(level, "open")])
    ssn = {"TableWithColumns": {**table, "ColumnNames": ["ssn"]}}
    lf.add_lf_tags_to_resource(Resource=ssn, LFTags=[_pair(pii, "yes"), _pair(level, "closed")])

    assigned = lf.get_resource_lf_tags(Resource={"Table": table}, ShowAssignedLFTags=True)
    assert _shape(assigned["LFTagOnDatabase"]) == {(domain, "sales")}
    assert _shape(assigned["LFTagsOnTable"]) == {(level, "open")}
    assert _columns(assigned) == {"ssn": {(pii, "yes"), (level, "closed")}}  # user_id carries nothing itself

    effective = lf.get_resource_lf_tags(Resource={"Table": table})
    assert _shape(effective["LFTagsOnTable"]) == {(domain, "sales"), (level, "open")}
    assert _columns(effective) == {
        "user_id": {(domain, "sales"), (level, "open")},
        "ssn": {(domain, "sales"), (level, "closed"), (pii, "yes")},  # its own level replaces the table's
    }
    on_db = lf.get_resource_lf_tags(Resource={"Database": {"Name": tagged["database"]}}, ShowAssignedLFTags=True)
    assert _shape(on_db["LFTagOnDatabase"]) == {(domain, "sales")} and "LFTagsOnTable" not in on_db
    # Terraform's aws_lakeformation_resource_lf_tags reads one column's tags through TableWithColumns.
    column = lf.get_resource_lf_tags(Resource=ssn, ShowAssignedLFTags=True)
    assert _columns(column) == {"ssn": {(pii, "yes"), (level, "closed")}}


def test_assigning_adds_to_what_a_resource_carries_and_a_key_again_replaces_its_value(
    lf: Any, tagged: dict[str, Any]
) -> None:
    level, pii, resource = tagged["level"], tagged["pii"], {"Table": tagged["table"]}
    lf.add_lf_tags_to_resource(Resource=resource, LFTags=[_pair(level, "open")])
    lf.add_lf_tags_to_resource(Resource=resource, LFTags=[_pair(pii, "no")])  # moto dropped level=open here
    assert _shape(lf.get_resource_lf_tags(Resource=resource)["LFTagsOnTable"]) == {(level, "open"), (pii, "no")}
    lf.add_lf_tags_to_resource(Resource=resource, LFTags=[_pair(level, "closed")])
    assert _shape(lf.get_resource_lf_tags(Resource=resource)["LFTagsOnTable"]) == {(level, "closed"), (pii, "no")}
    lf.remove_lf_tags_from_resource(Resource=resource, LFTags=[_pair(level, "closed")])
    assert _shape(lf.get_resource_lf_tags(Resource=resource)["LFTagsOnTable"]) == {(pii, "no")}


def test_a_value_or_key_the_lf_tag_lacks_fails_that_tag_and_assigns_the_others(lf: Any, tagged: dict[str, Any]) -> None:
    level, pii, resource = tagged["level"], tagged["pii"], {"Table": tagged["table"]}
    answer = lf.add_lf_tags_to_resource(
        Resource=resource, LFTags=[_pair(level, "secret"), _pair("no-such-key", "x"), _pair(pii, "no")]
    )
    failed = {(f["LFTag"]["TagKey"], f["Error"]["ErrorCode"]) for f in answer["Failures"]}
    assert failed == {(level, "EntityNotFoundException"), ("no-such-key", "EntityNotFoundException")}
    assert _shape(lf.get_resource_lf_tags(Resource=resource)["LFTagsOnTable"]) == {(pii, "no")}


def test_a_table_made_again_under_its_name_carries_none_of_the_old_ones_tags(lf: Any, tagged: dict[str, Any]) -> None:
    glue, table = tagged["glue"], tagged["table"]
    lf.add_lf_tags_to_resource(Resource={"Table": table}, LFTags=[_pair(tagged["level"], "open")])
    lf.add_lf_tags_to_resource(
        Resource={"TableWithColumns": {**table, "ColumnWildcard": {"ExcludedColumnNames": ["user_id"]}}},
        LFTags=[_pair(tagged["pii"], "yes")],
    )
    assert _columns(lf.get_resource_lf_tags(Resource={"Table": table}, ShowAssignedLFTags=True)) == {
        "ssn": {(tagged["pii"], "yes")}
    }
    glue.delete_table(DatabaseName=table["DatabaseName"], Name="users")
    columns = [{"Name": c, "Type": "string"} for c in COLUMNS]
    glue.create_table(
        DatabaseName=table["DatabaseName"], TableInput={"Name": "users", "StorageDescriptor": {"Columns": columns}}
    )
    assert lf.get_resource_lf_tags(Resource={"Table": table}, ShowAssignedLFTags=True).keys() == {"ResponseMetadata"}


def test_values_added_to_an_lf_tag_are_read_back_as_terraform_reads_them(lf: Any, tagged: dict[str, Any]) -> None:
    """``aws_lakeformation_lf_tag`` reads ``values`` with GetLFTag: a value added by hand is seen, and planned away."""
    lf.update_lf_tag(TagKey=tagged["level"], TagValuesToAdd=["secret"])
    assert set(lf.get_lf_tag(TagKey=tagged["level"])["TagValues"]) == {"open", "closed", "secret"}


def test_lf_tags_of_a_database_or_table_that_does_not_exist_are_entity_not_found(
    lf: Any, tagged: dict[str, Any]
) -> None:
    """AWS answers EntityNotFoundException; moto answered empty, as for an untagged table, so a reader could not tell
    a table deleted since it was listed from one carrying no LF-Tag."""
    missing = [
        {"Table": {**tagged["table"], "Name": "gone"}},
        {"TableWithColumns": {**tagged["table"], "Name": "gone", "ColumnNames": ["ssn"]}},
        {"Database": {"Name": f"{tagged['database']}_gone"}},
    ]
    for resource in missing:
        with pytest.raises(ClientError) as caught:
            lf.get_resource_lf_tags(Resource=resource, ShowAssignedLFTags=True)
        assert caught.value.response["Error"]["Code"] == "EntityNotFoundException", resource
    tagged["glue"].delete_table(DatabaseName=tagged["database"], Name="users")
    with pytest.raises(ClientError, match="EntityNotFoundException"):
        lf.get_resource_lf_tags(Resource={"Table": tagged["table"]})


def _expression(key: str, *values: str) -> list[dict[str, Any]]:
    return [{"TagKey": key, "TagValues": list(values)}]


def test_an_lf_tag_expression_is_created_read_updated_and_deleted(
    aws_client: Callable[[str], Any], lf: Any, tagged: dict[str, Any]
) -> None:
    """moto had none of the five operations (404); Terraform's aws_lakeformation_lf_tag_expression (hashicorp/aws
    6.x) and LF-Tag grants naming an expression (``LFTagPolicy.ExpressionName``) use them."""
    name, level, pii = f"{tagged['level']}-open", tagged["level"], tagged["pii"]
    lf.create_lf_tag_expression(Name=name, Expression=_expression(level, "open"), Description="open data")
    got = lf.get_lf_tag_expression(Name=name)
    assert (got["Name"], got["Description"], got["Expression"]) == (name, "open data", _expression(level, "open"))
    assert got["CatalogId"] == aws_client("sts").get_caller_identity()["Account"]  # the caller's catalog by default
    lf.update_lf_tag_expression(Name=name, Expression=[*_expression(level, "open", "closed"), *_expression(pii, "no")])
    got = lf.get_lf_tag_expression(Name=name)
    assert got["Expression"] == [*_expression(level, "open", "closed"), *_expression(pii, "no")]
    assert "Description" not in got  # Update replaces what the expression says, its description too
    lf.delete_lf_tag_expression(Name=name)
    for call in (
        lambda: lf.get_lf_tag_expression(Name=name),
        lambda: lf.delete_lf_tag_expression(Name=name),
        lambda: lf.update_lf_tag_expression(Name=name, Expression=_expression(level, "open")),
    ):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_an_lf_tag_expression_needs_existing_tags_and_a_free_name(lf: Any, tagged: dict[str, Any]) -> None:
    name, level = f"{tagged['level']}-strict", tagged["level"]
    for expression in (_expression("no-such-key", "x"), _expression(level, "secret")):
        with pytest.raises(ClientError) as caught:
            lf.create_lf_tag_expression(Name=name, Expression=expression)
        assert caught.value.response["Error"]["Code"] == "EntityNotFoundException"
    lf.create_lf_tag_expression(Name=name, Expression=_expression(level, "closed"))
    with pytest.raises(ClientError) as caught:
        lf.create_lf_tag_expression(Name=name, Expression=_expression(level, "open"))
    assert caught.value.response["Error"]["Code"] == "InvalidInputException"
    assert lf.get_lf_tag_expression(Name=name)["Expression"] == _expression(level, "closed")  # the first one stays
    lf.delete_lf_tag_expression(Name=name)


def test_lf_tag_expressions_are_listed_page_by_page_to_the_end(lf: Any, tagged: dict[str, Any]) -> None:
    level = tagged["level"]
    names = [f"{level}-{i}" for i in range(5)]
    for name in names:
        lf.create_lf_tag_expression(Name=name, Expression=_expression(level, "open"))
    first = lf.list_lf_tag_expressions(MaxResults=2)
    assert len(first["LFTagExpressions"]) == 2 and first["NextToken"]
    listed = [
        e["Name"]
        for page in lf.get_paginator("list_lf_tag_expressions").paginate(PaginationConfig={"PageSize": 2})
        for e in page["LFTagExpressions"]
    ]
    assert [n for n in listed if n.startswith(level)] == names  # every one once, in name order
    assert all(e["Expression"] == _expression(level, "open") for e in first["LFTagExpressions"])
    for name in names:
        lf.delete_lf_tag_expression(Name=name)
    assert not [e for e in lf.list_lf_tag_expressions()["LFTagExpressions"] if e["Name"].startswith(level)]
