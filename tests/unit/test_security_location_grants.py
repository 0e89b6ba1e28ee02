"""Exit check 6 judges the grants that let a principal put a table of its own over files holding ssn.

DATA_LOCATION_ACCESS on an S3 location lets its holder ``CREATE EXTERNAL TABLE ... LOCATION`` there, and a
table's creator reads every column; CREATE_TABLE on a database needs no location permission within the
database's location. Main judged these only over the catalog tables with an ``ssn`` column: a grant over
the files of a table a past query copied ssn into (``scratch.users_export``, ``tax_id``) or over another
workgroup's query results passed. So did full table access to a second table over the users files (listing no
ssn) while the data lake settings let Lake Formation vend S3 credentials for full table access.
"""

from __future__ import annotations

from typing import Any

from lakehouse.checks.history_copies import HistoryCopy
from lakehouse.checks.role_paths import RoleInfo
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import CatalogTable, SecurityReadback, ValueProbe
from tests.unit.test_security import ACCOUNT, ANALYST, BUCKETS, DB, grant, healthy, ok

SHARE = "team-share-1"
COPY_FILES = f"s3://{SHARE}/exports/users_export/"
PIPELINE_RESULTS = "s3://lh-athena-results-1/pipeline/"
PIPELINE = f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline"


def _location(principal: str, arn: str) -> dict[str, Any]:
    return grant(principal, {"DataLocation": {"ResourceArn": arn}}, "DATA_LOCATION_ACCESS")


def with_copy() -> SecurityReadback:
    """The healthy readback plus what the pipeline left: a CTAS copying ssn as tax_id, its results folder."""
    rb = healthy()
    copy = HistoryCopy("scratch", "users_export", {"tax_id": ["lh_gold.users.ssn"]}, "q-17", "lh-pipeline")
    copy.storage = [COPY_FILES, f"{COPY_FILES}metadata/00001.metadata.json"]
    rb.copies = [copy]
    rb.result_locations = {"workgroup lh-pipeline": PIPELINE_RESULTS}
    rb.database_locations = {"scratch": f"s3://{SHARE}/exports/", "sandbox": f"s3://{SHARE}/sandbox/"}
    return rb


def grant_reasons(rb: SecurityReadback) -> list[str]:
    outcome = judge_security(rb)
    assert not outcome.passed, "a grant over files holding ssn passed"
    return list(outcome.details["problems"]["grants"])


def test_data_location_access_over_a_copys_files_fails_naming_grant_principal_location_and_copy() -> None:
    for arn in (f"arn:aws:s3:::{SHARE}", f"arn:aws:s3:::{SHARE}/exports", f"arn:aws:s3:::{SHARE}/exports/users_export"):
        rb = with_copy()
        rb.grants.append(_location(ANALYST, arn))
        assert grant_reasons(rb) == [
            f"the analyst holds ['DATA_LOCATION_ACCESS'] on data location {arn}, which holds the files of "
            "scratch.users_export (tax_id from lh_gold.users.ssn), written by query q-17 of workgroup lh-pipeline "
            f"({COPY_FILES}): with it a table of its own over those files reads tax_id"
        ]


def test_data_location_access_of_every_principal_over_a_copy_fails() -> None:
    rb = with_copy()
    rb.grants.append(_location("IAM_ALLOWED_PRINCIPALS", f"arn:aws:s3:::{SHARE}/exports/users_export/data"))
    (reason,) = grant_reasons(rb)
    assert reason.startswith("IAMAllowedPrincipals (every IAM principal, the analyst too) holds ")
    assert "scratch.users_export" in reason


def test_data_location_access_over_another_workgroups_results_fails() -> None:
    rb = with_copy()
    rb.grants.append(_location(ANALYST, "arn:aws:s3:::lh-athena-results-1/pipeline"))
    assert grant_reasons(rb) == [
        "the analyst holds ['DATA_LOCATION_ACCESS'] on data location arn:aws:s3:::lh-athena-results-1/pipeline, "
        f"which holds the query results of workgroup lh-pipeline ({PIPELINE_RESULTS}): with it a table of its own "
        "over those files reads what those queries returned, ssn too"
    ]


def test_data_location_access_of_a_role_the_analyst_can_assume_over_a_copy_fails() -> None:
    hop = f"arn:aws:iam::{ACCOUNT}:role/lh-hop"
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "Trust", "Effect": "Allow", "Principal": {"AWS": ANALYST}, "Action": "sts:AssumeRole"}],
    }
    rb = with_copy()
    rb.roles = {hop: RoleInfo(hop, trust, [])}
    rb.grants.append(_location(hop, f"arn:aws:s3:::{SHARE}/exports"))
    outcome = judge_security(rb)
    assert not outcome.passed
    (reason,) = outcome.details["problems"]["role_paths"]
    assert reason.startswith("the analyst role can act as role lh-hop (analyst lh-analyst -> role lh-hop"), reason
    assert reason.endswith(
        f"and role {hop} holds ['DATA_LOCATION_ACCESS'] on data location arn:aws:s3:::{SHARE}/exports, which holds "
        "the files of scratch.users_export (tax_id from lh_gold.users.ssn), written by query q-17 of workgroup "
        f"lh-pipeline ({COPY_FILES}): with it a table of its own over those files reads tax_id"
    ), reason


def test_create_table_in_a_database_whose_location_holds_a_copy_fails() -> None:
    rb = with_copy()
    rb.grants.append(grant(ANALYST, {"Database": {"Name": "scratch"}}, "CREATE_TABLE"))
    (reason,) = grant_reasons(rb)
    assert reason.startswith(
        f"the analyst holds ['CREATE_TABLE'] on database scratch, whose location s3://{SHARE}/exports/ holds the "
        "files of scratch.users_export (tax_id from lh_gold.users.ssn)"
    ), reason


def test_location_grants_beside_the_copy_or_to_the_pipeline_pass() -> None:
    rb = with_copy()
    rb.grants += [
        _location(ANALYST, f"arn:aws:s3:::{SHARE}/exports/users_geo"),  # a sibling, not a prefix of the copy
        _location(ANALYST, f"arn:aws:s3:::{SHARE}/exports/users_export_old"),
        _location(ANALYST, "arn:aws:s3:::lh-athena-results-1/analyst"),  # the analyst's own results
        _location(PIPELINE, f"arn:aws:s3:::{SHARE}"),
        _location(PIPELINE, "arn:aws:s3:::lh-athena-results-1"),
        grant(ANALYST, {"Database": {"Name": "sandbox"}}, "CREATE_TABLE"),
    ]
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason


def _public_twin(location: str) -> SecurityReadback:
    """The healthy readback plus a second Glue table listing no ssn, read in full by the analyst."""
    rb = healthy()
    table = CatalogTable(DB, "users_public", ["user_id", "country"], location)
    rb.value_probes = [ValueProbe(table, ok(f"SELECT * FROM {DB}.users_public", ["user_id", "country"], [[1, "JP"]]))]
    rb.grants.append(grant(ANALYST, {"Table": {"DatabaseName": DB, "Name": "users_public"}}, "SELECT"))
    return rb


def test_full_table_credential_vending_over_a_table_sharing_the_users_files_fails() -> None:
    """A table without ssn over Gold users' files, read in full: with AllowFullTableExternalDataAccess Lake
    Formation vends S3 credentials for its location, and they read the Parquet with ssn in it."""
    rb = _public_twin(f"s3://{BUCKETS['gold']}/users/")
    rb.settings["AllowFullTableExternalDataAccess"] = True
    assert (
        "the data lake settings allow credential vending for full table access (AllowFullTableExternalDataAccess), "
        f"and the analyst holds ['SELECT'] on every column of {DB}.users_public through a table-level grant, whose "
        f"location s3://{BUCKETS['gold']}/users/ holds the files of {DB}.users (s3://{BUCKETS['gold']}/users/): "
        "GetTemporaryGlueTableCredentials hands it S3 credentials for that location, which read ssn"
    ) in grant_reasons(rb)


def test_full_table_credential_vending_over_other_files_or_partial_access_passes() -> None:
    elsewhere = _public_twin(f"s3://{BUCKETS['gold']}/users_public/")
    elsewhere.settings["AllowFullTableExternalDataAccess"] = True
    assert judge_security(elsewhere).passed, judge_security(elsewhere).reason
    partial = _public_twin(f"s3://{BUCKETS['gold']}/users/")
    partial.settings["AllowFullTableExternalDataAccess"] = True
    partial.grants[-1] = grant(
        ANALYST,
        {"TableWithColumns": {"DatabaseName": DB, "Name": "users_public", "ColumnNames": ["user_id"]}},
        "SELECT",
    )
    assert judge_security(partial).passed, judge_security(partial).reason
