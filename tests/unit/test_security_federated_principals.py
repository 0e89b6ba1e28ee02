"""Exit check 6 counts Lake Formation grants to SAML and IAM Identity Center users and groups as the analyst's.

Lake Formation grants to people an identity provider signs in: SAML users and groups
(``arn:aws:iam::<account>:saml-provider/<provider>:group/<name>``; ``AssumeDecoratedRoleWithSAML`` decorates an IAM
role's session as the SAML user, and Lake Formation enforces the SAML user's and groups' permissions on it) and IAM
Identity Center users and groups (``arn:aws:identitystore:::group/<id>``, "Granting permissions to users and
groups"). ListPermissions lists them as any other grant. Who is in such a group is the identity provider's to say:
neither Lake Formation nor IAM answers whether the analysts are. The broken stacks: such a principal holds ``ssn`` of
``lh_gold.users`` (table grant, column grant, database wide), full table access to a twin over the Gold users files
together with the analyst's own column grant, or a database's table defaults. Main watched only the analyst role, the
account and IAMAllowedPrincipals, and read the rest as someone else's: every one passed. The healthy twins: the same
principals holding only what the analyst may read.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import boto3
import pytest

from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback
from lakehouse.checks.security_read import read_grants
from lakehouse.outcome import Status
from tests.unit.test_security import ACCOUNT, ANALYST, DB, SILVER, TABLE, grant, healthy
from tests.unit.test_security_full_table_access import PUBLIC, _columns, _filter, _filter_grant, public_twin

SAML_GROUP = f"arn:aws:iam::{ACCOUNT}:saml-provider/okta:group/data-analysts"
SAML_USER = f"arn:aws:iam::{ACCOUNT}:saml-provider/okta:user/alice@example.com"
IDC_GROUP = "arn:aws:identitystore:::group/9067f2a4-e0b1-70e1-2c4b-7b1fe4a2a0d3"
IDC_USER = "arn:aws:identitystore:::user/44a8e4c8-5011-7064-3d4a-2ab3c5b6d7e8"
FEDERATED = [SAML_GROUP, SAML_USER, IDC_GROUP, IDC_USER]

ON_USERS = {
    "a table grant": {"Table": {"DatabaseName": DB, "Name": TABLE}},
    "a column grant naming ssn": {"TableWithColumns": {"DatabaseName": DB, "Name": TABLE, "ColumnNames": ["ssn"]}},
    "a database-wide grant": {"Table": {"DatabaseName": DB, "TableWildcard": {}}},
}


def _with(*grants: dict[str, Any]) -> SecurityReadback:
    rb = healthy()
    rb.grants += list(grants)
    return rb


def _grant_problems(rb: SecurityReadback) -> list[str]:
    outcome = judge_security(rb)
    assert outcome.status is Status.FAILED, f"a grant to a federated principal opening ssn passed: {outcome.reason}"
    return list(outcome.details["problems"]["grants"])


@pytest.mark.parametrize("principal", FEDERATED)
@pytest.mark.parametrize("how", list(ON_USERS))
def test_a_federated_principal_holding_ssn_fails(principal: str, how: str) -> None:
    found = _grant_problems(_with(grant(principal, ON_USERS[how], "SELECT")))
    (reason,) = [p for p in found if principal in p]
    assert "ssn" in reason and f"{DB}.{TABLE}" in reason, reason
    assert "its members are the identity provider's to say, and may be analysts" in reason, reason
    kind = "SAML" if ":saml-provider/" in principal else "IAM Identity Center"
    assert reason.startswith(kind), reason


def test_a_federated_group_s_filter_and_the_analyst_s_columns_add_up_to_full_table_access() -> None:
    """The analyst holds ``user_id``; the SAML group ``country`` in every row: an analyst signed in as its member
    holds every column of the twin over the Gold users files, and credential vending hands it those files."""
    rb = public_twin(_columns(ANALYST, "user_id"), _filter_grant(SAML_GROUP, "cells"))
    rb.filters = [_filter("cells", {"AllRowsWildcard": {}}, ColumnNames=["country"])]
    found = _grant_problems(rb)
    (reason,) = [p for p in found if "credential vending" in p]
    assert f"together hold SELECT on every column of {DB}.{PUBLIC} in every row" in reason, reason
    assert "SAML group data-analysts of identity provider okta" in reason, reason


def test_a_database_s_table_defaults_for_an_identity_center_group_fail() -> None:
    rb = healthy()
    default = [{"Principal": {"DataLakePrincipalIdentifier": IDC_GROUP}, "Permissions": ["SELECT"]}]
    rb.table_defaults = {SILVER: default}
    found = _grant_problems(rb)
    assert any(
        p.startswith(f"database {SILVER}'s CreateTableDefaultPermissions give IAM Identity Center") for p in found
    )


@pytest.mark.parametrize("principal", FEDERATED)
def test_healthy_twin_a_federated_principal_holding_what_the_analyst_may_read_passes(principal: str) -> None:
    columns = {"TableWithColumns": {"DatabaseName": DB, "Name": TABLE, "ColumnNames": ["user_id", "country"]}}
    rb = _with(grant(principal, columns, "SELECT"), grant(principal, {"Database": {"Name": DB}}, "DESCRIBE"))
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason


def test_healthy_twin_a_federated_group_s_filter_restricting_rows_is_no_full_table_access() -> None:
    rb = public_twin(_columns(ANALYST, "user_id"), _filter_grant(IDC_GROUP, "cells"))
    rb.filters = [_filter("cells", {"FilterExpression": "country = 'DE'"}, ColumnNames=["country"])]
    outcome = judge_security(rb)
    assert outcome.passed, outcome.reason


def test_a_grant_to_an_identity_center_group_is_read_back_from_list_permissions(moto_aws: None) -> None:
    """ListPermissions lists a grant to a federated principal as any other: read back, it fails the check."""
    glue = boto3.client("glue", region_name="ap-northeast-1")
    glue.create_database(DatabaseInput={"Name": DB})
    glue.create_table(DatabaseName=DB, TableInput={"Name": TABLE, "StorageDescriptor": {"Columns": []}})
    lf = boto3.client("lakeformation", region_name="ap-northeast-1")
    lf.grant_permissions(
        Principal={"DataLakePrincipalIdentifier": IDC_GROUP},
        Resource={"Table": {"DatabaseName": DB, "Name": TABLE}},
        Permissions=["SELECT"],
    )
    rb = healthy()
    rb.grants = []
    target: Any = SimpleNamespace(client=lambda name: boto3.client(name, region_name="ap-northeast-1"))
    read_grants(target, [p.table for p in rb.probes], rb)
    principals = [g["Principal"]["DataLakePrincipalIdentifier"] for g in rb.grants]
    # With the emulator's extensions patched into moto by an earlier test of this process, the database and table
    # also get the IAMAllowedPrincipals default grants a new AWS account gives them (the account's, not judged here).
    assert principals.count(IDC_GROUP) == 1 and set(principals) <= {IDC_GROUP, "IAM_ALLOWED_PRINCIPALS"}, principals
    assert any(p.startswith("IAM Identity Center group") for p in _grant_problems(rb))
