"""Exit checks 3 and 7 against the real deployed stack on the emulator, healthy and broken.

Check 7 is broken through the same boto3 APIs a person would use (Budgets, CloudWatch) and
read back through its real reader; each test repairs what it broke, and the last test proves
the repairs left the stack exactly as Terraform made it (exit check 5 passes). Check 3 runs
from a guard ledger written into the run's reports directory.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from lakehouse.checks.finops import NotificationReadback, budget_notifications, check_finops
from lakehouse.checks.iac import check_iac_coverage
from lakehouse.emulator.billing_alerts import resume_publishing, set_billing_alerts, stop_publishing
from lakehouse.pipeline.metrics import NAMESPACE, publish_run
from lakehouse.pipeline.runner import DATA_DIR, run_pipeline
from lakehouse.stack import Deployment
from tests.fake_github import REPO, FakeGitHub, github, run
from tests.integration.conftest import run_features, write_ledger

__all__ = ["github"]  # the fixture, imported for this module's tests

pytestmark = pytest.mark.xdist_group("stack")


@pytest.fixture(scope="module", autouse=True)
def _pipeline_has_run(deployed: Deployment) -> None:
    """The stack has run its pipeline once and published its metrics: a dashboard series counts only then."""
    result = run_pipeline(deployed.stack.target, deployed.record.outputs, data_dir=DATA_DIR)
    assert result.ok, result.error
    assert publish_run(deployed.stack.target, deployed.record.outputs, result).failed == 0


def _without_github() -> dict[str, str]:
    """The environment of a run that must use the local ledger, even inside GitHub Actions."""
    return {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GITHUB_REPOSITORY")}


def _ledger(path: Path, *exit_codes: int) -> None:
    write_ledger(path, *exit_codes)


class Budgets:
    """The stack's budget through the Budgets API, with what it looked like when Terraform left it."""

    def __init__(self, deployed: Deployment):
        target = deployed.stack.target
        self.outputs = deployed.record.outputs
        self.client = target.client("budgets")
        self.account = target.client("sts").get_caller_identity()["Account"]
        self.name = self.outputs["budget_name"]
        self.budget = self.client.describe_budget(AccountId=self.account, BudgetName=self.name)["Budget"]
        self.notifications = self.notifications_now()

    def notifications_now(self) -> list[NotificationReadback]:
        return budget_notifications(self.client, self.account, self.name)

    def set_limit(self, amount: str) -> None:
        new = {**self.budget, "BudgetLimit": {"Amount": amount, "Unit": "USD"}}
        self.client.update_budget(AccountId=self.account, NewBudget=new)

    def drop_notifications(self) -> None:
        for readback in self.notifications_now():
            self.client.delete_notification(
                AccountId=self.account, BudgetName=self.name, Notification=readback.notification
            )

    def add_notification(self, notification: dict[str, Any], subscribers: list[dict[str, Any]]) -> None:
        self.client.create_notification(
            AccountId=self.account, BudgetName=self.name, Notification=notification, Subscribers=subscribers
        )

    def restore(self) -> None:
        self.client.update_budget(AccountId=self.account, NewBudget=self.budget)
        self.drop_notifications()
        for readback in self.notifications:
            self.add_notification(readback.notification, readback.subscribers)


@pytest.fixture
def budgets(deployed: Deployment) -> Iterator[Budgets]:
    handle = Budgets(deployed)
    try:
        yield handle
    finally:
        handle.restore()


class BillingAlarm:
    """The stack's billing alarm through CloudWatch in us-east-1, with what Terraform left (params and tags)."""

    #: What PutMetricAlarm takes back from DescribeAlarms to recreate the alarm as it was.
    PARAMS = (
        "AlarmName", "AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions", "InsufficientDataActions",
        "MetricName", "Namespace", "Statistic", "Dimensions", "Period", "EvaluationPeriods", "Threshold",
        "ComparisonOperator", "TreatMissingData",
    )  # fmt: skip

    def __init__(self, deployed: Deployment):
        self.outputs = deployed.record.outputs
        self.name = self.outputs["billing_alarm_name"]
        self.client = deployed.stack.target.client("cloudwatch", region=self.outputs["billing_alarm_region"])
        alarm = self.client.describe_alarms(AlarmNames=[self.name])["MetricAlarms"][0]
        self.arn = alarm["AlarmArn"]
        self.tags = self.client.list_tags_for_resource(ResourceARN=self.arn)["Tags"]
        self.params = {k: alarm[k] for k in self.PARAMS if k in alarm}

    def change(self, **changes: Any) -> None:
        self.client.put_metric_alarm(**{**self.params, **changes})

    def restore(self) -> None:
        self.client.put_metric_alarm(**self.params)
        self.client.tag_resource(ResourceARN=self.arn, Tags=self.tags)


@pytest.fixture
def billing_alarm(deployed: Deployment) -> Iterator[BillingAlarm]:
    handle = BillingAlarm(deployed)
    try:
        yield handle
    finally:
        handle.restore()


def test_deployed_stack_passes_checks_3_and_7(deployed: Deployment, tmp_path: Path) -> None:
    _ledger(tmp_path / "guard-ledger.jsonl", 1, 0, 0, 0)  # an old red run, then three green ones
    run = run_features(
        tmp_path, "--deployed", "--stack-id", deployed.stack.stack_id, "-k", "ci_green or finobs", env=_without_github()
    )
    assert run.returncode == 0, run.output
    ci, finops = run.check("EXIT-3"), run.check("EXIT-7")
    assert ci["status"] == "passed", ci["reason"]
    assert ci["measured"]["consecutive_green_runs"] == 3 and ci["measured"]["runs_counted"] == 4
    assert finops["status"] == "passed", finops["reason"]
    measured = finops["measured"]
    assert {k: v for k, v in measured.items() if k != "dashboard_metric_series"} == {
        "budget_limit_usd": "20",
        "budget_notifications_that_can_fire": 1,  # ACTUAL > 80 %: the emulator is a new account, AWS forecasts nothing
        "billing_alarm_actions": 1,
    }
    # 7 series drawn; the pipeline's 3 are published by its run, the gold bucket's size by moto's S3, the
    # account's estimated charges by the emulator (billing alerts on). It publishes no AWS/Athena metrics:
    # those tiles are listed, not counted.
    assert measured["dashboard_metric_series"] >= 5
    details = finops["details"]
    assert details["budget"]["BudgetName"] == deployed.record.outputs["budget_name"]
    assert {n["notification"]["NotificationType"]: n["can_fire"] for n in details["budget_notifications"]} == {
        "ACTUAL": True,
        "FORECASTED": False,
    }
    assert all(n["subscribers"][0]["SubscriptionType"] == "SNS" for n in details["budget_notifications"])
    assert details["dashboard_body"]["widgets"]
    assert len(details["metric_series"]) + len(details["metric_series_not_published"]) == 7
    stack_id = deployed.stack.stack_id
    for metric in ("Failures", "RowsRefused", "GoldFreshnessSeconds"):
        assert any(s.startswith(f"{NAMESPACE} {metric} StackId={stack_id} ") for s in details["metric_series"])
    assert details["billing_alarm"]["Namespace"] == "AWS/Billing"
    assert details["billing_metric"]["account_total_published"] is True
    alarm = deployed.record.outputs["billing_alarm_name"]
    assert {"name": alarm, "can_fire": True, "problems": []}.items() <= details["billing_alarms_in_us_east_1"][
        0
    ].items()
    assert set(details["sns_topics_exist"].values()) == {True} and len(details["sns_topics_exist"]) == 2
    # Both topics deliver to the alerts inbox (infra/alert_inbox.tf): a confirmed SQS subscription each.
    assert details["sns_topics_nobody_receives"] == {}
    for subs in details["sns_subscriptions"].values():
        assert any(s["Protocol"] == "sqs" and s["SubscriptionArn"].startswith("arn:") for s in subs), subs
    for artifact in ci["artifacts"] + finops["artifacts"]:
        assert (tmp_path / artifact).is_file(), artifact


def test_check_3_asks_github_when_a_token_and_a_repository_are_given(
    deployed: Deployment, github: FakeGitHub, tmp_path: Path
) -> None:
    """End to end through options and environment: GITHUB_TOKEN, --github-repo, GITHUB_API_URL."""
    github.runs = [run(12, "success"), run(11, "success"), run(10, "success")]
    env = {**_without_github(), "GITHUB_TOKEN": "ghp_" + "x" * 36, "GITHUB_API_URL": github.url}
    args = ("--deployed", "--stack-id", deployed.stack.stack_id, "-k", "ci_green", "--github-repo", REPO)
    run_ok = run_features(tmp_path / "green", *args, env=env)
    entry = run_ok.check("EXIT-3")
    assert entry["status"] == "passed", entry["reason"]
    assert entry["details"]["source"] == "github"
    assert github.requests[0]["query"]["status"] == ["completed"]
    assert "ghp_" + "x" * 36 not in json.dumps(run_ok.evidence)

    github.error = (503, {}, "<html>unicorn</html>")
    run_down = run_features(tmp_path / "down", *args, env=env)
    entry = run_down.check("EXIT-3")
    assert entry["status"] == "error"
    assert "GitHub answered 503" in entry["reason"]
    assert run_down.returncode == 1 and run_down.evidence["run"]["verdict"] == "failed"


def test_budget_above_the_cap_and_a_red_guard_run_fail_their_checks(
    deployed: Deployment, budgets: Budgets, tmp_path: Path
) -> None:
    """End to end: the feature run reports EXIT-7 and EXIT-3 failed, each with its reason."""
    budgets.set_limit("25")
    _ledger(tmp_path / "guard-ledger.jsonl", 0, 2, 0)
    run = run_features(
        tmp_path, "--deployed", "--stack-id", deployed.stack.stack_id, "-k", "ci_green or finobs", env=_without_github()
    )
    assert run.returncode == 1
    finops, ci = run.check("EXIT-7"), run.check("EXIT-3")
    assert finops["status"] == "failed"
    assert f"budget {budgets.name} limit 25 USD is above the 20 USD monthly cap" in finops["reason"]
    assert finops["measured"]["budget_limit_usd"] == "25"
    assert ci["status"] == "failed" and "failed with exit code 2" in ci["reason"]
    assert run.evidence["run"]["verdict"] == "failed"


def test_a_higher_cap_given_to_the_harness_accepts_the_higher_budget(deployed: Deployment, budgets: Budgets) -> None:
    budgets.set_limit("25")
    result = check_finops(deployed.stack.target, budgets.outputs, cap_usd=30)
    assert result.passed, result.reason
    assert result.threshold["budget_limit_usd"] == "<= 30"


def test_budget_without_notifications_fails_check_7(deployed: Deployment, budgets: Budgets) -> None:
    budgets.drop_notifications()
    result = check_finops(deployed.stack.target, budgets.outputs)
    assert not result.passed
    assert f"budget {budgets.name} has no notifications, so it alerts nobody" in str(result.reason)
    assert result.details["budget_notifications"] == []


def test_notification_that_only_mails_someone_fails_check_7(deployed: Deployment, budgets: Budgets) -> None:
    budgets.drop_notifications()
    notification = budgets.notifications[0].notification
    budgets.add_notification(notification, [{"SubscriptionType": "EMAIL", "Address": "finops@example.com"}])
    result = check_finops(deployed.stack.target, budgets.outputs)
    assert not result.passed
    assert "has no subscriber on an SNS topic that exists (EMAIL finops@example.com)" in str(result.reason)


def test_notification_at_100000_percent_fails_check_7(deployed: Deployment, budgets: Budgets) -> None:
    budgets.drop_notifications()
    absurd = {**budgets.notifications[0].notification, "Threshold": 100000.0, "ThresholdType": "PERCENTAGE"}
    budgets.add_notification(absurd, budgets.notifications[0].subscribers)
    result = check_finops(deployed.stack.target, budgets.outputs)
    assert not result.passed
    assert f"none of budget {budgets.name}'s 1 notification(s) can alert before the limit is spent" in str(
        result.reason
    )
    assert "fires only past 100000 % of the limit = 20000 USD, above 100 %" in str(result.reason)


def test_budget_filtered_to_one_service_fails_check_7(deployed: Deployment, budgets: Budgets) -> None:
    filtered = {**budgets.budget, "CostFilters": {"Service": ["Amazon Athena"]}}
    budgets.client.update_budget(AccountId=budgets.account, NewBudget=filtered)
    result = check_finops(deployed.stack.target, budgets.outputs)
    assert not result.passed
    assert (
        f'budget {budgets.name} counts only part of the account\'s cost (CostFilters {{"Service": ["Amazon Athena"]}})'
        in str(result.reason)
    )


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ({"Start": datetime(2024, 1, 1, tzinfo=UTC), "End": datetime(2024, 12, 31, tzinfo=UTC)}, "ended on 2024-12-31"),
        (
            {"Start": datetime(2999, 1, 1, tzinfo=UTC), "End": datetime(2999, 12, 31, tzinfo=UTC)},
            "starts only on 2999-01",
        ),
    ],
)
def test_budget_whose_period_does_not_hold_this_month_fails_check_7(
    deployed: Deployment, budgets: Budgets, period: dict[str, datetime], expected: str
) -> None:
    """UpdateBudget moves the TimePeriod away from today: the budget tracks nothing this month and never alerts."""
    budgets.client.update_budget(AccountId=budgets.account, NewBudget={**budgets.budget, "TimePeriod": period})
    result = check_finops(deployed.stack.target, budgets.outputs)
    assert not result.passed
    assert f"budget {budgets.name} {expected}" in str(result.reason)
    assert "TimePeriod" in str(result.reason) and "it does not guard" in str(result.reason)
    assert result.details["budget"]["TimePeriod"]["Start"] == period["Start"]


class Dashboard:
    """The stack's dashboard through CloudWatch, with the body Terraform left."""

    def __init__(self, deployed: Deployment):
        self.client = deployed.stack.target.client("cloudwatch")
        self.name = deployed.record.outputs["dashboard_name"]
        self.original = self.client.get_dashboard(DashboardName=self.name)["DashboardBody"]

    def pipeline_widget(self, body: dict[str, Any]) -> dict[str, Any]:
        return next(
            w for w in body["widgets"] if w["type"] == "metric" and w["properties"]["metrics"][0][0] == NAMESPACE
        )

    def put(self, body: dict[str, Any]) -> None:
        self.client.put_dashboard(DashboardName=self.name, DashboardBody=json.dumps(body))

    def restore(self) -> None:
        self.client.put_dashboard(DashboardName=self.name, DashboardBody=self.original)


@pytest.fixture
def dashboard(deployed: Deployment) -> Iterator[Dashboard]:
    handle = Dashboard(deployed)
    try:
        yield handle
    finally:
        handle.restore()


def test_dashboard_with_two_metrics_fails_check_7(deployed: Deployment, dashboard: Dashboard) -> None:
    body = json.loads(dashboard.original)
    widget = dashboard.pipeline_widget(body)
    widget["properties"]["metrics"] = widget["properties"]["metrics"][:2]
    dashboard.put({"widgets": [widget]})
    result = check_finops(deployed.stack.target, deployed.record.outputs)
    assert not result.passed
    assert f"dashboard {dashboard.name} has 2 published metric series" in str(result.reason)
    assert "fewer than 3" in str(result.reason)
    assert result.measured["dashboard_metric_series"] == 2


def test_a_dashboard_tile_nobody_publishes_to_does_not_count_for_check_7(
    deployed: Deployment, dashboard: Dashboard
) -> None:
    """A series CloudWatch's ListMetrics does not know is a dead tile: drawn, named, not counted."""
    stack_id = deployed.stack.stack_id
    body = json.loads(dashboard.original)
    widget = dashboard.pipeline_widget(body)
    widget["properties"]["metrics"][2] = [NAMESPACE, "NoSuchMetric", "StackId", stack_id]
    dashboard.put({"widgets": [widget]})
    result = check_finops(deployed.stack.target, deployed.record.outputs)
    assert not result.passed
    assert result.measured["dashboard_metric_series"] == 2
    region = deployed.stack.target.region
    assert (
        f"drawn but not published (ListMetrics does not list them): {NAMESPACE} NoSuchMetric StackId={stack_id} "
        f"[{region}]" in str(result.reason)
    )


class AlertsInbox:
    """The stack's alerts inbox (infra/alert_inbox.tf): its queue and its subscriptions, as Terraform left them."""

    def __init__(self, deployed: Deployment):
        target = deployed.stack.target
        self.outputs = deployed.record.outputs
        self.sqs = target.client("sqs")
        self.name = f"lakehouse-{deployed.stack.stack_id}-alerts-inbox"
        self.url = self.sqs.get_queue_url(QueueName=self.name)["QueueUrl"]
        self.attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["All"])["Attributes"]
        self.arn = self.attributes["QueueArn"]
        self.topics = {"alerts": self.outputs["alerts_topic_arn"], "billing": self.outputs["billing_alerts_topic_arn"]}
        self.sns = {"alerts": target.client("sns"), "billing": target.client("sns", region="us-east-1")}

    def subscription(self, which: str) -> str:
        subs = self.sns[which].list_subscriptions_by_topic(TopicArn=self.topics[which])["Subscriptions"]
        return str(next(s["SubscriptionArn"] for s in subs if s["Endpoint"] == self.arn))

    def filter(self, which: str, policy: str, scope: str = "MessageAttributes") -> None:
        """Set the FilterPolicy of the inbox's subscription to a topic ("" removes it, as far as SNS shows)."""
        arn = self.subscription(which)
        sns = self.sns[which]
        sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicyScope", AttributeValue=scope)
        sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue=policy)

    def encrypt(self, key_id: str) -> None:
        # The policy goes along: moto 5.2.5's SetQueueAttributes drops a Policy the call does not name.
        attributes = {"KmsMasterKeyId": key_id, "Policy": self.attributes["Policy"]}
        self.sqs.set_queue_attributes(QueueUrl=self.url, Attributes=attributes)

    def restore(self) -> None:
        self.encrypt(self.attributes.get("KmsMasterKeyId", ""))  # SSE-SQS and the policy, as Terraform made them
        for which in self.topics:
            self.filter(which, "")


@pytest.fixture
def alerts_inbox(deployed: Deployment) -> Iterator[AlertsInbox]:
    handle = AlertsInbox(deployed)
    try:
        yield handle
    finally:
        handle.restore()


def test_a_queue_policy_that_keeps_sns_out_fails_check_7_naming_queue_and_topics(
    deployed: Deployment, alerts_inbox: AlertsInbox
) -> None:
    """The subscriptions stay 'confirmed'; SNS cannot deliver: nobody receives either alert."""
    policy = json.loads(alerts_inbox.attributes["Policy"])
    for statement in policy["Statement"]:
        statement["Principal"] = {"AWS": f"arn:aws:iam::{alerts_inbox.arn.split(':')[4]}:root"}
    alerts_inbox.sqs.set_queue_attributes(QueueUrl=alerts_inbox.url, Attributes={"Policy": json.dumps(policy)})
    result = check_finops(deployed.stack.target, deployed.record.outputs)
    assert not result.passed
    text = str(result.reason)
    for topic in alerts_inbox.topics.values():
        assert (
            f"queue {alerts_inbox.name}'s policy: no statement allows sns.amazonaws.com sqs:SendMessage for topic "
            f"{topic} (SNS cannot deliver)" in text
        )
    assert result.measured["budget_notifications_that_can_fire"] == 0
    assert result.measured["billing_alarm_actions"] == 0


def test_an_inbox_encrypted_with_a_key_sns_may_not_use_fails_check_7(
    deployed: Deployment, alerts_inbox: AlertsInbox
) -> None:
    """The AWS managed SQS key, then a customer key whose policy leaves SNS out; then one that lets SNS in."""
    alerts_inbox.encrypt("alias/aws/sqs")
    result = check_finops(deployed.stack.target, deployed.record.outputs)
    assert not result.passed
    assert (
        f"queue {alerts_inbox.name} is encrypted with KMS key alias/aws/sqs, an AWS managed key whose policy does "
        "not let sns.amazonaws.com use it (SNS cannot deliver)" in str(result.reason)
    )
    kms = deployed.stack.target.client("kms")
    key = kms.create_key(Description="made by hand")["KeyMetadata"]
    try:
        alerts_inbox.encrypt(key["KeyId"])
        result = check_finops(deployed.stack.target, deployed.record.outputs)
        assert not result.passed
        assert (
            f"queue {alerts_inbox.name} is encrypted with KMS key {key['KeyId']}, whose key policy: no statement "
            "allows sns.amazonaws.com kms:GenerateDataKey" in str(result.reason)
        )
        policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
        policy["Statement"].append(
            {
                "Sid": "SnsDelivers",
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": "*",
            }
        )
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(policy))
        result = check_finops(deployed.stack.target, deployed.record.outputs)
        assert result.passed, result.reason
    finally:
        alerts_inbox.restore()
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)


def test_alert_topics_encrypted_with_keys_budgets_and_cloudwatch_may_not_use_fail_check_7(
    deployed: Deployment, alerts_inbox: AlertsInbox
) -> None:
    """SNS encrypts what Budgets and CloudWatch publish with the topic's key, on their behalf: the AWS managed
    alias/aws/sns key never lets them, a customer key only if its policy does. The subscriptions stay fine."""
    topics = alerts_inbox.topics
    alerts_inbox.sns["alerts"].set_topic_attributes(
        TopicArn=topics["alerts"], AttributeName="KmsMasterKeyId", AttributeValue="alias/aws/sns"
    )
    kms = deployed.stack.target.client("kms", region="us-east-1")
    key = kms.create_key(Description="made by hand")["KeyMetadata"]
    billing = alerts_inbox.sns["billing"]
    billing.set_topic_attributes(TopicArn=topics["billing"], AttributeName="KmsMasterKeyId", AttributeValue=key["Arn"])
    try:
        result = check_finops(deployed.stack.target, deployed.record.outputs)
        assert not result.passed
        text = str(result.reason)
        assert (
            "is encrypted with KMS key alias/aws/sns, an AWS managed key whose policy does not let "
            "budgets.amazonaws.com use it (budgets cannot publish to it)" in text
        ), text
        assert (
            f"topic {topics['billing']} is encrypted with KMS key {key['Arn']}, whose key policy: no statement allows "
            "cloudwatch.amazonaws.com kms:GenerateDataKey for arn:aws:cloudwatch:us-east-1:" in text
        ), text
        assert result.measured["budget_notifications_that_can_fire"] == 0
        assert result.measured["billing_alarm_actions"] == 0
    finally:
        for which in topics:
            alerts_inbox.sns[which].set_topic_attributes(
                TopicArn=topics[which], AttributeName="KmsMasterKeyId", AttributeValue=""
            )
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)


def test_a_filter_policy_the_billing_alarm_cannot_match_fails_check_7(
    deployed: Deployment, alerts_inbox: AlertsInbox
) -> None:
    """CloudWatch sets no message attributes: a filter on one drops every alarm notification."""
    alerts_inbox.filter("billing", json.dumps({"severity": ["high"]}))
    result = check_finops(deployed.stack.target, deployed.record.outputs)
    assert not result.passed
    assert result.details["problems"]["budget"] == []
    (problem,) = result.details["problems"]["billing_alarm"]
    alarm = deployed.record.outputs["billing_alarm_name"]
    assert f"billing alarm {alarm} notifies nobody" in problem
    assert (
        f'sqs {alerts_inbox.arn}: its filter policy {{"severity": ["high"]}} (scope MessageAttributes) drops alarm '
        f"{alarm}'s ALARM notification from OK" in problem
    )
    alerts_inbox.filter("billing", json.dumps({"NewStateValue": ["ALARM"]}), scope="MessageBody")
    healthy_filter = check_finops(deployed.stack.target, deployed.record.outputs)
    assert healthy_filter.passed, healthy_filter.reason


def test_billing_alarm_without_action_fails_check_7(deployed: Deployment, billing_alarm: BillingAlarm) -> None:
    billing_alarm.change(AlarmActions=[])
    result = check_finops(deployed.stack.target, billing_alarm.outputs)
    assert not result.passed
    assert f"billing alarm {billing_alarm.name} has no alarm action" in str(result.reason)


def test_billing_alarm_comparing_less_than_fails_check_7(deployed: Deployment, billing_alarm: BillingAlarm) -> None:
    billing_alarm.change(ComparisonOperator="LessThanThreshold")
    result = check_finops(deployed.stack.target, billing_alarm.outputs)
    assert not result.passed
    assert f"billing alarm {billing_alarm.name} compares with LessThanThreshold" in str(result.reason)
    assert result.details["billing_alarms_in_us_east_1"][0]["can_fire"] is False


def test_an_account_without_billing_alerts_fails_check_7(deployed: Deployment) -> None:
    """The stack as Terraform made it, in an account that never enabled "Receive Billing Alerts": AWS publishes
    no EstimatedCharges, so the alarm never has data; the check names the setting and what to do."""
    target, outputs = deployed.stack.target, deployed.record.outputs
    assert target.endpoint_url is not None  # the emulator's admin path builds the account
    account = str(target.client("sts").get_caller_identity()["Account"])
    set_billing_alerts(target.endpoint_url, account, False)
    try:
        result = check_finops(target, outputs)
    finally:
        set_billing_alerts(target.endpoint_url, account, True)
    assert not result.passed
    (problem,) = result.details["problems"]["billing_alarm"]
    assert problem.startswith(
        f"billing alarm {outputs['billing_alarm_name']} watches AWS/Billing EstimatedCharges Currency=USD, which the "
        "account does not publish: ListMetrics in us-east-1 lists no EstimatedCharges series at all"
    ), problem
    assert "enable 'Receive Billing Alerts' in the Billing console's preferences" in problem
    assert result.details["billing_metric"]["listed"] == []
    assert result.details["problems"]["budget"] == []
    assert "AWS/Billing EstimatedCharges Currency=USD [us-east-1]" in result.details["metric_series_not_published"]
    assert check_finops(target, outputs).passed  # billing alerts back on: the same stack is green


def test_an_account_whose_estimated_charges_stopped_days_ago_fails_check_7(deployed: Deployment) -> None:
    """The stack as Terraform made it, in an account whose EstimatedCharges stopped arriving three days ago:
    ListMetrics still lists the metric (it looks back two weeks), but the alarm has nothing to fire on; the
    check reads the newest datapoint and fails on its age. Publication resumed, the same stack is green."""
    target, outputs = deployed.stack.target, deployed.record.outputs
    assert target.endpoint_url is not None  # the emulator's admin path builds the account
    account = str(target.client("sts").get_caller_identity()["Account"])
    stop_publishing(target.endpoint_url, account, 72)
    try:
        result = check_finops(target, outputs)
    finally:
        resume_publishing(target.endpoint_url, account)
    assert not result.passed
    (problem,) = result.details["problems"]["billing_alarm"]
    assert problem.startswith(
        f"billing alarm {outputs['billing_alarm_name']} watches AWS/Billing EstimatedCharges Currency=USD, whose "
        "newest datapoint is "
    ), problem
    assert "more than the 24 h allowed" in problem
    assert result.details["billing_metric"]["account_total_published"] is True  # listed: not enough
    assert result.details["billing_metric_age_h"] >= 72
    assert result.details["problems"]["budget"] == [] and result.details["problems"]["dashboard"] == []
    healthy = check_finops(target, outputs)
    assert healthy.passed, healthy.reason
    assert healthy.details["billing_metric_age_h"] < 6  # the emulator's last 6-hour publication


def test_billing_alarm_whose_topic_was_deleted_fails_check_7(deployed: Deployment, billing_alarm: BillingAlarm) -> None:
    """The topic goes, the alarm stays (CloudWatch does not notice): the check asks SNS for each action."""
    (arn,) = billing_alarm.params["AlarmActions"]
    sns = deployed.stack.target.client("sns", region="us-east-1")
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
    sns.delete_topic(TopicArn=arn)  # its subscriptions go with it
    try:
        result = check_finops(deployed.stack.target, billing_alarm.outputs)
        assert not result.passed
        assert f"billing alarm {billing_alarm.name} has an action on SNS topic {arn}, which does not exist" in str(
            result.reason
        )
        assert result.details["sns_topics_exist"][arn] is False
        assert result.measured["billing_alarm_actions"] == 0
    finally:
        sns.create_topic(Name=arn.rsplit(":", 1)[1], **({"Tags": tags} if tags else {}))
        for name in ("DisplayName", "Policy", "DeliveryPolicy"):
            if name in attributes:
                sns.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=attributes[name])
        # The alerts inbox's subscription is Terraform's (infra/alert_inbox.tf): re-applying brings it back
        # under the ARN Terraform records, so the last test's plan stays empty.
        applied = deployed.stack.apply()
        assert applied.ok, applied.diagnostics
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"] == attributes


def test_a_stray_broken_billing_alarm_is_listed_not_judged(deployed: Deployment, billing_alarm: BillingAlarm) -> None:
    """The named alarm is the one judged; every other alarm on estimated charges is in the evidence."""
    stray = f"{billing_alarm.name}-stray"
    billing_alarm.client.put_metric_alarm(**{**billing_alarm.params, "AlarmName": stray, "EvaluationPeriods": 1000})
    try:
        result = check_finops(deployed.stack.target, billing_alarm.outputs)
        assert result.passed, result.reason
        listed = {a["name"]: a for a in result.details["billing_alarms_in_us_east_1"]}
        assert listed[billing_alarm.name]["can_fire"] is True
        assert listed[stray]["can_fire"] is False
        assert "evaluates 1000 periods of 21600 s = 6000 h" in listed[stray]["problems"][0]
    finally:
        billing_alarm.client.delete_alarms(AlarmNames=[stray])


def test_budget_alarm_and_dashboard_made_by_hand_fail_check_5(deployed: Deployment, budgets: Budgets) -> None:
    """The inventory sees budgets and us-east-1 alarms by tag, and dashboards (untaggable) by name."""
    stack = deployed.stack
    tag = {"Key": "stack_id", "Value": stack.stack_id}
    prefix = f"lakehouse-{stack.stack_id}"
    budget = f"{prefix}-console-budget"
    limit = {"Amount": "5", "Unit": "USD"}
    budgets.client.create_budget(
        AccountId=budgets.account,
        Budget={"BudgetName": budget, "BudgetType": "COST", "TimeUnit": "MONTHLY", "BudgetLimit": limit},
        ResourceTags=[tag],
    )
    use1 = stack.target.client("cloudwatch", region="us-east-1")
    alarm = f"{prefix}-console-alarm"
    use1.put_metric_alarm(
        AlarmName=alarm, Namespace="AWS/Billing", MetricName="EstimatedCharges", Statistic="Maximum", Period=21600,
        EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold", Tags=[tag],
    )  # fmt: skip
    cloudwatch = stack.target.client("cloudwatch")
    dashboard = f"{prefix}-console-dashboard"
    cloudwatch.put_dashboard(DashboardName=dashboard, DashboardBody=json.dumps({"widgets": []}))
    try:
        result = check_iac_coverage(stack)
        assert not result.passed
        assert result.details["unmanaged"] == [
            f"aws_budgets_budget {budget}",
            f"aws_cloudwatch_dashboard {dashboard}",
            f"aws_cloudwatch_metric_alarm {alarm}",
        ]
    finally:
        budgets.client.delete_budget(AccountId=budgets.account, BudgetName=budget)
        use1.delete_alarms(AlarmNames=[alarm])
        cloudwatch.delete_dashboards(DashboardNames=[dashboard])


def test_a_billing_alarm_on_a_topic_nobody_receives_fails_check_7(
    deployed: Deployment, billing_alarm: BillingAlarm
) -> None:
    """A topic with no subscription, then with only an unconfirmed mailbox: the alarm alerts nobody."""
    sns = deployed.stack.target.client("sns", region="us-east-1")
    arn = sns.create_topic(Name=f"{billing_alarm.name}-nobody")["TopicArn"]
    try:
        billing_alarm.change(AlarmActions=[arn])
        result = check_finops(deployed.stack.target, billing_alarm.outputs)
        assert not result.passed
        assert (
            f"billing alarm {billing_alarm.name} notifies nobody: no action topic has a subscription that receives "
            "its alert "
            f"(topic {arn} has no subscription)" in str(result.reason)
        )
        assert result.measured["billing_alarm_actions"] == 0
        sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="finops@example.com")
        result = check_finops(deployed.stack.target, billing_alarm.outputs)
        assert f"(topic {arn} has no confirmed subscription (1 pending: email finops@example.com))" in str(
            result.reason
        )
        assert result.details["sns_subscriptions"][arn][0]["SubscriptionArn"] == "PendingConfirmation"
    finally:
        billing_alarm.restore()
        sns.delete_topic(TopicArn=arn)


def test_outputs_naming_a_budget_the_stack_did_not_make_fail_check_7(deployed: Deployment, budgets: Budgets) -> None:
    """A root whose budget output names the account's team budget (a healthy one, made by hand, untagged)."""
    team = {k: v for k, v in budgets.budget.items() if k not in ("CalculatedSpend", "LastUpdatedTime")}
    team["BudgetName"] = "team-monthly-cost"
    notifications = [{"Notification": n.notification, "Subscribers": n.subscribers} for n in budgets.notifications]
    budgets.client.create_budget(AccountId=budgets.account, Budget=team, NotificationsWithSubscribers=notifications)
    try:
        outputs = {**deployed.record.outputs, "budget_name": "team-monthly-cost"}
        result = check_finops(deployed.stack.target, outputs, stack_id=deployed.stack.stack_id)
        assert result.details["problems"]["budget"] == [
            f"budget team-monthly-cost is not stack {deployed.stack.stack_id}'s: it has no stack_id tag (the outputs "
            "name it, the stack did not make it)"
        ], result.reason
        assert not result.passed
    finally:
        budgets.client.delete_budget(AccountId=budgets.account, BudgetName="team-monthly-cost")


def test_outputs_naming_a_dashboard_the_stack_did_not_make_fail_check_7(deployed: Deployment) -> None:
    """The stack's dashboard copied by hand under a team name, and the outputs naming the copy."""
    cloudwatch = deployed.stack.target.client("cloudwatch")
    body = cloudwatch.get_dashboard(DashboardName=deployed.record.outputs["dashboard_name"])["DashboardBody"]
    cloudwatch.put_dashboard(DashboardName="team-finops", DashboardBody=body)
    try:
        outputs = {**deployed.record.outputs, "dashboard_name": "team-finops"}
        result = check_finops(deployed.stack.target, outputs, stack_id=deployed.stack.stack_id)
        assert result.details["problems"]["dashboard"] == [
            f"dashboard team-finops is not stack {deployed.stack.stack_id}'s: dashboards take no tags, and its name "
            f"does not start with the stack's prefix lakehouse-{deployed.stack.stack_id}- (the outputs name it, "
            "the stack did not make it)"
        ], result.reason
        assert not result.passed
    finally:
        cloudwatch.delete_dashboards(DashboardNames=["team-finops"])


def _handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


@contextmanager
def _pager(deployed: Deployment, billing_alarm: BillingAlarm, name: str, handler: str) -> Iterator[tuple[Any, str]]:
    """A Lambda function (package: ``index.py`` defining ``handler``) that SNS may invoke, made by hand and
    subscribed to a topic the billing alarm alone notifies; (lambda client, function ARN). All gone after."""
    target = deployed.stack.target
    sns, awslambda = target.client("sns", region="us-east-1"), target.client("lambda", region="us-east-1")
    iam = target.client("iam")
    topic = sns.create_topic(Name=f"{billing_alarm.name}-pager")["TopicArn"]
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    function = awslambda.create_function(
        FunctionName=name, Runtime="python3.11", Role=role, Handler=handler, Code={"ZipFile": _handler_zip()}
    )["FunctionArn"]
    try:
        awslambda.add_permission(
            FunctionName=name,
            StatementId="sns-invoke",
            Action="lambda:InvokeFunction",
            Principal="sns.amazonaws.com",
            SourceArn=topic,
        )
        sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function)
        billing_alarm.change(AlarmActions=[topic])
        yield awslambda, function
    finally:
        billing_alarm.restore()
        sns.delete_topic(TopicArn=topic)
        if any(f["FunctionName"] == name for f in awslambda.list_functions()["Functions"]):
            awslambda.delete_function(FunctionName=name)  # not deleted by the test
        iam.delete_role(RoleName=name)


def test_a_billing_alarm_whose_only_receiver_is_a_deleted_function_fails_check_7(
    deployed: Deployment, billing_alarm: BillingAlarm
) -> None:
    """A Lambda subscription stays 'confirmed' after its function is deleted: the alarm then pages nobody."""
    target = deployed.stack.target
    with _pager(deployed, billing_alarm, "page-on-call", "index.handler") as (awslambda, _function):
        result = check_finops(target, billing_alarm.outputs)
        assert result.measured["billing_alarm_actions"] == 1, result.reason  # the function receives
        awslambda.delete_function(FunctionName="page-on-call")
        result = check_finops(target, billing_alarm.outputs)
        assert not result.passed
        assert result.measured["billing_alarm_actions"] == 0
        assert "Lambda function page-on-call does not exist (SNS cannot deliver)" in str(result.reason)


def test_a_billing_alarm_whose_only_receiver_cannot_run_its_handler_fails_check_7(
    deployed: Deployment, billing_alarm: BillingAlarm
) -> None:
    """SNS may invoke the function, but its package has no handler: every alert fails in the function."""
    # the package has index.py only
    with _pager(deployed, billing_alarm, "broken-pager", "pager.handler") as (_awslambda, function):
        result = check_finops(deployed.stack.target, billing_alarm.outputs)
        assert not result.passed
        assert result.measured["billing_alarm_actions"] == 0
        assert (
            "Lambda function broken-pager's handler pager.handler: its package (1 files) has no pager.py or "
            "pager/__init__.py (every invocation fails: nobody is paged)"
        ) in str(result.reason)
        package = result.details["lambda_functions"][function]["package"]
        assert package["module_files"] == [] and package["unread"] is None  # read back, not assumed


def test_a_topic_policy_keeping_budgets_out_fails_check_7(deployed: Deployment) -> None:
    """Budgets cannot publish to the alerts topic once its policy no longer names budgets.amazonaws.com."""
    topic = deployed.record.outputs["alerts_topic_arn"]
    sns = deployed.stack.target.client("sns")
    saved = sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"]
    document = json.loads(saved)
    document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != "BudgetsPublish"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(document))
    try:
        result = check_finops(deployed.stack.target, deployed.record.outputs)
        assert not result.passed
        assert f"topic {topic} has a policy that does not let budgets.amazonaws.com publish" in str(result.reason)
        assert result.measured["budget_notifications_that_can_fire"] == 0
        assert result.measured["billing_alarm_actions"] == 1  # the billing alarm's own topic still delivers
    finally:
        sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=saved)


def test_topic_policies_denying_publish_fail_check_7_though_their_allows_stay(
    deployed: Deployment, alerts_inbox: AlertsInbox
) -> None:
    """An explicit Deny wins over every Allow: the BudgetsPublish and CloudWatchAlarmsPublish statements stay,
    a Deny of sns:Publish (to everyone on the alerts topic, to CloudWatch through a NotAction on the billing
    topic) drops every alert. The subscriptions, the queue and the keys stay fine."""
    topics, sns = alerts_inbox.topics, alerts_inbox.sns
    denies: dict[str, dict[str, Any]] = {
        "alerts": {"Sid": "NoPublish", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish"},
        "billing": {
            "Sid": "OnlySubscribe",
            "Effect": "Deny",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "NotAction": "sns:Subscribe",
        },
    }
    saved = {which: sns[which].get_topic_attributes(TopicArn=topics[which])["Attributes"]["Policy"] for which in topics}
    for which, statement in denies.items():
        document = json.loads(saved[which])
        document["Statement"] = [*document["Statement"], {**statement, "Resource": topics[which]}]
        sns[which].set_topic_attributes(
            TopicArn=topics[which], AttributeName="Policy", AttributeValue=json.dumps(document)
        )
    try:
        result = check_finops(deployed.stack.target, deployed.record.outputs)
        assert not result.passed
        text = str(result.reason)
        assert (
            f"topic {topics['alerts']} has a policy that does not let budgets.amazonaws.com publish: statement "
            "NoPublish denies budgets.amazonaws.com sns:Publish (budgets cannot publish to it)" in text
        ), text
        assert (
            f"topic {topics['billing']} has a policy that does not let cloudwatch.amazonaws.com publish: statement "
            "OnlySubscribe denies cloudwatch.amazonaws.com sns:Publish (cloudwatch cannot publish to it)" in text
        ), text
        assert result.measured["budget_notifications_that_can_fire"] == 0
        assert result.measured["billing_alarm_actions"] == 0
    finally:
        for which in topics:
            sns[which].set_topic_attributes(TopicArn=topics[which], AttributeName="Policy", AttributeValue=saved[which])


def test_a_billing_topic_policy_allowing_only_the_account_fails_check_7(
    deployed: Deployment, alerts_inbox: AlertsInbox
) -> None:
    """The billing topic's policy cut to its owner statement (the account root): no Deny anywhere, yet nothing
    lets CloudWatch publish, and the alarm's action fails "not authorized to perform: SNS:Publish"."""
    topic, sns = alerts_inbox.topics["billing"], alerts_inbox.sns["billing"]
    saved = sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"]
    document = json.loads(saved)
    document["Statement"] = [
        s for s in document["Statement"] if "cloudwatch.amazonaws.com" not in json.dumps(s.get("Principal"))
    ]
    assert document["Statement"] and len(document["Statement"]) < len(json.loads(saved)["Statement"])
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(document))
    try:
        result = check_finops(deployed.stack.target, deployed.record.outputs)
    finally:
        sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=saved)
    assert not result.passed
    assert (
        f"topic {topic} has a policy that does not let cloudwatch.amazonaws.com publish: no statement allows "
        "cloudwatch.amazonaws.com sns:Publish for arn:aws:cloudwatch:us-east-1:" in str(result.reason)
    ), result.reason
    assert result.measured["billing_alarm_actions"] == 0


def test_outputs_naming_another_stacks_alerts_topic_error_check_7(deployed: Deployment, tmp_path: Path) -> None:
    """A root whose alerts_topic_arn names another (tagged) stack's topic: exit check 7 would judge whether alerts
    reach someone through that stack's topic. The run reads the topic's tags back and refuses to judge it."""
    from lakehouse.stack import RECORD_FILE, stack_dir
    from tests.integration.conftest import make_options

    stack = deployed.stack
    sns = stack.target.client("sns")
    tags = [{"Key": "stack_id", "Value": f"{stack.stack_id}x"}]
    other = sns.create_topic(Name=f"lakehouse-{stack.stack_id}x-alerts", Tags=tags)["TopicArn"]
    path = stack_dir(make_options(), stack.stack_id) / RECORD_FILE
    kept = path.read_text(encoding="utf-8")
    record = json.loads(kept)
    record["outputs"]["alerts_topic_arn"] = other
    path.write_text(json.dumps(record), encoding="utf-8")
    try:
        run = run_features(tmp_path, "--deployed", "--stack-id", stack.stack_id, "-k", "finobs")
    finally:
        path.write_text(kept, encoding="utf-8")
        sns.delete_topic(TopicArn=other)
    entry = run.check("EXIT-7")
    assert entry["status"] == "error", entry
    assert (
        f"output alerts_topic_arn names sns-topic {other}, which is not this stack's (stack_id={stack.stack_id}x)"
        in entry["reason"]
    ), entry["reason"]


def test_the_repairs_left_the_stack_as_terraform_made_it(deployed: Deployment) -> None:
    """After the breakages above: check 7 passes again and Terraform sees no change (check 5)."""
    assert check_finops(deployed.stack.target, deployed.record.outputs).passed
    result = check_iac_coverage(deployed.stack)
    assert result.passed, result.reason
