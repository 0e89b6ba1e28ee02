"""@STACK-catalog's idle part read back: the schedules pausing the service, found by their target, and their roles."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lakehouse.checks.catalog import PauseSchedule, read_pauses
from lakehouse.target import Target

SERVICE = "arn:aws:apprunner:us-east-1:123456789012:service/lakehouse-lh-1-catalog/abc"
PAUSE_TARGET = "arn:aws:scheduler:::aws-sdk:apprunner:pauseService"


@pytest.fixture
def account(moto_aws: None) -> Iterator[Target]:
    yield Target(name="aws", region="us-east-1")


def _role(
    target: Target,
    name: str,
    resource: str,
    service: str = "scheduler.amazonaws.com",
    condition: dict[str, Any] | None = None,
    **extra: str,
) -> str:
    iam = target.client("iam")
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    if condition:
        trust["Statement"][0]["Condition"] = condition
    arn = str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), **extra)["Role"]["Arn"])
    statement = {"Effect": "Allow", "Action": "apprunner:PauseService", "Resource": resource}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    iam.put_role_policy(RoleName=name, PolicyName="pause", PolicyDocument=json.dumps(policy))
    return arn


def _schedule(
    target: Target,
    name: str,
    role: str,
    service: str,
    arn: str = PAUSE_TARGET,
    window: dict[str, Any] | None = None,
    **extra: Any,
) -> None:
    target.client("scheduler").create_schedule(
        Name=name,
        FlexibleTimeWindow=window or {"Mode": "OFF"},
        Target={"Arn": arn, "RoleArn": role, "Input": json.dumps({"ServiceArn": service})},
        **{"ScheduleExpression": "rate(1 hour)", **extra},
    )


def test_the_schedules_pausing_the_service_are_found_by_their_target_with_their_roles(account: Target) -> None:
    allowed = _role(account, "pause-ok", SERVICE)
    elsewhere = _role(account, "pause-elsewhere", SERVICE + "-other")
    _schedule(account, "b-pause", allowed, SERVICE, State="DISABLED")
    _schedule(account, "a-pause", elsewhere, SERVICE)
    _schedule(account, "another-service", allowed, SERVICE + "-other")
    _schedule(account, "resume-not-pause", allowed, SERVICE, arn="arn:aws:scheduler:::aws-sdk:apprunner:resumeService")
    _schedule(account, "role-gone", "arn:aws:iam::123456789012:role/gone", SERVICE)
    here, iam = {"region": "us-east-1"}, "arn:aws:iam::123456789012:"  # each schedule's region, from its ARN
    assert read_pauses(account, SERVICE) == [
        PauseSchedule(
            "default/a-pause",
            "ENABLED",
            "rate(1 hour)",
            elsewhere,
            False,
            ("no statement of its policies allows it",),
            **here,
        ),
        PauseSchedule("default/b-pause", "DISABLED", "rate(1 hour)", allowed, True, **here),
        PauseSchedule("default/role-gone", "ENABLED", "rate(1 hour)", f"{iam}role/gone", None, **here),
    ]


def test_no_schedule_is_none_found(account: Target) -> None:
    assert read_pauses(account, SERVICE) == []


def _pause(account: Target, name: str) -> PauseSchedule:
    [found] = [p for p in read_pauses(account, SERVICE) if p.name == f"default/{name}"]
    return found


def test_a_role_the_scheduler_may_assume_for_this_account_passes(account: Target) -> None:
    """The root's trust policy: scheduler.amazonaws.com, on the condition that the schedule is the account's."""
    role = _role(account, "ok", SERVICE, condition={"StringEquals": {"aws:SourceAccount": "123456789012"}})
    _schedule(account, "ok", role, SERVICE)
    pause = _pause(account, "ok")
    assert (pause.role_allows, pause.why_not, pause.untrusted, pause.starts, pause.ends) == (True, (), None, None, None)


def test_a_role_scheduler_cannot_assume_is_named(account: Target) -> None:
    _schedule(account, "lambda", _role(account, "lambda-trust", SERVICE, service="lambda.amazonaws.com"), SERVICE)
    assert _pause(account, "lambda").untrusted == "its trust policy does not let scheduler.amazonaws.com assume it"
    other = {"StringEquals": {"aws:SourceAccount": "999999999999"}}
    _schedule(account, "other-account", _role(account, "other-account", SERVICE, condition=other), SERVICE)
    untrusted = _pause(account, "other-account").untrusted
    assert (
        untrusted is not None
        and "its Condition does not hold for arn:aws:scheduler:us-east-1:123456789012:" in untrusted
    )


def test_a_boundary_that_does_not_allow_pause_is_named(account: Target) -> None:
    iam = account.client("iam")
    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    boundary = iam.create_policy(PolicyName="s3-only", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    _schedule(account, "bounded", _role(account, "bounded", SERVICE, PermissionsBoundary=boundary), SERVICE)
    pause = _pause(account, "bounded")
    assert not pause.role_allows
    assert pause.why_not == (f"no statement of permissions boundary {boundary} allows it",)


def test_an_allow_under_a_condition_the_scheduler_never_meets_proves_nothing(account: Target) -> None:
    iam = account.client("iam")
    role = _role(account, "mfa", SERVICE)
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    statement = {"Sid": "OnlyWithMfa", "Effect": "Allow", "Action": "apprunner:*", "Resource": "*", "Condition": mfa}
    iam.put_role_policy(
        RoleName="mfa",
        PolicyName="pause",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    _schedule(account, "mfa", role, SERVICE)
    pause = _pause(account, "mfa")
    assert not pause.role_allows
    assert pause.why_not == (
        "statement OnlyWithMfa of inline policy pause allow it only under a Condition the check does not evaluate",
    )


def test_a_deny_written_with_not_action_is_a_deny(account: Target) -> None:
    iam = account.client("iam")
    role = _role(account, "s3-only", SERVICE)
    deny = {"Sid": "NothingButS3", "Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}
    iam.put_role_policy(
        RoleName="s3-only",
        PolicyName="guard",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [deny]}),
    )
    _schedule(account, "s3-only", role, SERVICE)
    assert _pause(account, "s3-only").why_not == ("statement NothingButS3 of inline policy guard denies it",)


def test_a_schedule_that_has_ended_or_not_begun_says_when(account: Target) -> None:
    role = _role(account, "dated", SERVICE)
    soon = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    _schedule(account, "ends", role, SERVICE, EndDate=soon)
    _schedule(account, "starts", role, SERVICE, StartDate=soon)
    assert _pause(account, "ends").ends == soon.isoformat()
    assert _pause(account, "starts").starts == soon.isoformat()


def test_a_flexible_time_window_is_read_with_its_length(account: Target) -> None:
    """Scheduler may invoke a FLEXIBLE schedule's firing up to MaximumWindowInMinutes late: the judge needs it."""
    role = _role(account, "windowed", SERVICE)
    _schedule(account, "late", role, SERVICE, window={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 1440})
    _schedule(account, "on-time", role, SERVICE)
    assert (_pause(account, "late").window_minutes, _pause(account, "on-time").window_minutes) == (1440, None)


# -- a customer managed key on the schedule: Scheduler decrypts its input as the execution role -------------------


def _key(account: Target, policy: dict[str, Any] | None = None, **extra: Any) -> str:
    kms = account.client("kms")
    made = kms.create_key(**({"Policy": json.dumps(policy)} if policy else {}), **extra)["KeyMetadata"]
    return str(made["Arn"])


def _allow_decrypt(account: Target, role: str, key: str) -> None:
    statement = {"Sid": "DecryptPauseInput", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}
    account.client("iam").put_role_policy(
        RoleName=role,
        PolicyName="decrypt",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )


ROOT = "arn:aws:iam::123456789012:root"
ADMIN_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Admins",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:role/admin"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def test_a_schedule_without_a_key_needs_nothing_of_kms(account: Target) -> None:
    _schedule(account, "owned", _role(account, "owned", SERVICE), SERVICE)
    pause = _pause(account, "owned")
    assert (pause.key_arn, pause.key_problems) == (None, ())


def test_a_key_whose_policy_leaves_it_to_iam_needs_the_role_allowed_to_decrypt(account: Target) -> None:
    """KMS's default key policy lets the account's IAM policies decide: the role's must allow kms:Decrypt."""
    key = _key(account)
    role = _role(account, "no-decrypt", SERVICE)
    _schedule(account, "encrypted", role, SERVICE, KmsKeyArn=key)
    pause = _pause(account, "encrypted")
    assert pause.key_arn == key
    assert pause.key_problems == (
        f"its target input is encrypted with KMS key {key}, whose key policy leaves kms:Decrypt to the IAM policies "
        f"of its account (statement Enable IAM User Permissions allows {ROOT}), and the role's do not allow it: no "
        f"statement of its policies allows it, nor does a grant (ListGrants: none to {role} for Decrypt) (EventBridge "
        "Scheduler cannot decrypt it, so every pause fails)",
    )
    _allow_decrypt(account, "no-decrypt", key)
    assert _pause(account, "encrypted").key_problems == ()


def test_a_key_policy_naming_neither_the_role_nor_its_account_is_named(account: Target) -> None:
    key = _key(account, ADMIN_ONLY)
    role = _role(account, "locked-out", SERVICE)
    _allow_decrypt(account, "locked-out", key)  # IAM alone cannot open a key whose policy does not delegate
    _schedule(account, "locked-out", role, SERVICE, KmsKeyArn=key)
    [problem] = _pause(account, "locked-out").key_problems
    assert f"whose key policy allows neither {role} nor its account kms:Decrypt" in problem
    # An Allow under a condition the check does not evaluate (the encryption context) proves nothing.
    context = {"ArnLike": {"kms:EncryptionContext:aws:scheduler:schedule-arn": "arn:aws:scheduler:*"}}
    guarded = {"Sid": "OnlyForSchedules", "Effect": "Allow", "Principal": {"AWS": role}, "Action": "kms:Decrypt"}
    key = _key(account, {**ADMIN_ONLY, "Statement": [*ADMIN_ONLY["Statement"], {**guarded, "Condition": context}]})
    _schedule(account, "guarded", role, SERVICE, KmsKeyArn=key)
    [problem] = _pause(account, "guarded").key_problems
    assert (
        "(statement OnlyForSchedules (on ArnLike kms:EncryptionContext:aws:scheduler:schedule-arn) only under a "
        "condition that cannot be evaluated)"
    ) in problem
    # The key policy naming the role itself is enough, whatever its IAM policies say.
    named = _role(account, "named", SERVICE)
    direct = {
        "Sid": "PauseRole",
        "Effect": "Allow",
        "Principal": {"AWS": named},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    key = _key(account, {**ADMIN_ONLY, "Statement": [*ADMIN_ONLY["Statement"], direct]})
    _schedule(account, "named", named, SERVICE, KmsKeyArn=key)
    assert _pause(account, "named").key_problems == ()


def test_a_key_policy_deny_a_disabled_key_or_an_asymmetric_key_is_named(account: Target) -> None:
    role = _role(account, "keyed", SERVICE)
    deny = {"Sid": "NoDecrypt", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    opened = {"Sid": "Open", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
    denied = _key(account, {"Version": "2012-10-17", "Statement": [opened, deny]})
    disabled = _key(account)
    account.client("kms").disable_key(KeyId=disabled.rsplit("/", 1)[-1])
    asymmetric = _key(account, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    for name, key in {"denied": denied, "disabled": disabled, "asymmetric": asymmetric}.items():
        _allow_decrypt(account, "keyed", key)
        _schedule(account, name, role, SERVICE, KmsKeyArn=key)
    assert (
        f"whose key policy: statement NoDecrypt denies {role} kms:Decrypt" in _pause(account, "denied").key_problems[0]
    )
    assert f"KMS key {disabled}, which is Disabled" in _pause(account, "disabled").key_problems[0]
    assert (
        f"KMS key {asymmetric}, a RSA_2048 key, not a symmetric encryption key"
        in (_pause(account, "asymmetric").key_problems[0])
    )
    gone = asymmetric.replace(asymmetric.rsplit("/", 1)[-1], "00000000-0000-0000-0000-000000000000")
    _schedule(account, "gone", role, SERVICE, KmsKeyArn=gone)
    assert _pause(account, "gone").key_problems == (
        f"its target input is encrypted with KMS key {gone}, which does not exist (EventBridge Scheduler cannot "
        "decrypt it, so every pause fails)",
    )


def test_a_role_of_another_account_is_not_judged_by_the_same_named_role_of_this_one(account: Target) -> None:
    """The local ``pause-ok`` may pause the service, but the schedule names account 999999999999's role."""
    from lakehouse.checks.catalog import judge_idle

    local = _role(account, "pause-ok", SERVICE)
    foreign = local.replace(":123456789012:", ":999999999999:")
    _schedule(account, "foreign", foreign, SERVICE)
    pause = _pause(account, "foreign")
    assert (pause.role_arn, pause.role_allows) == (foreign, None)
    assert pause.role_elsewhere is not None
    assert "is not a role of the schedule's account 123456789012 (account 999999999999)" in pause.role_elsewhere
    service = {"Status": "RUNNING", "ServiceArn": SERVICE, "InstanceConfiguration": {"Memory": "2048"}}
    [problem] = judge_idle("lakehouse-lh-1-catalog", service, [pause], 1)
    assert f"schedule default/foreign: its role {foreign} is not a role of the schedule's account" in problem


def test_a_role_arn_with_another_path_is_not_the_same_named_role(account: Target) -> None:
    """GetRole finds a role by name alone; the ARN at another path names a role that does not exist."""
    local = _role(account, "pathed", SERVICE, Path="/service-role/")
    assert ":role/service-role/pathed" in local
    _schedule(account, "pathless", local.replace("/service-role/", "/"), SERVICE)
    pause = _pause(account, "pathless")
    assert pause.role_allows is None
    assert pause.role_elsewhere == (
        f"does not exist: the account's role of that name is {local} (another path), which EventBridge Scheduler "
        "does not assume for it"
    )
    _schedule(account, "pathed", local, SERVICE)
    assert _pause(account, "pathed").role_allows is True


@pytest.mark.parametrize(
    ("expression", "timezone", "problem"),
    [
        ("cron(0 * * * ? *)", "UTC", None),
        ("cron(*/30 * * * ? *)", "Asia/Tokyo", None),
        ("cron(0 * ? * MON-FRI *)", "UTC", "goes up to 49 h without firing"),
        ("cron(0 * * * ? *)", "Europe/London", "cron(0 * * * ? *) in Europe/London goes up to 2 h without firing"),
    ],
)
def test_a_cron_pause_is_read_with_its_time_zone_and_judged_by_its_longest_gap(
    account: Target, expression: str, timezone: str, problem: str | None
) -> None:
    """The API accepts a valid cron with a ScheduleExpressionTimezone; the check reads both back and judges the gap."""
    from lakehouse.checks.catalog import judge_idle

    role = _role(account, "pause-cron", SERVICE)
    _schedule(account, "cron", role, SERVICE, ScheduleExpression=expression, ScheduleExpressionTimezone=timezone)
    [pause] = read_pauses(account, SERVICE)
    assert (pause.expression, pause.timezone) == (expression, timezone)
    found = judge_idle("lakehouse-lh-1-catalog", {"Status": "RUNNING"}, [pause], 1)
    if problem is None:
        assert found == []
    else:
        [reason] = found
        assert f"schedule default/cron: it fires {expression!r}, not at least every 1 h (" in reason
        assert problem in reason
