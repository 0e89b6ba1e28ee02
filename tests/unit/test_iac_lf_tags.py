"""Exit check 5 compares LF-Tags with Terraform state: those assigned to the stack's databases, tables and
columns, those named like the stack, and the values of those in state.

Before, none was read unless an LF-Tag grant of another team needed them: ``AddLFTagsToResource`` by hand on
Gold ``users`` (``level=open``, which an existing ``level=open`` grant then opens to whoever holds it) or on
its ``ssn`` column passed "0 unmanaged", and so did an LF-Tag ``lakehouse-<stack>-pii`` made by hand. Here a
fake account answers GetResourceLFTags as Lake Formation does (inherited tags unless ``ShowAssignedLFTags``);
the check must fail naming each hand-assigned tag with its resource, key and value, and pass when state
assigns them, inherited tags never counting as assigned by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from lakehouse.checks.iac import judge_iac
from lakehouse.inventory import name_prefixes, stack_inventory
from lakehouse.lf_tags import LfTagAssignment, managed_assignment
from lakehouse.outcome import Outcome, Status
from lakehouse.terraform import PlannedChange, PlanResult
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, account

P, G = name_prefixes(STACK)
GOLD = f"{G}_gold"
GLUE_ARN = f"arn:aws:glue:{REGION}:{ACCOUNT}"
COLUMNS = ["user_id", "ssn"]
EXPECTED = {f"{GOLD}.users"}  # the pipeline's table, say
BASE_STATE: list[dict[str, Any]] = [
    {"type": "aws_glue_catalog_database", "values": {"arn": f"{GLUE_ARN}:database/{GOLD}", "name": GOLD}},
]


def _tag(key: str, value: str) -> dict[str, Any]:
    return {"CatalogId": ACCOUNT, "TagKey": key, "TagValues": [value]}


def _merge(*layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Inheritance: a more specific layer's value replaces the key's inherited one."""
    merged: dict[str, dict[str, Any]] = {}
    for layer in layers:
        merged.update({t["TagKey"]: t for t in layer})
    return list(merged.values())


class LakeFormationTags:
    """GetResourceLFTags over what each resource carries itself, as Lake Formation answers it: inherited tags
    too unless ``ShowAssignedLFTags``; a table's answer covers its columns. Counts the calls."""

    def __init__(
        self, database: list[dict[str, Any]], table: list[dict[str, Any]], columns: dict[str, list[dict[str, Any]]]
    ) -> None:
        self.database, self.table, self.columns = database, table, columns
        self.calls: list[tuple[str, bool]] = []

    def __call__(self, Resource: dict[str, Any], ShowAssignedLFTags: bool = False, **_: Any) -> dict[str, Any]:  # noqa: N803 - boto3's names
        if "Database" in Resource:
            self.calls.append((f"database {Resource['Database']['Name']}", ShowAssignedLFTags))
            return {"LFTagOnDatabase": self.database}
        self.calls.append((f"table {Resource['Table']['Name']}", ShowAssignedLFTags))
        assigned = ShowAssignedLFTags
        table = self.table if assigned else _merge(self.database, self.table)
        columns = [
            {"Name": c, "LFTags": own if assigned else _merge(self.database, self.table, own)}
            for c in COLUMNS
            if (own := self.columns.get(c, [])) or not assigned
        ]
        return {"LFTagOnDatabase": self.database, "LFTagsOnTable": table, "LFTagsOnColumns": columns}


def _account(tags: Callable[..., Any], defined: list[dict[str, Any]] | None = None) -> Any:
    defined = defined if defined is not None else [{"CatalogId": ACCOUNT, "TagKey": "level", "TagValues": ["open"]}]
    pages = {
        ("glue", "get_databases"): [{"DatabaseList": [{"Name": GOLD}]}],
        ("glue", "get_tables"): [{"TableList": [{"Name": "users"}]}],
        ("lakeformation", "list_lf_tags"): [{"LFTags": defined}],
    }
    answers = {("glue", "get_tags"): {"Tags": {"stack_id": STACK}}, ("lakeformation", "get_resource_lf_tags"): tags}
    return account(pages, answers)


def _judge(target: Any, state: list[dict[str, Any]], plan: PlanResult | None = None) -> Outcome:
    return judge_iac(plan or PlanResult(0), state, stack_inventory(target, STACK), EXPECTED)


def _assigns(
    block: str, lf_tags: list[tuple[str, str]], kind: str = "aws_lakeformation_resource_lf_tags", **where: Any
) -> dict[str, Any]:
    values = {block: [where], "lf_tag": [{"key": k, "value": v, "catalog_id": ACCOUNT} for k, v in lf_tags]}
    return {"type": kind, "values": values}


HAND = LakeFormationTags([_tag("domain", "sales")], [_tag("level", "open")], {"ssn": [_tag("pii", "no")]})


def test_lf_tags_assigned_by_hand_to_a_stack_database_table_and_column_fail_check_5_naming_each() -> None:
    result = _judge(_account(HAND), BASE_STATE)
    assert result.status is Status.FAILED, result.reason
    reason = str(result.reason)
    for label in (
        f"aws_lakeformation_resource_lf_tags domain=sales on database {GOLD} ({REGION}, found by LF-Tags assigned "
        "to a stack resource)",
        f"aws_lakeformation_resource_lf_tags level=open on table {GOLD}.users ({REGION}",
        f"aws_lakeformation_resource_lf_tags pii=no on column ssn of table {GOLD}.users ({REGION}",
    ):
        assert label in reason, (label, reason)
    # Inherited, not assigned: the table's domain=sales and the columns' level=open are not named again.
    assert f"domain=sales on table {GOLD}.users" not in reason and "level=open on column" not in reason, reason
    assert result.measured["unmanaged_resources"] == 3
    found = {f["name"] for f in result.details["unmanaged_found"]}
    assert f"pii=no on column ssn of table {GOLD}.users" in found, found


def test_lf_tags_terraform_assigns_pass_and_what_resources_inherit_is_not_assigned_by_hand() -> None:
    state = [
        *BASE_STATE,
        _assigns("database", [("domain", "sales")], name=GOLD),
        _assigns("table", [("level", "open")], "aws_lakeformation_resource_lf_tag", database_name=GOLD, name="users"),
        _assigns("table_with_columns", [("pii", "no")], database_name=GOLD, name="users", column_names=["ssn"]),
    ]
    result = _judge(_account(HAND), state)
    assert result.passed, result.reason


def test_a_managed_assignment_covers_only_its_own_resource_key_and_value() -> None:
    """A tag on the database does not cover the same tag on a table; a column wildcard covers what it does not
    exclude; a table wildcard covers every table of its database."""
    on_table = LfTagAssignment(GOLD, "users", "", "level", "open")
    on_ssn = LfTagAssignment(GOLD, "users", "ssn", "pii", "no")
    database = managed_assignment({"database": [{"name": GOLD}], "lf_tag": [{"key": "level", "value": "open"}]})
    every_table = managed_assignment(
        {"table": [{"database_name": GOLD, "wildcard": True}], "lf_tag": [{"key": "level", "value": "open"}]}
    )
    all_but_ssn = managed_assignment(
        {
            "table_with_columns": [
                {"database_name": GOLD, "name": "users", "column_wildcard": [{"excluded_column_names": ["ssn"]}]}
            ],
            "lf_tag": [{"key": "pii", "value": "no"}],
        }
    )
    every_column = managed_assignment(
        {
            "table_with_columns": [{"database_name": GOLD, "name": "users", "wildcard": True}],
            "lf_tag": [{"key": "pii", "value": "no"}],
        }
    )
    assert database is not None and every_table is not None and all_but_ssn is not None and every_column is not None
    assert not database.covers(on_table) and every_table.covers(on_table)
    assert not every_table.covers(LfTagAssignment(GOLD, "users", "", "level", "closed"))
    assert not all_but_ssn.covers(on_ssn) and all_but_ssn.covers(LfTagAssignment(GOLD, "users", "user_id", "pii", "no"))
    assert every_column.covers(on_ssn) and not every_column.covers(on_table)


def test_one_assigned_read_per_database_and_table_and_none_in_an_account_without_lf_tags() -> None:
    """A table's answer covers its columns: no read per column; an account with no LF-Tag has nothing assigned."""
    tags = LakeFormationTags([], [_tag("level", "open")], {})
    stack_inventory(_account(tags), STACK)
    assert tags.calls == [(f"database {GOLD}", True), ("table users", True)]
    none = LakeFormationTags([], [], {})
    inv = stack_inventory(_account(none, defined=[]), STACK)
    assert none.calls == [] and not inv.unreadable


def test_unreadable_lf_tags_of_a_table_make_the_check_error_naming_it() -> None:
    def refuse(Resource: dict[str, Any], **_: Any) -> dict[str, Any]:  # noqa: N803 - boto3's name
        if "Table" in Resource:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetResourceLFTags")
        return {}

    result = _judge(_account(refuse), BASE_STATE)
    assert result.status is Status.ERROR, result.reason
    assert f"lakeformation GetResourceLFTags of table {GOLD}.users ({REGION}): " in str(result.reason), result.reason


def test_an_lf_tag_made_by_hand_named_like_the_stack_fails_and_other_teams_lf_tags_are_not_judged() -> None:
    defined = [
        {"CatalogId": ACCOUNT, "TagKey": f"{P}-pii", "TagValues": ["yes", "no"]},
        {"CatalogId": ACCOUNT, "TagKey": "finance-level", "TagValues": ["open"]},
    ]
    nothing = LakeFormationTags([], [], {})
    result = _judge(_account(nothing, defined), BASE_STATE)
    assert result.status is Status.FAILED, result.reason
    assert f"aws_lakeformation_lf_tag {P}-pii (values: no, yes) ({REGION}, found by name prefix)" in str(result.reason)
    assert "finance-level" not in str(result.reason)
    state = [*BASE_STATE, {"type": "aws_lakeformation_lf_tag", "values": {"key": f"{P}-pii", "values": ["yes", "no"]}}]
    assert _judge(_account(nothing, defined), state).passed


@pytest.mark.parametrize("planned", [False, True])
def test_values_added_by_hand_to_an_lf_tag_of_the_state_are_named(planned: bool) -> None:
    """``UpdateLFTag`` adding ``secret`` to a Terraform LF-Tag: the plan shows the LF-Tag's update (its Read sets
    ``values``), and the inventory names the value; neither alone may pass."""
    defined = [{"CatalogId": ACCOUNT, "TagKey": f"{P}-level", "TagValues": ["open", "closed", "secret"]}]
    state = [
        *BASE_STATE,
        {"type": "aws_lakeformation_lf_tag", "values": {"key": f"{P}-level", "values": ["open", "closed"]}},
    ]
    address = "aws_lakeformation_lf_tag.level"
    plan = PlanResult(2, [PlannedChange(address, "update", False)]) if planned else PlanResult(0)
    result = _judge(_account(LakeFormationTags([], [], {}), defined), state, plan)
    assert result.status is Status.FAILED, result.reason
    assert f"aws_lakeformation_lf_tag {P}-level=secret ({REGION}, found by values of an LF-Tag in state)" in str(
        result.reason
    ), result.reason
    assert (address in str(result.reason)) is planned


def test_an_lf_tag_named_for_a_stack_extending_ours_is_its_own() -> None:
    """``lakehouse-lh-1-x-pii`` fits ``lh-1`` too; once stack ``lh-1-x``'s tagged bucket shows it exists, it is that
    stack's (LF-Tags carry no tags to tell)."""
    defined = [{"CatalogId": ACCOUNT, "TagKey": f"{P}-x-pii", "TagValues": ["yes"]}]
    other = f"{P}-x-gold-{ACCOUNT}"
    target = _account(LakeFormationTags([], [], {}), defined)
    pages = {**target.pages, ("s3", "list_buckets"): [{"Buckets": [{"Name": other, "BucketRegion": REGION}]}]}
    tagging = {("s3", "get_bucket_tagging"): {"TagSet": [{"Key": "stack_id", "Value": f"{STACK}-x"}]}}
    theirs = stack_inventory(account(pages, {**target.answers, **tagging}), STACK)
    assert not theirs.of_kind("aws_lakeformation_lf_tag"), theirs.resources
    [ours] = stack_inventory(target, STACK).of_kind("aws_lakeformation_lf_tag")
    assert ours.name == f"{P}-x-pii (values: yes)"
