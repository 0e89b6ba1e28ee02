"""Exit check 5 against the real emulator: a saved LF-Tag expression made by hand and named like the stack is
named; a stack table dropped between Glue's listing and the read of its LF-Tags is named as gone.

Before, the emulator had no LF-Tag expressions (moto: 404), so no test could make one, and the inventory listed
none; and GetResourceLFTags of a dropped table answered empty, as if the table carried no LF-Tag, where AWS
answers ``EntityNotFoundException``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from lakehouse.checks.iac import judge_iac
from lakehouse.emulator.process import EmulatorHandle
from lakehouse.inventory import name_prefixes, stack_inventory
from lakehouse.outcome import Status
from lakehouse.target import Target, local_target
from lakehouse.terraform import PlanResult

REGION = "eu-south-2"  # Lake Formation keeps LF-Tags and expressions per account and region: this test's own


def _stack(target: Target) -> tuple[str, str, str, list[dict[str, Any]]]:
    """A fresh stack id, its Gold database (with table ``users``), an LF-Tag key of its own, and the state."""
    stack = f"lfx-{uuid.uuid4().hex[:6]}"
    _, glue_prefix = name_prefixes(stack)
    glue, lf = target.client("glue"), target.client("lakeformation")
    account = target.client("sts").get_caller_identity()["Account"]
    # As the root leaves it: no IAMAllowedPrincipals defaults, so creating the catalog grants nothing.
    settings: dict[str, list[Any]] = {
        "DataLakeAdmins": [],
        "CreateDatabaseDefaultPermissions": [],
        "CreateTableDefaultPermissions": [],
    }
    lf.put_data_lake_settings(DataLakeSettings=settings)
    database = f"{glue_prefix}_gold"
    glue.create_database(DatabaseInput={"Name": database}, Tags={"stack_id": stack})
    columns = [{"Name": "user_id", "Type": "bigint"}]
    glue.create_table(DatabaseName=database, TableInput={"Name": "users", "StorageDescriptor": {"Columns": columns}})
    key = f"level-{stack}"
    lf.create_lf_tag(TagKey=key, TagValues=["open", "closed"])
    arn = f"arn:aws:glue:{REGION}:{account}:database/{database}"
    return stack, database, key, [{"type": "aws_glue_catalog_database", "values": {"arn": arn}}]


def test_an_lf_tag_expression_made_by_hand_named_like_the_stack_fails_check_5(emulator: EmulatorHandle) -> None:
    target = local_target(emulator.endpoint, REGION)
    stack, database, key, state = _stack(target)
    prefix, _ = name_prefixes(stack)
    lf = target.client("lakeformation")
    lf.create_lf_tag_expression(Name=f"{prefix}-open", Expression=[{"TagKey": key, "TagValues": ["open"]}])
    lf.create_lf_tag_expression(Name=f"finance-{stack}", Expression=[{"TagKey": key, "TagValues": ["closed"]}])
    tables = {f"{database}.users"}

    result = judge_iac(PlanResult(0), state, stack_inventory(target, stack), tables, None, "5.100.0")
    assert result.status is Status.FAILED, result.reason
    reason = str(result.reason)
    assert (
        f"aws_lakeformation_lf_tag_expression {prefix}-open (expression: {key}=open) ({REGION}, found by name prefix)"
    ) in reason, reason
    assert "has no aws_lakeformation_lf_tag_expression" in reason and f"finance-{stack}" not in reason

    lf.delete_lf_tag_expression(Name=f"{prefix}-open")  # the healthy twin: only another team's expression
    assert judge_iac(PlanResult(0), state, stack_inventory(target, stack), tables, None, "5.100.0").passed


@dataclass(frozen=True)
class _Racing(Target):
    """The emulator, where ``table`` of ``database`` is dropped just before Lake Formation is first asked its
    LF-Tags: what a person or the pipeline does between the inventory's Glue listing and its LF-Tag reads."""

    database: str = ""
    table: str = ""

    def client(self, service: str, region: str | None = None, **config: Any) -> Any:
        made = super().client(service, region, **config)
        return _DropsFirst(made, super().client("glue", region), self) if service == "lakeformation" else made


class _DropsFirst:
    def __init__(self, lf: Any, glue: Any, racing: _Racing) -> None:
        self.lf, self.glue, self.racing, self.dropped = lf, glue, racing, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.lf, name)

    def get_resource_lf_tags(self, **kwargs: Any) -> Any:
        table = kwargs["Resource"].get("Table") or {}
        if not self.dropped and table.get("Name") == self.racing.table:
            self.glue.delete_table(DatabaseName=self.racing.database, Name=self.racing.table)
            self.dropped = True
        return self.lf.get_resource_lf_tags(**kwargs)


def test_a_table_dropped_before_its_lf_tags_are_read_is_gone_not_an_error(emulator: EmulatorHandle) -> None:
    stack, database, _, state = _stack(local_target(emulator.endpoint, REGION))
    racing = _Racing(name="local", region=REGION, endpoint_url=emulator.endpoint, database=database, table="users")
    inv = stack_inventory(racing, stack)
    assert not inv.unreadable, inv.unreadable
    assert inv.gone_while_read == [f"table {database}.users ({REGION})"]
    result = judge_iac(PlanResult(0), state, inv, {f"{database}.users"}, None, "5.100.0")
    assert result.passed, result.reason
    assert result.details["gone_while_read"] == [f"table {database}.users ({REGION})"]
