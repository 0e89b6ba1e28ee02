"""Exit check 7's holes: alerts that reach no one though SNS calls the subscription confirmed, and dead tiles.

Each broken input is a stack AWS would accept and that never tells anyone: a queue policy that does
not let the topic send (or denies it), a queue encrypted with a key SNS may not use, a filter policy
the alert cannot match, a dashboard series no one publishes. The reason must name the culprit.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from lakehouse.checks.alert_delivery import (
    AWS_MANAGED_SQS_KEY,
    FunctionReadback,
    KmsKey,
    QueueReadback,
    alarm_alerts,
    budget_alert,
    delivery_context,
    filter_problem,
    function_problems,
    read_function,
    service_allowed,
)
from lakehouse.checks.dashboard_metrics import SeriesKey, count_metric_series
from lakehouse.checks.finops import FinopsReadback, judge_finops, metric_published
from lakehouse.outcome import Status
from tests.unit.test_finops import (
    ACCOUNT,
    ALARM,
    ALARM_NAME,
    BILLING_TOPIC,
    BUDGET_NAME,
    HEALTHY_BODY,
    INBOX,
    TOPIC,
    healthy,
    inbox,
    inbox_policy,
    subscription,
)

QUEUE = "lakehouse-lh-1-alerts-inbox"
KEY_ARN = f"arn:aws:kms:ap-northeast-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def sub_arn(topic: str) -> str:
    return str(subscription(topic)["SubscriptionArn"])


def reason(data: FinopsReadback) -> str:
    result = judge_finops(data)
    assert result.status is Status.FAILED, result.reason
    return str(result.reason)


# -- (a) the queue does not let SNS deliver ---------------------------------------------------------


def test_a_queue_policy_without_the_sns_grant_silences_both_topics_naming_queue_and_topics() -> None:
    owner_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sqs:*",
                "Resource": INBOX,
            }
        ],
    }
    data = healthy(queues={INBOX: inbox(owner_only)})
    text = reason(data)
    assert f"topic {TOPIC} has no subscription that receives a budget alert" in text
    assert (
        f"queue {QUEUE}'s policy: no statement allows sns.amazonaws.com sqs:SendMessage for topic {TOPIC} "
        "(SNS cannot deliver)" in text
    )
    assert f"billing alarm {ALARM_NAME} notifies nobody" in text and f"for topic {BILLING_TOPIC}" in text
    result = judge_finops(data)
    assert result.measured["budget_notifications_that_can_fire"] == 0
    assert result.measured["billing_alarm_actions"] == 0
    assert result.details["alert_delivery"][TOPIC][f"sqs {INBOX}"]


def test_a_queue_policy_naming_only_the_alerts_topic_silences_the_billing_alarm() -> None:
    data = healthy(queues={INBOX: inbox(inbox_policy(TOPIC))})
    result = judge_finops(data)
    assert result.status is Status.FAILED
    assert result.details["problems"]["budget"] == []
    assert result.details["problems"]["billing_alarm"] == [
        f"billing alarm {ALARM_NAME} notifies nobody: no action topic has a subscription that receives its alert "
        f"(topic {BILLING_TOPIC} has no subscription that receives alarm {ALARM_NAME}'s ALARM notification "
        f"(sqs {INBOX}: queue {QUEUE}'s policy: no statement allows sns.amazonaws.com sqs:SendMessage for topic "
        f"{BILLING_TOPIC} (SNS cannot deliver)))"
    ]


@pytest.mark.parametrize(
    "deny",
    [
        {"Sid": "NoSns", "Effect": "Deny", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:*"},
        {"Sid": "NoSns", "Effect": "Deny", "Principal": "*", "Action": "SQS:SendMessage", "Resource": INBOX},
        {"Sid": "NoSns", "Effect": "Deny", "Principal": "*", "Action": "*", "Condition": {"IpAddress": {"x": "y"}}},
    ],
    ids=["service", "everyone", "unknown-condition"],
)
def test_an_explicit_deny_of_sns_wins_over_the_allow(deny: dict[str, Any]) -> None:
    policy = inbox_policy(TOPIC, BILLING_TOPIC)
    policy["Statement"].append(deny)
    text = reason(healthy(queues={INBOX: inbox(policy)}))
    assert f"queue {QUEUE}'s policy: statement NoSns" in text and "denies sns.amazonaws.com sqs:SendMessage" in text


@pytest.mark.parametrize(
    "deny",
    [
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Condition": {"Bool": {"aws:SecureTransport": False}}},
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:SendMessage",
            "Condition": {"StringNotEquals": {"aws:SourceAccount": ACCOUNT}},
        },
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:DeleteQueue"},
    ],
    ids=["insecure-transport", "other-accounts", "other-action"],
)
def test_a_deny_that_does_not_hold_for_the_topic_does_not_silence_it(deny: dict[str, Any]) -> None:
    policy = inbox_policy(TOPIC, BILLING_TOPIC)
    policy["Statement"].append(deny)
    result = judge_finops(healthy(queues={INBOX: inbox(policy)}))
    assert result.passed, result.reason


@pytest.mark.parametrize(
    ("statement", "ok"),
    [
        ({"Principal": "*", "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:sns:*:{ACCOUNT}:*"}}}, True),
        ({"Principal": {"AWS": "*"}, "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}}}, True),
        ({"Condition": {}}, True),
        ({"Condition": {"StringEquals": {"aws:SourceAccount": "999999999999"}}}, False),
        ({"Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}}, False),
        ({"Resource": "arn:aws:sqs:*:*:another-queue"}, False),
        ({"Action": "sqs:ReceiveMessage"}, False),
    ],
    ids=["everyone-arnlike", "aws-star", "no-condition", "other-account", "unknown-key", "other-queue", "other-action"],
)
def test_which_allows_let_sns_deliver(statement: dict[str, Any], ok: bool) -> None:
    result = judge_finops(healthy(queues={INBOX: inbox(inbox_policy(TOPIC, BILLING_TOPIC, **statement))}))
    assert result.passed is ok, result.reason
    if not ok:
        assert f"queue {QUEUE}'s policy: no statement allows sns.amazonaws.com sqs:SendMessage" in str(result.reason)


def test_a_deleted_queue_or_one_without_policy_receives_nothing() -> None:
    assert f"sqs {INBOX}: queue {QUEUE} does not exist" in reason(healthy(queues={INBOX: QueueReadback(INBOX, None)}))
    no_policy = QueueReadback(INBOX, {"SqsManagedSseEnabled": "true"})
    assert f"queue {QUEUE} has no policy, so sns.amazonaws.com may not send to it" in reason(
        healthy(queues={INBOX: no_policy})
    )


def key_policy(*statements: dict[str, Any]) -> dict[str, Any]:
    root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [root, *statements]}


SNS_MAY_USE = {
    "Sid": "SnsUsesKey",
    "Effect": "Allow",
    "Principal": {"Service": "sns.amazonaws.com"},
    "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
    "Resource": "*",
}


def encrypted(key_id: str, key: KmsKey | None) -> QueueReadback:
    queue = inbox(KmsMasterKeyId=key_id)
    assert queue.attributes is not None
    del queue.attributes["SqsManagedSseEnabled"]
    queue.key = key
    return queue


def enabled_key(policy: dict[str, Any] | None, **metadata: Any) -> KmsKey:
    return KmsKey(
        {
            "KeyId": KEY_ARN.rsplit("/", 1)[1],
            "Arn": KEY_ARN,
            "KeyManager": "CUSTOMER",
            "KeyState": "Enabled",
            **metadata,
        },
        policy,
    )


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        (encrypted(AWS_MANAGED_SQS_KEY, None), f"KMS key {AWS_MANAGED_SQS_KEY}, an AWS managed key"),
        (
            encrypted(KEY_ARN, enabled_key(key_policy())),
            "whose key policy: no statement allows sns.amazonaws.com kms:GenerateDataKey",
        ),
        (encrypted(KEY_ARN, None), f"KMS key {KEY_ARN}, which does not exist"),
        (encrypted(KEY_ARN, enabled_key(key_policy(SNS_MAY_USE), KeyState="Disabled")), "which is Disabled"),
        (
            encrypted(KEY_ARN, enabled_key(key_policy({**SNS_MAY_USE, "Action": "kms:GenerateDataKey*"}))),
            "no statement allows sns.amazonaws.com kms:Decrypt",
        ),
    ],
    ids=["aws-managed", "no-sns-grant", "gone", "disabled", "no-decrypt"],
)
def test_a_queue_encrypted_with_a_key_sns_may_not_use_receives_nothing(queue: QueueReadback, expected: str) -> None:
    text = reason(healthy(queues={INBOX: queue}))
    assert f"queue {QUEUE} is encrypted with KMS key" in text and expected in text


def test_a_customer_key_that_lets_sns_use_it_delivers_and_sse_sqs_needs_nothing() -> None:
    ok = judge_finops(healthy(queues={INBOX: encrypted(KEY_ARN, enabled_key(key_policy(SNS_MAY_USE)))}))
    assert ok.passed, ok.reason
    assert judge_finops(healthy()).passed  # SSE-SQS, as infra/alert_inbox.tf deploys it


def test_an_email_subscription_needs_no_queue_policy() -> None:
    mailbox = subscription(TOPIC, protocol="email")
    data = healthy(queues={INBOX: QueueReadback(INBOX, None)})
    data.subscriptions[TOPIC] = [subscription(TOPIC), {**mailbox, "SubscriptionArn": f"{TOPIC}:mailbox"}]
    data.subscription_attributes[f"{TOPIC}:mailbox"] = {}
    result = judge_finops(data)
    assert result.details["problems"]["budget"] == [], result.reason


FUNCTION = f"arn:aws:lambda:ap-northeast-1:{ACCOUNT}:function:page-on-call"


def lambda_only(function: FunctionReadback | None) -> FinopsReadback:
    """The alerts topic's only receiver a Lambda function (the inbox queue deleted), read back as given."""
    data = healthy(queues={INBOX: QueueReadback(INBOX, None)})
    sub = {**subscription(TOPIC), "Protocol": "lambda", "Endpoint": FUNCTION, "SubscriptionArn": f"{TOPIC}:pager"}
    data.subscriptions[TOPIC] = [sub]
    data.subscription_attributes[f"{TOPIC}:pager"] = {}
    data.functions = {FUNCTION: function} if function is not None else {}
    return data


def invoke_policy(condition: dict[str, Any] | None = None, principal: str = "sns.amazonaws.com") -> dict[str, Any]:
    """What Lambda AddPermission writes for an SNS trigger."""
    statement: dict[str, Any] = {
        "Sid": "sns-invoke",
        "Effect": "Allow",
        "Principal": {"Service": principal},
        "Action": "lambda:InvokeFunction",
        "Resource": FUNCTION,
    }
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Id": "default", "Statement": [statement]}


def test_a_lambda_receiver_that_sns_may_invoke_hears_the_budget() -> None:
    healthy_function = FunctionReadback(FUNCTION, True, invoke_policy({"ArnLike": {"AWS:SourceArn": TOPIC}}))
    result = judge_finops(lambda_only(healthy_function))
    assert result.details["problems"]["budget"] == [], result.reason


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (FunctionReadback(FUNCTION, False), "Lambda function page-on-call does not exist (SNS cannot deliver)"),
        (
            FunctionReadback(FUNCTION, True, None),
            "Lambda function page-on-call has no resource policy, so sns.amazonaws.com may not invoke it",
        ),
        (
            FunctionReadback(FUNCTION, True, invoke_policy({"ArnLike": {"AWS:SourceArn": BILLING_TOPIC}})),
            "Lambda function page-on-call's resource policy: no statement allows sns.amazonaws.com "
            f"lambda:InvokeFunction for topic {TOPIC}",
        ),
        (
            FunctionReadback(FUNCTION, True, invoke_policy(principal="events.amazonaws.com")),
            "Lambda function page-on-call's resource policy: no statement allows sns.amazonaws.com",
        ),
        (None, "the function was not read"),
    ],
    ids=["deleted", "no-policy", "other-topic", "other-service", "not-read"],
)
def test_a_lambda_receiver_sns_cannot_invoke_hears_nothing(function: FunctionReadback | None, expected: str) -> None:
    text = reason(lambda_only(function))
    assert f"topic {TOPIC} has no subscription that receives a budget alert" in text
    assert expected in text, text


def test_functions_are_read_back_through_lambda() -> None:
    with mock_aws():
        iam = boto3.client("iam", region_name="ap-northeast-1")
        trust = {
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ]
        }
        role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        awslambda = boto3.client("lambda", region_name="ap-northeast-1")
        code = {"ZipFile": _zip("def handler(event, context):\n    return event\n")}
        arn = awslambda.create_function(
            FunctionName="page-on-call", Runtime="python3.11", Role=role, Handler="index.handler", Code=code
        )["FunctionArn"]
        read = read_function(awslambda, arn)
        assert read.exists and read.policy is None and read.configuration["Handler"] == "index.handler"
        assert read.package is not None and read.record is None  # no CloudWatch client given
        awslambda.add_permission(
            FunctionName="page-on-call",
            StatementId="sns-invoke",
            Action="lambda:InvokeFunction",
            Principal="sns.amazonaws.com",
            SourceArn=TOPIC,
        )
        read = read_function(awslambda, arn)
        assert read.exists and read.policy is not None
        assert function_problems(read, TOPIC) == []
        assert function_problems(read, BILLING_TOPIC) != []
        missing = arn.replace("page-on-call", "gone")
        assert read_function(awslambda, missing) == FunctionReadback(missing, False)


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", source)
    return buffer.getvalue()


def test_a_subscription_gone_since_it_was_listed_receives_nothing() -> None:
    data = healthy()
    data.subscription_attributes[sub_arn(TOPIC)] = None
    assert "the subscription no longer exists (GetSubscriptionAttributes)" in reason(data)


# -- (b) a filter policy the alert cannot match -----------------------------------------------------


def filtered(topic: str, policy: dict[str, Any] | str, scope: str | None = None) -> FinopsReadback:
    data = healthy()
    attributes = {"FilterPolicy": policy if isinstance(policy, str) else json.dumps(policy)}
    if scope:
        attributes["FilterPolicyScope"] = scope
    data.subscription_attributes[sub_arn(topic)] = attributes
    return data


def test_a_filter_on_an_attribute_budgets_never_sets_silences_the_budget_naming_it() -> None:
    data = filtered(TOPIC, {"severity": ["high"]})
    result = judge_finops(data)
    assert result.status is Status.FAILED
    assert (
        f"topic {TOPIC} has no subscription that receives a budget alert (sqs {INBOX}: its filter policy "
        '{"severity": ["high"]} (scope MessageAttributes) drops a budget alert (plain text, no message attributes))'
    ) in str(result.reason)
    assert result.measured["budget_notifications_that_can_fire"] == 0
    assert result.details["problems"]["billing_alarm"] == []


def test_a_filter_on_an_attribute_cloudwatch_never_sets_silences_the_billing_alarm() -> None:
    result = judge_finops(filtered(BILLING_TOPIC, {"severity": ["high"]}))
    assert result.status is Status.FAILED
    (problem,) = result.details["problems"]["billing_alarm"]
    assert f"billing alarm {ALARM_NAME} notifies nobody" in problem
    assert f"alarm {ALARM_NAME}'s ALARM notification from OK (JSON, no message attributes)" in problem


@pytest.mark.parametrize(
    ("topic", "policy", "scope", "ok"),
    [
        (TOPIC, {"severity": [{"exists": False}]}, None, True),
        (TOPIC, {}, None, True),
        (TOPIC, {"NewStateValue": ["ALARM"]}, "MessageBody", False),  # a budget alert's body is not JSON
        (BILLING_TOPIC, {"NewStateValue": ["ALARM"]}, "MessageBody", True),
        (BILLING_TOPIC, {"Trigger": {"Namespace": ["AWS/Billing"]}}, "MessageBody", True),
        (BILLING_TOPIC, {"AlarmName": [{"prefix": "lakehouse-lh-1-"}]}, "MessageBody", True),
        (BILLING_TOPIC, {"AlarmName": ["someone-else"]}, "MessageBody", False),
        (BILLING_TOPIC, {"OldStateValue": ["OK"]}, "MessageBody", False),  # misses the alarm from INSUFFICIENT_DATA
        (BILLING_TOPIC, {"NewStateValue": ["OK"]}, "MessageBody", False),
        (TOPIC, "{not json", None, False),
    ],
    ids=[
        "absent-attribute", "empty", "body-of-a-budget", "alarm-state", "nested", "prefix", "other-alarm",
        "one-previous-state", "ok-only", "not-json",
    ],
)  # fmt: skip
def test_filter_policies_against_the_alerts_as_sent(
    topic: str, policy: dict[str, Any] | str, scope: str | None, ok: bool
) -> None:
    result = judge_finops(filtered(topic, policy, scope))
    assert result.passed is ok, result.reason
    if not ok:
        assert "its filter policy" in str(result.reason)


def test_one_unfiltered_receiver_is_enough() -> None:
    data = filtered(TOPIC, {"severity": ["high"]})
    data.subscriptions[TOPIC].append({**subscription(TOPIC, protocol="email"), "SubscriptionArn": f"{TOPIC}:mail"})
    data.subscription_attributes[f"{TOPIC}:mail"] = {}
    assert judge_finops(data).passed


def test_the_alarm_alert_is_the_notification_cloudwatch_sends() -> None:
    from_ok, from_insufficient = alarm_alerts(ALARM, ACCOUNT, "us-east-1")
    body = json.loads(from_ok.body)
    assert body["Region"] == "US East (N. Virginia)" and body["NewStateValue"] == "ALARM"
    assert body["OldStateValue"] == "OK" and json.loads(from_insufficient.body)["OldStateValue"] == "INSUFFICIENT_DATA"
    assert body["Trigger"]["Dimensions"] == [{"value": "USD", "name": "Currency"}]
    assert body["Trigger"]["Statistic"] == "MAXIMUM" and not from_ok.attributes
    assert filter_problem({"FilterPolicy": '{"a": ["b"]}'}, budget_alert()) is not None


def test_service_allowed_reads_negated_and_if_exists_conditions() -> None:
    context = {"aws:sourcearn": TOPIC, "aws:sourceaccount": ACCOUNT}
    base = {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage"}
    policy = {"Statement": [{**base, "Condition": {"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:other"}}}]}
    assert service_allowed(policy, "sqs:SendMessage", INBOX, context) == (True, [])
    policy = {"Statement": [{**base, "Condition": {"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}}]}
    assert service_allowed(policy, "sqs:SendMessage", INBOX, context)[0] is False  # the context does not rule it out
    assert service_allowed(policy, "sqs:SendMessage", INBOX, delivery_context(TOPIC))[0] is True  # SNS: no VPC
    policy = {"Statement": [{**base, "NotPrincipal": {"Service": "sns.amazonaws.com"}, "Effect": "Deny"}]}
    assert service_allowed(policy, "sqs:SendMessage", INBOX, context)[0] is False  # nothing allows it either


# -- (c) a dashboard tile nobody publishes to ------------------------------------------------------


def test_series_nobody_publishes_do_not_count_and_are_named() -> None:
    series = count_metric_series(HEALTHY_BODY).series
    published = {label: "AWS/Athena" in label for label in series}  # only Athena's two are in ListMetrics
    result = judge_finops(healthy(published_series=published))
    assert result.status is Status.FAILED
    (problem,) = result.details["problems"]["dashboard"]
    assert problem.startswith("dashboard lakehouse-lh-1-finops has 2 published metric series (AWS/Athena")
    assert (
        "fewer than 3; drawn but not published (ListMetrics does not list them): AWS/S3 BucketSizeBytes "
        "BucketName=gold StorageType=StandardStorage [ap-northeast-1], AWS/Billing EstimatedCharges Currency=USD "
        "[us-east-1]"
    ) in problem
    assert result.measured["dashboard_metric_series"] == 2
    assert sorted(result.details["metric_series_not_published"]) == sorted(x for x in series if "Athena" not in x)
    assert any(
        r.endswith("not published (ListMetrics does not list it)") for r in result.details["metric_rows_not_counted"]
    )


def test_a_series_never_looked_up_does_not_count() -> None:
    result = judge_finops(healthy(published_series={}))
    assert result.status is Status.FAILED and result.measured["dashboard_metric_series"] == 0


def test_enough_published_series_pass_with_the_dead_ones_listed() -> None:
    series = count_metric_series(HEALTHY_BODY).series
    published = {label: "Billing" not in label for label in series}
    result = judge_finops(healthy(published_series=published))
    assert result.passed, result.reason
    assert result.measured["dashboard_metric_series"] == 3
    assert result.details["metric_series_not_published"] == ["AWS/Billing EstimatedCharges Currency=USD [us-east-1]"]


def _cloudwatch(*metrics: dict[str, Any]) -> tuple[Any, Stubber]:
    client = boto3.client("cloudwatch", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_response("list_metrics", {"Metrics": list(metrics)})
    stub.activate()
    return client, stub


BILLING_KEY = SeriesKey("AWS/Billing", "EstimatedCharges", (("Currency", "USD"),), "us-east-1", "")


def test_list_metrics_must_know_the_exact_dimension_set() -> None:
    wider = {"Namespace": "AWS/Billing", "MetricName": "EstimatedCharges", "Dimensions": [
        {"Name": "Currency", "Value": "USD"}, {"Name": "ServiceName", "Value": "AmazonS3"}]}  # fmt: skip
    client, _ = _cloudwatch(wider)
    assert metric_published(client, BILLING_KEY) is False
    exact = {**wider, "Dimensions": [{"Name": "Currency", "Value": "USD"}]}
    client, _ = _cloudwatch(wider, exact)
    assert metric_published(client, BILLING_KEY) is True
    client, _ = _cloudwatch()
    assert metric_published(client, BILLING_KEY) is False


def test_the_budget_name_still_leads_the_budget_reason() -> None:
    text = reason(filtered(TOPIC, {"severity": ["high"]}))
    assert text.startswith(f"none of budget {BUDGET_NAME}'s 2 notification(s) can alert")
