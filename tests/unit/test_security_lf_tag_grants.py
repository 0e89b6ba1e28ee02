"""Exit check 6 judges LF-Tag policy grants as Lake Formation applies them: credential vending, and ResourceType.

Credential vending. With ``AllowFullTableExternalDataAccess`` in the data lake settings, a principal with full table
access (SELECT on every column) gets S3 credentials for the table's whole location. The broken stack: a past CTAS
copied ``ssn`` into ``scratch.users_export`` as ``tax_id``, then ``tax_id`` was dropped from the table's schema (its
Parquet files keep it, so the analyst's ``SELECT *`` finds no value), and the analyst reads the table in full through
an LF-Tag expression its LF-Tags match: the vended credentials read ``tax_id`` from the files. Main judged vending
only for table and column grants, so the same access granted through LF-Tags passed.

ResourceType. An LF-Tag policy on DATABASE holds database permissions only (Lake Formation permissions reference,
"LF-Tag policy - Database": ALL (Super), ALTER, CREATE_TABLE, DESCRIBE, DROP), matched against databases' LF-Tags;
none reads a table (a database's creator has no implicit permission on tables others create in it). Main judged
such a grant's ALL as SELECT on every column its expression matched among the tables' LF-Tags: a false red, never a
pass (the judge only added problems for it; its CREATE_TABLE is judged by database location, unchanged).
"""

from __future__ import annotations

from typing import Any

import pytest

from lakehouse.checks.history_copies import HistoryCopy
from lakehouse.checks.role_paths import RoleInfo
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import CatalogTable, SecurityReadback, ValueProbe
from tests.unit.test_security import ACCOUNT, ANALYST, BUCKETS, DB, SILVER, grant, healthy, ok

COPY = "scratch.users_export"
COPY_FILES = "s3://team-share-1/exports/users_export/"
TEAM = [{"TagKey": "team", "TagValues": ["analytics"]}]
UNTAGGED: dict[str, Any] = {"LFTagOnDatabase": [], "LFTagsOnTable": [], "LFTagsOnColumns": []}
LISTED = ["user_id", "country"]  # tax_id dropped from the schema; the files keep it


def _tag_grant(
    permission: str = "SELECT", resource_type: str = "TABLE", principal: str = ANALYST, **policy: Any
) -> dict[str, Any]:
    return grant(principal, {"LFTagPolicy": {"ResourceType": resource_type, "Expression": TEAM, **policy}}, permission)


def _with_copy(copy_tags: dict[str, Any] | str, vending: bool = True) -> SecurityReadback:
    """The healthy readback plus the copy (searched by the analyst's SELECT *: no value) and its LF-Tags."""
    rb = healthy()
    copy = HistoryCopy("scratch", "users_export", {"tax_id": [f"{DB}.users.ssn"]}, "q-17", "lh-pipeline")
    copy.storage = [COPY_FILES]
    rb.copies = [copy]
    table = CatalogTable("scratch", "users_export", LISTED, COPY_FILES)
    rb.value_probes = [ValueProbe(table, ok(f"SELECT * FROM {COPY}", LISTED, [[1, "JP"]]))]
    rb.settings["AllowFullTableExternalDataAccess"] = vending
    rb.lf_tags = {p.table.qualified: UNTAGGED for p in rb.probes}  # no ssn table carries the tag
    rb.lf_tags[COPY] = copy_tags
    return rb


def _vending(rb: SecurityReadback, kind: str = "grants") -> list[str]:
    outcome = judge_security(rb)
    assert not outcome.passed, "full table access through LF-Tags to a copy's files, vended as S3 credentials, passed"
    return [p for p in outcome.details["problems"][kind] if "credential vending" in p]


def test_full_table_access_through_an_lf_tag_expression_to_a_copys_files_fails() -> None:
    """The reason names the table, the LF-Tag expression, the permission and the file location."""
    rb = _with_copy({"LFTagsOnTable": TEAM})
    rb.grants.append(_tag_grant())
    assert _vending(rb) == [
        "the data lake settings allow credential vending for full table access (AllowFullTableExternalDataAccess), "
        f"and the analyst holds ['SELECT'] on every column of {COPY} through LF-Tag expression {TEAM} (TABLE), "
        f"matching the LF-Tags of every column it lists, whose location {COPY_FILES} holds the files of {COPY} "
        f"(tax_id from {DB}.users.ssn), written by query q-17 of workgroup lh-pipeline ({COPY_FILES}): "
        "GetTemporaryGlueTableCredentials hands it S3 credentials for that location, which read tax_id"
    ]


@pytest.mark.parametrize(
    ("copy_tags", "policy", "how"),
    [
        ({"LFTagOnDatabase": TEAM}, {}, "matching the LF-Tags of every column it lists"),  # inherited
        ({"LFTagsOnColumns": [{"Name": c, "LFTags": TEAM} for c in LISTED]}, {}, "of every column it lists"),
        ({"LFTagsOnTable": TEAM}, {"Expression": None, "ExpressionName": "analysts"}, f"expression analysts {TEAM}"),
        ("AccessDeniedException: no", {}, "its LF-Tags could not be read (AccessDeniedException: no)"),
    ],
    ids=["database-tag", "every-column-tagged", "saved-expression", "tags-unreadable"],
)
def test_every_way_an_lf_tag_expression_gives_full_table_access_to_the_copy_fails(
    copy_tags: dict[str, Any] | str, policy: dict[str, Any], how: str
) -> None:
    rb = _with_copy(copy_tags)
    rb.tag_expressions = {"analysts": TEAM}
    rb.grants.append(_tag_grant("ALL", **policy))
    (reason,) = _vending(rb)
    assert f"the analyst holds ['ALL'] on every column of {COPY} through LF-Tag expression" in reason, reason
    assert how in reason and f"whose location {COPY_FILES} holds the files of {COPY}" in reason, reason


def test_a_role_the_analyst_can_act_as_with_full_table_access_through_lf_tags_fails() -> None:
    hop = f"arn:aws:iam::{ACCOUNT}:role/lh-hop"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ANALYST}, "Action": "sts:AssumeRole"}],
    }
    rb = _with_copy({"LFTagsOnTable": TEAM})
    rb.roles = {hop: RoleInfo(hop, trust, [])}
    rb.grants.append(_tag_grant(principal=hop))
    (reason,) = _vending(rb, "role_paths")
    assert f"role {hop} holds ['SELECT'] on every column of {COPY} through LF-Tag expression {TEAM}" in reason, reason


def test_full_table_access_through_lf_tags_to_a_table_over_the_gold_users_files_names_the_vending() -> None:
    """A second table over the Gold users files: ``covering_problems`` failed it already; the vending is named too."""
    rb = _with_copy(UNTAGGED)
    public = CatalogTable(DB, "users_public", LISTED, f"s3://{BUCKETS['gold']}/users/")
    rb.value_probes.append(ValueProbe(public, ok(f"SELECT * FROM {DB}.users_public", LISTED, [[1, "JP"]])))
    rb.lf_tags[f"{DB}.users_public"] = {"LFTagsOnTable": TEAM}
    rb.grants.append(_tag_grant())
    (reason,) = _vending(rb)
    assert f"every column of {DB}.users_public through LF-Tag expression {TEAM} (TABLE)" in reason, reason
    assert f"holds the files of {DB}.users (s3://{BUCKETS['gold']}/users/)" in reason, reason


def test_the_same_access_through_a_table_grant_still_fails() -> None:
    rb = _with_copy(UNTAGGED)
    rb.grants.append(grant(ANALYST, {"Table": {"DatabaseName": "scratch", "Name": "users_export"}}, "SELECT"))
    (reason,) = _vending(rb)
    assert f"every column of {COPY} through a table-level grant, whose location {COPY_FILES}" in reason, reason


@pytest.mark.parametrize(
    ("copy_tags", "vending", "tag_grant"),
    [
        ({"LFTagsOnTable": TEAM}, False, _tag_grant()),  # no credential vending for full table access
        ({"LFTagsOnColumns": [{"Name": "user_id", "LFTags": TEAM}]}, True, _tag_grant()),  # one column, not all
        ({"LFTagsOnTable": [{"TagKey": "team", "TagValues": ["finance"]}]}, True, _tag_grant()),  # other tags
        ({"LFTagsOnTable": TEAM}, True, _tag_grant(principal=f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline")),
        ({"LFTagsOnTable": TEAM}, True, _tag_grant("DESCRIBE")),  # reads nothing
        ({"LFTagOnDatabase": TEAM, "LFTagsOnTable": TEAM}, True, _tag_grant("ALL", "DATABASE")),  # on databases
    ],
    ids=["vending-off", "some-columns", "other-team", "pipeline-grant", "describe-only", "database-grant"],
)
def test_lf_tag_vending_healthy_twins_pass(copy_tags: dict[str, Any], vending: bool, tag_grant: dict[str, Any]) -> None:
    rb = _with_copy(copy_tags, vending)
    rb.grants.append(tag_grant)
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason


# ResourceType: a grant on DATABASE matches databases, and reads no table.

PII_ON_TABLE: dict[str, Any] = {"LFTagOnDatabase": [], "LFTagsOnTable": TEAM, "LFTagsOnColumns": []}


def _database_grant_readback(permission: str, resource_type: str) -> SecurityReadback:
    """Gold users (and so its ssn) carries team=analytics; the analyst holds ``permission`` through that
    expression on ``resource_type``; no database's location holds an ssn file."""
    rb = healthy()
    rb.lf_tags = {p.table.qualified: UNTAGGED for p in rb.probes}
    rb.lf_tags[f"{DB}.users"] = PII_ON_TABLE
    rb.grants.append(_tag_grant(permission, resource_type))
    return rb


@pytest.mark.parametrize("permission", ["ALL", "DESCRIBE", "CREATE_TABLE"])
def test_an_lf_tag_grant_on_databases_reads_no_table_and_passes(permission: str) -> None:
    """Main: ALL on DATABASE was "['ALL'] on ssn of lh_gold.users through LF-Tag expression ... (DATABASE)"."""
    outcome = judge_security(_database_grant_readback(permission, "DATABASE"))
    assert outcome.passed, outcome.reason


@pytest.mark.parametrize("permission", ["ALL", "SELECT"])
def test_the_same_expression_on_tables_reads_ssn_and_fails(permission: str) -> None:
    outcome = judge_security(_database_grant_readback(permission, "TABLE"))
    assert not outcome.passed
    assert outcome.details["problems"]["grants"] == [
        f"the analyst holds ['{permission}'] on ssn of {DB}.users through LF-Tag expression {TEAM} (TABLE)"
    ]


def test_an_lf_tag_grant_on_databases_does_not_read_a_table_repointed_at_the_users_files() -> None:
    """``covering_problems`` too: a DATABASE grant matching a table's LF-Tags reads none of its columns."""
    rb = _database_grant_readback("ALL", "DATABASE")
    rb.others = [CatalogTable(DB, "orders_enriched", ["order_id"], f"s3://{BUCKETS['silver']}/users/")]
    rb.lf_tags[f"{DB}.orders_enriched"] = PII_ON_TABLE
    assert judge_security(rb).passed, judge_security(rb).reason
    rb.grants[-1] = _tag_grant("SELECT", "TABLE")  # its twin on tables reads them
    (reason,) = [p for p in judge_security(rb).details["problems"]["grants"] if "orders_enriched" in p]
    assert f"on {DB}.orders_enriched through LF-Tag expression {TEAM} (TABLE)" in reason, reason
    assert f"lies over the files of {SILVER}.users" in reason, reason
