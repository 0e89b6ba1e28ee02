"""Exit check 5 compares saved LF-Tag expressions named like the stack with state, and reads the LF-Tags of a
stack table dropped while the check runs as gone, not as a failed read.

Before, ``CreateLFTagExpression`` by hand (``lakehouse-<stack>-open``: ``level=open``, a name LF-Tag grants use)
passed "0 unmanaged": nothing listed expressions. hashicorp/aws 5.100.0, which ``infra/`` pins, has no
``aws_lakeformation_lf_tag_expression``, so each such expression is made by hand and the evidence says so; a
state that holds one (a provider of 6.x) passes. And a table Glue listed but dropped before GetResourceLFTags
(``EntityNotFoundException``) made the whole check ``error``; now Glue is asked, and a table it no longer has
either is named as gone (no LF-Tags to compare), while one it still has is read again.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from lakehouse.checks.iac import judge_iac
from lakehouse.inventory import stack_inventory
from lakehouse.lf_tags import provider_manages_expressions
from lakehouse.outcome import Outcome, Status
from lakehouse.terraform import PlanResult
from tests.unit.test_iac_lf_tags import BASE_STATE, EXPECTED, GOLD, HAND, LakeFormationTags, P, _account
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, account

OPEN = [{"TagKey": "level", "TagValues": ["open"]}]
OURS = {"Name": f"{P}-open", "CatalogId": ACCOUNT, "Expression": OPEN}
THEIRS = {"Name": "finance-open", "CatalogId": ACCOUNT, "Expression": OPEN}
LABEL = f"aws_lakeformation_lf_tag_expression {P}-open (expression: level=open) ({REGION}, found by name prefix)"


def _with_expressions(*pages: list[dict[str, Any]], tags: Any = None) -> Any:
    target = _account(tags or LakeFormationTags([], [], {}))
    listing = [{"LFTagExpressions": page} for page in pages]
    return account({**target.pages, ("lakeformation", "list_lf_tag_expressions"): listing}, target.answers)


def _judge(target: Any, state: list[dict[str, Any]], version: str | None = "5.100.0") -> Outcome:
    return judge_iac(PlanResult(0), state, stack_inventory(target, STACK), EXPECTED, None, version)


def test_an_lf_tag_expression_made_by_hand_named_like_the_stack_fails_naming_it_and_why_none_can_be_in_state() -> None:
    result = _judge(_with_expressions([THEIRS], [OURS]), BASE_STATE)  # two pages: the listing reads to the end
    assert result.status is Status.FAILED, result.reason
    reason = str(result.reason)
    assert LABEL in reason, reason
    assert "hashicorp/aws 5.100.0, which the root pins, has no aws_lakeformation_lf_tag_expression" in reason
    assert "finance-open" not in reason  # another team's, not named like the stack
    assert result.measured["unmanaged_resources"] == 1


def test_the_healthy_twin_with_only_other_teams_expressions_passes() -> None:
    result = _judge(_with_expressions([THEIRS]), BASE_STATE)
    assert result.passed, result.reason


def test_an_lf_tag_expression_terraform_state_defines_passes() -> None:
    """A provider with the type (6.x) keeps ``name`` in state; case aside, it is the listed expression."""
    defined = {"type": "aws_lakeformation_lf_tag_expression", "values": {"name": f"{P}-OPEN", "catalog_id": ACCOUNT}}
    result = _judge(_with_expressions([OURS]), [*BASE_STATE, defined], "6.18.0")
    assert result.passed, result.reason


def test_without_the_type_in_the_provider_the_note_is_given_only_when_it_holds() -> None:
    assert provider_manages_expressions("5.100.0") is False
    assert provider_manages_expressions("6.18.0") is True
    assert provider_manages_expressions(None) is None
    result = _judge(_with_expressions([OURS]), BASE_STATE, "6.18.0")
    assert result.status is Status.FAILED and LABEL in str(result.reason)
    assert "has no aws_lakeformation_lf_tag_expression" not in str(result.reason)


def test_an_expression_named_for_a_stack_extending_ours_is_its_own() -> None:
    other = f"{P}-x-gold-{ACCOUNT}"
    target = _with_expressions([{**OURS, "Name": f"{P}-x-open"}])
    pages = {**target.pages, ("s3", "list_buckets"): [{"Buckets": [{"Name": other, "BucketRegion": REGION}]}]}
    tagging = {("s3", "get_bucket_tagging"): {"TagSet": [{"Key": "stack_id", "Value": f"{STACK}-x"}]}}
    assert not stack_inventory(account(pages, {**target.answers, **tagging}), STACK).of_kind(
        "aws_lakeformation_lf_tag_expression"
    )


def test_an_unreadable_expression_listing_makes_the_check_error_naming_it() -> None:
    target = _with_expressions()

    def refuse(_operation: str) -> Any:
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListLFTagExpressions")

    pages = dict(target.pages)
    pages[("lakeformation", "list_lf_tag_expressions")] = _Raising(refuse)
    result = _judge(account(pages, target.answers), BASE_STATE)
    assert result.status is Status.ERROR, result.reason
    assert f"lakeformation ListLFTagExpressions ({REGION}): " in str(result.reason), result.reason


class _Raising(list[Any]):
    """A listing whose pages cannot be read: iterating it raises what ``fail`` raises."""

    def __init__(self, fail: Any) -> None:
        super().__init__()
        self.fail = fail

    def __iter__(self) -> Any:
        self.fail("ListLFTagExpressions")
        return super().__iter__()


def _not_found(operation: str) -> ClientError:
    return ClientError({"Error": {"Code": "EntityNotFoundException", "Message": "not found"}}, operation)


def _dropped_table(glue_has_it: bool, lf_reads: list[Any]) -> Any:
    """An account where Lake Formation answers the table's LF-Tags from ``lf_reads`` in turn (an exception is
    raised) and Glue's GetTable says whether the table is there."""
    calls = iter(lf_reads)

    def lf_tags(Resource: dict[str, Any], **kw: Any) -> dict[str, Any]:  # noqa: N803 - boto3's name
        if "Database" in Resource:
            return {}
        answer = next(calls)
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)

    def get_table(**_: Any) -> dict[str, Any]:
        if not glue_has_it:
            raise _not_found("GetTable")
        return {"Table": {"Name": "users"}}

    target = _account(lf_tags)
    return account(target.pages, {**target.answers, ("glue", "get_table"): get_table})


def test_a_table_dropped_between_listing_and_reading_its_lf_tags_is_named_as_gone_not_an_error() -> None:
    result = _judge(_dropped_table(False, [_not_found("GetResourceLFTags")]), BASE_STATE)
    assert result.passed, result.reason
    assert result.details["gone_while_read"] == [f"table {GOLD}.users ({REGION})"]
    # A table made by hand and dropped since was there when listed: still named.
    stray = _dropped_table(False, [_not_found("GetResourceLFTags")])
    failed = judge_iac(PlanResult(0), BASE_STATE, stack_inventory(stray, STACK), set(), None, "5.100.0")
    assert failed.status is Status.FAILED and f"aws_glue_catalog_table {GOLD}.users" in str(failed.reason)


def test_a_table_glue_still_has_is_read_again_and_a_second_failure_is_unreadable() -> None:
    again = HAND(Resource={"Table": {"DatabaseName": GOLD, "Name": "users"}}, ShowAssignedLFTags=True)
    remade = _judge(_dropped_table(True, [_not_found("GetResourceLFTags"), again]), BASE_STATE)
    assert remade.status is Status.FAILED, remade.reason  # made again, with a tag assigned by hand: read and named
    assert f"level=open on table {GOLD}.users" in str(remade.reason), remade.reason
    twice = _judge(_dropped_table(True, [_not_found("GetResourceLFTags")] * 2), BASE_STATE)
    assert twice.status is Status.ERROR, twice.reason
    assert f"lakeformation GetResourceLFTags of table {GOLD}.users ({REGION}): " in str(twice.reason), twice.reason
