"""Exit check 5 finds what hangs off the stack under any name: schedules, attached policies, alarms.

Each passed "everything found is managed by Terraform" before: the inventory found a schedule, a
customer-managed IAM policy and a CloudWatch alarm only by the stack's tag or name, and a thing made
by hand carries neither. Here each is made by hand (untagged, named by a person) yet works on the
stack: a schedule running as a stack role or acting on a stack resource, a policy a stack role holds
(attached by Terraform through a ``data "aws_iam_policy"``, so the attachment is in state and the
policy itself is not), an alarm paging the stack's topic. Each twin is the same thing in state, or
nothing of the stack's.
"""

from __future__ import annotations

from typing import Any

from lakehouse.checks.iac import judge_iac
from lakehouse.inventory import stack_inventory
from lakehouse.outcome import Status
from lakehouse.terraform import PlanResult
from tests.unit.test_inventory import ACCOUNT, REGION, STACK, P, account

ROLE = f"{P}-catalog-pause"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{ROLE}"
SERVICE = f"arn:aws:apprunner:{REGION}:{ACCOUNT}:service/{P}-catalog/0123"
SCHEDULE_ARN = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/resume-nightly"
OTHER_ARN = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/someone-elses"
TOPIC = f"arn:aws:sns:{REGION}:{ACCOUNT}:{P}-alerts"
HAND_POLICY = f"arn:aws:iam::{ACCOUNT}:policy/ops-extra-read"
AWS_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"

ROLES = {("iam", "list_roles"): [{"Roles": [{"RoleName": ROLE, "Path": "/", "Arn": ROLE_ARN}]}]}
SERVICES = {
    ("apprunner", "list_services"): {"ServiceSummaryList": [{"ServiceArn": SERVICE, "ServiceName": f"{P}-catalog"}]}
}


def _schedules(*schedules: dict[str, Any]) -> dict[tuple[str, str], Any]:
    return {
        ("scheduler", "list_schedules"): [
            {"Schedules": [{k: s[k] for k in ("Name", "GroupName", "Arn")}]} for s in schedules
        ]
    }


#: IAM's tag listings page by ``IsTruncated``: an untagged role or policy answers one empty page.
IAM_TAGS = {("iam", "list_role_tags"): {"Tags": []}, ("iam", "list_policy_tags"): {"Tags": []}}


def _get_schedule(*schedules: dict[str, Any]) -> dict[tuple[str, str], Any]:
    by_name = {(s["GroupName"], s["Name"]): s for s in schedules}
    return {**IAM_TAGS, ("scheduler", "get_schedule"): lambda Name, GroupName="default": by_name[(GroupName, Name)]}  # noqa: N803


RESUME = {
    "Name": "resume-nightly",
    "GroupName": "default",
    "Arn": SCHEDULE_ARN,
    "Target": {"Arn": "arn:aws:scheduler:::aws-sdk:apprunner:resumeService", "RoleArn": ROLE_ARN, "Input": "{}"},
}
ACTS_ON_SERVICE = {
    **RESUME,
    "Target": {
        "Arn": "arn:aws:scheduler:::aws-sdk:apprunner:pauseService",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/ops-scheduler",
        "Input": f'{{"ServiceArn": "{SERVICE}"}}',
    },
}
SOMEONE_ELSES = {
    "Name": "someone-elses",
    "GroupName": "default",
    "Arn": OTHER_ARN,
    "Target": {"Arn": "arn:aws:lambda:x", "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/other", "Input": "{}"},
}


def test_a_hand_made_schedule_running_as_a_stack_role_fails_check_5_naming_it() -> None:
    """``resume-nightly`` in the default group, untagged (schedules take no tags), runs as the stack's
    catalog-pause role: the stack's, though neither its name nor a tag says so."""
    inv = stack_inventory(
        account({**ROLES, **_schedules(RESUME, SOMEONE_ELSES)}, _get_schedule(RESUME, SOMEONE_ELSES)), STACK
    )
    found = {r.name: r for r in inv.of_kind("aws_scheduler_schedule")}
    assert set(found) == {"default/resume-nightly"}, found
    assert found["default/resume-nightly"].found_by == (f"uses the stack: role {ROLE}",)
    state = [{"type": "aws_iam_role", "values": {"name": ROLE, "arn": ROLE_ARN}}]
    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.FAILED
    assert "aws_scheduler_schedule default/resume-nightly" in str(result.reason), result.reason
    managed = [*state, {"type": "aws_scheduler_schedule", "values": {"arn": SCHEDULE_ARN}}]
    assert judge_iac(PlanResult(0), managed, inv, set()).passed


def test_a_hand_made_schedule_acting_on_a_stack_service_is_found() -> None:
    """Another role, but its input names the stack's App Runner service (the universal target's way)."""
    inv = stack_inventory(
        account({**_schedules(ACTS_ON_SERVICE)}, {**SERVICES, **_get_schedule(ACTS_ON_SERVICE)}), STACK
    )
    [found] = inv.of_kind("aws_scheduler_schedule")
    assert found.found_by == (f"uses the stack: input names {SERVICE}",)


def test_a_schedule_in_a_stack_group_is_found_whatever_its_name() -> None:
    group_arn = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{P}-catalog"
    in_group = {**SOMEONE_ELSES, "GroupName": f"{P}-catalog", "Name": "adhoc"}
    pages = {
        ("scheduler", "list_schedule_groups"): [{"ScheduleGroups": [{"Name": f"{P}-catalog", "Arn": group_arn}]}],
        **_schedules(in_group),
    }
    inv = stack_inventory(account(pages, _get_schedule(in_group)), STACK)
    [found] = inv.of_kind("aws_scheduler_schedule")
    assert (found.name, found.found_by) == (f"{P}-catalog/adhoc", (f"uses the stack: group {P}-catalog",))


def test_a_customer_managed_policy_attached_to_a_stack_role_must_be_in_state() -> None:
    """The root attaches (in state) a policy it reads with a data source: made by hand, edited by hand
    (a new default version widens the role) with no plan change. AWS-managed policies are AWS's own."""
    pages = {
        **ROLES,
        ("iam", "list_policies"): [{"Policies": [{"Arn": HAND_POLICY, "PolicyName": "ops-extra-read"}]}],
        ("iam", "list_attached_role_policies"): [
            {
                "AttachedPolicies": [
                    {"PolicyArn": HAND_POLICY, "PolicyName": "ops-extra-read"},
                    {"PolicyArn": AWS_POLICY, "PolicyName": "ReadOnlyAccess"},
                ]
            }
        ],
    }
    inv = stack_inventory(account(pages, IAM_TAGS), STACK)
    policies = {r.key: r for r in inv.of_kind("aws_iam_policy")}
    assert set(policies) == {HAND_POLICY}, policies
    assert policies[HAND_POLICY].found_by == (f"uses the stack: attached to role {ROLE}",)
    state = [
        {"type": "aws_iam_role", "values": {"name": ROLE, "arn": ROLE_ARN}},
        {"type": "aws_iam_role_policy_attachment", "values": {"role": ROLE, "policy_arn": HAND_POLICY}},
        {"type": "aws_iam_role_policy_attachment", "values": {"role": ROLE, "policy_arn": AWS_POLICY}},
    ]
    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.FAILED
    assert f"aws_iam_policy ops-extra-read (global, found by uses the stack: attached to role {ROLE})" in str(
        result.reason
    ), result.reason
    managed = [*state, {"type": "aws_iam_policy", "values": {"arn": HAND_POLICY, "name": "ops-extra-read"}}]
    assert judge_iac(PlanResult(0), managed, inv, set()).passed


def test_a_stack_policy_attached_to_a_stack_role_is_listed_once() -> None:
    named = f"arn:aws:iam::{ACCOUNT}:policy/{P}-read"
    pages = {
        **ROLES,
        ("iam", "list_policies"): [{"Policies": [{"Arn": named, "PolicyName": f"{P}-read"}]}],
        ("iam", "list_attached_role_policies"): [{"AttachedPolicies": [{"PolicyArn": named}]}],
    }
    inv = stack_inventory(account(pages, IAM_TAGS), STACK)
    assert [r.key for r in inv.of_kind("aws_iam_policy")] == [named]


def test_a_hand_made_alarm_paging_a_stack_topic_fails_check_5_naming_it() -> None:
    """An untagged alarm named by a person whose action publishes to the stack's alerts topic; an alarm
    paging someone else's topic is not the stack's."""
    alarm_arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:cpu-high"
    other_arn = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:theirs"
    pages = {
        ("sns", "list_topics"): [{"Topics": [{"TopicArn": TOPIC}]}],
        ("cloudwatch", "describe_alarms"): [
            {
                "MetricAlarms": [
                    {"AlarmName": "cpu-high", "AlarmArn": alarm_arn, "OKActions": [TOPIC]},
                    {"AlarmName": "theirs", "AlarmArn": other_arn, "AlarmActions": ["arn:aws:sns:x:1:other"]},
                ]
            }
        ],
    }
    inv = stack_inventory(account(pages, {}), STACK)
    [found] = inv.of_kind("aws_cloudwatch_metric_alarm")
    assert (found.name, found.found_by) == ("cpu-high", (f"uses the stack: action {TOPIC}",))
    state = [{"type": "aws_sns_topic", "values": {"arn": TOPIC}}]
    result = judge_iac(PlanResult(0), state, inv, set())
    assert result.status is Status.FAILED and "aws_cloudwatch_metric_alarm cpu-high" in str(result.reason)
    managed = [*state, {"type": "aws_cloudwatch_metric_alarm", "values": {"arn": alarm_arn}}]
    assert judge_iac(PlanResult(0), managed, inv, set()).passed
