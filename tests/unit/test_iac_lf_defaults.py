"""Exit check 5: Lake Formation settings Terraform adopts silently when edited by hand.

The root leaves a Glue database's ``create_table_default_permission``, the data lake settings'
``read_only_admins`` / ``trusted_resource_owners`` and a registered location's ``role_arn`` /
``with_federation`` unset, and hashicorp/aws (5.100.0, which ``infra/`` pins) marks them all
Optional+Computed: a value set by hand outside Terraform is taken as the
resource's own, and ``terraform plan -detailed-exitcode`` exits 0 (shown with the real provider
against the emulator: ``glue update_database`` with ``IAM_ALLOWED_PRINCIPALS: ALL`` and
``put_data_lake_settings`` with a read-only admin both planned "No changes"). Before these tests the
inventory did not read them, so the check passed such a stack. Each broken case names what was set;
each healthy twin (what Terraform made, as state records it) stays green.
"""

from __future__ import annotations

from typing import Any

from lakehouse.checks.iac import judge_iac
from lakehouse.inventory import name_prefixes, stack_inventory
from lakehouse.outcome import Status
from lakehouse.terraform import PlanResult
from tests.unit.test_inventory import ACCOUNT, BUCKETS, GOLD, REGION, STACK, account

GOLD_DB = f"{name_prefixes(STACK)[1]}_gold"
GOLD_DB_ARN = f"arn:aws:glue:{REGION}:{ACCOUNT}:database/{GOLD_DB}"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/deployer"
STRANGER = f"arn:aws:iam::{ACCOUNT}:role/someone"
#: What state holds besides the resource under test: the stack's one bucket (``BUCKETS``).
BUCKET = {"type": "aws_s3_bucket", "address": "aws_s3_bucket.gold", "values": {"bucket": GOLD}}
OPEN_TO_IAM = [{"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}]


def _database_state(defaults: list[dict[str, Any]]) -> dict[str, Any]:
    """``aws_glue_catalog_database`` as state keeps it (``create_table_default_permission`` blocks)."""
    values = {"arn": GOLD_DB_ARN, "name": GOLD_DB, "create_table_default_permission": defaults}
    return {"type": "aws_glue_catalog_database", "address": "aws_glue_catalog_database.this", "values": values}


def _settings_state(**extra: Any) -> dict[str, Any]:
    values = {
        "admins": [DEPLOYER],
        "read_only_admins": [],
        "trusted_resource_owners": [],
        "create_database_default_permissions": [],
        "create_table_default_permissions": [],
        **extra,
    }
    return {
        "type": "aws_lakeformation_data_lake_settings",
        "address": "aws_lakeformation_data_lake_settings.this",
        "values": values,
    }


def _with_database(defaults: list[dict[str, Any]]) -> Any:
    """An account whose stack Gold database has these CreateTableDefaultPermissions."""
    glue = {
        ("glue", "get_databases"): [{"DatabaseList": [{"Name": GOLD_DB, "CreateTableDefaultPermissions": defaults}]}]
    }
    return account({**BUCKETS, **glue}, {("glue", "get_tags"): {"Tags": {}}})


def test_a_stack_database_opened_to_iam_by_hand_fails_check_5_naming_it() -> None:
    inv = stack_inventory(_with_database(OPEN_TO_IAM), STACK)
    result = judge_iac(PlanResult(0), [BUCKET, _database_state([])], inv, set())
    assert result.status is Status.FAILED, result.reason
    assert f"{GOLD_DB} default permission for new tables: IAM_ALLOWED_PRINCIPALS: ALL" in str(result.reason)
    assert result.measured["unmanaged_resources"] == 1


def test_a_stack_database_with_the_defaults_state_records_passes() -> None:
    inv = stack_inventory(_with_database([]), STACK)
    assert judge_iac(PlanResult(0), [BUCKET, _database_state([])], inv, set()).status is Status.PASSED
    declared = [{"permissions": ["ALL"], "principal": [{"data_lake_principal_identifier": "IAM_ALLOWED_PRINCIPALS"}]}]
    inv = stack_inventory(_with_database(OPEN_TO_IAM), STACK)
    assert judge_iac(PlanResult(0), [BUCKET, _database_state(declared)], inv, set()).status is Status.PASSED


def _with_settings(**settings: Any) -> Any:
    answer = {"DataLakeSettings": {"DataLakeAdmins": [{"DataLakePrincipalIdentifier": DEPLOYER}], **settings}}
    return account(BUCKETS, {("lakeformation", "get_data_lake_settings"): answer})


def test_a_read_only_admin_and_a_trusted_owner_added_by_hand_fail_check_5_naming_them() -> None:
    inv = stack_inventory(
        _with_settings(
            ReadOnlyAdmins=[{"DataLakePrincipalIdentifier": STRANGER}], TrustedResourceOwners=["999999999999"]
        ),
        STACK,
    )
    result = judge_iac(PlanResult(0), [BUCKET, _settings_state()], inv, set())
    assert result.status is Status.FAILED, result.reason
    assert f"data lake read-only admin {STRANGER}" in str(result.reason)
    assert "trusted resource owner 999999999999" in str(result.reason)


def test_read_only_admins_and_trusted_owners_the_root_gives_pass() -> None:
    inv = stack_inventory(
        _with_settings(
            ReadOnlyAdmins=[{"DataLakePrincipalIdentifier": STRANGER}], TrustedResourceOwners=["999999999999"]
        ),
        STACK,
    )
    state = [BUCKET, _settings_state(read_only_admins=[STRANGER], trusted_resource_owners=["999999999999"])]
    assert judge_iac(PlanResult(0), state, inv, set()).status is Status.PASSED
    plain = stack_inventory(_with_settings(), STACK)
    assert judge_iac(PlanResult(0), [BUCKET, _settings_state()], plain, set()).status is Status.PASSED


GOLD_LOCATION = f"arn:aws:s3:::{GOLD}"
SERVICE_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/lakeformation.amazonaws.com/AWSServiceRoleForLakeFormationDataAccess"
)


def _with_location(**info: Any) -> Any:
    """An account where the Gold bucket is registered with Lake Formation as ``info`` says (ListResources)."""
    listed = {"ResourceInfoList": [{"ResourceArn": GOLD_LOCATION, **info}]}
    return account(BUCKETS, {("lakeformation", "list_resources"): listed})


def _location_state(**values: Any) -> dict[str, Any]:
    """``aws_lakeformation_resource`` as state keeps it (the root sets ``use_service_linked_role``)."""
    kept = {"arn": GOLD_LOCATION, "role_arn": SERVICE_ROLE, "with_federation": False, "hybrid_access_enabled": False}
    return {"type": "aws_lakeformation_resource", "address": "aws_lakeformation_resource.gold", "values": kept | values}


def test_a_registered_location_moved_to_another_role_by_hand_fails_check_5_naming_it() -> None:
    """``lakeformation:UpdateResource`` changes the role Lake Formation reads the Gold bucket with; ``role_arn`` and
    ``with_federation`` are Optional+Computed and unset in the root, so the plan adopts the change."""
    inv = stack_inventory(_with_location(RoleArn=STRANGER, WithFederation=True), STACK)
    result = judge_iac(PlanResult(0), [BUCKET, _location_state()], inv, set())
    assert result.status is Status.FAILED, result.reason
    reason = str(result.reason)
    assert f"aws_lakeformation_resource {GOLD_LOCATION}: role_arn is {STRANGER}" in reason
    assert f"Terraform state records {SERVICE_ROLE}" in reason
    assert "with_federation is True" in reason


def test_a_registered_location_as_state_records_it_passes() -> None:
    inv = stack_inventory(_with_location(RoleArn=SERVICE_ROLE, WithFederation=False), STACK)
    assert judge_iac(PlanResult(0), [BUCKET, _location_state()], inv, set()).status is Status.PASSED
    bare = stack_inventory(_with_location(RoleArn=SERVICE_ROLE), STACK)  # an API that leaves WithFederation out
    assert judge_iac(PlanResult(0), [BUCKET, _location_state()], bare, set()).status is Status.PASSED
