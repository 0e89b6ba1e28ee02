"""KPI-mttr: a Lambda alert receiver replaced or updated during the chaos run is no receiver heard all run.

The stack's only subscriber to its alerts topic is a Lambda function. The broken stack: while the fault runs, the
function is deleted and created again under its name (same ARN, so the subscription stays and looks like the same
receiver; what SNS sent in between found no function), or its code or configuration is updated (the receiver
judged at the start and again now need not be the one that ran when the alert came). GetFunction's LastModified,
read at the start and again when the fault is over, tells both; main compared the subscription ARN only and
passed. The healthy twins: the function left alone, or changed in what Lambda does not stamp as an update (a
permission added, reserved concurrency, a tag), which the read of now judges on its own.

moto stamps LastModified only at creation; the emulator's Lambda extension moves it on UpdateFunctionCode and
UpdateFunctionConfiguration as AWS does, so it is installed here (moto in process, like the emulator).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from lakehouse.chaos import run as chaos_run
from lakehouse.chaos.delivery import Delivery, read_topics
from lakehouse.chaos.unheard import unheard
from lakehouse.emulator.extensions import awslambda as lambda_extension
from lakehouse.outcome import Status
from lakehouse.target import Target
from tests.unit.test_chaos_alarm_reconfigured import PARAMS, STACK
from tests.unit.test_chaos_alarm_unheard import ALARM, NOBODY, REGION, Stack, _kpi
from tests.unit.test_finops import topic_policy

FUNCTION = f"lakehouse-{STACK}-pager"


def _zip(source: str) -> bytes:
    """The package of ``source``, byte for byte the same for the same source (no clock in the zip entry)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("index.py", date_time=(2026, 1, 1, 0, 0, 0)), source)
    return buffer.getvalue()


def _create_function(stack: Stack) -> str:
    """The stack's pager function (SNS from its topic may invoke it): its ARN."""
    awslambda = stack.target.client("lambda")
    role = stack.target.client("iam").get_role(RoleName="pager")["Role"]["Arn"]
    code = {"ZipFile": _zip("def handler(event, context):\n    return None\n")}
    arn = str(
        awslambda.create_function(
            FunctionName=FUNCTION, Runtime="python3.11", Role=role, Handler="index.handler", Code=code
        )["FunctionArn"]
    )
    awslambda.add_permission(
        FunctionName=FUNCTION,
        StatementId="sns-alerts",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=stack.topic,
    )
    return arn


@pytest.fixture
def stack(moto_aws: None) -> Iterator[Stack]:
    """The stack's alerts topic, tagged its own, CloudWatch may publish; its one subscriber a Lambda function."""
    lambda_extension.install()
    target = Target(name="aws", region=REGION)
    sns = target.client("sns")
    topic = sns.create_topic(Name=f"lakehouse-{STACK}-alerts", Tags=[{"Key": "stack_id", "Value": STACK}])["TopicArn"]
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=json.dumps(topic_policy(topic, "cloudwatch.amazonaws.com")),
    )
    target.client("cloudwatch").put_metric_alarm(**{**PARAMS, "AlarmActions": [topic]})
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    target.client("iam").create_role(RoleName="pager", AssumeRolePolicyDocument=json.dumps(trust))
    built = Stack(target, topic)
    built.queue_arn = _create_function(built)  # the subscription's endpoint: here a function
    built.subscription = str(
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=built.queue_arn, ReturnSubscriptionArn=True)[
            "SubscriptionArn"
        ]
    )
    yield built


def _modified(stack: Stack) -> str:
    return str(stack.target.client("lambda").get_function(FunctionName=FUNCTION)["Configuration"]["LastModified"])


def _recreate(stack: Stack) -> None:
    """Deleted and created again under its name, its permission added again: same ARN and subscription."""
    was = _modified(stack)
    stack.target.client("lambda").delete_function(FunctionName=FUNCTION)
    assert _create_function(stack) == stack.queue_arn and _modified(stack) != was, "the ARN moved or LastModified not"


def _new_code(stack: Stack) -> None:
    awslambda = stack.target.client("lambda")
    awslambda.update_function_code(FunctionName=FUNCTION, ZipFile=_zip("def handler(event, context):\n    pass\n"))


def _new_configuration(stack: Stack) -> None:
    stack.target.client("lambda").update_function_configuration(FunctionName=FUNCTION, Timeout=30)


@pytest.mark.parametrize(
    ("during", "code"),
    [(_recreate, False), (_new_code, True), (_new_configuration, False)],
    ids=["recreated", "code-updated", "configuration-updated"],
)
def test_a_lambda_receiver_replaced_or_updated_during_the_run_fails_the_kpi_naming_the_function(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack, during: Callable[[Stack], None], code: bool
) -> None:
    was = _modified(stack)
    outcome = _kpi(monkeypatch, tmp_path, stack, during)
    assert outcome.status is Status.FAILED, f"KPI-mttr passed though {FUNCTION} was replaced or updated mid-run"
    reason = str(outcome.reason)
    assert (
        f"topic {stack.topic}: subscription {stack.subscription} (lambda {stack.queue_arn}) did not receive all run: "
        f"Lambda function {FUNCTION} was created again under its name, or its code or configuration updated, during "
        f"the run (LastModified {was} at the start, {_modified(stack)} now"
    ) in reason, reason
    assert ("; its CodeSha256 " in reason) is code, reason
    assert "the function that SNS invoked when the alarm fired is not shown to be the one judged" in reason
    assert reason.endswith(f"): {NOBODY}"), reason


def test_healthy_twin_lambda_receiver_left_alone_passes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack
) -> None:
    outcome = _kpi(monkeypatch, tmp_path, stack, lambda _s: None)
    assert outcome.passed, outcome.reason


def test_healthy_twin_permission_concurrency_and_tag_changes_pass(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack: Stack
) -> None:
    """No update of the function's code or configuration: LastModified stays, the read of now judges the rest."""

    def edit(s: Stack) -> None:
        was, awslambda = _modified(s), s.target.client("lambda")
        awslambda.add_permission(
            FunctionName=FUNCTION, StatementId="ops", Action="lambda:InvokeFunction", Principal="events.amazonaws.com"
        )
        awslambda.put_function_concurrency(FunctionName=FUNCTION, ReservedConcurrentExecutions=5)
        awslambda.tag_resource(Resource=s.queue_arn, Tags={"team": "data"})
        assert _modified(s) == was

    outcome = _kpi(monkeypatch, tmp_path, stack, edit)
    assert outcome.passed, outcome.reason


def test_a_function_whose_start_read_showed_no_last_modified_is_not_shown_to_be_the_same(stack: Stack) -> None:
    """Hand-built start read (GetFunction showed no LastModified then): the function's continuity is unconfirmed."""
    alarm = chaos_run.describe_alarms(stack.target, [ALARM])[ALARM]
    now = read_topics(stack.target, {ALARM: alarm})
    receivers = {ALARM: {stack.topic: {stack.subscription: f"lambda {stack.queue_arn}"}}}
    why = unheard(ALARM, alarm, Delivery(receivers=receivers, functions={}), now, {}, REGION)
    assert (
        why is not None
        and (
            f"Lambda function {FUNCTION} cannot be shown to be the function of the start "
            "(GetFunction shows no LastModified)"
        )
        in why
    ), why
    kept = Delivery(receivers=receivers, functions={stack.queue_arn: {"LastModified": _modified(stack)}})
    assert unheard(ALARM, alarm, kept, now, {}, REGION) is None
