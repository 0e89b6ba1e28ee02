"""Exit check 6's holes around the analyst role: roles it can act as, rewriting permissions, S3 Access Grants."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from lakehouse.checks import role_paths
from lakehouse.checks.iam_access import Policy
from lakehouse.checks.role_paths import Actor, RoleInfo, read_reachable, read_roles
from lakehouse.checks.s3_routes import AccessGrants, grant_covers, read_access_grants, read_routes
from lakehouse.checks.security import judge_security
from lakehouse.checks.security_model import SecurityReadback, analyst_actor
from lakehouse.outcome import Status
from tests.unit.test_security import ACCOUNT, ANALYST, BUCKETS, DB, grant, healthy

ROOT = f"arn:aws:iam::{ACCOUNT}:root"
PIPELINE = f"arn:aws:iam::{ACCOUNT}:role/lh-pipeline"
HOP = f"arn:aws:iam::{ACCOUNT}:role/lh-hop"
GLUE_JOB = f"arn:aws:iam::{ACCOUNT}:role/lh-glue-job"
SAGEMAKER = f"arn:aws:iam::{ACCOUNT}:role/lh-sagemaker"
MANAGED = f"arn:aws:iam::{ACCOUNT}:policy/lh-analyst-extra"


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _trust(principal: dict[str, Any], sid: str = "Trust", **more: Any) -> dict[str, Any]:
    return _doc({"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole", **more})


def _policy(source: str, *statements: dict[str, Any]) -> Policy:
    return Policy.parse(source, _doc(*statements))


def _allow(action: Any, resource: Any, sid: str = "Open", effect: str = "Allow") -> dict[str, Any]:
    return {"Sid": sid, "Effect": effect, "Action": action, "Resource": resource}


#: The pipeline role as infra/iam.tf makes it: trusts the account, reads and writes the lake's objects.
PIPELINE_POLICY = _policy(
    "inline policy lakehouse-pipeline",
    _allow("s3:GetObject", [f"arn:aws:s3:::{b}/*" for b in BUCKETS.values()], sid="ReadWriteLakeObjects"),
)


def roles() -> dict[str, RoleInfo]:
    """The account's roles as a healthy stack leaves them (pipeline's permissions read only when reached)."""
    return {
        ANALYST: RoleInfo(ANALYST, _trust({"AWS": ROOT}, "TrustDeployingAccount")),
        PIPELINE: RoleInfo(PIPELINE, _trust({"AWS": ROOT}, "TrustDeployingAccount"), [PIPELINE_POLICY]),
        SAGEMAKER: RoleInfo(
            SAGEMAKER,
            _trust({"Service": "sagemaker.amazonaws.com"}),
            [_policy("inline policy lakehouse-sagemaker", _allow("s3:GetObject", "arn:aws:s3:::lh-ml-1/*"))],
        ),
    }


def stack(*analyst_statements: dict[str, Any], extra: dict[str, RoleInfo] | None = None) -> SecurityReadback:
    rb = healthy()
    rb.roles = {**roles(), **(extra or {})}
    if analyst_statements:
        rb.identity_policies = [*rb.identity_policies, _policy("inline policy escalate", *analyst_statements)]
    return rb


def role_problems(rb: SecurityReadback) -> list[str]:
    return list(judge_security(rb).details["problems"]["role_paths"])


def test_a_healthy_account_passes_and_shows_the_roles_examined() -> None:
    result = judge_security(stack())
    assert result.passed, result.reason
    examined = result.details["role_paths"]["roles_examined"]
    assert examined[PIPELINE] == [f"Principal AWS:{ROOT}"]
    assert examined[SAGEMAKER] == ["Principal Service:sagemaker.amazonaws.com"]
    assert result.details["role_paths"]["reached"] == []
    assert result.measured["roles_examined"] == 3
    assert result.measured["roles_the_analyst_can_act_as"] == []


@pytest.mark.parametrize("resource", [PIPELINE, "*", f"arn:aws:iam::{ACCOUNT}:role/lh-*"])
def test_the_analyst_allowed_to_assume_the_pipeline_role_fails_naming_the_path(resource: str) -> None:
    result = judge_security(stack(_allow("sts:AssumeRole", resource, sid="Chain")))
    assert result.status is Status.FAILED
    found = result.details["problems"]["role_paths"]
    path = (
        "the analyst role can act as role lh-pipeline (analyst lh-analyst -> role lh-pipeline (assumes it: "
        f"statement TrustDeployingAccount of the trust policy of lh-pipeline (Principal {ROOT} (the account: the "
        f"role's identity policies decide)); statement Chain of inline policy escalate allows sts:AssumeRole on "
        f"{PIPELINE})), and "
    )
    assert any(
        p.startswith(path + f"role {PIPELINE} reads lake bucket {BUCKETS['silver']} directly from S3")
        and "statement ReadWriteLakeObjects of inline policy lakehouse-pipeline allows s3:GetObject" in p
        for p in found
    ), found
    # its Lake Formation grant too (ALL on Gold users, in healthy()'s grants)
    assert any(p.startswith(path + f"role {PIPELINE} holds SELECT on ssn of {DB}.users") for p in found), found
    assert result.measured["roles_the_analyst_can_act_as"] == [PIPELINE]
    assert result.reason and result.reason.startswith("the analyst role can act as role lh-pipeline")


def test_a_trust_policy_naming_the_analyst_needs_no_identity_permission() -> None:
    opened = RoleInfo(PIPELINE, _trust({"AWS": ANALYST}, "TrustAnalyst"), [PIPELINE_POLICY])
    found = role_problems(stack(extra={PIPELINE: opened}))
    assert found and all(
        "role lh-pipeline (assumes it: statement TrustAnalyst of the trust policy of lh-pipeline "
        f"(Principal {ANALYST}))" in p
        for p in found
    ), found


@pytest.mark.parametrize(
    "statements",
    [
        [],  # no sts:AssumeRole at all
        [_allow("sts:AssumeRole", "*"), _allow("sts:AssumeRole", PIPELINE, sid="No", effect="Deny")],
        [_allow("sts:AssumeRole", SAGEMAKER)],  # trusts a service only
        [_allow("iam:PassRole", PIPELINE)],  # a role no service may assume cannot be passed to one
        [_allow("iam:GetRole", "*"), _allow("iam:ListRoles", "*")],
    ],
    ids=["nothing", "explicit-deny", "service-role", "pass-untrusted", "read-only-iam"],
)
def test_roles_the_analyst_cannot_become_pass(statements: list[dict[str, Any]]) -> None:
    result = judge_security(stack(*statements))
    assert result.passed, result.reason


def test_a_trust_deny_naming_the_analyst_closes_the_path() -> None:
    trust = _trust({"AWS": ROOT})
    trust["Statement"].append({"Effect": "Deny", "Principal": {"AWS": ANALYST}, "Action": "sts:AssumeRole"})
    result = judge_security(
        stack(_allow("sts:AssumeRole", "*"), extra={PIPELINE: RoleInfo(PIPELINE, trust, [PIPELINE_POLICY])})
    )
    assert result.passed, result.reason


def test_a_role_reached_that_opens_nothing_passes_and_is_shown() -> None:
    quiet = RoleInfo(HOP, _trust({"AWS": ANALYST}), [_policy("inline policy athena", _allow("athena:*", "*"))])
    result = judge_security(stack(extra={HOP: quiet}))
    assert result.passed, result.reason
    assert result.details["role_paths"]["reached"] == [
        {
            "role": HOP,
            "path": "analyst lh-analyst -> role lh-hop (assumes it: statement Trust of the trust policy of lh-hop "
            f"(Principal {ANALYST}))",
            "opens": [],
        }
    ]


def test_two_hops_to_the_pipeline_role_fail_naming_both() -> None:
    hop = RoleInfo(
        HOP, _trust({"AWS": ANALYST}), [_policy("inline policy hop", _allow("sts:AssumeRole", PIPELINE, sid="Next"))]
    )
    found = role_problems(stack(extra={HOP: hop}))
    assert found and all(
        p.startswith("the analyst role can act as role lh-pipeline (analyst lh-analyst -> role lh-hop (assumes it: ")
        and " -> role lh-pipeline (assumes it: " in p
        and f"statement Next of inline policy hop allows sts:AssumeRole on {PIPELINE}" in p
        for p in found
    ), found


def test_rewriting_a_roles_trust_policy_is_a_path() -> None:
    found = role_problems(stack(_allow("iam:UpdateAssumeRolePolicy", PIPELINE, sid="Retrust")))
    assert found and all(
        "role lh-pipeline (may rewrite its trust policy to trust itself: statement Retrust of inline policy "
        f"escalate allows iam:UpdateAssumeRolePolicy on {PIPELINE})" in p
        for p in found
    ), found


def test_passing_a_service_role_that_reads_the_lake_is_a_path() -> None:
    job = RoleInfo(GLUE_JOB, _trust({"Service": "glue.amazonaws.com"}), [PIPELINE_POLICY])
    found = role_problems(stack(_allow("iam:PassRole", "*", sid="Pass"), extra={GLUE_JOB: job}))
    assert any(
        "role lh-glue-job (may pass it to a service that runs as it: statement Pass of inline policy escalate "
        f"allows iam:PassRole on {GLUE_JOB}; it trusts glue.amazonaws.com)"
        in p
        and f"role {GLUE_JOB} reads lake bucket" in p
        for p in found
    ), found


def test_a_reached_role_that_is_a_data_lake_admin_fails() -> None:
    admin = RoleInfo(HOP, _trust({"AWS": ANALYST}), [])
    rb = stack(extra={HOP: admin})
    rb.settings = {"DataLakeAdmins": [{"DataLakePrincipalIdentifier": HOP}]}
    found = role_problems(rb)
    assert found == [
        "the analyst role can act as role lh-hop (analyst lh-analyst -> role lh-hop (assumes it: statement Trust of "
        f"the trust policy of lh-hop (Principal {ANALYST}))), and role {HOP} is a data lake admin: admins see every "
        "column"
    ]


def test_a_reached_roles_lake_formation_grant_on_silver_fails() -> None:
    rb = stack(extra={HOP: RoleInfo(HOP, _trust({"AWS": ANALYST}), [])})
    rb.grants = [*rb.grants, grant(HOP, {"Table": {"DatabaseName": "lh_silver", "Name": "users"}}, "SELECT")]
    found = role_problems(rb)
    assert len(found) == 1 and found[0].endswith(
        f"and role {HOP} holds SELECT on ssn of lh_silver.users through a table-level grant (every column): "
        "{'Table': {'DatabaseName': 'lh_silver', 'Name': 'users'}}"
    ), found


@pytest.mark.parametrize(
    ("statement", "culprit"),
    [
        (
            _allow("iam:PutRolePolicy", ANALYST, sid="SelfPolicy"),
            f"the analyst role may call iam:PutRolePolicy on {ANALYST} (statement SelfPolicy of inline policy "
            "escalate): it can give a role the analyst is or becomes any permission",
        ),
        (_allow("iam:*", "*", sid="IamAdmin"), f"the analyst role may call iam:AttachRolePolicy on {ANALYST}"),
        (
            _allow("lakeformation:PutDataLakeSettings", "*", sid="LfAdmin"),
            "the analyst role may call lakeformation:PutDataLakeSettings on * (statement LfAdmin of inline policy "
            "escalate): it can make itself a data lake admin, and admins read every column",
        ),
        (
            _allow("iam:CreatePolicyVersion", MANAGED, sid="NewVersion"),
            f"the analyst role may call iam:CreatePolicyVersion on {MANAGED}",
        ),
    ],
    ids=["put-role-policy-self", "iam-star", "lf-admin", "policy-version"],
)
def test_the_analyst_raising_its_own_permissions_fails_naming_the_statement(
    statement: dict[str, Any], culprit: str
) -> None:
    rb = stack(statement)
    rb.identity_policies.append(_policy(f"attached policy {MANAGED}", _allow("athena:ListWorkGroups", "*")))
    found = role_problems(rb)
    assert any(p.startswith(culprit) for p in found), found
    assert judge_security(rb).status is Status.FAILED


@pytest.mark.parametrize(
    ("action", "source"),
    [
        ("iam:DeleteRolePolicy", "inline policy fence"),
        ("iam:DetachRolePolicy", f"attached policy {MANAGED}"),
    ],
    ids=["delete-inline", "detach-managed"],
)
def test_the_analyst_removing_a_deny_that_keeps_it_out_fails(action: str, source: str) -> None:
    """Reads of the lake shut only by a Deny of the analyst's own policies, which it may delete or detach."""
    rb = stack(_allow(action, ANALYST, sid="Prune"), _allow("s3:GetObject", "*", sid="ReadAnything"))
    rb.identity_policies.append(_policy(source, _allow("s3:*", "arn:aws:s3:::lh-*", sid="Fence", effect="Deny")))
    found = role_problems(rb)
    assert any(
        p.startswith(f"the analyst role may call {action} on {ANALYST} (statement Prune of inline policy escalate)")
        and f"statement Fence of {source}" in p
        for p in found
    ), found
    # Without a Deny in its policies there is nothing to lift: no escalation.
    rb.identity_policies = [p for p in rb.identity_policies if p.source != source]
    rb.identity_policies = [
        replace(p, document={"Statement": [s for s in p.statements() if s.get("Sid") != "ReadAnything"]})
        for p in rb.identity_policies
    ]
    assert role_problems(rb) == []


def test_a_role_reached_that_may_rewrite_itself_fails() -> None:
    hop = RoleInfo(HOP, _trust({"AWS": ANALYST}), [_policy("inline policy hop", _allow("iam:PutRolePolicy", HOP))])
    found = role_problems(stack(extra={HOP: hop}))
    assert any(
        p.startswith(f"role {HOP}, which the analyst can act as (analyst lh-analyst -> role lh-hop (assumes it: ")
        and f"may call iam:PutRolePolicy on {HOP}" in p
        for p in found
    ), found


def test_aws_managed_policies_and_boundaries_not_held_are_no_escalation() -> None:
    rb = stack(
        _allow(["iam:CreatePolicyVersion", "iam:DeleteRolePermissionsBoundary"], "*", sid="Broad"),
    )
    rb.identity_policies.append(
        _policy("attached policy arn:aws:iam::aws:policy/AmazonAthenaFullAccess", _allow("athena:*", "*"))
    )
    assert role_problems(rb) == []


# -- reading the roles ---------------------------------------------------------------------------------


def test_the_permissions_of_roles_reached_are_read_hop_by_hop(monkeypatch: pytest.MonkeyPatch) -> None:
    rb = stack(_allow("sts:AssumeRole", [HOP, PIPELINE]))
    account = {arn: RoleInfo(arn, r.trust) for arn, r in rb.roles.items()}  # nothing read yet
    account[HOP] = RoleInfo(HOP, _trust({"AWS": ROOT}))
    read: list[str] = []
    hop_policy = _policy("inline policy hop", _allow("sts:AssumeRole", SAGEMAKER))

    def fake_read(_target: Any, arn: str) -> tuple[list[Policy], Policy | None]:
        read.append(arn)
        if arn == PIPELINE:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetRole")
        return ([hop_policy] if arn == HOP else []), None

    monkeypatch.setattr(role_paths, "read_role_policies", fake_read)
    errors: list[str] = []
    target: Any = SimpleNamespace()  # never used: the reads are faked
    paths = read_reachable(target, analyst_actor(rb), ACCOUNT, account, errors)
    assert sorted(paths) == [HOP, PIPELINE]  # the sagemaker role trusts a service only: not reached
    assert read == [HOP, PIPELINE]  # only roles reached, each once
    assert errors == [
        f"could not read the IAM policies of role {PIPELINE}, which the analyst reaches: An error occurred "
        "(AccessDenied) when calling the GetRole operation: no"
    ]
    rb.roles, rb.read_errors = account, errors
    assert judge_security(rb).status is Status.FAILED  # the pipeline's Lake Formation grant is read all the same
    rb.grants = [g for g in rb.grants if g["Principal"]["DataLakePrincipalIdentifier"] != PIPELINE]
    assert judge_security(rb).status is Status.ERROR  # a role it reaches could not be read: never passed


# -- S3 Access Grants ----------------------------------------------------------------------------------


def _access_grant(grantee: str, scope: str, permission: str = "READ", kind: str = "IAM") -> dict[str, Any]:
    return {
        "AccessGrantId": "g-1",
        "Grantee": {"GranteeType": kind, "GranteeIdentifier": grantee},
        "Permission": permission,
        "GrantScope": scope,
    }


def with_grants(*grants: dict[str, Any]) -> SecurityReadback:
    rb = stack()
    rb.routes.access_grants = AccessGrants("read", [{"AccessGrantsInstanceId": "default"}], list(grants))
    return rb


@pytest.mark.parametrize(
    ("grant_", "culprit"),
    [
        (
            _access_grant(ANALYST, f"s3://{BUCKETS['silver']}/users/*"),
            f"S3 Access Grant g-1 gives the analyst role READ on s3://{BUCKETS['silver']}/users/*, which holds lake "
            f"object s3://{BUCKETS['silver']}/users/data/00000.parquet: S3 serves it around Lake Formation",
        ),
        (
            _access_grant(ANALYST, "s3://*", "READWRITE"),
            "S3 Access Grant g-1 gives the analyst role READWRITE on s3://*",
        ),
        (
            _access_grant("arn:aws:iam::210987654321:role/partner", f"s3://{BUCKETS['gold']}/*"),
            f"gives arn:aws:iam::210987654321:role/partner, outside account {ACCOUNT}, READ on",
        ),
    ],
    ids=["analyst-silver", "analyst-everything", "other-account"],
)
def test_an_access_grant_on_lake_objects_fails_naming_it(grant_: dict[str, Any], culprit: str) -> None:
    result = judge_security(with_grants(grant_))
    assert result.status is Status.FAILED
    assert any(culprit in p for p in result.details["problems"]["other_routes"]), result.details["problems"]


def test_an_access_grant_to_a_role_the_analyst_can_act_as_fails() -> None:
    rb = with_grants(_access_grant(HOP, f"s3://{BUCKETS['gold']}/users/*"))
    rb.roles[HOP] = RoleInfo(HOP, _trust({"AWS": ANALYST}), [])
    found = judge_security(rb).details["problems"]["other_routes"]
    assert any(p.startswith(f"S3 Access Grant g-1 gives role {HOP}, which the analyst can act as (") for p in found)


@pytest.mark.parametrize(
    "grant_",
    [
        _access_grant(ANALYST, "s3://lh-elsewhere/*"),
        _access_grant(ANALYST, f"s3://{BUCKETS['silver']}/users/*", "WRITE"),
        _access_grant(PIPELINE, f"s3://{BUCKETS['silver']}/*"),  # the pipeline, which the analyst cannot become
        _access_grant("a1b2-user", f"s3://{BUCKETS['silver']}/*", kind="DIRECTORY_USER"),
        _access_grant(ANALYST, f"s3://{BUCKETS['silver']}/users_rejected/*"),  # no lake object tried there
    ],
    ids=["other-bucket", "write-only", "pipeline", "directory-user", "no-object"],
)
def test_access_grants_that_keep_the_lake_shut_to_the_analyst_pass(grant_: dict[str, Any]) -> None:
    result = judge_security(with_grants(grant_))
    assert result.passed, result.reason


def test_grant_scopes_match_like_s3_access_grants() -> None:
    assert grant_covers("s3://b/users/*", "b", "users/x.parquet")
    assert grant_covers("s3://b/users", "b", "users/x.parquet")
    assert grant_covers("s3://*", "b", "k")
    assert not grant_covers("s3://b/users/*", "b", "users_rejected/x")
    assert not grant_covers("s3://b/users", "b", "users_rejected/x")
    assert not grant_covers("s3://bb/*", "b", "k")


class _Control:
    """S3 Control as far as the Access Grants reader uses it."""

    def __init__(self, instances: list[dict[str, Any]] | Exception, grants: list[dict[str, Any]]):
        self.instances, self.grants = instances, grants
        self.meta = SimpleNamespace(events=SimpleNamespace(register=lambda *a, **k: None))

    def list_access_grants_instances(self, **_: Any) -> dict[str, Any]:
        if isinstance(self.instances, Exception):
            raise self.instances
        return {"AccessGrantsInstancesList": self.instances}

    def get_public_access_block(self, **_: Any) -> dict[str, Any]:
        return {"PublicAccessBlockConfiguration": {}}

    def list_access_grants(self, **params: Any) -> dict[str, Any]:
        if "NextToken" not in params:
            return {"AccessGrantsList": self.grants[:1], "NextToken": "2"}
        return {"AccessGrantsList": self.grants[1:]}


NOT_FOUND = ClientError({"Error": {"Code": "404", "Message": "Not Found"}}, "ListAccessGrantsInstances")


def test_access_grants_are_read_on_every_page_and_none_without_an_instance() -> None:
    first, second = _access_grant(ANALYST, "s3://a/*"), _access_grant(ANALYST, "s3://b/*")
    read = read_access_grants(
        _Control([{"AccessGrantsInstanceId": "default", "CreatedAt": 1}], [first, second]), ACCOUNT
    )
    assert (read.status, read.instances, read.grants) == (
        "read",
        [{"AccessGrantsInstanceId": "default"}],
        [first, second],
    )
    assert read_access_grants(_Control([], [first]), ACCOUNT) == AccessGrants("read")
    unreadable = read_access_grants(_Control(NOT_FOUND, []), ACCOUNT)
    assert unreadable.status == "unreadable" and "Not Found" in str(unreadable.reason)


@pytest.mark.parametrize("local", [True, False])
def test_unreadable_access_grants_are_recorded_locally_and_an_error_on_aws(local: bool) -> None:
    target = SimpleNamespace(
        is_local=local,
        region="eu-west-1",
        client=lambda name, region=None: _Control(NOT_FOUND, []) if name == "s3control" else None,
        configured_endpoint=lambda _service: None,
    )
    routes = read_routes(target, ACCOUNT, "aws", {}, "probe")  # type: ignore[arg-type]
    assert routes.access_grants.status == "unreadable"
    if local:
        assert routes.errors == [] and str(routes.access_grants.reason).startswith(
            "the local emulator has no S3 Access Grants API"
        )
    else:
        assert routes.errors == [
            "could not read the account's S3 Access Grants (S3 Control ListAccessGrantsInstances/ListAccessGrants: "
            "An error occurred (404) when calling the ListAccessGrantsInstances operation: Not Found)"
        ]


def test_roles_and_their_policies_are_read_back_through_iam() -> None:
    """ListRoles' trust policies (URL-encoded or not), then the permissions of the roles reached only."""
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        account = boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
        root = f"arn:aws:iam::{account}:root"
        arns = {}
        for name in ("lh-analyst", "lh-pipeline", "lh-sagemaker"):
            trust = _trust({"Service": "sagemaker.amazonaws.com"} if name == "lh-sagemaker" else {"AWS": root})
            arns[name] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        read_write = _doc(_allow("s3:GetObject", "arn:aws:s3:::lh-silver-1/*", sid="ReadWriteLakeObjects"))
        iam.put_role_policy(
            RoleName="lh-pipeline", PolicyName="lakehouse-pipeline", PolicyDocument=json.dumps(read_write)
        )
        target: Any = SimpleNamespace(client=lambda service: boto3.client(service, region_name="us-east-1"))
        roles_ = read_roles(target)
        assert sorted(roles_) == sorted(arns.values())
        assert roles_[arns["lh-pipeline"]].trust["Statement"][0]["Principal"] == {"AWS": root}
        analyst = Actor(arns["lh-analyst"], [_policy("inline policy chain", _allow("sts:AssumeRole", "*"))], None)
        errors: list[str] = []
        paths = read_reachable(target, analyst, account, roles_, errors)
        assert errors == [] and list(paths) == [arns["lh-pipeline"]]
        assert [p.source for p in roles_[arns["lh-pipeline"]].identity or []] == ["inline policy lakehouse-pipeline"]
        assert roles_[arns["lh-sagemaker"]].identity is None  # not reached: not read


def test_a_permissions_boundary_without_sts_keeps_the_account_trust_shut() -> None:
    rb = stack(_allow("sts:AssumeRole", "*"))
    rb.boundary = _policy(
        "permissions boundary arn:aws:iam::123456789012:policy/analyst-boundary", _allow("athena:*", "*")
    )
    assert role_problems(rb) == []
    # a trust policy naming the analyst's sessions lets it in all the same (the boundary limits identity grants)
    sessions = f"arn:aws:sts::{ACCOUNT}:assumed-role/lh-analyst/*"
    rb.roles[PIPELINE] = RoleInfo(PIPELINE, _trust({"AWS": sessions}, "Sessions"), [PIPELINE_POLICY])
    found = role_problems(rb)
    assert found and all(
        f"statement Sessions of the trust policy of lh-pipeline (Principal {sessions})" in p for p in found
    )


# -- a principal of its own making or taking ---------------------------------------------------------

SCRATCH = f"arn:aws:iam::{ACCOUNT}:role/scratch-*"
OPS_USER = f"arn:aws:iam::{ACCOUNT}:user/ops"


@pytest.mark.parametrize(
    ("statements", "culprit"),
    [
        (
            [_allow(["iam:CreateRole", "iam:PutRolePolicy"], SCRATCH, sid="Scratch")],
            f"the analyst role may call iam:CreateRole + iam:PutRolePolicy on arn:aws:iam::{ACCOUNT}:role/scratch-x "
            "(statement Scratch of inline policy escalate allows iam:CreateRole",
        ),
        (
            [_allow("iam:CreateRole", "*", sid="Make"), _allow("iam:AttachRolePolicy", SCRATCH, sid="Attach")],
            f"the analyst role may call iam:CreateRole + iam:AttachRolePolicy on arn:aws:iam::{ACCOUNT}:role/scratch-x",
        ),
        (
            [_allow(["iam:CreateUser", "iam:AttachUserPolicy", "iam:CreateAccessKey"], "*", sid="Users")],
            "the analyst role may call iam:CreateUser + iam:AttachUserPolicy + iam:CreateAccessKey on "
            f"arn:aws:iam::{ACCOUNT}:user/lakehouse-escalation-probe",
        ),
        (
            [_allow("iam:CreateAccessKey", OPS_USER, sid="Keys")],
            f"the analyst role may call iam:CreateAccessKey on {OPS_USER} (statement Keys of inline policy escalate "
            f"allows iam:CreateAccessKey on {OPS_USER}): it can act as that user",
        ),
        (
            [_allow("iam:UpdateLoginProfile", f"arn:aws:iam::{ACCOUNT}:user/*", sid="Console")],
            f"the analyst role may call iam:UpdateLoginProfile on {OPS_USER}",
        ),
    ],
    ids=["create-and-put-role-policy", "create-anywhere-attach-in-scratch", "create-user", "user-keys", "login"],
)
def test_a_principal_the_analyst_can_make_or_take_fails_naming_the_statements(
    statements: list[dict[str, Any]], culprit: str
) -> None:
    rb = stack(*statements)
    rb.users = [OPS_USER]
    found = role_problems(rb)
    assert any(p.startswith(culprit) for p in found), found
    assert judge_security(rb).status is Status.FAILED


@pytest.mark.parametrize(
    "statements",
    [
        [_allow("iam:CreateRole", "*")],  # a new role with no permissions opens nothing
        [_allow("iam:CreateRole", SCRATCH), _allow("iam:PutRolePolicy", f"arn:aws:iam::{ACCOUNT}:role/other-*")],
        [_allow(["iam:CreateUser", "iam:PutUserPolicy"], "*")],  # no way to act as the user
        [_allow("iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/someone-else")],  # no such user
        [
            _allow(["iam:CreateRole", "iam:PutRolePolicy"], "*"),
            _allow("iam:PutRolePolicy", "*", sid="NoPut", effect="Deny"),
        ],
    ],
    ids=["create-only", "create-and-put-apart", "user-without-keys", "keys-for-nobody", "put-denied"],
)
def test_making_or_taking_without_the_whole_chain_passes(statements: list[dict[str, Any]]) -> None:
    rb = stack(*statements)
    rb.users = [OPS_USER]
    assert role_problems(rb) == []


def test_the_users_of_the_account_are_read_through_iam() -> None:
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        arns = [iam.create_user(UserName=f"u{i}")["User"]["Arn"] for i in range(3)]
        target: Any = SimpleNamespace(client=lambda service: boto3.client(service, region_name="us-east-1"))
        assert sorted(role_paths.read_users(target)) == sorted(arns)


RECEIVER = f"arn:aws:iam::{ACCOUNT}:role/lh-receiver"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:lh-alerts-receiver"


def _receiver() -> RoleInfo:
    """A function's execution role that reads the lake (what an existing function runs as)."""
    return RoleInfo(RECEIVER, _trust({"Service": "lambda.amazonaws.com"}), [PIPELINE_POLICY], functions=[FUNCTION])


def test_replacing_the_code_of_a_function_that_runs_as_a_lake_reader_is_a_path() -> None:
    """No iam:PassRole needed: the function keeps its role, the new code runs as it."""
    found = role_problems(stack(_allow("lambda:UpdateFunctionCode", "*", sid="Deploy"), extra={RECEIVER: _receiver()}))
    assert any(
        "role lh-receiver (may replace the code of a function that runs as it: statement Deploy of inline policy "
        f"escalate allows lambda:UpdateFunctionCode on {FUNCTION}; function {FUNCTION} runs as it)"
        in p
        and f"role {RECEIVER} reads lake bucket" in p
        for p in found
    ), found


def test_reconfiguring_a_function_that_runs_as_a_lake_reader_is_a_path() -> None:
    """UpdateFunctionConfiguration sets the function's layers and handler: code of the caller's choosing runs as its
    role, so denying UpdateFunctionCode alone closes nothing."""
    statements = [_allow("lambda:*", "*", sid="Lambda"), _allow("lambda:UpdateFunctionCode", "*", effect="Deny")]
    found = role_problems(stack(*statements, extra={RECEIVER: _receiver()}))
    assert any(
        "role lh-receiver (may replace the code of a function that runs as it: statement Lambda of inline policy "
        f"escalate allows lambda:UpdateFunctionConfiguration on {FUNCTION}; function {FUNCTION} runs as it)" in p
        for p in found
    ), found


@pytest.mark.parametrize(
    "statements",
    [
        [],  # the healthy analyst: no Lambda permission
        [_allow("lambda:InvokeFunction", "*")],  # running the function's own code is not acting as its role
        [_allow("lambda:UpdateFunctionCode", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:other")],
        [_allow("lambda:*", "*"), _allow("lambda:UpdateFunction*", "*", sid="No", effect="Deny")],
    ],
)
def test_functions_the_analyst_cannot_rewrite_pass(statements: list[dict[str, Any]]) -> None:
    assert role_problems(stack(*statements, extra={RECEIVER: _receiver()})) == []


def test_the_functions_of_the_region_are_attached_to_their_roles() -> None:
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        trust = _trust({"Service": "lambda.amazonaws.com"})
        arn = iam.create_role(RoleName="lh-receiver", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        lam = boto3.client("lambda", region_name="us-east-1")
        function = lam.create_function(
            FunctionName="lh-alerts-receiver",
            Runtime="python3.11",
            Role=arn,
            Handler="index.handler",
            Code={"ZipFile": _zipped("def handler(event, context):\n    return None\n")},
        )["FunctionArn"]
        target: Any = SimpleNamespace(client=lambda service: boto3.client(service, region_name="us-east-1"))
        roles_ = read_roles(target)
        role_paths.read_functions(target, roles_)
        assert roles_[arn].functions == [function]


def _zipped(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()
