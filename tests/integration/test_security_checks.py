"""Exit check 6 against the real deployed stack on the emulator, healthy and broken.

Each broken stack is made through the Lake Formation API, as a person would break it (or forget
to fix it), checked with the real reader (STS AssumeRole, pyathena as the analyst, ListPermissions),
and repaired before the test ends; the last test proves the repairs left the stack as Terraform
made it (plan is empty).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from lakehouse.checks.iac import check_iac_coverage
from lakehouse.checks.security import check_security
from lakehouse.outcome import Outcome
from lakehouse.pipeline.runner import DATA_DIR, run_pipeline
from lakehouse.stack import Deployment

pytestmark = pytest.mark.xdist_group("stack")

IAP = {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}


class LakeFormation:
    """The stack's Lake Formation state through its API, and a way back to how Terraform left it."""

    def __init__(self, deployed: Deployment):
        self.outputs = deployed.record.outputs
        self.client = deployed.stack.target.client("lakeformation")
        self.analyst = {"DataLakePrincipalIdentifier": self.outputs["analyst_role_arn"]}
        table = self.outputs["gold_users_table"]
        self.table = {"DatabaseName": table["database"], "Name": table["name"]}
        self.settings = self.client.get_data_lake_settings()["DataLakeSettings"]
        self.undo: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = []
        self.give_back: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = []

    def grant(self, principal: dict[str, str], resource: dict[str, Any], permissions: list[str]) -> None:
        self.client.grant_permissions(Principal=principal, Resource=resource, Permissions=permissions)
        self.undo.append((principal, resource, permissions))

    def revoke(self, principal: dict[str, str], resource: dict[str, Any], permissions: list[str]) -> None:
        self.client.revoke_permissions(Principal=principal, Resource=resource, Permissions=permissions)
        self.give_back.append((principal, resource, permissions))

    def restore(self) -> None:
        for principal, resource, permissions in reversed(self.undo):
            self.client.revoke_permissions(Principal=principal, Resource=resource, Permissions=permissions)
        for principal, resource, permissions in self.give_back:
            self.client.grant_permissions(Principal=principal, Resource=resource, Permissions=permissions)
        self.client.put_data_lake_settings(DataLakeSettings=self.settings)


@pytest.fixture(scope="module")
def filled(deployed: Deployment) -> Deployment:
    """Gold users holds rows (the pipeline is idempotent, so running it again changes nothing)."""
    result = run_pipeline(deployed.stack.target, deployed.record.outputs, data_dir=DATA_DIR)
    assert result.ok, result.error
    return deployed


@pytest.fixture
def lf(filled: Deployment) -> Iterator[LakeFormation]:
    lake = LakeFormation(filled)
    try:
        yield lake
    finally:
        lake.restore()


def _check(deployed: Deployment) -> Outcome:
    return check_security(deployed.stack.target, deployed.record.outputs)


def test_the_deployed_stack_hides_ssn_from_the_analyst(filled: Deployment) -> None:
    result = _check(filled)
    assert result.passed, result.reason
    queries = result.details["queries"]
    assert [q["principal"].split(":")[-1] for q in queries] == [
        "user/moto",
        *["assumed-role/" + filled.record.outputs["analyst_role_arn"].split("/")[-1] + "/lakehouse-exit6"] * 2,
    ]
    assert "ssn" not in queries[1]["columns"] and queries[1]["row_count"] > 0
    assert queries[2]["error"].startswith("COLUMN_NOT_FOUND: line 1:8: Column 'ssn' cannot be resolved")


def test_exclusion_removed_fails_the_check(lf: LakeFormation, filled: Deployment) -> None:
    narrowed = {"TableWithColumns": {**lf.table, "ColumnWildcard": {"ExcludedColumnNames": ["ssn"]}}}
    lf.revoke(lf.analyst, narrowed, ["SELECT"])
    lf.grant(lf.analyst, {"TableWithColumns": {**lf.table, "ColumnWildcard": {}}}, ["SELECT"])
    result = _check(filled)
    assert not result.passed
    assert result.details["problems"]["select_all"] == [
        f"the analyst's SELECT * on {lf.table['DatabaseName']}.users returns ssn"
    ]
    assert any("through a column wildcard that does not exclude it" in p for p in result.details["problems"]["grants"])
    assert "the analyst read ssn" in result.details["problems"]["denied"][0]


def test_iam_allowed_principals_left_on_the_table_fails_the_check(lf: LakeFormation, filled: Deployment) -> None:
    lf.grant(IAP, {"Table": lf.table}, ["ALL"])
    result = _check(filled)
    assert not result.passed
    assert result.reason and result.reason.startswith("the analyst's SELECT * on")
    assert any(p.startswith("IAMAllowedPrincipals holds ['ALL']") for p in result.details["problems"]["grants"])
    assert result.details["problems"]["denied"]  # the analyst really reads ssn on such a stack


def test_analyst_made_data_lake_admin_fails_the_check(lf: LakeFormation, filled: Deployment) -> None:
    admins = [*lf.settings["DataLakeAdmins"], lf.analyst]
    lf.client.put_data_lake_settings(DataLakeSettings={**lf.settings, "DataLakeAdmins": admins})
    result = _check(filled)
    assert not result.passed
    assert f"the analyst role {lf.outputs['analyst_role_arn']} is a data lake admin" in " ".join(
        result.details["problems"]["grants"]
    )
    assert result.details["problems"]["select_all"]


def test_second_analyst_grant_including_ssn_fails_the_check(lf: LakeFormation, filled: Deployment) -> None:
    lf.grant(lf.analyst, {"TableWithColumns": {**lf.table, "ColumnNames": ["user_id", "ssn"]}}, ["SELECT"])
    result = _check(filled)
    assert not result.passed
    assert any("the analyst holds SELECT on ssn" in p for p in result.details["problems"]["grants"])
    assert result.details["problems"]["denied"] == [
        f'the analyst read ssn: `SELECT "ssn" FROM {lf.table["DatabaseName"]}.users LIMIT 1` succeeded'
    ]


def test_repairs_leave_the_stack_as_terraform_made_it(filled: Deployment) -> None:
    assert _check(filled).passed
    iac = check_iac_coverage(filled.stack)
    assert iac.passed, iac.reason
